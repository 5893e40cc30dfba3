"""Retention purge and the orphan sweep, on both storage backends."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.errors import Gone
from app.evidence import retention, service
from app.evidence.models import EvidenceBlob, EvidenceFile
from app.evidence.rules import UploadPolicy
from app.evidence.storage import Storage, blob_key
from app.evidence.upload import stage_stream
from tests.evidence import pdfs
from tests.factories import Factory

NOW = datetime(2031, 6, 1, tzinfo=UTC)


class World:
    def __init__(self, factory: Factory, db: Session) -> None:
        self.db = db
        self.org = factory.commission()
        self.body = factory.body(self.org)
        self.operator = factory.actor(
            factory.user(self.org, Role.OPERATOR, body=self.body), self.org
        )
        self.old = factory.cycle(self.org, year=2024, ready=False)
        self.recent = factory.cycle(self.org, year=2029, ready=False)

    def save(self, data: bytes, cycle_id: int | None, name: str = "sk.pdf") -> EvidenceFile:
        staged = stage_stream(io.BytesIO(data), name, UploadPolicy())
        return service.save_evidence(self.db, self.operator, self.body, staged, cycle_id=cycle_id)


@pytest.fixture
def w(factory: Factory, db: Session) -> World:
    return World(factory, db)


def test_the_cutoff_counts_full_years_and_refuses_zero() -> None:
    assert retention.cutoff_year(NOW, 5) == 2025
    with pytest.raises(ValueError):
        retention.cutoff_year(NOW, 0)


def test_a_dry_run_lists_what_would_go_and_changes_nothing(
    db: Session, w: World, storage: Storage
) -> None:
    only_old = w.save(pdfs.pdf(text="laporan 2024"), w.old.id)
    shared = pdfs.pdf(text="SK PPID berlaku beberapa tahun")
    w.save(shared, w.old.id)
    w.save(shared, w.recent.id)  # the same bytes are still needed by a kept cycle
    plan = retention.plan_purge(db, years=5, now=NOW)
    assert [(c.cycle_id, c.files) for c in plan.cycles] == [(w.old.id, 2)]
    assert plan.blobs == [only_old.blob_sha256]
    assert plan.blob_bytes == only_old.size
    assert storage.exists(blob_key(only_old.blob_sha256))
    assert db.scalar(select(EvidenceFile.purged_at).where(EvidenceFile.id == only_old.id)) is None


def test_purging_removes_only_unshared_bytes_keeps_records_and_is_audited(
    db: Session, w: World, storage: Storage
) -> None:
    only_old = w.save(pdfs.pdf(text="laporan 2024"), w.old.id)
    shared = pdfs.pdf(text="SK PPID berlaku beberapa tahun")
    old_shared = w.save(shared, w.old.id)
    kept = w.save(shared, w.recent.id)
    plan = retention.purge(db, years=5, now=NOW, actor_user_id=None)
    assert plan.files == 2
    assert not storage.exists(blob_key(only_old.blob_sha256))
    assert storage.exists(blob_key(kept.blob_sha256))
    db.expire_all()
    assert db.get(EvidenceFile, only_old.id).purged_at is not None  # type: ignore[union-attr]
    assert db.get(EvidenceFile, old_shared.id).purged_at is not None  # type: ignore[union-attr]
    assert db.get(EvidenceFile, kept.id).purged_at is None  # type: ignore[union-attr]
    assert b"".join(service.blob_chunks(kept)) == shared
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence.retention_purged")
    ).one()
    assert event.object_id == str(w.old.id)
    assert event.before == {"files": 2, "bytes": only_old.size + old_shared.size}
    # a second run finds nothing left to do
    again = retention.purge(db, years=5, now=NOW)
    assert (again.files, again.blobs) == (0, [])


def test_a_purged_file_says_so_instead_of_serving_nothing(
    db: Session, w: World, storage: Storage
) -> None:
    from app.evidence import flow

    ef = w.save(pdfs.pdf(text="laporan 2024"), w.old.id)
    retention.purge(db, years=5, now=NOW)
    db.expire_all()
    with pytest.raises(Gone, match="retensi"):
        flow.raise_if_purged(db.get(EvidenceFile, ef.id))  # type: ignore[arg-type]


def test_uploading_purged_bytes_again_stores_them_again(
    db: Session, w: World, storage: Storage
) -> None:
    data = pdfs.pdf(text="laporan 2024")
    ef = w.save(data, w.old.id)
    retention.purge(db, years=5, now=NOW)
    assert db.get(EvidenceBlob, ef.blob_sha256).purged_at is not None  # type: ignore[union-attr]
    again = w.save(data, w.recent.id)
    assert db.get(EvidenceBlob, ef.blob_sha256).purged_at is None  # type: ignore[union-attr]
    assert b"".join(service.blob_chunks(again)) == data


def test_the_sweep_removes_old_leftovers_but_not_young_ones_or_referenced_blobs(
    db: Session, w: World, storage: Storage
) -> None:
    kept = w.save(pdfs.pdf(text="tersimpan"), w.recent.id)
    orphan = "ab" * 32
    storage.put_stream(blob_key(orphan), io.BytesIO(b"sisa unggahan yang terputus"))
    out, leftover = storage.new_staging_file()
    out.write(b"separuh unggahan")
    out.close()
    old = (datetime.now(UTC) - timedelta(minutes=30)).timestamp()
    os.utime(leftover, (old, old))
    # young objects (an upload in flight) survive
    young = retention.sweep_orphans(db, grace=timedelta(hours=1), storage=storage)
    assert young.blobs_removed == [] and young.staging_removed == []
    later = datetime.now(UTC) + timedelta(hours=2)
    dry = retention.sweep_orphans(db, grace=timedelta(hours=1), now=later, dry_run=True)
    assert dry.blobs_removed == [blob_key(orphan)]
    assert storage.exists(blob_key(orphan))
    report = retention.sweep_orphans(db, grace=timedelta(hours=1), now=later)
    assert report.blobs_removed == [blob_key(orphan)]
    assert report.staging_removed == [leftover.name]
    assert not storage.exists(blob_key(orphan)) and not leftover.exists()
    assert storage.exists(blob_key(kept.blob_sha256))


def test_the_cli_dry_run_and_apply(
    db: Session, w: World, monkeypatch: pytest.MonkeyPatch, storage: Storage
) -> None:
    from app import cli

    w.save(pdfs.pdf(text="laporan lama"), w.old.id)

    class _Here:
        def __enter__(self) -> Session:
            return db

        def __exit__(self, *_: object) -> None:
            return None

    monkeypatch.setattr(cli, "_Tx", _Here)
    runner = CliRunner()
    refused = runner.invoke(cli.main, ["evidence", "purge"])
    assert refused.exit_code == 1 and "retensi tidak diatur" in refused.output
    dry = runner.invoke(cli.main, ["evidence", "purge", "--older-than-years", "1"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "1 berkas" in dry.output
    assert db.scalar(select(EvidenceFile.purged_at)) is None
    done = runner.invoke(cli.main, ["evidence", "purge", "--older-than-years", "1", "--apply"])
    assert done.exit_code == 0 and "Dihapus: 1 berkas" in done.output
    sweep = runner.invoke(cli.main, ["evidence", "sweep", "--dry-run"])
    assert sweep.exit_code == 0 and "berkas sementara" in sweep.output
