"""Recommendations (rekomendasi perbaikan) per body after the results are published, whether
last year's were followed, and the commission's trends per indicator and item.

Carry-forward lives in `carry.py`, verifier calibration in `calibration.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.cycles.access import actor_id, get_cycle_for_actor, require_manager
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.improvement import rules
from app.improvement.models import Recommendation, RecommendationItem, RecommendationStatus
from app.questionnaires.models import Indicator, Item
from app.questionnaires.rules import ItemSpec
from app.results.service import current_decree
from app.submissions.models import Answer
from app.verification import rules as vrules
from app.verification.service import audit, can_oversee, load_sheet

REASON_LABELS: dict[str, str] = {
    rules.LossReason.UNANSWERED: "Tidak dijawab",
    rules.LossReason.REJECTED: "Ditolak verifikator",
    rules.LossReason.ADJUSTED: "Disesuaikan verifikator",
    rules.LossReason.NOT_VERIFIED: "Belum diverifikasi",
    rules.LossReason.DECLARED_SHORT: "Jawaban tidak memenuhi",
}
STATUS_LABELS = {RecommendationStatus.DRAFT: "Draf", RecommendationStatus.APPROVED: "Disetujui"}
MAX_ADVICE = 4000


# --- access ------------------------------------------------------------------------------------


def get_cycle_for_commission(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    """A cycle for the commission's improvement pages (sekretariat, komisioner, reviewer)."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not can_oversee(actor, cycle):
        raise Forbidden("Halaman ini hanya untuk sekretariat, komisioner dan reviewer komisi.")
    return cycle


def may_read_body(actor: Actor, cycle: Cycle, body_id: int) -> bool:
    """Commission overseers, or the body's own people."""
    return can_oversee(actor, cycle) or actor.acts_for_body(body_id)


def previous_cycle(db: Session, cycle: Cycle) -> Cycle | None:
    """The cycle this one was cloned from (last year's), if any."""
    return db.get(Cycle, cycle.cloned_from_id) if cycle.cloned_from_id else None


# --- recommendations ---------------------------------------------------------------------------


def _require_published(db: Session, cycle: Cycle) -> None:
    if current_decree(db, cycle) is None:
        raise InvalidTransition(
            "Hasil siklus ini belum terbit (SK hasil); rekomendasi dibuat setelah publikasi."
        )


def _target_ids(db: Session, cycle: Cycle) -> list[int]:
    return list(
        db.scalars(
            select(CycleTarget.body_id)
            .where(CycleTarget.cycle_id == cycle.id)
            .order_by(CycleTarget.body_id)
        )
    )


def rule_answer(item: Item | ItemSpec, answer: Answer) -> vrules.Answer:
    """A stored answer as the pure rules see it; a yes/no answer follows its stored declared
    credit (the value the ranking sums), whatever spelling the form used."""
    declared = answer.declared
    if item.answer_type == vrules.AnswerType.YES_NO and declared is not None:
        full = answer.declared_credit_scaled >= vrules.FRACTION_SCALE
        declared = vrules.YES if full else vrules.NO
    return vrules.Answer(
        item.code, declared, vrules.Verdict(answer.verdict), answer.verified_option
    )


def _fill(db: Session, rec: Recommendation, cycle: Cycle) -> int:
    """(Re)build a draft's items from the body's verified sheet; returns how many."""
    sheet = load_sheet(db, cycle, rec.body_id)
    indicators = [vrules.Indicator(i.code, Decimal(i.weight)) for i in sheet.indicators]
    names = {i.code: i.name for i in sheet.indicators}
    answers = [
        rule_answer(line.item, line.answer) for line in sheet.lines if line.answer is not None
    ]
    by_code = {line.item.code: line.item for line in sheet.lines}
    groups = rules.build_recommendations(
        [i for i in indicators if i.code in {line.rule.indicator_code for line in sheet.lines}],
        [line.rule for line in sheet.lines],
        answers,
        sheet.category.code,
        notes={line.item.code: line.note for line in sheet.lines},
        guidance={line.item.code: line.item.guidance for line in sheet.lines},
    )
    db.execute(delete(RecommendationItem).where(RecommendationItem.recommendation_id == rec.id))
    position = 0
    for group in groups:
        for lost in group.items:
            item = by_code[lost.item_code]
            db.add(
                RecommendationItem(
                    recommendation_id=rec.id,
                    item_id=item.id,
                    item_code=lost.item_code,
                    item_text=item.text,
                    indicator_code=group.indicator_code,
                    indicator_name=names.get(group.indicator_code, ""),
                    reason=lost.reason,
                    points_at_stake=str(lost.points_at_stake),
                    verifier_note=lost.note,
                    guidance=lost.guidance,
                    advice=lost.guidance,
                    position=position,
                )
            )
            position += 1
    db.flush()
    return position


def generate_recommendations(db: Session, actor: Actor, cycle: Cycle) -> int:
    """The sekretariat drafts (or refreshes the drafts of) every target body's recommendations.

    Approved recommendations are left as they are. Returns how many drafts were written.
    """
    require_manager(actor, cycle)
    _require_published(db, cycle)
    existing = {
        r.body_id: r
        for r in db.scalars(select(Recommendation).where(Recommendation.cycle_id == cycle.id))
    }
    written = 0
    for body_id in _target_ids(db, cycle):
        rec = existing.get(body_id)
        if rec is not None and rec.status == RecommendationStatus.APPROVED:
            continue
        if rec is None:
            rec = Recommendation(
                organisation_id=cycle.organisation_id, cycle_id=cycle.id, body_id=body_id
            )
            db.add(rec)
            db.flush()
        rec.generated_at = utcnow()
        rec.generated_by_id = actor_id(actor)
        _fill(db, rec, cycle)
        written += 1
    audit(
        db,
        actor,
        cycle,
        "improvement.recommendations_generated",
        "cycle",
        cycle.id,
        after={"drafts": written},
    )
    return written


def list_recommendations(db: Session, cycle: Cycle) -> list[tuple[Recommendation, Body, int]]:
    """Every recommendation of the cycle with its body and number of items, by body name."""
    recs = [
        (r, b)
        for r, b in db.execute(
            select(Recommendation, Body)
            .join(Body, Body.id == Recommendation.body_id)
            .where(Recommendation.cycle_id == cycle.id)
            .order_by(Body.name, Body.id)
        )
    ]
    counts: dict[int, int] = {}
    for rid in db.scalars(
        select(RecommendationItem.recommendation_id).where(
            RecommendationItem.recommendation_id.in_([r.id for r, _ in recs])
        )
    ):
        counts[rid] = counts.get(rid, 0) + 1
    return [(r, b, counts.get(r.id, 0)) for r, b in recs]


@dataclass
class RecommendationView:
    """A recommendation with its items grouped by indicator (in the stored order)."""

    rec: Recommendation
    body: Body
    cycle: Cycle
    groups: list[tuple[str, str, Decimal, list[RecommendationItem]]]

    @property
    def total(self) -> Decimal:
        return sum((g[2] for g in self.groups), Decimal(0))


def _view(db: Session, rec: Recommendation, cycle: Cycle) -> RecommendationView:
    body = db.get(Body, rec.body_id)
    assert body is not None
    groups: list[tuple[str, str, Decimal, list[RecommendationItem]]] = []
    for it in db.scalars(
        select(RecommendationItem)
        .where(RecommendationItem.recommendation_id == rec.id)
        .order_by(RecommendationItem.position, RecommendationItem.id)
    ):
        if not groups or groups[-1][0] != it.indicator_code:
            groups.append((it.indicator_code, it.indicator_name, Decimal(0), []))
        code, name, total, items = groups[-1]
        items.append(it)
        groups[-1] = (code, name, total + Decimal(it.points_at_stake), items)
    return RecommendationView(rec, body, cycle, groups)


def get_recommendation(
    db: Session, actor: Actor, cycle_id: int, body_id: int
) -> RecommendationView:
    """A body's recommendation: overseers see drafts; the body sees it once approved."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not may_read_body(actor, cycle, body_id):
        raise NotFound("Rekomendasi tidak ditemukan.")
    rec = db.scalar(
        select(Recommendation).where(
            Recommendation.cycle_id == cycle.id, Recommendation.body_id == body_id
        )
    )
    if rec is None or (
        not can_oversee(actor, cycle) and rec.status != RecommendationStatus.APPROVED
    ):
        raise NotFound("Rekomendasi perbaikan badan publik ini belum tersedia.")
    return _view(db, rec, cycle)


def _editable(db: Session, actor: Actor, cycle: Cycle, rec: Recommendation) -> None:
    require_manager(actor, cycle)
    if rec.status == RecommendationStatus.APPROVED:
        raise Conflict("Rekomendasi ini sudah disetujui dan tidak dapat diubah lagi.")


def edit_recommendation(
    db: Session,
    actor: Actor,
    view: RecommendationView,
    *,
    summary: str,
    advice: dict[int, str],
) -> None:
    """The sekretariat rewrites the summary and the advice per item of a draft."""
    rec, cycle = view.rec, view.cycle
    _editable(db, actor, cycle, rec)
    items = {it.id: it for _, _, _, its in view.groups for it in its}
    errors: dict[str, str] = {}
    if len(summary) > MAX_ADVICE:
        errors["summary"] = f"Ringkasan paling panjang {MAX_ADVICE} karakter."
    for item_id, text in advice.items():
        if item_id not in items:
            raise ValidationFailed("Butir rekomendasi tidak dikenal.")
        if not text.strip():
            errors[f"advice_{item_id}"] = (
                f"Saran untuk butir {items[item_id].item_code} tidak boleh kosong."
            )
        elif len(text) > MAX_ADVICE:
            errors[f"advice_{item_id}"] = f"Saran paling panjang {MAX_ADVICE} karakter."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    before = {"summary": rec.summary, "advice": {i: items[i].advice for i in advice}}
    rec.summary = summary.strip()
    for item_id, text in advice.items():
        items[item_id].advice = text.strip()
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "improvement.recommendation_edited",
        "recommendation",
        rec.id,
        before=before,
        after={"summary": rec.summary, "advice": advice},
    )


def approve_recommendation(db: Session, actor: Actor, view: RecommendationView) -> None:
    """The sekretariat approves a draft: the body sees it and can download it."""
    rec, cycle = view.rec, view.cycle
    _editable(db, actor, cycle, rec)
    _require_published(db, cycle)
    rec.status = RecommendationStatus.APPROVED
    rec.approved_at = utcnow()
    rec.approved_by_id = actor_id(actor)
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "improvement.recommendation_approved",
        "recommendation",
        rec.id,
        before={"status": RecommendationStatus.DRAFT},
        after={"status": rec.status, "body_id": rec.body_id},
    )
    from app.notifications.service import notify_body

    notify_body(
        db,
        rec.body_id,
        organisation_id=cycle.organisation_id,
        kind="improvement.recommendation",
        title=f"Rekomendasi perbaikan {cycle.name} tersedia",
        link=f"/siklus/{cycle.id}/rekomendasi/{rec.body_id}",
    )


def approved_for_body(db: Session, body_id: int) -> list[tuple[Cycle, Recommendation]]:
    """The body's approved recommendations, newest cycle first (for its dashboard)."""
    return [
        (c, r)
        for c, r in db.execute(
            select(Cycle, Recommendation)
            .join(Recommendation, Recommendation.cycle_id == Cycle.id)
            .where(
                Recommendation.body_id == body_id,
                Recommendation.status == RecommendationStatus.APPROVED,
            )
            .order_by(Cycle.year.desc(), Cycle.id.desc())
        )
    ]


# --- next year: last year's advice beside the item, and whether it was followed ----------------


def last_year_advice(db: Session, cycle: Cycle, body_id: int) -> dict[str, RecommendationItem]:
    """Item code → last year's approved recommendation item for the body (empty if none)."""
    prev = previous_cycle(db, cycle)
    if prev is None:
        return {}
    rows = db.scalars(
        select(RecommendationItem)
        .join(Recommendation, Recommendation.id == RecommendationItem.recommendation_id)
        .where(
            Recommendation.cycle_id == prev.id,
            Recommendation.body_id == body_id,
            Recommendation.status == RecommendationStatus.APPROVED,
        )
    )
    return {r.item_code: r for r in rows}


def workspace_panel(db: Session, cycle: Cycle, body_id: int) -> dict[str, Any]:
    """What the body's SAQ workspace shows of the improvement loop: its approved
    recommendations, last year's advice per item code, and whether this year is a clone."""
    return {
        "recommendations": approved_for_body(db, body_id),
        "advice": last_year_advice(db, cycle, body_id),
        "has_previous": cycle.cloned_from_id is not None,
    }


@dataclass(frozen=True)
class FollowUp:
    """One body's recommendations of last year and which are now met (verified "Ya")."""

    body: Body
    followed: dict[str, bool]

    @property
    def done(self) -> int:
        return sum(self.followed.values())


def follow_ups(db: Session, cycle: Cycle) -> list[FollowUp]:
    """Per body, last year's recommended items and whether this year's answer earns full credit."""
    prev = previous_cycle(db, cycle)
    if prev is None:
        return []
    recs = [
        (r, b)
        for r, b in db.execute(
            select(Recommendation, Body)
            .join(Body, Body.id == Recommendation.body_id)
            .where(
                Recommendation.cycle_id == prev.id,
                Recommendation.status == RecommendationStatus.APPROVED,
            )
            .order_by(Body.name)
        )
    ]
    out = []
    for rec, body in recs:
        codes = list(
            db.scalars(
                select(RecommendationItem.item_code).where(
                    RecommendationItem.recommendation_id == rec.id
                )
            )
        )
        items, answers = _verified_answers(db, cycle, body.id)
        followed = rules.followed_recommendations(codes, items, answers)
        out.append(FollowUp(body, followed))
    return out


def _verified_answers(
    db: Session, cycle: Cycle, body_id: int
) -> tuple[list[vrules.Item], list[vrules.Answer]]:
    rows = db.execute(
        select(Item, Answer)
        .join(Answer, Answer.item_id == Item.id)
        .where(Answer.cycle_id == cycle.id, Answer.body_id == body_id)
    )
    from app.verification.service import rule_item

    items, answers = [], []
    for item, answer in rows:
        items.append(rule_item(item, ""))
        answers.append(rule_answer(item, answer))
    return items, answers


# --- trends ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendLine:
    """One item's share of bodies meeting it (full verified credit), this year and last."""

    category: str
    indicator_code: str
    indicator_name: str
    item_code: str
    item_text: str
    bodies: int
    met: int
    share: Decimal | None
    last_bodies: int
    last_share: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.share is None or self.last_share is None:
            return None
        return self.share - self.last_share


def _met_counts(db: Session, cycle: Cycle) -> dict[tuple[str, str], tuple[int, int]]:
    """(category code, item code) → (bodies answering, bodies with full verified credit)."""
    rows = db.execute(
        select(CycleCategory.code, Item.code, Answer.credit_scaled)
        .join(Answer, Answer.item_id == Item.id)
        .join(
            CycleTarget,
            (CycleTarget.body_id == Answer.body_id) & (CycleTarget.cycle_id == Answer.cycle_id),
        )
        .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
        .where(Answer.cycle_id == cycle.id, Item.removed_at.is_(None))
    )
    out: dict[tuple[str, str], list[int]] = {}
    for cat, code, credit in rows:
        c = out.setdefault((cat, code), [0, 0])
        c[0] += 1
        c[1] += credit >= vrules.FRACTION_SCALE
    return {k: (v[0], v[1]) for k, v in out.items()}


def _share(met: int, n: int) -> Decimal | None:
    return None if n == 0 else (Decimal(met * 100) / n).quantize(Decimal("0.01"))


def trends(db: Session, cycle: Cycle) -> list[TrendLine]:
    """Per category and item (questionnaire order), the share meeting it now and last year."""
    now = _met_counts(db, cycle)
    prev = previous_cycle(db, cycle)
    last = _met_counts(db, prev) if prev is not None else {}
    info: dict[str, tuple[str, str, str]] = {}
    for item, ind in db.execute(
        select(Item, Indicator)
        .join(Indicator, Indicator.id == Item.indicator_id)
        .join(CycleCategory, CycleCategory.questionnaire_id == Item.questionnaire_id)
        .where(CycleCategory.cycle_id == cycle.id)
    ):
        info[item.code] = (ind.code, ind.name, item.text)
    lines = []
    for (cat, code), (n, met) in now.items():
        ind_code, ind_name, text = info.get(code, ("", "", ""))
        ln, lmet = last.get((cat, code), (0, 0))
        lines.append(
            TrendLine(
                cat, ind_code, ind_name, code, text, n, met, _share(met, n), ln, _share(lmet, ln)
            )
        )
    lines.sort(key=lambda t: (t.category, rules.item_code_key(t.item_code)))
    return lines


def most_failed(lines: Sequence[TrendLine], limit: int = 10) -> list[TrendLine]:
    """The items the fewest bodies met this year (what the next bimtek should teach)."""
    rated = [t for t in lines if t.share is not None]
    rated.sort(key=lambda t: (t.share, -t.bodies, rules.item_code_key(t.item_code)))
    return rated[:limit]


def trend_context(db: Session, cycle: Cycle) -> dict[str, Any]:
    lines = trends(db, cycle)
    return {
        "cycle": cycle,
        "previous": previous_cycle(db, cycle),
        "lines": lines,
        "categories": sorted({t.category for t in lines}),
        "most_failed": most_failed(lines),
        "follow_ups": follow_ups(db, cycle),
    }
