"""Keeping evidence only as long as it is needed, and nothing that nobody references.

- **Retention purge** (`plan_purge` / `purge`): the evidence files of cycles older than N years
  lose their bytes; their records, the answers and the audit trail stay (a download says the
  file was removed by the retention rule). Bytes shared with a file that is kept stay stored.
- **Orphan sweep** (`sweep_orphans`): upload temp files left by a killed worker, and stored
  blobs that no record references (a worker killed between storing the bytes and committing the
  record), once they are older than a grace period that covers uploads still in flight.

Removing bytes and recording it happen under the blob row's lock, in the same transaction, so
an upload of the same bytes at the same moment either sees the purge and stores them again
(`service._ensure_blob`) or makes the purge skip that blob.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from app.audit.service import record
from app.cycles.models import Cycle
from app.db import utcnow
from app.evidence.models import EvidenceBlob, EvidenceFile
from app.evidence.storage import Storage, StoredObject, blob_key, get_storage, sha256_of_key

SWEEP_GRACE = timedelta(hours=6)


@dataclass(frozen=True)
class PurgeCycle:
    cycle_id: int
    organisation_id: int
    name: str
    year: int
    files: int
    bytes: int


@dataclass
class PurgePlan:
    """What a purge would remove: per cycle, and the blobs no kept file shares."""

    cutoff_year: int
    cycles: list[PurgeCycle] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)
    blob_bytes: int = 0

    @property
    def files(self) -> int:
        return sum(c.files for c in self.cycles)


def cutoff_year(today: datetime, years: int) -> int:
    """Cycles of this year or earlier are older than `years` full years."""
    if years < 1:
        raise ValueError("retention must be at least 1 year")
    return today.year - years - 1


def _expired_files(cutoff: int) -> ColumnElement[bool]:
    return and_(
        EvidenceFile.purged_at.is_(None),
        EvidenceFile.cycle_id.in_(select(Cycle.id).where(Cycle.year <= cutoff)),
    )


def plan_purge(db: Session, *, years: int, now: datetime | None = None) -> PurgePlan:
    """The dry run: which cycles' files and which blobs a purge would remove now."""
    cutoff = cutoff_year(now or utcnow(), years)
    plan = PurgePlan(cutoff)
    rows = db.execute(
        select(
            Cycle.id,
            Cycle.organisation_id,
            Cycle.name,
            Cycle.year,
            func.count(EvidenceFile.id),
            func.coalesce(func.sum(EvidenceFile.size), 0),
        )
        .join(EvidenceFile, EvidenceFile.cycle_id == Cycle.id)
        .where(_expired_files(cutoff))
        .group_by(Cycle.id, Cycle.organisation_id, Cycle.name, Cycle.year)
        .order_by(Cycle.year, Cycle.id)
    ).all()
    plan.cycles = [PurgeCycle(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]
    for sha, size in db.execute(_orphaned_blobs(cutoff)):
        plan.blobs.append(sha)
        plan.blob_bytes += int(size)
    return plan


def _kept_reference(sha: str | InstrumentedAttribute[str], cutoff: int) -> Exists:
    """A file that is not being purged still points at these bytes."""
    kept = aliased(EvidenceFile, name="kept")
    return exists().where(
        kept.blob_sha256 == sha,
        kept.purged_at.is_(None),
        ~kept.cycle_id.in_(select(Cycle.id).where(Cycle.year <= cutoff)) | kept.cycle_id.is_(None),
    )


def _orphaned_blobs(cutoff: int) -> Select[str, int]:
    expiring = select(EvidenceFile.blob_sha256).where(_expired_files(cutoff)).distinct()
    return (
        select(EvidenceBlob.sha256, EvidenceBlob.size)
        .where(
            EvidenceBlob.sha256.in_(expiring),
            EvidenceBlob.purged_at.is_(None),
            ~_kept_reference(EvidenceBlob.sha256, cutoff),
        )
        .order_by(EvidenceBlob.sha256)
    )


def purge(
    db: Session,
    *,
    years: int,
    actor_user_id: int | None = None,
    now: datetime | None = None,
    storage: Storage | None = None,
) -> PurgePlan:
    """Carry out the plan: mark the files purged and remove bytes nothing kept still uses.

    Each blob is re-checked under its row lock right before its bytes go, so an upload that
    started to reference it after the plan was made keeps it.
    """
    now = now or utcnow()
    store = storage or get_storage()
    plan = plan_purge(db, years=years, now=now)
    removed: list[str] = []
    for sha in plan.blobs:
        blob = db.execute(
            select(EvidenceBlob).where(EvidenceBlob.sha256 == sha).with_for_update()
        ).scalar_one()
        still_used = db.scalar(select(_kept_reference(sha, plan.cutoff_year)))
        if still_used or blob.purged_at is not None:
            continue
        store.delete(blob_key(sha))
        blob.purged_at = now
        removed.append(sha)
    plan.blobs = removed
    for c in plan.cycles:
        db.execute(
            update(EvidenceFile)
            .where(EvidenceFile.cycle_id == c.cycle_id, EvidenceFile.purged_at.is_(None))
            .values(purged_at=now)
        )
        record(
            db,
            actor_user_id=actor_user_id,
            organisation_id=c.organisation_id,
            action="evidence.retention_purged",
            object_type="cycle",
            object_id=c.cycle_id,
            before={"files": c.files, "bytes": c.bytes},
            after={"purged_at": now.isoformat(), "retention_years": years},
        )
    return plan


# --- orphans -------------------------------------------------------------------------------


@dataclass
class SweepReport:
    staging_removed: list[str] = field(default_factory=list)
    blobs_removed: list[str] = field(default_factory=list)


def _older(items: Iterator[StoredObject], before: datetime) -> Iterator[StoredObject]:
    return (item for item in items if item.modified_at < before)


def sweep_orphans(
    db: Session,
    *,
    grace: timedelta = SWEEP_GRACE,
    now: datetime | None = None,
    storage: Storage | None = None,
    dry_run: bool = False,
) -> SweepReport:
    """Remove temp files and unreferenced blobs older than `grace` (uploads in flight are
    younger: their bytes are stored just before their record commits)."""
    store = storage or get_storage()
    before = (now or utcnow()) - grace
    report = SweepReport()
    for obj in _older(store.list_staging(), before):
        if not dry_run:
            store.delete_staging(obj.key)
        report.staging_removed.append(obj.key)
    known = select(EvidenceBlob.sha256)
    for obj in _older(store.list_blobs(), before):
        sha = sha256_of_key(obj.key)
        if sha is None or db.execute(known.where(EvidenceBlob.sha256 == sha)).first():
            continue
        if not dry_run:
            store.delete(obj.key)
        report.blobs_removed.append(obj.key)
    return report
