"""The demo installation: four commissions from the project's data files, KI Jatim with accounts
and its "Monev KIP 2025" cycle in the SAQ stage.

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Role
from app.bodies.models import Body
from app.bodies.service import import_body_rows
from app.config import get_settings
from app.cycles import categories, schedule, scoring
from app.cycles import service as cycles
from app.cycles.access import system_actor
from app.cycles.models import Cycle
from app.cycles.rules import DEFAULT_CONFIG, AwardKind, AwardRule, ScoringConfig, TieBreak
from app.cycles.schedule import StageEntry
from app.db import utcnow
from app.demo.completed import seed_completed_cycle
from app.internal import service as internal
from app.orgs.models import Organisation
from app.orgs.service import create_commission, upsert_category
from app.questionnaires import transfer

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
    cycle = seed_jatim_cycle(db, jatim)
    seed_partial_saq(db, jatim, cycle)
    seed_completed_cycle(db, jatim)
    seed_history(db)
    seed_internal_monev(db, jatim)
    return logins


PARTIAL_SAQ_BODY = "Pemerintah Kota Mojokerto"  # Kota Pasuruan stays empty for the main journey


def seed_partial_saq(db: Session, jatim: Organisation, cycle: Cycle) -> int:
    """Kota Mojokerto's SAQ about two thirds filled (some "Ya" still without evidence), so the
    workspace, progress and the sekretariat's list show something realistic. Idempotent."""
    from app.submissions import service as submissions
    from app.submissions.models import AnswerLink, Submission

    body = db.scalar(
        select(Body).where(Body.organisation_id == jatim.id, Body.name == PARTIAL_SAQ_BODY)
    )
    user = demo_user(db, "operator.kota-mojokerto")
    if body is None or user is None or not cycle.is_open:
        return 0
    if db.scalar(
        select(Submission.id).where(Submission.cycle_id == cycle.id, Submission.body_id == body.id)
    ):
        return 0
    actor = accounts.build_actor(db, user, jatim.id)
    ws = submissions.get_workspace(db, actor, cycle.id, body.id)
    items = list(ws.bq.spec.items)
    saved = 0
    for n, it in enumerate(items[: len(items) * 2 // 3]):
        if it.answer_type == "yes_no":
            value, text = ("Tidak" if n % 7 == 3 else "Ya"), ""
        elif it.answer_type == "choice":
            value, text = it.options[0].label, ""
        else:
            value, text = "", "Tersedia di laman PPID Kota Mojokerto (menu Informasi Publik)."
        submissions.save_answer(db, actor, ws, it.id, value=value, text=text, version=0)
        if value != "Tidak" and it.evidence_kind in ("link", "file_or_link") and n % 2 == 0:
            # Demo links are recorded without a network check (the checker runs on real saves).
            db.add(
                AnswerLink(
                    cycle_id=cycle.id,
                    body_id=body.id,
                    item_id=it.id,
                    url=f"https://ppid.mojokertokota.go.id/dokumen/{it.code}",
                    added_by_id=user.id,
                )
            )
        saved += 1
    db.flush()
    return saved


def seed_history(db: Session) -> int:
    """Past published results (history.csv) so the portal shows history and streaks.

    Idempotent: rows are upserted per (commission, body, year)."""
    from app.results.history import import_history

    rows = list(enumerate(_rows("history.csv"), start=2))
    return import_history(db, rows, actor_user_id=None)


def _display_name(label: str) -> str:
    return "Demo " + label[:1].upper() + label[1:]


def demo_user(db: Session, local: str) -> User | None:
    return accounts.get_user_by_email(db, f"{local}@{DEMO_DOMAIN}")


# --- the KI Jatim 2025 cycle, in its SAQ stage ----------------------------------------------------

JATIM_CYCLE = "Monev KIP 2025"
# (stage, days from today at opening, opening time, days from today at closing, closing time)
JATIM_STAGES: list[tuple[str, int, str, int, str]] = [
    ("registration", -30, "08:00", -10, "23:59"),
    ("saq", -7, "08:00", 14, "23:59"),
    ("verification", 15, "08:00", 35, "23:59"),
    ("clarification", 20, "08:00", 35, "23:59"),
    ("verification_publication", 37, "08:00", 38, "23:59"),
    ("appeal", 39, "08:00", 41, "23:59"),
    ("shortlist", 43, "08:00", 44, "23:59"),
    ("presentation", 48, "08:00", 55, "17:00"),
    ("plenary", 58, "09:00", 58, "17:00"),
    ("publication", 60, "08:00", 61, "23:59"),
    ("award", 70, "19:00", 70, "23:00"),
]


def jatim_rules() -> ScoringConfig:
    """KI-Jatim-like rules: SAQ 70 + presentation 30; shortlist SAQ >= 60 or the top 3."""
    return replace(
        DEFAULT_CONFIG,
        tie_breaks=(TieBreak("component", "saq"), TieBreak("indicator", "2"), TieBreak("shared")),
        awards=(
            AwardRule(AwardKind.BAND, "Badan Publik Informatif", band_name="Informatif"),
            AwardRule(AwardKind.TOP_N, "Terbaik", top_n=3),
            AwardRule(AwardKind.BEST_INDICATOR, "Kualitas Informasi Terbaik", indicator_code="1"),
            AwardRule(AwardKind.BEST_INDICATOR, "Jenis Informasi Terbaik", indicator_code="2"),
            AwardRule(AwardKind.BEST_INDICATOR, "Sarana dan Prasarana Terbaik", indicator_code="4"),
            AwardRule(AwardKind.SPECIAL, "Pimpinan Terbaik"),
        ),
    )


def _stage_entries(org: Organisation, now: datetime | None) -> list[StageEntry]:
    """The demo's stage windows around today (the SAQ open now) in the organisation's time."""
    today = (now or utcnow()).astimezone(ZoneInfo(org.timezone)).date()
    return [
        StageEntry(
            code,
            True,
            str(i),
            f"{today + timedelta(days=o)}T{open_time}",
            f"{today + timedelta(days=c)}T{close_time}",
        )
        for i, (code, o, open_time, c, close_time) in enumerate(JATIM_STAGES, start=1)
    ]


INTERNAL_BODY = "Pemerintah Kota Pasuruan"
INTERNAL_CYCLE = "Monev Internal PPID Pelaksana 2025"


def seed_internal_monev(db: Session, jatim: Organisation) -> Cycle | None:
    """Kota Pasuruan's internal monev of its PPID pelaksana units, started by its operator,
    with an open internal cycle copied from KI Jatim's questionnaire (idempotent)."""

    city = db.scalar(
        select(Body).where(Body.organisation_id == jatim.id, Body.name == INTERNAL_BODY)
    )
    user = demo_user(db, "operator.kota-pasuruan")
    if city is None or user is None:
        return None
    owner = accounts.build_actor(db, user, jatim.id)
    monev = internal.internal_of_body(db, city.id) or internal.start_internal_monev(
        db, owner, city.id
    )
    internal.sync_members(db, monev)
    existing = db.scalar(
        select(Cycle).where(
            Cycle.organisation_id == monev.organisation_id, Cycle.name == INTERNAL_CYCLE
        )
    )
    if existing is not None:
        return existing
    cycle = internal.create_internal_cycle(db, owner, monev, name=INTERNAL_CYCLE, year=2025)
    inside = internal.as_member_of(db, owner, monev.organisation_id)
    org = db.get(Organisation, monev.organisation_id)
    assert org is not None
    schedule.save_stages(db, inside, cycle, _stage_entries(org, None))
    cycles.open_cycle(db, inside, cycle)
    return cycle


def seed_jatim_cycle(db: Session, jatim: Organisation, *, now: datetime | None = None) -> Cycle:
    """KI Jatim's 2025 cycle: catalogue categories, every top-level body, the project's
    questionnaire, KI-Jatim-like rules, and stages dated so that the SAQ is open now."""
    existing = db.scalar(
        select(Cycle).where(Cycle.organisation_id == jatim.id, Cycle.name == JATIM_CYCLE)
    )
    if existing is not None:
        return existing
    user = demo_user(db, "sekretariat.jatim")
    actor = accounts.build_actor(db, user, jatim.id) if user else system_actor(jatim.id)
    cycle = cycles.create_cycle(db, actor, name=JATIM_CYCLE, year=2025)
    today = (now or utcnow()).astimezone(ZoneInfo(jatim.timezone)).date()
    schedule.save_stages(db, actor, cycle, _stage_entries(jatim, now))
    with (DATA / "questionnaire_2025.csv").open("rb") as fh:
        rows = transfer.read_rows("questionnaire_2025.csv", fh.read())
    problems = transfer.check_import(db, cycle, rows) + [m for r in rows for m in r.messages]
    if problems:
        raise DemoRefused("Kuesioner demo tidak valid: " + " ".join(problems))
    transfer.import_rows(
        db,
        cycle,
        rows,
        name="Kuesioner SAQ 2025",
        actor_user_id=actor.user_id or None,
        filename="questionnaire_2025.csv",
    )
    scoring.save_scoring_config(db, actor, cycle, jatim_rules())
    desa = next(c for c in categories.categories_of(db, cycle) if c.code == "desa")
    schedule.add_extension(
        db,
        actor,
        cycle,
        stage_code="saq",
        closes=f"{today + timedelta(days=21)}T23:59",
        reason="Banyak pemerintah desa terkendala jaringan internet saat mengunggah bukti.",
        decision_ref="Keputusan Rapat Pleno KI Jatim (contoh demo)",
        category_id=desa.id,
    )
    cycles.open_cycle(db, actor, cycle, now=now)
    return cycle
