"""`monev import-history`, `monev import-scores` and the demo's history."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.cli import main
from app.results.models import ComponentScore, HistoryResult
from tests.factories import Factory
from tests.results.helpers import set_rules, targets


@pytest.fixture
def run(connection):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def _run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return _run


def test_the_demo_imports_history_once_and_the_portal_shows_streaks(
    run, db: Session, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    assert run("seed-demo")[0] == 0
    count = db.scalar(select(func.count()).select_from(HistoryResult))
    assert count == 35
    assert run("seed-demo")[0] == 0
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(HistoryResult)) == 35
    pasuruan = db.scalars(select(Body).where(Body.name == "Pemerintah Kota Pasuruan")).first()
    assert pasuruan is not None
    page = client.get(f"/hasil/badan/{pasuruan.id}")
    assert "Informatif pertama kali setelah 3 tahun Tidak Informatif" in page.text
    mojokerto = db.scalars(select(Body).where(Body.name == "Pemerintah Kota Mojokerto")).first()
    assert mojokerto is not None
    assert "(hattrick)" in client.get(f"/hasil/badan/{mojokerto.id}").text


def test_import_history_refuses_a_file_with_an_unknown_body(
    run, db: Session, factory: Factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    org = factory.commission(short_name="KI Uji CLI")
    factory.body(org, name="Pemerintah Kota Uji CLI")
    db.commit()
    path = tmp_path / "h.csv"
    path.write_text(
        "commission,year,body,category,score,qualification,rank,note\n"
        "KI Uji CLI,2024,Pemerintah Kota Uji CLI,x,91.5,,,\n"
        "KI Uji CLI,2024,Kota Hilang,x,80,,,\n"
    )
    code, out = run("import-history", str(path))
    assert code == 1
    assert db.scalar(select(func.count()).select_from(HistoryResult)) == 0
    path.write_text(
        "commission,year,body,category,score,qualification,rank,note\n"
        "KI Uji CLI,2024,Pemerintah Kota Uji CLI,x,91.5,,,\n"
    )
    code, out = run("import-history", str(path))
    assert code == 0, out
    db.expire_all()
    assert db.scalars(select(HistoryResult)).one().qualification == "Informatif"


def test_import_scores_stores_component_scores(
    run, db: Session, factory: Factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from app.cycles.rules import Component

    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    set_rules(db, cycle, components=(Component("saq", "SAQ", 80), Component("web", "Web", 20)))
    body = targets(db, cycle)["pemkab_pemkot"]
    db.commit()
    path = tmp_path / "s.csv"
    path.write_text(f"body,component,score\n{body},web,70\n")
    code, out = run("import-scores", str(path), "--commission", org.slug, "--cycle", str(cycle.id))
    assert code == 0, out
    assert db.scalars(select(ComponentScore)).one().source == "imported"
