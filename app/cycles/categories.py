"""A cycle's categories of bodies and its target bodies (one category per body per cycle)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.cycles.access import actor_id, require_manager
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.orgs.service import categories as catalogue
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Indicator, Item, ItemGroup, Questionnaire

CATEGORY_CODE_RE = re.compile(r"^[a-z0-9_]{2,40}$")


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


_WHAT: dict[type[Indicator | ItemGroup | Item], str] = {
    Indicator: "Indikator",
    ItemGroup: "Kelompok butir",
    Item: "Butir",
}


def remove_category(db: Session, actor: Actor, cycle: Cycle, category_id: int) -> None:
    """Remove an empty category that no indicator, group or item of a questionnaire names."""
    require_manager(actor, cycle)
    cat = get_category(db, cycle, category_id)
    if db.scalar(select(CycleTarget.id).where(CycleTarget.cycle_category_id == cat.id).limit(1)):
        raise InvalidTransition(
            f"Kategori {cat.name} masih memiliki badan publik sasaran; "
            "pindahkan atau keluarkan dulu."
        )
    for model in (Indicator, ItemGroup, Item):
        for codes in db.scalars(
            select(model.category_codes)
            .join(Questionnaire, Questionnaire.id == model.questionnaire_id)
            .where(Questionnaire.cycle_id == cycle.id)
        ):
            if cat.code in (codes or []):
                raise InvalidTransition(
                    f"{_WHAT[model]} kuesioner masih merujuk kategori {cat.code}; "
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


def fill_default_targets(db: Session, cycle: Cycle, cat: CycleCategory) -> int:
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
    added = fill_default_targets(db, cycle, cat)
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
