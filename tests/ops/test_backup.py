"""Backup and restore round-trip on the database under test (its own scratch databases)."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import verify_chain
from app.bodies.models import Body
from app.config import PROJECT_ROOT
from app.db import make_engine
from app.demo.seed import seed
from app.ops.backup import BackupError, create_backup, restore_backup

pytestmark = pytest.mark.usefixtures("engine")


def _migrate(url: str) -> None:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    engine = make_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()


@pytest.fixture
def urls(tmp_path: Path) -> Iterator[tuple[str, str]]:
    pg = os.environ.get("TEST_DATABASE_URL", "")
    if not pg:
        yield f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"
        return
    from scripts.pg_scratch import create, drop

    source, target = create(pg, "monev_bk"), create(pg, "monev_rs")
    yield source, target
    drop(source)
    drop(target)


def _counts(url: str) -> tuple[int, int, bool]:
    engine = make_engine(url)
    with Session(engine) as s:
        bodies = s.scalar(select(func.count()).select_from(Body)) or 0
        names = len(set(s.scalars(select(Body.name))))
        chain_ok = verify_chain(s).ok
    engine.dispose()
    return bodies, names, chain_ok


def test_backup_then_restore_reproduces_data_and_files(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    source, target = urls
    _migrate(source)
    engine = make_engine(source)
    with Session(engine) as s, s.begin():
        seed(s)
    engine.dispose()
    var_a, var_b = tmp_path / "var_a", tmp_path / "var_b"
    (var_a / "evidence" / "ab").mkdir(parents=True)
    (var_a / "evidence" / "ab" / "abcdef").write_bytes(b"%PDF-1.4 bukti")
    archive = tmp_path / "cadangan.tar.gz"
    report = create_backup(source, var_a, archive)
    assert report.files == 1 and archive.stat().st_size > 0

    restored = restore_backup(archive, target, var_b)
    assert restored.files == 1
    assert (var_b / "evidence" / "ab" / "abcdef").read_bytes() == b"%PDF-1.4 bukti"
    # 182 public bodies, plus Kota Pasuruan's 7 units mirrored in its internal monev (same names)
    assert _counts(target) == _counts(source) == (189, 182, True)

    with pytest.raises(BackupError, match="tidak kosong"):
        restore_backup(archive, target, tmp_path / "var_c")


def test_a_tampered_archive_is_refused(urls: tuple[str, str], tmp_path: Path) -> None:
    source, target = urls
    _migrate(source)
    archive = tmp_path / "a.tar.gz"
    (tmp_path / "v" / "evidence").mkdir(parents=True)
    (tmp_path / "v" / "evidence" / "f").write_bytes(b"asli")
    create_backup(source, tmp_path / "v", archive)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m)
            if m.name == "files/evidence/f":
                import io

                m.size = 4
                dst.addfile(m, io.BytesIO(b"palu"))
            else:
                dst.addfile(m, data)
    with pytest.raises(BackupError, match="tidak cocok"):
        restore_backup(bad, target, tmp_path / "w")
    (tmp_path / "junk.tar.gz").write_bytes(b"bukan arsip")
    with pytest.raises(BackupError, match="tidak dapat dibaca"):
        restore_backup(tmp_path / "junk.tar.gz", target, tmp_path / "w")
