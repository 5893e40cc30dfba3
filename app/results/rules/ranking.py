"""Ranking per category on published scores with a declared tie-break policy.

Ranks are competition ranks (98,31 and 98,31 both rank 2, the next ranks 4). Bodies are ordered
by: shortlisted first (unless the cycle says otherwise), published final score, then each declared
tie-break criterion's published value, until "shared" or the end of the list; what is still equal
shares a rank. Bodies not assessed and non-submitters are not ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.cycles.rules import ZERO, publish_round
from app.results.rules.final import FinalScore

SHARED = "shared"
FINAL = "final"
VERIFIED_SAQ = "verified_saq"
_PREFIXES = ("indicator:", "component:")


def tie_break_errors(criteria: Sequence[str]) -> list[str]:
    """Plain-language problems with a declared tie-break order (empty when usable)."""
    errors: list[str] = []
    for position, criterion in enumerate(criteria):
        known = criterion in (SHARED, FINAL, VERIFIED_SAQ) or any(
            criterion.startswith(p) and len(criterion) > len(p) for p in _PREFIXES
        )
        if not known:
            errors.append(f"Kriteria penentu peringkat tidak dikenal: {criterion!r}.")
        if criterion == SHARED and position != len(criteria) - 1:
            errors.append('"shared" (peringkat bersama) harus menjadi kriteria terakhir.')
    return errors


def criterion_value(result: FinalScore, criterion: str) -> Decimal:
    """The published (2-decimal) value of a tie-break criterion for a body (missing = 0)."""
    if criterion == FINAL:
        value = result.published or ZERO
    elif criterion == VERIFIED_SAQ:
        value = result.inputs.components.get(result.rules.saq_component, ZERO)
    elif criterion.startswith("indicator:"):
        value = result.inputs.indicators.get(criterion.removeprefix("indicator:"), ZERO)
    elif criterion.startswith("component:"):
        value = result.inputs.components.get(criterion.removeprefix("component:"), ZERO)
    else:
        raise ValueError(f"unknown tie-break criterion {criterion!r}")
    return publish_round(value)


def tie_break_values(result: FinalScore, criteria: Sequence[str]) -> tuple[Decimal, ...]:
    """A body's published values of the criteria before "shared", in the declared order."""
    values: list[Decimal] = []
    for criterion in criteria:
        if criterion == SHARED:
            break
        values.append(criterion_value(result, criterion))
    return tuple(values)


@dataclass(frozen=True, slots=True)
class RankingPolicy:
    """The declared ranking policy: ordered tie-break criteria, shortlisted bodies first or not.

    Criteria: "verified_saq", "final", "indicator:<code>", "component:<code>", "shared" (stop:
    the remaining ties share a rank). Ties left after the last criterion always share.
    """

    tie_break: tuple[str, ...] = (SHARED,)
    shortlisted_first: bool = True


@dataclass(frozen=True, slots=True)
class RankedBody:
    """A body's rank in its category and the values that decided it."""

    body_id: int
    category: str
    published: Decimal
    rank: int
    shares_rank: bool
    shortlisted: bool
    tie_values: tuple[Decimal, ...]


def rank_category(results: Sequence[FinalScore], policy: RankingPolicy) -> tuple[RankedBody, ...]:
    """Competition ranks of one category's assessed submitters, best first."""
    errors = tie_break_errors(policy.tie_break)
    if errors:
        raise ValueError(" ".join(errors))
    if len({r.category for r in results}) > 1:
        raise ValueError("rank one category at a time")
    keyed: list[tuple[tuple[object, ...], FinalScore, Decimal, tuple[Decimal, ...]]] = []
    for r in results:
        if r.published is None or not r.inputs.submitted:
            continue
        group = 0 if r.shortlisted or not policy.shortlisted_first else 1
        ties = tie_break_values(r, policy.tie_break)
        keyed.append(((group, -r.published, *(-v for v in ties)), r, r.published, ties))
    keyed.sort(key=lambda k: (k[0], k[1].body_id))
    ranked: list[RankedBody] = []
    for position, (key, r, published, ties) in enumerate(keyed):
        same_as_previous = position > 0 and keyed[position - 1][0] == key
        same_as_next = position + 1 < len(keyed) and keyed[position + 1][0] == key
        rank = ranked[-1].rank if same_as_previous else position + 1
        shares = same_as_previous or same_as_next
        ranked.append(
            RankedBody(r.body_id, r.category, published, rank, shares, r.shortlisted, ties)
        )
    return tuple(ranked)


def rank_results(results: Iterable[FinalScore], policy: RankingPolicy) -> dict[int, RankedBody]:
    """Body id → rank for every ranked body, ranked within its own category."""
    by_category: dict[str, list[FinalScore]] = {}
    for r in results:
        by_category.setdefault(r.category, []).append(r)
    return {
        ranked.body_id: ranked
        for category in sorted(by_category)
        for ranked in rank_category(by_category[category], policy)
    }
