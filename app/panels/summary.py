"""What a juror has at hand while scoring a body: its SAQ per indicator (as declared and as
verified), its evidence (file names and links, read-only) and its other component scores."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.cycles.models import Cycle
from app.cycles.scoring import get_scoring_config
from app.evidence.models import EvidenceFile, LinkCheck
from app.evidence.service import latest_link_checks
from app.questionnaires.models import Indicator, Item
from app.results import service as results
from app.results.models import ComponentScore
from app.results.rules import SAQ


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    name: str
    weight: Decimal
    declared: Decimal
    verified: Decimal


@dataclass(frozen=True)
class EvidenceLine:
    name: str
    item_code: str
    size: int


@dataclass(frozen=True)
class SubmissionSummary:
    """A body's submission as a juror sees it (nothing here can be changed)."""

    submitted: bool
    declared_total: Decimal | None
    verified_total: Decimal | None
    indicators: list[IndicatorLine]
    files: list[EvidenceLine]
    links: list[LinkCheck]
    components: list[tuple[str, Decimal, str]]  # name, score, source


def submission_summary(db: Session, cycle: Cycle, body: Body) -> SubmissionSummary:
    """The body's SAQ per indicator (declared, verified), evidence and component scores."""
    frame = results.narrow_frame(results.cycle_frame(db, cycle), [body.id])
    verified = results.saq_scores(db, cycle, frame).get(body.id)
    declared = results.saq_scores(db, cycle, frame, declared=True).get(body.id)
    lines: list[IndicatorLine] = []
    if verified is not None and declared is not None:
        category = frame.categories[frame.body_category[body.id]]
        names = dict(
            db.execute(
                select(Indicator.code, Indicator.name).where(
                    Indicator.questionnaire_id == category.questionnaire_id
                )
            ).all()
        )
        lines = [
            IndicatorLine(
                v.indicator_code, names.get(v.indicator_code, ""), v.weight, d.score, v.score
            )
            for v, d in zip(verified.indicators, declared.indicators, strict=True)
        ]
    files = db.execute(
        select(EvidenceFile.original_name, Item.code, EvidenceFile.size)
        .outerjoin(Item, Item.id == EvidenceFile.item_id)
        .where(
            EvidenceFile.body_id == body.id,
            EvidenceFile.superseded_by_id.is_(None),
            or_(EvidenceFile.cycle_id == cycle.id, EvidenceFile.cycle_id.is_(None)),
        )
        .order_by(Item.code, EvidenceFile.original_name)
    ).all()
    config = get_scoring_config(db, cycle)
    component_names = {c.code: c.name for c in config.components}
    components = [
        (component_names.get(c.component_code, c.component_code), c.score, c.source)
        for c in db.scalars(
            select(ComponentScore)
            .where(ComponentScore.cycle_id == cycle.id, ComponentScore.body_id == body.id)
            .order_by(ComponentScore.component_code)
        )
        if c.component_code != SAQ
    ]
    return SubmissionSummary(
        submitted=verified is not None,
        declared_total=declared.total if declared else None,
        verified_total=verified.total if verified else None,
        indicators=lines,
        files=[EvidenceLine(name, code or "", size) for name, code, size in files],
        links=latest_link_checks(db, body, cycle_id=cycle.id),
        components=components,
    )
