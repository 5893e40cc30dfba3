"""`monev backup` / `monev restore`: the database and the stored files in one verified archive.

SQLite is copied online with `VACUUM INTO` (a consistent snapshot while the service runs);
PostgreSQL with `pg_dump --format=custom`. Files under the persistent folders of `VAR_DIR`
(evidence, certificates) travel with it. A manifest lists every member with its sha256, and
restore refuses an archive whose members do not match it, or a target that is not empty.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.db import make_engine, utcnow

FILE_DIRS = ("evidence", "certificates")
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (in Indonesian)."""


@dataclass
class BackupReport:
    archive: Path
    database: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_args(url: str) -> list[str]:
    u = make_url(url).set(drivername="postgresql")
    return ["--dbname", u.render_as_string(hide_password=False)]


def create_backup(database_url: str, var_dir: Path, out: Path) -> BackupReport:
    """Write database + files + manifest into a .tar.gz at `out`."""
    kind = make_url(database_url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="monev-backup-") as tmp:
        stage = Path(tmp)
        if kind == "sqlite":
            db_file = stage / "database.sqlite"
            src = make_url(database_url).database or ""
            con = sqlite3.connect(src)
            try:
                con.execute("VACUUM INTO ?", (str(db_file),))
            finally:
                con.close()
        elif kind == "postgresql":
            db_file = stage / "database.pgdump"
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    "--file",
                    str(db_file),
                    *_pg_args(database_url),
                ]
            )
        else:
            raise BackupError(f"Basis data {kind} tidak didukung.")
        members: dict[str, str] = {db_file.name: _sha256(db_file)}
        for d in FILE_DIRS:
            root = var_dir / d
            if root.is_dir():
                for f in sorted(p for p in root.rglob("*") if p.is_file()):
                    rel = f"files/{d}/{f.relative_to(root).as_posix()}"
                    target = stage / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, target)
                    members[rel] = _sha256(target)
        revision = _revision(database_url)
        manifest = {
            "created_at": utcnow().isoformat(),
            "database": kind,
            "alembic_revision": revision,
            "members": members,
        }
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            for name in [MANIFEST, *sorted(members)]:
                tar.add(stage / name, arcname=name)
    return BackupReport(
        archive=out, database=kind, files=len(members) - 1, bytes=out.stat().st_size
    )


def _revision(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def restore_backup(archive: Path, database_url: str, var_dir: Path) -> BackupReport:
    """Restore an archive into an EMPTY installation, after checking every member's sha256."""
    kind = make_url(database_url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="monev-restore-") as tmp:
        stage = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(stage, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"Arsip cadangan tidak dapat dibaca: {exc}.") from None
        try:
            manifest = json.loads((stage / MANIFEST).read_text())
        except (OSError, ValueError):
            raise BackupError("Arsip tidak memiliki manifest yang valid.") from None
        for name, digest in manifest["members"].items():
            path = stage / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"Isi arsip tidak cocok dengan manifest: {name}.")
        if manifest["database"] != kind:
            raise BackupError(
                f"Cadangan berasal dari {manifest['database']}, tujuan adalah {kind}; "
                "pulihkan ke jenis basis data yang sama."
            )
        _require_empty(database_url, var_dir)
        if kind == "sqlite":
            target = Path(make_url(database_url).database or "")
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copy2(stage / "database.sqlite", target)
        else:
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-acl",
                    "--exit-on-error",
                    *_pg_args(database_url),
                    str(stage / "database.pgdump"),
                ]
            )
        files = 0
        for name in manifest["members"]:
            if name.startswith("files/"):
                dest = var_dir / name.removeprefix("files/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(stage / name, dest)
                files += 1
    return BackupReport(archive=archive, database=kind, files=files, bytes=archive.stat().st_size)


def _require_empty(database_url: str, var_dir: Path) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            if inspect(conn).get_table_names():
                raise BackupError(
                    "Basis data tujuan tidak kosong. Pulihkan ke instalasi baru yang kosong."
                )
    finally:
        engine.dispose()
    for d in FILE_DIRS:
        if (var_dir / d).is_dir() and any((var_dir / d).iterdir()):
            raise BackupError(f"Folder berkas tujuan tidak kosong: {var_dir / d}.")


def _run(cmd: list[str]) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=3600)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"Perintah {cmd[0]} tidak ditemukan; pasang klien PostgreSQL.") from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{cmd[0]} gagal: {exc.stderr.strip()[:500]}") from None
