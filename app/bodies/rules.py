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


# --- self-registration -------------------------------------------------------------------------

REGISTRATION_FIELDS = (
    "kind",
    "cycle_category_id",
    "parent_body_id",
    "body_name",
    "website",
    "address",
    "email",
    "phone",
    "ppid_name",
    "ppid_email",
    "ppid_phone",
    "respondent_name",
    "respondent_position",
    "respondent_email",
    "respondent_phone",
)
MIN_PASSWORD_LENGTH = 10


def normalise_name(name: str) -> str:
    """A body's name as compared for duplicates: case and spacing do not make a new body."""
    return " ".join(name.split()).casefold()


def registration_errors(
    data: dict[str, str],
    *,
    password: str,
    password2: str,
    category_ids: set[int],
    parent_ids: set[int],
) -> dict[str, str]:
    """Field errors of a self-registration form (empty when it may be stored)."""
    errors: dict[str, str] = {}
    kind = data.get("kind", "utama")
    if kind not in ("utama", "pelaksana"):
        errors["kind"] = "Pilih PPID utama atau PPID pelaksana."
    name = " ".join(data.get("body_name", "").split())
    if not name:
        errors["body_name"] = "Nama badan publik wajib diisi."
    elif len(name) > 250:
        errors["body_name"] = "Nama terlalu panjang (maks. 250 karakter)."
    if kind == "pelaksana":
        pid = data.get("parent_body_id", "").strip()
        if not pid.isdigit() or int(pid) not in parent_ids:
            errors["parent_body_id"] = "Pilih PPID utama (induk) dari daftar."
    else:
        cid = data.get("cycle_category_id", "").strip()
        if not cid.isdigit() or int(cid) not in category_ids:
            errors["cycle_category_id"] = "Pilih kategori dari daftar."
    for f, label in (("respondent_name", "Nama responden"), ("ppid_name", "Nama pejabat PPID")):
        if not data.get(f, "").strip():
            errors[f] = f"{label} wajib diisi."
    for f in ("respondent_email", "email", "ppid_email"):
        v = data.get(f, "").strip()
        if (v or f == "respondent_email") and (not EMAIL_RE.match(v) or len(v) > 254):
            errors[f] = "Alamat email tidak valid."
    website = data.get("website", "").strip()
    if website and not re.match(r"^https?://\S+$", website):
        errors["website"] = "Situs web harus diawali http:// atau https://."
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter."
    elif password != password2:
        errors["password2"] = "Kedua kata sandi tidak sama."
    return errors


def colleague_role_allowed(role: str, *, body_is_unit: bool) -> bool:
    """An operator invites fellow operators; only a PPID utama's operator adds an atasan PPID."""
    if role == "operator":
        return True
    return role == "atasan_ppid" and not body_is_unit
