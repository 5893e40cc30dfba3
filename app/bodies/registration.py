"""Registration of bodies: self-registration and its activation, invitations, colleagues.

A body registers itself for a cycle during the cycle's `registration` stage; the sekretariat
activates the registration (which creates or links the body, makes it a target of the cycle
and gives the registering person the operator role) or rejects it with a reason. The
sekretariat can also invite the contact of every target body without an operator; operators
invite colleagues of their own body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import RoleGrant, User
from app.accounts.rules import ROLE_LABELS, Actor, Role
from app.audit.service import record
from app.bodies.models import Body, BodyRegistration, RegistrationStatus
from app.bodies.rules import colleague_role_allowed, normalise_name, registration_errors
from app.config import get_settings
from app.cycles import categories
from app.cycles.access import actor_id, organisation_of, require_manager
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.cycles.schedule import require_stage_open
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.orgs.models import Organisation
from app.outbox.service import queue_email

# --- public side ---------------------------------------------------------------------------------


def get_cycle_for_registration(db: Session, cycle_id: int) -> Cycle:
    """A cycle whose public registration page may be shown (it exists and has been opened)."""
    cycle = db.get(Cycle, cycle_id)
    if cycle is None or not cycle.is_open:
        raise NotFound("Siklus monev tidak ditemukan atau belum dibuka.")
    return cycle


@dataclass(frozen=True)
class RegistrationOptions:
    categories: list[CycleCategory]
    parents: list[Body]


def registration_options(db: Session, cycle: Cycle) -> RegistrationOptions:
    """The categories a body may register in and the PPID utama a unit may name as parent."""
    parents = db.scalars(
        select(Body)
        .join(CycleTarget, CycleTarget.body_id == Body.id)
        .where(CycleTarget.cycle_id == cycle.id, Body.parent_id.is_(None), Body.is_active)
        .order_by(Body.name)
    )
    return RegistrationOptions(categories.categories_of(db, cycle), list(parents))


def _has_operator(db: Session, body_id: int) -> bool:
    return (
        db.scalar(
            select(func.count())
            .select_from(RoleGrant)
            .where(
                RoleGrant.body_id == body_id,
                RoleGrant.role == Role.OPERATOR,
                RoleGrant.revoked_at.is_(None),
            )
        )
        or 0
    ) > 0


def _body_named(db: Session, organisation_id: int, name: str) -> Body | None:
    key = normalise_name(name)
    for body in db.scalars(select(Body).where(Body.organisation_id == organisation_id)):
        if normalise_name(body.name) == key:
            return body
    return None


def _pending(db: Session, organisation_id: int) -> list[BodyRegistration]:
    return list(
        db.scalars(
            select(BodyRegistration).where(
                BodyRegistration.organisation_id == organisation_id,
                BodyRegistration.status == RegistrationStatus.PENDING,
            )
        )
    )


def submit_registration(
    db: Session,
    cycle: Cycle,
    data: dict[str, str],
    *,
    password: str,
    password2: str,
    ip: str,
    now: datetime | None = None,
) -> BodyRegistration:
    """Store a body's self-registration for the sekretariat to activate (public, throttled)."""
    s = get_settings()
    accounts.throttle(
        db,
        f"register:ip:{ip}",
        limit=s.registration_max_per_ip,
        window_minutes=s.registration_window_minutes,
        message=(
            "Terlalu banyak pendaftaran dari alamat jaringan ini. Coba lagi dalam "
            f"{s.registration_window_minutes} menit atau hubungi sekretariat komisi."
        ),
    )
    require_stage_open(db, cycle, "registration", now=now)
    opts = registration_options(db, cycle)
    errors = registration_errors(
        data,
        password=password,
        password2=password2,
        category_ids={c.id for c in opts.categories},
        parent_ids={b.id for b in opts.parents},
    )
    if errors:
        raise ValidationFailed("Periksa kembali isian pendaftaran.", field_errors=errors)
    email = accounts.normalise_email(data["respondent_email"])
    name = " ".join(data["body_name"].split())
    pending = _pending(db, cycle.organisation_id)
    if accounts.get_user_by_email(db, email) is not None or any(
        r.respondent_email == email for r in pending
    ):
        raise ValidationFailed(
            "Email responden sudah terdaftar.",
            field_errors={
                "respondent_email": "Email ini sudah terdaftar. Masuk dengan akun itu, atau "
                "minta operator badan publik Anda mengundang Anda."
            },
        )
    existing = _body_named(db, cycle.organisation_id, name)
    if existing is not None and _has_operator(db, existing.id):
        raise ValidationFailed(
            "Badan publik ini sudah terdaftar.",
            field_errors={
                "body_name": f"{existing.name} sudah memiliki operator. Minta operatornya "
                "mengundang Anda sebagai rekan, atau hubungi sekretariat komisi."
            },
        )
    if any(
        r.cycle_id == cycle.id and normalise_name(r.body_name) == normalise_name(name)
        for r in pending
    ):
        raise ValidationFailed(
            "Badan publik ini sudah mendaftar.",
            field_errors={"body_name": "Pendaftaran badan publik ini sedang menunggu aktivasi."},
        )
    unit = data.get("kind") == "pelaksana"
    reg = BodyRegistration(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        cycle_category_id=None if unit else int(data["cycle_category_id"]),
        parent_body_id=int(data["parent_body_id"]) if unit else None,
        body_name=name,
        respondent_email=email,
        password_hash=accounts.password_hasher.hash(password),
        **{
            f: data.get(f, "").strip()
            for f in (
                "website",
                "address",
                "email",
                "phone",
                "ppid_name",
                "ppid_email",
                "ppid_phone",
                "respondent_name",
                "respondent_position",
                "respondent_phone",
            )
        },
    )
    db.add(reg)
    db.flush()
    record(
        db,
        actor_user_id=None,
        organisation_id=cycle.organisation_id,
        action="body.registration_submitted",
        object_type="body_registration",
        object_id=reg.id,
        after={"body_name": name, "cycle_id": cycle.id, "ip": ip},
    )
    org = organisation_of(db, cycle)
    queue_email(
        db,
        kind="registration_received",
        to=email,
        subject=f"Pendaftaran {name} untuk {cycle.name} diterima",
        body=(
            f"Yth. {reg.respondent_name},\n\nPendaftaran {name} untuk {cycle.name} telah kami "
            f"terima dan menunggu aktivasi oleh sekretariat {org.name}. Anda akan menerima "
            "email lagi setelah pendaftaran diaktifkan atau bila ada yang perlu diperbaiki.\n"
        ),
        organisation_id=org.id,
    )
    return reg


# --- sekretariat side ----------------------------------------------------------------------------


def list_registrations(
    db: Session, actor: Actor, cycle: Cycle, *, status: str = RegistrationStatus.PENDING
) -> list[BodyRegistration]:
    """The cycle's registrations with one status, oldest first."""
    require_manager(actor, cycle)
    return list(
        db.scalars(
            select(BodyRegistration)
            .where(BodyRegistration.cycle_id == cycle.id, BodyRegistration.status == status)
            .order_by(BodyRegistration.created_at, BodyRegistration.id)
        )
    )


def get_registration(
    db: Session, actor: Actor, cycle: Cycle, registration_id: int
) -> BodyRegistration:
    require_manager(actor, cycle)
    reg = db.get(BodyRegistration, registration_id)
    if reg is None or reg.cycle_id != cycle.id:
        raise NotFound("Pendaftaran tidak ditemukan.")
    return reg


def _require_pending(reg: BodyRegistration) -> None:
    if reg.status != RegistrationStatus.PENDING:
        raise InvalidTransition("Pendaftaran ini sudah diputuskan sebelumnya.")


def activate_registration(
    db: Session, actor: Actor, cycle: Cycle, reg: BodyRegistration
) -> BodyRegistration:
    """Create or link the body, make it a target (PPID utama) and its respondent an operator."""
    require_manager(actor, cycle)
    _require_pending(reg)
    if accounts.get_user_by_email(db, reg.respondent_email) is not None:
        raise ValidationFailed(
            f"Email {reg.respondent_email} sudah dipakai akun lain sejak pendaftaran; "
            "tolak pendaftaran ini dengan alasan, atau undang akun itu sebagai operator."
        )
    body = _body_named(db, cycle.organisation_id, reg.body_name)
    if body is not None and _has_operator(db, body.id):
        raise ValidationFailed(f"{body.name} sudah memiliki operator sejak pendaftaran ini.")
    category = db.get(CycleCategory, reg.cycle_category_id) if reg.cycle_category_id else None
    if body is None:
        body = Body(organisation_id=cycle.organisation_id, name=reg.body_name)
        db.add(body)
    body.parent_id = reg.parent_body_id
    if category is not None:
        body.default_category_code = category.code
    for f in ("website", "address", "email", "phone", "ppid_name", "ppid_email", "ppid_phone"):
        if getattr(reg, f):
            setattr(body, f, getattr(reg, f))
    body.is_active = True
    db.flush()
    if category is not None:
        categories.set_target(db, actor, cycle, body_id=body.id, category_id=category.id)
    user = accounts.create_user(
        db,
        email=reg.respondent_email,
        full_name=reg.respondent_name,
        phone=reg.respondent_phone,
        actor_user_id=actor_id(actor),
    )
    user.password_hash = reg.password_hash
    user.password_changed_at = utcnow()
    org = organisation_of(db, cycle)
    accounts.grant_role(
        db,
        user=user,
        organisation=org,
        role=Role.OPERATOR,
        body=body,
        actor_user_id=actor_id(actor),
    )
    reg.status = RegistrationStatus.ACTIVATED
    reg.decided_at = utcnow()
    reg.decided_by_id = actor_id(actor)
    reg.body_id = body.id
    reg.user_id = user.id
    reg.password_hash = None
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="body.registration_activated",
        object_type="body_registration",
        object_id=reg.id,
        before={"status": RegistrationStatus.PENDING},
        after={"status": reg.status, "body_id": body.id, "user_id": user.id},
    )
    queue_email(
        db,
        kind="registration_activated",
        to=user.email,
        subject=f"Pendaftaran {body.name} telah diaktifkan",
        body=(
            f"Yth. {user.full_name},\n\n{org.name} telah mengaktifkan pendaftaran {body.name} "
            f"untuk {cycle.name}. Silakan masuk di {get_settings().base_url.rstrip('/')}/masuk "
            "dengan email dan kata sandi yang Anda buat saat mendaftar.\n"
        ),
        organisation_id=org.id,
        user_id=user.id,
    )
    return reg


def reject_registration(
    db: Session, actor: Actor, cycle: Cycle, reg: BodyRegistration, *, reason: str
) -> BodyRegistration:
    """Refuse a registration with a reason the respondent receives by e-mail."""
    require_manager(actor, cycle)
    _require_pending(reg)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            "Alasan penolakan wajib diisi.", field_errors={"reason": "Wajib diisi."}
        )
    reg.status = RegistrationStatus.REJECTED
    reg.reject_reason = reason[:2000]
    reg.decided_at = utcnow()
    reg.decided_by_id = actor_id(actor)
    reg.password_hash = None
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="body.registration_rejected",
        object_type="body_registration",
        object_id=reg.id,
        before={"status": RegistrationStatus.PENDING},
        after={"status": reg.status, "reason": reg.reject_reason},
    )
    org = organisation_of(db, cycle)
    queue_email(
        db,
        kind="registration_rejected",
        to=reg.respondent_email,
        subject=f"Pendaftaran {reg.body_name} belum dapat diaktifkan",
        body=(
            f"Yth. {reg.respondent_name},\n\n{org.name} belum dapat mengaktifkan pendaftaran "
            f"{reg.body_name} untuk {cycle.name}.\n\nAlasan: {reg.reject_reason}\n\n"
            "Anda dapat mendaftar ulang dengan data yang diperbaiki selama tahap registrasi "
            "masih dibuka.\n"
        ),
        organisation_id=org.id,
    )
    return reg


@dataclass(frozen=True)
class InvitationRun:
    invited: list[str]
    without_email: list[str]


def invite_targets(db: Session, actor: Actor, cycle: Cycle) -> InvitationRun:
    """Invite the contact (PPID e-mail, else the body's e-mail) of every target without operator."""
    require_manager(actor, cycle)
    invited: list[str] = []
    missing: list[str] = []
    for body in categories.list_targets(db, cycle):
        if _has_operator(db, body.id):
            continue
        email = body.ppid_email or body.email
        if not email:
            missing.append(body.name)
            continue
        accounts.invite_user(
            db,
            actor,
            email=email,
            full_name=body.ppid_name or f"Operator {body.name}",
            role=Role.OPERATOR,
            body_id=body.id,
        )
        invited.append(body.name)
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="cycle.invitations_sent",
        object_type="cycle",
        object_id=cycle.id,
        after={"invited": len(invited), "without_email": len(missing)},
    )
    return InvitationRun(invited, missing)


def invite_colleague(
    db: Session, actor: Actor, body: Body, *, email: str, full_name: str, role: str
) -> User:
    """An operator gives a colleague a role for the same body (a new person gets an invitation)."""
    if not actor.acts_for_body(body.id, Role.OPERATOR):
        raise Forbidden("Hanya operator badan publik ini yang dapat mengundang rekan.")
    if not colleague_role_allowed(role, body_is_unit=body.is_unit):
        raise ValidationFailed(
            "Peran ini tidak dapat diberikan di sini.",
            field_errors={"role": "Atasan PPID hanya dapat ditambahkan oleh PPID utama."},
        )
    email = accounts.validate_email(email)
    if not full_name.strip():
        raise ValidationFailed("Nama wajib diisi.", field_errors={"full_name": "Wajib diisi."})
    user = accounts.get_user_by_email(db, email)
    if user is not None and any(
        g.body_id == body.id and g.role == role for g in accounts.active_grants(db, user.id)
    ):
        raise ValidationFailed(
            f"{email} sudah menjadi {ROLE_LABELS[role]} badan publik ini.",
            field_errors={"email": "Sudah terdaftar untuk badan publik ini."},
        )
    if user is None:
        user = accounts.create_user(
            db, email=email, full_name=full_name, actor_user_id=actor.user_id
        )
        accounts.issue_password_reset(db, user, purpose="invite")
    org = db.get(Organisation, body.organisation_id)
    assert org is not None
    accounts.grant_role(
        db, user=user, organisation=org, role=role, body=body, actor_user_id=actor.user_id
    )
    return user
