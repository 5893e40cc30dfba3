"""Pure checks on rows of a body import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class BodyRow:
    line: int
    name: str
    category: str
    parent: str
    email: str
    website: str = ""
    address: str = ""
    errors: list[str] = field(default_factory=list)
    action: str = "baru"  # baru | perbarui


def check_body_rows(
    rows: list[BodyRow],
    *,
    category_codes: set[str],
    existing_names: set[str],
) -> list[BodyRow]:
    """Mark each row with its errors and whether it creates or updates a body."""
    seen: dict[str, int] = {}
    names_in_file = {r.name for r in rows if r.name}
    for r in rows:
        if not r.name:
            r.errors.append("Nama badan publik wajib diisi.")
        elif len(r.name) > 250:
            r.errors.append("Nama terlalu panjang (maks. 250 karakter).")
        elif r.name in seen:
            r.errors.append(f"Nama ganda: sama dengan baris {seen[r.name]}.")
        else:
            seen[r.name] = r.line
        if r.category and r.category not in category_codes:
            r.errors.append(f"Kategori tidak dikenal: {r.category!r}.")
        if not r.category and not r.parent:
            r.errors.append("Isi kategori, atau induk bila ini unit PPID pelaksana.")
        if r.parent:
            if r.parent == r.name:
                r.errors.append("Badan publik tidak boleh menjadi induknya sendiri.")
            elif r.parent not in names_in_file and r.parent not in existing_names:
                r.errors.append(f"Induk tidak ditemukan: {r.parent!r}.")
        if r.email and not EMAIL_RE.match(r.email):
            r.errors.append(f"Email tidak valid: {r.email!r}.")
        if r.website and not re.match(r"^https?://", r.website):
            r.errors.append("Situs web harus diawali http:// atau https://.")
        r.action = "perbarui" if r.name in existing_names else "baru"
    return rows
