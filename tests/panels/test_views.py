"""Presentation pages as people use them: sekretariat, jurors on a phone, the chair, a body."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.panels import service as panels
from app.panels.models import PanelScore, PanelSlot
from app.results.models import ComponentScore
from tests.factories import form, login
from tests.panels.conftest import World

RATE = {
    "rating_komitmen": "5",
    "rating_inovasi": "4",
    "rating_strategi": "3",
    "rating_jawaban": "4",
    "rating_pimpinan_hadir": "5",
    "comment_jawaban": "Jelas.",
}


def _juror_ready(client: TestClient, db: Session, w: World, i: int, panel_id: int) -> None:
    login(client, db, w.jurors[i])
    page = client.get(f"/panel/{panel_id}")
    assert page.status_code == 200 and "Pakta integritas" in page.text
    seen = [b.name for b in w.bodies if b.name in page.text]
    assert not seen, (
        seen,
        page.text[page.text.find(seen[0] if seen else "") - 300 :][:600],
    )  # nothing seen before the pact
    assert client.post(f"/panel/{panel_id}/pakta", data=form()).status_code == 422
    assert client.post(f"/panel/{panel_id}/pakta", data=form(agree="1")).status_code == 303
    assert client.post(f"/panel/{panel_id}/deklarasi", data=form()).status_code == 303


def test_the_done_when_journey_through_the_pages(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    login(client, db, w.sek)
    r = client.post(f"/siklus/{w.cycle.id}/jadwal/otomatis", data=form(start="2025-11-10T08:00"))
    assert r.status_code == 303, r.text
    page = client.get(f"/siklus/{w.cycle.id}/jadwal")
    assert page.status_code == 200 and all(b.name in page.text for b in w.bodies)
    room = w.rooms[0]
    slots = [s for s, _ in panels.slots_of(db, room)]
    p, q = (s.body_id for s in slots)

    for i in range(3):
        _juror_ready(client, db, w, i, room.id)
    # juror 2 declares a conflict with p on the conflicts page, then abstains for it
    login(client, db, w.jurors[2])
    assert (
        client.post("/konflik", data=form(kind="former_employer", body_id=str(p))).status_code
        == 303
    )
    refused = client.post(f"/panel/{room.id}/badan/{p}", data=form(action="submit", **RATE))
    assert refused.status_code == 409 and "afiliasi" in refused.text
    ok = client.post(f"/panel/{room.id}/badan/{p}/abstain", data=form(reason="Konflik kepentingan"))
    assert ok.status_code == 303
    assert (
        client.post(f"/panel/{room.id}/badan/{q}", data=form(action="submit", **RATE)).status_code
        == 303
    )

    # the chair runs the live tracker and takes attendance
    login(client, db, w.jurors[0])
    assert client.post(f"/panel/{room.id}/langsung/mulai", data=form()).status_code == 303
    status = client.get(f"/panel/{room.id}/langsung/status")
    assert "data-countdown" in status.text
    r = client.post(
        f"/panel/{room.id}/langsung/{slots[0].id}/hadir",
        data=form(attended="1", leader_present="1", attendees="Wali Kota"),
    )
    assert r.status_code == 303
    for body_id in (p, q):
        form_page = client.get(f"/panel/{room.id}/badan/{body_id}")
        assert 'type="radio"' in form_page.text and "btn-lg" in form_page.text
        r = client.post(f"/panel/{room.id}/badan/{body_id}", data=form(action="submit", **RATE))
        assert r.status_code == 303
    # juror 1 drafts, then submits
    login(client, db, w.jurors[1])
    for body_id in (p, q):
        draft = {**RATE, "rating_komitmen": "1"} if body_id == q else RATE
        assert (
            client.post(
                f"/panel/{room.id}/badan/{body_id}", data=form(action="draft", **draft)
            ).status_code
            == 303
        )
        assert (
            client.post(
                f"/panel/{room.id}/badan/{body_id}", data=form(action="submit", **draft)
            ).status_code
            == 303
        )
    assert client.post(f"/panel/{room.id}/kunci", data=form()).status_code == 403

    login(client, db, w.jurors[0])
    chair_page = client.get(f"/panel/{room.id}")
    assert "Perlu dibahas" in chair_page.text  # q: 80, 50, 80 differ by 30 > 20
    assert client.post(f"/panel/{room.id}/kunci", data=form()).status_code == 303
    db.expire_all()
    scores = dict(
        db.execute(
            select(ComponentScore.body_id, ComponentScore.score).where(
                ComponentScore.cycle_id == w.cycle.id
            )
        ).all()
    )
    assert scores == {p: Decimal(80), q: Decimal(70)}
    slot = db.get(PanelSlot, slots[0].id)
    assert slot is not None and slot.leader_present is True


def test_a_juror_never_sees_co_jurors_scores_before_the_lock(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    room = w.rooms[0]
    login(client, db, w.sek)
    client.post(f"/siklus/{w.cycle.id}/jadwal/otomatis", data=form(start="2025-11-10T08:00"))
    body_id = panels.slots_of(db, room)[0][1].id
    _juror_ready(client, db, w, 1, room.id)
    client.post(f"/panel/{room.id}/badan/{body_id}", data=form(action="submit", **RATE))
    _juror_ready(client, db, w, 2, room.id)
    page = client.get(f"/panel/{room.id}")
    assert w.jurors[1].full_name not in page.text
    assert "80,00" not in page.text


def test_bad_scores_are_refused_and_what_was_typed_is_kept(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    room = w.rooms[0]
    login(client, db, w.sek)
    client.post(f"/siklus/{w.cycle.id}/jadwal/otomatis", data=form(start="2025-11-10T08:00"))
    body_id = panels.slots_of(db, room)[0][1].id
    _juror_ready(client, db, w, 1, room.id)
    r = client.post(
        f"/panel/{room.id}/badan/{body_id}",
        data=form(action="submit", **{**RATE, "rating_komitmen": "9", "comment": "catatan saya"}),
    )
    assert r.status_code == 422 and "antara 1 dan 5" in r.text and "catatan saya" in r.text
    assert (
        client.post(
            f"/panel/{room.id}/badan/{body_id}", data=form(action="submit", **RATE)
        ).status_code
        == 303
    )
    again = client.post(f"/panel/{room.id}/badan/{body_id}", data=form(action="submit", **RATE))
    assert again.status_code == 409
    db.expire_all()
    assert db.scalar(select(PanelScore.score).where(PanelScore.body_id == body_id)) == Decimal(80)


def test_outsiders_and_wrong_roles_are_refused(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    room = w.rooms[0]
    other_org = w.factory.commission()
    outsider = w.factory.user(other_org, Role.SEKRETARIAT)
    login(client, db, outsider)
    assert client.get(f"/panel/{room.id}").status_code == 404
    assert client.get(f"/siklus/{w.cycle.id}/presentasi").status_code == 404
    verifier = w.factory.user(w.org, Role.VERIFIKATOR)
    login(client, db, verifier)
    assert client.get(f"/panel/{room.id}").status_code == 403
    assert (
        client.post(f"/siklus/{w.cycle.id}/presentasi/panel", data=form(name="X")).status_code
        == 403
    )
    operator = w.factory.user(w.org, Role.OPERATOR, body=w.bodies[0])
    login(client, db, operator)
    assert client.get(f"/siklus/{w.cycle.id}/jadwal").status_code == 404
    # a juror of room B cannot open room A
    login(client, db, w.jurors[4])
    assert client.get(f"/panel/{room.id}").status_code == 403


def test_a_body_sees_its_slot_on_its_home_page(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    login(client, db, w.sek)
    client.post(f"/siklus/{w.cycle.id}/jadwal/otomatis", data=form(start="2025-11-10T08:00"))
    operator = w.factory.user(w.org, Role.OPERATOR, body=w.bodies[0])
    login(client, db, operator)
    page = client.get("/beranda/presentasi")
    assert page.status_code == 200
    assert w.bodies[0].name in page.text and "10 November 2025" in page.text
    assert w.bodies[1].name not in page.text


def test_the_schedule_exports_in_three_formats(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    login(client, db, w.sek)
    client.post(f"/siklus/{w.cycle.id}/jadwal/otomatis", data=form(start="2025-11-10T08:00"))
    pdf = client.get(f"/siklus/{w.cycle.id}/jadwal.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/siklus/{w.cycle.id}/jadwal.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    ics = client.get(f"/siklus/{w.cycle.id}/jadwal.ics")
    assert ics.status_code == 200 and ics.text.count("BEGIN:VEVENT") == 4
    assert "\r\nDTSTART:20251110T" in ics.text


def test_the_sekretariat_sets_up_rubric_and_rules(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    login(client, db, w.sek)
    page = client.get(f"/siklus/{w.cycle.id}/presentasi")
    assert page.status_code == 200 and "Komitmen pimpinan" in page.text
    bad = client.post(
        f"/siklus/{w.cycle.id}/presentasi/rubrik",
        data=form(code="x", name="Kriteria X", weight="0", scale_min="1", scale_max="5"),
    )
    assert bad.status_code == 422 and "Kriteria X" in bad.text
    ok = client.post(
        f"/siklus/{w.cycle.id}/presentasi/aturan",
        data=form(
            method="median",
            disagreement_threshold="15",
            trimmed_min_jurors="5",
            normalise_min_bodies="3",
            bodies_per_session="4",
            talk_minutes="10",
            questions_minutes="15",
            answers_minutes="10",
            break_minutes="15",
        ),
    )
    assert ok.status_code == 303
    db.expire_all()
    assert panels.get_settings(db, w.cycle).method == "median"


def test_the_api_lists_panels_and_a_locked_panels_results(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    room = w.rooms[0]
    panels_list = login(client, db, w.sek).get(f"/api/v1/cycles/{w.cycle.id}/panels").json()
    assert [(p["name"], p["status"], p["juror_count"]) for p in panels_list] == [
        ("Ruang A", "open", 3),
        ("Ruang B", "open", 3),
    ]
    assert client.get(f"/api/v1/panels/{room.id}/results").json() == []
    login(client, db, w.factory.user(w.factory.commission(), Role.SEKRETARIAT))
    r = client.get(f"/api/v1/panels/{room.id}/results")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_co_jurors_scores_show_after_the_lock(
    client: TestClient, db: Session, world: World
) -> None:
    w = world
    room = w.rooms[0]
    login(client, db, w.sek)
    client.post(f"/siklus/{w.cycle.id}/jadwal/otomatis", data=form(start="2025-11-10T08:00"))
    bodies = [b.id for _, b in panels.slots_of(db, room)]
    for i in range(3):
        _juror_ready(client, db, w, i, room.id)
        for body_id in bodies:
            client.post(f"/panel/{room.id}/badan/{body_id}", data=form(action="submit", **RATE))
    login(client, db, w.jurors[0])
    assert client.post(f"/panel/{room.id}/kunci", data=form()).status_code == 303
    login(client, db, w.jurors[2])
    page = client.get(f"/panel/{room.id}")
    assert "Nilai per juri" in page.text and w.jurors[1].full_name in page.text
    refused = client.post(f"/panel/{room.id}/badan/{bodies[0]}", data=form(action="draft", **RATE))
    assert refused.status_code == 409 and "dikunci" in refused.text
