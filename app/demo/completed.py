"""KI Jatim's completed "Monev KIP 2024" demo cycle: submitted and verified SAQs, one locked
presentation panel (juri 1–3), computed results, a decree approved in plenary and published, and
a reviewed award list, so the portal, the results pages and the certificates have real data.

Verified answers are written directly (the demo does not replay verification). Bodies whose
2024 result is a published fact (`history.csv`: Kota Mojokerto 98,56 rank 1, Kota Pasuruan 94,74
rank 7, Kabupaten Mojokerto 89,38) get answers and juror ratings chosen so that the system's own
computation gives exactly those published scores; the other bodies get deterministic
pseudo-random answers. Idempotent: nothing happens when the cycle exists.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.rules import Actor
from app.bodies.models import Body
from app.cycles import categories, schedule, scoring
from app.cycles import service as cycles
from app.cycles.access import system_actor
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.cycles.rules import to_utc
from app.cycles.schedule import StageEntry
from app.demo.fit import CRITERIA, DemoItem, fit_body
from app.orgs.models import Organisation
from app.panels import service as panels
from app.panels.models import PanelScore, PanelSlot, ScoreStatus
from app.panels.rules import juror_body_score
from app.questionnaires import transfer
from app.questionnaires.models import Indicator, Item
from app.questionnaires.service import spec_for
from app.results import service as results
from app.results.models import ResultRow
from app.submissions.models import Answer, Submission, SubmissionStatus
from app.verification.rules import Indicator as RuleIndicator
from app.verification.rules import Verdict

COMPLETED_CYCLE = "Monev KIP 2024"
COMPLETED_YEAR = 2024
# (stage, opens, closes) in the commission's time zone
COMPLETED_STAGES: list[tuple[str, str, str]] = [
    ("registration", "2024-06-03T08:00", "2024-06-28T23:59"),
    ("saq", "2024-07-01T08:00", "2024-08-16T23:59"),
    ("verification", "2024-08-19T08:00", "2024-09-13T23:59"),
    ("clarification", "2024-08-26T08:00", "2024-09-13T23:59"),
    ("verification_publication", "2024-09-16T08:00", "2024-09-17T23:59"),
    ("appeal", "2024-09-18T08:00", "2024-09-20T23:59"),
    ("shortlist", "2024-09-23T08:00", "2024-09-24T23:59"),
    ("presentation", "2024-10-14T08:00", "2024-10-18T17:00"),
    ("plenary", "2024-11-18T09:00", "2024-11-18T17:00"),
    ("publication", "2024-11-20T08:00", "2024-11-22T23:59"),
    ("award", "2024-12-05T19:00", "2024-12-05T23:00"),
]
SK_NUMBER = "188/45/KPTS/KI-JATIM/2024 (contoh demo)"
SK_DATE = "2024-11-18"
# Published 2024 facts (history.csv) plus the five bodies ranked 2–6 before Kota Pasuruan.
TARGETS: dict[str, Decimal] = {
    "Pemerintah Kota Mojokerto": Decimal("98.56"),
    "Pemerintah Kabupaten Banyuwangi": Decimal("97.83"),
    "Pemerintah Kabupaten Sidoarjo": Decimal("97.12"),
    "Pemerintah Kota Madiun": Decimal("96.40"),
    "Pemerintah Kabupaten Lamongan": Decimal("95.91"),
    "Pemerintah Kota Surabaya": Decimal("95.27"),
    "Pemerintah Kota Pasuruan": Decimal("94.74"),
    "Pemerintah Kabupaten Mojokerto": Decimal("89.38"),
}
CAPPED_CATEGORY = "pemkab_pemkot"  # the other bodies of this category stay below Kota Pasuruan
NOT_SUBMITTED = 2  # the last bodies of the two smallest categories did not submit
JURORS = ("juri1.jatim", "juri2.jatim", "juri3.jatim")


class CompletedCycleRefused(Exception):
    pass


def _local(org: Organisation, text: str) -> datetime:
    return to_utc(text, org.timezone)


def seed_completed_cycle(db: Session, jatim: Organisation) -> Cycle:
    """Create and complete KI Jatim's 2024 cycle (once)."""
    existing = db.scalar(
        select(Cycle).where(Cycle.organisation_id == jatim.id, Cycle.name == COMPLETED_CYCLE)
    )
    if existing is not None:
        return existing
    sek = _actor(db, jatim, "sekretariat.jatim")
    kom = _actor(db, jatim, "komisioner.jatim")
    cycle = _prepare(db, jatim, sek)
    targets = _targets(db, cycle)
    bodies = [b for b, _ in targets]
    items, applicable, indicators = _questionnaire(db, cycle)
    ratings = _write_answers(db, cycle, targets, items, applicable, indicators)
    results.publish_shortlist(db, kom, cycle)
    _presentation(db, jatim, cycle, sek, ratings)
    rs = results.compute_and_store(db, sek, cycle)
    _check_facts(db, rs.id, bodies)
    decree = results.draft_decree(db, sek, cycle, rs)
    results.approve_decree(
        db,
        kom,
        cycle,
        decree,
        sk_number=SK_NUMBER,
        sk_date=SK_DATE,
        now=_local(jatim, "2024-11-18T15:00"),
    )
    results.publish_decree(db, kom, cycle, decree, now=_local(jatim, "2024-11-20T10:00"))
    best = next(b for b in bodies if b.name == "Pemerintah Kota Mojokerto")
    results.grant_special_award(
        db, sek, cycle, body_id=best.id, name="Pimpinan Terbaik", reason="Wali kota hadir langsung"
    )
    results.review_awards(db, kom, cycle)
    return cycle


def _actor(db: Session, org: Organisation, local: str) -> Actor:
    from app.demo.seed import demo_user

    user = demo_user(db, local)
    return accounts.build_actor(db, user, org.id) if user else system_actor(org.id)


def _prepare(db: Session, org: Organisation, sek: Actor) -> Cycle:
    from app.demo.seed import DATA, DemoRefused, jatim_rules

    cycle = cycles.create_cycle(db, sek, name=COMPLETED_CYCLE, year=COMPLETED_YEAR)
    entries = [
        StageEntry(code, True, str(i), opens, closes)
        for i, (code, opens, closes) in enumerate(COMPLETED_STAGES, start=1)
    ]
    schedule.save_stages(db, sek, cycle, entries)
    with (DATA / "questionnaire_2025.csv").open("rb") as fh:
        rows = transfer.read_rows("questionnaire_2025.csv", fh.read())
    problems = transfer.check_import(db, cycle, rows) + [m for r in rows for m in r.messages]
    if problems:
        raise DemoRefused("Kuesioner demo tidak valid: " + " ".join(problems))
    transfer.import_rows(
        db,
        cycle,
        rows,
        name="Kuesioner SAQ 2024",
        actor_user_id=sek.user_id or None,
        filename="questionnaire_2025.csv",
    )
    scoring.save_scoring_config(db, sek, cycle, jatim_rules())
    cycles.open_cycle(db, sek, cycle, now=_local(org, "2024-06-03T09:00"))
    return cycle


def _targets(db: Session, cycle: Cycle) -> list[tuple[Body, str]]:
    """Target bodies and their category codes, by category order then name."""
    rows = db.execute(
        select(Body, CycleCategory.code)
        .join(CycleTarget, CycleTarget.body_id == Body.id)
        .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
        .where(CycleTarget.cycle_id == cycle.id)
        .order_by(CycleCategory.sort_order, Body.name)
    ).all()
    missing = set(TARGETS) - {b.name for b, _ in rows}
    if missing:
        raise CompletedCycleRefused(f"Badan publik demo tidak ditemukan: {sorted(missing)}")
    return [(b, code) for b, code in rows]


def _questionnaire(
    db: Session, cycle: Cycle
) -> tuple[dict[str, list[DemoItem]], dict[str, dict[str, int]], list[RuleIndicator]]:
    """Per category the items that apply, Σ applicable weights per indicator, the indicators."""
    cats = categories.categories_of(db, cycle)
    qid = cats[0].questionnaire_id
    assert qid is not None, "the demo's categories share one questionnaire"
    inds = {i.id: i for i in db.scalars(select(Indicator).where(Indicator.questionnaire_id == qid))}
    raw = list(
        db.scalars(
            select(Item)
            .where(Item.questionnaire_id == qid, Item.removed_at.is_(None))
            .order_by(Item.position, Item.id)
        )
    )
    items: dict[str, list[DemoItem]] = {}
    applicable: dict[str, dict[str, int]] = {}
    for cat in cats:
        mine: list[DemoItem] = []
        weights: dict[str, int] = {}
        answered = {i.id for i in spec_for(db, qid, cat.code).items}
        for it in raw:
            ind = inds[it.indicator_id]
            if it.id not in answered:
                continue
            options = tuple(
                sorted(
                    ((o["label"], int(Decimal(o["fraction"]) * 10_000)) for o in it.options),
                    key=lambda o: -o[1],
                )
            )
            mine.append(DemoItem(it.id, it.indicator_id, ind.code, it.weight, options))
            weights[ind.code] = weights.get(ind.code, 0) + it.weight
        items[cat.code] = mine
        applicable[cat.code] = weights
    ordered = sorted(inds.values(), key=lambda i: (i.position, i.id))
    return items, applicable, [RuleIndicator(i.code, Decimal(i.weight)) for i in ordered]


def _write_answers(
    db: Session,
    cycle: Cycle,
    targets: list[tuple[Body, str]],
    items: dict[str, list[DemoItem]],
    applicable: dict[str, dict[str, int]],
    indicators: list[RuleIndicator],
) -> dict[int, tuple[dict[str, int], ...]]:
    """Submitted, verified answers for every target body but a few; juror ratings per body."""
    by_category: dict[str, list[Body]] = {}
    for body, code in targets:
        by_category.setdefault(code, []).append(body)
    smallest = sorted(by_category, key=lambda c: (len(by_category[c]), c))[:NOT_SUBMITTED]
    absent = {by_category[c][-1].id for c in smallest}
    submitted_at = _local(_org(db, cycle), "2024-08-15T16:00")
    weights = {c.code: c.weight for c in scoring.get_scoring_config(db, cycle).components}
    split = (weights["saq"], weights["presentation"])
    ratings: dict[int, tuple[dict[str, int], ...]] = {}
    rows: list[dict[str, object]] = []
    for body, category in targets:
        if body.id in absent:
            continue
        mine = items[category]
        rng = random.Random(f"monev-2024:{body.name}")
        if body.name in TARGETS:
            credits, triple = fit_body(
                TARGETS[body.name], mine, applicable[category], indicators, split
            )
        else:
            top = 0.86 if category == CAPPED_CATEGORY else 0.97
            quality = rng.uniform(0.35, top)
            credits = {
                it.id: (
                    rng.choice([o[1] for o in it.options])
                    if it.options
                    else (10_000 if rng.random() < quality else 0)
                )
                for it in mine
            }
            level = 1 + round(quality * 4)
            triple = tuple(
                {c: max(1, min(5, level + rng.choice((-1, 0, 0, 1)))) for c in CRITERIA}
                for _ in JURORS
            )
            if category == CAPPED_CATEGORY:
                triple = tuple({c: min(r, 4) for c, r in t.items()} for t in triple)
        ratings[body.id] = triple
        sub = Submission(
            organisation_id=cycle.organisation_id,
            cycle_id=cycle.id,
            body_id=body.id,
            status=SubmissionStatus.SUBMITTED,
            submitted_at=submitted_at,
        )
        db.add(sub)
        db.flush()
        for it in mine:
            credit = credits[it.id]
            declared_credit = it.options[0][1] if it.options else 10_000
            if it.options:
                label = next(label for label, value in it.options if value == credit)
                declared, verdict = (
                    it.options[0][0],
                    (Verdict.ACCEPTED if credit == declared_credit else Verdict.ADJUSTED),
                )
                verified_option: str | None = label
            else:
                # Most misses were declared "Ya" and rejected at verification.
                honest = credit == 0 and rng.random() < 0.3
                declared = "tidak" if honest else "ya"
                declared_credit = 0 if honest else 10_000
                verdict = Verdict.ACCEPTED if credit == declared_credit else Verdict.REJECTED
                verified_option = None
            rows.append(
                {
                    "submission_id": sub.id,
                    "cycle_id": cycle.id,
                    "body_id": body.id,
                    "item_id": it.id,
                    "indicator_id": it.indicator_id,
                    "declared": declared,
                    "text_value": "",
                    "declared_credit_scaled": declared_credit,
                    "verdict": verdict,
                    "verified_option": verified_option,
                    "credit_scaled": credit,
                    "version": 1,
                    "updated_at": submitted_at,
                }
            )
    db.execute(insert(Answer), rows)
    db.flush()
    return ratings


def _org(db: Session, cycle: Cycle) -> Organisation:
    org = db.get(Organisation, cycle.organisation_id)
    assert org is not None
    return org


def _presentation(
    db: Session,
    org: Organisation,
    cycle: Cycle,
    sek: Actor,
    ratings: dict[int, tuple[dict[str, int], ...]],
) -> None:
    """One panel (juri 1 chairs) scores every shortlisted body; the chair locks it."""
    from app.demo.seed import demo_user

    panels.use_default_rubric(db, sek, cycle)
    panel = panels.create_panel(
        db, sek, cycle, name="Panel Uji Publik 2024", location="Kantor KI Jatim, Surabaya"
    )
    jurors: list[Actor] = []
    for n, local in enumerate(JURORS):
        user = demo_user(db, local)
        if user is None:
            raise CompletedCycleRefused(f"Akun demo {local} belum ada.")
        panels.add_juror(db, sek, panel, cycle, user_id=user.id, is_chair=n == 0)
        juror = accounts.build_actor(db, user, org.id)
        panels.accept_pact(db, juror, panel, agree=True)
        panels.confirm_declaration(db, juror, panel)
        jurors.append(juror)
    criteria = panels.criteria_of(panels.rubric_of(db, cycle))
    start = _local(org, "2024-10-14T08:30")
    for position, (_entry, body) in enumerate(panels.shortlisted(db, cycle)):
        day, slot = divmod(position, 12)
        begins = start + timedelta(days=day, minutes=35 * slot)
        db.add(
            PanelSlot(
                cycle_id=cycle.id,
                panel_id=panel.id,
                body_id=body.id,
                session_no=1 + slot // 4,
                position=position,
                starts_at=begins,
                ends_at=begins + timedelta(minutes=35),
                status="done",
                attended=True,
                leader_present=ratings[body.id][0]["pimpinan_hadir"] == 5,
                started_at=begins,
                finished_at=begins + timedelta(minutes=35),
            )
        )
        for juror, rating in zip(jurors, ratings[body.id], strict=True):
            db.add(
                PanelScore(
                    panel_id=panel.id,
                    body_id=body.id,
                    juror_id=juror.user_id,
                    status=ScoreStatus.SUBMITTED,
                    ratings=rating,
                    comments={"jawaban": "Jawaban disertai bukti dokumen."},
                    score=juror_body_score(criteria, {k: Decimal(v) for k, v in rating.items()}),
                    submitted_at=begins + timedelta(minutes=40),
                    updated_at=begins + timedelta(minutes=40),
                )
            )
    db.flush()
    panels.lock_panel(db, jurors[0], panel)


def _check_facts(db: Session, set_id: int, bodies: list[Body]) -> None:
    """The computed 2024 results agree with the published facts the demo is built from."""
    names = {b.id: b.name for b in bodies}
    rows = {
        names[r.body_id]: r
        for r in db.scalars(select(ResultRow).where(ResultRow.result_set_id == set_id))
    }
    wrong = [
        f"{name}: {rows[name].published} (seharusnya {score})"
        for name, score in TARGETS.items()
        if rows[name].published != score
    ]
    if rows["Pemerintah Kota Mojokerto"].rank != 1 or rows["Pemerintah Kota Pasuruan"].rank != 7:
        wrong.append("peringkat Kota Mojokerto harus 1 dan Kota Pasuruan 7")
    if wrong:
        raise CompletedCycleRefused("Hasil demo 2024 tidak sesuai data: " + "; ".join(wrong))
