"""Team work and the life of a submission: assign indicators, submit (optionally through the
atasan PPID), approve, return, reopen, and the cycle's approval switch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.cycles.access import actor_id, require_manager
from app.cycles.models import Cycle, CycleStatus
from app.cycles.schedule import require_stage_open
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.notifications.service import body_people, notify, notify_body
from app.precheck.service import schedule_precheck
from app.questionnaires.models import Indicator as IndicatorRow
from app.submissions.models import Assignment, Submission, SubmissionStatus
from app.submissions.service import Workspace, build_manifest, ensure_submission, units_of

# --- team work -----------------------------------------------------------------------------


def assignable_people(db: Session, ws: Workspace) -> tuple[list[Body], list[User]]:
    """The PPID pelaksana units and the operators of the body an indicator can be given to."""
    units = [u for u in units_of(db, ws.body) if u.is_active]
    users = list(
        db.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.body_id == ws.body.id,
                RoleGrant.role == Role.OPERATOR,
                RoleGrant.revoked_at.is_(None),
                User.is_active,
            )
            .distinct()
            .order_by(User.full_name)
        )
    )
    return units, users


def assign_indicator(
    db: Session, actor: Actor, ws: Workspace, indicator_id: int, target: str
) -> Assignment | None:
    """Give an indicator to a unit (`unit:<id>`) or an operator (`user:<id>`); "" takes it back."""
    if not ws.is_lead:
        raise Forbidden("Hanya PPID utama atau atasan PPID yang dapat membagi tugas pengisian.")
    try:
        ind = ws.find_indicator(indicator_id)
    except NotFound as exc:
        raise ValidationFailed(
            exc.message, field_errors={"indicator_id": "Pilih indikator."}
        ) from exc
    if not ws.is_draft:
        raise InvalidTransition("SAQ sudah dikirim; pembagian tugas tidak dapat diubah.")
    units, users = assignable_people(db, ws)
    kind, _, raw = target.strip().partition(":")
    unit_id = user_id = None
    if kind == "unit" and raw.isdigit() and int(raw) in {u.id for u in units}:
        unit_id = int(raw)
    elif kind == "user" and raw.isdigit() and int(raw) in {u.id for u in users}:
        user_id = int(raw)
    elif target.strip():
        raise ValidationFailed(
            "Pilih unit PPID pelaksana atau operator badan publik ini.",
            field_errors={"target": "Tidak valid."},
        )
    current = next((a for a in ws.assignments if a.indicator_id == indicator_id), None)
    before = {"unit_id": current.unit_id, "user_id": current.user_id} if current else None
    if unit_id is None and user_id is None:
        if current is not None:
            db.delete(current)
            ws.assignments.remove(current)
        result = None
    else:
        if current is None:
            current = Assignment(cycle_id=ws.cycle.id, body_id=ws.body.id, indicator_id=ind.id)
            db.add(current)
            ws.assignments.append(current)
        current.unit_id, current.user_id = unit_id, user_id
        current.assigned_by_id = actor_id(actor)
        current.assigned_at = utcnow()
        result = current
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.indicator_assigned",
        object_type="body",
        object_id=ws.body.id,
        before=before,
        after={
            "cycle_id": ws.cycle.id,
            "indicator": ind.code,
            "unit_id": unit_id,
            "user_id": user_id,
        },
    )
    link = f"/siklus/{ws.cycle.id}/badan/{ws.body.id}/saq#ind-{ind.id}"
    title = f"Tugas SAQ: indikator {ind.code} {ind.name} ({ws.body.name})"
    if user_id is not None:
        notify(
            db,
            [user_id],
            kind="saq.assigned",
            title=title,
            link=link,
            organisation_id=ws.body.organisation_id,
        )
    elif unit_id is not None:
        notify_body(
            db,
            unit_id,
            organisation_id=ws.body.organisation_id,
            kind="saq.assigned",
            title=title,
            link=link,
        )
    return result


@dataclass(frozen=True)
class Task:
    """An indicator given to the actor (or their unit) in an open cycle."""

    cycle: Cycle
    body: Body
    indicator_code: str
    indicator_name: str
    indicator_id: int


def my_tasks(db: Session, actor: Actor) -> list[Task]:
    """The indicators given to the actor by name or to one of their units, in open cycles."""
    mine = Assignment.user_id == actor.user_id
    if actor.body_ids:
        mine = mine | Assignment.unit_id.in_(actor.body_ids)
    rows = db.execute(
        select(Assignment, Cycle, Body, IndicatorRow)
        .join(Cycle, Cycle.id == Assignment.cycle_id)
        .join(Body, Body.id == Assignment.body_id)
        .join(IndicatorRow, IndicatorRow.id == Assignment.indicator_id)
        .where(mine, Cycle.status == CycleStatus.OPEN)
        .order_by(Cycle.year.desc(), Body.name, IndicatorRow.position)
    ).all()
    return [Task(c, b, i.code, i.name, i.id) for _, c, b, i in rows]


# --- submit, approve, return, reopen -------------------------------------------------------


def submit_saq(
    db: Session,
    actor: Actor,
    ws: Workspace,
    *,
    confirmed: bool = True,
    now: datetime | None = None,
) -> Submission:
    """Send the SAQ: final (with receipt) or, when the cycle asks, to the atasan PPID first.

    `confirmed` is the sender's statement that they reviewed the completeness check.
    """
    if not ws.is_lead:
        raise Forbidden("Hanya PPID utama atau atasan PPID yang dapat mengirim SAQ.")
    require_stage_open(db, ws.cycle, "saq", body_id=ws.body.id, now=now)
    sub = ensure_submission(db, ws)
    if sub.status != SubmissionStatus.DRAFT:
        raise InvalidTransition("SAQ ini sudah dikirim.")
    if not confirmed:
        raise ValidationFailed(
            "Centang pernyataan bahwa jawaban sudah diperiksa sebelum mengirim.",
            field_errors={"confirmed": "Wajib dicentang."},
        )
    now = now or utcnow()
    sub.requested_at, sub.requested_by_id = now, actor_id(actor)
    if ws.cycle.requires_atasan_approval and not ws.is_atasan:
        sub.status = SubmissionStatus.AWAITING_APPROVAL
        db.flush()
        record(
            db,
            actor_user_id=actor_id(actor),
            organisation_id=ws.body.organisation_id,
            action="submission.approval_requested",
            object_type="submission",
            object_id=sub.id,
            before={"status": SubmissionStatus.DRAFT},
            after={"status": sub.status},
        )
        notify(
            db,
            body_people(db, ws.body.id, [Role.ATASAN_PPID]),
            kind="saq.approval_requested",
            title=f"SAQ {ws.body.name} menunggu persetujuan Anda",
            link=f"/siklus/{ws.cycle.id}/badan/{ws.body.id}/saq",
            organisation_id=ws.body.organisation_id,
        )
        return sub
    return _finalize(db, actor, ws, sub, now, approved=ws.is_atasan)


def _finalize(
    db: Session, actor: Actor, ws: Workspace, sub: Submission, now: datetime, *, approved: bool
) -> Submission:
    before = {"status": sub.status}
    sub.status = SubmissionStatus.SUBMITTED
    sub.submitted_at = now
    sub.submitted_by_id = sub.requested_by_id or actor_id(actor)
    if approved:
        sub.approved_at, sub.approved_by_id = now, actor_id(actor)
    sub.receipt_sha256 = build_manifest(db, ws).sha256
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.submitted",
        object_type="submission",
        object_id=sub.id,
        before=before,
        after={"status": sub.status, "receipt_sha256": sub.receipt_sha256},
    )
    # The evidence pre-check runs in the background once this submit has committed.
    schedule_precheck(db, ws.cycle, ws.body, by_user_id=actor_id(actor))
    notify_body(
        db,
        ws.body.id,
        organisation_id=ws.body.organisation_id,
        kind="saq.submitted",
        title=f"SAQ {ws.body.name} terkirim; tanda terima tersedia",
        link=f"/siklus/{ws.cycle.id}/badan/{ws.body.id}/saq",
    )
    return sub


def _require_atasan_awaiting(db: Session, ws: Workspace) -> Submission:
    if not ws.is_atasan:
        raise Forbidden("Hanya atasan PPID badan publik ini yang dapat menyetujui SAQ.")
    sub = ws.submission
    if sub is None or sub.status != SubmissionStatus.AWAITING_APPROVAL:
        raise InvalidTransition("SAQ ini tidak sedang menunggu persetujuan.")
    return sub


def approve_submission(
    db: Session, actor: Actor, ws: Workspace, *, now: datetime | None = None
) -> Submission:
    """The atasan PPID approves: the SAQ becomes final and the receipt is issued."""
    sub = _require_atasan_awaiting(db, ws)
    require_stage_open(db, ws.cycle, "saq", body_id=ws.body.id, now=now)
    return _finalize(db, actor, ws, sub, now or utcnow(), approved=True)


def return_submission(
    db: Session, actor: Actor, ws: Workspace, note: str, *, now: datetime | None = None
) -> Submission:
    """The atasan PPID sends the SAQ back to the team with a note."""
    sub = _require_atasan_awaiting(db, ws)
    note = note.strip()
    if not note:
        raise ValidationFailed(
            "Tulis catatan untuk tim: apa yang perlu diperbaiki.", field_errors={"note": "Wajib."}
        )
    sub.status = SubmissionStatus.DRAFT
    sub.returned_at, sub.returned_by_id, sub.return_note = now or utcnow(), actor_id(actor), note
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.returned",
        object_type="submission",
        object_id=sub.id,
        before={"status": SubmissionStatus.AWAITING_APPROVAL},
        after={"status": sub.status, "note": note},
    )
    notify_body(
        db,
        ws.body.id,
        organisation_id=ws.body.organisation_id,
        kind="saq.returned",
        title=f"SAQ {ws.body.name} dikembalikan atasan PPID",
        body=note,
        link=f"/siklus/{ws.cycle.id}/badan/{ws.body.id}/saq",
        exclude_user_id=actor_id(actor),
    )
    return sub


def reopen_submission(
    db: Session, actor: Actor, ws: Workspace, reason: str, *, now: datetime | None = None
) -> Submission:
    """The sekretariat reopens a sent SAQ (with a reason); the old receipt no longer holds."""
    if not ws.is_manager:
        raise Forbidden("Hanya sekretariat komisi yang dapat membuka kembali SAQ.")
    sub = ws.submission
    if sub is None or sub.status == SubmissionStatus.DRAFT:
        raise InvalidTransition("SAQ ini masih draf; tidak ada yang perlu dibuka kembali.")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Tulis alasan membuka kembali.", field_errors={"reason": "Wajib."})
    before = {"status": sub.status, "receipt_sha256": sub.receipt_sha256}
    sub.status = SubmissionStatus.DRAFT
    sub.reopened_at, sub.reopen_reason = now or utcnow(), reason
    sub.receipt_sha256 = ""
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.reopened",
        object_type="submission",
        object_id=sub.id,
        before=before,
        after={"status": sub.status, "reason": reason},
    )
    notify_body(
        db,
        ws.body.id,
        organisation_id=ws.body.organisation_id,
        kind="saq.reopened",
        title=f"SAQ {ws.body.name} dibuka kembali oleh sekretariat",
        body=reason,
        link=f"/siklus/{ws.cycle.id}/badan/{ws.body.id}/saq",
    )
    return sub


def set_requires_approval(db: Session, actor: Actor, cycle: Cycle, *, enabled: bool) -> None:
    """Switch the atasan PPID approval step of a cycle (sekretariat)."""

    require_manager(actor, cycle)
    if cycle.requires_atasan_approval == enabled:
        return
    cycle.requires_atasan_approval = enabled
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="cycle.approval_step_changed",
        object_type="cycle",
        object_id=cycle.id,
        before={"requires_atasan_approval": not enabled},
        after={"requires_atasan_approval": enabled},
    )
