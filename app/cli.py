"""`monev`: command line for operators of an installation."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from app.db import SessionLocal, get_engine


def _session() -> Session:
    get_engine()
    return SessionLocal()


class _Tx:
    """`with _Tx() as db:` commits on success, rolls back on error."""

    def __enter__(self) -> Session:
        self.db = _session()
        self.db.begin()
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.db.commit()
        else:
            self.db.rollback()
        self.db.close()


def _fail(message: str) -> None:
    click.echo(f"Gagal: {message}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """Monev KIP — perintah operasional instalasi."""


@main.command("create-commission")
@click.option("--slug", required=True, help="Kode unik, mis. ki-jatim")
@click.option("--name", required=True, help="Nama lengkap komisi")
@click.option("--short-name", required=True, help="Singkatan, mis. KI Jatim")
@click.option(
    "--timezone",
    default="Asia/Jakarta",
    type=click.Choice(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
)
@click.option("--city", default="")
def create_commission(slug: str, name: str, short_name: str, timezone: str, city: str) -> None:
    """Daftarkan komisi baru (penyewa)."""
    from app.errors import DomainError
    from app.orgs.service import create_commission as create

    try:
        with _Tx() as db:
            org = create(
                db, slug=slug, name=name, short_name=short_name, timezone=timezone, city=city
            )
            click.echo(f"Komisi {org.short_name} dibuat (id {org.id}).")
    except DomainError as exc:
        _fail(exc.message + " " + " ".join(f"{k}: {v}" for k, v in exc.field_errors.items()))


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--password", default=None, help="Tanpa ini, tautan undangan dikirim lewat email.")
@click.option("--admin", is_flag=True, help="Admin platform")
@click.option("--commission", default=None, help="Kode atau singkatan komisi untuk peran")
@click.option("--role", "roles", multiple=True, help="Peran (boleh diulang)")
@click.option("--body", default=None, help="Nama badan publik (untuk operator / atasan_ppid)")
def create_user(
    email: str,
    full_name: str,
    password: str | None,
    admin: bool,
    commission: str | None,
    roles: tuple[str, ...],
    body: str | None,
) -> None:
    """Buat akun dan beri perannya."""
    from sqlalchemy import select

    from app.accounts import service
    from app.bodies.models import Body
    from app.errors import DomainError
    from app.orgs.service import get_by_slug_or_name

    try:
        with _Tx() as db:
            user = service.get_user_by_email(db, email) or service.create_user(
                db, email=email, full_name=full_name, password=password, is_admin=admin
            )
            if roles:
                org = get_by_slug_or_name(db, commission or "")
                if org is None:
                    _fail("sebutkan --commission yang ada untuk memberi peran.")
                    return
                b = None
                if body:
                    b = db.scalar(
                        select(Body).where(Body.organisation_id == org.id, Body.name == body)
                    )
                    if b is None:
                        _fail(f"badan publik {body!r} tidak ditemukan di {org.short_name}.")
                for role in roles:
                    service.grant_role(db, user=user, organisation=org, role=role, body=b)
            if password is None and user.password_hash is None:
                service.issue_password_reset(db, user, purpose="invite")
            click.echo(f"Pengguna {user.email} siap (id {user.id}).")
    except DomainError as exc:
        _fail(exc.message)


@main.command("create-token")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Nama token, mis. integrasi-portal")
@click.option("--commission", default=None)
def create_token(email: str, name: str, commission: str | None) -> None:
    """Buat token API untuk pengguna; nilainya dicetak sekali."""
    from app.accounts import service
    from app.orgs.service import get_by_slug_or_name

    with _Tx() as db:
        user = service.get_user_by_email(db, email)
        if user is None:
            _fail("pengguna tidak ditemukan.")
            return
        org = get_by_slug_or_name(db, commission) if commission else None
        actor = service.build_actor(db, user, org.id if org else None)
        _, raw = service.create_api_token(db, actor, name)
        click.echo(raw)


@main.command("import-bodies")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--commission",
    default=None,
    help="Kode komisi; tanpa ini, kolom 'commission' di berkas menentukan komisinya.",
)
def import_bodies(file: Path, commission: str | None) -> None:
    """Impor badan publik dari CSV/XLSX; tidak ada yang diimpor bila satu baris salah."""
    from app.bodies.service import check_body_import, import_body_rows, row_dict
    from app.errors import DomainError
    from app.imports.tabular import read_table
    from app.orgs.service import get_by_slug_or_name

    data = file.read_bytes()
    try:
        with _Tx() as db:
            if commission:
                keys = [commission]
            else:
                table = read_table(file.name, data, required=["name", "category", "commission"])
                keys = sorted({r["commission"] for _, r in table.rows})
            total = 0
            for key in keys:
                org = get_by_slug_or_name(db, key)
                if org is None:
                    _fail(f"komisi {key!r} tidak ada; buat dulu dengan create-commission.")
                    return
                subset = data if commission else _only_commission(file.name, data, key)
                preview = check_body_import(db, file.name, subset, org)
                if not preview.ok:
                    for r in preview.rows:
                        for e in r.errors:
                            click.echo(f"baris {r.line}: {e}", err=True)
                    raise DomainError(
                        f"{preview.error_count} baris bermasalah di {key}; tidak ada yang diimpor."
                    )
                total += import_body_rows(
                    db, org.id, [row_dict(r) for r in preview.rows], actor_user_id=None
                )
            click.echo(f"{total} badan publik diimpor.")
    except DomainError as exc:
        _fail(exc.message)


def _only_commission(filename: str, data: bytes, key: str) -> bytes:
    """The rows of one commission from a multi-commission CSV/XLSX, as CSV bytes."""
    import csv
    import io

    from app.imports.tabular import read_table

    table = read_table(filename, data, required=["name", "category", "commission"])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[h for h in table.headers if h])
    w.writeheader()
    for _, row in table.rows:
        if row.get("commission") == key:
            w.writerow(row)
    return buf.getvalue().encode()


@main.command("import-questionnaire")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commission", required=True, help="Kode atau singkatan komisi, mis. ki-jatim")
@click.option("--cycle", "cycle_key", required=True, help="Nama atau id siklus")
@click.option("--name", default="", help="Nama kuesioner (bawaan: nama berkas)")
@click.option(
    "--replace", "replace_name", default="", help="Ganti isi kuesioner bernama ini (belum beku)"
)
def import_questionnaire(
    file: Path, commission: str, cycle_key: str, name: str, replace_name: str
) -> None:
    """Impor kuesioner CSV/XLSX ke sebuah siklus; tidak ada yang diimpor bila satu baris salah."""
    from app.cycles.service import find_cycle
    from app.errors import DomainError
    from app.orgs.service import get_by_slug_or_name
    from app.questionnaires import transfer
    from app.questionnaires.service import list_questionnaires

    try:
        with _Tx() as db:
            org = get_by_slug_or_name(db, commission)
            cycle = find_cycle(db, org.id, cycle_key) if org else None
            if org is None or cycle is None:
                raise DomainError(f"siklus {cycle_key!r} tidak ditemukan di komisi {commission!r}.")
            rows = transfer.read_rows(file.name, file.read_bytes())
            problems = transfer.check_import(db, cycle, rows)
            for r in rows:
                for m in r.messages:
                    click.echo(f"baris {r.line}: {m}", err=True)
            for m in problems:
                click.echo(m, err=True)
            if problems or any(r.errors for r in rows):
                raise DomainError("berkas bermasalah; tidak ada yang diimpor.")
            replace = next(
                (q for q in list_questionnaires(db, cycle) if q.name == replace_name), None
            )
            if replace_name and replace is None:
                raise DomainError(f"kuesioner {replace_name!r} tidak ada di {cycle.name}.")
            q = transfer.import_rows(
                db,
                cycle,
                rows,
                name=name or (replace.name if replace else file.stem),
                replace=replace,
                actor_user_id=None,
                filename=file.name,
            )
            items = sum(1 for r in rows if r.kind == "item")
            click.echo(f"Kuesioner {q.name}: {items} butir diimpor ke {cycle.name}.")
    except DomainError as exc:
        _fail(exc.message)


@main.command("import-history")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commission", default=None, help="Hanya baris komisi ini (nama singkat).")
@click.option(
    "--bands",
    default="Informatif:90,Menuju Informatif:80,Cukup Informatif:60,Kurang Informatif:40,"
    "Tidak Informatif:0",
    show_default=True,
    help="Kualifikasi untuk baris tanpa kualifikasi (nama:batas bawah, dipisah koma).",
)
def import_history(file: Path, commission: str | None, bands: str) -> None:
    """Impor hasil tahun-tahun lalu (bentuk history.csv); semua baris atau tidak sama sekali."""
    from decimal import Decimal, InvalidOperation

    from app.cycles.rules import Band, band_errors
    from app.errors import DomainError
    from app.imports.tabular import read_table
    from app.results.history import COLUMNS
    from app.results.history import import_history as run

    try:
        band_list = [
            Band(name.strip(), Decimal(low))
            for name, _, low in (b.rpartition(":") for b in bands.split(","))
        ]
    except InvalidOperation:
        _fail("format --bands tidak valid.")
        return
    if band_errors(band_list):
        _fail(" ".join(band_errors(band_list)))
    try:
        table = read_table(file.name, file.read_bytes(), required=COLUMNS[:3])
        with _Tx() as db:
            count = run(
                db, table.rows, actor_user_id=None, bands=band_list, only_commission=commission
            )
        click.echo(f"{count} hasil tahun lalu diimpor.")
    except DomainError as exc:
        _fail(exc.message)


@main.command("import-scores")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commission", required=True, help="Kode atau nama komisi.")
@click.option("--cycle", "cycle_key", required=True, help="Id atau nama siklus.")
def import_scores(file: Path, commission: str, cycle_key: str) -> None:
    """Impor nilai komponen (kolom body, component, score); semua baris atau tidak sama sekali."""
    from app.cycles.access import system_actor
    from app.cycles.service import find_cycle
    from app.errors import DomainError
    from app.imports.tabular import read_table
    from app.orgs.service import get_by_slug_or_name
    from app.results.service import save_component_scores

    try:
        table = read_table(file.name, file.read_bytes(), required=["body", "component", "score"])
        with _Tx() as db:
            org = get_by_slug_or_name(db, commission)
            if org is None:
                _fail(f"komisi {commission!r} tidak ada.")
                return
            cycle = find_cycle(db, org.id, cycle_key)
            if cycle is None:
                _fail(f"siklus {cycle_key!r} tidak ada di {org.short_name}.")
                return
            count = save_component_scores(
                db, system_actor(org.id), cycle, [r for _, r in table.rows], source="imported"
            )
        click.echo(f"{count} nilai komponen diimpor.")
    except DomainError as exc:
        _fail(exc.message)


@main.command("clone-cycle")
@click.option("--commission", required=True, help="Kode atau singkatan komisi, mis. ki-jatim")
@click.option("--from", "source_key", required=True, help="Nama atau id siklus sumber")
@click.option("--name", required=True, help="Nama siklus baru, mis. Monev KIP 2026")
@click.option("--year", required=True, type=int)
def clone_cycle(commission: str, source_key: str, name: str, year: int) -> None:
    """Salin siklus (kategori, sasaran, kuesioner, bobot, aturan) untuk tahun baru."""
    from app.cycles.access import system_actor
    from app.cycles.service import clone_cycle as clone
    from app.cycles.service import find_cycle
    from app.errors import DomainError
    from app.orgs.service import get_by_slug_or_name

    try:
        with _Tx() as db:
            org = get_by_slug_or_name(db, commission)
            source = find_cycle(db, org.id, source_key) if org else None
            if org is None or source is None:
                raise DomainError(
                    f"siklus {source_key!r} tidak ditemukan di komisi {commission!r}."
                )
            cycle = clone(db, system_actor(org.id), source, name=name, year=year)
            click.echo(f"Siklus {cycle.name} (id {cycle.id}) dibuat dari {source.name}.")
    except DomainError as exc:
        _fail(exc.message + " " + " ".join(exc.field_errors.values()))


@main.command("seed-demo")
def seed_demo() -> None:
    """Isi data demo KI Jatim (idempoten) dan cetak akun-akunnya."""
    from app.config import get_settings
    from app.demo.seed import DemoRefused, seed

    try:
        with _Tx() as db:
            accounts = seed(db)
    except DemoRefused as exc:
        _fail(str(exc))
        return
    pw = get_settings().demo_password
    click.echo(f"\nAkun demo (kata sandi: DEMO_PASSWORD, bawaan '{pw}'):")
    for role, email in accounts:
        click.echo(f"  {role:<30} {email}")


@main.group()
def audit() -> None:
    """Jejak audit."""


@audit.command("verify")
def audit_verify() -> None:
    """Periksa rantai hash jejak audit dan laporkan mata rantai pertama yang rusak."""
    from app.audit.service import verify_chain

    db = _session()
    try:
        report = verify_chain(db)
    finally:
        db.close()
    if report.ok:
        click.echo(f"Rantai audit utuh: {report.checked} rekaman diperiksa.")
    else:
        click.echo(
            f"Rantai audit RUSAK pada rekaman #{report.broken_at}: {report.reason} "
            f"({report.checked} rekaman sebelumnya utuh).",
            err=True,
        )
        sys.exit(2)


@main.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def backup(archive: Path) -> None:
    """Cadangkan basis data dan berkas (data dukung, piagam) ke satu arsip .tar.gz."""
    from app.config import get_settings
    from app.ops.backup import BackupError, create_backup

    s = get_settings()
    try:
        report = create_backup(s.effective_database_url, s.var_dir, archive)
    except BackupError as exc:
        _fail(str(exc))
        return
    click.echo(
        f"Cadangan {report.database} dengan {report.files} berkas: {report.archive} "
        f"({report.bytes} byte)."
    )


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(archive: Path) -> None:
    """Pulihkan arsip cadangan ke instalasi kosong (basis data dan folder berkas)."""
    from app.config import get_settings
    from app.ops.backup import BackupError, restore_backup

    s = get_settings()
    try:
        report = restore_backup(archive, s.effective_database_url, s.var_dir)
    except BackupError as exc:
        _fail(str(exc))
        return
    click.echo(f"Dipulihkan: basis data {report.database} dan {report.files} berkas.")


@main.command("erase-user")
@click.option("--email", required=True)
def erase_user(email: str) -> None:
    """Pseudonimkan data pribadi seseorang atas permintaan (UU 27/2022); riwayat tetap utuh."""
    from app.accounts import service
    from app.accounts.rules import Actor

    with _Tx() as db:
        user = service.get_user_by_email(db, email)
        if user is None:
            _fail("pengguna tidak ditemukan.")
            return
        operator = Actor(user_id=0, email="", full_name="cli", is_admin=True)
        service.erase_personal_data(db, operator, user)
        click.echo(f"Data pribadi pengguna #{user.id} telah dipseudonimkan.")


@main.group()
def evidence() -> None:
    """Data dukung: retensi dan pembersihan."""


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


@evidence.command("purge")
@click.option(
    "--older-than-years", "years", type=int, default=None, help="Default: EVIDENCE_RETENTION_YEARS."
)
@click.option("--apply", is_flag=True, help="Hapus sungguhan (tanpa ini hanya daftar/dry run).")
def evidence_purge(years: int | None, apply: bool) -> None:
    """Hapus isi data dukung siklus yang lebih tua dari N tahun (catatan dan audit tetap)."""
    from app.config import get_settings
    from app.evidence.retention import plan_purge, purge

    years = years if years is not None else get_settings().evidence_retention_years
    if years < 1:
        _fail("retensi tidak diatur: beri --older-than-years N atau EVIDENCE_RETENTION_YEARS.")
        return
    with _Tx() as db:
        plan = purge(db, years=years) if apply else plan_purge(db, years=years)
        verb = "Dihapus" if apply else "Akan dihapus (dry run; tambahkan --apply)"
        click.echo(f"Siklus tahun {plan.cutoff_year} dan sebelumnya (retensi {years} tahun):")
        for c in plan.cycles:
            click.echo(f"  #{c.cycle_id} {c.name} ({c.year}): {c.files} berkas, {_size(c.bytes)}")
        click.echo(
            f"{verb}: {plan.files} berkas; {len(plan.blobs)} isi berkas tak dipakai lagi "
            f"({_size(plan.blob_bytes)})."
        )


@evidence.command("sweep")
@click.option(
    "--grace-hours",
    type=float,
    default=6.0,
    show_default=True,
    help="Hanya yang lebih tua dari ini (unggahan yang sedang berjalan lebih muda).",
)
@click.option("--dry-run", is_flag=True)
def evidence_sweep(grace_hours: float, dry_run: bool) -> None:
    """Hapus berkas sementara dan isi berkas tanpa catatan (sisa unggahan yang terputus)."""
    from datetime import timedelta

    from app.evidence.retention import sweep_orphans

    with _Tx() as db:
        report = sweep_orphans(db, grace=timedelta(hours=grace_hours), dry_run=dry_run)
    verb = "Akan dihapus" if dry_run else "Dihapus"
    click.echo(
        f"{verb}: {len(report.staging_removed)} berkas sementara, "
        f"{len(report.blobs_removed)} isi berkas tanpa catatan."
    )


if __name__ == "__main__":  # pragma: no cover
    main()
