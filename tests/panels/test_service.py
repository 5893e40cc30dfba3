"""Panels on the real database: jurors, pact, conflicts, scoring, schedule, lock, corrections."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.conflicts import service as conflicts
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.panels import schedule
from app.panels import service as panels
from app.panels.models import PanelScore, ScoreStatus
from app.results.models import ComponentScore
from tests.factories import Factory
from tests.panels.conftest import World, ratings, ready

START = "2025-11-10T08:00"


def _placed(db: Session, w: World) -> dict[int, list[int]]:
    schedule.auto_place(db, w.sek_actor, w.cycle, start=START)
    return {p.id: [b.id for _, b in panels.slots_of(db, p)] for p in w.rooms}


def test_the_done_when_scenario_gives_the_right_presentation_scores(
    db: Session, world: World
) -> None:
    w = world
    placed = _placed(db, w)
    room_a, room_b = w.rooms
    assert [len(v) for v in placed.values()] == [2, 2]
    p, q = placed[room_a.id]
    chair, j1, j2 = (ready(db, w, u, room_a) for u in w.jurors[:3])
    # j2 learns at the presentation that it used to work for body p: declares and abstains.
    conflicts.declare_affiliation(db, j2, kind="former_employer", name="", body_id=p)
    with pytest.raises(Conflict):
        panels.save_score(db, j2, room_a, p, ratings(), submit=True)
    panels.abstain(db, j2, room_a, p, reason="Konflik kepentingan: bekas tempat bekerja.")
    panels.save_score(
        db, chair, room_a, p, ratings(komitmen=5, inovasi=5, strategi=5, jawaban=5), submit=True
    )
    panels.save_score(db, j1, room_a, p, ratings(), submit=True)
    panels.save_score(db, chair, room_a, q, ratings(), submit=True)
    panels.save_score(db, j1, room_a, q, ratings(komitmen=1), submit=False)
    panels.save_score(db, j1, room_a, q, ratings(komitmen=1), submit=True)
    panels.save_score(db, j2, room_a, q, ratings(), submit=True)

    agg = panels.aggregate(db, room_a, w.cycle)
    assert [b.body_id for b in agg.flagged] == [q]
    results = {r.body_id: r.score for r in panels.lock_panel(db, chair, room_a)}

    assert results == {p: Decimal(90), q: Decimal(70)}
    scores = {
        c.body_id: (c.score, c.source)
        for c in db.scalars(select(ComponentScore).where(ComponentScore.cycle_id == w.cycle.id))
    }
    assert scores == {p: (Decimal(90), "panel"), q: (Decimal(70), "panel")}
    assert [x.id for x in panels.unlocked_panels(db, w.cycle)] == [room_b.id]
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"panels.abstain", "panels.submit_score", "panels.lock"} <= actions


def test_it_rejects_scores_after_lock_and_keeps_the_locked_ones(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    placed = _placed(db, w)[room.id]
    actors = [ready(db, w, u, room) for u in w.jurors[:3]]
    for a in actors:
        for body_id in placed:
            panels.save_score(db, a, room, body_id, ratings(), submit=True)
    panels.lock_panel(db, actors[0], room)
    with pytest.raises(Conflict, match="dikunci"):
        panels.save_score(db, actors[1], room, placed[0], ratings(komitmen=1), submit=False)
    with pytest.raises(Conflict):
        panels.lock_panel(db, actors[0], room)
    kept = db.scalars(select(PanelScore).where(PanelScore.panel_id == room.id)).all()
    assert {s.score for s in kept} == {Decimal(80)}


def test_it_refuses_a_second_submission_and_keeps_the_first(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    body_id = _placed(db, w)[room.id][0]
    a = ready(db, w, w.jurors[1], room)
    panels.save_score(db, a, room, body_id, ratings(), submit=True)
    with pytest.raises(Conflict, match="sudah dikirim"):
        panels.save_score(db, a, room, body_id, ratings(komitmen=1), submit=True)
    with pytest.raises(Conflict):
        panels.abstain(db, a, room, body_id, reason="berubah pikiran")
    assert panels.get_score(db, room, body_id, a.user_id).score == Decimal(80)  # type: ignore[union-attr]


def test_it_refuses_ratings_outside_the_scale_and_saves_nothing(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    body_id = _placed(db, w)[room.id][0]
    a = ready(db, w, w.jurors[1], room)
    with pytest.raises(ValidationFailed) as exc:
        panels.save_score(db, a, room, body_id, ratings(komitmen=6, ngarang=3), submit=False)
    assert set(exc.value.field_errors) == {"rating_komitmen", "rating_ngarang"}
    assert panels.get_score(db, room, body_id, a.user_id) is None


def test_a_submission_needs_every_criterion_and_required_comments(
    db: Session, world: World
) -> None:
    w = world
    room = w.rooms[0]
    body_id = _placed(db, w)[room.id][0]
    a = ready(db, w, w.jurors[1], room)
    partial = panels.ScoreInput(ratings={"komitmen": "3"}, comments={})
    draft = panels.save_score(db, a, room, body_id, partial, submit=False)
    assert draft.status == ScoreStatus.DRAFT
    with pytest.raises(ValidationFailed) as exc:
        panels.save_score(db, a, room, body_id, partial, submit=True)
    assert "comment_jawaban" in exc.value.field_errors
    assert "rating_inovasi" in exc.value.field_errors
    assert panels.get_score(db, room, body_id, a.user_id).status == ScoreStatus.DRAFT  # type: ignore[union-attr]


def test_a_juror_of_another_panel_cannot_score_its_bodies(db: Session, world: World) -> None:
    w = world
    room_a, room_b = w.rooms
    body_id = _placed(db, w)[room_a.id][0]
    other = ready(db, w, w.jurors[3], room_b)
    with pytest.raises(Forbidden):
        panels.save_score(db, other, room_a, body_id, ratings(), submit=True)
    mine = ready(db, w, w.jurors[1], room_a)
    with pytest.raises(NotFound):
        panels.save_score(db, mine, room_a, _placed(db, w)[room_b.id][0], ratings(), submit=True)


def test_a_juror_sees_nothing_before_the_pact_and_declaration(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    body_id = _placed(db, w)[room.id][0]
    a = w.actor(w.jurors[1])
    with pytest.raises(Forbidden):
        panels.require_ready(db, a, room)
    with pytest.raises(InvalidTransition):
        panels.confirm_declaration(db, a, room)
    with pytest.raises(ValidationFailed):
        panels.accept_pact(db, a, room, agree=False)
    panels.accept_pact(db, a, room, agree=True)
    with pytest.raises(Forbidden):
        panels.save_score(db, a, room, body_id, ratings(), submit=True)
    panels.confirm_declaration(db, a, room)
    assert panels.save_score(db, a, room, body_id, ratings(), submit=True).score == Decimal(80)


def test_only_the_chair_locks_and_only_when_every_score_is_in(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    placed = _placed(db, w)[room.id]
    chair, j1, _j2 = (ready(db, w, u, room) for u in w.jurors[:3])
    with pytest.raises(Forbidden):
        panels.lock_panel(db, j1, room)
    with pytest.raises(Forbidden):
        panels.lock_panel(db, w.sek_actor, room)
    panels.save_score(db, chair, room, placed[0], ratings(), submit=True)
    with pytest.raises(InvalidTransition, match="Belum semua nilai"):
        panels.lock_panel(db, chair, room)
    assert not room.is_locked


def test_auto_placement_keeps_conflicted_bodies_out_of_a_room(db: Session, world: World) -> None:
    w = world
    target = w.bodies[0]
    conflicts.declare_affiliation(
        db, w.actor(w.jurors[4]), kind="institution", name="", body_id=target.id
    )
    placed = _placed(db, w)
    assert target.id in placed[w.rooms[0].id]
    conflicts.declare_affiliation(
        db, w.actor(w.jurors[1]), kind="institution", name="", body_id=target.id
    )
    report = schedule.auto_place(db, w.sek_actor, w.cycle, start=START)
    assert [b.id for b in report.unplaced] == [target.id]


def test_moving_a_body_into_a_conflicted_room_is_refused(db: Session, world: World) -> None:
    w = world
    placed = _placed(db, w)
    body_id = placed[w.rooms[0].id][0]
    conflicts.declare_affiliation(
        db, w.actor(w.jurors[5]), kind="institution", name="", body_id=body_id
    )
    slot, _ = schedule.slot_for_body(db, w.cycle, body_id)  # type: ignore[misc]
    with pytest.raises(Conflict, match="berkonflik"):
        schedule.move_slot(db, w.sek_actor, w.cycle, slot.id, panel_id=w.rooms[1].id, starts=START)
    moved = schedule.move_slot(
        db, w.sek_actor, w.cycle, slot.id, panel_id=w.rooms[0].id, starts="2025-11-10T13:00"
    )
    assert moved.panel_id == w.rooms[0].id
    with pytest.raises(Conflict, match="bertabrakan"):
        schedule.move_slot(
            db, w.sek_actor, w.cycle, slot.id, panel_id=w.rooms[0].id, starts="2025-11-10T08:10"
        )


def test_slots_follow_the_cycles_timing(db: Session, world: World) -> None:
    w = world
    panels.save_settings(
        db,
        w.sek_actor,
        w.cycle,
        {
            "method": "mean",
            "disagreement_threshold": "20",
            "bodies_per_session": "1",
            "talk_minutes": "10",
            "questions_minutes": "15",
            "answers_minutes": "10",
            "break_minutes": "5",
            "trimmed_min_jurors": "5",
            "normalise_min_bodies": "3",
        },
    )
    _placed(db, w)
    slots = [s for s, _ in panels.slots_of(db, w.rooms[0])]
    assert [s.session_no for s in slots] == [1, 2]
    assert (slots[1].starts_at - slots[0].starts_at).total_seconds() == 40 * 60
    assert (slots[0].ends_at - slots[0].starts_at).total_seconds() == 35 * 60


def test_only_jurors_of_the_commission_join_a_panel(db: Session, world: World) -> None:
    w = world
    verifier = w.factory.user(w.org, Role.VERIFIKATOR)
    with pytest.raises(ValidationFailed):
        panels.add_juror(db, w.sek_actor, w.rooms[0], w.cycle, user_id=verifier.id)
    with pytest.raises(Conflict, match="Ruang A"):
        panels.add_juror(db, w.sek_actor, w.rooms[1], w.cycle, user_id=w.jurors[0].id)
    with pytest.raises(Forbidden):
        panels.create_panel(db, w.actor(w.jurors[0]), w.cycle, name="Ruang C")


def test_a_correction_is_a_separate_record_the_results_follow(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    placed = _placed(db, w)[room.id]
    actors = [ready(db, w, u, room) for u in w.jurors[:3]]
    for a in actors:
        for body_id in placed:
            panels.save_score(db, a, room, body_id, ratings(), submit=True)
    panels.lock_panel(db, actors[0], room)
    with pytest.raises(ValidationFailed):
        panels.correct_score(db, w.sek_actor, room, placed[0], new_score="101", reason="x")
    panels.correct_score(
        db,
        w.sek_actor,
        room,
        placed[0],
        new_score="82,5",
        reason="Salah input tingkat kriteria inovasi.",
        decision_ref="SK 12/2025",
    )
    component = db.scalar(select(ComponentScore).where(ComponentScore.body_id == placed[0]))
    assert component is not None and component.score == Decimal("82.5")
    result = next(r for r in panels.results_of(db, room) if r.body_id == placed[0])
    assert result.score == Decimal(80)
    history = panels.corrections_of(db, w.cycle, placed[0])
    assert [(c.old_score, c.new_score) for c in history] == [(Decimal(80), Decimal("82.5"))]


def test_scoring_is_refused_outside_the_presentation_stage(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    body_id = _placed(db, w)[room.id][0]
    a = ready(db, w, w.jurors[1], room)
    from app.cycles.models import CycleStage

    stage = db.scalar(
        select(CycleStage).where(
            CycleStage.cycle_id == w.cycle.id, CycleStage.code == "presentation"
        )
    )
    assert stage is not None and stage.opens_at is not None
    stage.closes_at = stage.opens_at
    db.flush()
    from app.errors import DeadlinePassed

    with pytest.raises(DeadlinePassed):
        panels.save_score(db, a, room, body_id, ratings(), submit=True)


def _rules(**kw: str) -> dict[str, str]:
    base = {
        "method": "mean",
        "disagreement_threshold": "20",
        "trimmed_min_jurors": "3",
        "normalise_min_bodies": "2",
        "bodies_per_session": "4",
        "talk_minutes": "10",
        "questions_minutes": "15",
        "answers_minutes": "10",
        "break_minutes": "15",
        "hide_co_scores": "1",
    }
    return {**base, **kw}


def _score_room(db: Session, w: World, levels: list[tuple[int, int]]) -> list[int]:
    """Three jurors of room A score its two bodies with komitmen levels (body 1, body 2)."""
    room = w.rooms[0]
    placed = _placed(db, w)[room.id]
    actors = [ready(db, w, u, room) for u in w.jurors[:3]]
    for a, (first, second) in zip(actors, levels, strict=True):
        panels.save_score(db, a, room, placed[0], ratings(komitmen=first), submit=True)
        panels.save_score(db, a, room, placed[1], ratings(komitmen=second), submit=True)
    return placed


def test_the_cycles_method_decides_the_aggregate(db: Session, world: World) -> None:
    w = world
    panels.save_settings(db, w.sek_actor, w.cycle, _rules(method="median"))
    first, _ = _score_room(db, w, [(1, 5), (2, 5), (5, 5)])  # 50, 57.5, 80 for the first body
    agg = panels.aggregate(db, w.rooms[0], w.cycle)
    assert agg.body(first).score == Decimal("57.5")
    panels.save_settings(db, w.sek_actor, w.cycle, _rules(method="trimmed_mean"))
    assert panels.aggregate(db, w.rooms[0], w.cycle).body(first).score == Decimal("57.5")


def test_normalisation_keeps_each_jurors_order(db: Session, world: World) -> None:
    w = world
    panels.save_settings(db, w.sek_actor, w.cycle, _rules(normalise="1"))
    first, second = _score_room(db, w, [(1, 2), (4, 5), (3, 3)])
    agg = panels.aggregate(db, w.rooms[0], w.cycle)
    assert [j.applied for j in agg.jurors] == [True, True, False]
    for juror_id in {c.juror_id for c in agg.body(first).contributions}:
        a = next(c for c in agg.body(first).contributions if c.juror_id == juror_id)
        b = next(c for c in agg.body(second).contributions if c.juror_id == juror_id)
        assert (a.raw < b.raw) == (a.used < b.used)


def test_the_rubric_is_frozen_once_a_score_is_submitted(db: Session, world: World) -> None:
    w = world
    _score_room(db, w, [(3, 3), (3, 3), (3, 3)])
    with pytest.raises(Conflict, match="Rubrik"):
        panels.save_criterion(
            db, w.sek_actor, w.cycle, code="baru", name="Baru", weight=5, scale_min=1, scale_max=5
        )
    criterion = panels.rubric_of(db, w.cycle)[0]
    with pytest.raises(Conflict):
        panels.delete_criterion(db, w.sek_actor, w.cycle, criterion.id)


def test_a_juror_who_has_scored_stays_and_the_chair_can_change(db: Session, world: World) -> None:
    w = world
    room = w.rooms[0]
    _score_room(db, w, [(3, 3), (3, 3), (3, 3)])
    with pytest.raises(Conflict):
        panels.remove_juror(db, w.sek_actor, room, w.cycle, user_id=w.jurors[1].id)
    panels.set_chair(db, w.sek_actor, room, w.cycle, user_id=w.jurors[1].id)
    chair = panels.chair_of(db, room)
    assert chair is not None and chair.user_id == w.jurors[1].id
    with pytest.raises(ValidationFailed):
        panels.set_chair(db, w.sek_actor, room, w.cycle, user_id=w.jurors[4].id)


def test_bad_rules_are_refused_with_field_messages(db: Session, world: World) -> None:
    w = world
    with pytest.raises(ValidationFailed) as exc:
        panels.save_settings(
            db,
            w.sek_actor,
            w.cycle,
            _rules(
                method="modus",
                disagreement_threshold="1,234",
                talk_minutes="0",
                visitasi_pass_min="x",
            ),
        )
    assert {"method", "disagreement_threshold", "talk_minutes", "visitasi_pass_min"} <= set(
        exc.value.field_errors
    )


def test_results_cannot_be_published_while_a_panel_is_unlocked(
    db: Session, factory: Factory
) -> None:
    from app.panels.models import Panel
    from app.results.publication import publication_blockers

    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    assert not any("Panel" in r for r in publication_blockers(db, cycle))
    panel = Panel(organisation_id=org.id, cycle_id=cycle.id, name="Ruang Uji")
    db.add(panel)
    db.flush()
    assert any("Ruang Uji" in r for r in publication_blockers(db, cycle))
