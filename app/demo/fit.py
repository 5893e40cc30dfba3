"""Choosing demo answers and juror ratings that give a known published final score.

The completed demo cycle reproduces published facts (e.g. Kota Mojokerto 98,56 in 2024): with
70 % SAQ + 30 % presentation, a few items rejected at verification and the jurors' ratings on the
default rubric are searched until the system's own arithmetic gives exactly the published score.
Pure (no database): `saq_of` uses the verification rules, `published_final` mirrors the results.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import combinations_with_replacement

from app.panels.service import DEFAULT_RUBRIC
from app.verification.rules import Indicator as RuleIndicator
from app.verification.rules import IndicatorSums, combine_indicator_sums

_SIX = Decimal("0.000001")


class CannotFit(Exception):
    """No combination of answers and ratings in the search gives the published score."""


@dataclass(frozen=True)
class DemoItem:
    id: int
    indicator_id: int
    indicator: str
    weight: int
    options: tuple[tuple[str, int], ...]  # (label, credit scaled) for choice items, best first


def saq_of(
    credits: dict[int, int],
    items: list[DemoItem],
    weights: dict[str, int],
    indicators: list[RuleIndicator],
) -> Decimal:
    earned: dict[str, int] = dict.fromkeys(weights, 0)
    for it in items:
        earned[it.indicator] += it.weight * credits[it.id]
    sums = [IndicatorSums(code, earned[code], w) for code, w in weights.items()]
    return combine_indicator_sums(indicators, sums).total


def published_final(
    saq: Decimal, presentation: Fraction, split: tuple[int, int] = (70, 30)
) -> Decimal:
    """What the results publish for `split` = (SAQ weight, presentation weight): the panel
    mean stored with 6 decimals, the weighted sum truncated, then rounded half-up."""
    p = Decimal(presentation.numerator) / Decimal(presentation.denominator)
    p = p.quantize(_SIX, rounding=ROUND_FLOOR)
    total = (saq * split[0] + p * split[1]) / 100
    return total.quantize(Decimal(1).scaleb(-10), rounding=ROUND_FLOOR).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


# Juror ratings on the default rubric (1–5): a pool of strong rating vectors.
WEIGHTS = {code: weight for code, _, weight, _ in DEFAULT_RUBRIC}
CRITERIA = tuple(WEIGHTS)
STRONG_RATINGS = [
    dict(zip(CRITERIA, v, strict=True))
    for v in (
        (5, 5, 5, 5, 5),
        (5, 5, 5, 4, 5),
        (5, 4, 5, 5, 5),
        (5, 5, 4, 5, 5),
        (4, 5, 5, 5, 5),
        (5, 5, 5, 5, 1),
        (5, 4, 4, 5, 5),
        (4, 4, 5, 5, 5),
        (5, 4, 5, 4, 5),
        (4, 5, 4, 5, 5),
        (4, 4, 4, 5, 5),
        (4, 4, 4, 4, 5),
        (5, 4, 4, 4, 5),
        (4, 4, 5, 4, 5),
        (4, 4, 4, 4, 1),
        (3, 4, 4, 4, 5),
        (4, 3, 4, 4, 5),
        (3, 3, 4, 4, 5),
        (3, 3, 3, 4, 5),
        (3, 3, 3, 3, 5),
    )
]


def _juror_fraction(rating: dict[str, int]) -> Fraction:
    """A juror's exact score on the default rubric (each 1–5 scale mapped onto 0–100)."""
    total = sum(WEIGHTS.values())
    return sum(
        (Fraction(WEIGHTS[c] * (r - 1) * 100, 4 * total) for c, r in rating.items()), Fraction(0)
    )


def presentation_options() -> list[tuple[Fraction, tuple[dict[str, int], ...]]]:
    """Every panel mean the strong rating pool gives (three jurors), smallest first."""
    found: dict[Fraction, tuple[dict[str, int], ...]] = {}
    scores = [_juror_fraction(r) for r in STRONG_RATINGS]
    for a, b, c in combinations_with_replacement(range(len(STRONG_RATINGS)), 3):
        mean = (scores[a] + scores[b] + scores[c]) / 3
        found.setdefault(mean, (STRONG_RATINGS[a], STRONG_RATINGS[b], STRONG_RATINGS[c]))
    return sorted(found.items(), key=lambda kv: kv[0])


def fit_body(
    target: Decimal,
    items: list[DemoItem],
    weights: dict[str, int],
    indicators: list[RuleIndicator],
    split: tuple[int, int] = (70, 30),
) -> tuple[dict[int, int], tuple[dict[str, int], ...]]:
    """Credits (some items rejected at verification) and juror ratings giving `target` under
    `split` = (SAQ weight, presentation weight)."""
    options = presentation_options()
    means = [m for m, _ in options]
    full = {it.id: (it.options[0][1] if it.options else 10_000) for it in items}
    # Candidate losses: an item rejected (credit 0) or a choice item given its middle option.
    losses: list[tuple[int, int]] = []
    for it in items:
        losses.append((it.id, 0))
        if len(it.options) > 2:
            losses.append((it.id, it.options[1][1]))
    for size in range(4):
        for chosen in combinations_with_replacement(range(len(losses)), size):
            ids = [losses[i][0] for i in chosen]
            if len(set(ids)) != len(ids):
                continue
            credits = dict(full)
            for i in chosen:
                credits[losses[i][0]] = losses[i][1]
            saq = saq_of(credits, items, weights, indicators)
            # w·S + (1 − w)·P must round to the target: look P up among the panel means.
            low = (Fraction(target) - Fraction(1, 200) - Fraction(saq) * split[0] / 100) * 100
            low /= split[1]
            at = bisect.bisect_left(means, low - Fraction(1, 10**5))
            for mean, triple in options[at : at + 8]:
                if published_final(saq, mean, split) == target:
                    return credits, triple
    raise CannotFit(f"Nilai demo {target} tidak dapat disusun.")
