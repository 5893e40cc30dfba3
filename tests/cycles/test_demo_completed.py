"""The demo's completed 2024 cycle: computed from answers and panel scores, published, and in
agreement with the published facts of `history.csv`."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.cycles.models import Cycle
from app.demo.completed import COMPLETED_CYCLE, TARGETS
from app.demo.seed import seed
from app.panels import service as panels
from app.panels.models import PanelScore, ScoreStatus
from app.results import service as results
from app.results.models import Decree, DecreeStatus, ResultRow
from app.results.rules import AwardKind
from app.submissions.models import Answer


def completed_cycle(db: Session) -> Cycle:
    cycle = db.scalar(select(Cycle).where(Cycle.name == COMPLETED_CYCLE))
    assert cycle is not None
    return cycle


def test_the_demo_has_a_published_2024_cycle_matching_the_published_facts(db: Session) -> None:
    seed(db)
    cycle = completed_cycle(db)
    assert cycle.year == 2024
    decree = results.public_decree(db, cycle)
    assert decree is not None and decree.sk_number and decree.sk_date is not None
    rows = {
        name: row
        for row, name in db.execute(
            select(ResultRow, Body.name)
            .join(Body, Body.id == ResultRow.body_id)
            .where(ResultRow.result_set_id == decree.result_set_id)
        )
    }
    assert {n: rows[n].published for n in TARGETS} == TARGETS
    assert rows["Pemerintah Kota Mojokerto"].rank == 1
    assert rows["Pemerintah Kota Pasuruan"].rank == 7
    assert rows["Pemerintah Kabupaten Mojokerto"].qualification == "Menuju Informatif"
    bases = {r.basis for r in rows.values()}
    assert {"weighted", "saq_only", "non_submitter_zero"} <= bases
    # The presentation component comes from the locked panel of juri 1–3.
    (panel,) = panels.panels_of(db, cycle)
    assert panel.is_locked
    assert {u.email.split("@")[0] for _, u in panels.members_of(db, panel)} == {
        "juri1.jatim",
        "juri2.jatim",
        "juri3.jatim",
    }
    submitted = db.scalar(
        select(func.count())
        .select_from(PanelScore)
        .where(PanelScore.panel_id == panel.id, PanelScore.status == ScoreStatus.SUBMITTED)
    )
    shortlisted = sum(1 for r in rows.values() if r.shortlisted)
    assert submitted == 3 * shortlisted
    mojokerto = rows["Pemerintah Kota Mojokerto"]
    assert Decimal(mojokerto.inputs["components"]["presentation"]) > Decimal(80)
    # Certificates are made from a reviewed award list.
    awards = results.award_list(db, cycle)
    assert results.awards_reviewed(db, cycle)
    kinds = {a.kind for a in awards}
    assert {AwardKind.INFORMATIF, AwardKind.TOP, AwardKind.INDICATOR, AwardKind.SPECIAL} == kinds


def test_seeding_the_completed_cycle_twice_changes_nothing(db: Session) -> None:
    seed(db)
    cycle = completed_cycle(db)
    answers = db.scalar(select(func.count()).select_from(Answer).where(Answer.cycle_id == cycle.id))
    seed(db)
    assert db.scalar(select(func.count()).select_from(Cycle).where(Cycle.year == 2024)) == 1
    assert (
        db.scalar(select(func.count()).select_from(Answer).where(Answer.cycle_id == cycle.id))
        == answers
    )
    decrees = list(db.scalars(select(Decree).where(Decree.cycle_id == cycle.id)))
    assert [d.status for d in decrees] == [DecreeStatus.PUBLISHED]


def test_the_portal_shows_the_2024_ranking_and_a_body_history_out_of_the_box(
    client: TestClient, db: Session
) -> None:
    seed(db)
    db.commit()
    cycle = completed_cycle(db)
    index = client.get("/hasil")
    assert index.status_code == 200 and COMPLETED_CYCLE in index.text
    page = client.get(f"/hasil/{cycle.id}", params={"kategori": "pemkab_pemkot"})
    assert page.status_code == 200
    assert "98,56" in page.text and "94,74" in page.text
    api = client.get(f"/api/v1/public/cycles/{cycle.id}/results").json()
    first = api["categories"][0]["rows"][0]
    assert (first["body_name"], first["final_score"], first["rank"]) == (
        "Pemerintah Kota Mojokerto",
        "98.56",
        1,
    )
    pasuruan = db.scalar(select(Body).where(Body.name == "Pemerintah Kota Pasuruan"))
    assert pasuruan is not None
    body_page = client.get(f"/hasil/badan/{pasuruan.id}")
    assert body_page.status_code == 200 and "94,74" in body_page.text
