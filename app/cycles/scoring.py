"""A cycle's scoring rules as stored data, read back as the pure `ScoringConfig`.

`get_scoring_config(db, cycle)` is what the results domain calls: components and weights,
bands, the shortlist rule, the policies, the tie-break list and the award rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.cycles.access import actor_id, require_manager
from app.cycles.models import AwardRuleRow, Cycle, CycleStage, QualificationBand, ScoreComponent
from app.cycles.rules import (
    AwardKind,
    AwardRule,
    Band,
    Combine,
    Component,
    NonShortlisted,
    NonSubmitter,
    ScoringConfig,
    ShortlistRule,
    TieBreak,
    config_errors,
)
from app.errors import ValidationFailed
from app.questionnaires.models import Indicator, Questionnaire


def get_scoring_config(db: Session, cycle: Cycle) -> ScoringConfig:
    """Every scoring rule of the cycle as pure data."""
    components = db.scalars(
        select(ScoreComponent)
        .where(ScoreComponent.cycle_id == cycle.id)
        .order_by(ScoreComponent.position, ScoreComponent.id)
    )
    bands = db.scalars(
        select(QualificationBand)
        .where(QualificationBand.cycle_id == cycle.id)
        .order_by(QualificationBand.min_score.desc())
    )
    awards = db.scalars(
        select(AwardRuleRow)
        .where(AwardRuleRow.cycle_id == cycle.id)
        .order_by(AwardRuleRow.position, AwardRuleRow.id)
    )
    return ScoringConfig(
        components=tuple(Component(c.code, c.name, c.weight) for c in components),
        bands=tuple(Band(b.name, b.min_score) for b in bands),
        shortlist=ShortlistRule(
            threshold=cycle.shortlist_threshold,
            threshold_inclusive=cycle.shortlist_threshold_inclusive,
            top_n=cycle.shortlist_top_n,
            combine=Combine(cycle.shortlist_combine),
        ),
        non_shortlisted=NonShortlisted(cycle.non_shortlisted_policy),
        shortlisted_rank_first=cycle.shortlisted_rank_first,
        non_submitter=NonSubmitter(cycle.non_submitter_policy),
        tie_breaks=tuple(TieBreak.parse(t) for t in cycle.tie_breaks or []),
        awards=tuple(
            AwardRule(
                kind=AwardKind(a.kind),
                name=a.name,
                band_name=a.band_name,
                top_n=a.top_n,
                indicator_code=a.indicator_code,
                per_category=a.per_category,
            )
            for a in awards
        ),
    )


def indicator_codes_of_cycle(db: Session, cycle: Cycle) -> set[str]:
    """Indicator codes of every questionnaire of the cycle (tie-breaks and awards name them)."""
    return set(
        db.scalars(
            select(Indicator.code)
            .join(Questionnaire, Questionnaire.id == Indicator.questionnaire_id)
            .where(Questionnaire.cycle_id == cycle.id)
        )
    )


def scoring_problems(db: Session, cycle: Cycle, config: ScoringConfig) -> list[str]:
    stage_codes = set(db.scalars(select(CycleStage.code).where(CycleStage.cycle_id == cycle.id)))
    return config_errors(
        config, stage_codes=stage_codes, indicator_codes=indicator_codes_of_cycle(db, cycle)
    )


def save_scoring_config(
    db: Session, actor: Actor, cycle: Cycle, config: ScoringConfig
) -> ScoringConfig:
    """Replace the cycle's scoring rules after checking them; audited with before and after."""
    require_manager(actor, cycle)
    problems = scoring_problems(db, cycle, config)
    if problems:
        raise ValidationFailed(" ".join(problems))
    before = config_as_dict(get_scoring_config(db, cycle))
    write_config(db, cycle, config)
    after = config_as_dict(config)
    if before != after:
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=cycle.organisation_id,
            action="cycle.rules_saved",
            object_type="cycle",
            object_id=cycle.id,
            before=before,
            after=after,
        )
    return config


def write_config(db: Session, cycle: Cycle, config: ScoringConfig) -> None:
    """Store a (checked) configuration, replacing what the cycle had."""
    for model in (ScoreComponent, QualificationBand, AwardRuleRow):
        db.execute(delete(model).where(model.cycle_id == cycle.id))
    for i, c in enumerate(config.components):
        db.add(
            ScoreComponent(cycle_id=cycle.id, code=c.code, name=c.name, weight=c.weight, position=i)
        )
    for i, b in enumerate(sorted(config.bands, key=lambda b: b.min_score, reverse=True)):
        db.add(QualificationBand(cycle_id=cycle.id, name=b.name, min_score=b.min_score, position=i))
    for i, a in enumerate(config.awards):
        db.add(
            AwardRuleRow(
                cycle_id=cycle.id,
                kind=str(a.kind),
                name=a.name,
                band_name=a.band_name,
                top_n=a.top_n,
                indicator_code=a.indicator_code,
                per_category=a.per_category,
                position=i,
            )
        )
    s = config.shortlist
    cycle.shortlist_threshold = s.threshold
    cycle.shortlist_threshold_inclusive = s.threshold_inclusive
    cycle.shortlist_top_n = s.top_n
    cycle.shortlist_combine = str(s.combine)
    cycle.non_shortlisted_policy = str(config.non_shortlisted)
    cycle.shortlisted_rank_first = config.shortlisted_rank_first
    cycle.non_submitter_policy = str(config.non_submitter)
    cycle.tie_breaks = [str(t) for t in config.tie_breaks]
    db.flush()


def config_as_dict(config: ScoringConfig) -> dict[str, Any]:
    """The configuration as plain JSON-able data (audit records and the API)."""

    def dec(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    return {
        "components": [
            {"code": c.code, "name": c.name, "weight": c.weight} for c in config.components
        ],
        "bands": [{"name": b.name, "min_score": dec(b.min_score)} for b in config.bands],
        "shortlist": {
            "threshold": dec(config.shortlist.threshold),
            "threshold_inclusive": config.shortlist.threshold_inclusive,
            "top_n": config.shortlist.top_n,
            "combine": str(config.shortlist.combine),
        },
        "non_shortlisted": str(config.non_shortlisted),
        "shortlisted_rank_first": config.shortlisted_rank_first,
        "non_submitter": str(config.non_submitter),
        "tie_breaks": [str(t) for t in config.tie_breaks],
        "awards": [
            {
                "kind": str(a.kind),
                "name": a.name,
                "band_name": a.band_name,
                "top_n": a.top_n,
                "indicator_code": a.indicator_code,
                "per_category": a.per_category,
            }
            for a in config.awards
        ],
    }
