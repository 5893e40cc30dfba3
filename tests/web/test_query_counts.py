"""The main pages run a fixed number of SQL statements, whatever the number of rows they show:
each page is requested in a commission with N bodies and in one with 3N, and the counts must
match (an N+1 adds statements per row)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Role
from app.bodies.models import Body
from app.conflicts.models import Affiliation
from app.cycles.access import system_actor
from app.db import utcnow
from app.evidence.models import EvidenceFile
from app.orgs.models import Organisation
from app.panels.models import Panel, PanelMember, PanelSlot
from app.results import service as results
from app.verification.service import assign_verifier
from tests.factories import Factory, login
from tests.results.helpers import open_stage_now
from tests.sql import counting
from tests.verification.helpers import PDF, add_body, build, items_of, submit_saq

N = 2


@dataclass
class Commission:
    """A commission whose open cycle has `size` submitted bodies, assigned, ranked, published."""

    ids: dict[str, int]
    users: dict[str, User]


def make_commission(factory: Factory, db: Session, size: int) -> Commission:
    w = build(factory, db, bodies=size, verifiers=size)
    sa = system_actor(w.org.id)
    for body in w.bodies:
        assign_verifier(db, sa, w.cycle, body_id=body.id, verifier_id=w.verifiers[0].id)
    # The operator's body carries `size` more evidence files on one item.
    item = next(iter(items_of(db, w.cycle).values()))
    for n in range(size):
        db.add(
            EvidenceFile(
                organisation_id=w.org.id,
                body_id=w.bodies[0].id,
                blob_sha256=hashlib.sha256(PDF).hexdigest(),
                original_name=f"tambahan-{n}.pdf",
                content_type="application/pdf",
                size=len(PDF),
                uploaded_at=utcnow() - timedelta(hours=n + 1),
                cycle_id=w.cycle.id,
                item_id=item.id,
            )
        )
    for _ in range(size):  # more bodies in the registry, outside the cycle too
        factory.body(w.org)
    extra = add_body(factory, db, w.cycle)
    submit_saq(db, w.cycle, extra)
    kom = factory.actor(w.users["komisioner"], w.org)
    rs = results.compute_and_store(db, sa, w.cycle)
    decree = results.draft_decree(db, sa, w.cycle, rs)
    results.approve_decree(db, kom, w.cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    open_stage_now(db, w.cycle)
    results.publish_decree(db, kom, w.cycle, decree)
    add_panels(factory, db, w.org.id, w.cycle.id, w.bodies[:size])  # rooms of the next round
    return Commission(
        ids={"cycle": w.cycle.id, "body": w.bodies[0].id, "set": rs.id},
        users={**w.users, "verifikator": w.verifiers[0]},
    )


def add_panels(
    factory: Factory, db: Session, org_id: int, cycle_id: int, bodies: list[Body]
) -> None:
    """One presentation room per body, its juror affiliated with the body (a conflict)."""
    org = db.get(Organisation, org_id)
    start = utcnow()
    for n, body in enumerate(bodies):
        panel = Panel(organisation_id=org_id, cycle_id=cycle_id, name=f"Ruang {n + 1}")
        db.add(panel)
        db.flush()
        juror = factory.user(org, Role.JURI)
        db.add(PanelMember(panel_id=panel.id, user_id=juror.id, is_chair=True))
        db.add(
            PanelSlot(
                cycle_id=cycle_id,
                panel_id=panel.id,
                body_id=body.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
            )
        )
        db.add(
            Affiliation(
                organisation_id=org_id,
                user_id=juror.id,
                kind="other",
                name=body.name,
                body_id=body.id,
            )
        )
    db.flush()


Page = tuple[str | None, Callable[[dict[str, int]], str]]

PAGES: dict[str, Page] = {
    "body registry": ("sekretariat", lambda i: "/badan-publik"),
    "cycle overview": ("sekretariat", lambda i: f"/siklus/{i['cycle']}"),
    "cycle dashboard": ("sekretariat", lambda i: f"/siklus/{i['cycle']}/dasbor"),
    "SAQ list": ("sekretariat", lambda i: f"/siklus/{i['cycle']}/saq"),
    "body SAQ page": ("operator", lambda i: f"/siklus/{i['cycle']}/badan/{i['body']}/saq"),
    "verification tasks": ("verifikator", lambda i: "/verifikasi"),
    "verification dashboard": ("sekretariat", lambda i: f"/siklus/{i['cycle']}/verifikasi"),
    "result set": ("sekretariat", lambda i: f"/siklus/{i['cycle']}/hasil/{i['set']}"),
    "portal ranking": (None, lambda i: f"/hasil/{i['cycle']}"),
    "audit trail": ("sekretariat", lambda i: "/riwayat"),
}


def statements_for(
    client: TestClient, db: Session, engine: Engine, c: Commission, page: Page
) -> list[str]:
    persona, path = page
    client.cookies.clear()
    if persona is not None:
        login(client, db, c.users[persona])
    url = path(c.ids)
    assert client.get(url).status_code == 200, url  # warm: first-use lookups, caches
    with counting(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.statements


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_rows(
    name: str, client: TestClient, factory: Factory, db: Session, engine: Engine
) -> None:
    small = make_commission(factory, db, N)
    large = make_commission(factory, db, 3 * N)
    few = statements_for(client, db, engine, small, PAGES[name])
    many = statements_for(client, db, engine, large, PAGES[name])
    assert len(many) == len(few), "\n".join(s.split("\n")[0][:160] for s in many)


def test_the_counter_sees_statements_that_grow_with_rows(
    factory: Factory, db: Session, engine: Engine
) -> None:
    """A per-row loop is caught: the counter is not blind."""
    org = factory.commission()
    bodies = [factory.body(org) for _ in range(3)]
    db.flush()
    db.expire_all()
    with counting(engine) as counter:
        for b in bodies:
            db.get(Body, b.id)
    assert len(counter.statements) == 3


@pytest.mark.parametrize("name", ["body SAQ page", "cycle dashboard", "verification dashboard"])
def test_the_actors_commission_is_read_once_per_request(
    name: str, client: TestClient, factory: Factory, db: Session, engine: Engine
) -> None:
    # The session holds loaded objects weakly: the actor's commission is kept for the request,
    # so `cycle.organisation` finds it instead of reading it again.
    c = make_commission(factory, db, N)
    statements = statements_for(client, db, engine, c, PAGES[name])
    # (read with the actor's role grants, in the same statement)
    reads = [s for s in statements if re.search(r"\b(FROM|JOIN) organisations\b", s)]
    assert len(reads) == 1, reads
