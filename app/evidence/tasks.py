"""Evidence housekeeping on the job queue: the orphan sweep, and the retention purge when set."""

from __future__ import annotations

import logging

from huey import crontab

from app.config import get_settings
from app.db import SessionLocal, get_engine
from app.evidence.retention import purge, sweep_orphans
from app.jobs.queue import huey

log = logging.getLogger("monev.evidence")


@huey.periodic_task(crontab(minute="17", hour="2"))
def evidence_housekeeping() -> dict[str, int]:
    """Nightly: remove what killed uploads left, then purge expired evidence if configured."""
    get_engine()
    years = get_settings().evidence_retention_years
    with SessionLocal() as db, db.begin():
        swept = sweep_orphans(db)
        purged = purge(db, years=years).files if years else 0
    result = {
        "staging_removed": len(swept.staging_removed),
        "blobs_removed": len(swept.blobs_removed),
        "files_purged": purged,
    }
    log.info("evidence housekeeping: %s", result)
    return result
