"""Awards determination from the cycle's award rules and the computed results.

All Informatif bodies; the top N of each category (by rank, so bodies sharing the N-th rank all
win); the best body per indicator (per category or over the whole cycle) with the award's own
tie-break, since many bodies reach an indicator's maximum; and special named prizes given by hand.
A body may win several awards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.cycles.rules import publish_round
from app.results.rules.final import FinalScore
from app.results.rules.ranking import FINAL, SHARED, RankedBody, tie_break_errors, tie_break_values

INFORMATIF = "Informatif"


class AwardKind(StrEnum):
    INFORMATIF = "informatif"
    TOP = "top"
    INDICATOR = "indicator"
    SPECIAL = "special"


class AwardScope(StrEnum):
    CATEGORY = "category"
    CYCLE = "cycle"


@dataclass(frozen=True, slots=True)
class IndicatorAward:
    """A thematic prize for the best score on one indicator (e.g. "Kualitas Informasi Terbaik").

    `qualification` limits it to bodies of that band (None = every assessed body); `tie_break`
    uses the ranking criteria ("final", "verified_saq", "indicator:<code>", "component:<code>",
    "shared"); bodies still tied share the prize.
    """

    name: str
    indicator_code: str
    scope: AwardScope = AwardScope.CATEGORY
    tie_break: tuple[str, ...] = (FINAL, SHARED)
    qualification: str | None = None


@dataclass(frozen=True, slots=True)
class AwardRules:
    """A cycle's award rules."""

    all_informatif: bool = True
    informatif: str = INFORMATIF
    top_n_per_category: int = 3
    indicator_awards: tuple[IndicatorAward, ...] = ()


@dataclass(frozen=True, slots=True)
class SpecialAward:
    """A named prize given by hand (e.g. "Terfavorit", best leader)."""

    body_id: int
    name: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Award:
    """One award to one body: what it is for, in which category (None = whole cycle)."""

    kind: AwardKind
    name: str
    body_id: int
    category: str | None
    rank: int | None
    score: Decimal | None
    shared: bool
    reason: str = ""


def award_rules_errors(rules: AwardRules, indicator_codes: Iterable[str]) -> list[str]:
    """Plain-language problems with award rules (empty when usable)."""
    errors: list[str] = []
    if rules.top_n_per_category < 0:
        errors.append("Jumlah terbaik per kategori tidak boleh negatif.")
    codes = set(indicator_codes)
    for award in rules.indicator_awards:
        if award.indicator_code not in codes:
            errors.append(f"{award.name}: indikator {award.indicator_code} tidak dikenal.")
        errors.extend(f"{award.name}: {e}" for e in tie_break_errors(award.tie_break))
    return errors


def _best_on_indicator(
    award: IndicatorAward, candidates: Sequence[FinalScore], category: str | None
) -> list[Award]:
    keyed = []
    for r in candidates:
        value = r.inputs.indicators.get(award.indicator_code)
        if value is None or (award.qualification and r.qualification != award.qualification):
            continue
        published = publish_round(value)
        keyed.append(((published, *tie_break_values(r, award.tie_break)), published, r))
    if not keyed:
        return []
    best = max(k[0] for k in keyed)
    winners = sorted((k for k in keyed if k[0] == best), key=lambda k: k[2].body_id)
    shared = len(winners) > 1
    return [
        Award(AwardKind.INDICATOR, award.name, r.body_id, category, 1, value, shared)
        for _, value, r in winners
    ]


def determine_awards(
    results: Iterable[FinalScore],
    ranking: Mapping[int, RankedBody],
    rules: AwardRules,
    special: Iterable[SpecialAward] = (),
) -> tuple[Award, ...]:
    """Every award of the cycle: Informatif, top N, best per indicator, then special prizes."""
    assessed = [r for r in results if r.published is not None]
    by_id = {r.body_id: r for r in assessed}
    awards: list[Award] = []
    if rules.all_informatif:
        awards += [
            Award(
                AwardKind.INFORMATIF,
                rules.informatif,
                r.body_id,
                r.category,
                ranking[r.body_id].rank if r.body_id in ranking else None,
                r.published,
                False,
            )
            for r in sorted(assessed, key=lambda r: (r.category, -(r.published or 0), r.body_id))
            if r.qualification == rules.informatif
        ]
    tops = sorted(
        (p for p in ranking.values() if p.rank <= rules.top_n_per_category),
        key=lambda p: (p.category, p.rank, p.body_id),
    )
    for p in tops:
        name = f"Terbaik {p.rank}"
        awards.append(
            Award(AwardKind.TOP, name, p.body_id, p.category, p.rank, p.published, p.shares_rank)
        )
    for award in rules.indicator_awards:
        if award.scope == AwardScope.CYCLE:
            awards += _best_on_indicator(award, assessed, None)
            continue
        for category in sorted({r.category for r in assessed}):
            in_category = [r for r in assessed if r.category == category]
            awards += _best_on_indicator(award, in_category, category)
    for prize in special:
        winner = by_id.get(prize.body_id)
        if winner is None:
            raise ValueError(f"special award {prize.name!r} for a body without a result")
        rank = ranking[winner.body_id].rank if winner.body_id in ranking else None
        awards.append(
            Award(
                AwardKind.SPECIAL,
                prize.name,
                winner.body_id,
                winner.category,
                rank,
                winner.published,
                False,
                prize.reason,
            )
        )
    return tuple(awards)
