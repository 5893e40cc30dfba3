"""Use-cases of accounts: log in and out, sessions, roles, passwords, API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.accounts.attempts import get_attempts
from app.accounts.models import (
    ApiToken,
    PasswordResetToken,
    RoleGrant,
    User,
    UserSession,
)
from app.accounts.rules import ROLE_LABELS, Actor, Role, role_needs_body
from app.audit.service import record
from app.bodies.models import Body
from app.config import get_settings
from app.db import utcnow
from app.errors import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from app.orgs.models import Organisation
from app.outbox.service import queue_email

password_hasher = PasswordHash((Argon2Hasher(),))
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
# A hash of a random password, verified when the account is unknown so timing does not tell.
_DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationFailed(
            "Alamat email tidak valid.", field_errors={"email": "Email tidak valid."}
        )
    return email


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.",
            field_errors={"password": f"Minimal {MIN_PASSWORD_LENGTH} karakter."},
        )


# --- users and roles -------------------------------------------------------------------------


def get_user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    db: Session,
    *,
    email: str,
    full_name: str,
    password: str | None = None,
    is_admin: bool = False,
    actor_user_id: int | None = None,
    phone: str = "",
) -> User:
    """Create an account; without a password the person sets one through a reset link."""
    email = validate_email(email)
    if not full_name.strip():
        raise ValidationFailed("Nama wajib diisi.", field_errors={"full_name": "Wajib diisi."})
    if get_user_by_email(db, email):
        raise ValidationFailed(
            "Email sudah terdaftar.", field_errors={"email": "Email sudah terdaftar."}
        )
    if password is not None:
        validate_password(password)
    user = User(
        email=email,
        full_name=full_name.strip(),
        phone=phone.strip(),
        password_hash=password_hasher.hash(password) if password else None,
        is_admin=is_admin,
        password_changed_at=utcnow() if password else None,
    )
    db.add(user)
    db.flush()
    record(
        db,
        actor_user_id=actor_user_id,
        organisation_id=None,
        action="user.created",
        object_type="user",
        object_id=user.id,
        after={"is_admin": is_admin},
    )
    return user


def active_grants(db: Session, user_id: int) -> list[RoleGrant]:
    return list(
        db.scalars(
            select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.revoked_at.is_(None))
        )
    )


def grant_role(
    db: Session,
    *,
    user: User,
    organisation: Organisation,
    role: str,
    body: Body | None = None,
    actor_user_id: int | None = None,
) -> RoleGrant:
    """Give a user a role in an organisation (body roles name their body); idempotent."""
    if role not in set(Role):
        raise ValidationFailed(f"Peran tidak dikenal: {role}.")
    if role_needs_body(role) and body is None:
        raise ValidationFailed(f"Peran {ROLE_LABELS[role]} harus terkait dengan satu badan publik.")
    if not role_needs_body(role):
        body = None
    if body is not None and body.organisation_id != organisation.id:
        raise Forbidden("Badan publik itu bukan milik komisi ini.")
    body_cond = RoleGrant.body_id == body.id if body else RoleGrant.body_id.is_(None)
    existing = db.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.organisation_id == organisation.id,
            RoleGrant.role == role,
            body_cond,
            RoleGrant.revoked_at.is_(None),
        )
    )
    if existing:
        return existing
    grant = RoleGrant(
        user_id=user.id,
        organisation_id=organisation.id,
        role=role,
        body_id=body.id if body else None,
        granted_by_id=actor_user_id,
    )
    db.add(grant)
    db.flush()
    record(
        db,
        actor_user_id=actor_user_id,
        organisation_id=organisation.id,
        action="role.granted",
        object_type="user",
        object_id=user.id,
        after={"role": role, "body_id": grant.body_id},
    )
    return grant


def revoke_grant(db: Session, grant: RoleGrant, *, actor_user_id: int | None) -> None:
    if grant.revoked_at is not None:
        return
    grant.revoked_at = utcnow()
    record(
        db,
        actor_user_id=actor_user_id,
        organisation_id=grant.organisation_id,
        action="role.revoked",
        object_type="user",
        object_id=grant.user_id,
        before={"role": grant.role, "body_id": grant.body_id},
    )


# The statements every signed-in request runs, built once per process: building a statement (its
# clause objects, then its cache key) costs ~0.1 ms, about a third of running a simple one.
_SESSION_AND_USER = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("digest"))
)
_TOKEN_AND_USER = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
_GRANTS_AND_ORGANISATIONS = (
    select(RoleGrant, Organisation)
    .join(Organisation, Organisation.id == RoleGrant.organisation_id)
    .where(RoleGrant.user_id == bindparam("user_id"), RoleGrant.revoked_at.is_(None))
)


def build_actor(
    db: Session,
    user: User,
    organisation_id: int | None,
    *,
    organisations: dict[int, Organisation] | None = None,
) -> Actor:
    """Assemble the actor for a user acting in one organisation. Given `organisations`, the
    organisations of the user's grants are read in the same statement and put there (a
    request keeps its actor's commission at hand without another query)."""
    if organisations is None:
        grants = active_grants(db, user.id)
    else:
        rows = db.execute(_GRANTS_AND_ORGANISATIONS, {"user_id": user.id}).all()
        grants = [g for g, _ in rows]
        organisations.update((o.id, o) for _, o in rows)
    org_ids = frozenset(g.organisation_id for g in grants)
    if organisation_id is None or (organisation_id not in org_ids and not user.is_admin):
        organisation_id = min(org_ids) if org_ids else None
    roles = frozenset(g.role for g in grants if g.organisation_id == organisation_id)
    body_roles: dict[int, set[str]] = {}
    for g in grants:
        if g.organisation_id == organisation_id and g.body_id is not None:
            body_roles.setdefault(g.body_id, set()).add(g.role)
    return Actor(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_admin=user.is_admin,
        organisation_id=organisation_id,
        roles=roles,
        body_roles={k: frozenset(v) for k, v in body_roles.items()},
        organisation_ids=org_ids,
    )


def deactivate_user(db: Session, actor: Actor, user: User) -> None:
    """Switch an account off and end its sessions and tokens; its history stays."""
    _require_manages_user(db, actor, user)
    if user.id == actor.user_id:
        raise ValidationFailed("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    user.is_active = False
    db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        action="user.deactivated",
        object_type="user",
        object_id=user.id,
        before={"is_active": True},
        after={"is_active": False},
    )


def reactivate_user(db: Session, actor: Actor, user: User) -> None:
    _require_manages_user(db, actor, user)
    user.is_active = True
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        action="user.reactivated",
        object_type="user",
        object_id=user.id,
        before={"is_active": False},
        after={"is_active": True},
    )


def _require_manages_user(db: Session, actor: Actor, user: User) -> None:
    """Only the platform admin, or the sekretariat of an organisation the user belongs to."""
    if actor.is_admin:
        return
    if not actor.has(Role.SEKRETARIAT):
        raise Forbidden("Hanya sekretariat yang dapat mengelola akun.")
    orgs = {g.organisation_id for g in active_grants(db, user.id)}
    if actor.organisation_id not in orgs:
        raise NotFound("Pengguna tidak ditemukan.")


def get_user_for_manager(db: Session, actor: Actor, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan.")
    _require_manages_user(db, actor, user)
    return user


def hand_over_body_account(
    db: Session,
    actor: Actor,
    *,
    body: Body,
    from_user: User,
    to_email: str,
    to_full_name: str,
) -> User:
    """Move a body's operator role from a departing person to a new one.

    Everything the body did stays with the body; the departing person keeps no access to it.
    """
    if not (actor.is_admin or actor.has(Role.SEKRETARIAT)):
        raise Forbidden("Hanya sekretariat yang dapat mengalihkan akun badan publik.")
    if body.organisation_id != actor.organisation_id and not actor.is_admin:
        raise NotFound("Badan publik tidak ditemukan.")
    grants = [g for g in active_grants(db, from_user.id) if g.body_id == body.id]
    if not grants:
        raise ValidationFailed("Pengguna itu bukan operator badan publik ini.")
    org = db.get(Organisation, body.organisation_id)
    assert org is not None
    new_user = get_user_by_email(db, to_email)
    if new_user is None:
        new_user = create_user(
            db, email=to_email, full_name=to_full_name, actor_user_id=actor.user_id
        )
    if new_user.id == from_user.id:
        raise ValidationFailed("Akun tujuan sama dengan akun asal.")
    for g in grants:
        grant_role(
            db, user=new_user, organisation=org, role=g.role, body=body, actor_user_id=actor.user_id
        )
        revoke_grant(db, g, actor_user_id=actor.user_id)
    db.execute(delete(UserSession).where(UserSession.user_id == from_user.id))
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=org.id,
        action="body.account_handed_over",
        object_type="body",
        object_id=body.id,
        before={"user_id": from_user.id},
        after={"user_id": new_user.id},
    )
    if new_user.password_hash is None:
        issue_password_reset(db, new_user, purpose="invite")
    return new_user


# --- login, sessions, throttling ------------------------------------------------------------


def _failures_since(db: Session, key: str, since: datetime) -> int:
    return get_attempts().count(db, key, since)


def throttle(db: Session, key: str, *, limit: int, window_minutes: int, message: str) -> None:
    """Count one attempt under `key`; refuse it when `limit` were made within the window.

    The same store as failed logins (`app.accounts.attempts`), so every worker sees the same
    count.
    """
    since = utcnow() - timedelta(minutes=window_minutes)
    if _failures_since(db, key, since) >= limit:
        raise TooManyRequests(message)
    get_attempts().add(db, key)


def authenticate(db: Session, email: str, password: str, ip: str) -> User:
    """Check a login; failures are recorded per account and per IP, and throttled."""
    s = get_settings()
    email = normalise_email(email)
    since = utcnow() - timedelta(minutes=s.login_window_minutes)
    acct_key, ip_key = f"acct:{email}", f"ip:{ip}"
    if (
        _failures_since(db, acct_key, since) >= s.login_max_failures_per_account
        or _failures_since(db, ip_key, since) >= s.login_max_failures_per_ip
    ):
        raise TooManyRequests(
            f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam "
            f"{s.login_window_minutes} menit."
        )
    user = get_user_by_email(db, email)
    ok = False
    if user is not None and user.password_hash:
        ok = password_hasher.verify(password, user.password_hash)
    else:
        password_hasher.verify(password, _DUMMY_HASH)
    if not ok or user is None or not user.is_active:
        get_attempts().add(db, acct_key, ip_key)
        raise NotAuthenticated("Email atau kata sandi salah, atau akun tidak aktif.")
    get_attempts().clear(db, acct_key)
    return user


@dataclass
class NewSession:
    token: str
    session: UserSession


def start_session(
    db: Session, user: User, *, ip: str, user_agent: str, old_token: str | None
) -> NewSession:
    """Log a user in with a fresh session token (an old token of the browser is dropped)."""
    s = get_settings()
    if old_token:
        db.execute(delete(UserSession).where(UserSession.token_hash == token_digest(old_token)))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    sess = UserSession(
        token_hash=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=s.session_absolute_hours),
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    actor = build_actor(db, user, None)
    sess.organisation_id = actor.organisation_id
    sess.needs_second_factor = user.has_second_factor
    db.add(sess)
    user.last_login_at = now
    db.flush()
    record(
        db,
        actor_user_id=user.id,
        organisation_id=actor.organisation_id,
        action="user.login",
        object_type="user",
        object_id=user.id,
    )
    return NewSession(token=token, session=sess)


def resolve_session(db: Session, token: str) -> tuple[User, UserSession] | None:
    """The user behind a session cookie, or None when unknown, idle too long or expired."""
    s = get_settings()
    now = utcnow()
    digest = token_digest(token)
    idle_cutoff = now - timedelta(minutes=s.session_idle_minutes)
    touch_before = now - timedelta(seconds=60)  # last_seen_at is kept to the minute
    sqlite = db.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Touch first, read second: on SQLite a write as the first statement avoids a stale
        # snapshot. Elsewhere the read comes first and the touch is written only when due.
        db.execute(
            update(UserSession)
            .where(
                UserSession.token_hash == digest,
                UserSession.last_seen_at < touch_before,
                UserSession.last_seen_at >= idle_cutoff,
                UserSession.expires_at > now,
            )
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    # the session and its user in one statement
    found = db.execute(_SESSION_AND_USER, {"digest": digest}).first()
    if found is None:
        return None
    sess, user = found
    if sess.expires_at <= now or sess.last_seen_at < idle_cutoff:
        db.delete(sess)
        return None
    if not user.is_active:
        return None
    if not sqlite and sess.last_seen_at < touch_before:
        sess.last_seen_at = now  # written with the request's transaction
    return user, sess


def end_session(db: Session, token: str) -> None:
    db.execute(delete(UserSession).where(UserSession.token_hash == token_digest(token)))


def switch_organisation(db: Session, sess: UserSession, user: User, organisation_id: int) -> None:
    """Act in another organisation the user holds a role in."""
    if not organisation_id:
        raise ValidationFailed("Pilih komisi yang ingin Anda buka.")
    actor = build_actor(db, user, organisation_id)
    if actor.organisation_id != organisation_id:
        raise Forbidden("Anda tidak memiliki peran di komisi tersebut.")
    sess.organisation_id = organisation_id


# --- passwords --------------------------------------------------------------------------------


def change_password(db: Session, user: User, current: str, new: str) -> None:
    if not user.password_hash or not password_hasher.verify(current, user.password_hash):
        raise ValidationFailed(
            "Kata sandi lama salah.", field_errors={"current_password": "Kata sandi lama salah."}
        )
    validate_password(new)
    _set_password(db, user, new)
    record(
        db,
        actor_user_id=user.id,
        organisation_id=None,
        action="user.password_changed",
        object_type="user",
        object_id=user.id,
    )


def _set_password(db: Session, user: User, new: str) -> None:
    user.password_hash = password_hasher.hash(new)
    user.password_changed_at = utcnow()


def issue_password_reset(db: Session, user: User, *, purpose: str = "reset") -> str:
    """Create a one-time link and put the e-mail carrying it in the outbox."""
    s = get_settings()
    token = secrets.token_urlsafe(32)
    minutes = s.password_reset_minutes if purpose == "reset" else 60 * 24 * 7
    db.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_digest(token),
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    link = f"{s.base_url.rstrip('/')}/atur-sandi/{token}"
    if purpose == "invite":
        subject = "Undangan akun Monev KIP"
        body = (
            f"Yth. {user.full_name},\n\nAnda diundang menggunakan Monev KIP. "
            f"Buat kata sandi Anda melalui tautan berikut (berlaku 7 hari):\n{link}\n"
        )
    else:
        subject = "Atur ulang kata sandi Monev KIP"
        body = (
            f"Yth. {user.full_name},\n\nKami menerima permintaan atur ulang kata sandi. "
            f"Tautan berikut berlaku {minutes} menit:\n{link}\n\n"
            "Abaikan email ini jika Anda tidak memintanya.\n"
        )
    queue_email(db, kind=f"password_{purpose}", to=user.email, subject=subject, body=body)
    return token


def request_password_reset(db: Session, email: str) -> None:
    """Send a reset link if the account exists; say nothing either way."""
    user = get_user_by_email(db, email)
    if user is not None and user.is_active:
        issue_password_reset(db, user)


def reset_password(db: Session, token: str, new: str) -> User:
    row = db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ValidationFailed("Tautan atur ulang kata sandi tidak valid atau sudah kedaluwarsa.")
    validate_password(new)
    user = db.get(User, row.user_id)
    assert user is not None
    _set_password(db, user, new)
    row.used_at = utcnow()
    db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    record(
        db,
        actor_user_id=user.id,
        organisation_id=None,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
    )
    return user


def check_reset_token(db: Session, token: str) -> bool:
    row = db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    return row is not None and row.used_at is None and row.expires_at > utcnow()


# --- API tokens ------------------------------------------------------------------------------


def create_api_token(db: Session, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """A new bearer token; the plain value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Nama token wajib diisi.", field_errors={"name": "Wajib diisi."})
    raw = "mkip_" + secrets.token_urlsafe(32)
    tok = ApiToken(
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        name=name[:100],
        token_hash=token_digest(raw),
        prefix=raw[:12],
    )
    db.add(tok)
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        action="api_token.created",
        object_type="api_token",
        object_id=tok.id,
        after={"name": tok.name},
    )
    return tok, raw


def list_api_tokens(db: Session, actor: Actor) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
        )
    )


def revoke_api_token(db: Session, actor: Actor, token_id: int) -> None:
    tok = db.get(ApiToken, token_id)
    if tok is None or tok.user_id != actor.user_id:
        raise NotFound("Token tidak ditemukan.")
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
        record(
            db,
            actor_user_id=actor.user_id,
            organisation_id=tok.organisation_id,
            action="api_token.revoked",
            object_type="api_token",
            object_id=tok.id,
        )


def resolve_api_token(db: Session, raw: str) -> tuple[User, ApiToken] | None:
    # the token and its user in one statement
    found = db.execute(_TOKEN_AND_USER, {"digest": token_digest(raw)}).first()
    if found is None:
        return None
    tok, user = found
    if tok.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    if tok.last_used_at is None or tok.last_used_at < now - timedelta(minutes=5):
        tok.last_used_at = now
    return user, tok


# --- managing people of an organisation -----------------------------------------------------


def require_sekretariat(actor: Actor) -> None:
    if not (actor.is_admin or actor.has(Role.SEKRETARIAT)):
        raise Forbidden("Hanya sekretariat yang dapat mengelola pengguna.")


def list_org_users(db: Session, actor: Actor) -> list[tuple[User, list[RoleGrant]]]:
    """Everyone holding a role in the actor's organisation, with those roles."""
    require_sekretariat(actor)
    grants = db.scalars(
        select(RoleGrant).where(
            RoleGrant.organisation_id == actor.organisation_id, RoleGrant.revoked_at.is_(None)
        )
    ).all()
    by_user: dict[int, list[RoleGrant]] = {}
    for g in grants:
        by_user.setdefault(g.user_id, []).append(g)
    users = db.scalars(select(User).where(User.id.in_(by_user)).order_by(User.full_name)).all()
    return [(u, by_user[u.id]) for u in users]


def invite_user(
    db: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    role: str,
    body_id: int | None,
) -> User:
    """Give a person a role in the actor's organisation; a new person gets an invitation."""
    require_sekretariat(actor)
    org = db.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if org is None:
        raise Forbidden("Pilih komisi terlebih dahulu.")
    body = None
    if role_needs_body(role):
        body = db.get(Body, body_id) if body_id else None
        if body is None or body.organisation_id != org.id:
            raise ValidationFailed(
                "Pilih badan publik untuk peran ini.",
                field_errors={"body_id": "Pilih badan publik."},
            )
    if role not in set(Role):
        raise ValidationFailed("Peran tidak dikenal.", field_errors={"role": "Pilih peran."})
    user = get_user_by_email(db, email)
    if user is None:
        user = create_user(db, email=email, full_name=full_name, actor_user_id=actor.user_id)
        issue_password_reset(db, user, purpose="invite")
    grant_role(db, user=user, organisation=org, role=role, body=body, actor_user_id=actor.user_id)
    return user


def revoke_org_grant(db: Session, actor: Actor, grant_id: int) -> RoleGrant:
    require_sekretariat(actor)
    grant = db.get(RoleGrant, grant_id)
    if grant is None or (grant.organisation_id != actor.organisation_id and not actor.is_admin):
        raise NotFound("Peran tidak ditemukan.")
    revoke_grant(db, grant, actor_user_id=actor.user_id)
    return grant


def erase_personal_data(db: Session, actor: Actor, user: User) -> None:
    """Pseudonymise a person on request (UU 27/2022): name, e-mail and phone are replaced.

    Audit records refer to people by id only, so the hash chain stays intact; the account is
    switched off and its sessions and tokens end.
    """
    if not actor.is_admin:
        raise Forbidden("Hanya admin platform yang dapat menghapus data pribadi.")
    user.full_name = f"Pengguna terhapus #{user.id}"
    user.email = f"terhapus-{user.id}@invalid.invalid"
    user.phone = ""
    user.password_hash = None
    user.is_active = False
    db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    record(
        db,
        actor_user_id=actor.user_id or None,
        organisation_id=None,
        action="user.erased",
        object_type="user",
        object_id=user.id,
    )


# --- second factor (TOTP) ----------------------------------------------------------------------

TOTP_ISSUER = "Monev KIP"


def begin_totp_setup(db: Session, user: User) -> str:
    """Give the user a new TOTP secret to scan; it works only once confirmed with a code."""
    if user.has_second_factor:
        raise ValidationFailed("Verifikasi dua langkah sudah aktif.")
    user.totp_secret = pyotp.random_base32()
    return totp_uri(user)


def totp_uri(user: User) -> str:
    assert user.totp_secret
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _check_code(db: Session, user: User, code: str) -> None:
    s = get_settings()
    key = f"totp:{user.id}"
    since = utcnow() - timedelta(minutes=s.login_window_minutes)
    if _failures_since(db, key, since) >= s.login_max_failures_per_account:
        raise TooManyRequests("Terlalu banyak kode yang salah. Coba lagi nanti.")
    code = code.strip().replace(" ", "")
    if not user.totp_secret or not pyotp.TOTP(user.totp_secret).verify(code, valid_window=1):
        get_attempts().add(db, key)
        raise ValidationFailed(
            "Kode verifikasi salah atau kedaluwarsa.", field_errors={"code": "Kode salah."}
        )


def confirm_totp(db: Session, user: User, code: str) -> None:
    """Switch the second factor on after the user proved their app shows the right code."""
    if not user.totp_secret:
        raise ValidationFailed("Mulai pengaturan verifikasi dua langkah terlebih dahulu.")
    _check_code(db, user, code)
    user.totp_enabled_at = utcnow()
    record(
        db,
        actor_user_id=user.id,
        organisation_id=None,
        action="user.totp_enabled",
        object_type="user",
        object_id=user.id,
    )


def disable_totp(db: Session, user: User, password: str) -> None:
    if not user.password_hash or not password_hasher.verify(password, user.password_hash):
        raise ValidationFailed("Kata sandi salah.", field_errors={"password": "Kata sandi salah."})
    user.totp_secret = None
    user.totp_enabled_at = None
    record(
        db,
        actor_user_id=user.id,
        organisation_id=None,
        action="user.totp_disabled",
        object_type="user",
        object_id=user.id,
    )


def complete_second_factor(db: Session, sess: UserSession, user: User, code: str) -> None:
    """Finish a login that waits for the TOTP code."""
    _check_code(db, user, code)
    sess.needs_second_factor = False
    get_attempts().clear(db, f"totp:{user.id}")
