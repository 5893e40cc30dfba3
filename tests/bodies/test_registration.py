"""Registration of bodies: rules, services and pages (self-registration, activation,
rejection, invitations from the target list, colleagues)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Role
from app.bodies import registration as reg
from app.bodies.models import Body, BodyRegistration, RegistrationStatus
from app.bodies.rules import colleague_role_allowed, normalise_name, registration_errors
from app.cycles import categories
from app.cycles.models import Cycle, CycleTarget
from app.db import utcnow
from app.errors import (
    DeadlinePassed,
    Forbidden,
    InvalidTransition,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from app.orgs.models import Organisation
from app.outbox.models import OutboxMessage
from tests.factories import CSRF, Factory, form, login, set_cookie

PASSWORD = "kata-sandi-rahasia"


def _data(cat_id: int, **kw: str) -> dict[str, str]:
    return {
        "kind": "utama",
        "cycle_category_id": str(cat_id),
        "parent_body_id": "",
        "body_name": "Pemerintah Kota Batu",
        "website": "https://batukota.go.id",
        "address": "Jl. Panglima Sudirman 507",
        "email": "humas@batukota.go.id",
        "phone": "0341-512345",
        "ppid_name": "Drs. Budi Santoso",
        "ppid_email": "ppid@batukota.go.id",
        "ppid_phone": "0341-512346",
        "respondent_name": "Sari Wulandari",
        "respondent_position": "Staf PPID",
        "respondent_email": "sari@batukota.go.id",
        "respondent_phone": "0812000000",
        **kw,
    }


def _registration_cycle(factory: Factory, org: Organisation) -> Cycle:
    """An open cycle whose registration stage is open now (SAQ opens in 15 days)."""
    return factory.cycle(org, is_open=True, now=utcnow() + timedelta(days=16))


def _cat_id(db: Session, cycle: Cycle) -> int:
    return categories.categories_of(db, cycle)[0].id


def _submit(db: Session, cycle: Cycle, ip: str = "10.0.0.1", **kw: str) -> BodyRegistration:
    return reg.submit_registration(
        db, cycle, _data(_cat_id(db, cycle), **kw), password=PASSWORD, password2=PASSWORD, ip=ip
    )


# --- rules ---------------------------------------------------------------------------------------


def test_the_form_rules_list_every_problem_at_once() -> None:
    errors = registration_errors(
        {"kind": "utama", "body_name": " ", "respondent_email": "bukan-email", "website": "batu"},
        password="pendek",
        password2="pendek",
        category_ids={1},
        parent_ids=set(),
    )
    assert set(errors) == {
        "body_name",
        "cycle_category_id",
        "respondent_name",
        "ppid_name",
        "respondent_email",
        "website",
        "password",
    }


def test_a_unit_needs_a_parent_and_no_category() -> None:
    base = _data(0, kind="pelaksana", parent_body_id="7", cycle_category_id="")
    ok = registration_errors(
        base, password=PASSWORD, password2=PASSWORD, category_ids=set(), parent_ids={7}
    )
    assert ok == {}
    bad = registration_errors(
        {**base, "parent_body_id": "8"},
        password=PASSWORD,
        password2=PASSWORD + "x",
        category_ids=set(),
        parent_ids={7},
    )
    assert set(bad) == {"parent_body_id", "password2"}


def test_names_compare_without_case_and_spacing() -> None:
    assert normalise_name("  Pemerintah  Kota batu ") == normalise_name("pemerintah kota BATU")


@pytest.mark.parametrize(
    ("role", "unit", "allowed"),
    [
        ("operator", False, True),
        ("operator", True, True),
        ("atasan_ppid", False, True),
        ("atasan_ppid", True, False),
        ("sekretariat", False, False),
    ],
)
def test_who_an_operator_may_invite(role: str, unit: bool, allowed: bool) -> None:
    assert colleague_role_allowed(role, body_is_unit=unit) is allowed


# --- services ------------------------------------------------------------------------------------


def test_a_registration_waits_and_activation_makes_a_target_and_an_operator(
    db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    r = _submit(db, cycle)
    assert r.status == RegistrationStatus.PENDING and r.password_hash
    assert accounts.get_user_by_email(db, "sari@batukota.go.id") is None  # no account yet
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    reg.activate_registration(db, sek, cycle, r)
    body = db.get(Body, r.body_id)
    assert body is not None and body.ppid_name == "Drs. Budi Santoso"
    target = db.scalars(
        select(CycleTarget).where(CycleTarget.cycle_id == cycle.id, CycleTarget.body_id == body.id)
    ).one()
    assert target.cycle_category_id == _cat_id(db, cycle)
    user = accounts.authenticate(db, "sari@batukota.go.id", PASSWORD, "10.0.0.1")
    actor = accounts.build_actor(db, user, org.id)
    assert actor.acts_for_body(body.id, Role.OPERATOR)
    assert r.status == RegistrationStatus.ACTIVATED and r.password_hash is None
    subjects = db.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.id)).all()
    assert subjects[-1] == "Pendaftaran Pemerintah Kota Batu telah diaktifkan"
    with pytest.raises(InvalidTransition):
        reg.activate_registration(db, sek, cycle, r)


def test_activation_links_an_existing_body_without_operator(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    existing = factory.body(org, "Pemerintah Kota Batu")
    r = _submit(db, cycle, body_name="pemerintah  kota batu")
    reg.activate_registration(db, factory.actor(factory.user(org, Role.SEKRETARIAT)), cycle, r)
    assert r.body_id == existing.id
    assert existing.website == "https://batukota.go.id"


def test_a_unit_registration_names_its_parent_and_is_no_target(
    db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    parent = categories.list_targets(db, cycle)[0]
    r = _submit(
        db,
        cycle,
        kind="pelaksana",
        parent_body_id=str(parent.id),
        cycle_category_id="",
        body_name="Dinas Kesehatan",
    )
    reg.activate_registration(db, factory.actor(factory.user(org, Role.SEKRETARIAT)), cycle, r)
    unit = db.get(Body, r.body_id)
    assert unit is not None and unit.parent_id == parent.id
    assert unit.id not in {b.id for b in categories.list_targets(db, cycle)}


def test_rejection_needs_a_reason_and_tells_the_respondent(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    r = _submit(db, cycle)
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    with pytest.raises(ValidationFailed):
        reg.reject_registration(db, sek, cycle, r, reason="  ")
    reg.reject_registration(db, sek, cycle, r, reason="Bukan badan publik di provinsi ini.")
    assert r.status == RegistrationStatus.REJECTED and r.password_hash is None
    msg = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert msg is not None and msg.to_address == "sari@batukota.go.id"
    assert "Bukan badan publik di provinsi ini." in msg.body_text
    again = _submit(db, cycle)  # a rejected body may register again, corrected
    assert again.status == RegistrationStatus.PENDING


def test_a_duplicate_email_is_refused(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    factory.user(email="sari@batukota.go.id")
    with pytest.raises(ValidationFailed) as exc:
        _submit(db, cycle)
    assert "respondent_email" in exc.value.field_errors
    _submit(db, cycle, respondent_email="lain@batukota.go.id")
    with pytest.raises(ValidationFailed) as pending:
        _submit(db, cycle, respondent_email="LAIN@batukota.go.id", body_name="Kota Lain")
    assert "respondent_email" in pending.value.field_errors


def test_an_already_registered_body_is_refused(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    body = factory.body(org, "Pemerintah Kota Batu")
    factory.user(org, Role.OPERATOR, body=body)
    with pytest.raises(ValidationFailed) as exc:
        _submit(db, cycle, body_name="PEMERINTAH KOTA BATU")
    assert "sudah memiliki operator" in exc.value.field_errors["body_name"]


def test_a_body_pending_activation_cannot_register_twice(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    _submit(db, cycle)
    with pytest.raises(ValidationFailed) as exc:
        _submit(db, cycle, respondent_email="rekan@batukota.go.id")
    assert "menunggu aktivasi" in exc.value.field_errors["body_name"]


def test_registration_outside_the_stage_is_refused(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)  # SAQ open now: registration closed 11 days ago
    with pytest.raises(DeadlinePassed):
        _submit(db, cycle)
    early = factory.cycle(org, is_open=True, now=utcnow() + timedelta(days=40))
    with pytest.raises(InvalidTransition):
        _submit(db, early)
    draft = factory.cycle(org)
    with pytest.raises(NotFound):
        reg.get_cycle_for_registration(db, draft.id)
    assert db.scalars(select(BodyRegistration)).all() == []


def test_self_registration_is_throttled_per_ip(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    for i in range(5):
        with pytest.raises(ValidationFailed):
            _submit(db, cycle, ip="10.9.9.9", respondent_email=f"x{i}@")
    with pytest.raises(TooManyRequests):
        _submit(db, cycle, ip="10.9.9.9")
    assert _submit(db, cycle, ip="10.9.9.10").id  # another address is not affected


def test_only_the_cycles_sekretariat_decides(db: Session, factory: Factory) -> None:
    org, other = factory.commission(), factory.commission()
    cycle = _registration_cycle(factory, org)
    r = _submit(db, cycle)
    for actor in (
        factory.actor(factory.user(org, Role.KOMISIONER)),
        factory.actor(factory.user(other, Role.SEKRETARIAT)),
    ):
        with pytest.raises(Forbidden):
            reg.activate_registration(db, actor, cycle, r)
        with pytest.raises(Forbidden):
            reg.list_registrations(db, actor, cycle)


def test_invitations_go_to_targets_without_operator(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    with_op, with_mail = categories.list_targets(db, cycle)[:2]
    without_mail = factory.body(org, "Pemerintah Kota Tanpa Email")
    factory.user(org, Role.OPERATOR, body=with_op)
    with_mail.ppid_email = "ppid@kota.go.id"
    with_mail.ppid_name = "Rina"
    categories.set_target(
        db,
        factory.actor(factory.user(org, Role.SEKRETARIAT)),
        cycle,
        body_id=without_mail.id,
        category_id=_cat_id(db, cycle),
    )
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    run = reg.invite_targets(db, sek, cycle)
    assert run.invited == [with_mail.name] and run.without_email == [without_mail.name]
    user = accounts.get_user_by_email(db, "ppid@kota.go.id")
    assert user is not None and user.full_name == "Rina" and user.password_hash is None
    assert accounts.build_actor(db, user, org.id).acts_for_body(with_mail.id, Role.OPERATOR)
    invite = db.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "ppid@kota.go.id")
    ).one()
    assert "/atur-sandi/" in invite.body_text
    again = reg.invite_targets(db, sek, cycle)  # the invited body now has an operator
    assert again.invited == []


def test_an_operator_invites_colleagues_and_the_ppid_utama_an_atasan(
    db: Session, factory: Factory
) -> None:
    org = factory.commission()
    body = factory.body(org)
    unit = factory.body(org, parent_id=body.id)
    op = factory.actor(factory.user(org, Role.OPERATOR, body=body))
    colleague = reg.invite_colleague(
        db, op, body, email="rekan@kota.go.id", full_name="Rekan", role=Role.OPERATOR
    )
    atasan = reg.invite_colleague(
        db, op, body, email="kadis@kota.go.id", full_name="Kadis", role=Role.ATASAN_PPID
    )
    assert accounts.build_actor(db, colleague, org.id).acts_for_body(body.id, Role.OPERATOR)
    assert accounts.build_actor(db, atasan, org.id).acts_for_body(body.id, Role.ATASAN_PPID)
    with pytest.raises(ValidationFailed):  # already a colleague
        reg.invite_colleague(db, op, body, email="rekan@kota.go.id", full_name="R", role="operator")
    unit_op = factory.actor(factory.user(org, Role.OPERATOR, body=unit))
    with pytest.raises(ValidationFailed):
        reg.invite_colleague(db, unit_op, unit, email="a@b.id", full_name="A", role="atasan_ppid")
    with pytest.raises(ValidationFailed):
        reg.invite_colleague(db, op, body, email="bukan-email", full_name="A", role="operator")
    with pytest.raises(Forbidden):
        reg.invite_colleague(db, unit_op, body, email="c@d.id", full_name="C", role="operator")
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    with pytest.raises(Forbidden):
        reg.invite_colleague(db, sek, body, email="e@f.id", full_name="E", role="operator")


# --- pages ---------------------------------------------------------------------------------------


def _anon(client: TestClient) -> TestClient:
    set_cookie(client, "monev_csrf", CSRF)
    return client


def test_the_public_form_registers_and_keeps_input_on_errors(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    page = _anon(client).get(f"/daftar/{cycle.id}")
    assert page.status_code == 200 and "Kirim pendaftaran" in page.text
    bad = client.post(
        f"/daftar/{cycle.id}",
        data=form(**_data(_cat_id(db, cycle), respondent_email="sari@"), password=PASSWORD),
    )
    assert bad.status_code == 422
    assert "Alamat email tidak valid." in bad.text and "Pemerintah Kota Batu" in bad.text
    ok = client.post(
        f"/daftar/{cycle.id}",
        data=form(**_data(_cat_id(db, cycle)), password=PASSWORD, password2=PASSWORD),
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/daftar/{cycle.id}"
    assert db.scalars(select(BodyRegistration.body_name)).all() == ["Pemerintah Kota Batu"]


def test_the_public_form_says_when_registration_is_closed(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    page = _anon(client).get(f"/daftar/{cycle.id}")
    assert "Pendaftaran tidak dibuka saat ini" in page.text and "Kirim pendaftaran" not in page.text
    r = client.post(
        f"/daftar/{cycle.id}",
        data=form(**_data(_cat_id(db, cycle)), password=PASSWORD, password2=PASSWORD),
    )
    assert r.status_code == 409 and "ditutup" in r.text
    assert _anon(client).get(f"/daftar/{factory.cycle(org).id}").status_code == 404


def test_too_many_registrations_from_one_address_get_429(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    _anon(client)
    codes = [
        client.post(f"/daftar/{cycle.id}", data=form(body_name="x")).status_code for _ in range(6)
    ]
    assert codes == [422] * 5 + [429]


def test_the_sekretariat_activates_and_rejects_from_the_queue(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    a = _submit(db, cycle)
    b = _submit(db, cycle, body_name="Kota Lain", respondent_email="lain@kota.go.id")
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    page = client.get(f"/siklus/{cycle.id}/pendaftaran")
    assert page.status_code == 200 and "Pemerintah Kota Batu" in page.text
    r = client.post(f"/siklus/{cycle.id}/pendaftaran/{a.id}/aktifkan", data=form())
    assert r.status_code == 303
    no_reason = client.post(f"/siklus/{cycle.id}/pendaftaran/{b.id}/tolak", data=form(reason=""))
    assert no_reason.status_code == 422 and "Alasan penolakan wajib diisi." in no_reason.text
    r = client.post(f"/siklus/{cycle.id}/pendaftaran/{b.id}/tolak", data=form(reason="Ganda."))
    assert r.status_code == 303
    db.refresh(a)
    db.refresh(b)
    assert (a.status, b.status) == ("activated", "rejected")
    twice = client.post(f"/siklus/{cycle.id}/pendaftaran/{a.id}/aktifkan", data=form())
    assert twice.status_code == 409
    done = client.get(f"/siklus/{cycle.id}/pendaftaran?status=rejected")
    assert "Ganda." in done.text


def test_activation_refused_when_the_email_was_taken_meanwhile(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = _registration_cycle(factory, org)
    a = _submit(db, cycle)
    factory.user(email="sari@batukota.go.id")
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.post(f"/siklus/{cycle.id}/pendaftaran/{a.id}/aktifkan", data=form())
    assert r.status_code == 422 and "sudah dipakai akun lain" in r.text
    db.refresh(a)
    assert a.status == "pending"


def test_the_invite_button_and_the_colleague_form(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    target = categories.list_targets(db, cycle)[0]
    target.email = "kontak@kota.go.id"
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.post(f"/siklus/{cycle.id}/undangan", data=form(), follow_redirects=False)
    assert r.status_code == 303
    assert accounts.get_user_by_email(db, "kontak@kota.go.id") is not None
    op = factory.user(org, Role.OPERATOR, body=target)
    login(client, db, op)
    page = client.get(f"/badan-publik/{target.id}")
    assert "Undang rekan" in page.text and "Atasan PPID" in page.text
    bad = client.post(
        f"/badan-publik/{target.id}/rekan", data=form(email="salah", full_name="Rekan Baru")
    )
    assert bad.status_code == 422 and "Rekan Baru" in bad.text
    ok = client.post(
        f"/badan-publik/{target.id}/rekan",
        data=form(email="rekan@kota.go.id", full_name="Rekan Baru", role="operator"),
        follow_redirects=False,
    )
    assert ok.status_code == 303
    user = db.scalars(select(User).where(User.email == "rekan@kota.go.id")).one()
    assert accounts.build_actor(db, user, org.id).acts_for_body(target.id, Role.OPERATOR)
