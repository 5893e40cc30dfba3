"""Automatic reminders: each sent once per trigger and person, respecting opt-outs.

A trigger is one function `(db, now) -> number queued`, registered with `@reminder_trigger`;
it finds who must be reminded and calls `send_reminder_once` for each. The hourly task runs
every registered trigger, each in its own transaction. Deadline reminders (N days and 1 day
before a stage closes, the end of an extension), pending-work reminders for verifiers and
jurors and broken-evidence-link reminders are added the same way once cycles exist.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.accounts.models import PasswordResetToken, RoleGrant, User
from app.accounts.service import token_digest
from app.config import get_settings
from app.db import utcnow
from app.notifications.models import Reminder
from app.notifications.rules import invitation_reminder_due, wants_email
from app.notifications.service import opted_out_of_optional
from app.orgs.models import Organisation
from app.outbox.models import OutboxMessage
from app.outbox.service import Tx, insert_once, queue_email, worker_tx

log = logging.getLogger("monev.reminders")

Trigger = Callable[[Session, datetime], int]
TRIGGERS: dict[str, Trigger] = {}


def reminder_trigger(name: str) -> Callable[[Trigger], Trigger]:
    """Register a function that sends one kind of reminder when it is due."""

    def deco(fn: Trigger) -> Trigger:
        TRIGGERS[name] = fn
        return fn

    return deco


def send_reminder_once(
    db: Session,
    *,
    trigger_key: str,
    recipient: User,
    template: str,
    context: dict[str, Any],
    mandatory: bool = False,
    organisation_id: int | None = None,
    confidential: bool = False,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue the reminder `templates/email/<template>.txt` for one person, once per trigger key.

    `trigger_key` names the occasion (e.g. `deadline-7d:cycle:3:stage:saq:body:41`); calling
    again with the same key and person does nothing, however often the trigger runs. Optional
    reminders (`mandatory=False`) respect the person's opt-out; the occasion is still recorded,
    so opting back in later does not bring old reminders. `full_name` and `email` of the
    recipient are added to the template context. Returns the queued message, or None.
    """
    if not recipient.is_active:
        return None
    now = now or utcnow()
    opted_out = opted_out_of_optional(db, recipient.id)
    send = wants_email(mandatory=mandatory, opted_out=opted_out)
    reminder_id = insert_once(
        db,
        Reminder,
        {
            "trigger_key": trigger_key[:200],
            "user_id": recipient.id,
            "organisation_id": organisation_id,
            "outcome": "queued" if send else "opted_out",
            "fired_at": now,
        },
    )
    if reminder_id is None or not send:
        return None
    msg = queue_email(
        db,
        kind=f"reminder:{template}"[:60],
        to=recipient.email,
        template=template,
        context={"full_name": recipient.full_name, "email": recipient.email, **context},
        organisation_id=organisation_id,
        user_id=recipient.id,
        dedupe_key=f"reminder:{trigger_key}:{recipient.id}",
        confidential=confidential,
    )
    reminder = db.get(Reminder, reminder_id)
    if reminder is not None and msg is not None:
        reminder.outbox_message_id = msg.id
        db.flush()
    return msg


def run_reminder_triggers(
    *, now: datetime | None = None, tx: Tx = worker_tx, only: list[str] | None = None
) -> dict[str, int]:
    """Run every registered trigger in its own transaction; a failing one does not stop others."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for name, fn in sorted(TRIGGERS.items()):
        if only is not None and name not in only:
            continue
        try:
            with tx() as db:
                done[name] = fn(db, now)
        except Exception:  # one broken trigger must not silence the others
            log.exception("reminder trigger %s failed", name)
            done[name] = -1
    return done


# --- triggers -----------------------------------------------------------------------------------

INVITATION_TRIGGER = "invitation-unaccepted"
INVITATION_MAX_AGE_DAYS = 30
INVITATION_LINK_DAYS = 7


@reminder_trigger("invitation_unaccepted")
def remind_unaccepted_invitations(db: Session, now: datetime) -> int:
    """Invited people who have not set a password after N days get a fresh link, once."""
    days = get_settings().invitation_reminder_days
    has_role = exists().where(RoleGrant.user_id == User.id, RoleGrant.revoked_at.is_(None))
    reminded = exists().where(
        Reminder.user_id == User.id, Reminder.trigger_key == INVITATION_TRIGGER
    )
    candidates = db.scalars(
        select(User)
        .where(
            User.is_active,
            User.password_hash.is_(None),
            User.created_at > now - timedelta(days=INVITATION_MAX_AGE_DAYS),
            has_role,
            ~reminded,
        )
        .order_by(User.id)
    ).all()
    queued = 0
    for user in candidates:
        if not invitation_reminder_due(
            invited_at=user.created_at,
            now=now,
            after_days=days,
            max_age_days=INVITATION_MAX_AGE_DAYS,
        ):
            continue
        org = _first_organisation(db, user.id)
        msg = send_reminder_once(
            db,
            trigger_key=INVITATION_TRIGGER,
            recipient=user,
            template="invitation_reminder",
            context={
                "commission": org.name if org else "Komisi Informasi",
                "days": (now - user.created_at).days,
                "link": _fresh_invitation_link(db, user, now),
            },
            mandatory=True,  # account access, like a password reset: no opt-out
            organisation_id=org.id if org else None,
            confidential=True,
            now=now,
        )
        queued += msg is not None
    return queued


def _first_organisation(db: Session, user_id: int) -> Organisation | None:
    org_id = db.scalar(
        select(RoleGrant.organisation_id)
        .where(RoleGrant.user_id == user_id, RoleGrant.revoked_at.is_(None))
        .order_by(RoleGrant.id)
        .limit(1)
    )
    return db.get(Organisation, org_id) if org_id else None


def _fresh_invitation_link(db: Session, user: User, now: datetime) -> str:
    """A new set-password link (the first one may have expired; only its hash was kept)."""
    token = secrets.token_urlsafe(32)
    db.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_LINK_DAYS),
        )
    )
    db.flush()
    return f"{get_settings().base_url.rstrip('/')}/atur-sandi/{token}"


# The triggers that follow a cycle's schedule register themselves on import.
from app.notifications import cycle_reminders  # noqa: E402

_ = cycle_reminders
