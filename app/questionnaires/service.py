"""Use-cases of questionnaires: loading, the per-body view, freezing and versions, naming.

Import/export live in `transfer.py`, the browser editor in `editor.py`.

Other domains call `questionnaire_for_body(db, cycle, body_id)` for the items a body answers
(only those applying to its category) and `load_spec(db, questionnaire)` for the whole tree.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.cycles.access import actor_id, get_cycle_for_actor, is_staff_of, require_manager
from app.cycles.models import Cycle, CycleCategory
from app.cycles.schedule import category_of_body, get_stage
from app.db import memo, utcnow
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.questionnaires.models import (
    Indicator,
    Item,
    ItemGroup,
    Questionnaire,
    QuestionnaireVersion,
)
from app.questionnaires.rules import (
    IndicatorSpec,
    ItemSpec,
    NodeRow,
    QuestionnaireSpec,
    format_mb,
    format_options,
    format_scope,
    intersect_scopes,
    options_from_json,
)

Node = Indicator | ItemGroup | Item


def natural_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """`2.1.10` sorts after `2.1.9`."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


# --- loading -----------------------------------------------------------------------------------


def get_questionnaire_for_actor(db: Session, actor: Actor, questionnaire_id: int) -> Questionnaire:
    """A questionnaire of a cycle the actor may see as commission staff (else NotFound)."""
    q = db.get(Questionnaire, questionnaire_id)
    if q is None:
        raise NotFound("Kuesioner tidak ditemukan.")
    cycle = get_cycle_for_actor(db, actor, q.cycle_id)
    if not is_staff_of(actor, cycle.organisation_id):
        raise NotFound("Kuesioner tidak ditemukan.")
    return q


def list_questionnaires(db: Session, cycle: Cycle) -> list[Questionnaire]:
    return list(
        db.scalars(
            select(Questionnaire)
            .where(Questionnaire.cycle_id == cycle.id)
            .order_by(Questionnaire.name)
        )
    )


def cycle_of(db: Session, q: Questionnaire) -> Cycle:
    cycle = db.get(Cycle, q.cycle_id)
    assert cycle is not None
    return cycle


@dataclass
class Tree:
    """Every node of one questionnaire, each list in natural code order."""

    questionnaire: Questionnaire
    indicators: list[Indicator]
    groups: list[ItemGroup]
    items: list[Item]

    def children(self, indicator: Indicator, group: ItemGroup | None = None) -> list[Node]:
        """Direct children (groups and items) of an indicator or of one of its groups."""
        gid = group.id if group else None
        nodes: list[Node] = [
            g for g in self.groups if g.indicator_id == indicator.id and g.parent_group_id == gid
        ]
        nodes += [i for i in self.items if i.indicator_id == indicator.id and i.group_id == gid]
        return sorted(nodes, key=lambda n: natural_key(n.code))

    def code_of_parent(self, node: ItemGroup | Item) -> str:
        gid = node.parent_group_id if isinstance(node, ItemGroup) else node.group_id
        if gid is not None:
            return next(g.code for g in self.groups if g.id == gid)
        return next(i.code for i in self.indicators if i.id == node.indicator_id)

    @staticmethod
    def kind(node: Node) -> str:
        """`indicator`, `group` or `item` (for pages that walk the tree)."""
        if isinstance(node, Indicator):
            return "indicator"
        return "group" if isinstance(node, ItemGroup) else "item"

    def item_weight_total(self, indicator: Indicator) -> int:
        return sum(i.weight for i in self.live_items if i.indicator_id == indicator.id)

    @property
    def live_items(self) -> list[Item]:
        return [i for i in self.items if i.removed_at is None]


def load_tree(db: Session, q: Questionnaire) -> Tree:
    def rows(model: type[Node]) -> list[Any]:
        found = db.scalars(select(model).where(model.questionnaire_id == q.id)).all()
        return sorted(found, key=lambda n: natural_key(n.code))

    return Tree(q, rows(Indicator), rows(ItemGroup), rows(Item))


def node_row(tree: Tree, node: Node, line: int = 0) -> NodeRow:
    """One node as a row of the questionnaire file."""
    if isinstance(node, Indicator):
        return NodeRow(
            line,
            node.code,
            "",
            "indicator",
            node.name,
            weight=str(node.weight),
            applies_to=format_scope(node.category_codes),
            guidance=node.guidance,
        )
    if isinstance(node, ItemGroup):
        return NodeRow(
            line,
            node.code,
            tree.code_of_parent(node),
            "group",
            node.title,
            applies_to=format_scope(node.category_codes),
            guidance=node.guidance,
        )
    return NodeRow(
        line,
        node.code,
        tree.code_of_parent(node),
        "item",
        node.text,
        weight=str(node.weight),
        answer_type=node.answer_type,
        options=format_options(options_from_json(node.options)),
        evidence="" if node.evidence_kind == "none" else node.evidence_kind,
        file_types=",".join(node.file_types),
        applies_to=format_scope(node.category_codes),
        guidance=node.guidance,
        keywords=", ".join(node.keywords),
        max_file_mb=format_mb(node.max_file_bytes),
        max_files=str(node.max_files),
    )


def to_rows(tree: Tree, *, include_removed: bool = False) -> list[NodeRow]:
    """The questionnaire as file rows: each indicator followed by its groups and items."""
    rows: list[NodeRow] = []

    def walk(indicator: Indicator, group: ItemGroup | None) -> None:
        for n in tree.children(indicator, group):
            if isinstance(n, Item) and n.removed_at is not None and not include_removed:
                continue
            rows.append(node_row(tree, n, len(rows) + 2))
            if isinstance(n, ItemGroup):
                walk(indicator, n)

    for ind in tree.indicators:
        rows.append(node_row(tree, ind, len(rows) + 2))
        walk(ind, None)
    return rows


def spec_of(tree: Tree) -> QuestionnaireSpec:
    """The questionnaire as pure data (removed items are kept, marked, so ids stay known)."""
    groups = {g.id: g for g in tree.groups}

    def group_chain(gid: int | None) -> list[ItemGroup]:
        chain = []
        while gid is not None:
            chain.append(groups[gid])
            gid = groups[gid].parent_group_id
        return chain

    indicators = []
    for ind in tree.indicators:
        items = []
        for it in tree.items:
            if it.indicator_id != ind.id:
                continue
            chain = group_chain(it.group_id)
            items.append(
                ItemSpec(
                    id=it.id,
                    code=it.code,
                    text=it.text,
                    weight=it.weight,
                    answer_type=it.answer_type,
                    options=options_from_json(it.options),
                    evidence_kind=it.evidence_kind,
                    file_types=tuple(it.file_types),
                    max_file_bytes=it.max_file_bytes,
                    max_files=it.max_files,
                    guidance=it.guidance,
                    keywords=tuple(it.keywords),
                    categories=intersect_scopes(
                        it.category_codes, *(g.category_codes for g in chain)
                    ),
                    group_code=chain[0].code if chain else "",
                    group_title=chain[0].title if chain else "",
                    is_removed=it.removed_at is not None,
                    indicator_id=ind.id,
                )
            )
        indicators.append(
            IndicatorSpec(
                id=ind.id,
                code=ind.code,
                name=ind.name,
                weight=ind.weight,
                guidance=ind.guidance,
                categories=intersect_scopes(ind.category_codes),
                items=tuple(items),
            )
        )
    q = tree.questionnaire
    return QuestionnaireSpec(id=q.id, name=q.name, version=q.version, indicators=tuple(indicators))


# Specs are immutable data read on every SAQ page, autosave and verdict: each process keeps the
# recent ones. The key holds the questionnaire's version and last change (every change goes
# through `Change`, which stamps `updated_at`, and is read from the database each time), so an
# edit made by another process is seen at once; an edit of questionnaire rows flushed in this
# process empties the cache as well (see `_forget_specs`).
_specs: OrderedDict[tuple[Any, ...], QuestionnaireSpec] = OrderedDict()
_specs_lock = threading.Lock()
# A shared installation's full recompute reads every commission's questionnaire for each of its
# categories (38 commissions × (1 + 10 categories) = 418 specs); a smaller cache would evict each
# spec before its next use. The category specs share the whole spec's item objects.
SPEC_CACHE_SIZE = 2048


def load_spec(db: Session, q: Questionnaire, category_code: str | None = None) -> QuestionnaireSpec:
    """The whole questionnaire as pure data (indicators with weights, items with weights), or
    only what applies to one category."""
    if q.id is None or _unflushed_edits(db):  # never answer from the cache past them
        spec = spec_of(load_tree(db, q))
        return spec if category_code is None else spec.for_category(category_code)
    key = (str(db.get_bind().engine.url), q.id, q.version, q.updated_at, category_code)
    with _specs_lock:
        found = _specs.get(key)
        if found is not None:
            _specs.move_to_end(key)
            return found
    if category_code is None:
        spec = spec_of(load_tree(db, q))
    else:
        # Cut from the whole questionnaire's spec (cached too): the rows are read once per
        # questionnaire, not once per category.
        spec = load_spec(db, q).for_category(category_code)
    with _specs_lock:
        _specs[key] = spec
        while len(_specs) > SPEC_CACHE_SIZE:
            _specs.popitem(last=False)
    return spec


def spec_for(
    db: Session, questionnaire_id: int, category_code: str | None = None
) -> QuestionnaireSpec:
    """`load_spec` by questionnaire id (cached). With a category: what that category answers,
    the one rule of which items apply wherever items are shown, verified or scored. An item
    applies when its indicator, every group above it and the item itself admit the category,
    and it has not been withdrawn."""
    # kept for the request (see `memo`): the session's identity map holds rows weakly
    q = memo(
        db, ("questionnaire", questionnaire_id), lambda: db.get(Questionnaire, questionnaire_id)
    )
    if q is None:
        raise NotFound("Kuesioner tidak ditemukan.")
    return load_spec(db, q, category_code)


_QUESTIONNAIRE_ROWS = (Questionnaire, Indicator, ItemGroup, Item)


def _unflushed_edits(session: Session) -> bool:
    return any(
        isinstance(o, _QUESTIONNAIRE_ROWS)
        for objs in (session.new, session.dirty, session.deleted)
        for o in objs
    )


@event.listens_for(Session, "after_flush")
def _forget_specs(session: Session, _context: Any) -> None:
    if _unflushed_edits(session):  # still listed at this point: they have just been written
        with _specs_lock:
            _specs.clear()


@dataclass(frozen=True)
class BodyQuestionnaire:
    """What one target body answers in a cycle: only the items of its category."""

    cycle_id: int
    body_id: int
    category_code: str
    category_name: str
    questionnaire_id: int
    spec: QuestionnaireSpec


def questionnaire_for_body(
    db: Session, cycle: Cycle, body_id: int, *, category: CycleCategory | None = None
) -> BodyQuestionnaire | None:
    """The questionnaire that applies to a body in a cycle, filtered to its category (pass the
    body's `category` when it is already known).

    None when the body is not a target or its category has no questionnaire yet. Item weights
    are integers (relative within their indicator), so sums are exact on every database.
    """
    category = category or category_of_body(db, cycle, body_id)
    if category is None or category.questionnaire_id is None:
        return None
    q = db.get(Questionnaire, category.questionnaire_id)
    assert q is not None
    return BodyQuestionnaire(
        cycle_id=cycle.id,
        body_id=body_id,
        category_code=category.code,
        category_name=category.name,
        questionnaire_id=q.id,
        spec=load_spec(db, q, category.code),
    )


def cycle_category_codes(db: Session, cycle: Cycle) -> set[str]:
    return set(db.scalars(select(CycleCategory.code).where(CycleCategory.cycle_id == cycle.id)))


def categories_served(db: Session, q: Questionnaire) -> list[CycleCategory]:
    return list(
        db.scalars(
            select(CycleCategory)
            .where(CycleCategory.questionnaire_id == q.id)
            .order_by(CycleCategory.sort_order, CycleCategory.code)
        )
    )


# --- freezing and versions ---------------------------------------------------------------------


def is_frozen(db: Session, cycle: Cycle, *, now: datetime | None = None) -> bool:
    """A cycle's questionnaires are frozen once the cycle is open and its SAQ stage has opened."""
    if not cycle.is_open:
        return False
    saq = get_stage(db, cycle, "saq")
    return saq is not None and saq.opens_at is not None and saq.opens_at <= (now or utcnow())


def list_versions(db: Session, q: Questionnaire) -> list[QuestionnaireVersion]:
    return list(
        db.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.questionnaire_id == q.id)
            .order_by(QuestionnaireVersion.number.desc())
        )
    )


def snapshot(tree: Tree) -> list[dict[str, Any]]:
    """Every row of the questionnaire (removed items too) with item ids, for a version record."""
    ids = {n.code: n.id for n in tree.items}
    removed = {n.code for n in tree.items if n.removed_at is not None}
    return [
        {**r.as_mapping(), "item_id": ids.get(r.code), "removed": r.code in removed}
        for r in to_rows(tree, include_removed=True)
    ]


class Change:
    """Wraps one change to a questionnaire: reason and baseline when frozen, version, audit."""

    def __init__(
        self, db: Session, actor: Actor, q: Questionnaire, reason: str, now: datetime | None
    ) -> None:
        self.db, self.actor, self.q = db, actor, q
        self.cycle = cycle_of(db, q)
        require_manager(actor, self.cycle)
        self.frozen = is_frozen(db, self.cycle, now=now)
        self.reason = reason.strip()
        if self.frozen and not self.reason:
            raise ValidationFailed(
                "Kuesioner sudah dibekukan karena tahap SAQ telah dibuka: tuliskan alasan "
                "perubahan. Perubahan membuat versi baru; jawaban yang sudah ada tetap tersimpan.",
                field_errors={"reason": "Wajib diisi setelah kuesioner dibekukan."},
            )
        if self.frozen and not list_versions(db, q):
            db.add(
                QuestionnaireVersion(
                    questionnaire_id=q.id,
                    number=q.version,
                    reason="Versi saat tahap SAQ dibuka (dibekukan).",
                    snapshot=snapshot(load_tree(db, q)),
                    created_by_id=None,
                )
            )
            db.flush()

    def done(self, action: str, summary: str, before: Any, after: Any) -> None:
        q = self.q
        q.updated_at = utcnow()
        if self.frozen:
            q.version += 1
            self.db.add(
                QuestionnaireVersion(
                    questionnaire_id=q.id,
                    number=q.version,
                    reason=self.reason,
                    summary=summary,
                    snapshot=snapshot(load_tree(self.db, q)),
                    created_by_id=actor_id(self.actor),
                )
            )
        self.db.flush()
        record(
            self.db,
            actor_user_id=actor_id(self.actor),
            organisation_id=self.cycle.organisation_id,
            action=action,
            object_type="questionnaire",
            object_id=q.id,
            before=before,
            after={
                **(after or {}),
                "version": q.version,
                "frozen": self.frozen,
                "reason": self.reason,
            },
        )


# --- create, rename, delete --------------------------------------------------------------------


def check_name(db: Session, cycle: Cycle, name: str, *, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed("Beri nama kuesioner.", field_errors={"name": "Wajib diisi."})
    if len(name) > 200:
        raise ValidationFailed(
            "Nama kuesioner terlalu panjang.", field_errors={"name": "Maks. 200."}
        )
    clash = db.scalar(
        select(Questionnaire.id).where(
            Questionnaire.cycle_id == cycle.id,
            Questionnaire.name == name,
            Questionnaire.id != (exclude_id or -1),
        )
    )
    if clash:
        raise ValidationFailed(
            f"Sudah ada kuesioner bernama {name!r} di siklus ini.",
            field_errors={"name": "Nama sudah dipakai."},
        )
    return name


def create_questionnaire(db: Session, actor: Actor, cycle: Cycle, name: str) -> Questionnaire:
    """An empty questionnaire, to be built in the editor."""
    require_manager(actor, cycle)
    q = Questionnaire(
        cycle_id=cycle.id, name=check_name(db, cycle, name), created_by_id=actor_id(actor)
    )
    db.add(q)
    db.flush()
    assign_unserved_categories(db, cycle, q)
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="questionnaire.created",
        object_type="questionnaire",
        object_id=q.id,
        after={"name": q.name, "cycle_id": cycle.id},
    )
    return q


def rename_questionnaire(db: Session, actor: Actor, q: Questionnaire, name: str) -> Questionnaire:
    cycle = cycle_of(db, q)
    require_manager(actor, cycle)
    before = q.name
    q.name = check_name(db, cycle, name, exclude_id=q.id)
    if before != q.name:
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="questionnaire.renamed",
            object_type="questionnaire",
            object_id=q.id,
            before={"name": before},
            after={"name": q.name},
        )
    return q


def delete_questionnaire(db: Session, actor: Actor, q: Questionnaire) -> None:
    """Delete a questionnaire that is not frozen (its categories lose their questionnaire)."""
    cycle = cycle_of(db, q)
    require_manager(actor, cycle)
    if is_frozen(db, cycle):
        raise InvalidTransition(
            "Kuesioner yang sudah dibekukan tidak dapat dihapus; jawabannya merujuk ke sini."
        )
    for cat in categories_served(db, q):
        cat.questionnaire_id = None
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="questionnaire.deleted",
        object_type="questionnaire",
        object_id=q.id,
        before={"name": q.name, "rows": len(to_rows(load_tree(db, q)))},
    )
    db.delete(q)
    db.flush()


def assign_unserved_categories(db: Session, cycle: Cycle, q: Questionnaire) -> None:
    """Categories without a questionnaire get this one (the usual single-questionnaire case)."""
    for cat in db.scalars(
        select(CycleCategory).where(
            CycleCategory.cycle_id == cycle.id, CycleCategory.questionnaire_id.is_(None)
        )
    ):
        cat.questionnaire_id = q.id
    db.flush()


def item_count(db: Session, q: Questionnaire) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Item)
            .where(Item.questionnaire_id == q.id, Item.removed_at.is_(None))
        )
        or 0
    )
