"""Results use-cases: compute (SAQ from one grouped query), store versioned, rank, diff,
decrees (draft → approved in plenary → published, amendments), shortlist, component scores.

Functions other domains call:
- `shortlisted_body_ids(db, cycle)`: the bodies on the published shortlist.
- `app.results.publication.register_publication_blocker(fn)`: refuse publication while `fn`
  returns reasons (panels not locked, open appeals).
- `award_list(db, cycle)`: the awards of the published results (certificates are made from it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, insert, not_, or_, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.cycles.access import actor_id, can_manage
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.cycles.rules import ScoringConfig, shortlist_decisions
from app.cycles.schedule import get_stage, require_stage_open
from app.cycles.scoring import get_scoring_config
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.questionnaires.models import Indicator, Item
from app.questionnaires.service import spec_for
from app.results.models import (
    ComponentScore,
    Decree,
    DecreeStatus,
    ResultRow,
    ResultSet,
    ShortlistEntry,
    SpecialAwardGrant,
)
from app.results.publication import publication_blockers
from app.results.rules import (
    FORMULA_VERSION,
    SAQ,
    Award,
    BodyInputs,
    FinalScore,
    PublishedRow,
    RankedBody,
    RowChange,
    SpecialAward,
    award_rules,
    compute_results,
    determine_awards,
    diff_results,
    published_rows,
    rank_results,
    ranking_policy,
    scoring_rules,
    scoring_rules_errors,
)
from app.submissions.models import Answer, Submission, SubmissionStatus
from app.verification.appeals import open_appeal_reasons
from app.verification.rules import Indicator as RuleIndicator
from app.verification.rules import SaqScore, combine_sums_by_body

# --- access ------------------------------------------------------------------------------------


def require_sekretariat_of(actor: Actor, cycle: Cycle) -> None:
    """The sekretariat computes, drafts decrees and enters component scores."""
    if not can_manage(actor, cycle):
        raise Forbidden("Hanya sekretariat komisi yang dapat mengolah hasil monev.")


def require_komisioner_of(actor: Actor, cycle: Cycle) -> None:
    """A komisioner approves in plenary and publishes."""
    if actor.organisation_id != cycle.organisation_id or not (
        actor.is_admin or actor.has(Role.KOMISIONER)
    ):
        raise Forbidden("Hanya komisioner yang dapat menyetujui dan menerbitkan hasil.")


def can_see_results(actor: Actor, cycle: Cycle) -> bool:
    """Sekretariat and komisioners (and the platform admin) see unpublished results."""
    return actor.organisation_id == cycle.organisation_id and (
        actor.is_admin or actor.has(Role.SEKRETARIAT, Role.KOMISIONER)
    )


def _require_open(cycle: Cycle) -> None:
    if not cycle.is_open:
        raise InvalidTransition("Siklus belum dibuka; hasil belum dapat diolah.")


def _audit(
    db: Session, actor: Actor, cycle: Cycle, action: str, obj: str, obj_id: Any, **data: Any
) -> None:
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action=action,
        object_type=obj,
        object_id=obj_id,
        after=data,
    )


# --- SAQ: one grouped query, combined by the pure rules ----------------------------------------


@dataclass(frozen=True)
class CycleFrame:
    """Who is evaluated in a cycle and in which category (one query each)."""

    categories: dict[str, CycleCategory]  # code → category
    body_category: dict[int, str]  # body id → category code
    submitted: set[int]
    narrowed: bool = False


def narrow_frame(frame: CycleFrame, body_ids: Iterable[int]) -> CycleFrame:
    """The same cycle seen for a few bodies only (their SAQ reads only their answers)."""
    keep = {b: frame.body_category[b] for b in body_ids if b in frame.body_category}
    return CycleFrame(frame.categories, keep, frame.submitted & set(keep), narrowed=True)


def cycle_frame(db: Session, cycle: Cycle) -> CycleFrame:
    cats = list(db.scalars(select(CycleCategory).where(CycleCategory.cycle_id == cycle.id)))
    by_id = {c.id: c for c in cats}
    conn = db.connection()
    targets = conn.execute(
        select(CycleTarget.body_id, CycleTarget.cycle_category_id).where(
            CycleTarget.cycle_id == cycle.id
        )
    ).all()
    submitted = set(
        conn.execute(
            select(Submission.body_id).where(
                Submission.cycle_id == cycle.id,
                Submission.status == SubmissionStatus.SUBMITTED,
            )
        ).scalars()
    )
    return CycleFrame(
        categories={c.code: c for c in cats},
        body_category={body_id: by_id[cat_id].code for body_id, cat_id in targets},
        submitted=submitted,
    )


def saq_scores(
    db: Session, cycle: Cycle, frame: CycleFrame, *, declared: bool = False
) -> dict[int, SaqScore]:
    """Every submitter's verified SAQ: Σ item weight × credit per (body, indicator) in SQL.

    `declared=True` scores the credits as the bodies declared them (before verification). A
    frame narrowed to a few bodies (`narrow_frame`) reads only their answers."""
    questionnaire_ids = {
        c.questionnaire_id for c in frame.categories.values() if c.questionnaire_id
    }
    indicators = list(
        db.execute(
            select(
                Indicator.id,
                Indicator.questionnaire_id,
                Indicator.code,
                Indicator.weight,
            ).where(Indicator.questionnaire_id.in_(questionnaire_ids))
        )
    )
    # Per category: Σ weights of applying items per indicator, and the items that do not apply
    # (the questionnaire spec's rule, as the SAQ workspace and the verification sheet apply it).
    applicable: dict[str, dict[str, int]] = {}
    excluded: dict[int, list[int]] = {}
    for code, cat in frame.categories.items():
        if cat.questionnaire_id is None:
            applicable[code] = {}
            continue
        mine = spec_for(db, cat.questionnaire_id, code)
        applicable[code] = {
            ind.code: sum(i.weight for i in ind.items) for ind in mine.indicators if ind.items
        }
        answered = {i.id for i in mine.items}
        others = [
            i.id
            for i in spec_for(db, cat.questionnaire_id).items
            if not i.is_removed and i.id not in answered
        ]
        if others:
            excluded[cat.id] = others
    credit = Answer.declared_credit_scaled if declared else Answer.credit_scaled
    query = (
        select(
            Answer.body_id,
            Answer.indicator_id,
            cast(func.sum(Item.weight * credit), BigInteger),
        )
        .join(Item, Item.id == Answer.item_id)
        .where(Answer.cycle_id == cycle.id, Item.removed_at.is_(None))
        .group_by(Answer.body_id, Answer.indicator_id)
    )
    if frame.narrowed:
        query = query.where(Answer.body_id.in_(sorted(frame.body_category)))
    if excluded:
        query = query.join(
            CycleTarget,
            and_(CycleTarget.cycle_id == Answer.cycle_id, CycleTarget.body_id == Answer.body_id),
        ).where(
            not_(
                or_(
                    *(
                        and_(CycleTarget.cycle_category_id == cat_id, Answer.item_id.in_(ids))
                        for cat_id, ids in excluded.items()
                    )
                )
            )
        )
    scored = {b for b in frame.submitted if b in frame.body_category}
    # Plain rows through the connection (no ORM row processing): 60 000 rows for 10 000 bodies,
    # gathered straight into questionnaire → body → indicator code → integer sum.
    earned: dict[int, dict[int, dict[str, int]]] = {}
    target = {i.id: (i.code, earned.setdefault(i.questionnaire_id, {})) for i in indicators}
    for body_id, indicator_id, total in db.connection().execute(query).all():
        if body_id in scored:
            code, by_body = target[indicator_id]
            per_body = by_body.get(body_id)
            if per_body is None:
                per_body = by_body[body_id] = {}
            # PostgreSQL's SUM over bigint returns numeric (a Decimal here): integral, so exact.
            per_body[code] = int(total or 0)
    scores: dict[int, SaqScore] = {}
    for qid in questionnaire_ids:
        q_indicators = [
            RuleIndicator(i.code, Decimal(i.weight))
            for i in indicators
            if i.questionnaire_id == qid
        ]
        codes = {code for code, c in frame.categories.items() if c.questionnaire_id == qid}
        bodies = {b: frame.body_category[b] for b in scored if frame.body_category[b] in codes}
        by_body = earned.get(qid, {})
        strangers = set(by_body) - set(bodies)
        if strangers:
            raise ValueError(f"sums for unknown body {min(strangers)}")
        scores.update(combine_sums_by_body(q_indicators, applicable, bodies, by_body))
    return scores


# --- compute, rank, store ----------------------------------------------------------------------


@dataclass
class Computation:
    """A cycle's freshly computed results (not stored yet) and the rules they used."""

    config: ScoringConfig
    results: tuple[FinalScore, ...]
    ranking: dict[int, RankedBody]
    saq: dict[int, SaqScore] = field(default_factory=dict)

    def rows(self) -> tuple[PublishedRow, ...]:
        return published_rows(self.results, self.ranking)


def shortlisted_body_ids(db: Session, cycle: Cycle) -> set[int]:
    """The bodies on the cycle's published shortlist (empty before it is published)."""
    return set(
        db.scalars(select(ShortlistEntry.body_id).where(ShortlistEntry.cycle_id == cycle.id))
    )


def _component_scores(db: Session, cycle: Cycle) -> dict[int, dict[str, Decimal]]:
    found: dict[int, dict[str, Decimal]] = {}
    rows = db.connection().execute(
        select(ComponentScore.body_id, ComponentScore.component_code, ComponentScore.score).where(
            ComponentScore.cycle_id == cycle.id
        )
    )
    for body_id, code, score in rows:
        found.setdefault(body_id, {})[code] = Decimal(score)
    return found


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a whole-cycle computation.

    A recompute of 10,000 bodies makes a few hundred thousand small objects that hold no
    reference cycles; the collector's repeated passes over them cost about a fifth of the run.
    Reference counting still frees them; the collector resumes (and catches up) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def calculate(db: Session, cycle: Cycle) -> Computation:
    """Recompute every target body's final score, qualification and rank (nothing stored)."""
    with cyclic_gc_paused():
        return _calculate(db, cycle)


def _calculate(db: Session, cycle: Cycle) -> Computation:
    config = get_scoring_config(db, cycle)
    rules = scoring_rules(config)
    problems = scoring_rules_errors(rules)
    if problems:
        raise ValidationFailed("Aturan penilaian belum lengkap: " + " ".join(problems))
    frame = cycle_frame(db, cycle)
    saq = saq_scores(db, cycle, frame)
    components = _component_scores(db, cycle)
    listed = shortlisted_body_ids(db, cycle)
    everyone_goes_on = not listed and config.shortlist.is_empty
    inputs: list[BodyInputs] = []
    missing: list[str] = []
    needed = [c.code for c in config.components if c.code != SAQ]
    for body_id, category in frame.body_category.items():
        submitted = body_id in saq
        shortlisted = submitted and (everyone_goes_on or body_id in listed)
        scores = dict(components.get(body_id, {}))
        indicators: dict[str, Decimal] = {}
        if submitted:
            scores[SAQ] = saq[body_id].total
            indicators = saq[body_id].indicator_scores()
        if shortlisted and any(code not in scores for code in needed):
            missing.append(str(body_id))
        inputs.append(BodyInputs(body_id, category, submitted, shortlisted, scores, indicators))
    if missing:
        names = _body_names(db, [int(m) for m in missing])
        raise ValidationFailed(
            "Nilai komponen belum lengkap untuk: "
            + ", ".join(names[int(m)] for m in missing[:10])
            + (f" dan {len(missing) - 10} lainnya." if len(missing) > 10 else ".")
        )
    results = compute_results(rules, inputs)
    ranking = rank_results(results, ranking_policy(config))
    return Computation(config, results, ranking, saq)


def _body_names(db: Session, ids: Iterable[int]) -> dict[int, str]:
    return {i: n for i, n in db.execute(select(Body.id, Body.name).where(Body.id.in_(list(ids))))}


def rules_snapshot(config: ScoringConfig, saq: dict[int, SaqScore] | None = None) -> dict[str, Any]:
    """What a stored set records about its rules: version, weights, bands, policies."""
    rules = scoring_rules(config)
    policy = ranking_policy(config)
    indicator_weights: dict[str, str] = {}
    for score in (saq or {}).values():
        for ind in score.indicators:
            indicator_weights.setdefault(ind.indicator_code, str(ind.weight))
    return {
        "formula_version": FORMULA_VERSION,
        "components": [[c.code, c.name, c.weight] for c in config.components],
        "bands": [[b.name, str(b.min_score)] for b in rules.bands],
        "non_shortlisted": str(rules.non_shortlisted),
        "non_submitter": str(rules.non_submitter),
        "tie_break": list(policy.tie_break),
        "shortlisted_first": policy.shortlisted_first,
        "shortlist": config.shortlist.describe(),
        "indicator_weights": indicator_weights,
    }


def _row_values(result_set_id: int, r: FinalScore, rank: RankedBody | None) -> dict[str, Any]:
    return {
        "result_set_id": result_set_id,
        "body_id": r.body_id,
        "category_code": r.category,
        "basis": str(r.basis),
        "submitted": r.inputs.submitted,
        "shortlisted": r.inputs.shortlisted,
        "score": None if r.score is None else str(r.score),
        "published": r.published,
        "qualification": r.qualification,
        "rank": rank.rank if rank else None,
        "shares_rank": rank.shares_rank if rank else False,
        "inputs": {
            "components": {k: str(v) for k, v in r.inputs.components.items()},
            "indicators": {k: str(v) for k, v in r.inputs.indicators.items()},
            "contributions": [
                [c.code, str(c.weight), None if c.score is None else str(c.score), str(c.points)]
                for c in r.contributions
            ],
        },
    }


def store(db: Session, actor: Actor, cycle: Cycle, computation: Computation) -> ResultSet:
    """Write a computation as a new numbered result set (rows inserted in bulk)."""
    number = (
        db.scalar(select(func.max(ResultSet.number)).where(ResultSet.cycle_id == cycle.id)) or 0
    ) + 1
    result_set = ResultSet(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        number=number,
        formula_version=FORMULA_VERSION,
        rules=rules_snapshot(computation.config, computation.saq),
        created_by_id=actor_id(actor),
    )
    db.add(result_set)
    db.flush()
    values = [
        _row_values(result_set.id, r, computation.ranking.get(r.body_id))
        for r in computation.results
    ]
    if values:
        db.execute(insert(ResultRow), values)
    return result_set


def compute_and_store(db: Session, actor: Actor, cycle: Cycle) -> ResultSet:
    """The sekretariat's "Hitung ulang": recompute everything and keep it as a new version."""
    require_sekretariat_of(actor, cycle)
    _require_open(cycle)
    with cyclic_gc_paused():  # the rows' values are as many small objects as the computation
        result_set = store(db, actor, cycle, calculate(db, cycle))
    _audit(
        db,
        actor,
        cycle,
        "results.computed",
        "result_set",
        result_set.id,
        number=result_set.number,
        formula_version=result_set.formula_version,
    )
    return result_set


def list_result_sets(db: Session, cycle: Cycle) -> list[ResultSet]:
    return list(
        db.scalars(
            select(ResultSet)
            .where(ResultSet.cycle_id == cycle.id)
            .order_by(ResultSet.number.desc())
        )
    )


def get_result_set(db: Session, cycle: Cycle, result_set_id: int) -> ResultSet:
    rs = db.get(ResultSet, result_set_id)
    if rs is None or rs.cycle_id != cycle.id:
        raise NotFound("Hasil perhitungan tidak ditemukan.")
    return rs


def stored_rows(db: Session, result_set: ResultSet) -> list[ResultRow]:
    return list(
        db.scalars(
            select(ResultRow)
            .where(ResultRow.result_set_id == result_set.id)
            .order_by(
                ResultRow.category_code, ResultRow.rank.is_(None), ResultRow.rank, ResultRow.body_id
            )
        )
    )


def as_published_rows(rows: Iterable[ResultRow]) -> list[PublishedRow]:
    return [
        PublishedRow(r.body_id, r.category_code, r.published, r.qualification, r.rank) for r in rows
    ]


# --- decrees -----------------------------------------------------------------------------------


def list_decrees(db: Session, cycle: Cycle) -> list[Decree]:
    return list(
        db.scalars(
            select(Decree).where(Decree.cycle_id == cycle.id).order_by(Decree.version.desc())
        )
    )


def get_decree(db: Session, cycle: Cycle, decree_id: int) -> Decree:
    decree = db.get(Decree, decree_id)
    if decree is None or decree.cycle_id != cycle.id:
        raise NotFound("SK hasil tidak ditemukan.")
    return decree


def current_decree(db: Session, cycle: Cycle) -> Decree | None:
    """The published, not superseded decree of the cycle (embargoed or not)."""
    return db.scalar(
        select(Decree).where(Decree.cycle_id == cycle.id, Decree.status == DecreeStatus.PUBLISHED)
    )


def public_decree(db: Session, cycle: Cycle, *, now: datetime | None = None) -> Decree | None:
    """The decree the public may see now (published and past any embargo)."""
    decree = current_decree(db, cycle)
    return decree if decree is not None and decree.is_public_at(now or utcnow()) else None


def draft_decree(
    db: Session, actor: Actor, cycle: Cycle, result_set: ResultSet, *, reason: str = ""
) -> Decree:
    """Draft the decree of a result set; an amendment of a published decree needs a reason."""
    require_sekretariat_of(actor, cycle)
    _require_open(cycle)
    pending = db.scalar(
        select(Decree).where(
            Decree.cycle_id == cycle.id,
            Decree.status.in_([DecreeStatus.DRAFT, DecreeStatus.APPROVED]),
        )
    )
    if pending is not None:
        raise Conflict(f"SK versi {pending.version} belum terbit; terbitkan atau batalkan dulu.")
    published = current_decree(db, cycle)
    reason = reason.strip()
    if published is not None and not reason:
        raise ValidationFailed(
            "Perubahan SK wajib disertai alasan.",
            field_errors={"reason": "Tuliskan alasan perubahan (mis. kesalahan perhitungan)."},
        )
    version = (
        db.scalar(select(func.max(Decree.version)).where(Decree.cycle_id == cycle.id)) or 0
    ) + 1
    decree = Decree(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        result_set_id=result_set.id,
        version=version,
        amends_id=published.id if published else None,
        reason=reason,
        created_by_id=actor_id(actor),
    )
    db.add(decree)
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "results.decree_drafted",
        "decree",
        decree.id,
        version=version,
        result_set=result_set.number,
        amends=decree.amends_id,
        reason=reason,
    )
    return decree


def cancel_decree(db: Session, actor: Actor, cycle: Cycle, decree: Decree) -> None:
    """Withdraw a draft or approved (not yet published) decree."""
    require_sekretariat_of(actor, cycle)
    if decree.status not in (DecreeStatus.DRAFT, DecreeStatus.APPROVED):
        raise InvalidTransition("SK yang sudah terbit tidak dapat dibatalkan; buat perubahan SK.")
    _audit(
        db, actor, cycle, "results.decree_cancelled", "decree", decree.id, version=decree.version
    )
    db.delete(decree)
    db.flush()


PLENARY = "plenary"
PUBLICATION = "publication"


def require_decree_window(
    db: Session, cycle: Cycle, decree: Decree, stage_code: str, *, now: datetime | None = None
) -> None:
    """A first decree is approved in the plenary stage (when the cycle plans one) and published
    in the publication stage; an amendment may come after those stages closed, never before
    they opened (the 2024 national correction came weeks after the announcement)."""
    stage = get_stage(db, cycle, stage_code)
    if stage is None and stage_code == PLENARY:
        return  # a cycle without a planned plenary stage approves whenever its decree is ready
    if decree.amends_id is None or stage is None or stage.opens_at is None:
        require_stage_open(db, cycle, stage_code, now=now)
        return
    if (now or utcnow()) < stage.opens_at:
        require_stage_open(db, cycle, stage_code, now=now)  # names the opening time


def approve_decree(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    decree: Decree,
    *,
    sk_number: str,
    sk_date: str,
    now: datetime | None = None,
) -> Decree:
    """Record the plenary's approval (SK number and date) during the plenary stage."""
    require_komisioner_of(actor, cycle)
    if decree.status != DecreeStatus.DRAFT:
        raise InvalidTransition("Hanya SK berstatus draf yang dapat disetujui.")
    require_decree_window(db, cycle, decree, PLENARY, now=now)
    errors: dict[str, str] = {}
    if not sk_number.strip():
        errors["sk_number"] = "Isi nomor SK."
    parsed: date | None = None
    try:
        parsed = date.fromisoformat(sk_date.strip())
    except ValueError:
        errors["sk_date"] = "Isi tanggal SK (TTTT-BB-HH)."
    if errors:
        raise ValidationFailed("Data persetujuan pleno belum lengkap.", field_errors=errors)
    decree.sk_number = sk_number.strip()
    decree.sk_date = parsed
    decree.status = DecreeStatus.APPROVED
    decree.approved_at = now or utcnow()
    decree.approved_by_id = actor_id(actor)
    _audit(
        db,
        actor,
        cycle,
        "results.decree_approved",
        "decree",
        decree.id,
        sk_number=decree.sk_number,
        sk_date=sk_date.strip(),
    )
    return decree


def publish_decree(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    decree: Decree,
    *,
    embargo_until: datetime | None = None,
    now: datetime | None = None,
) -> Decree:
    """Publish an approved decree (optionally embargoed) in the publication stage; the one it
    amends is superseded."""
    require_komisioner_of(actor, cycle)
    if decree.status != DecreeStatus.APPROVED:
        raise InvalidTransition("SK harus disetujui dalam rapat pleno sebelum diterbitkan.")
    require_decree_window(db, cycle, decree, PUBLICATION, now=now)
    blockers = publication_blockers(db, cycle)
    if blockers:
        raise InvalidTransition("Hasil belum dapat diterbitkan: " + " ".join(blockers))
    now = now or utcnow()
    previous = current_decree(db, cycle)
    if previous is not None:
        previous.status = DecreeStatus.SUPERSEDED
        previous.superseded_at = now
        db.flush()
    decree.status = DecreeStatus.PUBLISHED
    decree.published_at = now
    decree.published_by_id = actor_id(actor)
    decree.embargo_until = embargo_until
    _audit(
        db,
        actor,
        cycle,
        "results.decree_published",
        "decree",
        decree.id,
        version=decree.version,
        supersedes=previous.id if previous else None,
        embargo_until=embargo_until.isoformat() if embargo_until else None,
    )
    return decree


def diff_against_published(
    db: Session, cycle: Cycle, after: Sequence[PublishedRow]
) -> tuple[RowChange, ...]:
    """Which bodies change published score, qualification or rank versus the current decree."""
    decree = current_decree(db, cycle)
    before: list[PublishedRow] = []
    if decree is not None:
        rs = db.get(ResultSet, decree.result_set_id)
        assert rs is not None
        before = as_published_rows(stored_rows(db, rs))
    return diff_results(before, after)


# --- what a body may see -----------------------------------------------------------------------


def body_result(
    db: Session, actor: Actor, cycle: Cycle, body_id: int
) -> tuple[ResultRow, ResultSet, Decree | None]:
    """ "How my score was computed": staff see the latest set; a body its published result."""
    if can_see_results(actor, cycle):
        sets = list_result_sets(db, cycle)
        decree = current_decree(db, cycle)
        rs = db.get(ResultSet, decree.result_set_id) if decree else (sets[0] if sets else None)
    elif actor.acts_for_body(body_id) and actor.organisation_id in (None, cycle.organisation_id):
        decree = public_decree(db, cycle)
        rs = db.get(ResultSet, decree.result_set_id) if decree else None
    else:
        raise NotFound("Hasil tidak ditemukan.")
    if rs is None:
        raise NotFound("Hasil belum diterbitkan.")
    row = db.scalar(
        select(ResultRow).where(ResultRow.result_set_id == rs.id, ResultRow.body_id == body_id)
    )
    if row is None:
        raise NotFound("Hasil tidak ditemukan.")
    return row, rs, decree


# --- shortlist ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShortlistLine:
    body_id: int
    body_name: str
    category_code: str
    published: Decimal
    rank: int
    margin: Decimal | None
    passes: bool


def shortlist_preview(db: Session, cycle: Cycle) -> list[ShortlistLine]:
    """Who passes the shortlist rule on the published verified SAQ, who misses by how much."""
    config = get_scoring_config(db, cycle)
    frame = cycle_frame(db, cycle)
    saq = saq_scores(db, cycle, frame)
    names = _body_names(db, frame.body_category)
    lines: list[ShortlistLine] = []
    for code in sorted(frame.categories, key=lambda c: (frame.categories[c].sort_order, c)):
        scores = {
            b: saq[b].total for b, cat in frame.body_category.items() if cat == code and b in saq
        }
        for d in shortlist_decisions(scores, config.shortlist):
            body_id = int(str(d.key))
            lines.append(
                ShortlistLine(
                    body_id, names.get(body_id, ""), code, d.published, d.rank, d.margin, d.passes
                )
            )
    return lines


def publish_shortlist(db: Session, actor: Actor, cycle: Cycle) -> int:
    """A komisioner approves the shortlist: it is written as `ShortlistEntry` rows."""
    require_komisioner_of(actor, cycle)
    _require_open(cycle)
    if shortlisted_body_ids(db, cycle):
        raise Conflict("Daftar nominasi siklus ini sudah diterbitkan.")
    waiting = open_appeal_reasons(db, cycle)  # the shortlist reads the re-verified scores
    if waiting:
        raise InvalidTransition(" ".join(waiting))
    passing = [line for line in shortlist_preview(db, cycle) if line.passes]
    if not passing:
        raise ValidationFailed("Belum ada badan publik yang memenuhi aturan nominasi.")
    for line in passing:
        db.add(
            ShortlistEntry(
                organisation_id=cycle.organisation_id,
                cycle_id=cycle.id,
                body_id=line.body_id,
                published_saq=line.published,
                reason=f"peringkat {line.rank} kategori {line.category_code}",
                approved_by_id=actor_id(actor),
            )
        )
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "results.shortlist_published",
        "cycle",
        cycle.id,
        bodies=[line.body_id for line in passing],
    )
    return len(passing)


# --- component scores entered by the sekretariat ----------------------------------------------


def _parse_score(text: str) -> Decimal | None:
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except ArithmeticError:
        return None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        return None
    if value != value.quantize(Decimal("0.000001")):
        return None
    return value


@dataclass(frozen=True)
class ComponentLine:
    body_id: int
    component_code: str
    score: Decimal


def check_component_rows(
    db: Session, cycle: Cycle, rows: Sequence[dict[str, str]]
) -> tuple[list[ComponentLine], list[str]]:
    """Rows `{body, component, score}` (body = id or exact name) → lines, or row-level errors."""
    config = get_scoring_config(db, cycle)
    codes = {c.code for c in config.components if c.code != SAQ}
    frame = cycle_frame(db, cycle)
    names = {n.casefold(): i for i, n in _body_names(db, frame.body_category).items()}
    lines: list[ComponentLine] = []
    errors: list[str] = []
    seen: set[tuple[int, str]] = set()
    for n, row in enumerate(rows, start=2):
        ref = (row.get("body") or row.get("body_id") or "").strip()
        body_id = (
            int(ref)
            if ref.isdigit() and int(ref) in frame.body_category
            else names.get(ref.casefold())
        )
        code = (row.get("component") or "").strip()
        score = _parse_score(row.get("score") or "")
        if body_id is None:
            errors.append(f"Baris {n}: badan publik {ref!r} bukan sasaran siklus ini.")
        if code not in codes:
            errors.append(
                f"Baris {n}: komponen {code!r} tidak dikenal (pilihan: {', '.join(sorted(codes))})."
            )
        if score is None:
            errors.append(
                f"Baris {n}: nilai {row.get('score')!r} harus angka 0–100 (maks. 6 desimal)."
            )
        if body_id is not None and code in codes and score is not None:
            if (body_id, code) in seen:
                errors.append(f"Baris {n}: nilai ganda untuk badan publik dan komponen yang sama.")
            seen.add((body_id, code))
            lines.append(ComponentLine(body_id, code, score))
    return lines, errors


def save_component_scores(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    rows: Sequence[dict[str, str]],
    *,
    source: str = "entered",
) -> int:
    """Enter or import component scores: all rows or none (row-level errors), each audited."""
    require_sekretariat_of(actor, cycle)
    _require_open(cycle)
    lines, errors = check_component_rows(db, cycle, rows)
    if errors:
        raise ValidationFailed("Tidak ada nilai yang disimpan: " + " ".join(errors[:20]))
    if not lines:
        raise ValidationFailed("Berkas tidak berisi nilai.")
    existing = {
        (c.body_id, c.component_code): c
        for c in db.scalars(select(ComponentScore).where(ComponentScore.cycle_id == cycle.id))
    }
    for line in lines:
        current = existing.get((line.body_id, line.component_code))
        before = None if current is None else str(current.score)
        if current is None:
            current = ComponentScore(
                organisation_id=cycle.organisation_id,
                cycle_id=cycle.id,
                body_id=line.body_id,
                component_code=line.component_code,
                score=line.score,
                source=source,
            )
            db.add(current)
        else:
            current.score = line.score
            current.source = source
            current.updated_at = utcnow()
        current.updated_by_id = actor_id(actor)
        db.flush()
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="results.component_score_saved",
            object_type="component_score",
            object_id=current.id,
            before={"score": before} if before is not None else None,
            after={
                "body_id": line.body_id,
                "component": line.component_code,
                "score": str(line.score),
                "source": source,
            },
        )
    return len(lines)


# --- awards ------------------------------------------------------------------------------------


def special_awards(db: Session, cycle: Cycle) -> list[SpecialAward]:
    """The prizes given by hand in this cycle."""
    return [
        SpecialAward(g.body_id, g.name, g.reason)
        for g in db.scalars(
            select(SpecialAwardGrant)
            .where(SpecialAwardGrant.cycle_id == cycle.id)
            .order_by(SpecialAwardGrant.name, SpecialAwardGrant.body_id)
        )
    ]


def grant_special_award(
    db: Session, actor: Actor, cycle: Cycle, *, body_id: int, name: str, reason: str = ""
) -> SpecialAwardGrant:
    """Give a special prize (one the cycle's award rules name) to a body with a result."""
    require_sekretariat_of(actor, cycle)
    decree = current_decree(db, cycle)
    if decree is None:
        raise InvalidTransition("Penghargaan khusus diberikan setelah hasil diterbitkan.")
    _, names = award_rules(get_scoring_config(db, cycle))
    errors: dict[str, str] = {}
    if name not in names:
        errors["name"] = "Pilih penghargaan khusus yang ada di aturan siklus."
    has_result = db.scalar(
        select(ResultRow.id).where(
            ResultRow.result_set_id == decree.result_set_id,
            ResultRow.body_id == body_id,
            ResultRow.published.is_not(None),
        )
    )
    if has_result is None:
        errors["body_id"] = "Badan publik ini tidak memiliki hasil terbit."
    if errors:
        raise ValidationFailed("Penghargaan khusus tidak dapat diberikan.", field_errors=errors)
    exists = db.scalar(
        select(SpecialAwardGrant).where(
            SpecialAwardGrant.cycle_id == cycle.id,
            SpecialAwardGrant.body_id == body_id,
            SpecialAwardGrant.name == name,
        )
    )
    if exists is not None:
        raise Conflict("Badan publik ini sudah menerima penghargaan tersebut.")
    grant = SpecialAwardGrant(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=body_id,
        name=name,
        reason=reason.strip(),
        created_by_id=actor_id(actor),
    )
    db.add(grant)
    decree.awards_reviewed_at = None  # the list changed: it must be reviewed again
    decree.awards_reviewed_by_id = None
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "results.special_award",
        "special_award",
        grant.id,
        body_id=body_id,
        name=name,
    )
    return grant


def review_awards(db: Session, actor: Actor, cycle: Cycle) -> Decree:
    """A komisioner marks the award list of the current decree as reviewed."""
    require_komisioner_of(actor, cycle)
    decree = current_decree(db, cycle)
    if decree is None:
        raise InvalidTransition("Belum ada hasil terbit.")
    decree.awards_reviewed_at = utcnow()
    decree.awards_reviewed_by_id = actor_id(actor)
    _audit(
        db,
        actor,
        cycle,
        "results.awards_reviewed",
        "decree",
        decree.id,
        count=len(award_list(db, cycle)),
    )
    return decree


def award_list(db: Session, cycle: Cycle) -> tuple[Award, ...]:
    """The awards of the cycle's current decree (certificates are made from this list once
    `awards_reviewed(db, cycle)`): Informatif, top N per category, best per indicator, special."""
    decree = current_decree(db, cycle)
    if decree is None:
        return ()
    rs = db.get(ResultSet, decree.result_set_id)
    assert rs is not None
    config = get_scoring_config(db, cycle)
    results = tuple(final_scores_of(rs, stored_rows(db, rs), config))
    ranking = rank_results(results, ranking_policy(config))
    rules, _ = award_rules(config)
    return determine_awards(results, ranking, rules, special_awards(db, cycle))


def awards_reviewed(db: Session, cycle: Cycle) -> bool:
    """True when a komisioner reviewed the current award list."""
    decree = current_decree(db, cycle)
    return decree is not None and decree.awards_reviewed_at is not None


def final_scores_of(
    rs: ResultSet, rows: Iterable[ResultRow], config: ScoringConfig
) -> Iterable[FinalScore]:
    """Stored rows back as `FinalScore` values (for awards and exports)."""
    from app.results.rules import ScoreBasis

    rules = scoring_rules(config)
    for r in rows:
        inputs = BodyInputs(
            r.body_id,
            r.category_code,
            r.submitted,
            r.shortlisted,
            {k: Decimal(v) for k, v in r.inputs.get("components", {}).items()},
            {k: Decimal(v) for k, v in r.inputs.get("indicators", {}).items()},
        )
        yield FinalScore(
            r.body_id,
            r.category_code,
            ScoreBasis(r.basis),
            None if r.score is None else Decimal(r.score),
            r.published,
            r.qualification,
            (),
            inputs,
            rules,
            rs.formula_version,
        )
