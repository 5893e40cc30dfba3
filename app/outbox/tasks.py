"""Periodic delivery of the outbox on the job queue."""

from __future__ import annotations

from huey import crontab

from app.db import SessionLocal, get_engine
from app.jobs.queue import huey
from app.outbox.service import deliver_pending


@huey.periodic_task(crontab(minute="*"))
def deliver_outbox() -> int:
    """Send what is waiting in the outbox, every minute."""
    get_engine()
    with SessionLocal.begin() as db:
        return deliver_pending(db)
