"""Use-cases of the badan publik registry: list, edit, import, export."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.bodies.rules import BodyRow, check_body_rows
from app.config import get_settings
from app.db import utcnow
from app.errors import Forbidden, NotFound, ValidationFailed
from app.imports.models import ImportBatch
from app.imports.tabular import escape_formula, read_table
from app.jobs.models import Job
from app.jobs.service import Progress, job_handler
from app.orgs.models import Organisation
from app.orgs.service import categories

EDITABLE_FIELDS = ("website", "address", "email", "phone", "ppid_name", "ppid_email", "ppid_phone")
STAFF_FIELDS = ("name", "default_category_code", "parent_id", "is_active")


def can_see_registry(actor: Actor) -> bool:
    return actor.is_admin or actor.has(Role.SEKRETARIAT, Role.KOMISIONER)


def get_body_for_actor(db: Session, actor: Actor, body_id: int) -> Body:
    """Load a body the actor may see: staff of its commission, or its own people (and parents')."""
    body = db.get(Body, body_id)
    if body is None:
        raise NotFound("Badan publik tidak ditemukan.")
    if body.organisation_id == actor.organisation_id and can_see_registry(actor):
        return body
    if actor.acts_for_body(body.id):
        return body
    if body.parent_id is not None and actor.acts_for_body(body.parent_id):
        return body
    raise NotFound("Badan publik tidak ditemukan.")


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_bodies(
    db: Session,
    actor: Actor,
    *,
    q: str = "",
    category: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """The commission's bodies, filtered and paginated in the database."""
    if not can_see_registry(actor):
        raise Forbidden("Daftar badan publik hanya untuk sekretariat dan komisioner.")
    stmt = select(Body).where(Body.organisation_id == actor.organisation_id)
    if q:
        stmt = stmt.where(Body.name.ilike(f"%{q.strip()}%"))
    if category:
        stmt = stmt.where(Body.default_category_code == category)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = db.scalars(
        stmt.order_by(Body.default_category_code, Body.name)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def units_of(db: Session, body: Body) -> list[Body]:
    return list(db.scalars(select(Body).where(Body.parent_id == body.id).order_by(Body.name)))


def operators_of(db: Session, body: Body) -> list[tuple[User, RoleGrant]]:
    rows = db.execute(
        select(User, RoleGrant)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.body_id == body.id, RoleGrant.revoked_at.is_(None))
        .order_by(User.full_name)
    ).all()
    return [(u, g) for u, g in rows]


def _snapshot(body: Body) -> dict[str, Any]:
    return {
        f: getattr(body, f)
        for f in ("name", "default_category_code", "parent_id", "is_active", *EDITABLE_FIELDS)
    }


def create_body(db: Session, actor: Actor, data: dict[str, str]) -> Body:
    """Register one body in the actor's commission (sekretariat only)."""
    if not (actor.has(Role.SEKRETARIAT) or actor.is_admin) or actor.organisation_id is None:
        raise Forbidden("Hanya sekretariat yang dapat menambah badan publik.")
    body = Body(organisation_id=actor.organisation_id, name="")
    _apply_fields(db, actor, body, data, staff=True)
    db.add(body)
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=body.organisation_id,
        action="body.created",
        object_type="body",
        object_id=body.id,
        after=_snapshot(body),
    )
    return body


def update_body(db: Session, actor: Actor, body: Body, data: dict[str, str]) -> Body:
    """Edit a body: the sekretariat edits everything, the body's own people its contact data."""
    staff = actor.is_admin or (
        actor.has(Role.SEKRETARIAT) and body.organisation_id == actor.organisation_id
    )
    if not staff and not actor.acts_for_body(body.id, Role.OPERATOR, Role.ATASAN_PPID):
        raise Forbidden("Anda tidak dapat mengubah data badan publik ini.")
    before = _snapshot(body)
    _apply_fields(db, actor, body, data, staff=staff)
    after = _snapshot(body)
    if before != after:
        record(
            db,
            actor_user_id=actor.user_id,
            organisation_id=body.organisation_id,
            action="body.updated",
            object_type="body",
            object_id=body.id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return body


def _apply_fields(
    db: Session, actor: Actor, body: Body, data: dict[str, str], *, staff: bool
) -> None:
    errors: dict[str, str] = {}
    for f in EDITABLE_FIELDS:
        if f in data:
            setattr(body, f, data[f].strip())
    if body.website and not body.website.startswith(("http://", "https://")):
        errors["website"] = "Harus diawali http:// atau https://."
    for f in ("email", "ppid_email"):
        v = getattr(body, f)
        if v and ("@" not in v or "." not in v.split("@")[-1]):
            errors[f] = "Email tidak valid."
    if staff:
        name = data.get("name", body.name).strip()
        if not name:
            errors["name"] = "Wajib diisi."
        elif db.scalar(
            select(Body.id).where(
                Body.organisation_id == body.organisation_id,
                Body.name == name,
                Body.id != (body.id or -1),
            )
        ):
            errors["name"] = "Nama sudah terdaftar di komisi ini."
        body.name = name
        if "default_category_code" in data:
            code = data["default_category_code"].strip() or None
            codes = {c.code for c in categories(db, body.organisation_id)}
            if code and code not in codes:
                errors["default_category_code"] = "Kategori tidak dikenal."
            body.default_category_code = code
        if "parent_id" in data:
            pid = int(data["parent_id"]) if data["parent_id"].strip().isdigit() else None
            if pid is not None:
                parent = db.get(Body, pid)
                if parent is None or parent.organisation_id != body.organisation_id:
                    errors["parent_id"] = "Induk tidak ditemukan."
                elif parent.id == body.id or parent.parent_id is not None:
                    errors["parent_id"] = "Induk harus PPID utama (bukan unit, bukan diri sendiri)."
            body.parent_id = pid
        if "is_active" in data:
            body.is_active = data["is_active"] in ("1", "on", "true")
    if errors:
        raise ValidationFailed("Periksa kembali isian badan publik.", field_errors=errors)


# --- import ------------------------------------------------------------------------------------


@dataclass
class ImportPreview:
    batch_id: str | None
    rows: list[BodyRow]

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.rows)


def check_body_import(
    db: Session, filename: str, data: bytes, organisation: Organisation
) -> ImportPreview:
    """Parse and check a bodies file against the commission's registry and categories."""
    s = get_settings()
    if len(data) > s.max_import_bytes:
        raise ValidationFailed(
            f"Berkas terlalu besar (maks. {s.max_import_bytes // 1024 // 1024} MB)."
        )
    table = read_table(filename, data, required=["name", "category"], max_rows=s.max_import_rows)
    rows = _rows_for_org(table.rows, organisation)
    existing = set(db.scalars(select(Body.name).where(Body.organisation_id == organisation.id)))
    codes = {c.code for c in categories(db, organisation.id)}
    check_body_rows(rows, category_codes=codes, existing_names=existing)
    return ImportPreview(batch_id=None, rows=rows)


def preview_body_import(
    db: Session, actor: Actor, filename: str, data: bytes, organisation: Organisation
) -> ImportPreview:
    """Check a bodies file; keep it for confirmation only when every row is valid."""
    if not (
        actor.is_admin or (actor.has(Role.SEKRETARIAT) and actor.organisation_id == organisation.id)
    ):
        raise Forbidden("Hanya sekretariat yang dapat mengimpor badan publik.")
    preview = check_body_import(db, filename, data, organisation)
    if preview.ok:
        batch = ImportBatch(
            id=str(uuid.uuid4()),
            organisation_id=organisation.id,
            created_by_id=actor.user_id,
            kind="bodies",
            filename=filename[:255],
            rows=[row_dict(r) for r in preview.rows],
        )
        db.add(batch)
        db.flush()
        preview.batch_id = batch.id
    return preview


def _rows_for_org(raw: list[tuple[int, dict[str, str]]], org: Organisation) -> list[BodyRow]:
    rows = []
    for line, r in raw:
        row = BodyRow(
            line=line,
            name=r.get("name", ""),
            category=r.get("category", ""),
            parent=r.get("parent", ""),
            email=r.get("email", ""),
            website=r.get("website", ""),
            address=r.get("address", ""),
        )
        commission = r.get("commission", "")
        if commission and commission not in (org.short_name, org.slug):
            row.errors.append(f"Baris ini untuk komisi lain ({commission}).")
        rows.append(row)
    return rows


def row_dict(r: BodyRow) -> dict[str, Any]:
    return {
        "line": r.line,
        "name": r.name,
        "category": r.category,
        "parent": r.parent,
        "email": r.email,
        "website": r.website,
        "address": r.address,
    }


def apply_body_import(db: Session, actor: Actor, batch_id: str) -> int:
    """Create or update every body of a previewed, valid file, all in one transaction."""
    batch = db.get(ImportBatch, batch_id)
    if (
        batch is None
        or batch.kind != "bodies"
        or (batch.organisation_id != actor.organisation_id and not actor.is_admin)
    ):
        raise NotFound("Impor tidak ditemukan; unggah ulang berkasnya.")
    if not (actor.is_admin or actor.has(Role.SEKRETARIAT)):
        raise Forbidden("Hanya sekretariat yang dapat mengimpor badan publik.")
    if batch.applied_at is not None:
        raise ValidationFailed("Impor ini sudah diterapkan.")
    n = import_body_rows(db, batch.organisation_id, batch.rows, actor_user_id=actor.user_id)
    batch.applied_at = utcnow()
    return n


def import_body_rows(
    db: Session, organisation_id: int, rows: list[dict[str, Any]], *, actor_user_id: int | None
) -> int:
    """Upsert checked rows (parents first, so units can point at them)."""
    by_name = {
        b.name: b for b in db.scalars(select(Body).where(Body.organisation_id == organisation_id))
    }
    ordered = sorted(rows, key=lambda r: bool(r["parent"]))
    for r in ordered:
        body = by_name.get(r["name"])
        if body is None:
            body = Body(organisation_id=organisation_id, name=r["name"])
            db.add(body)
            by_name[r["name"]] = body
        body.default_category_code = r["category"] or None
        body.email = r["email"] or body.email
        body.website = r.get("website") or body.website
        body.address = r.get("address") or body.address
        if r["parent"]:
            db.flush()
            body.parent_id = by_name[r["parent"]].id
    db.flush()
    record(
        db,
        actor_user_id=actor_user_id,
        organisation_id=organisation_id,
        action="body.imported",
        object_type="organisation",
        object_id=organisation_id,
        after={"rows": len(rows)},
    )
    return len(rows)


# --- export (background job) -----------------------------------------------------------------

EXPORT_COLUMNS = [
    "name",
    "category",
    "parent",
    "email",
    "website",
    "address",
    "ppid_name",
    "ppid_email",
    "ppid_phone",
]


@job_handler("bodies.export")
def export_bodies_job(db: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Write the commission's registry to an XLSX file under var/jobs/."""
    from openpyxl import Workbook

    bodies = list(
        db.scalars(
            select(Body)
            .where(Body.organisation_id == job.organisation_id)
            .order_by(Body.default_category_code, Body.name)
        )
    )
    names = {b.id: b.name for b in bodies}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("badan_publik")
    ws.append(EXPORT_COLUMNS)
    for i, b in enumerate(bodies, start=1):
        ws.append(
            [
                escape_formula(v)
                for v in (
                    b.name,
                    b.default_category_code or "",
                    names.get(b.parent_id or 0, ""),
                    b.email,
                    b.website,
                    b.address,
                    b.ppid_name,
                    b.ppid_email,
                    b.ppid_phone,
                )
            ]
        )
        if i % 50 == 0:
            progress(i, len(bodies), f"{i} dari {len(bodies)} badan publik")
    out = get_settings().var_dir / "jobs" / job.id
    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    wb.save(buf)
    (out / "badan-publik.xlsx").write_bytes(buf.getvalue())
    progress(len(bodies), len(bodies), "Selesai")
    return {"file": "badan-publik.xlsx", "rows": len(bodies)}
