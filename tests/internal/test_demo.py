"""The demo: Kota Pasuruan's internal monev of its seven PPID pelaksana units."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.rules import Role
from app.bodies.models import Body
from app.cycles.models import Cycle, CycleTarget
from app.demo.seed import DEMO_DOMAIN, INTERNAL_BODY, INTERNAL_CYCLE, seed
from app.internal import service as internal
from app.internal.models import InternalUnit


def test_the_demo_city_runs_an_internal_cycle_for_its_seven_units_once(db: Session) -> None:
    seed(db)
    seed(db)  # idempotent
    city = db.scalars(select(Body).where(Body.name == INTERNAL_BODY)).one()
    monev = internal.internal_of_body(db, city.id)
    assert monev is not None
    units = db.scalar(
        select(func.count(InternalUnit.id)).where(InternalUnit.internal_monev_id == monev.id)
    )
    assert units == 7
    cycle = db.scalars(select(Cycle).where(Cycle.name == INTERNAL_CYCLE)).one()
    assert cycle.organisation_id == monev.organisation_id and cycle.is_open
    targets = db.scalar(select(func.count()).where(CycleTarget.cycle_id == cycle.id))
    assert targets == 7
    user = accounts.get_user_by_email(db, f"operator.diskominfo-pasuruan@{DEMO_DOMAIN}")
    assert user is not None
    actor = accounts.build_actor(db, user, monev.organisation_id)
    assert actor.organisation_id == monev.organisation_id
    assert not actor.has(Role.SEKRETARIAT) and len(actor.body_ids) == 1
