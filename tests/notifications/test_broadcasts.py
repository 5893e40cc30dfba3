from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.audit.models import AuditEvent
from app.bodies.models import Body
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.notifications.broadcasts import (
    get_broadcast_for_actor,
    preview,
    save_draft,
    send_broadcast,
)
from app.notifications.models import Notification
from app.orgs.models import Organisation
from app.outbox.models import OutboxMessage
from app.outbox.service import deliver_pending
from tests.factories import Factory
from tests.notifications.conftest import Mailbox

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SUBJECT = "Undangan bimtek SAQ untuk {{ body_name }}"
BODY = (
    "Yth. {{ recipient_name }},\n\n{{ commission }} mengundang {{ body_name }} "
    "(kategori {{ category }}) ke bimtek pengisian SAQ. Masuk di {{ login_url }}."
)


@dataclass
class World:
    kota: Body
    opd: Body
    bumd: Body
    op: User
    sek: Actor


def _world(factory: Factory) -> tuple[Organisation, World]:
    org = factory.commission()
    kota = factory.body(org, "Pemerintah Kota Pasuruan", email="kota@pasuruankota.go.id")
    opd = factory.body(
        org, "Dinas Kominfo Provinsi", category="opd_pemprov", email="kominfo@jatimprov.go.id"
    )
    bumd = factory.body(org, "Bank Daerah", category="opd_pemprov")  # no address at all
    factory.body(org, "Kota Lama", is_active=False, email="lama@kota.go.id")
    op = factory.user(org, Role.OPERATOR, body=kota, email="ani@pasuruankota.go.id")
    sek = factory.user(org, Role.SEKRETARIAT)
    return org, World(kota, opd, bumd, op, factory.actor(sek))


def test_a_broadcast_is_previewed_then_sent_once_to_each_recipient(
    db: Session, factory: Factory, smtp_server: Mailbox
) -> None:
    org, w = _world(factory)
    sek = w.sek
    b = save_draft(db, sek, subject=SUBJECT, body=BODY, audience="all", category_codes=[])
    p = preview(db, sek, b)
    assert p.count == 2 and p.error == ""
    assert [b_.name for b_ in p.recipients.without_address] == ["Bank Daerah"]
    first = p.samples[0]
    assert first.recipient.address == "kominfo@jatimprov.go.id"
    assert first.subject == "Undangan bimtek SAQ untuk Dinas Kominfo Provinsi"
    assert "Yth. Bapak/Ibu PPID" in first.body and "OPD Pemerintah Provinsi" in first.body
    assert p.samples[1].recipient.address == "ani@pasuruankota.go.id"  # operator, not body
    assert db.scalars(select(OutboxMessage)).all() == []  # nothing leaves before confirming

    assert send_broadcast(db, sek, b, expected_count=2) == 2
    with pytest.raises(InvalidTransition):
        send_broadcast(db, sek, b, expected_count=2)
    assert deliver_pending(db, now=T0) == 2
    got = {r.rcpt_tos[0]: r for r in smtp_server.received}
    assert set(got) == {"kominfo@jatimprov.go.id", "ani@pasuruankota.go.id"}
    ani = got["ani@pasuruankota.go.id"]
    assert ani.subject == "Undangan bimtek SAQ untuk Pemerintah Kota Pasuruan"
    assert "Yth. Pengguna Uji" in ani.text and f"Sekretariat {org.name}" in ani.text
    assert "http://testserver/masuk" in ani.text
    notes = db.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(w.op.id, "broadcast")]
    audit = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "broadcast")).all()
    assert audit == ["broadcast.created", "broadcast.sent"]
    assert b.status == "sent" and b.recipient_count == 2


def test_a_broadcast_to_chosen_categories_reaches_only_those(db: Session, factory: Factory) -> None:
    _org, w = _world(factory)
    b = save_draft(
        db,
        w.sek,
        subject="Pengumuman",
        body="Untuk OPD.",
        audience="categories",
        category_codes=["opd_pemprov"],
    )
    p = preview(db, w.sek, b)
    assert [r.body_name for r in p.recipients.recipients] == ["Dinas Kominfo Provinsi"]


def test_it_refuses_to_send_when_the_recipients_changed_since_the_preview(
    db: Session, factory: Factory
) -> None:
    org, w = _world(factory)
    b = save_draft(db, w.sek, subject="S", body="B", audience="all", category_codes=[])
    factory.body(org, "Badan Baru", email="baru@x.go.id")
    with pytest.raises(Conflict, match=r"2 → 3"):
        send_broadcast(db, w.sek, b, expected_count=2)
    assert b.status == "draft" and db.scalars(select(OutboxMessage)).all() == []


def test_an_invalid_address_is_queued_as_failed_to_be_fixed(db: Session, factory: Factory) -> None:
    org, w = _world(factory)
    factory.body(org, "Desa Salah Ketik", email="desa@salah ketik.id")
    b = save_draft(db, w.sek, subject="S", body="B", audience="all", category_codes=[])
    p = preview(db, w.sek, b)
    assert [r.body_name for r in p.recipients.invalid] == ["Desa Salah Ketik"]
    send_broadcast(db, w.sek, b, expected_count=3)
    failed = db.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
    assert failed.to_address == "desa@salah ketik.id" and "spasi" in failed.last_error


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"subject": "Halo {{ nama }}"}, "subject"),
        ({"body": "{{ password_hash }}"}, "body"),
        ({"audience": "semua"}, "audience"),
        ({"audience": "categories", "category_codes": []}, "category_codes"),
        ({"audience": "categories", "category_codes": ["kementerian"]}, "category_codes"),
    ],
)
def test_it_rejects_a_broken_draft_with_the_field_named(
    db: Session, factory: Factory, fields: dict[str, object], error_field: str
) -> None:
    _org, w = _world(factory)
    data: dict[str, object] = {
        "subject": "S",
        "body": "B",
        "audience": "all",
        "category_codes": [],
        **fields,
    }
    with pytest.raises(ValidationFailed) as err:
        save_draft(db, w.sek, **data)
    assert error_field in err.value.field_errors


def test_only_the_sekretariat_of_the_commission_handles_its_broadcasts(
    db: Session, factory: Factory
) -> None:
    org, w = _world(factory)
    b = save_draft(db, w.sek, subject="S", body="B", audience="all", category_codes=[])
    outsider = factory.actor(factory.user(factory.commission(), Role.SEKRETARIAT))
    komisioner = factory.actor(factory.user(org, Role.KOMISIONER))
    with pytest.raises(NotFound):
        get_broadcast_for_actor(db, outsider, b.id)
    with pytest.raises(Forbidden):
        get_broadcast_for_actor(db, komisioner, b.id)
    with pytest.raises(Forbidden):
        save_draft(db, komisioner, subject="S", body="B", audience="all", category_codes=[])


def test_a_sent_broadcast_cannot_be_edited(db: Session, factory: Factory) -> None:
    _org, w = _world(factory)
    sek = w.sek
    b = save_draft(db, sek, subject="S", body="B", audience="all", category_codes=[])
    send_broadcast(db, sek, b, expected_count=2)
    with pytest.raises(InvalidTransition):
        save_draft(db, sek, broadcast=b, subject="S2", body="B", audience="all", category_codes=[])
