"""The presentation schedule: automatic placement of shortlisted bodies into the panels' rooms
without juror conflicts, manual moves, a body's own slot, and the chair's live session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.conflicts.service import conflicts_of
from app.cycles.access import organisation_of, require_manager
from app.cycles.models import Cycle
from app.cycles.rules import to_utc
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.panels.models import Panel, PanelScore, PanelSlot
from app.panels.rules import Room, place_bodies, slot_times
from app.panels.service import (
    _audit,
    get_settings,
    members_of,
    membership,
    panels_of,
    shortlisted,
    slots_of,
)


def slot_minutes(db: Session, cycle: Cycle) -> int:
    s = get_settings(db, cycle)
    return s.talk_minutes + s.questions_minutes + s.answers_minutes


def _room_conflicts(db: Session, panel: Panel, body_ids: set[int]) -> frozenset[int]:
    found = conflicts_of(db, (m.user_id for m, _ in members_of(db, panel)), body_ids)
    return frozenset(set().union(*found.values()))


@dataclass(frozen=True)
class PlacementReport:
    placed: int
    unplaced: list[Body]


def auto_place(db: Session, actor: Actor, cycle: Cycle, *, start: str) -> PlacementReport:
    """Place every shortlisted body into a room (fresh schedule from `start`, local time)."""
    require_manager(actor, cycle)
    panels = panels_of(db, cycle)
    if not panels:
        raise InvalidTransition("Buat panel (ruang) terlebih dahulu.")
    if any(p.is_locked for p in panels):
        raise Conflict("Sudah ada panel yang dikunci; jadwal tidak dapat disusun ulang.")
    if db.scalar(
        select(PanelScore.id)
        .join(Panel, Panel.id == PanelScore.panel_id)
        .where(Panel.cycle_id == cycle.id)
        .limit(1)
    ):
        raise Conflict("Juri sudah mulai menilai; ubah jadwal dengan memindahkan satu per satu.")
    tz = organisation_of(db, cycle).timezone
    try:
        starts = to_utc(start, tz)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field_errors={"start": str(exc)}) from None
    entries = shortlisted(db, cycle)
    if not entries:
        raise InvalidTransition("Daftar pendek (shortlist) siklus ini belum diterbitkan.")
    body_ids = [b.id for _, b in entries]
    rooms = [Room(p.id, _room_conflicts(db, p, set(body_ids))) for p in panels]
    placement = place_bodies(body_ids, rooms)
    for slot in db.scalars(select(PanelSlot).where(PanelSlot.cycle_id == cycle.id)):
        db.delete(slot)
    db.flush()
    settings = get_settings(db, cycle)
    minutes = slot_minutes(db, cycle)
    placed = 0
    for panel_id, bodies in placement.rooms.items():
        times = slot_times(
            len(bodies), settings.bodies_per_session, minutes, settings.break_minutes
        )
        for i, (body_id, t) in enumerate(zip(bodies, times, strict=True)):
            db.add(
                PanelSlot(
                    cycle_id=cycle.id,
                    panel_id=panel_id,
                    body_id=body_id,
                    session_no=t.session_no,
                    position=i,
                    starts_at=starts + timedelta(minutes=t.start_minute),
                    ends_at=starts + timedelta(minutes=t.end_minute),
                )
            )
            placed += 1
    db.flush()
    by_id = {b.id: b for _, b in entries}
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.auto_place",
        "cycle",
        cycle.id,
        after={
            "rooms": {str(k): list(v) for k, v in placement.rooms.items()},
            "unplaced": list(placement.unplaced),
            "start": starts,
        },
    )
    return PlacementReport(placed, [by_id[b] for b in placement.unplaced])


def move_slot(
    db: Session, actor: Actor, cycle: Cycle, slot_id: int, *, panel_id: int, starts: str
) -> PanelSlot:
    """Move one body to another room and/or time (refused into a room with a conflicted juror)."""
    require_manager(actor, cycle)
    slot = db.get(PanelSlot, slot_id)
    if slot is None or slot.cycle_id != cycle.id:
        raise NotFound("Jadwal tidak ditemukan.")
    target = db.get(Panel, panel_id)
    if target is None or target.cycle_id != cycle.id:
        raise ValidationFailed("Pilih panel siklus ini.", field_errors={"panel_id": "Pilih panel."})
    source = db.get(Panel, slot.panel_id)
    assert source is not None
    if source.is_locked or target.is_locked:
        raise Conflict("Panel sudah dikunci; jadwalnya tidak dapat diubah.")
    if target.id != source.id and db.scalar(
        select(PanelScore.id)
        .where(PanelScore.panel_id == source.id, PanelScore.body_id == slot.body_id)
        .limit(1)
    ):
        raise Conflict("Juri panel ini sudah menilai badan publik ini; ia tidak dapat dipindah.")
    if slot.body_id in _room_conflicts(db, target, {slot.body_id}):
        raise Conflict(f"Ada juri di {target.name} yang berkonflik dengan badan publik ini.")
    tz = organisation_of(db, cycle).timezone
    try:
        new_start = to_utc(starts, tz)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field_errors={"starts": str(exc)}) from None
    length = slot.ends_at - slot.starts_at
    for other, body in slots_of(db, target):
        if (
            other.id != slot.id
            and other.starts_at < new_start + length
            and new_start < other.ends_at
        ):
            raise Conflict(
                f"Waktu itu bertabrakan dengan {body.name} di {target.name}; pilih waktu lain."
            )
    before = {"panel_id": slot.panel_id, "starts_at": slot.starts_at}
    slot.panel_id, slot.starts_at, slot.ends_at = target.id, new_start, new_start + length
    db.flush()
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.move_slot",
        "panel_slot",
        slot.id,
        before=before,
        after={"panel_id": target.id, "starts_at": new_start},
    )
    return slot


def schedule_rows(db: Session, cycle: Cycle) -> list[tuple[Panel, list[tuple[PanelSlot, Body]]]]:
    """The whole schedule, room by room."""
    return [(p, slots_of(db, p)) for p in panels_of(db, cycle)]


def slot_for_body(db: Session, cycle: Cycle, body_id: int) -> tuple[PanelSlot, Panel] | None:
    """A body's presentation slot in a cycle (what its dashboard shows)."""
    row = db.execute(
        select(PanelSlot, Panel)
        .join(Panel, Panel.id == PanelSlot.panel_id)
        .where(PanelSlot.cycle_id == cycle.id, PanelSlot.body_id == body_id)
    ).first()
    return None if row is None else (row[0], row[1])


def body_slots(db: Session, actor: Actor) -> list[tuple[PanelSlot, Panel, Body, Cycle]]:
    """The presentation slots of the bodies the actor speaks for (open cycles only)."""
    if not actor.body_ids:
        return []
    rows = db.execute(
        select(PanelSlot, Panel, Body, Cycle)
        .join(Panel, Panel.id == PanelSlot.panel_id)
        .join(Body, Body.id == PanelSlot.body_id)
        .join(Cycle, Cycle.id == PanelSlot.cycle_id)
        .where(PanelSlot.body_id.in_(actor.body_ids), Cycle.status == "open")
        .order_by(PanelSlot.starts_at)
    )
    return list(rows)


# --- live session --------------------------------------------------------------------------------


def _require_chair_or_manager(db: Session, actor: Actor, panel: Panel, cycle: Cycle) -> None:
    member = membership(db, panel, actor.user_id)
    if member is not None and member.is_chair:
        return
    require_manager(actor, cycle)


def now_presenting(db: Session, panel: Panel) -> tuple[PanelSlot, Body] | None:
    return next(((s, b) for s, b in slots_of(db, panel) if s.status == "presenting"), None)


def next_waiting(db: Session, panel: Panel) -> tuple[PanelSlot, Body] | None:
    return next(((s, b) for s, b in slots_of(db, panel) if s.status == "waiting"), None)


def start_slot(
    db: Session, actor: Actor, panel: Panel, cycle: Cycle, slot_id: int | None = None
) -> PanelSlot:
    """The chair calls the next body (or a chosen one) in: the previous one is done."""
    _require_chair_or_manager(db, actor, panel, cycle)
    if panel.is_locked:
        raise Conflict("Panel sudah dikunci.")
    current = now_presenting(db, panel)
    if current is not None:
        finish_slot(db, actor, panel, cycle)
    if slot_id is None:
        nxt = next_waiting(db, panel)
        if nxt is None:
            raise InvalidTransition("Semua badan publik di ruang ini sudah presentasi.")
        slot = nxt[0]
    else:
        found = db.get(PanelSlot, slot_id)
        if found is None or found.panel_id != panel.id:
            raise NotFound("Jadwal tidak ditemukan.")
        slot = found
    slot.status, slot.started_at = "presenting", utcnow()
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.start_slot",
        "panel_slot",
        slot.id,
        after={"body_id": slot.body_id},
    )
    return slot


def finish_slot(db: Session, actor: Actor, panel: Panel, cycle: Cycle) -> PanelSlot:
    """The body now presenting has finished."""
    _require_chair_or_manager(db, actor, panel, cycle)
    current = now_presenting(db, panel)
    if current is None:
        raise InvalidTransition("Tidak ada badan publik yang sedang presentasi.")
    slot = current[0]
    slot.status, slot.finished_at = "done", utcnow()
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.finish_slot",
        "panel_slot",
        slot.id,
        after={"body_id": slot.body_id},
    )
    return slot


def record_attendance(
    db: Session,
    actor: Actor,
    panel: Panel,
    cycle: Cycle,
    slot_id: int,
    *,
    attended: bool,
    leader_present: bool,
    attendees: str,
) -> PanelSlot:
    """Who came for the body, and whether its leader presented in person."""
    _require_chair_or_manager(db, actor, panel, cycle)
    slot = db.get(PanelSlot, slot_id)
    if slot is None or slot.panel_id != panel.id:
        raise NotFound("Jadwal tidak ditemukan.")
    if panel.is_locked:
        raise Conflict("Panel sudah dikunci.")
    if leader_present and not attended:
        raise ValidationFailed(
            "Pimpinan hadir berarti badan publik hadir.",
            field_errors={"leader_present": "Tidak konsisten."},
        )
    before = {"attended": slot.attended, "leader_present": slot.leader_present}
    slot.attended, slot.leader_present = attended, leader_present
    slot.attendees = (attendees or "").strip()[:2000]
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.attendance",
        "panel_slot",
        slot.id,
        before=before,
        after={"attended": attended, "leader_present": leader_present, "attendees": slot.attendees},
    )
    return slot


def seconds_left(slot: PanelSlot, minutes: int, now: datetime | None = None) -> int:
    """Seconds left of the body's time since it was called in (never negative)."""
    if slot.started_at is None:
        return minutes * 60
    used = ((now or utcnow()) - slot.started_at).total_seconds()
    return max(0, int(minutes * 60 - used))


def ensure_viewer(db: Session, actor: Actor, panel: Panel, cycle: Cycle) -> None:
    """The live screen is for the panel's jurors (ready), the chair and the sekretariat."""
    member = membership(db, panel, actor.user_id)
    if member is None:
        require_manager(actor, cycle)
    elif not member.is_ready:
        raise Forbidden("Setujui pakta integritas dan deklarasikan konflik kepentingan dahulu.")
