"""Put e-mail in the outbox; the queue delivers it (in development: to the log)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.outbox.models import OutboxMessage

log = logging.getLogger("monev.outbox")


def queue_email(
    db: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    organisation_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Write a message to the outbox once; a repeated `dedupe_key` is not queued again."""
    if dedupe_key and db.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    msg = OutboxMessage(
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=body,
        organisation_id=organisation_id,
        dedupe_key=dedupe_key,
    )
    db.add(msg)
    db.flush()
    return msg


def deliver_pending(db: Session, limit: int = 100) -> int:
    """Deliver pending messages; without an SMTP server configured they are written to the log."""
    msgs = db.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending").limit(limit)
    ).all()
    for msg in msgs:
        msg.attempts += 1
        log.info("EMAIL to=%s subject=%s\n%s", msg.to_address, msg.subject, msg.body_text)
        msg.status = "sent"
        msg.sent_at = utcnow()
    return len(msgs)
