import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.errors import NotFound
from app.notifications.models import Notification
from app.notifications.service import (
    get_notification_for_owner,
    list_notifications,
    mark_all_read,
    mark_read,
    notify,
    notify_body,
    notify_role,
    opted_out_of_optional,
    set_optional_reminders,
    unread_count,
)
from tests.factories import Factory


def test_notify_gives_each_person_one_notification(db: Session, factory: Factory) -> None:
    org = factory.commission()
    a, b = factory.user(org, Role.JURI), factory.user(org, Role.JURI)
    n = notify(
        db,
        [a.id, b.id, a.id],
        kind="slot.scheduled",
        title="Jadwal presentasi: 12 Oktober, 09.00",
        link="/jadwal/5",
        organisation_id=org.id,
    )
    assert n == 2
    assert unread_count(db, factory.actor(a)) == 1
    assert unread_count(db, factory.actor(b)) == 1


def test_notify_refuses_links_leaving_the_application(db: Session, factory: Factory) -> None:
    u = factory.user()
    with pytest.raises(ValueError):
        notify(db, [u.id], kind="x", title="x", link="https://phishing.example/login")


def test_notify_body_reaches_its_operators_and_atasan_but_not_revoked_or_inactive_people(
    db: Session, factory: Factory
) -> None:
    org = factory.commission()
    body, other = factory.body(org), factory.body(org)
    op = factory.user(org, Role.OPERATOR, body=body)
    atasan = factory.user(org, Role.ATASAN_PPID, body=body)
    gone = factory.user(org, Role.OPERATOR, body=body)
    accounts.revoke_grant(db, accounts.active_grants(db, gone.id)[0], actor_user_id=None)
    off = factory.user(org, Role.OPERATOR, body=body)
    off.is_active = False
    factory.user(org, Role.OPERATOR, body=other)
    n = notify_body(
        db,
        body.id,
        organisation_id=org.id,
        kind="appeal.decided",
        title="Sanggahan diputus",
        exclude_user_id=atasan.id,
    )
    assert n == 1
    got = db.scalars(select(Notification.user_id)).all()
    assert got == [op.id]


def test_notify_role_reaches_the_commissions_role_holders(db: Session, factory: Factory) -> None:
    org, other = factory.commission(), factory.commission()
    s1, s2 = factory.user(org, Role.SEKRETARIAT), factory.user(org, Role.SEKRETARIAT)
    factory.user(other, Role.SEKRETARIAT)
    factory.user(org, Role.JURI)
    assert notify_role(db, org.id, Role.SEKRETARIAT, kind="x", title="t") == 2
    assert set(db.scalars(select(Notification.user_id))) == {s1.id, s2.id}


def test_only_the_recipient_reads_and_marks_a_notification(db: Session, factory: Factory) -> None:
    org = factory.commission()
    owner, other = factory.user(org, Role.OPERATOR, body=factory.body(org)), factory.user(org)
    notify(db, [owner.id], kind="k", title="Satu")
    notify(db, [owner.id], kind="k", title="Dua")
    me, them = factory.actor(owner), factory.actor(other)
    page = list_notifications(db, me)
    assert [n.title for n in page.items] == ["Dua", "Satu"] and page.unread == 2
    first = page.items[0]
    with pytest.raises(NotFound):
        get_notification_for_owner(db, them, first.id)
    with pytest.raises(NotFound):
        mark_read(db, them, first)
    mark_read(db, me, get_notification_for_owner(db, me, first.id))
    assert unread_count(db, me) == 1
    assert mark_all_read(db, them) == 0
    assert mark_all_read(db, me) == 1 and unread_count(db, me) == 0


def test_a_person_can_switch_optional_reminders_off_and_on(db: Session, factory: Factory) -> None:
    u = factory.user()
    me = factory.actor(u)
    assert not opted_out_of_optional(db, u.id)
    set_optional_reminders(db, me, enabled=False)
    set_optional_reminders(db, me, enabled=False)  # no change, no second audit record
    assert opted_out_of_optional(db, u.id)
    set_optional_reminders(db, me, enabled=True)
    assert not opted_out_of_optional(db, u.id)
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "user.reminder_preference_changed")
    ).all()
    assert len(actions) == 2
