"""Use-cases of evaluating organisations (commissions) and their category catalogue."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.errors import NotFound, ValidationFailed
from app.orgs.models import TIMEZONES, Category, Organisation, OrganisationKind

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}$")


def create_commission(
    db: Session,
    *,
    slug: str,
    name: str,
    short_name: str,
    timezone: str = "Asia/Jakarta",
    city: str = "",
    actor_user_id: int | None = None,
) -> Organisation:
    """Register a commission as a tenant of the installation."""
    errors: dict[str, str] = {}
    if not SLUG_RE.match(slug):
        errors["slug"] = "Hanya huruf kecil, angka dan tanda hubung (2–60 karakter)."
    if not name.strip():
        errors["name"] = "Wajib diisi."
    if not short_name.strip():
        errors["short_name"] = "Wajib diisi."
    if timezone not in TIMEZONES:
        errors["timezone"] = "Pilih WIB, WITA atau WIT."
    if not errors and db.scalar(select(Organisation.id).where(Organisation.slug == slug)):
        errors["slug"] = "Kode sudah dipakai."
    if errors:
        raise ValidationFailed("Periksa isian komisi.", field_errors=errors)
    org = Organisation(
        slug=slug,
        name=name.strip(),
        short_name=short_name.strip(),
        timezone=timezone,
        city=city.strip(),
        kind=OrganisationKind.COMMISSION,
    )
    db.add(org)
    db.flush()
    record(
        db,
        actor_user_id=actor_user_id,
        organisation_id=org.id,
        action="organisation.created",
        object_type="organisation",
        object_id=org.id,
        after={"slug": slug, "name": org.name, "timezone": timezone},
    )
    return org


def get_organisation(db: Session, organisation_id: int) -> Organisation:
    org = db.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("Komisi tidak ditemukan.")
    return org


def get_by_slug_or_name(db: Session, key: str) -> Organisation | None:
    """Find a commission by its slug or short name (as in the shared CSV files)."""
    return db.scalar(
        select(Organisation).where((Organisation.slug == key) | (Organisation.short_name == key))
    )


def list_organisations(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).order_by(Organisation.short_name)))


def categories(db: Session, organisation_id: int) -> list[Category]:
    return list(
        db.scalars(
            select(Category)
            .where(Category.organisation_id == organisation_id)
            .order_by(Category.sort_order, Category.code)
        )
    )


def upsert_category(
    db: Session, organisation_id: int, code: str, name: str, sort_order: int = 0
) -> Category:
    """Add a category to a commission's catalogue, or rename it."""
    code = code.strip()
    if not re.match(r"^[a-z0-9_]{2,40}$", code):
        raise ValidationFailed(f"Kode kategori tidak valid: {code!r}.")
    cat = db.scalar(
        select(Category).where(Category.organisation_id == organisation_id, Category.code == code)
    )
    if cat is None:
        cat = Category(
            organisation_id=organisation_id, code=code, name=name.strip(), sort_order=sort_order
        )
        db.add(cat)
    else:
        cat.name = name.strip()
        cat.sort_order = sort_order
    db.flush()
    return cat
