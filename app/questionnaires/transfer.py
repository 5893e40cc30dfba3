"""Questionnaire files: import CSV/XLSX with a preview (all-or-nothing), export XLSX, copy."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.config import get_settings
from app.cycles.access import actor_id, require_manager
from app.cycles.models import Cycle
from app.db import utcnow
from app.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.imports.models import ImportBatch
from app.imports.tabular import escape_formula, read_table
from app.questionnaires.models import Indicator, Item, ItemGroup, Questionnaire
from app.questionnaires.rules import (
    COLUMNS,
    REQUIRED_COLUMNS,
    NodeRow,
    check_rows,
    options_to_json,
    to_node,
)
from app.questionnaires.service import (
    assign_unserved_categories,
    check_name,
    cycle_category_codes,
    is_frozen,
    load_tree,
    to_rows,
)


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
        q.name = check_name(db, cycle, name or q.name, exclude_id=q.id)
        for model in (Item, ItemGroup, Indicator):
            db.execute(delete(model).where(model.questionnaire_id == q.id))
        db.expire_all()
    else:
        q = Questionnaire(
            cycle_id=cycle.id,
            name=check_name(db, cycle, name),
            created_by_id=actor_user_id,
        )
        db.add(q)
        db.flush()
    q.source_filename = filename[:255]
    q.updated_at = utcnow()
    _write_nodes(db, q, rows)
    assign_unserved_categories(db, cycle, q)
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
        set_item(item, n)
        db.add(item)
    db.flush()


def set_item(item: Item, n: Any) -> None:
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
