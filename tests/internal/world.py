"""A commission with a PPID utama body, its units and their people, and the body's internal monev
with an open internal cycle copied from the commission's questionnaire."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.cycles.models import Cycle
from app.internal import service
from app.internal.models import InternalMonev, InternalUnit
from app.orgs.models import Organisation
from tests.factories import Factory
from tests.verification.helpers import add_body


@dataclass
class InternalWorld:
    org: Organisation  # the commission
    ccycle: Cycle  # the commission's open cycle, the PPID utama a target
    parent: Body
    units: list[Body]
    lead: User  # operator of the PPID utama
    atasan: User
    unit_ops: list[User]
    monev: InternalMonev
    iorg: Organisation
    icycle: Cycle

    def outside(self, factory: Factory, user: User) -> Actor:
        return factory.actor(user, self.org)

    def inside(self, factory: Factory, user: User) -> Actor:
        return factory.actor(user, self.iorg)

    def mirror(self, db: Session, unit: Body) -> Body:
        mirror_id = db.scalar(
            select(InternalUnit.mirror_body_id).where(InternalUnit.unit_body_id == unit.id)
        )
        body = db.get(Body, mirror_id)
        assert body is not None
        return body


def build(
    factory: Factory, db: Session, *, units: int = 3, open_cycle: bool = True
) -> InternalWorld:
    org = factory.commission()
    ccycle = factory.cycle(org, is_open=True)
    parent = add_body(factory, db, ccycle)
    made = [
        factory.body(org, f"Dinas Uji {i} {parent.id}", parent_id=parent.id) for i in range(units)
    ]
    lead = factory.user(org, Role.OPERATOR, body=parent)
    atasan = factory.user(org, Role.ATASAN_PPID, body=parent)
    unit_ops = [factory.user(org, Role.OPERATOR, body=u) for u in made]
    monev = service.start_internal_monev(db, factory.actor(lead, org), parent.id)
    iorg = db.get(Organisation, monev.organisation_id)
    assert iorg is not None
    icycle = service.create_internal_cycle(
        db, factory.actor(lead, org), monev, name="Monev Internal 2025", year=2025
    )
    if open_cycle:
        factory.schedule(iorg, icycle, is_open=True)
    return InternalWorld(org, ccycle, parent, made, lead, atasan, unit_ops, monev, iorg, icycle)
