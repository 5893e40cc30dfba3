"""Pure SAQ scoring: credit per answer, indicator scores and the SAQ total.

The shortlist rule lives in `app.cycles.rules` (`shortlist`, `shortlist_decisions`).

How a score is computed (DOMAIN.md "Scoring"): an indicator's score is Σ (item weight × credit)
over the items that apply to the body's category ÷ Σ weights of those same items × the indicator
weight; the SAQ is the sum of the indicator scores (0–100 when indicator weights sum to 100).

Exactness, by design:
- Item weights are positive integers and a choice option's fraction is stored scaled by
  `FRACTION_SCALE` (0.5 → 5000), so a credit is an integer in 0..FRACTION_SCALE and
  Σ weight × credit is an integer that SQLite and PostgreSQL sum exactly. Services store
  `item_credit_scaled(...)` on each answer when a verdict is saved, so the ranking can ask the
  database for `SUM(item.weight * answer.credit_scaled)` per (body, indicator) in one query.
- Scores are computed as exact rationals and then truncated (never rounded up) to
  `SCORE_PLACES` decimals. Truncating keeps every later half-up rounding to 2 decimals
  (`app.cycles.rules.publish_round`) identical to rounding the exact value, so 89,995 and
  89,99499… end in the bands they truly belong to.
- The SAQ is the truncated exact sum, not the sum of truncated indicator scores, so it may
  differ from Σ indicator scores in the last decimal (published pages say sub-scores are
  rounded separately).
- The item-level path (`score_saq`) and the fast path (`combine_grouped_sums`) share one
  combining step, so they give the same `Decimal` for the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from app.cycles.rules import publish_round

FRACTION_SCALE = 10_000
SCORE_PLACES = 10
_SCORE_FACTOR = 10**SCORE_PLACES
_ZERO_SCORE = Decimal(0).scaleb(-SCORE_PLACES)
YES = "Ya"
NO = "Tidak"


def fraction_to_score(value: Fraction) -> Decimal:
    """An exact non-negative score truncated to SCORE_PLACES decimals (the stored score)."""
    if value < 0:
        raise ValueError("scores are never negative")
    return Decimal(value.numerator * _SCORE_FACTOR // value.denominator).scaleb(-SCORE_PLACES)


def ratio_to_score(numerator: int, denominator: int) -> Decimal:
    """numerator ÷ denominator (both ≥ 0 integers) truncated to SCORE_PLACES decimals."""
    return Decimal(numerator * _SCORE_FACTOR // denominator).scaleb(-SCORE_PLACES)


def parse_fraction(text: str) -> int:
    """A choice option's fraction written as "0.5" or "0,5" as scaled integer (5000)."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite() or value < 0 or value > 1:
        raise ValueError(f"a fraction must be between 0 and 1: {text!r}")
    scaled = value * FRACTION_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"a fraction has at most 4 decimals: {text!r}")
    return int(scaled)


class AnswerType(StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT_AND_EVIDENCE = "text_and_evidence"


class Verdict(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ADJUSTED = "adjusted"


class Basis(StrEnum):
    """Which credit to count: RAW = as the body declared it, VERIFIED = as the verifier decided."""

    RAW = "raw"
    VERIFIED = "verified"


@dataclass(frozen=True, slots=True)
class ChoiceOption:
    """One option of a choice item; `fraction_scaled` is its credit × FRACTION_SCALE."""

    label: str
    fraction_scaled: int

    def __post_init__(self) -> None:
        if not 0 <= self.fraction_scaled <= FRACTION_SCALE:
            raise ValueError(f"option {self.label!r}: fraction outside 0..{FRACTION_SCALE}")


@dataclass(frozen=True, slots=True)
class Indicator:
    """A questionnaire indicator and its weight (points of the 100-point SAQ)."""

    code: str
    weight: Decimal

    def __post_init__(self) -> None:
        if not self.weight.is_finite() or self.weight < 0:
            raise ValueError(f"indicator {self.code}: weight must be ≥ 0")


@dataclass(frozen=True, slots=True)
class Item:
    """A scored questionnaire item; `applies_to` lists category codes (empty = every category)."""

    code: str
    indicator_code: str
    weight: int
    answer_type: AnswerType
    options: tuple[ChoiceOption, ...] = ()
    applies_to: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ValueError(f"item {self.code}: weight must be a positive integer")
        if self.answer_type == AnswerType.CHOICE and not self.options:
            raise ValueError(f"item {self.code}: a choice item needs options")
        labels = [o.label for o in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError(f"item {self.code}: option labels must be unique")

    def applies_to_category(self, category: str) -> bool:
        """True when the item is part of the questionnaire of bodies in `category`."""
        return not self.applies_to or category in self.applies_to

    def option_fraction(self, label: str | None) -> int:
        """The scaled credit of the option labelled `label` (0 when nothing was chosen)."""
        if label is None:
            return 0
        for option in self.options:
            if option.label == label:
                return option.fraction_scaled
        raise ValueError(f"item {self.code}: unknown option {label!r}")


@dataclass(frozen=True, slots=True)
class Answer:
    """A body's answer and its verdict.

    `declared` is "Ya"/"Tidak" for yes_no, the option label for choice, the text for
    text_and_evidence (None = unanswered). `verified_option` is the option the verifier set
    when adjusting a choice item.
    """

    item_code: str
    declared: str | None
    verdict: Verdict = Verdict.PENDING
    verified_option: str | None = None


def _declared_credit(item: Item, declared: str | None) -> int:
    if item.answer_type == AnswerType.YES_NO:
        return FRACTION_SCALE if declared == YES else 0
    if item.answer_type == AnswerType.CHOICE:
        return item.option_fraction(declared)
    return FRACTION_SCALE if declared is not None and declared.strip() else 0


def item_credit_scaled(item: Item, answer: Answer | None, basis: Basis = Basis.VERIFIED) -> int:
    """The credit of one answer × FRACTION_SCALE: raw as declared, or as the verifier decided."""
    if answer is None:
        return 0
    if answer.item_code != item.code:
        raise ValueError(f"answer for {answer.item_code} scored against item {item.code}")
    declared = _declared_credit(item, answer.declared)
    if basis == Basis.RAW:
        return declared
    if answer.verdict == Verdict.ACCEPTED:
        return declared
    if answer.verdict == Verdict.ADJUSTED:
        if item.answer_type != AnswerType.CHOICE:
            raise ValueError(f"item {item.code}: only choice items can be adjusted")
        return item.option_fraction(answer.verified_option)
    return 0


def answer_errors(item: Item, answer: Answer) -> list[str]:
    """Plain-language reasons a service must refuse an answer or verdict (empty when sound).

    Scoring raises on the same impossible data; on top, an adjustment may only lower a choice
    (a verifier never credits more than the body declared), which keeps verification monotonic.
    """
    if answer.item_code != item.code:
        return ["Jawaban ini milik butir lain."]
    labels = {o.label: o.fraction_scaled for o in item.options}
    errors: list[str] = []
    if item.answer_type == AnswerType.YES_NO and answer.declared not in (YES, NO, None):
        errors.append("Jawaban harus Ya atau Tidak.")
    if item.answer_type == AnswerType.CHOICE and answer.declared not in (*labels, None):
        errors.append(f"Opsi {answer.declared!r} tidak dikenal pada butir {item.code}.")
    if answer.verdict == Verdict.ADJUSTED:
        if item.answer_type != AnswerType.CHOICE:
            errors.append("Hanya butir pilihan yang dapat disesuaikan; tolak jawaban ini.")
        elif answer.verified_option is None:
            errors.append("Pilih opsi hasil penyesuaian.")
        elif answer.verified_option not in labels:
            errors.append(f"Opsi {answer.verified_option!r} tidak dikenal pada butir {item.code}.")
        elif not errors and labels[answer.verified_option] > labels.get(answer.declared or "", 0):
            errors.append("Penyesuaian tidak boleh menaikkan nilai di atas jawaban badan publik.")
    return errors


@dataclass(frozen=True, slots=True)
class IndicatorSums:
    """Integer sums of one indicator: Σ weight × scaled credit and Σ applicable weights."""

    indicator_code: str
    earned_scaled: int
    applicable_weight: int


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """An indicator's score (0..weight) and the integer sums it came from."""

    indicator_code: str
    weight: Decimal
    earned_scaled: int
    applicable_weight: int
    score: Decimal

    @property
    def published(self) -> Decimal:
        """The sub-score as published (2 decimals, half-up)."""
        return publish_round(self.score)


@dataclass(frozen=True, slots=True)
class SaqScore:
    """A body's SAQ: the total (0–100) and one score per indicator, in questionnaire order."""

    total: Decimal
    indicators: tuple[IndicatorScore, ...]

    @property
    def published(self) -> Decimal:
        """The total as published (2 decimals, half-up)."""
        return publish_round(self.total)

    def indicator(self, code: str) -> IndicatorScore:
        """The score of the indicator with `code`."""
        for score in self.indicators:
            if score.indicator_code == code:
                return score
        raise KeyError(code)

    def indicator_scores(self) -> dict[str, Decimal]:
        """Indicator code → score, the shape results and tie-breaks take."""
        return {s.indicator_code: s.score for s in self.indicators}


class _Combiner:
    """Combines one category's earned sums with the indicator weights (precomputed once)."""

    __slots__ = ("_common", "_known", "_parts")

    def __init__(self, indicators: Sequence[Indicator], applicable: Mapping[str, int]) -> None:
        codes = [i.code for i in indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator codes must be unique")
        unknown = set(applicable) - set(codes)
        if unknown:
            raise ValueError(f"sums for unknown indicators: {sorted(unknown)}")
        # Indicator i adds n·E / (d·S·W) (weight n/d, earned E, applicable weight W, S the
        # fraction scale). Summing over the common denominator keeps the total exact until its
        # single truncation.
        rows = []
        for indicator in indicators:
            weight = applicable.get(indicator.code, 0)
            if weight < 0:
                raise ValueError(f"indicator {indicator.code}: impossible weight sum {weight}")
            n, d = indicator.weight.as_integer_ratio()
            rows.append((indicator, weight, n, d * FRACTION_SCALE * weight))
        self._common = math.lcm(*(den for *_, den in rows if den)) if rows else 1
        self._parts = tuple(
            (
                indicator.code,
                indicator.weight,
                weight,
                weight * FRACTION_SCALE,
                n * _SCORE_FACTOR,
                den,
                n * (self._common // den) if den else 0,
            )
            for indicator, weight, n, den in rows
        )
        # Indicator scores already made, per indicator and earned sum: many bodies share a sum,
        # and an IndicatorScore is immutable, so one instance serves them all.
        self._known: tuple[dict[int, IndicatorScore], ...] = tuple({} for _ in rows)

    def combine(self, earned: Mapping[str, int]) -> SaqScore:
        total = 0
        found = 0
        scores: list[IndicatorScore] = []
        for part, known in zip(self._parts, self._known, strict=True):
            code, weight, applicable, limit, n_scaled, den, multiplier = part
            value = earned.get(code)
            if value is None:
                value = 0
            else:
                found += 1
            indicator = known.get(value)
            if indicator is None:
                if value < 0 or value > limit:
                    raise ValueError(f"indicator {code}: impossible sums {value}/{applicable}")
                score = (
                    Decimal(n_scaled * value // den).scaleb(-SCORE_PLACES) if den else _ZERO_SCORE
                )
                indicator = known[value] = IndicatorScore(code, weight, value, applicable, score)
            if den:
                total += value * multiplier
            scores.append(indicator)
        if found != len(earned):
            unknown = sorted(set(earned) - {part[0] for part in self._parts})
            raise ValueError(f"sums for unknown indicators: {unknown}")
        return SaqScore(ratio_to_score(total, self._common), tuple(scores))


def applicable_weights(items: Iterable[Item], category: str) -> dict[str, int]:
    """Indicator code → Σ weights of the items applying to `category` (the denominator)."""
    totals: dict[str, int] = {}
    for item in items:
        if item.applies_to_category(category):
            totals[item.indicator_code] = totals.get(item.indicator_code, 0) + item.weight
    return totals


def indicator_sums(
    items: Iterable[Item],
    answers: Iterable[Answer],
    category: str,
    basis: Basis = Basis.VERIFIED,
) -> dict[str, IndicatorSums]:
    """Per indicator, the integer sums over the items applying to `category`."""
    items = list(items)
    by_code = {item.code: item for item in items}
    if len(by_code) != len(items):
        raise ValueError("item codes must be unique")
    answer_by_code: dict[str, Answer] = {}
    for answer in answers:
        if answer.item_code not in by_code:
            raise ValueError(f"answer to unknown item {answer.item_code}")
        if answer.item_code in answer_by_code:
            raise ValueError(f"two answers to item {answer.item_code}")
        answer_by_code[answer.item_code] = answer
    earned: dict[str, int] = {}
    for item in items:
        if item.applies_to_category(category):
            credit = item_credit_scaled(item, answer_by_code.get(item.code), basis)
            earned[item.indicator_code] = earned.get(item.indicator_code, 0) + item.weight * credit
    return {
        code: IndicatorSums(code, earned[code], weight)
        for code, weight in applicable_weights(items, category).items()
    }


def combine_indicator_sums(
    indicators: Sequence[Indicator], sums: Iterable[IndicatorSums]
) -> SaqScore:
    """One body's SAQ from its per-indicator integer sums and the indicator weights."""
    earned: dict[str, int] = {}
    applicable: dict[str, int] = {}
    for s in sums:
        if s.indicator_code in earned:
            raise ValueError(f"two sums for indicator {s.indicator_code}")
        earned[s.indicator_code] = s.earned_scaled
        applicable[s.indicator_code] = s.applicable_weight
    return _Combiner(indicators, applicable).combine(earned)


def score_saq(
    indicators: Sequence[Indicator],
    items: Iterable[Item],
    answers: Iterable[Answer],
    category: str,
    basis: Basis = Basis.VERIFIED,
) -> SaqScore:
    """A body's SAQ from its answers (item level): raw or verified, per the `basis`."""
    items = list(items)
    unknown = {i.indicator_code for i in items} - {i.code for i in indicators}
    if unknown:
        raise ValueError(f"items under unknown indicators: {sorted(unknown)}")
    sums = indicator_sums(items, answers, category, basis)
    return combine_indicator_sums(indicators, sums.values())


@dataclass(frozen=True, slots=True)
class SaqComparison:
    """Raw (self-declared) and verified SAQ of one body, side by side."""

    raw: SaqScore
    verified: SaqScore

    @property
    def difference(self) -> Decimal:
        """Points lost at verification (verified − raw; ≤ 0 unless a verifier adjusted up)."""
        return self.verified.total - self.raw.total


def compare_raw_and_verified(
    indicators: Sequence[Indicator],
    items: Iterable[Item],
    answers: Iterable[Answer],
    category: str,
) -> SaqComparison:
    """Raw and verified SAQ of one body from the same answers."""
    items, answers = list(items), list(answers)
    return SaqComparison(
        raw=score_saq(indicators, items, answers, category, Basis.RAW),
        verified=score_saq(indicators, items, answers, category, Basis.VERIFIED),
    )


@dataclass(frozen=True, slots=True)
class EarnedSum:
    """One row of the grouped ranking query: Σ item weight × answer credit_scaled (an integer)."""

    body_id: int
    indicator_code: str
    earned_scaled: int


def combine_grouped_sums(
    indicators: Sequence[Indicator],
    applicable: Mapping[str, Mapping[str, int]],
    body_categories: Mapping[int, str],
    earned: Iterable[EarnedSum],
) -> dict[int, SaqScore]:
    """Fast path: every body's SAQ from grouped SQL sums (same Decimal as `score_saq`).

    `applicable` is category → `applicable_weights(items, category)`; `body_categories` lists
    every body to score (a body without rows scores 0); `earned` comes from one query such as
    `SELECT body_id, indicator_code, SUM(weight * credit_scaled) … GROUP BY body_id,
    indicator_code`, restricted to items applying to each body's category.
    """
    earned_by_body: dict[int, dict[str, int]] = {body_id: {} for body_id in body_categories}
    for row in earned:
        per_body = earned_by_body.get(row.body_id)
        if per_body is None:
            raise ValueError(f"sums for unknown body {row.body_id}")
        if row.indicator_code in per_body:
            raise ValueError(f"body {row.body_id}: two sums for {row.indicator_code}")
        # PostgreSQL's SUM over bigint returns numeric (a Decimal here): integral, so exact.
        per_body[row.indicator_code] = int(row.earned_scaled)
    return combine_sums_by_body(indicators, applicable, body_categories, earned_by_body)


def combine_sums_by_body(
    indicators: Sequence[Indicator],
    applicable: Mapping[str, Mapping[str, int]],
    body_categories: Mapping[int, str],
    earned_by_body: Mapping[int, Mapping[str, int]],
) -> dict[int, SaqScore]:
    """`combine_grouped_sums` for sums already gathered per body (indicator code → integer sum);
    a body missing from `earned_by_body` scores 0."""
    combiners = {
        category: _Combiner(indicators, applicable.get(category, {}))
        for category in set(body_categories.values())
    }
    empty: dict[str, int] = {}
    return {
        body_id: combiners[category].combine(earned_by_body.get(body_id, empty))
        for body_id, category in body_categories.items()
    }


def questionnaire_errors(
    indicators: Sequence[Indicator], items: Sequence[Item], categories: Iterable[str]
) -> list[str]:
    """Plain-language problems that would make scores wrong (empty when the SAQ is sound)."""
    errors: list[str] = []
    codes = [i.code for i in indicators]
    if len(set(codes)) != len(codes):
        errors.append("Kode indikator tidak boleh ganda.")
    if sum((i.weight for i in indicators), Decimal(0)) != 100:
        errors.append("Jumlah bobot indikator harus 100.")
    item_codes = [i.code for i in items]
    if len(set(item_codes)) != len(item_codes):
        errors.append("Kode butir tidak boleh ganda.")
    for item in items:
        if item.indicator_code not in codes:
            errors.append(f"Butir {item.code} berada di bawah indikator yang tidak dikenal.")
    for category in categories:
        weights = applicable_weights(items, category)
        for indicator in indicators:
            if indicator.weight > 0 and not weights.get(indicator.code):
                errors.append(
                    f"Indikator {indicator.code} tidak memiliki butir untuk kategori {category}."
                )
    return errors


# --- verdicts on stored answers ----------------------------------------------------------------

NOTE_REQUIRED = frozenset({Verdict.REJECTED, Verdict.ADJUSTED})
DECIDED = frozenset({Verdict.ACCEPTED, Verdict.REJECTED, Verdict.ADJUSTED})


def verdict_credit_scaled(
    item: Item, declared_scaled: int, verdict: Verdict, verified_option: str | None = None
) -> int:
    """The verified credit from the credit the body declared (as stored with its answer).

    Same outcome as `item_credit_scaled` (property-tested): all of the declared credit when
    accepted, the adjusted option's fraction when adjusted, nothing otherwise.
    """
    if verdict == Verdict.ACCEPTED:
        return declared_scaled
    if verdict == Verdict.ADJUSTED:
        if item.answer_type != AnswerType.CHOICE:
            raise ValueError(f"item {item.code}: only choice items can be adjusted")
        return min(item.option_fraction(verified_option), declared_scaled)
    return 0


def verdict_errors(
    item: Item,
    declared_scaled: int,
    verdict: str,
    verified_option: str | None,
    note: str,
) -> dict[str, str]:
    """Field → plain-language reason a verdict must be refused (empty when it may be saved)."""
    errors: dict[str, str] = {}
    if verdict not in DECIDED:
        return {"verdict": "Pilih terima, tolak, atau sesuaikan."}
    if verdict in NOTE_REQUIRED and not note.strip():
        errors["note"] = "Catatan wajib diisi saat menolak atau menyesuaikan jawaban."
    if verdict == Verdict.ADJUSTED:
        labels = {o.label: o.fraction_scaled for o in item.options}
        if item.answer_type != AnswerType.CHOICE:
            errors["verdict"] = "Hanya butir pilihan yang dapat disesuaikan; tolak jawaban ini."
        elif not verified_option:
            errors["verified_option"] = "Pilih opsi hasil penyesuaian."
        elif verified_option not in labels:
            errors["verified_option"] = f"Opsi {verified_option!r} tidak dikenal."
        elif labels[verified_option] >= declared_scaled:
            errors["verified_option"] = (
                "Penyesuaian harus ke opsi yang lebih rendah dari jawaban badan publik."
            )
    return errors


# --- assigning verifiers ------------------------------------------------------------------------


def least_loaded(candidates: Iterable[int], load: Mapping[int, int]) -> int | None:
    """The candidate with the fewest tasks (the lowest id on ties), or None."""
    pool = sorted(candidates)
    return min(pool, key=lambda c: (load.get(c, 0), c)) if pool else None


def balance_assignments(
    bodies: Sequence[tuple[int, str]],
    verifiers: Sequence[int],
    load: Mapping[int, int],
    category_load: Mapping[tuple[int, str], int],
    conflicts: Iterable[tuple[int, int]],
) -> tuple[dict[int, int], list[int]]:
    """Assign each (body, category) to a verifier: fewest bodies of that category first, then
    fewest bodies overall, never a conflicted pair (verifier, body).

    Returns body → verifier and the bodies no verifier may take.
    """
    blocked = set(conflicts)
    total = {v: load.get(v, 0) for v in verifiers}
    per_cat = {(v, c): n for (v, c), n in category_load.items() if v in total}
    chosen: dict[int, int] = {}
    left: list[int] = []
    for body_id, category in sorted(bodies, key=lambda b: (b[1], b[0])):
        pool = [v for v in sorted(total) if (v, body_id) not in blocked]
        if not pool:
            left.append(body_id)
            continue
        best = min(pool, key=lambda v: (per_cat.get((v, category), 0), total[v], v))
        chosen[body_id] = best
        total[best] += 1
        per_cat[(best, category)] = per_cat.get((best, category), 0) + 1
    return chosen, left
