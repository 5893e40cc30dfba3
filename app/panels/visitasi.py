"""Visitasi (site checks): per body a checklist and/or a score, used as a scored component or
a pass/fail gate as the cycle's rules say. Results call `visit_outcomes(db, cycle)`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.cycles.access import actor_id, can_manage
from app.cycles.models import Cycle
from app.cycles.schedule import require_stage_open
from app.cycles.scoring import get_scoring_config
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.panels.models import VisitCheck
from app.panels.rules import VisitMode, visit_errors, visit_passes
from app.panels.service import _audit, _write_component, get_settings, shortlisted

STAGE = "visitasi"


def can_record(actor: Actor, cycle: Cycle) -> bool:
    """The sekretariat and commissioners of the cycle's commission record visits."""
    return can_manage(actor, cycle) or (
        actor.organisation_id == cycle.organisation_id and actor.has(Role.KOMISIONER)
    )


def visits_of(db: Session, cycle: Cycle) -> dict[int, VisitCheck]:
    rows = db.scalars(select(VisitCheck).where(VisitCheck.cycle_id == cycle.id))
    return {v.body_id: v for v in rows}


def record_visit(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    body_id: int,
    *,
    checked: list[str],
    score: str = "",
    note: str = "",
) -> VisitCheck:
    """Record (or update) a body's visitasi; in score mode the visitasi component follows."""
    if not can_record(actor, cycle):
        raise Forbidden("Hanya sekretariat atau komisioner yang mencatat visitasi.")
    if body_id not in {b.id for _, b in shortlisted(db, cycle)}:
        raise NotFound("Badan publik ini tidak ada di daftar pendek siklus ini.")
    settings = get_settings(db, cycle)
    mode = VisitMode(settings.visitasi_mode)
    value: Decimal | None = None
    field_errors: dict[str, str] = {}
    if score.strip():
        try:
            value = Decimal(score.strip().replace(",", "."))
            if value != value.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            field_errors["score"] = "Nilai berupa angka 0–100 dengan ≤ 2 desimal."
    problems = (
        [] if field_errors else visit_errors(mode, settings.visitasi_checklist, checked, value)
    )
    if mode == VisitMode.NONE:
        raise Conflict(problems[0])
    if problems or field_errors:
        raise ValidationFailed(
            " ".join(problems) or "Periksa kembali isian visitasi.", field_errors=field_errors
        )
    require_stage_open(db, cycle, STAGE)
    visit = visits_of(db, cycle).get(body_id)
    before = (
        None
        if visit is None
        else {"checked": visit.checked, "score": visit.score, "passed": visit.passed}
    )
    if visit is None:
        visit = VisitCheck(
            organisation_id=cycle.organisation_id, cycle_id=cycle.id, body_id=body_id
        )
        db.add(visit)
    visit.checked = sorted(set(checked))
    visit.score = value
    visit.passed = visit_passes(checked, settings.visitasi_pass_min)
    visit.note = (note or "").strip()[:4000]
    visit.visited_on = visit.visited_on or utcnow()
    visit.updated_at, visit.updated_by_id = utcnow(), actor_id(actor)
    db.flush()
    if mode == VisitMode.SCORE and value is not None:
        config = get_scoring_config(db, cycle)
        component = next((c for c in config.components if c.stage_code == STAGE), None)
        if component is not None:
            row = _write_component(db, actor, cycle, body_id, component.code, value, "Visitasi")
            row.source = "entered"
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.visitasi",
        "visit_check",
        visit.id,
        before=before,
        after={"checked": visit.checked, "score": value, "passed": visit.passed},
    )
    return visit


def visit_outcomes(db: Session, cycle: Cycle) -> dict[int, bool | None]:
    """Per shortlisted body: passed the visitasi gate (True/False), or not visited yet (None).

    Empty when the cycle does not use visitasi as a gate.
    """
    if get_settings(db, cycle).visitasi_mode != VisitMode.GATE:
        return {}
    visits = visits_of(db, cycle)
    return {
        b.id: (visits[b.id].passed if b.id in visits else None) for _, b in shortlisted(db, cycle)
    }
