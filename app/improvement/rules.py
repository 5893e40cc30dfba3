"""Pure rules of the improvement loop: recommendations, verifier agreement, carry-forward.

- Recommendations list the items that lost points (rejected, adjusted, unanswered, declared short,
  not yet verified), grouped by indicator; groups and items are ordered by the SAQ points at stake
  (what the body would gain with full credit), largest first, then by item code.
- Agreement between two verifiers who judged the same items: percentage agreement and Cohen's
  kappa = (po − pe) ÷ (1 − pe); kappa is "n/a" (None) when chance agreement pe is 1 (e.g. every
  verdict the same), since no agreement beyond chance can then be measured.
- Carry-forward: last year's accepted evidence may be reused on an item whose code and content
  hash (text, answer type, evidence requirement) are unchanged, when the cycle allows it for that
  item ("allow", e.g. a decree valid for years) rather than requiring a renewal ("renew", e.g. an
  annual report).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from app.verification.rules import (
    FRACTION_SCALE,
    Answer,
    Indicator,
    Item,
    Verdict,
    applicable_weights,
    fraction_to_score,
    item_credit_scaled,
)

K = TypeVar("K", bound=Hashable)


def item_code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting item codes in questionnaire order (2.9 before 2.10)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


# --- recommendations --------------------------------------------------------------------------


class LossReason(StrEnum):
    UNANSWERED = "unanswered"
    REJECTED = "rejected"
    ADJUSTED = "adjusted"
    NOT_VERIFIED = "not_verified"
    DECLARED_SHORT = "declared_short"


@dataclass(frozen=True, slots=True)
class LostItem:
    """An item that lost points, why, and the SAQ points a full credit would add."""

    item_code: str
    indicator_code: str
    reason: LossReason
    credit_scaled: int
    points_at_stake: Decimal
    note: str = ""
    guidance: str = ""


@dataclass(frozen=True, slots=True)
class RecommendationGroup:
    """The lost items of one indicator and their points at stake together."""

    indicator_code: str
    points_at_stake: Decimal
    items: tuple[LostItem, ...]


def _loss_reason(answer: Answer | None) -> LossReason:
    if answer is None or answer.declared is None or not answer.declared.strip():
        return LossReason.UNANSWERED
    if answer.verdict == Verdict.REJECTED:
        return LossReason.REJECTED
    if answer.verdict == Verdict.ADJUSTED:
        return LossReason.ADJUSTED
    if answer.verdict == Verdict.PENDING:
        return LossReason.NOT_VERIFIED
    return LossReason.DECLARED_SHORT


def build_recommendations(
    indicators: Sequence[Indicator],
    items: Iterable[Item],
    answers: Iterable[Answer],
    category: str,
    notes: Mapping[str, str] | None = None,
    guidance: Mapping[str, str] | None = None,
) -> tuple[RecommendationGroup, ...]:
    """A body's recommendations: its lost items grouped by indicator, most points at stake first.

    `notes` (verifier notes) and `guidance` (item guidance) are keyed by item code.
    """
    items = list(items)
    notes, guidance = notes or {}, guidance or {}
    weights = {i.code: Fraction(i.weight) for i in indicators}
    unknown = {i.indicator_code for i in items} - set(weights)
    if unknown:
        raise ValueError(f"items under unknown indicators: {sorted(unknown)}")
    denominators = applicable_weights(items, category)
    by_code = {a.item_code: a for a in answers}
    lost: dict[str, list[tuple[Fraction, LostItem]]] = {}
    for item in items:
        if not item.applies_to_category(category):
            continue
        answer = by_code.get(item.code)
        credit = item_credit_scaled(item, answer)
        stake = (
            weights[item.indicator_code]
            * item.weight
            * Fraction(FRACTION_SCALE - credit, FRACTION_SCALE)
            / denominators[item.indicator_code]
        )
        if stake == 0:
            continue  # full credit, or an indicator that weighs nothing
        entry = LostItem(
            item.code,
            item.indicator_code,
            _loss_reason(answer),
            credit,
            fraction_to_score(stake),
            notes.get(item.code, ""),
            guidance.get(item.code, ""),
        )
        lost.setdefault(item.indicator_code, []).append((stake, entry))
    groups = []
    for code, entries in lost.items():
        entries.sort(key=lambda e: (-e[0], item_code_key(e[1].item_code)))
        total = sum((stake for stake, _ in entries), Fraction(0))
        group = RecommendationGroup(code, fraction_to_score(total), tuple(e for _, e in entries))
        groups.append((total, group))
    groups.sort(key=lambda g: (-g[0], item_code_key(g[1].indicator_code)))
    return tuple(group for _, group in groups)


def followed_recommendations(
    recommended_codes: Iterable[str], items: Iterable[Item], answers: Iterable[Answer]
) -> dict[str, bool]:
    """Per item recommended last year: True when this year's answer earns full verified credit."""
    by_item = {i.code: i for i in items}
    by_answer = {a.item_code: a for a in answers}
    return {
        code: code in by_item
        and item_credit_scaled(by_item[code], by_answer.get(code)) == FRACTION_SCALE
        for code in recommended_codes
    }


# --- agreement --------------------------------------------------------------------------------

_PERCENT = Decimal("0.01")
_RATIO = Decimal("0.0001")


def _decimal(value: Fraction, quantum: Decimal) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Agreement of two verifiers on the same items.

    `percentage` is 0–100 (2 decimals), `chance` the expected chance agreement pe (0–1) and
    `kappa` Cohen's kappa (4 decimals); both None when nothing was compared, kappa None ("n/a")
    when pe is 1.
    """

    pairs: int
    agreed: int
    percentage: Decimal | None
    chance: Decimal | None
    kappa: Decimal | None


def agreement(pairs: Iterable[tuple[str, str]]) -> AgreementReport:
    """Percentage agreement and Cohen's kappa of paired verdicts (first, second verifier)."""
    pairs = list(pairs)
    n = len(pairs)
    if n == 0:
        return AgreementReport(0, 0, None, None, None)
    agreed = sum(1 for a, b in pairs if a == b)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    observed = Fraction(agreed, n)
    chance = sum((Fraction(first[k] * second[k], n * n) for k in first), Fraction(0))
    kappa = None if chance == 1 else _decimal((observed - chance) / (1 - chance), _RATIO)
    return AgreementReport(
        n, agreed, _decimal(observed * 100, _PERCENT), _decimal(chance, _RATIO), kappa
    )


def agreement_by(rows: Iterable[tuple[K, str, str]]) -> dict[K, AgreementReport]:
    """Agreement per group (e.g. per verifier or per indicator) from (key, first, second) rows."""
    grouped: dict[K, list[tuple[str, str]]] = {}
    for key, first, second in rows:
        grouped.setdefault(key, []).append((first, second))
    return {key: agreement(pairs) for key, pairs in grouped.items()}


def sample_size(verified: int, percent: Decimal) -> int:
    """How many of a verifier's `verified` items to double-verify: `percent` % rounded up, so
    every verifier with verified items gets at least one (and never more than they have)."""
    if verified <= 0 or percent <= 0:
        return 0
    exact = Fraction(verified) * Fraction(percent) / 100
    return min(verified, -(-exact.numerator // exact.denominator))


@dataclass(frozen=True, slots=True)
class DoubleVerdict:
    """One item verified blind by two verifiers."""

    first_verifier_id: int
    first_verdict: str
    second_verifier_id: int
    second_verdict: str


@dataclass(frozen=True, slots=True)
class VerifierLeniency:
    """How often a verifier accepted compared with colleagues on the same items.

    `difference` is in percentage points (own − colleagues); `flag` is "stricter" or
    "more_lenient" when it reaches the threshold on enough items, else None.
    """

    verifier_id: int
    pairs: int
    own_acceptance: Decimal
    others_acceptance: Decimal
    difference: Decimal
    flag: str | None


def leniency(
    double_verdicts: Iterable[DoubleVerdict],
    threshold: Decimal = Decimal(20),
    min_pairs: int = 10,
    accepted: frozenset[str] = frozenset({Verdict.ACCEPTED}),
) -> tuple[VerifierLeniency, ...]:
    """Per verifier, acceptance rate against colleagues on the same evidence, flagging outliers."""
    counts: dict[int, list[int]] = {}  # verifier → [pairs, own accepted, others accepted]
    for d in double_verdicts:
        for me, mine, theirs in (
            (d.first_verifier_id, d.first_verdict, d.second_verdict),
            (d.second_verifier_id, d.second_verdict, d.first_verdict),
        ):
            c = counts.setdefault(me, [0, 0, 0])
            c[0] += 1
            c[1] += mine in accepted
            c[2] += theirs in accepted
    report = []
    for verifier_id in sorted(counts):
        n, own, others = counts[verifier_id]
        own_pct = _decimal(Fraction(own * 100, n), _PERCENT)
        others_pct = _decimal(Fraction(others * 100, n), _PERCENT)
        difference = own_pct - others_pct
        flag = None
        if n >= min_pairs and abs(difference) >= threshold:
            flag = "more_lenient" if difference > 0 else "stricter"
        report.append(VerifierLeniency(verifier_id, n, own_pct, others_pct, difference, flag))
    return tuple(report)


# --- carry-forward ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemVersion:
    """What identifies a questionnaire item's content across cycles."""

    code: str
    text: str
    answer_type: str
    evidence_kind: str
    file_types: frozenset[str] = frozenset()


def item_content_hash(item: ItemVersion) -> str:
    """SHA-256 of an item's text, answer type and evidence requirement.

    The text is Unicode-normalised (NFC) and its whitespace collapsed, so re-spacing is not a
    change; any change of wording, case, answer type, evidence kind or file types is.
    """
    text = " ".join(unicodedata.normalize("NFC", item.text).split())
    payload = [text, str(item.answer_type), str(item.evidence_kind), sorted(item.file_types)]
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


class CarryPolicy(StrEnum):
    ALLOW = "allow"
    RENEW = "renew"


class CarryOutcome(StrEnum):
    ELIGIBLE = "eligible"
    NO_PREVIOUS = "no_previous"
    ITEM_CHANGED = "item_changed"
    NOT_ACCEPTED = "not_accepted"
    NO_EVIDENCE = "no_evidence"
    RENEW_REQUIRED = "renew_required"


CARRY_MESSAGES: dict[str, str] = {
    CarryOutcome.ELIGIBLE: "Bukti tahun lalu dapat dipakai kembali (akan diverifikasi ulang).",
    CarryOutcome.NO_PREVIOUS: "Tidak ada jawaban tahun lalu untuk butir ini.",
    CarryOutcome.ITEM_CHANGED: "Butir ini berubah sejak tahun lalu; unggah bukti baru.",
    CarryOutcome.NOT_ACCEPTED: "Bukti tahun lalu tidak diterima verifikator; unggah bukti baru.",
    CarryOutcome.NO_EVIDENCE: "Tahun lalu tidak ada bukti untuk butir ini.",
    CarryOutcome.RENEW_REQUIRED: "Butir ini meminta bukti terbaru setiap tahun.",
}


@dataclass(frozen=True, slots=True)
class PreviousEvidence:
    """A body's answer to an item last cycle: that item's content hash and the verdict."""

    item_code: str
    content_hash: str
    accepted: bool
    has_evidence: bool = True


@dataclass(frozen=True, slots=True)
class CarryDecision:
    """Whether a body may carry last year's evidence into an item, with the reason."""

    item_code: str
    outcome: CarryOutcome

    @property
    def eligible(self) -> bool:
        """True when the evidence may be carried forward."""
        return self.outcome == CarryOutcome.ELIGIBLE

    @property
    def message(self) -> str:
        """The reason in plain Indonesian for the body's screen."""
        return CARRY_MESSAGES[self.outcome]


def carry_forward_decision(
    item: ItemVersion, policy: CarryPolicy, previous: PreviousEvidence | None
) -> CarryDecision:
    """May last year's evidence be carried into this (new cycle's) item?"""
    if previous is None:
        outcome = CarryOutcome.NO_PREVIOUS
    elif previous.item_code != item.code or previous.content_hash != item_content_hash(item):
        outcome = CarryOutcome.ITEM_CHANGED
    elif not previous.accepted:
        outcome = CarryOutcome.NOT_ACCEPTED
    elif not previous.has_evidence:
        outcome = CarryOutcome.NO_EVIDENCE
    elif policy == CarryPolicy.RENEW:
        outcome = CarryOutcome.RENEW_REQUIRED
    else:
        outcome = CarryOutcome.ELIGIBLE
    return CarryDecision(item.code, outcome)


def carry_forward_plan(
    items: Iterable[tuple[ItemVersion, CarryPolicy]], previous: Iterable[PreviousEvidence]
) -> tuple[CarryDecision, ...]:
    """The carry-forward decision for every item of the new cycle, matched by item code."""
    by_code = {p.item_code: p for p in previous}
    decisions = [carry_forward_decision(i, policy, by_code.get(i.code)) for i, policy in items]
    return tuple(sorted(decisions, key=lambda d: item_code_key(d.item_code)))
