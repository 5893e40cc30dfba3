from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.bodies.models import Body
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.helpdesk import service
from app.helpdesk.models import FaqEntry
from app.notifications.models import Notification
from app.orgs.models import Organisation
from tests.factories import Factory


@dataclass
class People:
    org: Organisation
    body: Body
    operator: User
    atasan: User
    sek: User
    sibling_op: User
    outsider_sek: User
    juri: User


def _people(factory: Factory) -> People:
    org, other = factory.commission(), factory.commission()
    body, sibling = factory.body(org, "Pemerintah Kota Pasuruan"), factory.body(org)
    return People(
        org=org,
        body=body,
        operator=factory.user(org, Role.OPERATOR, body=body),
        atasan=factory.user(org, Role.ATASAN_PPID, body=body),
        sek=factory.user(org, Role.SEKRETARIAT),
        sibling_op=factory.user(org, Role.OPERATOR, body=sibling),
        outsider_sek=factory.user(other, Role.SEKRETARIAT),
        juri=factory.user(org, Role.JURI),
    )


def _notes(db: Session, user: User) -> list[str]:
    return list(db.scalars(select(Notification.title).where(Notification.user_id == user.id)))


def test_a_question_and_its_answer_notify_the_other_side(db: Session, factory: Factory) -> None:
    p = _people(factory)
    op, sek, atasan = factory.actor(p.operator), factory.actor(p.sek), factory.actor(p.atasan)
    t = service.ask(
        db,
        op,
        body_id=p.body.id,
        subject="Bukti SK PPID",
        message="Apakah SK PPID tahun lalu masih berlaku sebagai bukti?",
        item_code="1.1.2.0",
    )
    assert (t.status, t.item_code) == ("open", "1.1.2.0")
    assert _notes(db, p.sek) == ["Pertanyaan baru dari Pemerintah Kota Pasuruan: Bukti SK PPID"]
    assert _notes(db, p.operator) == []
    service.reply(db, sek, t, message="Berlaku bila belum diganti; unggah SK terakhir.")
    assert t.status == "answered"
    assert _notes(db, p.operator) == ["Komisi menjawab: Bukti SK PPID"]
    assert _notes(db, p.atasan) == ["Komisi menjawab: Bukti SK PPID"]
    service.close_thread(db, atasan, t)
    with pytest.raises(InvalidTransition):
        service.close_thread(db, sek, t)
    service.reply(db, op, t, message="Terima kasih, satu hal lagi …")
    assert t.status == "open"  # a body's reply reopens it
    assert len(_notes(db, p.sek)) == 2
    assert [m.is_from_commission for m in service.messages_of(db, t)] == [False, True, False]
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "helpdesk_thread")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["helpdesk.asked", "helpdesk.answered", "helpdesk.closed", "helpdesk.replied"]


def test_threads_are_seen_only_by_the_body_and_its_commissions_sekretariat(
    db: Session, factory: Factory
) -> None:
    p = _people(factory)
    t = service.ask(
        db,
        factory.actor(p.operator),
        body_id=p.body.id,
        subject="Q",
        message="M",
    )
    for who in ("operator", "atasan", "sek"):
        assert service.get_thread_for_actor(db, factory.actor(getattr(p, who)), t.id) is t
    for who in ("sibling_op", "outsider_sek", "juri"):
        with pytest.raises(NotFound):
            service.get_thread_for_actor(db, factory.actor(getattr(p, who)), t.id)
    assert [r.thread.id for r in service.list_threads(db, factory.actor(p.sek))] == [t.id]
    assert service.list_threads(db, factory.actor(p.sibling_op)) == []
    assert service.list_threads(db, factory.actor(p.outsider_sek)) == []
    with pytest.raises(Forbidden):
        service.list_threads(db, factory.actor(p.juri))


def test_nobody_asks_for_a_body_they_do_not_belong_to(db: Session, factory: Factory) -> None:
    p = _people(factory)
    with pytest.raises(ValidationFailed):
        service.ask(
            db,
            factory.actor(p.sibling_op),
            body_id=p.body.id,
            subject="Q",
            message="M",
        )


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"subject": ""}, "subject"),
        ({"message": "  "}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"item_code": "2.3 atau 2.4"}, "item_code"),
    ],
)
def test_a_bad_question_names_the_field(
    db: Session, factory: Factory, fields: dict[str, str], error_field: str
) -> None:
    p = _people(factory)
    data = {"subject": "Q", "message": "M", "item_code": "", **fields}
    with pytest.raises(ValidationFailed) as err:
        service.ask(db, factory.actor(p.operator), body_id=p.body.id, **data)
    assert error_field in err.value.field_errors


def test_an_answer_becomes_a_published_faq_of_that_commission_only(
    db: Session, factory: Factory
) -> None:
    p = _people(factory)
    op, sek = factory.actor(p.operator), factory.actor(p.sek)
    t = service.ask(db, op, body_id=p.body.id, subject="Bukti", message="Format bukti?")
    service.reply(db, sek, t, message="PDF paling besar 2 MB per butir.")
    draft = service.faq_draft_from_thread(db, t)
    assert draft == {
        "question": "Format bukti?",
        "answer": "PDF paling besar 2 MB per butir.",
        "item_code": "",
    }
    entry = service.save_faq(db, sek, **draft, is_published=True, source_thread=t)
    org, public = service.public_faq(db, p.org.slug)
    assert [e.id for e in public] == [entry.id] and org.id == p.org.id
    service.save_faq(db, sek, question="Q2", answer="A2", is_published=False)
    assert len(service.public_faq(db, p.org.slug)[1]) == 1
    outsider = factory.actor(p.outsider_sek)
    with pytest.raises(NotFound):
        service.get_faq_for_actor(db, outsider, entry.id)
    with pytest.raises(NotFound):
        service.save_faq(db, outsider, question="x", answer="y", is_published=True, source_thread=t)
    with pytest.raises(Forbidden):
        service.save_faq(db, op, question="x", answer="y", is_published=True)
    with pytest.raises(NotFound):
        service.public_faq(db, "tidak-ada")
    assert db.scalars(select(FaqEntry.source_thread_id)).all().count(t.id) == 1
