"""The one place where a cycle's stored `ScoringConfig` becomes the results' pure rules.

`app.cycles.rules.ScoringConfig` is what the sekretariat edits (components with integer
weights, bands, policies, `TieBreak` rows, award rules); the results rules take `ScoringRules`,
`RankingPolicy` and `AwardRules`. Every service and the benchmark go through these functions.
"""

from __future__ import annotations

from decimal import Decimal

from app.cycles.rules import AwardKind, NonShortlisted, NonSubmitter, ScoringConfig, TieBreak
from app.results.rules.awards import AwardRules, AwardScope, IndicatorAward
from app.results.rules.final import (
    SAQ,
    ComponentWeight,
    NonShortlistedPolicy,
    NonSubmitterPolicy,
    ScoringRules,
)
from app.results.rules.ranking import SHARED, RankingPolicy

_NON_SHORTLISTED = {
    NonShortlisted.SAQ_ONLY: NonShortlistedPolicy.SAQ_ONLY,
    NonShortlisted.WEIGHTED_MISSING_ZERO: NonShortlistedPolicy.WEIGHTED_MISSING_ZERO,
}
_NON_SUBMITTER = {
    NonSubmitter.TIDAK_INFORMATIF: NonSubmitterPolicy.TIDAK_INFORMATIF_ZERO,
    NonSubmitter.NOT_ASSESSED: NonSubmitterPolicy.NOT_ASSESSED,
}


def tie_break_criterion(tie_break: TieBreak) -> str:
    """A cycles `TieBreak` ("component:saq", "indicator:2", "shared") as a ranking criterion."""
    if tie_break.kind == "shared":
        return SHARED
    if tie_break.kind in ("component", "indicator") and tie_break.ref:
        return f"{tie_break.kind}:{tie_break.ref}"
    raise ValueError(f"unknown tie-break {tie_break!s}")


def scoring_rules(config: ScoringConfig) -> ScoringRules:
    """The final-score formula of a cycle."""
    return ScoringRules(
        components=tuple(ComponentWeight(c.code, Decimal(c.weight)) for c in config.components),
        bands=config.bands,
        saq_component=SAQ,
        non_shortlisted=_NON_SHORTLISTED[config.non_shortlisted],
        non_submitter=_NON_SUBMITTER[config.non_submitter],
    )


def ranking_policy(config: ScoringConfig) -> RankingPolicy:
    """The declared ranking policy: tie-breaks in order, shortlisted bodies first or not."""
    criteria = tuple(tie_break_criterion(t) for t in config.tie_breaks)
    return RankingPolicy(
        tie_break=criteria or (SHARED,), shortlisted_first=config.shortlisted_rank_first
    )


def award_rules(config: ScoringConfig) -> tuple[AwardRules, tuple[str, ...]]:
    """The award rules and the names of the special prizes given by hand."""
    policy = ranking_policy(config)
    band = next((a for a in config.awards if a.kind == AwardKind.BAND), None)
    top = next((a for a in config.awards if a.kind == AwardKind.TOP_N), None)
    indicator_awards = tuple(
        IndicatorAward(
            name=a.name,
            indicator_code=a.indicator_code,
            scope=AwardScope.CATEGORY if a.per_category else AwardScope.CYCLE,
            tie_break=policy.tie_break,
        )
        for a in config.awards
        if a.kind == AwardKind.BEST_INDICATOR
    )
    rules = AwardRules(
        all_informatif=band is not None,
        informatif=band.band_name if band else "Informatif",
        top_n_per_category=(top.top_n or 0) if top else 0,
        indicator_awards=indicator_awards,
    )
    special = tuple(a.name for a in config.awards if a.kind == AwardKind.SPECIAL)
    return rules, special
