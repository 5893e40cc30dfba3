"""The demo installation: four commissions from the project's data files, KI Jatim with accounts.

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Role
from app.bodies.models import Body
from app.bodies.service import import_body_rows
from app.config import get_settings
from app.orgs.models import Organisation
from app.orgs.service import create_commission, upsert_category

DATA = Path(__file__).parent / "data"
DEMO_DOMAIN = "demo.monevkip.id"

COMMISSIONS = [
    # slug, short name (as in the data files), full name, time zone, city
    (
        "ki-pusat",
        "KI Pusat",
        "Komisi Informasi Pusat Republik Indonesia",
        "Asia/Jakarta",
        "Jakarta",
    ),
    ("ki-jatim", "KI Jatim", "Komisi Informasi Provinsi Jawa Timur", "Asia/Jakarta", "Surabaya"),
    (
        "ki-ntt",
        "KI NTT",
        "Komisi Informasi Provinsi Nusa Tenggara Timur",
        "Asia/Makassar",
        "Kupang",
    ),
    (
        "ki-kalteng",
        "KI Kalteng",
        "Komisi Informasi Provinsi Kalimantan Tengah",
        "Asia/Jakarta",
        "Palangka Raya",
    ),
]

# (label, e-mail local part, role, body name or None)
JATIM_ACCOUNTS: list[tuple[str, str, str, str | None]] = [
    ("sekretariat", "sekretariat.jatim", Role.SEKRETARIAT, None),
    ("komisioner", "komisioner.jatim", Role.KOMISIONER, None),
    ("verifikator 1", "verifikator1.jatim", Role.VERIFIKATOR, None),
    ("verifikator 2", "verifikator2.jatim", Role.VERIFIKATOR, None),
    ("reviewer", "reviewer.jatim", Role.REVIEWER, None),
    ("juri 1", "juri1.jatim", Role.JURI, None),
    ("juri 2", "juri2.jatim", Role.JURI, None),
    ("juri 3", "juri3.jatim", Role.JURI, None),
    ("panitia", "panitia.jatim", Role.PANITIA, None),
    ("operator Kota Pasuruan", "operator.kota-pasuruan", Role.OPERATOR, "Pemerintah Kota Pasuruan"),
    (
        "operator 2 Kota Pasuruan",
        "operator2.kota-pasuruan",
        Role.OPERATOR,
        "Pemerintah Kota Pasuruan",
    ),
    (
        "atasan PPID Kota Pasuruan",
        "atasan.kota-pasuruan",
        Role.ATASAN_PPID,
        "Pemerintah Kota Pasuruan",
    ),
    (
        "operator Kota Mojokerto",
        "operator.kota-mojokerto",
        Role.OPERATOR,
        "Pemerintah Kota Mojokerto",
    ),
    (
        "operator Diskominfo Pasuruan",
        "operator.diskominfo-pasuruan",
        Role.OPERATOR,
        "Dinas Komunikasi dan Informatika",
    ),
]


class DemoRefused(Exception):
    pass


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def seed(db: Session) -> list[tuple[str, str]]:
    """Create the demo data that is missing; return (label, e-mail) of every demo login."""
    settings = get_settings()
    if settings.is_production:
        raise DemoRefused("Data demo tidak boleh diisi pada lingkungan produksi.")
    password = settings.demo_password
    orgs: dict[str, Organisation] = {}
    for slug, short, name, tz, city in COMMISSIONS:
        org = db.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            org = create_commission(
                db, slug=slug, name=name, short_name=short, timezone=tz, city=city
            )
        orgs[short] = org
    for i, row in enumerate(_rows("categories.csv")):
        upsert_category(db, orgs[row["commission"]].id, row["code"], row["name"], sort_order=i)
    bodies = _rows("bodies.csv")
    for short, org in orgs.items():
        existing = set(db.scalars(select(Body.name).where(Body.organisation_id == org.id)))
        rows = [
            {
                "name": r["name"],
                "category": r["category"],
                "parent": r["parent"],
                "email": r["email"],
                "website": "",
                "address": "",
            }
            for r in bodies
            if r["commission"] == short and r["name"] not in existing
        ]
        if rows:
            import_body_rows(db, org.id, rows, actor_user_id=None)

    logins: list[tuple[str, str]] = []
    admin_email = f"admin@{DEMO_DOMAIN}"
    if accounts.get_user_by_email(db, admin_email) is None:
        accounts.create_user(
            db, email=admin_email, full_name="Admin Platform", password=password, is_admin=True
        )
    logins.append(("admin platform", admin_email))
    jatim = orgs["KI Jatim"]
    for label, local, role, body_name in JATIM_ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = accounts.get_user_by_email(db, email) or accounts.create_user(
            db, email=email, full_name=_display_name(label), password=password
        )
        body = None
        if body_name:
            body = db.scalar(
                select(Body).where(Body.organisation_id == jatim.id, Body.name == body_name)
            )
        accounts.grant_role(db, user=user, organisation=jatim, role=role, body=body)
        logins.append((label, email))
    db.flush()
    return logins


def _display_name(label: str) -> str:
    return "Demo " + label[:1].upper() + label[1:]


def demo_user(db: Session, local: str) -> User | None:
    return accounts.get_user_by_email(db, f"{local}@{DEMO_DOMAIN}")
