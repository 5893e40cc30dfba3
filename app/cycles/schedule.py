"""A cycle's stages in time: planning them, extending deadlines, and the stage gate.

Other domains call `require_stage_open(db, cycle, "saq", body_id=...)` before every write a
stage governs, and `current_stage(db, cycle)` to show where a cycle stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.bodies.models import Body
from app.cycles.access import actor_id, organisation_of, require_manager
from app.cycles.models import Cycle, CycleCategory, CycleStage, CycleTarget, StageExtension
from app.cycles.rules import (
    STAGE_CODES,
    StageMoment,
    StagePlan,
    effective_close,
    stage_at,
    stage_errors,
    stage_label,
    to_local_input,
    to_utc,
)
from app.db import memo, utcnow
from app.errors import DeadlinePassed, InvalidTransition, NotFound, ValidationFailed
from app.web.format import fmt_datetime

# Statements that nearly every request runs (a stage's window, a body's category), built once per
# process: building one (its clause objects, then its cache key) costs ~0.1 ms each time.
_STAGES = (
    select(CycleStage)
    .where(CycleStage.cycle_id == bindparam("cycle_id"))
    .order_by(CycleStage.position, CycleStage.id)
)
_CATEGORY_OF_BODY = (
    select(CycleCategory)
    .join(CycleTarget, CycleTarget.cycle_category_id == CycleCategory.id)
    .where(
        CycleTarget.cycle_id == bindparam("cycle_id"), CycleTarget.body_id == bindparam("body_id")
    )
)
_EXTENSIONS_FOR_BODY = (
    select(StageExtension)
    .join(CycleStage, CycleStage.id == StageExtension.stage_id)
    .where(
        CycleStage.cycle_id == bindparam("cycle_id"),
        StageExtension.revoked_at.is_(None),
        or_(
            StageExtension.body_id == bindparam("body_id"),
            StageExtension.cycle_category_id.in_(
                select(CycleTarget.cycle_category_id).where(
                    CycleTarget.cycle_id == bindparam("cycle_id"),
                    CycleTarget.body_id == bindparam("body_id"),
                )
            ),
        ),
    )
    .order_by(StageExtension.closes_at, StageExtension.id)
)


def stages_of(db: Session, cycle: Cycle) -> list[CycleStage]:
    """The cycle's stages in their order (read once per request: see `memo`)."""
    return list(
        memo(
            db,
            ("stages", cycle.id),
            lambda: list(db.scalars(_STAGES, {"cycle_id": cycle.id})),
        )
    )


def plans(stages: list[CycleStage]) -> list[StagePlan]:
    return [StagePlan(s.code, s.opens_at, s.closes_at) for s in stages]


def get_stage(db: Session, cycle: Cycle, code: str) -> CycleStage | None:
    return next((s for s in stages_of(db, cycle) if s.code == code), None)


def category_of_body(db: Session, cycle: Cycle, body_id: int) -> CycleCategory | None:
    """The body's category in this cycle (None when it is not a target)."""
    return db.scalar(_CATEGORY_OF_BODY, {"cycle_id": cycle.id, "body_id": body_id})


def extensions_for_body(
    db: Session, cycle: Cycle, body_id: int, stage: CycleStage | None = None
) -> list[StageExtension]:
    """Active extensions that reach the body: named for it, or for its category in the cycle
    (read once per request: see `memo`)."""
    every = memo(
        db,
        ("extensions", cycle.id, body_id),
        lambda: list(db.scalars(_EXTENSIONS_FOR_BODY, {"cycle_id": cycle.id, "body_id": body_id})),
    )
    return [e for e in every if stage is None or e.stage_id == stage.id]


@dataclass(frozen=True)
class StageWindow:
    """A stage's window for one body (or for everyone): its close includes any extension."""

    code: str
    opens_at: datetime
    closes_at: datetime
    extension: StageExtension | None = None

    @property
    def label(self) -> str:
        return stage_label(self.code)


def stage_window(
    db: Session, cycle: Cycle, stage_code: str, *, body_id: int | None = None
) -> StageWindow:
    """The window of one stage, honouring extensions for the body or its category."""
    stage = get_stage(db, cycle, stage_code)
    label = stage_label(stage_code)
    if stage is None:
        raise InvalidTransition(f"Tahap {label} tidak ada dalam siklus {cycle.name}.")
    if stage.opens_at is None or stage.closes_at is None:
        raise InvalidTransition(f"Tahap {label} belum dijadwalkan.")
    extension: StageExtension | None = None
    closes = stage.closes_at
    if body_id is not None:
        exts = extensions_for_body(db, cycle, body_id, stage)
        closes = effective_close(stage.closes_at, [e.closes_at for e in exts])
        extension = next((e for e in reversed(exts) if e.closes_at == closes), None)
    return StageWindow(stage_code, stage.opens_at, closes, extension)


def require_stage_open(
    db: Session,
    cycle: Cycle,
    stage_code: str,
    *,
    body_id: int | None = None,
    now: datetime | None = None,
) -> StageWindow:
    """Refuse a write outside the stage's window (extensions for the body count).

    Raises InvalidTransition when the cycle is not open or the stage has not opened yet, and
    DeadlinePassed (naming the deadline in the commission's time zone) once it has closed.
    """
    now = now or utcnow()
    label = stage_label(stage_code)
    if not cycle.is_open:
        raise InvalidTransition(f"Siklus {cycle.name} belum dibuka oleh sekretariat.")
    window = stage_window(db, cycle, stage_code, body_id=body_id)
    tz = organisation_of(db, cycle).timezone
    if now < window.opens_at:
        raise InvalidTransition(f"Tahap {label} baru dibuka {fmt_datetime(window.opens_at, tz)}.")
    if now >= window.closes_at:
        extra = " (termasuk perpanjangan)" if window.extension is not None else ""
        raise DeadlinePassed(f"Tahap {label} ditutup {fmt_datetime(window.closes_at, tz)}{extra}.")
    return window


def current_stage(
    db: Session, cycle: Cycle, *, now: datetime | None = None, body_id: int | None = None
) -> StageMoment:
    """The stage open at `now` and the next one; for a body, its extensions count."""
    now = now or utcnow()
    stages = stages_of(db, cycle)
    if body_id is None:
        return stage_at(plans(stages), now)
    by_stage: dict[int, list[datetime]] = {}
    for e in extensions_for_body(db, cycle, body_id):
        by_stage.setdefault(e.stage_id, []).append(e.closes_at)
    stage_plans = [
        StagePlan(
            s.code,
            s.opens_at,
            effective_close(s.closes_at, by_stage.get(s.id, [])) if s.closes_at else None,
        )
        for s in stages
    ]
    moment = stage_at(stage_plans, now)
    # A stage kept open for this body by an extension is what the body is in, even when the
    # commission has moved on to the next stage.
    extended = [
        p
        for s, p in zip(stages, stage_plans, strict=True)
        if s.closes_at is not None and s.closes_at <= now and p.closes_at and now < p.closes_at
    ]
    if extended:
        return StageMoment(current=extended[-1], upcoming=moment.upcoming)
    return moment


# --- planning ----------------------------------------------------------------------------------


@dataclass
class StageEntry:
    """One row of the stage planner as typed (local times in the commission's zone)."""

    code: str
    selected: bool
    position: str = ""
    opens: str = ""
    closes: str = ""


def planner_rows(db: Session, cycle: Cycle) -> list[StageEntry]:
    """Every known stage for the planner form: the chosen ones first, in order."""
    tz = organisation_of(db, cycle).timezone
    chosen = stages_of(db, cycle)
    rows = [
        StageEntry(
            s.code,
            True,
            str(i),
            to_local_input(s.opens_at, tz),
            to_local_input(s.closes_at, tz),
        )
        for i, s in enumerate(chosen, start=1)
    ]
    have = {s.code for s in chosen}
    rows += [StageEntry(c, False) for c in STAGE_CODES if c not in have]
    return rows


def save_stages(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    entries: list[StageEntry],
    *,
    now: datetime | None = None,
) -> list[CycleStage]:
    """Choose, order and schedule the cycle's stages (times typed in the commission's zone)."""
    require_manager(actor, cycle)
    now = now or utcnow()
    tz = organisation_of(db, cycle).timezone
    field_errors: dict[str, str] = {}
    chosen: list[tuple[int, int, StagePlan]] = []
    for i, e in enumerate(entries):
        if e.code not in STAGE_CODES:
            raise ValidationFailed(f"Tahap tidak dikenal: {e.code!r}.")
        if not e.selected:
            continue
        try:
            position = int(e.position) if e.position.strip() else 100 + i
        except ValueError:
            field_errors[f"{e.code}.position"] = "Urutan harus angka."
            position = 100 + i
        opens = _parse_time(e.opens, tz, f"{e.code}.opens", field_errors)
        closes = _parse_time(e.closes, tz, f"{e.code}.closes", field_errors)
        chosen.append((position, i, StagePlan(e.code, opens, closes)))
    chosen.sort(key=lambda t: (t[0], t[1]))
    new_plans = [p for _, _, p in chosen]
    existing = {s.code: s for s in stages_of(db, cycle)}
    problems = stage_errors(new_plans, complete=False)
    if cycle.is_open:
        problems += _started_stage_problems(existing, new_plans, now)
    if field_errors or problems:
        raise ValidationFailed(
            " ".join(problems) or "Periksa kembali waktu tahap.", field_errors=field_errors
        )
    before = {c: _stage_dict(s) for c, s in existing.items()}
    for code, s in existing.items():
        if code not in {p.code for p in new_plans}:
            db.delete(s)
    result = []
    for pos, p in enumerate(new_plans, start=1):
        s = existing.get(p.code) or CycleStage(cycle_id=cycle.id, code=p.code)
        s.position, s.opens_at, s.closes_at = pos, p.opens_at, p.closes_at
        db.add(s)
        result.append(s)
    db.flush()
    after = {s.code: _stage_dict(s) for s in result}
    if before != after:
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="cycle.stages_saved",
            object_type="cycle",
            object_id=cycle.id,
            before=before,
            after=after,
        )
    return result


def _parse_time(text: str, tz: str, key: str, errors: dict[str, str]) -> datetime | None:
    if not text.strip():
        return None
    try:
        return to_utc(text, tz)
    except ValueError as exc:
        errors[key] = str(exc)
        return None


def _started_stage_problems(
    existing: dict[str, CycleStage], new_plans: list[StagePlan], now: datetime
) -> list[str]:
    """In an open cycle a stage that has begun keeps its opening (answers depend on it)."""
    problems = []
    new = {p.code: p for p in new_plans}
    for code, s in existing.items():
        if s.opens_at is None or s.opens_at > now:
            continue
        if code not in new:
            problems.append(f"Tahap {stage_label(code)} sudah berjalan dan tidak dapat dihapus.")
        elif new[code].opens_at != s.opens_at:
            problems.append(
                f"Tahap {stage_label(code)} sudah dibuka; waktu bukanya tidak dapat diubah. "
                "Untuk memberi waktu tambahan, ubah waktu tutup atau beri perpanjangan."
            )
    return problems


def _stage_dict(s: CycleStage) -> dict[str, object]:
    return {"position": s.position, "opens_at": s.opens_at, "closes_at": s.closes_at}


# --- deadline extensions -----------------------------------------------------------------------


def list_extensions(db: Session, cycle: Cycle) -> list[StageExtension]:
    """Every extension of the cycle (revoked ones too, for the record), newest first."""
    return list(
        db.scalars(
            select(StageExtension)
            .join(CycleStage, CycleStage.id == StageExtension.stage_id)
            .where(CycleStage.cycle_id == cycle.id)
            .order_by(StageExtension.id.desc())
        )
    )


def add_extension(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    stage_code: str,
    closes: str,
    reason: str,
    decision_ref: str,
    category_id: int | None = None,
    body_id: int | None = None,
) -> StageExtension:
    """Extend one stage's deadline for a category or a named target body (plenary decision)."""
    require_manager(actor, cycle)
    tz = organisation_of(db, cycle).timezone
    errors: dict[str, str] = {}
    stage = get_stage(db, cycle, stage_code)
    if stage is None or stage.closes_at is None:
        errors["stage_code"] = "Pilih tahap siklus yang sudah dijadwalkan."
    if (category_id is None) == (body_id is None):
        errors["target"] = "Pilih satu kategori atau satu badan publik (bukan keduanya)."
    elif category_id is not None:
        cat = db.get(CycleCategory, category_id)
        if cat is None or cat.cycle_id != cycle.id:
            errors["target"] = "Kategori tidak ada di siklus ini."
    elif body_id is not None and category_of_body(db, cycle, body_id) is None:
        errors["target"] = "Badan publik itu bukan sasaran siklus ini."
    closes_at = _parse_time(closes, tz, "closes", errors)
    if closes_at is None and "closes" not in errors:
        errors["closes"] = "Isi batas waktu baru."
    if stage and stage.closes_at and closes_at and closes_at <= stage.closes_at:
        errors["closes"] = (
            f"Batas baru harus setelah batas tahap ({fmt_datetime(stage.closes_at, tz)})."
        )
    if not reason.strip():
        errors["reason"] = "Tuliskan alasan perpanjangan."
    if not decision_ref.strip():
        errors["decision_ref"] = "Tuliskan nomor/rujukan keputusan rapat pleno."
    if errors:
        raise ValidationFailed("Perpanjangan belum dapat disimpan.", field_errors=errors)
    assert stage is not None and closes_at is not None
    ext = StageExtension(
        stage_id=stage.id,
        cycle_category_id=category_id,
        body_id=body_id,
        closes_at=closes_at,
        reason=reason.strip(),
        decision_ref=decision_ref.strip(),
        created_by_id=actor_id(actor),
    )
    db.add(ext)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="stage.extended",
        object_type="cycle",
        object_id=cycle.id,
        before={"stage": stage.code, "closes_at": stage.closes_at},
        after={
            "extension_id": ext.id,
            "stage": stage.code,
            "category_id": category_id,
            "body_id": body_id,
            "closes_at": closes_at,
            "reason": ext.reason,
            "decision_ref": ext.decision_ref,
        },
    )
    return ext


def revoke_extension(db: Session, actor: Actor, cycle: Cycle, extension_id: int) -> StageExtension:
    """Withdraw an extension (kept in the record, marked revoked)."""
    require_manager(actor, cycle)
    ext = db.get(StageExtension, extension_id)
    stage = db.get(CycleStage, ext.stage_id) if ext else None
    if ext is None or stage is None or stage.cycle_id != cycle.id:
        raise NotFound("Perpanjangan tidak ditemukan.")
    if ext.revoked_at is not None:
        raise InvalidTransition("Perpanjangan ini sudah dibatalkan.")
    ext.revoked_at = utcnow()
    ext.revoked_by_id = actor_id(actor)
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="stage.extension_revoked",
        object_type="cycle",
        object_id=cycle.id,
        before={"extension_id": ext.id, "closes_at": ext.closes_at},
    )
    return ext


def extension_target_name(db: Session, ext: StageExtension) -> str:
    if ext.body_id is not None:
        body = db.get(Body, ext.body_id)
        return body.name if body else "?"
    cat = db.get(CycleCategory, ext.cycle_category_id) if ext.cycle_category_id else None
    return f"Kategori {cat.name}" if cat else "?"
