from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import ApiToken, LoginAttempt, PasswordResetToken, UserSession
from app.accounts.rules import Role
from app.errors import Forbidden, NotAuthenticated, TooManyRequests, ValidationFailed
from app.outbox.models import OutboxMessage
from tests.factories import Factory

PW = "kata-sandi-yang-panjang"


def test_create_user_normalises_email_and_refuses_duplicates(factory: Factory, db: Session) -> None:
    u = service.create_user(db, email="  Ana@Contoh.ID ", full_name="Ana", password=PW)
    assert u.email == "ana@contoh.id"
    assert u.password_hash and u.password_hash.startswith("$argon2id$")
    with pytest.raises(ValidationFailed):
        service.create_user(db, email="ana@contoh.id", full_name="Ana 2")


@pytest.mark.parametrize(
    ("email", "name", "password"),
    [("bukan-email", "A", PW), ("a@b.id", "  ", PW), ("a@b.id", "A", "pendek")],
)
def test_create_user_rejects_bad_input(db: Session, email: str, name: str, password: str) -> None:
    with pytest.raises(ValidationFailed):
        service.create_user(db, email=email, full_name=name, password=password)


def test_authenticate_accepts_the_right_password(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    assert service.authenticate(db, u.email.upper(), PW, "1.2.3.4").id == u.id


def test_authenticate_records_failures_and_throttles_the_account(
    factory: Factory, db: Session
) -> None:
    u = factory.user(password=PW)
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            service.authenticate(db, u.email, "salah-salah-salah", "1.1.1.1")
    with pytest.raises(TooManyRequests):
        service.authenticate(db, u.email, PW, "2.2.2.2")  # even the right password is refused


def test_authenticate_throttles_one_ip_across_accounts(factory: Factory, db: Session) -> None:
    for i in range(20):
        with pytest.raises(NotAuthenticated):
            service.authenticate(db, f"tidak-ada{i}@x.id", "salah-salah", "9.9.9.9")
    u = factory.user(password=PW)
    with pytest.raises(TooManyRequests):
        service.authenticate(db, u.email, PW, "9.9.9.9")
    assert service.authenticate(db, u.email, PW, "8.8.8.8").id == u.id


def test_success_clears_the_account_failures(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    with pytest.raises(NotAuthenticated):
        service.authenticate(db, u.email, "salah-salah", "1.1.1.1")
    service.authenticate(db, u.email, PW, "1.1.1.1")
    keys = db.scalars(select(LoginAttempt.key)).all()
    assert f"acct:{u.email}" not in keys


def test_inactive_accounts_cannot_log_in(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    u.is_active = False
    with pytest.raises(NotAuthenticated):
        service.authenticate(db, u.email, PW, "1.1.1.1")


def test_sessions_rotate_at_login_and_store_only_a_hash(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    first = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    second = service.start_session(db, u, ip="x", user_agent="y", old_token=first.token)
    assert service.resolve_session(db, first.token) is None
    assert service.resolve_session(db, second.token) is not None
    stored = db.scalars(select(UserSession.token_hash)).all()
    assert second.token not in stored
    assert service.token_digest(second.token) in stored


def test_sessions_expire_when_idle_and_absolutely(factory: Factory, db: Session) -> None:
    u = factory.user()
    idle = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    idle.session.last_seen_at -= timedelta(minutes=61)
    old = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    old.session.expires_at = old.session.created_at - timedelta(seconds=1)
    db.flush()
    assert service.resolve_session(db, idle.token) is None
    assert service.resolve_session(db, old.token) is None


def test_a_session_is_touched_at_most_once_a_minute(factory: Factory, db: Session) -> None:
    u = factory.user()
    stale = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    fresh = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    stale.session.last_seen_at -= timedelta(minutes=2)
    fresh.session.last_seen_at -= timedelta(seconds=10)
    before = {stale.token: stale.session.last_seen_at, fresh.token: fresh.session.last_seen_at}
    db.flush()
    for token in before:
        assert service.resolve_session(db, token) is not None
    db.flush()
    db.expire_all()
    seen = {
        t: db.scalars(
            select(UserSession.last_seen_at).where(
                UserSession.token_hash == service.token_digest(t)
            )
        ).one()
        for t in before
    }
    assert seen[stale.token] > before[stale.token] + timedelta(seconds=100)  # touched: now
    assert seen[fresh.token] == before[fresh.token]  # seen 10 s ago: left alone


def test_password_reset_is_single_use_and_ends_sessions(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    sess = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    token = service.issue_password_reset(db, u)
    msg = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == u.email)).one()
    assert token in msg.body_text
    assert service.check_reset_token(db, token)
    service.reset_password(db, token, "sandi-baru-yang-panjang")
    assert service.authenticate(db, u.email, "sandi-baru-yang-panjang", "ip").id == u.id
    assert service.resolve_session(db, sess.token) is None
    with pytest.raises(ValidationFailed):
        service.reset_password(db, token, "lagi-sandi-yang-panjang")


def test_expired_reset_links_are_refused(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    token = service.issue_password_reset(db, u)
    row = db.scalars(select(PasswordResetToken)).one()
    row.expires_at = row.created_at - timedelta(minutes=1)
    with pytest.raises(ValidationFailed):
        service.reset_password(db, token, "sandi-baru-yang-panjang")


def test_reset_request_for_unknown_email_says_nothing(db: Session) -> None:
    service.request_password_reset(db, "siapa@tidak.ada")
    assert db.scalars(select(OutboxMessage)).all() == []


def test_change_password_needs_the_current_one(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    with pytest.raises(ValidationFailed):
        service.change_password(db, u, "salah", "sandi-baru-yang-panjang")
    service.change_password(db, u, PW, "sandi-baru-yang-panjang")
    assert service.authenticate(db, u.email, "sandi-baru-yang-panjang", "ip")


def test_api_tokens_are_hashed_resolved_and_revoked(factory: Factory, db: Session) -> None:
    org = factory.commission()
    u = factory.user(org, Role.SEKRETARIAT)
    actor = factory.actor(u)
    tok, raw = service.create_api_token(db, actor, "integrasi")
    assert raw.startswith("mkip_") and tok.token_hash != raw
    found = service.resolve_api_token(db, raw)
    assert found is not None and found[0].id == u.id
    other = factory.user(org, Role.SEKRETARIAT)
    with pytest.raises(Exception, match="tidak ditemukan"):
        service.revoke_api_token(db, factory.actor(other), tok.id)
    service.revoke_api_token(db, actor, tok.id)
    assert service.resolve_api_token(db, raw) is None
    assert db.get(ApiToken, tok.id).revoked_at is not None  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed):
        service.create_api_token(db, actor, "  ")


def test_grant_role_validates_and_is_idempotent(factory: Factory, db: Session) -> None:
    org, other = factory.commission(), factory.commission()
    u = factory.user()
    with pytest.raises(ValidationFailed):
        service.grant_role(db, user=u, organisation=org, role="raja")
    with pytest.raises(ValidationFailed):
        service.grant_role(db, user=u, organisation=org, role=Role.OPERATOR)
    foreign_body = factory.body(other)
    with pytest.raises(Forbidden):
        service.grant_role(db, user=u, organisation=org, role=Role.OPERATOR, body=foreign_body)
    g1 = service.grant_role(db, user=u, organisation=org, role=Role.JURI)
    g2 = service.grant_role(db, user=u, organisation=org, role=Role.JURI)
    assert g1.id == g2.id


def test_actor_sees_only_roles_of_the_current_organisation(factory: Factory, db: Session) -> None:
    a, b = factory.commission(), factory.commission()
    u = factory.user(a, Role.VERIFIKATOR)
    service.grant_role(db, user=u, organisation=b, role=Role.JURI)
    in_a = service.build_actor(db, u, a.id)
    in_b = service.build_actor(db, u, b.id)
    assert in_a.roles == {"verifikator"} and in_b.roles == {"juri"}
    assert in_a.organisation_ids == {a.id, b.id}
    assert service.build_actor(db, u, 999_999).organisation_id == min(a.id, b.id)


def test_deactivation_ends_sessions_and_tokens(factory: Factory, db: Session) -> None:
    org = factory.commission()
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    u = factory.user(org, Role.VERIFIKATOR)
    sess = service.start_session(db, u, ip="x", user_agent="y", old_token=None)
    _, raw = service.create_api_token(db, factory.actor(u), "t")
    service.deactivate_user(db, sek, u)
    assert service.resolve_session(db, sess.token) is None
    assert service.resolve_api_token(db, raw) is None
    service.reactivate_user(db, sek, u)
    assert u.is_active
    with pytest.raises(ValidationFailed):
        service.deactivate_user(db, sek, db.get(type(u), sek.user_id))  # type: ignore[arg-type]


def test_sekretariat_cannot_manage_people_of_another_commission(
    factory: Factory, db: Session
) -> None:
    a, b = factory.commission(), factory.commission()
    sek_a = factory.actor(factory.user(a, Role.SEKRETARIAT))
    u_b = factory.user(b, Role.VERIFIKATOR)
    with pytest.raises(Exception, match="tidak ditemukan"):
        service.deactivate_user(db, sek_a, u_b)
    ver = factory.actor(factory.user(a, Role.VERIFIKATOR))
    with pytest.raises(Forbidden):
        service.deactivate_user(db, ver, u_b)


def test_hand_over_moves_the_body_role_and_keeps_history(factory: Factory, db: Session) -> None:
    org = factory.commission()
    body = factory.body(org)
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    old = factory.user(org, Role.OPERATOR, body=body)
    new = service.hand_over_body_account(
        db, sek, body=body, from_user=old, to_email="baru@ppid.id", to_full_name="Staf Baru"
    )
    assert service.build_actor(db, new, org.id).acts_for_body(body.id, Role.OPERATOR)
    assert not service.build_actor(db, old, org.id).acts_for_body(body.id)
    invite = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "baru@ppid.id"))
    assert invite.one().kind == "password_invite"
    with pytest.raises(ValidationFailed):
        service.hand_over_body_account(
            db, sek, body=body, from_user=old, to_email="lain@ppid.id", to_full_name="X"
        )


def test_invite_user_needs_a_body_for_body_roles(factory: Factory, db: Session) -> None:
    org = factory.commission()
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    with pytest.raises(ValidationFailed):
        service.invite_user(
            db, sek, email="op@x.id", full_name="Op", role=Role.OPERATOR, body_id=None
        )
    body = factory.body(org)
    u = service.invite_user(
        db, sek, email="op@x.id", full_name="Op", role=Role.OPERATOR, body_id=body.id
    )
    assert service.build_actor(db, u, org.id).acts_for_body(body.id)
    rows = service.list_org_users(db, sek)
    assert {r[0].email for r in rows} >= {"op@x.id"}
    grant = next(g for g in rows if g[0].id == u.id)[1][0]
    service.revoke_org_grant(db, sek, grant.id)
    assert not service.build_actor(db, u, org.id).acts_for_body(body.id)
