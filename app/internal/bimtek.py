"""Bimtek (guidance) of an internal monev: guidance text and example documents per item for the
units, and a record of who attended which bimtek session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.cycles.access import actor_id
from app.cycles.models import Cycle
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.evidence.rules import url_problem
from app.internal.models import BimtekAttendance, BimtekSession, GuidanceExample, InternalMonev
from app.internal.service import get_monev_for_actor, is_owner, unit_pairs
from app.questionnaires.models import Item, Questionnaire
from app.questionnaires.service import load_spec


def get_monev_for_reader(db: Session, actor: Actor, monev_id: int) -> InternalMonev:
    """Guidance is for the units too: anyone with a role inside the internal organisation."""
    monev = db.get(InternalMonev, monev_id)
    if monev is not None and actor.organisation_id == monev.organisation_id and actor.body_ids:
        return monev
    return get_monev_for_actor(db, actor, monev_id)


def monev_of_unit(db: Session, actor: Actor) -> InternalMonev | None:
    """The internal monev a unit's person is acting in (for the link to its guidance)."""
    if not actor.body_ids:
        return None
    return db.scalar(
        select(InternalMonev).where(InternalMonev.organisation_id == actor.organisation_id)
    )


@dataclass
class GuidanceItem:
    item_id: int
    code: str
    text: str
    guidance: str
    examples: list[GuidanceExample]


def guidance(db: Session, monev: InternalMonev, cycle: Cycle) -> list[GuidanceItem]:
    """Every item of the internal cycle with the guidance text and the example documents."""
    examples: dict[int, list[GuidanceExample]] = {}
    for ex in db.scalars(
        select(GuidanceExample)
        .where(GuidanceExample.cycle_id == cycle.id)
        .order_by(GuidanceExample.id)
    ):
        examples.setdefault(ex.item_id, []).append(ex)
    out = []
    for q in db.scalars(select(Questionnaire).where(Questionnaire.cycle_id == cycle.id)):
        for ind in load_spec(db, q).indicators:
            for it in ind.items:
                out.append(
                    GuidanceItem(it.id, it.code, it.text, it.guidance, examples.get(it.id, []))
                )
    return out


def add_example(
    db: Session,
    actor: Actor,
    monev: InternalMonev,
    cycle: Cycle,
    *,
    item_id: int,
    title: str,
    url: str,
) -> GuidanceExample:
    """Publish an example document (a link) for one item of an internal cycle."""
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat menambah contoh.")
    item = db.get(Item, item_id)
    q = db.get(Questionnaire, item.questionnaire_id) if item else None
    if q is None or q.cycle_id != cycle.id or cycle.organisation_id != monev.organisation_id:
        raise NotFound("Butir tidak ditemukan dalam siklus internal ini.")
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Wajib diisi."
    problem = url_problem(url.strip())
    if problem:
        errors["url"] = problem
    if errors:
        raise ValidationFailed("Periksa isian contoh dokumen.", field_errors=errors)
    ex = GuidanceExample(
        organisation_id=monev.organisation_id,
        cycle_id=cycle.id,
        item_id=item_id,
        title=title.strip()[:200],
        url=url.strip(),
        created_by_id=actor_id(actor),
    )
    db.add(ex)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=monev.organisation_id,
        action="internal.example_added",
        object_type="guidance_example",
        object_id=ex.id,
        after={"item_id": item_id, "title": ex.title, "url": ex.url},
    )
    return ex


def add_session(
    db: Session, actor: Actor, monev: InternalMonev, *, title: str, held_on: str
) -> BimtekSession:
    """Record a bimtek session held for the units."""
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat mencatat bimtek.")
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Wajib diisi."
    try:
        day = date.fromisoformat(held_on.strip())
    except ValueError:
        errors["held_on"] = "Tanggal tidak valid (format TTTT-BB-HH)."
    if errors:
        raise ValidationFailed("Periksa isian sesi bimtek.", field_errors=errors)
    session = BimtekSession(
        organisation_id=monev.organisation_id,
        title=title.strip()[:200],
        held_on=day,
        created_by_id=actor_id(actor),
    )
    db.add(session)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=monev.organisation_id,
        action="internal.bimtek_added",
        object_type="bimtek_session",
        object_id=session.id,
        after={"title": session.title, "held_on": day.isoformat()},
    )
    return session


def record_attendance(
    db: Session, actor: Actor, monev: InternalMonev, session_id: int, *, body_id: int, name: str
) -> BimtekAttendance:
    """Record that a person of a unit attended a bimtek session."""
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat mencatat kehadiran.")
    session = db.get(BimtekSession, session_id)
    if session is None or session.organisation_id != monev.organisation_id:
        raise NotFound("Sesi bimtek tidak ditemukan.")
    if body_id not in {m.id for _, m in unit_pairs(db, monev)}:
        raise ValidationFailed(
            "Pilih unit PPID pelaksana.", field_errors={"body_id": "Pilih unit."}
        )
    if not name.strip():
        raise ValidationFailed("Nama peserta wajib diisi.", field_errors={"name": "Wajib diisi."})
    exists = db.scalar(
        select(BimtekAttendance).where(
            BimtekAttendance.session_id == session.id,
            BimtekAttendance.body_id == body_id,
            BimtekAttendance.attendee_name == name.strip()[:200],
        )
    )
    if exists is not None:
        raise Conflict("Kehadiran peserta ini sudah tercatat.")
    row = BimtekAttendance(
        session_id=session.id,
        body_id=body_id,
        attendee_name=name.strip()[:200],
        recorded_by_id=actor_id(actor),
    )
    db.add(row)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=monev.organisation_id,
        action="internal.attendance_recorded",
        object_type="bimtek_session",
        object_id=session.id,
        after={"body_id": body_id, "name": row.attendee_name},
    )
    return row


@dataclass
class SessionView:
    session: BimtekSession
    attendance: list[tuple[str, str]]  # (unit name, person)


def sessions(db: Session, monev: InternalMonev, actor: Actor) -> list[SessionView]:
    """Bimtek sessions, newest first; a unit sees only its own people's attendance."""
    names = {m.id: u.name for u, m in unit_pairs(db, monev)}
    own = None if is_owner(db, actor, monev) or actor.is_staff else actor.body_ids
    out = []
    for s in db.scalars(
        select(BimtekSession)
        .where(BimtekSession.organisation_id == monev.organisation_id)
        .order_by(BimtekSession.held_on.desc(), BimtekSession.id.desc())
    ):
        rows = db.scalars(
            select(BimtekAttendance)
            .where(BimtekAttendance.session_id == s.id)
            .order_by(BimtekAttendance.id)
        )
        out.append(
            SessionView(
                s,
                [
                    (names.get(a.body_id, ""), a.attendee_name)
                    for a in rows
                    if own is None or a.body_id in own
                ],
            )
        )
    return out
