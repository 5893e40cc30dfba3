"""The questionnaire editor in the browser: add, change, remove nodes (versioned once frozen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.db import utcnow
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.questionnaires.models import Indicator, Item, ItemGroup, Questionnaire
from app.questionnaires.rules import KINDS, NodeRow, check_rows, to_node
from app.questionnaires.service import (
    Change,
    Node,
    Tree,
    cycle_category_codes,
    load_tree,
    node_row,
    to_rows,
)
from app.questionnaires.transfer import set_item


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
    change = Change(db, actor, q, reason, now)
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
    set_item(item, n)
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
    change = Change(db, actor, q, reason, now)
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
    change = Change(db, actor, q, reason, now)
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
