"""Reminders on the job queue: every registered trigger, once an hour."""

from __future__ import annotations

from huey import crontab

from app.db import get_engine
from app.jobs.queue import huey
from app.notifications.reminders import run_reminder_triggers


@huey.periodic_task(crontab(minute="5"))
def send_reminders() -> dict[str, int]:
    """Send the reminders that have become due (each once per trigger and person)."""
    get_engine()
    return run_reminder_triggers()
