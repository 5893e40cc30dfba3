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


def _criterion_getters(
    criteria: Sequence[str],
) -> list[tuple[str, str]]:
    """Each criterion before "shared" as (where the value lives, its key), resolved once."""
    getters: list[tuple[str, str]] = []
    for criterion in criteria:
        if criterion == SHARED:
            break
        if criterion == FINAL:
            getters.append(("final", ""))
        elif criterion == VERIFIED_SAQ:
            getters.append(("saq", ""))
        elif criterion.startswith("indicator:"):
            getters.append(("indicators", criterion.removeprefix("indicator:")))
        elif criterion.startswith("component:"):
            getters.append(("components", criterion.removeprefix("component:")))
        else:
            raise ValueError(f"unknown tie-break criterion {criterion!r}")
    return getters


def rank_category(results: Sequence[FinalScore], policy: RankingPolicy) -> tuple[RankedBody, ...]:
    """Competition ranks of one category's assessed submitters, best first."""
    errors = tie_break_errors(policy.tie_break)
    if errors:
        raise ValueError(" ".join(errors))
    if len({r.category for r in results}) > 1:
        raise ValueError("rank one category at a time")
    getters = _criterion_getters(policy.tie_break)
    keyed: list[tuple[tuple[object, ...], int, FinalScore, Decimal, tuple[Decimal, ...]]] = []
    for r in results:
        published = r.published
        if published is None or not r.inputs.submitted:
            continue
        group = 0 if r.shortlisted or not policy.shortlisted_first else 1
        values: list[Decimal] = []
        for where, ref in getters:
            if where == "final":
                value = published
            elif where == "saq":
                value = r.inputs.components.get(r.rules.saq_component, ZERO)
            elif where == "indicators":
                value = r.inputs.indicators.get(ref, ZERO)
            else:
                value = r.inputs.components.get(ref, ZERO)
            values.append(publish_round(value))
        keyed.append(
            ((group, -published, *(-v for v in values)), r.body_id, r, published, tuple(values))
        )
    keyed.sort(key=lambda k: (k[0], k[1]))
    ranked: list[RankedBody] = []
    last = len(keyed) - 1
    rank = 0
    for position, (order, body_id, r, published, ties) in enumerate(keyed):
        same_as_previous = position > 0 and keyed[position - 1][0] == order
        same_as_next = position < last and keyed[position + 1][0] == order
        if not same_as_previous:
            rank = position + 1
        ranked.append(
            RankedBody(
                body_id,
                r.category,
                published,
                rank,
                same_as_previous or same_as_next,
                r.shortlisted,
                ties,
            )
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
