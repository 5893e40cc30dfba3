from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service
from app.bodies.models import Body
from app.cli import main
from app.orgs.service import get_by_slug_or_name


@pytest.fixture
def run(connection):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def _run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return _run


def test_create_commission_user_and_token(run, db: Session) -> None:  # type: ignore[no-untyped-def]
    code, out = run(
        "create-commission",
        "--slug",
        "ki-bali",
        "--name",
        "Komisi Informasi Provinsi Bali",
        "--short-name",
        "KI Bali",
        "--timezone",
        "Asia/Makassar",
        "--city",
        "Denpasar",
    )
    assert code == 0, out
    code, out = run("create-commission", "--slug", "ki-bali", "--name", "X", "--short-name", "X")
    assert code == 1 and "Kode sudah dipakai" in out
    code, out = run(
        "create-user",
        "--email",
        "sek@bali.go.id",
        "--name",
        "Sekretariat Bali",
        "--commission",
        "ki-bali",
        "--role",
        "sekretariat",
        "--role",
        "komisioner",
    )
    assert code == 0, out
    user = service.get_user_by_email(db, "sek@bali.go.id")
    assert user is not None and user.password_hash is None  # invited by e-mail
    org = get_by_slug_or_name(db, "KI Bali")
    assert org is not None
    assert service.build_actor(db, user, org.id).roles == {"sekretariat", "komisioner"}
    code, out = run(
        "create-token", "--email", "sek@bali.go.id", "--name", "portal", "--commission", "ki-bali"
    )
    assert code == 0 and out.strip().startswith("mkip_")
    assert service.resolve_api_token(db, out.strip()) is not None
    code, out = run("create-user", "--email", "x@y.id", "--name", "X", "--role", "juri")
    assert code == 1 and "--commission" in out
    code, out = run("create-token", "--email", "none@y.id", "--name", "x")
    assert code == 1


def test_import_bodies_from_a_multi_commission_file(run, db: Session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("create-commission", "--slug", "ki-a", "--name", "KI A", "--short-name", "KI A")
    run("create-commission", "--slug", "ki-b", "--name", "KI B", "--short-name", "KI B")
    from app.orgs.service import upsert_category

    for key in ("KI A", "KI B"):
        org = get_by_slug_or_name(db, key)
        assert org is not None
        upsert_category(db, org.id, "pemkab_pemkot", "Pemkab/Pemkot")
    f = tmp_path / "bodies.csv"
    f.write_text(
        "commission,category,name,parent,email\n"
        "KI A,pemkab_pemkot,Kota Satu,,\nKI A,,Dinas Satu,Kota Satu,\n"
        "KI B,pemkab_pemkot,Kota Dua,,\n",
        encoding="utf-8",
    )
    code, out = run("import-bodies", str(f))
    assert code == 0, out
    assert db.scalar(select(func.count()).select_from(Body)) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("commission,category,name\nKI A,kerajaan,Kota Tiga\n", encoding="utf-8")
    code, out = run("import-bodies", str(bad), "--commission", "ki-a")
    assert code == 1 and "Kategori tidak dikenal" in out
    assert db.scalar(select(func.count()).select_from(Body)) == 3
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("commission,category,name\nKI Z,x,Y\n", encoding="utf-8")
    code, out = run("import-bodies", str(unknown))
    assert code == 1 and "KI Z" in out


def test_seed_demo_is_idempotent_and_prints_every_role(run, db: Session) -> None:  # type: ignore[no-untyped-def]
    code, out = run("seed-demo")
    assert code == 0, out
    for role in (
        "sekretariat",
        "komisioner",
        "verifikator",
        "reviewer",
        "juri",
        "panitia",
        "operator",
        "atasan PPID",
        "admin",
    ):
        assert role in out
    count = db.scalar(select(func.count()).select_from(Body))
    # 182 public bodies, plus Kota Pasuruan's 7 units mirrored in its internal monev
    assert count == 182 + 7
    code, _out2 = run("seed-demo")
    assert code == 0 and db.scalar(select(func.count()).select_from(Body)) == count


def test_seed_demo_refuses_production(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "environment", "production")
    code, out = run("seed-demo")
    assert code == 1 and "produksi" in out


def test_audit_verify_reports_an_intact_and_a_broken_chain(run, db: Session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from app.audit.models import AuditEvent
    from app.audit.service import record, seal

    ev = record(
        db, actor_user_id=None, organisation_id=None, action="a", object_type="x", object_id=1
    )
    seal(db)
    code, out = run("audit", "verify")
    assert code == 0 and "utuh" in out
    from tests.audit.test_chain import bypass_guard

    bypass_guard(db)
    db.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(action="b"))
    db.flush()
    code, out = run("audit", "verify")
    assert code == 2 and f"#{ev.id}" in out


def test_erase_user_pseudonymises_and_keeps_the_chain(run, db: Session) -> None:  # type: ignore[no-untyped-def]
    from app.audit.service import verify_chain

    run(
        "create-user",
        "--email",
        "pribadi@kota.go.id",
        "--name",
        "Siti Aminah",
        "--password",
        "kata-sandi-panjang",
    )
    code, out = run("erase-user", "--email", "pribadi@kota.go.id")
    assert code == 0, out
    assert service.get_user_by_email(db, "pribadi@kota.go.id") is None
    assert "Siti Aminah" not in str([u.full_name for u in db.scalars(select(service.User))])
    assert verify_chain(db).ok
    assert run("erase-user", "--email", "pribadi@kota.go.id")[0] == 1


def test_backup_and_restore_commands_report_problems(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"bukan")
    code, out = run("restore", str(junk))
    assert code == 1 and "tidak dapat dibaca" in out
