"""Decrees follow the cycle's schedule: approval in the plenary stage (when planned), publication
in the publication stage; an amendment may come later, never before."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.cycles.models import Cycle, CycleStage
from app.cycles.schedule import get_stage
from app.errors import DeadlinePassed, InvalidTransition
from app.orgs.models import Organisation
from app.results import service
from app.results.models import Decree, DecreeStatus
from tests.factories import Factory, form, login
from tests.results.helpers import add_target, sek, set_rules, submit, targets


def _cycle(factory: Factory, db: Session) -> tuple[Cycle, Actor]:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    set_rules(db, cycle)
    submit(db, cycle, targets(db, cycle)["pemkab_pemkot"])
    return cycle, factory.actor(factory.user(org, Role.KOMISIONER), org)


def _window(db: Session, cycle: Cycle, code: str) -> tuple[datetime, datetime]:
    stage = get_stage(db, cycle, code)
    assert stage is not None and stage.opens_at is not None and stage.closes_at is not None
    return stage.opens_at, stage.closes_at


def _draft(db: Session, cycle: Cycle, reason: str = "") -> Decree:
    rs = service.compute_and_store(db, sek(db, cycle), cycle)
    return service.draft_decree(db, sek(db, cycle), cycle, rs, reason=reason)


def test_publication_is_refused_before_the_publication_stage_opens(
    db: Session, factory: Factory
) -> None:
    cycle, kom = _cycle(factory, db)
    decree = _draft(db, cycle)
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    opens, _ = _window(db, cycle, "publication")
    with pytest.raises(InvalidTransition, match="Pengumuman hasil baru dibuka"):
        service.publish_decree(db, kom, cycle, decree, now=opens - timedelta(minutes=1))
    assert decree.status == DecreeStatus.APPROVED
    service.publish_decree(db, kom, cycle, decree, now=opens + timedelta(minutes=1))
    assert decree.status == DecreeStatus.PUBLISHED
    assert decree.published_at == opens + timedelta(minutes=1)


def test_a_first_publication_after_the_stage_closed_is_refused(
    db: Session, factory: Factory
) -> None:
    cycle, kom = _cycle(factory, db)
    decree = _draft(db, cycle)
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    _, closes = _window(db, cycle, "publication")
    with pytest.raises(DeadlinePassed, match="Pengumuman hasil ditutup"):
        service.publish_decree(db, kom, cycle, decree, now=closes)
    assert service.current_decree(db, cycle) is None


def test_a_cycle_without_a_publication_stage_cannot_publish(db: Session, factory: Factory) -> None:
    cycle, kom = _cycle(factory, db)
    stage = get_stage(db, cycle, "publication")
    db.delete(stage)
    db.flush()
    decree = _draft(db, cycle)
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    with pytest.raises(InvalidTransition, match="tidak ada dalam siklus"):
        service.publish_decree(db, kom, cycle, decree)


def test_approval_waits_for_a_planned_plenary_stage(db: Session, factory: Factory) -> None:
    cycle, kom = _cycle(factory, db)
    opens, _ = _window(db, cycle, "publication")
    db.add(
        CycleStage(
            cycle_id=cycle.id,
            code="plenary",
            position=99,
            opens_at=opens - timedelta(days=2),
            closes_at=opens - timedelta(days=1),
        )
    )
    db.flush()
    decree = _draft(db, cycle)
    with pytest.raises(InvalidTransition, match="Rapat pleno baru dibuka"):
        service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    assert decree.status == DecreeStatus.DRAFT
    service.approve_decree(
        db,
        kom,
        cycle,
        decree,
        sk_number="SK/1",
        sk_date="2025-12-01",
        now=opens - timedelta(days=1, hours=12),
    )
    assert decree.status == DecreeStatus.APPROVED


def test_an_amendment_is_published_after_the_window_but_never_before_it(
    db: Session, factory: Factory
) -> None:
    cycle, kom = _cycle(factory, db)
    opens, closes = _window(db, cycle, "publication")
    first = _draft(db, cycle)
    service.approve_decree(db, kom, cycle, first, sk_number="SK/1", sk_date="2025-12-01")
    service.publish_decree(db, kom, cycle, first, now=opens + timedelta(hours=1))
    amendment = _draft(db, cycle, reason="Kesalahan perhitungan")
    service.approve_decree(db, kom, cycle, amendment, sk_number="SK/2", sk_date="2025-12-20")
    service.publish_decree(db, kom, cycle, amendment, now=closes + timedelta(days=20))
    assert amendment.status == DecreeStatus.PUBLISHED
    assert first.status == DecreeStatus.SUPERSEDED


def test_the_page_says_why_publication_is_refused_and_keeps_the_decree(
    client: TestClient, factory: Factory, db: Session
) -> None:
    cycle, _ = _cycle(factory, db)
    add_target(factory, db, cycle, "pemkab_pemkot")
    org = db.get(Organisation, cycle.organisation_id)
    assert org is not None
    kom_user = factory.user(org, Role.KOMISIONER)
    decree = _draft(db, cycle)
    service.approve_decree(
        db, factory.actor(kom_user), cycle, decree, sk_number="SK/1", sk_date="2025-12-01"
    )
    db.commit()
    login(client, db, kom_user)
    r = client.post(f"/siklus/{cycle.id}/sk/{decree.id}/terbitkan", data=form())
    assert r.status_code == 409
    assert "Pengumuman hasil baru dibuka" in r.text
    db.expire_all()
    assert db.get(Decree, decree.id).status == DecreeStatus.APPROVED  # type: ignore[union-attr]
