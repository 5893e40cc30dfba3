"""Final score and qualification of a body under the cycle's versioned formula.

- Final score = Σ component score × weight ÷ 100 (weights sum to 100), exact in `Decimal` and
  truncated to `SCORE_PLACES` decimals like every score, computed by the formula `FORMULA_VERSION`;
  each `FinalScore` carries that version, the rules (weights, bands, policies) and its inputs.
- The qualification is decided on the published score (half-up to 2 decimals), so a published
  number and its qualification never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum

from app.cycles.rules import DEFAULT_BANDS, HUNDRED, ZERO, Band, band_errors, publish_round
from app.verification.rules import SCORE_PLACES

FORMULA_VERSION = "2026.1"
SAQ = "saq"
_QUANTUM = Decimal(1).scaleb(-SCORE_PLACES)


class NonShortlistedPolicy(StrEnum):
    SAQ_ONLY = "saq_only"
    WEIGHTED_MISSING_ZERO = "weighted_missing_zero"


class NonSubmitterPolicy(StrEnum):
    TIDAK_INFORMATIF_ZERO = "tidak_informatif_zero"
    NOT_ASSESSED = "not_assessed"


class ScoreBasis(StrEnum):
    """How a body's final score was formed."""

    WEIGHTED = "weighted"
    SAQ_ONLY = "saq_only"
    WEIGHTED_MISSING_ZERO = "weighted_missing_zero"
    NON_SUBMITTER_ZERO = "non_submitter_zero"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True, slots=True)
class ComponentWeight:
    """A final-score component (e.g. "saq", "presentation", "visitasi") and its weight (of 100)."""

    code: str
    weight: Decimal


@dataclass(frozen=True, slots=True)
class ScoringRules:
    """A cycle's final-score formula: component weights, bands and the two policies."""

    components: tuple[ComponentWeight, ...]
    bands: tuple[Band, ...] = DEFAULT_BANDS
    saq_component: str = SAQ
    non_shortlisted: NonShortlistedPolicy = NonShortlistedPolicy.SAQ_ONLY
    non_submitter: NonSubmitterPolicy = NonSubmitterPolicy.TIDAK_INFORMATIF_ZERO


def scoring_rules_errors(rules: ScoringRules) -> list[str]:
    """Plain-language problems with a cycle's formula (empty when it can be used)."""
    errors = band_errors(rules.bands)
    codes = [c.code for c in rules.components]
    if len(set(codes)) != len(codes):
        errors.append("Komponen nilai akhir tidak boleh ganda.")
    if any(not c.weight.is_finite() or c.weight < 0 for c in rules.components):
        errors.append("Bobot komponen tidak boleh negatif.")
    elif sum((c.weight for c in rules.components), ZERO) != HUNDRED:
        errors.append("Jumlah bobot komponen harus 100.")
    if rules.saq_component not in codes:
        errors.append("Nilai SAQ harus menjadi salah satu komponen.")
    return errors


@dataclass(frozen=True, slots=True)
class BodyInputs:
    """What a body's result is computed from: component scores (0–100) and indicator scores."""

    body_id: int
    category: str
    submitted: bool = True
    shortlisted: bool = False
    components: Mapping[str, Decimal] = field(default_factory=dict)
    indicators: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComponentContribution:
    """One line of "how the score was computed": weight × score ÷ 100 = points."""

    code: str
    weight: Decimal
    score: Decimal | None
    points: Decimal


@dataclass(frozen=True, slots=True)
class FinalScore:
    """A body's computed result with the formula version, rules and inputs it used."""

    body_id: int
    category: str
    basis: ScoreBasis
    score: Decimal | None
    published: Decimal | None
    qualification: str | None
    contributions: tuple[ComponentContribution, ...]
    inputs: BodyInputs
    rules: ScoringRules
    formula_version: str = FORMULA_VERSION

    @property
    def shortlisted(self) -> bool:
        """True when the body went on to the presentation stage."""
        return self.inputs.shortlisted

    @property
    def assessed(self) -> bool:
        """False for a non-submitter the cycle leaves "tidak dinilai"."""
        return self.basis != ScoreBasis.NOT_ASSESSED

    @property
    def weights(self) -> tuple[ComponentWeight, ...]:
        """The component weights used."""
        return self.rules.components

    @property
    def bands(self) -> tuple[Band, ...]:
        """The qualification bands used."""
        return self.rules.bands


def missing_components(rules: ScoringRules, inputs: BodyInputs) -> list[str]:
    """Components a body's final score still needs (empty when it can be computed)."""
    if not inputs.submitted:
        return []
    # A body off the shortlist needs only its SAQ: other components are either not used
    # (saq_only) or count as 0 (weighted_missing_zero).
    needed = [c.code for c in rules.components] if inputs.shortlisted else [rules.saq_component]
    return [code for code in needed if code not in inputs.components]


def _floor(value: Decimal) -> Decimal:
    return value.quantize(_QUANTUM, rounding=ROUND_FLOOR)


def compute_final_score(rules: ScoringRules, inputs: BodyInputs) -> FinalScore:
    """A body's final score, published score and qualification under the cycle's formula."""
    with localcontext() as ctx:
        ctx.prec = 60  # products of 10-decimal scores and weights stay exact
        return _Formula(rules).compute(inputs)


class _Formula:
    """One cycle's formula with what every body needs precomputed (bands in order, the
    components each case needs), so a whole cycle is computed in one decimal context."""

    __slots__ = ("all_codes", "bands", "rules", "saq_basis", "weights")

    def __init__(self, rules: ScoringRules) -> None:
        self.rules = rules
        self.weights = tuple((c.code, c.weight) for c in rules.components)
        self.all_codes = tuple(c.code for c in rules.components)
        self.bands = tuple(sorted(rules.bands, key=lambda b: b.min_score, reverse=True))
        self.saq_basis = ScoreBasis.SAQ_ONLY if len(rules.components) > 1 else ScoreBasis.WEIGHTED

    def finish(
        self,
        inputs: BodyInputs,
        basis: ScoreBasis,
        score: Decimal | None,
        lines: tuple[ComponentContribution, ...],
    ) -> FinalScore:
        published = band = None
        if score is not None:
            published = publish_round(score)
            band = next((b.name for b in self.bands if published >= b.min_score), None)
            if band is None:
                raise ValueError("bands do not cover the score")
        return FinalScore(
            inputs.body_id,
            inputs.category,
            basis,
            score,
            published,
            band,
            lines,
            inputs,
            self.rules,
        )

    def compute(self, inputs: BodyInputs) -> FinalScore:
        """The final score of one body (the caller holds a 60-digit decimal context)."""
        rules = self.rules
        components = inputs.components
        for code, value in components.items():
            if not value.is_finite() or not ZERO <= value <= HUNDRED:
                raise ValueError(f"body {inputs.body_id}: {code} score {value} outside 0–100")
        if not inputs.submitted:
            if rules.non_submitter == NonSubmitterPolicy.NOT_ASSESSED:
                return self.finish(inputs, ScoreBasis.NOT_ASSESSED, None, ())
            return self.finish(inputs, ScoreBasis.NON_SUBMITTER_ZERO, _floor(ZERO), ())
        needed = self.all_codes if inputs.shortlisted else (rules.saq_component,)
        for code in needed:
            if code not in components:
                missing = [c for c in needed if c not in components]
                raise ValueError(f"body {inputs.body_id}: missing component scores {missing}")
        if not inputs.shortlisted and rules.non_shortlisted == NonShortlistedPolicy.SAQ_ONLY:
            saq = components[rules.saq_component]
            line = ComponentContribution(rules.saq_component, HUNDRED, saq, saq)
            return self.finish(inputs, self.saq_basis, _floor(saq), (line,))
        lines = []
        total = ZERO
        for code, weight in self.weights:
            score = components.get(code)
            points = ZERO if score is None else weight * score / HUNDRED
            total += points
            lines.append(ComponentContribution(code, weight, score, points))
        basis = ScoreBasis.WEIGHTED if inputs.shortlisted else ScoreBasis.WEIGHTED_MISSING_ZERO
        return self.finish(inputs, basis, _floor(total), tuple(lines))


def compute_results(rules: ScoringRules, bodies: Iterable[BodyInputs]) -> tuple[FinalScore, ...]:
    """Every body's final score (ordered by category, then body id)."""
    formula = _Formula(rules)
    with localcontext() as ctx:
        ctx.prec = 60  # products of 10-decimal scores and weights stay exact
        results = [formula.compute(b) for b in bodies]
    ids = {r.body_id for r in results}
    if len(ids) != len(results):
        raise ValueError("a body appears twice")
    return tuple(sorted(results, key=lambda r: (r.category, r.body_id)))
