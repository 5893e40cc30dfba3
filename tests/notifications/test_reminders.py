from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import PasswordResetToken, User
from app.accounts.rules import Role
from app.accounts.service import token_digest
from app.notifications import reminders
from app.notifications.models import Reminder
from app.notifications.reminders import (
    TRIGGERS,
    remind_unaccepted_invitations,
    run_reminder_triggers,
    send_reminder_once,
)
from app.notifications.service import set_optional_reminders
from app.outbox.models import OutboxMessage
from app.outbox.service import deliver_pending
from tests.factories import Factory
from tests.notifications.conftest import Mailbox

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
CTX = {
    "commission": "Komisi Informasi Provinsi Jawa Timur",
    "days": 3,
    "link": "http://testserver/atur-sandi/x",
}


@pytest.fixture
def same_tx(db: Session) -> object:
    from contextlib import nullcontext

    return lambda: nullcontext(db)


def _outbox(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_reminder_is_queued_once_per_trigger_and_person(db: Session, factory: Factory) -> None:
    u = factory.user()
    first = send_reminder_once(
        db, trigger_key="uji:1", recipient=u, template="invitation_reminder", context=CTX, now=T0
    )
    again = send_reminder_once(
        db,
        trigger_key="uji:1",
        recipient=u,
        template="invitation_reminder",
        context=CTX,
        now=T0 + timedelta(hours=1),
    )
    assert first is not None and again is None
    other_trigger = send_reminder_once(
        db, trigger_key="uji:2", recipient=u, template="invitation_reminder", context=CTX, now=T0
    )
    assert other_trigger is not None
    assert len(_outbox(db)) == 2
    rows = db.scalars(select(Reminder).order_by(Reminder.id)).all()
    assert [(r.trigger_key, r.outcome, r.fired_at) for r in rows] == [
        ("uji:1", "queued", T0),
        ("uji:2", "queued", T0),
    ]
    assert rows[0].outbox_message_id == first.id
    assert first.user_id == u.id and first.kind == "reminder:invitation_reminder"
    assert u.full_name in first.body_text


def test_an_optional_reminder_respects_the_opt_out_and_stays_used(
    db: Session, factory: Factory
) -> None:
    u = factory.user()
    set_optional_reminders(db, factory.actor(u), enabled=False)
    msg = send_reminder_once(
        db, trigger_key="tenggat:7", recipient=u, template="invitation_reminder", context=CTX
    )
    assert msg is None and _outbox(db) == []
    assert db.scalars(select(Reminder.outcome)).all() == ["opted_out"]
    set_optional_reminders(db, factory.actor(u), enabled=True)
    late = send_reminder_once(
        db, trigger_key="tenggat:7", recipient=u, template="invitation_reminder", context=CTX
    )
    assert late is None  # opting back in does not bring back a reminder already due


def test_mandatory_mail_ignores_the_opt_out(db: Session, factory: Factory) -> None:
    u = factory.user()
    set_optional_reminders(db, factory.actor(u), enabled=False)
    msg = send_reminder_once(
        db,
        trigger_key="wajib:1",
        recipient=u,
        template="invitation_reminder",
        context=CTX,
        mandatory=True,
    )
    assert msg is not None


def test_inactive_people_get_no_reminder(db: Session, factory: Factory) -> None:
    u = factory.user()
    u.is_active = False
    assert (
        send_reminder_once(
            db, trigger_key="x", recipient=u, template="invitation_reminder", context=CTX
        )
        is None
    )
    assert db.scalars(select(Reminder)).all() == []


def _invite(db: Session, factory: Factory, at: datetime) -> User:
    org = factory.commission("KI Jatim")
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT, password="kata-sandi-panjang"))
    user = accounts.invite_user(
        db,
        sek,
        email="operator.baru@pasuruankota.go.id",
        full_name="Sari Operator",
        role=Role.OPERATOR,
        body_id=factory.body(org).id,
    )
    user.created_at = at
    db.flush()
    return user


def test_an_unaccepted_invitation_is_reminded_once_on_schedule(
    db: Session, factory: Factory, smtp_server: Mailbox
) -> None:
    user = _invite(db, factory, T0)
    deliver_pending(db, now=T0)  # the invitation itself
    assert len(smtp_server.received) == 1
    assert remind_unaccepted_invitations(db, T0 + timedelta(days=2, hours=23)) == 0
    assert remind_unaccepted_invitations(db, T0 + timedelta(days=3, hours=1)) == 1
    assert remind_unaccepted_invitations(db, T0 + timedelta(days=4)) == 0
    assert remind_unaccepted_invitations(db, T0 + timedelta(days=10)) == 0
    deliver_pending(db, now=T0 + timedelta(days=3, hours=1))
    reminder = smtp_server.received[-1]
    assert len(smtp_server.received) == 2
    assert reminder.rcpt_tos == ["operator.baru@pasuruankota.go.id"]
    assert reminder.subject.startswith("Pengingat: undangan akun Monev KIP dari Komisi Informasi")
    assert "Yth. Sari Operator" in reminder.text and "3 hari yang lalu" in reminder.text
    token = reminder.text.split("/atur-sandi/")[1].split()[0]
    row = db.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    ).one()  # a fresh link, valid a week from the reminder
    assert row.user_id == user.id and row.expires_at == T0 + timedelta(days=10, hours=1)
    msg = _outbox(db)[-1]
    assert msg.is_confidential and msg.organisation_id is not None


def test_an_accepted_invitation_is_not_reminded(db: Session, factory: Factory) -> None:
    user = _invite(db, factory, T0)
    user.password_hash = "set"
    db.flush()
    assert remind_unaccepted_invitations(db, T0 + timedelta(days=3, hours=1)) == 0


@pytest.fixture
def extra_trigger() -> Iterator[list[datetime]]:
    seen: list[datetime] = []

    def broken(db: Session, now: datetime) -> int:
        raise RuntimeError("rusak")

    def counting(db: Session, now: datetime) -> int:
        seen.append(now)
        return 7

    reminders.reminder_trigger("test_broken")(broken)
    reminders.reminder_trigger("test_counting")(counting)
    yield seen
    TRIGGERS.pop("test_broken", None)
    TRIGGERS.pop("test_counting", None)


def test_each_trigger_runs_with_the_given_clock_and_a_broken_one_stops_no_other(
    same_tx: object, extra_trigger: list[datetime]
) -> None:
    done = run_reminder_triggers(
        now=T0,
        tx=same_tx,
        only=["test_broken", "test_counting"],  # type: ignore[arg-type]
    )
    assert done == {"test_broken": -1, "test_counting": 7}
    assert extra_trigger == [T0]


def test_the_registered_triggers_include_the_invitation_reminder() -> None:
    assert TRIGGERS["invitation_unaccepted"] is remind_unaccepted_invitations


def test_the_hourly_task_runs_the_triggers(db: Session, factory: Factory) -> None:
    from app.notifications.tasks import send_reminders

    result = send_reminders.call_local()
    assert result["invitation_unaccepted"] == 0
