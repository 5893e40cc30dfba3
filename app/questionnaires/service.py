"""Use-cases of questionnaires: import and export, the browser editor, freezing and versions.

Other domains call `questionnaire_for_body(db, cycle, body_id)` for the items a body answers
(only those applying to its category) and `load_spec(db, questionnaire)` for the whole tree.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.config import get_settings
from app.cycles.access import actor_id, get_cycle_for_actor, is_staff_of, require_manager
from app.cycles.models import Cycle, CycleCategory
from app.cycles.schedule import category_of_body, get_stage
from app.db import utcnow
from app.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.imports.models import ImportBatch
from app.imports.tabular import escape_formula, read_table
from app.questionnaires.models import (
    Indicator,
    Item,
    ItemGroup,
    Questionnaire,
    QuestionnaireVersion,
)
from app.questionnaires.rules import (
    COLUMNS,
    KINDS,
    REQUIRED_COLUMNS,
    IndicatorSpec,
    ItemSpec,
    NodeRow,
    QuestionnaireSpec,
    check_rows,
    format_mb,
    format_options,
    format_scope,
    intersect_scopes,
    options_from_json,
    options_to_json,
    to_node,
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


def load_spec(db: Session, q: Questionnaire) -> QuestionnaireSpec:
    """The whole questionnaire as pure data (indicators with weights, items with weights)."""
    return spec_of(load_tree(db, q))


@dataclass(frozen=True)
class BodyQuestionnaire:
    """What one target body answers in a cycle: only the items of its category."""

    cycle_id: int
    body_id: int
    category_code: str
    category_name: str
    questionnaire_id: int
    spec: QuestionnaireSpec


def questionnaire_for_body(db: Session, cycle: Cycle, body_id: int) -> BodyQuestionnaire | None:
    """The questionnaire that applies to a body in a cycle, filtered to its category.

    None when the body is not a target or its category has no questionnaire yet. Item weights
    are integers (relative within their indicator), so sums are exact on every database.
    """
    category = category_of_body(db, cycle, body_id)
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
        spec=load_spec(db, q).for_category(category.code),
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


class _Change:
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


# --- create, import, export --------------------------------------------------------------------


def _check_name(db: Session, cycle: Cycle, name: str, *, exclude_id: int | None = None) -> str:
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
        cycle_id=cycle.id, name=_check_name(db, cycle, name), created_by_id=actor_id(actor)
    )
    db.add(q)
    db.flush()
    _assign_unserved_categories(db, cycle, q)
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
    q.name = _check_name(db, cycle, name, exclude_id=q.id)
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


def _assign_unserved_categories(db: Session, cycle: Cycle, q: Questionnaire) -> None:
    """Categories without a questionnaire get this one (the usual single-questionnaire case)."""
    for cat in db.scalars(
        select(CycleCategory).where(
            CycleCategory.cycle_id == cycle.id, CycleCategory.questionnaire_id.is_(None)
        )
    ):
        cat.questionnaire_id = q.id
    db.flush()


@dataclass
class ImportPreview:
    batch_id: str | None
    rows: list[NodeRow]
    file_errors: list[str]

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.error_count and not self.file_errors

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind)


def read_rows(filename: str, data: bytes) -> list[NodeRow]:
    """Parse a questionnaire CSV/XLSX into rows (the whole file is refused when unreadable)."""
    s = get_settings()
    if len(data) > s.max_import_bytes:
        raise ValidationFailed(
            f"Berkas terlalu besar (maks. {s.max_import_bytes // 1024 // 1024} MB)."
        )
    table = read_table(filename, data, required=REQUIRED_COLUMNS, max_rows=s.max_import_rows)
    return [NodeRow.from_mapping(line, row) for line, row in table.rows]


def check_import(db: Session, cycle: Cycle, rows: list[NodeRow]) -> list[str]:
    codes = cycle_category_codes(db, cycle)
    file_errors = check_rows(rows, codes)
    if not codes:
        file_errors.insert(0, "Siklus belum memiliki kategori: tambahkan kategori dulu.")
    if not rows:
        file_errors.insert(0, "Berkas tidak berisi baris kuesioner.")
    return file_errors


def preview_import(
    db: Session, actor: Actor, cycle: Cycle, filename: str, data: bytes
) -> ImportPreview:
    """Check a questionnaire file; keep it for confirmation only when every row is valid."""
    require_manager(actor, cycle)
    rows = read_rows(filename, data)
    file_errors = check_import(db, cycle, rows)
    preview = ImportPreview(batch_id=None, rows=rows, file_errors=file_errors)
    if preview.ok:
        batch = ImportBatch(
            id=str(uuid.uuid4()),
            organisation_id=cycle.organisation_id,
            created_by_id=actor_id(actor),
            kind=f"questionnaire:{cycle.id}",
            filename=filename[:255],
            rows=[{"line": r.line, **r.as_mapping()} for r in rows],
        )
        db.add(batch)
        db.flush()
        preview.batch_id = batch.id
    return preview


def apply_import(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    batch_id: str,
    *,
    name: str,
    replace_id: int | None = None,
) -> Questionnaire:
    """Create (or replace, while not frozen) a questionnaire from a previewed, valid file."""
    require_manager(actor, cycle)
    batch = db.get(ImportBatch, batch_id)
    if batch is None or batch.kind != f"questionnaire:{cycle.id}":
        raise NotFound("Impor tidak ditemukan; unggah ulang berkasnya.")
    if batch.applied_at is not None:
        raise Conflict("Impor ini sudah diterapkan.")
    rows = [NodeRow.from_mapping(int(r["line"]), r) for r in batch.rows]
    if check_import(db, cycle, rows) or any(r.errors for r in rows):
        raise ValidationFailed("Berkas tidak lagi cocok dengan kategori siklus; unggah ulang.")
    replace = None
    if replace_id is not None:
        replace = db.get(Questionnaire, replace_id)
        if replace is None or replace.cycle_id != cycle.id:
            raise NotFound("Kuesioner yang akan diganti tidak ditemukan.")
    q = import_rows(
        db,
        cycle,
        rows,
        name=name,
        replace=replace,
        actor_user_id=actor_id(actor),
        filename=batch.filename,
    )
    batch.applied_at = utcnow()
    return q


def import_rows(
    db: Session,
    cycle: Cycle,
    rows: list[NodeRow],
    *,
    name: str,
    replace: Questionnaire | None = None,
    actor_user_id: int | None,
    filename: str = "",
) -> Questionnaire:
    """Store checked rows as a new questionnaire, or as the new content of an unfrozen one."""
    if replace is not None:
        if is_frozen(db, cycle):
            raise InvalidTransition(
                "Kuesioner sudah dibekukan (tahap SAQ telah dibuka): ubah butir satu per satu "
                "di editor dengan alasan, agar jawaban yang ada tetap tersimpan."
            )
        q = replace
        q.name = _check_name(db, cycle, name or q.name, exclude_id=q.id)
        tree = load_tree(db, q)
        for n in [*tree.items, *tree.groups, *tree.indicators]:
            db.delete(n)
        db.flush()
    else:
        q = Questionnaire(
            cycle_id=cycle.id,
            name=_check_name(db, cycle, name),
            created_by_id=actor_user_id,
        )
        db.add(q)
        db.flush()
    q.source_filename = filename[:255]
    q.updated_at = utcnow()
    _write_nodes(db, q, rows)
    _assign_unserved_categories(db, cycle, q)
    record(
        db,
        actor_user_id=actor_user_id,
        organisation_id=cycle.organisation_id,
        action="questionnaire.imported",
        object_type="questionnaire",
        object_id=q.id,
        after={
            "name": q.name,
            "file": filename,
            "replaced": replace is not None,
            "indicators": sum(1 for r in rows if r.kind == "indicator"),
            "items": sum(1 for r in rows if r.kind == "item"),
        },
    )
    return q


def _write_nodes(db: Session, q: Questionnaire, rows: list[NodeRow]) -> None:
    nodes = [to_node(r) for r in rows]
    indicators: dict[str, Indicator] = {}
    groups: dict[str, ItemGroup] = {}
    for i, n in enumerate(nodes):
        if n.kind == "indicator":
            ind = Indicator(
                questionnaire_id=q.id,
                code=n.code,
                name=n.text,
                weight=n.weight or 0,
                guidance=n.guidance,
                category_codes=list(n.category_codes),
                position=i,
            )
            db.add(ind)
            indicators[n.code] = ind
    db.flush()
    pending = [(i, n) for i, n in enumerate(nodes) if n.kind == "group"]
    while pending:
        rest = []
        for i, n in pending:
            if n.parent in indicators:
                ind_id, parent_gid = indicators[n.parent].id, None
            elif n.parent in groups:
                ind_id, parent_gid = groups[n.parent].indicator_id, groups[n.parent].id
            else:
                rest.append((i, n))
                continue
            g = ItemGroup(
                questionnaire_id=q.id,
                indicator_id=ind_id,
                parent_group_id=parent_gid,
                code=n.code,
                title=n.text,
                guidance=n.guidance,
                category_codes=list(n.category_codes),
                position=i,
            )
            db.add(g)
            db.flush()
            groups[n.code] = g
        if len(rest) == len(pending):
            raise ValidationFailed("Rantai induk kelompok tidak berujung di indikator.")
        pending = rest
    for i, n in enumerate(nodes):
        if n.kind != "item":
            continue
        if n.parent in indicators:
            ind_id, gid = indicators[n.parent].id, None
        else:
            ind_id, gid = groups[n.parent].indicator_id, groups[n.parent].id
        item = Item(questionnaire_id=q.id, indicator_id=ind_id, group_id=gid, position=i)
        _set_item(item, n)
        db.add(item)
    db.flush()


def _set_item(item: Item, n: Any) -> None:
    item.code = n.code
    item.text = n.text
    item.weight = n.weight or 0
    item.answer_type = n.answer_type
    item.options = options_to_json(n.options)
    item.evidence_kind = n.evidence_kind
    item.file_types = list(n.file_types)
    item.max_file_bytes = n.max_file_bytes
    item.max_files = n.max_files
    item.guidance = n.guidance
    item.keywords = list(n.keywords)
    item.category_codes = list(n.category_codes)


def export_xlsx(db: Session, q: Questionnaire) -> bytes:
    """The questionnaire as an XLSX file in the import shape (it can be imported again)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "kuesioner"
    ws.append(COLUMNS)
    for r in to_rows(load_tree(db, q)):
        values: list[Any] = [getattr(r, c) for c in COLUMNS]
        for idx in (COLUMNS.index("weight"), COLUMNS.index("max_files")):
            if values[idx]:
                values[idx] = int(values[idx])
        ws.append([escape_formula(v) for v in values])
    for col, width in zip(
        "ABCDEFGHIJKLMN", (10, 8, 10, 60, 7, 16, 30, 12, 12, 30, 50, 25, 10, 9), strict=True
    ):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def copy_questionnaire(
    db: Session, source: Questionnaire, cycle: Cycle, *, actor_user_id: int | None
) -> Questionnaire:
    """Copy a questionnaire (without withdrawn items) into another cycle, unfrozen."""
    rows = to_rows(load_tree(db, source))
    q = Questionnaire(cycle_id=cycle.id, name=source.name, created_by_id=actor_user_id)
    db.add(q)
    db.flush()
    _write_nodes(db, q, rows)
    return q


# --- the browser editor ------------------------------------------------------------------------


def get_node(db: Session, q: Questionnaire, kind: str, node_id: int) -> Node:
    node: Node | None
    if kind == "indicator":
        node = db.get(Indicator, node_id)
    elif kind == "group":
        node = db.get(ItemGroup, node_id)
    elif kind == "item":
        node = db.get(Item, node_id)
    else:
        node = None
    if node is None or node.questionnaire_id != q.id:
        raise NotFound("Bagian kuesioner tidak ditemukan.")
    return node


def node_form(db: Session, q: Questionnaire, node: Node) -> dict[str, str]:
    """The form values of an existing node."""
    return node_row(load_tree(db, q), node).as_mapping()


def save_node(
    db: Session,
    actor: Actor,
    q: Questionnaire,
    kind: str,
    data: dict[str, str],
    *,
    node_id: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Node:
    """Add or change one indicator, group or item; after the freeze this needs a reason,
    creates a new version and keeps the item's id (answers stay attached)."""
    if kind not in KINDS:
        raise NotFound("Jenis bagian kuesioner tidak dikenal.")
    change = _Change(db, actor, q, reason, now)
    tree = load_tree(db, q)
    node = get_node(db, q, kind, node_id) if node_id is not None else None
    rows = to_rows(tree, include_removed=True)
    before_rows = to_rows(tree, include_removed=True)
    check_rows(before_rows, cycle_category_codes(db, change.cycle))
    edited = NodeRow.from_mapping(0, {**data, "kind": kind})
    if kind == "indicator":
        edited.parent = ""
    if node is not None:
        old = node_row(tree, node)
        idx = next(i for i, r in enumerate(rows) if r.code == old.code)
        rows[idx] = edited
        for r in rows:
            if r.parent == old.code:
                r.parent = edited.code
        before = old.as_mapping()
    else:
        rows.append(edited)
        before = None
    check_rows(rows, cycle_category_codes(db, change.cycle))
    if edited.errors:
        raise ValidationFailed(
            "Periksa kembali isian.", field_errors={f: m for f, m in reversed(edited.errors)}
        )
    old_msgs = {m for r in before_rows for m in r.messages}
    broken = [m for r in rows if r is not edited for m in r.messages if m not in old_msgs]
    if broken:
        raise ValidationFailed("Perubahan ini membuat bagian lain tidak valid: " + " ".join(broken))
    node = _store_node(db, q, tree, kind, edited, node)
    after_tree = load_tree(db, q)
    change.done(
        "questionnaire.node_saved",
        f"{KINDS[kind]} {edited.code} {'diubah' if before else 'ditambahkan'}",
        before,
        {"kind": kind, **node_row(after_tree, node).as_mapping()},
    )
    return node


def _store_node(
    db: Session, q: Questionnaire, tree: Tree, kind: str, row: NodeRow, node: Node | None
) -> Node:
    n = to_node(row)
    positions = [x.position for x in tree.indicators]
    positions += [x.position for x in tree.groups] + [x.position for x in tree.items]
    position = max(positions, default=0) + 1
    ind_by_code = {i.code: i for i in tree.indicators}
    grp_by_code = {g.code: g for g in tree.groups}
    parent_ind = ind_by_code.get(n.parent)
    parent_grp = grp_by_code.get(n.parent)
    ind_id = parent_ind.id if parent_ind else (parent_grp.indicator_id if parent_grp else 0)
    if isinstance(node, Indicator) or (node is None and kind == "indicator"):
        ind = (
            node
            if isinstance(node, Indicator)
            else Indicator(questionnaire_id=q.id, position=position)
        )
        ind.code, ind.name, ind.weight = n.code, n.text, n.weight or 0
        ind.guidance, ind.category_codes = n.guidance, list(n.category_codes)
        db.add(ind)
        db.flush()
        return ind
    if isinstance(node, ItemGroup) or (node is None and kind == "group"):
        g = (
            node
            if isinstance(node, ItemGroup)
            else ItemGroup(questionnaire_id=q.id, position=position)
        )
        g.code, g.title, g.guidance = n.code, n.text, n.guidance
        g.category_codes = list(n.category_codes)
        g.indicator_id = ind_id
        g.parent_group_id = parent_grp.id if parent_grp else None
        db.add(g)
        db.flush()
        _reindex(db, q)
        return g
    item = node if isinstance(node, Item) else Item(questionnaire_id=q.id, position=position)
    _set_item(item, n)
    item.indicator_id = ind_id
    item.group_id = parent_grp.id if parent_grp else None
    db.add(item)
    db.flush()
    return item


def _reindex(db: Session, q: Questionnaire) -> None:
    """Keep every group's and item's indicator in line with its parent chain (after a move)."""
    tree = load_tree(db, q)
    groups = {g.id: g for g in tree.groups}

    def indicator_of(g: ItemGroup) -> int:
        while g.parent_group_id is not None:
            g = groups[g.parent_group_id]
        return g.indicator_id

    for g in tree.groups:
        g.indicator_id = indicator_of(g)
    for it in tree.items:
        if it.group_id is not None:
            it.indicator_id = groups[it.group_id].indicator_id
    db.flush()


def remove_node(
    db: Session,
    actor: Actor,
    q: Questionnaire,
    kind: str,
    node_id: int,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Delete a node (before the freeze), or withdraw an item (after it: the row stays)."""
    change = _Change(db, actor, q, reason, now)
    node = get_node(db, q, kind, node_id)
    tree = load_tree(db, q)
    before = node_row(tree, node).as_mapping()
    if change.frozen:
        if not isinstance(node, Item):
            raise InvalidTransition(
                "Setelah kuesioner dibekukan, indikator dan kelompok tidak dapat dihapus; "
                "tarik butirnya satu per satu."
            )
        if node.removed_at is not None:
            raise InvalidTransition("Butir ini sudah ditarik.")
        node.removed_at = utcnow()
        node.removal_reason = change.reason
        summary = f"Butir {node.code} ditarik"
    else:
        if _has_children(tree, node):
            raise InvalidTransition(
                f"{KINDS[kind]} {node.code} masih berisi bagian lain; hapus atau pindahkan dulu."
            )
        db.delete(node)
        summary = f"{KINDS[kind]} {node.code} dihapus"
    db.flush()
    change.done("questionnaire.node_removed", summary, before, {"kind": kind, "id": node_id})


def restore_item(
    db: Session,
    actor: Actor,
    q: Questionnaire,
    item_id: int,
    *,
    reason: str,
    now: datetime | None = None,
) -> Item:
    """Bring a withdrawn item back (same id, so earlier answers count again)."""
    change = _Change(db, actor, q, reason, now)
    node = get_node(db, q, "item", item_id)
    assert isinstance(node, Item)
    if node.removed_at is None:
        raise InvalidTransition("Butir ini tidak sedang ditarik.")
    node.removed_at = None
    node.removal_reason = ""
    db.flush()
    change.done(
        "questionnaire.item_restored", f"Butir {node.code} dipulihkan", None, {"id": node.id}
    )
    return node


def _has_children(tree: Tree, node: Node) -> bool:
    if isinstance(node, Indicator):
        return bool(tree.children(node))
    if isinstance(node, ItemGroup):
        return any(g.parent_group_id == node.id for g in tree.groups) or any(
            i.group_id == node.id for i in tree.items
        )
    return False


def item_count(db: Session, q: Questionnaire) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Item)
            .where(Item.questionnaire_id == q.id, Item.removed_at.is_(None))
        )
        or 0
    )
