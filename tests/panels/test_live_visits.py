"""The live session, exports and visitasi on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycles.models import CycleStage
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.panels import exports, schedule, visitasi
from app.panels import service as panels
from app.results.models import ComponentScore
from tests.factories import form, login
from tests.panels.conftest import World, ready


def _place(db: Session, w: World) -> None:
    schedule.auto_place(db, w.sek_actor, w.cycle, start="2025-11-10T08:00")


def test_the_chair_moves_through_the_room_and_takes_attendance(db: Session, world: World) -> None:
    w = world
    _place(db, w)
    room = w.rooms[0]
    chair = ready(db, w, w.jurors[0], room)
    first = schedule.start_slot(db, chair, room, w.cycle)
    assert schedule.now_presenting(db, room)[0].id == first.id  # type: ignore[index]
    second = schedule.start_slot(db, chair, room, w.cycle)
    assert first.status == "done" and second.status == "presenting"
    with pytest.raises(ValidationFailed):
        schedule.record_attendance(
            db, chair, room, w.cycle, second.id, attended=False, leader_present=True, attendees=""
        )
    schedule.record_attendance(
        db, chair, room, w.cycle, second.id, attended=True, leader_present=False, attendees="Sekda"
    )
    schedule.finish_slot(db, chair, room, w.cycle)
    with pytest.raises(InvalidTransition):
        schedule.start_slot(db, chair, room, w.cycle)


def test_only_the_chair_or_sekretariat_runs_the_session(db: Session, world: World) -> None:
    w = world
    _place(db, w)
    room = w.rooms[0]
    juror = ready(db, w, w.jurors[1], room)
    with pytest.raises(Forbidden):
        schedule.start_slot(db, juror, room, w.cycle)
    other_slot = panels.slots_of(db, w.rooms[1])[0][0]
    with pytest.raises(NotFound):
        schedule.start_slot(db, w.sek_actor, room, w.cycle, other_slot.id)


def test_the_timer_counts_down_from_the_slot_length() -> None:
    from app.panels.models import PanelSlot

    start = datetime(2025, 11, 10, 1, 0, tzinfo=UTC)
    slot = PanelSlot(started_at=start)
    assert schedule.seconds_left(slot, 35, start + timedelta(minutes=5)) == 30 * 60
    assert schedule.seconds_left(slot, 35, start + timedelta(hours=2)) == 0


def test_ics_escapes_text_and_folds_long_lines() -> None:
    start = datetime(2025, 11, 10, 1, 0, tzinfo=UTC)
    row = exports.Row(
        7,
        "Ruang A",
        "Aula; lt, 2",
        "",
        1,
        start,
        start + timedelta(minutes=35),
        "Dinas Komunikasi, Informatika dan Persandian Kabupaten Contoh yang Panjang",
    )
    text = exports.ics_text("Jadwal", [row], host="monev.example", stamp=start)
    assert "LOCATION:Ruang A\\, Aula\\; lt\\, 2\r\n" in text
    assert "DTSTART:20251110T010000Z" in text and "UID:panel-slot-7@monev.example" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n " in text  # the long summary was folded


def test_xlsx_cells_cannot_carry_formulas() -> None:
    import io

    from openpyxl import load_workbook

    start = datetime(2025, 11, 10, 1, 0, tzinfo=UTC)
    row = exports.Row(1, "=HYPERLINK(1)", "", "", 1, start, start, "+Badan")
    wb = load_workbook(io.BytesIO(exports.xlsx_bytes("Jadwal", [row], "Asia/Jakarta")))
    ws = wb.active
    assert ws is not None
    assert ws["A3"].value == "'=HYPERLINK(1)" and ws["G3"].value == "'+Badan"


def _visitasi_stage(db: Session, w: World, mode: str) -> None:
    now = utcnow()
    db.add(
        CycleStage(
            cycle_id=w.cycle.id,
            code="visitasi",
            position=99,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
    )
    settings = panels.get_settings(db, w.cycle)
    panels.save_settings(
        db,
        w.sek_actor,
        w.cycle,
        {
            **panels.settings_dict(settings),
            "disagreement_threshold": "20",
            "visitasi_mode": mode,
            "visitasi_checklist": "Papan informasi\nMeja layanan\nSOP",
            "visitasi_pass_min": "2",
            "hide_co_scores": "1",
        },
    )


def test_a_gate_visitasi_passes_with_enough_checklist_items(db: Session, world: World) -> None:
    w = world
    _visitasi_stage(db, w, "gate")
    a, b = w.bodies[0].id, w.bodies[1].id
    visitasi.record_visit(db, w.sek_actor, w.cycle, a, checked=["Papan informasi", "SOP"])
    visitasi.record_visit(db, w.sek_actor, w.cycle, b, checked=["SOP"])
    outcomes = visitasi.visit_outcomes(db, w.cycle)
    assert outcomes[a] is True and outcomes[b] is False and outcomes[w.bodies[2].id] is None
    with pytest.raises(ValidationFailed):
        visitasi.record_visit(db, w.sek_actor, w.cycle, a, checked=["Kolam renang"])
    with pytest.raises(Forbidden):
        visitasi.record_visit(db, w.actor(w.jurors[0]), w.cycle, a, checked=[])


def test_a_scored_visitasi_writes_its_component(db: Session, world: World) -> None:
    w = world
    from app.cycles.models import ScoreComponent

    db.add(ScoreComponent(cycle_id=w.cycle.id, code="visitasi", name="Visitasi", weight=0))
    _visitasi_stage(db, w, "score")
    body = w.bodies[0].id
    with pytest.raises(ValidationFailed):
        visitasi.record_visit(db, w.sek_actor, w.cycle, body, checked=[], score="")
    with pytest.raises(ValidationFailed):
        visitasi.record_visit(db, w.sek_actor, w.cycle, body, checked=[], score="101")
    visitasi.record_visit(db, w.sek_actor, w.cycle, body, checked=["SOP"], score="87,5")
    row = db.scalar(select(ComponentScore).where(ComponentScore.component_code == "visitasi"))
    assert row is not None and row.score == Decimal("87.5") and row.source == "entered"


def test_visitasi_is_refused_when_the_cycle_does_not_use_it(db: Session, world: World) -> None:
    with pytest.raises(Conflict):
        visitasi.record_visit(db, world.sek_actor, world.cycle, world.bodies[0].id, checked=[])


def test_the_visitasi_page_records_a_visit(client: TestClient, db: Session, world: World) -> None:
    w = world
    _visitasi_stage(db, w, "gate")
    login(client, db, w.sek)
    page = client.get(f"/siklus/{w.cycle.id}/visitasi")
    assert page.status_code == 200 and "Meja layanan" in page.text
    url = f"/siklus/{w.cycle.id}/visitasi/{w.bodies[0].id}"
    r = client.post(url, data={**form(), "checked": ["SOP", "Meja layanan"]})
    assert r.status_code == 303
    bad = client.post(url, data={**form(), "checked": ["Kolam"], "note": "catatan saya"})
    assert bad.status_code == 422 and "catatan saya" in bad.text
    login(client, db, w.jurors[0])
    assert client.post(url, data=form()).status_code == 403
