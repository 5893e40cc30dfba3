"""A presentation world: a shortlisted cycle, two panels (rooms), jurors, a chair and a rubric."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.cycles.models import Cycle
from app.orgs.models import Organisation
from app.panels import service as panels
from app.panels.models import Panel
from tests.factories import Factory


@dataclass
class World:
    org: Organisation
    cycle: Cycle
    bodies: list[Body]
    sek: User
    jurors: list[User]
    rooms: list[Panel]
    factory: Factory

    def actor(self, user: User) -> Actor:
        return self.factory.actor(user, self.org)

    @property
    def sek_actor(self) -> Actor:
        return self.actor(self.sek)


@pytest.fixture
def world(factory: Factory, db: Session) -> World:
    org = factory.commission()
    cycle, bodies = factory.presentation_cycle(org, bodies=4)
    sek = factory.user(org, Role.SEKRETARIAT)
    jurors = [factory.user(org, Role.JURI) for _ in range(6)]
    w = World(org, cycle, bodies, sek, jurors, [], factory)
    sa = w.sek_actor
    panels.use_default_rubric(db, sa, cycle)
    w.rooms = [
        panels.create_panel(db, sa, cycle, name="Ruang A", location="Aula lt. 2"),
        panels.create_panel(db, sa, cycle, name="Ruang B", meeting_url="https://meet.example/b"),
    ]
    for i, juror in enumerate(jurors):
        room = w.rooms[i // 3]
        panels.add_juror(db, sa, room, cycle, user_id=juror.id, is_chair=i % 3 == 0)
    return w


def ready(db: Session, w: World, user: User, panel: Panel) -> Actor:
    """The juror accepts the pact and confirms the declaration."""
    a = w.actor(user)
    panels.accept_pact(db, a, panel, agree=True)
    panels.confirm_declaration(db, a, panel)
    return a


def ratings(**kw: Any) -> panels.ScoreInput:
    base = {"komitmen": "5", "inovasi": "4", "strategi": "3", "jawaban": "4", "pimpinan_hadir": "5"}
    base.update({k: str(v) for k, v in kw.items()})
    return panels.ScoreInput(ratings=base, comments={"jawaban": "Jawaban jelas."})
