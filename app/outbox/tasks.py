"""Outbox delivery on the job queue: one task per new message, and a sweep every minute."""

from __future__ import annotations

from huey import crontab

from app.db import get_engine
from app.jobs.queue import huey
from app.outbox.service import deliver_due, deliver_ids


@huey.task()
def send_outbox_message(message_id: int) -> int:
    """Send one message right after the transaction that queued it has committed."""
    get_engine()
    return deliver_ids([message_id])


@huey.periodic_task(crontab(minute="*"))
def deliver_outbox() -> int:
    """Every minute: retry what is due (exponential backoff) and settle dead attempts."""
    get_engine()
    return deliver_due()
