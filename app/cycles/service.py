"""Use-cases of a monev cycle: create, clone last year's, categories and targets, open.

Functions other domains use:
- `get_cycle_for_actor(db, actor, cycle_id)` — the access-checked loader;
- `app.cycles.schedule.require_stage_open(...)` / `current_stage(...)` — the stage gate;
- `app.cycles.scoring.get_scoring_config(db, cycle)` — every scoring rule as pure data;
- `app.questionnaires.service.questionnaire_for_body(db, cycle, body_id)` — what a body answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant
from app.accounts.rules import Actor, Role
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
from app.cycles.models import Cycle, CycleCategory, CycleStage, CycleStatus, CycleTarget
from app.cycles.rules import DEFAULT_CONFIG, StageMoment, stage_errors, stage_label
from app.cycles.schedule import (
    current_stage,
    extensions_for_body,
    plans,
    stages_of,
)
from app.cycles.scoring import get_scoring_config, scoring_problems, write_config
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.orgs.service import categories as catalogue
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Item, ItemGroup, Questionnaire
from app.questionnaires.rules import category_problems

__all__ = ["get_cycle_for_actor"]

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
CATEGORY_CODE_RE = re.compile(r"^[a-z0-9_]{2,40}$")


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
            added += _add_default_targets(db, cycle, cat)
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
        q_map[q.id] = questionnaires.copy_questionnaire(
            db, q, cycle, actor_user_id=actor_id(actor)
        ).id
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


# --- categories and target bodies --------------------------------------------------------------


def categories_of(db: Session, cycle: Cycle) -> list[CycleCategory]:
    return list(
        db.scalars(
            select(CycleCategory)
            .where(CycleCategory.cycle_id == cycle.id)
            .order_by(CycleCategory.sort_order, CycleCategory.code)
        )
    )


def get_category(db: Session, cycle: Cycle, category_id: int) -> CycleCategory:
    cat = db.get(CycleCategory, category_id)
    if cat is None or cat.cycle_id != cycle.id:
        raise NotFound("Kategori tidak ditemukan di siklus ini.")
    return cat


@dataclass
class CategoryRow:
    category: CycleCategory
    target_count: int
    inactive_count: int
    questionnaire_name: str | None


def category_rows(db: Session, cycle: Cycle) -> list[CategoryRow]:
    """Each category with its number of target bodies and the questionnaire it answers."""
    counts = dict(
        db.execute(
            select(CycleTarget.cycle_category_id, func.count())
            .where(CycleTarget.cycle_id == cycle.id)
            .group_by(CycleTarget.cycle_category_id)
        ).all()
    )
    inactive = dict(
        db.execute(
            select(CycleTarget.cycle_category_id, func.count())
            .join(Body, Body.id == CycleTarget.body_id)
            .where(CycleTarget.cycle_id == cycle.id, Body.is_active.is_(False))
            .group_by(CycleTarget.cycle_category_id)
        ).all()
    )
    names = {q.id: q.name for q in questionnaires.list_questionnaires(db, cycle)}
    return [
        CategoryRow(
            c,
            counts.get(c.id, 0),
            inactive.get(c.id, 0),
            names.get(c.questionnaire_id) if c.questionnaire_id else None,
        )
        for c in categories_of(db, cycle)
    ]


def _audit(db: Session, actor: Actor, cycle: Cycle, action: str, **data: object) -> None:
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action=action,
        object_type="cycle",
        object_id=cycle.id,
        after=dict(data),
    )


def add_category(db: Session, actor: Actor, cycle: Cycle, *, code: str, name: str) -> CycleCategory:
    """Add a category to the cycle (any code: the catalogue's or a new one for this cycle)."""
    require_manager(actor, cycle)
    code, name = code.strip(), name.strip()
    errors = {}
    if not CATEGORY_CODE_RE.match(code):
        errors["code"] = "Huruf kecil, angka dan garis bawah (2–40), mis. desa."
    elif db.scalar(
        select(CycleCategory.id).where(
            CycleCategory.cycle_id == cycle.id, CycleCategory.code == code
        )
    ):
        errors["code"] = "Kode sudah ada di siklus ini."
    if not name:
        errors["name"] = "Wajib diisi."
    if errors:
        raise ValidationFailed("Kategori belum dapat ditambahkan.", field_errors=errors)
    order = db.scalar(
        select(func.max(CycleCategory.sort_order)).where(CycleCategory.cycle_id == cycle.id)
    )
    cat = CycleCategory(cycle_id=cycle.id, code=code, name=name, sort_order=(order or 0) + 1)
    if len(questionnaires.list_questionnaires(db, cycle)) == 1:
        cat.questionnaire_id = questionnaires.list_questionnaires(db, cycle)[0].id
    db.add(cat)
    db.flush()
    _audit(db, actor, cycle, "cycle.category_added", code=code, name=name)
    return cat


def add_catalogue_categories(db: Session, actor: Actor, cycle: Cycle) -> int:
    """Add every category of the commission's catalogue that the cycle does not have yet."""
    require_manager(actor, cycle)
    have = {c.code for c in categories_of(db, cycle)}
    added = 0
    for c in catalogue(db, cycle.organisation_id):
        if c.code not in have:
            add_category(db, actor, cycle, code=c.code, name=c.name)
            added += 1
    return added


def update_category(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    category_id: int,
    *,
    name: str,
    questionnaire_id: int | None,
) -> CycleCategory:
    """Rename a category or choose the questionnaire its bodies answer."""
    require_manager(actor, cycle)
    cat = get_category(db, cycle, category_id)
    if not name.strip():
        raise ValidationFailed("Nama kategori wajib diisi.", field_errors={"name": "Wajib diisi."})
    if questionnaire_id is not None:
        q = db.get(Questionnaire, questionnaire_id)
        if q is None or q.cycle_id != cycle.id:
            raise ValidationFailed(
                "Kuesioner tidak ada di siklus ini.",
                field_errors={"questionnaire_id": "Pilih kuesioner siklus ini."},
            )
    if (
        questionnaire_id != cat.questionnaire_id
        and questionnaires.is_frozen(db, cycle)
        and cat.questionnaire_id is not None
    ):
        raise InvalidTransition(
            "Tahap SAQ sudah dibuka: kuesioner sebuah kategori tidak dapat diganti lagi."
        )
    before = {"name": cat.name, "questionnaire_id": cat.questionnaire_id}
    cat.name, cat.questionnaire_id = name.strip(), questionnaire_id
    after = {"name": cat.name, "questionnaire_id": cat.questionnaire_id}
    if before != after:
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="cycle.category_updated",
            object_type="cycle",
            object_id=cycle.id,
            before={"category": cat.code, **before},
            after={"category": cat.code, **after},
        )
    return cat


def remove_category(db: Session, actor: Actor, cycle: Cycle, category_id: int) -> None:
    """Remove an empty category no questionnaire item refers to."""
    require_manager(actor, cycle)
    cat = get_category(db, cycle, category_id)
    if db.scalar(select(CycleTarget.id).where(CycleTarget.cycle_category_id == cat.id).limit(1)):
        raise InvalidTransition(
            f"Kategori {cat.name} masih memiliki badan publik sasaran; "
            "pindahkan atau keluarkan dulu."
        )
    for model in (Item, ItemGroup):
        for codes in db.scalars(
            select(model.category_codes)
            .join(Questionnaire, Questionnaire.id == model.questionnaire_id)
            .where(Questionnaire.cycle_id == cycle.id)
        ):
            if cat.code in (codes or []):
                raise InvalidTransition(
                    f"Butir kuesioner masih merujuk kategori {cat.code}; "
                    "ubah kolom berlaku-untuk dulu."
                )
    _audit(db, actor, cycle, "cycle.category_removed", code=cat.code, name=cat.name)
    db.delete(cat)
    db.flush()


def list_targets(db: Session, cycle: Cycle, category: CycleCategory | None = None) -> list[Body]:
    """Target bodies of the cycle (of one category), by name."""
    stmt = (
        select(Body)
        .join(CycleTarget, CycleTarget.body_id == Body.id)
        .where(CycleTarget.cycle_id == cycle.id)
        .order_by(Body.name)
    )
    if category is not None:
        stmt = stmt.where(CycleTarget.cycle_category_id == category.id)
    return list(db.scalars(stmt))


def candidate_bodies(db: Session, cycle: Cycle) -> list[Body]:
    """Active top-level bodies of the commission that are not yet targets."""
    taken = select(CycleTarget.body_id).where(CycleTarget.cycle_id == cycle.id)
    return list(
        db.scalars(
            select(Body)
            .where(
                Body.organisation_id == cycle.organisation_id,
                Body.parent_id.is_(None),
                Body.is_active,
                Body.id.not_in(taken),
            )
            .order_by(Body.name)
        )
    )


def _add_default_targets(db: Session, cycle: Cycle, cat: CycleCategory) -> int:
    added = 0
    taken = select(CycleTarget.body_id).where(CycleTarget.cycle_id == cycle.id)
    for body in db.scalars(
        select(Body).where(
            Body.organisation_id == cycle.organisation_id,
            Body.parent_id.is_(None),
            Body.is_active,
            Body.default_category_code == cat.code,
            Body.id.not_in(taken),
        )
    ):
        db.add(CycleTarget(cycle_id=cycle.id, body_id=body.id, cycle_category_id=cat.id))
        added += 1
    db.flush()
    return added


def add_default_targets(db: Session, actor: Actor, cycle: Cycle, category_id: int) -> int:
    """Add every active top-level body whose default category is this one (and is not a target)."""
    require_manager(actor, cycle)
    cat = get_category(db, cycle, category_id)
    added = _add_default_targets(db, cycle, cat)
    if added:
        _audit(db, actor, cycle, "cycle.targets_added", category=cat.code, count=added)
    return added


def set_target(
    db: Session, actor: Actor, cycle: Cycle, *, body_id: int, category_id: int
) -> CycleTarget:
    """Make a body a target in a category, or move it there (one category per cycle)."""
    require_manager(actor, cycle)
    cat = get_category(db, cycle, category_id)
    body = db.get(Body, body_id)
    if body is None or body.organisation_id != cycle.organisation_id:
        raise NotFound("Badan publik tidak ditemukan.")
    if body.parent_id is not None:
        raise ValidationFailed(
            f"{body.name} adalah unit PPID pelaksana; yang menjadi sasaran adalah PPID utamanya."
        )
    target = db.scalar(
        select(CycleTarget).where(CycleTarget.cycle_id == cycle.id, CycleTarget.body_id == body.id)
    )
    before = None
    if target is None:
        if not body.is_active:
            raise ValidationFailed(f"{body.name} nonaktif dan tidak dapat menjadi sasaran.")
        target = CycleTarget(cycle_id=cycle.id, body_id=body.id, cycle_category_id=cat.id)
        db.add(target)
    else:
        before = target.cycle_category_id
        target.cycle_category_id = cat.id
    db.flush()
    if before != cat.id:
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="cycle.target_set",
            object_type="cycle",
            object_id=cycle.id,
            before={"body_id": body.id, "category_id": before},
            after={"body_id": body.id, "category_id": cat.id},
        )
    return target


def remove_target(db: Session, actor: Actor, cycle: Cycle, *, body_id: int) -> None:
    require_manager(actor, cycle)
    target = db.scalar(
        select(CycleTarget).where(CycleTarget.cycle_id == cycle.id, CycleTarget.body_id == body_id)
    )
    if target is None:
        raise NotFound("Badan publik itu bukan sasaran siklus ini.")
    _audit(
        db,
        actor,
        cycle,
        "cycle.target_removed",
        body_id=body_id,
        category_id=target.cycle_category_id,
    )
    db.delete(target)
    db.flush()


def targets_without_operator(db: Session, cycle: Cycle) -> int:
    with_operator = select(RoleGrant.body_id).where(
        RoleGrant.role == Role.OPERATOR,
        RoleGrant.revoked_at.is_(None),
        RoleGrant.body_id.is_not(None),
    )
    return (
        db.scalar(
            select(func.count())
            .select_from(CycleTarget)
            .where(CycleTarget.cycle_id == cycle.id, CycleTarget.body_id.not_in(with_operator))
        )
        or 0
    )


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
    panels = []
    for cycle, body, cat in rows:
        exts = []
        for e in extensions_for_body(db, cycle, body.id):
            stage = db.get(CycleStage, e.stage_id)
            exts.append(
                ExtensionView(
                    stage_label(stage.code if stage else ""),
                    e.closes_at,
                    e.reason,
                    e.decision_ref,
                    "badan publik ini" if e.body_id else f"kategori {cat.name}",
                )
            )
        panels.append(
            BodyPanel(
                cycle=cycle,
                body=body,
                category=cat,
                moment=current_stage(db, cycle, now=now, body_id=body.id),
                extensions=exts,
                tz=organisation_of(db, cycle).timezone,
            )
        )
    return panels


def staff_panels(
    db: Session, actor: Actor, *, now: datetime | None = None
) -> list[tuple[Cycle, StageMoment]]:
    """The commission's cycles with the stage each is in (for staff home pages)."""
    if actor.organisation_id is None or not is_staff_of(actor, actor.organisation_id):
        return []
    return [(c, current_stage(db, c, now=now)) for c in list_cycles(db, actor)[:3]]
