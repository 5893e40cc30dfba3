"""A body's next action in a cycle, gathered from the database for `rules.next_action`.

Kept apart from the cycle dashboard so the cycles domain (home panel) can import it without
pulling in panels and results services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.cycles.models import Cycle
from app.cycles.rules import StageMoment
from app.dashboards.rules import BodyState, NextAction, next_action
from app.evidence.service import latest_link_checks
from app.panels.models import PanelSlot
from app.questionnaires.service import questionnaire_for_body
from app.results.models import ShortlistEntry
from app.submissions.models import Answer, Submission
from app.submissions.service import submission_of


def answered_condition() -> ColumnElement[bool]:
    """An answer counts as given once it has a declared value or text."""
    return or_(Answer.declared.is_not(None), Answer.text_value != "")


def is_answered(answer: Answer) -> bool:
    """`answered_condition` for an answer already loaded."""
    return answer.declared is not None or bool(answer.text_value)


@dataclass(frozen=True)
class KnownFacts:
    """What a page that already loaded the body's SAQ knows (spares `body_state` its queries):
    the submission, the number of items of its questionnaire, its links found broken and, when
    it loaded every answer of the submission, how many of them are given."""

    submission: Submission | None
    total_items: int
    broken_links: int
    answered: int | None = None


def body_state(
    db: Session, cycle: Cycle, body: Body, moment: StageMoment, known: KnownFacts | None = None
) -> BodyState:
    """Everything `next_action` needs about one body in one cycle."""
    sub = known.submission if known is not None else submission_of(db, cycle.id, body.id)
    answered = 0
    if known is not None and known.answered is not None:
        answered = known.answered
    elif sub is not None:
        answered = (
            db.scalar(
                select(func.count())
                .select_from(Answer)
                .where(Answer.submission_id == sub.id, answered_condition())
            )
            or 0
        )
    if known is not None:
        total_items, broken_links = known.total_items, known.broken_links
    else:
        bq = questionnaire_for_body(db, cycle, body.id)
        total_items = len(bq.spec.items) if bq else 0
        broken_links = len(latest_link_checks(db, body, cycle_id=cycle.id, only_problems=True))
    slot_at, shortlisted = db.execute(  # one statement: one slot at most (unique), listed or not
        select(
            select(PanelSlot.starts_at)
            .where(PanelSlot.cycle_id == cycle.id, PanelSlot.body_id == body.id)
            .scalar_subquery(),
            select(ShortlistEntry.id)
            .where(ShortlistEntry.cycle_id == cycle.id, ShortlistEntry.body_id == body.id)
            .exists(),
        )
    ).one()
    return BodyState(
        stage=moment.current.code if moment.current else None,
        stage_closes_at=moment.current.closes_at if moment.current else None,
        upcoming=moment.upcoming.code if moment.upcoming else None,
        upcoming_opens_at=moment.upcoming.opens_at if moment.upcoming else None,
        submission_status=sub.status if sub else None,
        answered=answered,
        total_items=total_items,
        broken_links=broken_links,
        shortlisted=bool(shortlisted),
        presentation_at=slot_at,
    )


def body_next_action(
    db: Session,
    cycle: Cycle,
    body: Body,
    moment: StageMoment,
    now: datetime,
    known: KnownFacts | None = None,
) -> NextAction:
    return next_action(body_state(db, cycle, body, moment, known), now)
