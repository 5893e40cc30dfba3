"""Building a cycle with submitted, verified answers directly (results tests)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles import scoring
from app.cycles.access import system_actor
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.cycles.rules import Component, ShortlistRule
from app.orgs.models import Organisation
from app.questionnaires.models import Item, Questionnaire
from app.submissions.models import Answer, Submission, SubmissionStatus
from tests.factories import Factory


def targets(db: Session, cycle: Cycle) -> dict[str, int]:
    """Category code → the body id the factory made a target of it."""
    rows = db.execute(
        select(CycleCategory.code, CycleTarget.body_id)
        .join(CycleTarget, CycleTarget.cycle_category_id == CycleCategory.id)
        .where(CycleCategory.cycle_id == cycle.id)
    )
    return {c: b for c, b in rows}


def add_target(factory: Factory, db: Session, cycle: Cycle, category: str) -> int:
    from app.cycles import categories

    org = db.get(Organisation, cycle.organisation_id)
    assert org is not None
    cat = db.scalars(
        select(CycleCategory).where(
            CycleCategory.cycle_id == cycle.id, CycleCategory.code == category
        )
    ).one()
    body = factory.body(org, category=category)
    categories.set_target(db, system_actor(org.id), cycle, body_id=body.id, category_id=cat.id)
    return body.id


def submit(
    db: Session,
    cycle: Cycle,
    body_id: int,
    credits: dict[str, int] | None = None,
    default: int = 10_000,
) -> None:
    """A submitted SAQ answering every item (even ones not applying), verified credit per code."""
    sub = Submission(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=body_id,
        status=SubmissionStatus.SUBMITTED,
    )
    db.add(sub)
    db.flush()
    items = db.scalars(
        select(Item)
        .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
        .where(Questionnaire.cycle_id == cycle.id)
    )
    for item in items:
        credit = (credits or {}).get(item.code, default)
        db.add(
            Answer(
                submission_id=sub.id,
                cycle_id=cycle.id,
                body_id=body_id,
                item_id=item.id,
                indicator_id=item.indicator_id,
                declared="ya",
                credit_scaled=credit,
                declared_credit_scaled=credit,
            )
        )
    db.flush()


def set_rules(
    db: Session,
    cycle: Cycle,
    *,
    components: tuple[Component, ...] = (Component("saq", "SAQ", 100),),
    shortlist: ShortlistRule = ShortlistRule(),
    **kw: object,
) -> None:
    config = scoring.get_scoring_config(db, cycle)
    config = replace(config, components=components, shortlist=shortlist, **kw)  # type: ignore[arg-type]
    scoring.write_config(db, cycle, config)
    db.flush()


def sek(db: Session, cycle: Cycle) -> Actor:
    return system_actor(cycle.organisation_id)


D = Decimal


def open_stage_now(db: Session, cycle: Cycle, code: str = "publication") -> None:
    """Move a planned stage's window around now (tests of later stages on a fresh cycle)."""
    from datetime import timedelta

    from app.cycles.schedule import get_stage
    from app.db import utcnow

    stage = get_stage(db, cycle, code)
    assert stage is not None, code
    stage.opens_at = utcnow() - timedelta(days=1)
    stage.closes_at = utcnow() + timedelta(days=1)
    db.flush()
