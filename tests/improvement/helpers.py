"""A verified, published cycle and its clone for next year (improvement-loop tests)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles import service as cycles
from app.cycles.models import Cycle, CycleStatus
from app.evidence.models import EvidenceBlob, EvidenceFile
from app.evidence.storage import blob_key, get_storage
from app.questionnaires.models import Item
from app.results import service as results
from app.submissions.models import Answer, AnswerLink
from app.verification.models import Assignment, AssignmentStatus
from app.verification.service import apply_verdict, assign_verifier
from tests.factories import Factory
from tests.verification import helpers as vh

# Body 0's verifier rejects its profile link (2.1.1); everything else is accepted.
REJECTED = {"2.1.1": "Tautan profil tidak dapat dibuka."}
PROFILE_URL = "https://contoh.go.id/profil"


@dataclass
class Loop:
    w: vh.World
    kom: Actor

    @property
    def cycle(self) -> Cycle:
        return self.w.cycle


def answer_of(db: Session, cycle: Cycle, body_id: int, item: Item) -> Answer:
    found = db.scalar(
        select(Answer).where(
            Answer.cycle_id == cycle.id, Answer.body_id == body_id, Answer.item_id == item.id
        )
    )
    assert found is not None
    return found


def verify_all(db: Session, w: vh.World, body_index: int, rejected: dict[str, str]) -> None:
    """The body's verifier decides every applicable item (locked afterwards)."""
    body = w.bodies[body_index]
    verifier = w.verifiers[body_index % len(w.verifiers)]
    actor = Actor(
        user_id=verifier.id,
        email=verifier.email,
        full_name=verifier.full_name,
        is_admin=False,
        organisation_id=w.org.id,
    )
    for code, item in w.items.items():
        apply_verdict(
            db,
            actor,
            w.cycle,
            answer_of(db, w.cycle, body.id, item),
            item,
            verdict="rejected" if code in rejected else "accepted",
            note=rejected.get(code, ""),
            verified_option=None,
            source="verification",
        )
    a = db.scalar(
        select(Assignment).where(Assignment.cycle_id == w.cycle.id, Assignment.body_id == body.id)
    )
    assert a is not None
    a.status = AssignmentStatus.LOCKED
    db.flush()


def verified(factory: Factory, db: Session, *, bodies: int = 2) -> Loop:
    """Two bodies verified by two verifiers; body 0 loses 2.1.1, body 1 gets full credit."""
    w = vh.build(factory, db, bodies=bodies, verifiers=2)
    for i, body in enumerate(w.bodies):
        assign_verifier(db, w.sek, w.cycle, body_id=body.id, verifier_id=w.verifiers[i % 2].id)
    for i in range(bodies):
        verify_all(db, w, i, REJECTED if i == 0 else {})
    store_valid_pdfs(db, w)
    # Body 0 also gave its update schedule as a link (carried forward next year).
    db.add(
        AnswerLink(
            cycle_id=w.cycle.id, body_id=w.bodies[0].id, item_id=w.items["1.1"].id, url=PROFILE_URL
        )
    )
    db.flush()
    return Loop(w, factory.actor(w.users["komisioner"], w.org))


def publish(db: Session, loop: Loop) -> None:
    """Compute, approve and publish the SK of the loop's cycle."""
    from tests.results.helpers import open_stage_now

    open_stage_now(db, loop.cycle)
    rs = results.compute_and_store(db, loop.w.sek, loop.cycle)
    decree = results.draft_decree(db, loop.w.sek, loop.cycle, rs)
    results.approve_decree(db, loop.kom, loop.cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    results.publish_decree(db, loop.kom, loop.cycle, decree)


def next_year(db: Session, loop: Loop) -> Cycle:
    """Next year's cycle cloned from the loop's, open, with its SAQ stage open now."""
    new = cycles.clone_cycle(db, loop.w.sek, loop.cycle, name="Monev Tahun Depan", year=2026)
    new.status = CycleStatus.OPEN
    vh.set_stage(db, new, "saq")
    db.flush()
    return new


def item(db: Session, cycle: Cycle, code: str) -> Item:
    return vh.items_of(db, cycle)[code]


def valid_pdf() -> bytes:
    """A one-page PDF that passes the evidence pre-check."""
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, "SK PPID")
    c.showPage()
    c.save()
    return out.getvalue()


def store_valid_pdfs(db: Session, w: vh.World) -> None:
    """Give the cycle's evidence files real, pre-check-clean bytes in the storage."""
    data = valid_pdf()
    sha = hashlib.sha256(data).hexdigest()
    if db.get(EvidenceBlob, sha) is None:
        db.add(EvidenceBlob(sha256=sha, size=len(data)))
        db.flush()
    get_storage().put_stream(blob_key(sha), io.BytesIO(data))
    for ef in db.scalars(select(EvidenceFile).where(EvidenceFile.cycle_id == w.cycle.id)):
        ef.blob_sha256, ef.size = sha, len(data)
    db.flush()
