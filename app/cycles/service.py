"""Use-cases of a monev cycle: create, clone last year's, readiness, open.

Functions other domains use (all importable from this module):
- `get_cycle_for_actor(db, actor, cycle_id)` — the access-checked loader;
- `require_stage_open(db, cycle, code, body_id=, now=)` / `current_stage(db, cycle, now=,
  body_id=)` — the stage gate and where a cycle stands (from `app.cycles.schedule`);
- `get_scoring_config(db, cycle)` — every scoring rule as pure data (`app.cycles.scoring`);
- `questionnaire_for_body(db, cycle, body_id)` — what a body answers
  (`app.questionnaires.service`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.bodies.models import Body
from app.cycles.access import (
    actor_id,
    get_cycle_for_actor,
    is_staff_of,
    organisation_of,
    require_manager,
    require_sekretariat,
)
from app.cycles.categories import (
    categories_of,
    category_rows,
    fill_default_targets,
    targets_without_operator,
)
from app.cycles.models import Cycle, CycleCategory, CycleStage, CycleStatus, CycleTarget
from app.cycles.rules import DEFAULT_CONFIG, StageMoment, stage_errors, stage_label
from app.cycles.schedule import (
    current_stage,
    extensions_for_body,
    plans,
    require_stage_open,
    stage_window,
    stages_of,
)
from app.cycles.scoring import get_scoring_config, scoring_problems, write_config
from app.dashboards.body import KnownFacts, body_next_action
from app.dashboards.rules import NextAction
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.orgs.service import categories as catalogue
from app.questionnaires import service as questionnaires
from app.questionnaires import transfer
from app.questionnaires.rules import category_problems
from app.questionnaires.service import questionnaire_for_body

# Re-exported so other domains find the whole contract in one module.
__all__ = [
    "current_stage",
    "get_cycle_for_actor",
    "get_scoring_config",
    "questionnaire_for_body",
    "require_stage_open",
    "stage_window",
]

DEFAULT_STAGES = (
    "registration",
    "saq",
    "verification",
    "clarification",
    "verification_publication",
    "appeal",
    "shortlist",
    "presentation",
    "plenary",
    "publication",
    "award",
)


def list_cycles(db: Session, actor: Actor) -> list[Cycle]:
    """The commission's cycles, newest year first (commission staff only)."""
    if actor.organisation_id is None or not is_staff_of(actor, actor.organisation_id):
        raise Forbidden("Daftar siklus monev hanya untuk staf komisi.")
    return list(
        db.scalars(
            select(Cycle)
            .where(Cycle.organisation_id == actor.organisation_id)
            .order_by(Cycle.year.desc(), Cycle.name)
        )
    )


def find_cycle(db: Session, organisation_id: int, key: str) -> Cycle | None:
    """A commission's cycle by id or by exact name (command line)."""
    stmt = select(Cycle).where(Cycle.organisation_id == organisation_id)
    if key.strip().isdigit():
        found = db.scalar(stmt.where(Cycle.id == int(key)))
        if found is not None:
            return found
    return db.scalar(stmt.where(Cycle.name == key.strip()))


def _check_identity(
    db: Session, organisation_id: int, name: str, year: int | str, *, exclude_id: int | None = None
) -> tuple[str, int]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Wajib diisi, mis. Monev KIP 2025."
    elif len(name) > 120:
        errors["name"] = "Maksimal 120 karakter."
    elif db.scalar(
        select(Cycle.id).where(
            Cycle.organisation_id == organisation_id,
            Cycle.name == name,
            Cycle.id != (exclude_id or -1),
        )
    ):
        errors["name"] = "Nama siklus sudah dipakai di komisi ini."
    try:
        y = int(str(year).strip())
        if not 2000 <= y <= 2100:
            raise ValueError
    except ValueError:
        errors["year"] = "Tahun harus antara 2000 dan 2100."
        y = 0
    if errors:
        raise ValidationFailed("Periksa isian siklus.", field_errors=errors)
    return name, y


def create_cycle(
    db: Session, actor: Actor, *, name: str, year: int | str, fill_from_catalogue: bool = True
) -> Cycle:
    """A new cycle with the usual stages (no dates yet) and default scoring rules.

    With `fill_from_catalogue` it also takes the commission's categories and puts every active
    top-level body into its default category.
    """
    org_id = require_sekretariat(actor)
    name, y = _check_identity(db, org_id, name, year)
    cycle = Cycle(organisation_id=org_id, name=name, year=y, created_by_id=actor_id(actor))
    db.add(cycle)
    db.flush()
    write_config(db, cycle, DEFAULT_CONFIG)
    for i, code in enumerate(DEFAULT_STAGES, start=1):
        db.add(CycleStage(cycle_id=cycle.id, code=code, position=i))
    added = 0
    if fill_from_catalogue:
        for c in catalogue(db, org_id):
            db.add(
                CycleCategory(cycle_id=cycle.id, code=c.code, name=c.name, sort_order=c.sort_order)
            )
        db.flush()
        for cat in categories_of(db, cycle):
            added += fill_default_targets(db, cycle, cat)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=org_id,
        action="cycle.created",
        object_type="cycle",
        object_id=cycle.id,
        after={"name": name, "year": y, "targets": added},
    )
    return cycle


def update_cycle(db: Session, actor: Actor, cycle: Cycle, *, name: str, year: int | str) -> Cycle:
    require_manager(actor, cycle)
    before = {"name": cycle.name, "year": cycle.year}
    cycle.name, cycle.year = _check_identity(
        db, cycle.organisation_id, name, year, exclude_id=cycle.id
    )
    after = {"name": cycle.name, "year": cycle.year}
    if before != after:
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="cycle.updated",
            object_type="cycle",
            object_id=cycle.id,
            before=before,
            after=after,
        )
    return cycle


def _shift_years(value: datetime | None, years: int) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def clone_cycle(db: Session, actor: Actor, source: Cycle, *, name: str, year: int | str) -> Cycle:
    """Copy a cycle for a new year: stages (dates moved by the years between), categories,
    target bodies still active, questionnaires (unfrozen), weights, bands and all rules."""
    org_id = require_sekretariat(actor)
    if source.organisation_id != org_id:
        raise NotFound("Siklus sumber tidak ditemukan.")
    name, y = _check_identity(db, org_id, name, year)
    shift = y - source.year
    cycle = Cycle(
        organisation_id=org_id,
        name=name,
        year=y,
        created_by_id=actor_id(actor),
        cloned_from_id=source.id,
    )
    db.add(cycle)
    db.flush()
    write_config(db, cycle, get_scoring_config(db, source))
    for s in stages_of(db, source):
        db.add(
            CycleStage(
                cycle_id=cycle.id,
                code=s.code,
                position=s.position,
                opens_at=_shift_years(s.opens_at, shift),
                closes_at=_shift_years(s.closes_at, shift),
            )
        )
    q_map: dict[int, int] = {}
    for q in questionnaires.list_questionnaires(db, source):
        q_map[q.id] = transfer.copy_questionnaire(db, q, cycle, actor_user_id=actor_id(actor)).id
    cat_map: dict[int, int] = {}
    for c in categories_of(db, source):
        new = CycleCategory(
            cycle_id=cycle.id,
            code=c.code,
            name=c.name,
            sort_order=c.sort_order,
            questionnaire_id=q_map.get(c.questionnaire_id) if c.questionnaire_id else None,
        )
        db.add(new)
        db.flush()
        cat_map[c.id] = new.id
    targets = 0
    for t, body in db.execute(
        select(CycleTarget, Body)
        .join(Body, Body.id == CycleTarget.body_id)
        .where(CycleTarget.cycle_id == source.id, Body.is_active)
    ).all():
        db.add(
            CycleTarget(
                cycle_id=cycle.id, body_id=body.id, cycle_category_id=cat_map[t.cycle_category_id]
            )
        )
        targets += 1
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=org_id,
        action="cycle.cloned",
        object_type="cycle",
        object_id=cycle.id,
        after={
            "from_cycle_id": source.id,
            "name": name,
            "year": y,
            "questionnaires": len(q_map),
            "categories": len(cat_map),
            "targets": targets,
        },
    )
    return cycle


# --- readiness and opening ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something to fix (or note) before opening, with the page section where it is fixed."""

    section: str  # tahap | kategori | kuesioner | aturan
    message: str


@dataclass
class Readiness:
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def readiness(db: Session, cycle: Cycle, *, now: datetime | None = None) -> Readiness:
    """What is still missing before the cycle can open, in plain language."""
    now = now or utcnow()
    r = Readiness()
    stages = stages_of(db, cycle)
    r.problems += [Problem("tahap", m) for m in stage_errors(plans(stages))]
    saq = next((s for s in stages if s.code == "saq"), None)
    if saq and saq.closes_at and saq.closes_at <= now and not cycle.is_open:
        r.notes.append(Problem("tahap", "Tahap SAQ sudah lewat waktu tutupnya."))
    rows = category_rows(db, cycle)
    if not rows:
        r.problems.append(Problem("kategori", "Siklus belum memiliki kategori badan publik."))
    elif not any(row.target_count for row in rows):
        r.problems.append(
            Problem("kategori", "Belum ada badan publik sasaran di kategori mana pun.")
        )
    specs = {
        q.id: questionnaires.load_spec(db, q) for q in questionnaires.list_questionnaires(db, cycle)
    }
    if not specs:
        r.problems.append(
            Problem("kuesioner", "Siklus belum memiliki kuesioner: impor atau susun satu.")
        )
    for row in rows:
        cat = row.category
        if not row.target_count:
            r.notes.append(
                Problem("kategori", f"Kategori {cat.name} belum memiliki badan publik sasaran.")
            )
            continue
        if cat.questionnaire_id is None:
            if specs:
                r.problems.append(
                    Problem("kuesioner", f"Kategori {cat.name} belum dihubungkan ke kuesioner.")
                )
            continue
        r.problems += [
            Problem("kuesioner", m)
            for m in category_problems(specs[cat.questionnaire_id], cat.code, cat.name)
        ]
        if row.inactive_count:
            r.notes.append(
                Problem(
                    "kategori",
                    f"{row.inactive_count} badan publik sasaran di kategori {cat.name} nonaktif.",
                )
            )
    config = get_scoring_config(db, cycle)
    r.problems += [Problem("aturan", m) for m in scoring_problems(db, cycle, config)]
    without = targets_without_operator(db, cycle)
    if without:
        r.notes.append(
            Problem(
                "kategori",
                f"{without} badan publik sasaran belum memiliki akun operator; mereka belum dapat "
                "mengisi SAQ sampai diundang.",
            )
        )
    return r


def open_cycle(db: Session, actor: Actor, cycle: Cycle, *, now: datetime | None = None) -> Cycle:
    """Open a complete cycle to its target bodies (its questionnaires freeze when SAQ opens)."""
    require_manager(actor, cycle)
    if cycle.is_open:
        raise InvalidTransition("Siklus ini sudah dibuka.")
    check = readiness(db, cycle, now=now)
    if not check.ok:
        raise ValidationFailed(
            "Siklus belum dapat dibuka: " + " ".join(p.message for p in check.problems)
        )
    cycle.status = CycleStatus.OPEN
    cycle.opened_at = now or utcnow()
    cycle.opened_by_id = actor_id(actor)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="cycle.opened",
        object_type="cycle",
        object_id=cycle.id,
        before={"status": CycleStatus.DRAFT},
        after={"status": CycleStatus.OPEN},
    )
    return cycle


# --- what people see on their home page -------------------------------------------------------


@dataclass
class BodyPanel:
    """One open cycle as one of the actor's bodies sees it."""

    cycle: Cycle
    body: Body
    category: CycleCategory
    moment: StageMoment
    extensions: list[ExtensionView]
    tz: str
    next_action: NextAction | None = None


@dataclass(frozen=True)
class ExtensionView:
    stage_label: str
    closes_at: datetime
    reason: str
    decision_ref: str
    scope: str  # "badan publik ini" or the category name


def body_panels(db: Session, actor: Actor, *, now: datetime | None = None) -> list[BodyPanel]:
    """For each of the actor's bodies, the open cycles it is a target of, where they stand."""
    if not actor.body_ids:
        return []
    rows = db.execute(
        select(Cycle, Body, CycleCategory)
        .join(CycleTarget, CycleTarget.cycle_id == Cycle.id)
        .join(Body, Body.id == CycleTarget.body_id)
        .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
        .where(Cycle.status == CycleStatus.OPEN, CycleTarget.body_id.in_(actor.body_ids))
        .order_by(Cycle.year.desc(), Body.name)
    ).all()
    return [body_panel(db, cycle, body, cat, now=now) for cycle, body, cat in rows]


def body_panel(
    db: Session,
    cycle: Cycle,
    body: Body,
    category: CycleCategory,
    *,
    now: datetime | None = None,
    known: KnownFacts | None = None,
) -> BodyPanel:
    """Where one cycle stands for one target body, with the extensions that reach it."""
    exts = []
    for e in extensions_for_body(db, cycle, body.id):
        stage = db.get(CycleStage, e.stage_id)
        exts.append(
            ExtensionView(
                stage_label(stage.code if stage else ""),
                e.closes_at,
                e.reason,
                e.decision_ref,
                "badan publik ini" if e.body_id else f"kategori {category.name}",
            )
        )
    moment = current_stage(db, cycle, now=now, body_id=body.id)
    return BodyPanel(
        cycle=cycle,
        body=body,
        category=category,
        moment=moment,
        extensions=exts,
        tz=organisation_of(db, cycle).timezone,
        next_action=body_next_action(db, cycle, body, moment, now or utcnow(), known),
    )


def staff_panels(
    db: Session, actor: Actor, *, now: datetime | None = None
) -> list[tuple[Cycle, StageMoment]]:
    """The commission's cycles with the stage each is in (for staff home pages)."""
    if actor.organisation_id is None or not is_staff_of(actor, actor.organisation_id):
        return []
    return [(c, current_stage(db, c, now=now)) for c in list_cycles(db, actor)[:3]]
