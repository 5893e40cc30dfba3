"""Pure rules of the presentation (uji publik) scoring: rubric, juror scores and their aggregation.

- Each rubric criterion's scale maps linearly onto 0–100 (scale minimum → 0, maximum → 100); a
  juror's score for a body is the weighted mean of its criteria.
- A panel's scores for a body combine by the cycle's method: mean, median, or trimmed mean (one
  highest and one lowest dropped, only with at least N jurors; otherwise the mean, and the result
  says so). Abstentions are left out everywhere.
- Optional z-score normalisation per juror (only for a juror who scored at least M bodies and did
  not give them all the same score; others keep their raw scores): z = (x − juror mean) ÷ juror
  spread, mapped back as overall mean + z × overall spread (population standard deviation of every
  score of the panel), clipped to 0–100. It never changes the order of one juror's bodies.
- A body is flagged for discussion when max − min of the scores entering its aggregate exceeds the
  cycle's threshold.

Scores are exact where arithmetic allows and truncated to `SCORE_PLACES` decimals like SAQ scores;
normalisation uses a square root, computed with 50 significant digits before truncation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction

from app.verification.rules import SCORE_PLACES, fraction_to_score

HUNDRED = Decimal(100)
_PRECISION = 50
_QUANTUM = Decimal(1).scaleb(-SCORE_PLACES)


class Aggregation(StrEnum):
    MEAN = "mean"
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed_mean"


AGGREGATION_LABELS: dict[str, str] = {
    Aggregation.MEAN: "rata-rata",
    Aggregation.MEDIAN: "median",
    Aggregation.TRIMMED_MEAN: "rata-rata terpangkas",
}


@dataclass(frozen=True, slots=True)
class Criterion:
    """A rubric criterion: its weight and the scale jurors rate it on (e.g. 1–5)."""

    code: str
    weight: Decimal
    scale_min: Decimal
    scale_max: Decimal

    def __post_init__(self) -> None:
        if not self.weight.is_finite() or self.weight <= 0:
            raise ValueError(f"criterion {self.code}: weight must be positive")
        if not (self.scale_min.is_finite() and self.scale_max.is_finite()):
            raise ValueError(f"criterion {self.code}: scale bounds must be numbers")
        if self.scale_max <= self.scale_min:
            raise ValueError(f"criterion {self.code}: scale maximum must exceed its minimum")

    def to_100(self, rating: Decimal) -> Fraction:
        """The rating mapped linearly onto 0–100, exactly."""
        if not rating.is_finite() or not self.scale_min <= rating <= self.scale_max:
            raise ValueError(f"criterion {self.code}: rating {rating} outside the scale")
        span = Fraction(self.scale_max) - Fraction(self.scale_min)
        return (Fraction(rating) - Fraction(self.scale_min)) * 100 / span


def criterion_score(criterion: Criterion, rating: Decimal) -> Decimal:
    """One criterion's rating on 0–100 (truncated like every score)."""
    return fraction_to_score(criterion.to_100(rating))


def rating_errors(criteria: Sequence[Criterion], ratings: Mapping[str, Decimal]) -> list[str]:
    """Plain-language problems with a juror's ratings for one body (empty when complete)."""
    errors: list[str] = []
    known = {c.code for c in criteria}
    for code in sorted(set(ratings) - known):
        errors.append(f"Kriteria {code} tidak ada dalam rubrik.")
    for c in criteria:
        rating = ratings.get(c.code)
        if rating is None:
            errors.append(f"Kriteria {c.code} belum dinilai.")
        elif not rating.is_finite() or not c.scale_min <= rating <= c.scale_max:
            errors.append(f"Nilai kriteria {c.code} harus antara {c.scale_min} dan {c.scale_max}.")
    return errors


def juror_body_score(criteria: Sequence[Criterion], ratings: Mapping[str, Decimal]) -> Decimal:
    """A juror's 0–100 score for a body: the weighted mean of its criteria mapped onto 0–100."""
    if not criteria:
        raise ValueError("a rubric needs at least one criterion")
    errors = rating_errors(criteria, ratings)
    if errors:
        raise ValueError("; ".join(errors))
    total_weight = sum((Fraction(c.weight) for c in criteria), Fraction(0))
    weighted = sum((Fraction(c.weight) * c.to_100(ratings[c.code]) for c in criteria), Fraction(0))
    return fraction_to_score(weighted / total_weight)


@dataclass(frozen=True, slots=True)
class PanelPolicy:
    """The cycle's aggregation choices for presentation scores."""

    method: Aggregation = Aggregation.MEAN
    trimmed_min_jurors: int = 5
    normalise: bool = False
    normalise_min_bodies: int = 3
    disagreement_threshold: Decimal = Decimal(20)


def panel_policy_errors(policy: PanelPolicy) -> list[str]:
    """Plain-language problems with an aggregation policy (empty when usable)."""
    errors: list[str] = []
    if policy.trimmed_min_jurors < 3:
        errors.append("Rata-rata terpangkas membutuhkan minimal 3 juri.")
    if policy.normalise_min_bodies < 2:
        errors.append("Normalisasi membutuhkan juri yang menilai minimal 2 badan publik.")
    threshold = policy.disagreement_threshold
    if not threshold.is_finite() or not 0 <= threshold <= HUNDRED:
        errors.append("Ambang perbedaan nilai harus antara 0 dan 100.")
    return errors


@dataclass(frozen=True, slots=True)
class AggregateValue:
    """One body's combined score, the method actually used and a note when it fell back."""

    score: Decimal
    method_used: Aggregation
    note: str


def _check_score(score: Decimal) -> Fraction:
    if not score.is_finite() or not 0 <= score <= HUNDRED:
        raise ValueError(f"a score must be within 0–100, got {score}")
    return Fraction(score)


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def aggregate_scores(
    scores: Sequence[Decimal], method: Aggregation, trimmed_min_jurors: int = 5
) -> AggregateValue:
    """Combine one body's juror scores (abstentions already left out) by `method`."""
    if not scores:
        raise ValueError("nothing to aggregate: every juror abstained")
    values = sorted(_check_score(s) for s in scores)
    if method == Aggregation.MEDIAN:
        middle = len(values) // 2
        median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        return AggregateValue(fraction_to_score(median), method, "")
    if method == Aggregation.TRIMMED_MEAN:
        if len(values) >= trimmed_min_jurors:
            return AggregateValue(fraction_to_score(_mean(values[1:-1])), method, "")
        note = (
            f"Memakai rata-rata biasa: rata-rata terpangkas membutuhkan minimal "
            f"{trimmed_min_jurors} juri, hanya {len(values)} yang menilai."
        )
        return AggregateValue(fraction_to_score(_mean(values)), Aggregation.MEAN, note)
    return AggregateValue(fraction_to_score(_mean(values)), Aggregation.MEAN, "")


def disagreement(scores: Sequence[Decimal], threshold: Decimal) -> bool:
    """True when the jurors' scores of a body differ by more than `threshold` (max − min)."""
    return bool(scores) and max(scores) - min(scores) > threshold


@dataclass(frozen=True, slots=True)
class JurorScore:
    """A juror's submitted 0–100 score for a body; `score` None means the juror abstained."""

    juror_id: int
    body_id: int
    score: Decimal | None


@dataclass(frozen=True, slots=True)
class JurorNormalisation:
    """Whether a juror's scores were normalised, why, and the juror's own mean and spread."""

    juror_id: int
    applied: bool
    bodies_scored: int
    mean: Decimal
    spread: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class JurorContribution:
    """A juror's score of a body as entered (`raw`) and as it entered the aggregate (`used`)."""

    juror_id: int
    raw: Decimal
    used: Decimal
    normalised: bool


@dataclass(frozen=True, slots=True)
class BodyAggregate:
    """A body's presentation score with everything that explains it.

    `score` is None when every juror abstained. `spread` (max − min) and `disagreement` are
    measured on the scores that entered the aggregate.
    """

    body_id: int
    score: Decimal | None
    method_used: Aggregation | None
    note: str
    contributions: tuple[JurorContribution, ...]
    abstained_juror_ids: tuple[int, ...]
    spread: Decimal | None
    disagreement: bool


@dataclass(frozen=True, slots=True)
class PanelAggregate:
    """The aggregated scores of one panel (or cycle) and the normalisation applied per juror."""

    policy: PanelPolicy
    bodies: tuple[BodyAggregate, ...]
    jurors: tuple[JurorNormalisation, ...]
    overall_mean: Decimal | None
    overall_spread: Decimal | None

    def body(self, body_id: int) -> BodyAggregate:
        """The aggregate of the body with `body_id`."""
        for body in self.bodies:
            if body.body_id == body_id:
                return body
        raise KeyError(body_id)

    @property
    def flagged(self) -> tuple[BodyAggregate, ...]:
        """Bodies whose jurors disagree beyond the threshold, to discuss before the lock."""
        return tuple(b for b in self.bodies if b.disagreement)


def _to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _floor(value: Decimal) -> Decimal:
    return value.quantize(_QUANTUM, rounding=ROUND_FLOOR)


def _stats(values: Sequence[Fraction]) -> tuple[Decimal, Decimal]:
    """Mean and population standard deviation, to 50 significant digits (call in a context)."""
    mean = _mean(values)
    variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)
    return _to_decimal(mean), _to_decimal(variance).sqrt()


def aggregate_panel(scores: Iterable[JurorScore], policy: PanelPolicy) -> PanelAggregate:
    """Each body's presentation score from a panel's submitted scores, per the cycle's policy."""
    raw: dict[tuple[int, int], Decimal] = {}
    abstained: dict[int, list[int]] = {}
    bodies: set[int] = set()
    for s in scores:
        key = (s.juror_id, s.body_id)
        if key in raw or s.juror_id in abstained.get(s.body_id, []):
            raise ValueError(f"juror {s.juror_id} scored body {s.body_id} twice")
        bodies.add(s.body_id)
        if s.score is None:
            abstained.setdefault(s.body_id, []).append(s.juror_id)
        else:
            _check_score(s.score)
            raw[key] = s.score
    used = dict(raw)
    jurors: list[JurorNormalisation] = []
    overall_mean: Decimal | None = None
    overall_spread: Decimal | None = None
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if raw:
            mean, spread = _stats([Fraction(v) for v in raw.values()])
            overall_mean, overall_spread = _floor(mean), _floor(spread)
            for juror_id in sorted({j for j, _ in raw}):
                own = {b: v for (j, b), v in raw.items() if j == juror_id}
                j_mean, j_spread = _stats([Fraction(v) for v in own.values()])
                applied, reason = _normalisation_decision(policy, len(own), j_spread)
                if applied:
                    for body_id, value in own.items():
                        z = (value - j_mean) / j_spread
                        mapped = min(max(mean + z * spread, Decimal(0)), HUNDRED)
                        used[(juror_id, body_id)] = _floor(mapped)
                jurors.append(
                    JurorNormalisation(
                        juror_id, applied, len(own), _floor(j_mean), _floor(j_spread), reason
                    )
                )
    results = [
        _body_aggregate(body_id, raw, used, abstained.get(body_id, []), jurors, policy)
        for body_id in sorted(bodies)
    ]
    return PanelAggregate(policy, tuple(results), tuple(jurors), overall_mean, overall_spread)


def _normalisation_decision(policy: PanelPolicy, count: int, spread: Decimal) -> tuple[bool, str]:
    if not policy.normalise:
        return False, "Normalisasi tidak dipakai pada siklus ini."
    if count < policy.normalise_min_bodies:
        return False, (
            f"Nilai mentah: juri menilai {count} badan publik, "
            f"normalisasi membutuhkan minimal {policy.normalise_min_bodies}."
        )
    if spread == 0:
        return False, "Nilai mentah: juri memberi semua badan publik nilai yang sama."
    return True, "Dinormalisasi (skor z dipetakan ke rata-rata dan sebaran panel)."


def _body_aggregate(
    body_id: int,
    raw: Mapping[tuple[int, int], Decimal],
    used: Mapping[tuple[int, int], Decimal],
    abstained: Sequence[int],
    jurors: Sequence[JurorNormalisation],
    policy: PanelPolicy,
) -> BodyAggregate:
    normalised = {j.juror_id for j in jurors if j.applied}
    contributions = tuple(
        JurorContribution(j, raw[(j, b)], used[(j, b)], j in normalised)
        for (j, b) in sorted(raw)
        if b == body_id
    )
    if not contributions:
        return BodyAggregate(
            body_id, None, None, "Semua juri abstain.", (), tuple(sorted(abstained)), None, False
        )
    values = [c.used for c in contributions]
    value = aggregate_scores(values, policy.method, policy.trimmed_min_jurors)
    return BodyAggregate(
        body_id,
        value.score,
        value.method_used,
        value.note,
        contributions,
        tuple(sorted(abstained)),
        max(values) - min(values),
        disagreement(values, policy.disagreement_threshold),
    )


# --- schedule -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Room:
    """A panel's room for placement: the bodies none of its jurors may judge are excluded."""

    panel_id: int
    conflicted: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Placement:
    """Bodies per room in presenting order, and bodies no room can take (every room conflicted)."""

    rooms: dict[int, tuple[int, ...]]
    unplaced: tuple[int, ...]


def place_bodies(body_ids: Sequence[int], rooms: Sequence[Room]) -> Placement:
    """Spread bodies over rooms evenly, never into a room with a conflicted juror.

    The most constrained bodies go first; each goes to the allowed room with the fewest bodies
    (the earlier room on a tie). Within a room the bodies keep the order they were given in.
    """
    order = {b: i for i, b in enumerate(body_ids)}
    if len(order) != len(body_ids):
        raise ValueError("a body can be placed only once")
    placed: dict[int, list[int]] = {r.panel_id: [] for r in rooms}
    unplaced: list[int] = []

    def allowed(body_id: int) -> list[Room]:
        return [r for r in rooms if body_id not in r.conflicted]

    for body_id in sorted(body_ids, key=lambda b: (len(allowed(b)), order[b])):
        options = allowed(body_id)
        if not options:
            unplaced.append(body_id)
            continue
        room = min(options, key=lambda r: len(placed[r.panel_id]))
        placed[room.panel_id].append(body_id)
    return Placement(
        {p: tuple(sorted(bs, key=order.__getitem__)) for p, bs in placed.items()},
        tuple(sorted(unplaced, key=order.__getitem__)),
    )


@dataclass(frozen=True, slots=True)
class SlotTime:
    """When the n-th body of a room presents: its session and its minutes from the start."""

    session_no: int
    start_minute: int
    end_minute: int


def slot_times(
    count: int, per_session: int, slot_minutes: int, break_minutes: int
) -> list[SlotTime]:
    """Consecutive slots of `slot_minutes`, `per_session` to a session, a break between sessions."""
    if per_session < 1 or slot_minutes < 1 or break_minutes < 0:
        raise ValueError("a session holds at least one body of at least one minute")
    times: list[SlotTime] = []
    for i in range(count):
        session = i // per_session
        start = i * slot_minutes + session * break_minutes
        times.append(SlotTime(session + 1, start, start + slot_minutes))
    return times


# --- visitasi -----------------------------------------------------------------------------------


class VisitMode(StrEnum):
    NONE = "none"
    SCORE = "score"  # a scored component of the final result
    GATE = "gate"  # pass/fail: a body that fails is not eligible as the cycle's rules say


def visit_errors(
    mode: VisitMode, checklist: Sequence[str], checked: Sequence[str], score: Decimal | None
) -> list[str]:
    """Plain-language problems with a visitasi record under the cycle's mode."""
    errors: list[str] = []
    if mode == VisitMode.NONE:
        errors.append("Siklus ini tidak memakai visitasi.")
    unknown = [c for c in checked if c not in checklist]
    if unknown:
        errors.append(f"Butir tidak ada dalam daftar periksa: {', '.join(unknown)}.")
    if mode == VisitMode.SCORE and score is None:
        errors.append("Isi nilai visitasi (0–100).")
    if score is not None and (not score.is_finite() or not 0 <= score <= HUNDRED):
        errors.append("Nilai visitasi harus antara 0 dan 100.")
    return errors


def visit_passes(checked: Sequence[str], pass_min: int) -> bool:
    """A gate visitasi passes when at least `pass_min` checklist items are met."""
    return len(set(checked)) >= pass_min
