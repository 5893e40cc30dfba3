"""Klarifikasi: a verifier asks the body a question on one item with a deadline; the body
answers (and may add evidence as a new file version, the submitted original stays); the
verifier closes the question and then decides the item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.access import actor_id, organisation_of
from app.cycles.models import Cycle
from app.cycles.rules import to_utc
from app.db import utcnow
from app.errors import Conflict, DeadlinePassed, InvalidTransition, NotFound, ValidationFailed
from app.evidence.models import EvidenceFile
from app.notifications.service import notify, notify_body
from app.verification.models import Clarification, ClarificationStatus
from app.verification.service import (
    VERIFY_STAGES,
    _answer_for,
    audit,
    get_assignment_for_verifier,
    require_any_stage_open,
)
from app.web.format import fmt_datetime


def ask_clarification(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    body_id: int,
    item_id: int,
    question: str,
    due: str | datetime,
    now: datetime | None = None,
) -> Clarification:
    """The assigned verifier asks the body about one item, to be answered before `due`."""
    assignment = get_assignment_for_verifier(db, actor, cycle, body_id)
    require_any_stage_open(db, cycle, VERIFY_STAGES, now=now)
    if assignment.is_locked:
        raise Conflict("Verifikasi badan publik ini sudah dikunci; klarifikasi tidak dapat dibuat.")
    answer, item = _answer_for(db, cycle, body_id, item_id)
    errors: dict[str, str] = {}
    question = (question or "").strip()
    if not question:
        errors["question"] = "Tulis pertanyaan klarifikasi."
    tz = organisation_of(db, cycle).timezone
    due_at: datetime | None = None
    try:
        due_at = due if isinstance(due, datetime) else to_utc(due, tz)
    except ValueError:
        errors["due"] = "Isi batas waktu jawaban (tanggal dan jam)."
    if due_at is not None and due_at <= (now or utcnow()):
        errors["due"] = "Batas waktu jawaban harus setelah saat ini."
    if errors or due_at is None:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    c = Clarification(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=body_id,
        answer_id=answer.id,
        item_id=item.id,
        question=question[:5000],
        due_at=due_at,
        asked_by_id=actor_id(actor),
    )
    db.add(c)
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "verification.clarification_asked",
        "clarification",
        c.id,
        after={"body_id": body_id, "item_code": item.code, "question": c.question, "due": due_at},
    )
    notify_body(
        db,
        body_id,
        organisation_id=cycle.organisation_id,
        kind="verification.clarification",
        title=f"Klarifikasi butir {item.code} (batas {fmt_datetime(due_at, tz)})",
        link=f"/siklus/{cycle.id}/klarifikasi",
    )
    return c


def get_clarification_for_body(db: Session, actor: Actor, clarification_id: int) -> Clarification:
    """A clarification addressed to a body the actor speaks for; anyone else gets 404."""
    c = db.get(Clarification, clarification_id)
    if c is None or not actor.acts_for_body(c.body_id):
        raise NotFound("Klarifikasi tidak ditemukan.")
    return c


def for_body(db: Session, cycle: Cycle, body_id: int) -> list[Clarification]:
    return list(
        db.scalars(
            select(Clarification)
            .where(Clarification.cycle_id == cycle.id, Clarification.body_id == body_id)
            .order_by(Clarification.id)
        )
    )


def _require_answerable(db: Session, c: Clarification, now: datetime | None) -> None:
    if c.status == ClarificationStatus.CLOSED:
        raise InvalidTransition("Klarifikasi ini sudah ditutup verifikator.")
    if (now or utcnow()) >= c.due_at:
        cycle = db.get(Cycle, c.cycle_id)
        assert cycle is not None
        tz = organisation_of(db, cycle).timezone
        raise DeadlinePassed(f"Batas waktu klarifikasi {fmt_datetime(c.due_at, tz)} terlewati.")


def answer_clarification(
    db: Session,
    actor: Actor,
    c: Clarification,
    *,
    response: str,
    now: datetime | None = None,
) -> Clarification:
    """The body answers a clarification before its deadline (it may answer again until closed)."""
    if not actor.acts_for_body(c.body_id):
        raise NotFound("Klarifikasi tidak ditemukan.")
    _require_answerable(db, c, now)
    response = (response or "").strip()
    if not response:
        raise ValidationFailed(
            "Tulis jawaban klarifikasi.", field_errors={"response": "Wajib diisi."}
        )
    before = {"status": c.status, "response": c.response}
    c.response = response[:5000]
    c.responded_at = utcnow()
    c.responded_by_id = actor_id(actor)
    c.status = ClarificationStatus.ANSWERED
    cycle = db.get(Cycle, c.cycle_id)
    assert cycle is not None
    audit(
        db,
        actor,
        cycle,
        "verification.clarification_answered",
        "clarification",
        c.id,
        before=before,
        after={"status": c.status, "response": c.response},
    )
    if c.asked_by_id:
        notify(
            db,
            [c.asked_by_id],
            kind="verification.clarification_answered",
            title="Badan publik menjawab klarifikasi",
            link=f"/verifikasi/{cycle.id}/badan/{c.body_id}#butir-{c.item_id}",
            organisation_id=cycle.organisation_id,
        )
    return c


def check_upload_allowed(db: Session, actor: Actor, clarification_id: int) -> Clarification:
    """Before the body's new evidence for a clarification is received."""
    c = get_clarification_for_body(db, actor, clarification_id)
    _require_answerable(db, c, None)
    return c


def attach_evidence(
    db: Session, actor: Actor, clarification_id: int, evidence_file_id: int
) -> Clarification:
    """Link the body's newly uploaded file (a new version; the original stays) to the answer."""
    c = check_upload_allowed(db, actor, clarification_id)
    ef = db.get(EvidenceFile, evidence_file_id)
    if ef is None or ef.body_id != c.body_id:
        raise NotFound("Berkas tidak ditemukan.")
    c.evidence_file_id = ef.id
    if c.status == ClarificationStatus.OPEN and not c.response:
        c.response = f"Data dukung baru: {ef.original_name}"
        c.responded_at = utcnow()
        c.responded_by_id = actor_id(actor)
    c.status = ClarificationStatus.ANSWERED
    cycle = db.get(Cycle, c.cycle_id)
    assert cycle is not None
    audit(
        db,
        actor,
        cycle,
        "verification.clarification_evidence",
        "clarification",
        c.id,
        after={"evidence_file_id": ef.id, "name": ef.original_name},
    )
    return c


def close_clarification(
    db: Session, actor: Actor, cycle: Cycle, clarification_id: int, *, now: datetime | None = None
) -> Clarification:
    """The verifier closes a question (answered, or unanswered after its deadline)."""
    c = db.get(Clarification, clarification_id)
    if c is None or c.cycle_id != cycle.id:
        raise NotFound("Klarifikasi tidak ditemukan.")
    get_assignment_for_verifier(db, actor, cycle, c.body_id)
    if c.status == ClarificationStatus.CLOSED:
        raise InvalidTransition("Klarifikasi ini sudah ditutup.")
    if c.status == ClarificationStatus.OPEN and (now or utcnow()) < c.due_at:
        raise InvalidTransition(
            "Badan publik belum menjawab dan batas waktunya belum lewat; tunggu jawabannya."
        )
    before = c.status
    c.status = ClarificationStatus.CLOSED
    c.closed_at = utcnow()
    audit(
        db,
        actor,
        cycle,
        "verification.clarification_closed",
        "clarification",
        c.id,
        before={"status": before},
        after={"status": c.status},
    )
    return c
