"""The demo's partly filled SAQ: Kota Mojokerto has answers, Kota Pasuruan stays empty."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.demo.seed import PARTIAL_SAQ_BODY, seed
from app.submissions.models import Answer, Submission
from tests.cycles.test_demo_and_cli import jatim_cycle


def test_the_demo_fills_part_of_one_saq_once(db: Session) -> None:
    seed(db)
    _org, cycle = jatim_cycle(db)
    count = db.scalar(select(func.count(Answer.id)).where(Answer.cycle_id == cycle.id))
    seed(db)  # idempotent
    assert db.scalar(select(func.count(Answer.id)).where(Answer.cycle_id == cycle.id)) == count
    subs = db.scalars(select(Submission).where(Submission.cycle_id == cycle.id)).all()
    assert len(subs) == 1 and subs[0].status == "draft"
    body = db.get(Body, subs[0].body_id)
    assert body is not None and body.name == PARTIAL_SAQ_BODY
    assert count and 40 <= count <= 60
