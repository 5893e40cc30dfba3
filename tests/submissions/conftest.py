"""A body's SAQ world: an open cycle, the body's team (PPID utama operator, a named operator,
the atasan PPID, a PPID pelaksana unit), another body, the sekretariat and outsiders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.orgs.models import Organisation
from app.submissions import service
from tests.factories import Factory


@dataclass
class World:
    org: Organisation
    cycle: Cycle
    body: Body
    unit: Body
    other_body: Body
    users: dict[str, User]
    factory: Factory

    def actor(self, name: str) -> Actor:
        return self.factory.actor(self.users[name], self.org)

    def ws(self, name: str, body: Body | None = None) -> service.Workspace:
        return service.get_workspace(
            self.factory.db, self.actor(name), self.cycle.id, (body or self.body).id
        )

    def item(self, code: str) -> int:
        ws = self.ws("sekretariat")
        return next(it.id for it in ws.bq.spec.items if it.code == code)

    def indicator(self, code: str) -> int:
        ws = self.ws("sekretariat")
        return next(i.id for i in ws.indicators if i.code == code)


def _target(db: Session, cycle: Cycle, category: str) -> Body:
    body = db.scalar(
        select(Body)
        .join(CycleTarget, CycleTarget.body_id == Body.id)
        .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
        .where(CycleTarget.cycle_id == cycle.id, CycleCategory.code == category)
    )
    assert body is not None
    return body


def build(factory: Factory, **cycle_kw: Any) -> World:
    db = factory.db
    org = factory.commission()
    foreign = factory.commission()
    cycle = factory.cycle(org, is_open=True, **cycle_kw)
    body = _target(db, cycle, "pemkab_pemkot")
    other = _target(db, cycle, "opd_pemprov")
    unit = factory.body(org, name=f"Dinas Uji di bawah {body.name}", parent_id=body.id)
    users = {
        "operator": factory.user(org, Role.OPERATOR, body=body),
        "colleague": factory.user(org, Role.OPERATOR, body=body),
        "atasan": factory.user(org, Role.ATASAN_PPID, body=body),
        "unit_operator": factory.user(org, Role.OPERATOR, body=unit),
        "other_operator": factory.user(org, Role.OPERATOR, body=other),
        "sekretariat": factory.user(org, Role.SEKRETARIAT),
        "juri": factory.user(org, Role.JURI),
        "outsider": factory.user(foreign, Role.SEKRETARIAT),
    }
    return World(org, cycle, body, unit, other, users, factory)


@pytest.fixture
def w(factory: Factory) -> World:
    return build(factory)


# Both storage backends (S3 on moto's real server) for the evidence export.
from tests.evidence.conftest import local_storage, moto_endpoint, s3_storage, storage  # noqa: E402,F401
