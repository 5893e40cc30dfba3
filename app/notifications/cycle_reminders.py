"""Reminder triggers that follow a cycle's schedule.

- `saq_deadline`: bodies that have not submitted, N days (`Cycle.reminder_days_before`,
  default 7) and 1 day before the SAQ closes for them; when an extension reaches the body, its
  own close counts (a new occasion) and the last-day mail says the extension ends.
- `evidence_links`: from N days before the body's SAQ close, its evidence links are checked
  again (one background job per item, once per occasion); once that check has run, the body's
  operators hear about the links that are still broken.
- `juror_pending`: while the presentation stage is open, jurors who owe scores for bodies
  that have already presented (at most once a day per panel).

- `verifier_pending`: from N days before the verification stage closes, verifiers whose
  assigned bodies are not finished; while the appeal stage is open, verifiers who have appeals
  to decide (at most once a day per verifier and cycle).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Role
from app.bodies.models import Body
from app.config import get_settings
from app.cycles.models import Cycle, CycleStatus, CycleTarget
from app.cycles.schedule import StageWindow, get_stage, stage_window
from app.errors import InvalidTransition
from app.evidence.models import LinkCheck
from app.evidence.service import latest_link_checks, request_link_check
from app.jobs.models import Job
from app.notifications.reminders import reminder_trigger, send_reminder_once
from app.notifications.rules import deadline_reminder_due
from app.orgs.models import Organisation
from app.panels import service as panels
from app.submissions.models import Submission, SubmissionStatus
from app.verification.models import Appeal, AppealStatus, Assignment, AssignmentStatus
from app.web.format import fmt_datetime

# A recheck that has not reported back after this long no longer holds the reminder back.
RECHECK_GRACE = timedelta(hours=6)


def _open_cycles(db: Session) -> list[Cycle]:
    return list(db.scalars(select(Cycle).where(Cycle.status == CycleStatus.OPEN)))


def _unsubmitted_targets(db: Session, cycle: Cycle) -> list[Body]:
    """Target bodies of the cycle whose SAQ has not been submitted."""
    submitted = and_(
        Submission.cycle_id == cycle.id,
        Submission.body_id == Body.id,
        Submission.status == SubmissionStatus.SUBMITTED,
    )
    return list(
        db.scalars(
            select(Body)
            .join(CycleTarget, CycleTarget.body_id == Body.id)
            .where(
                CycleTarget.cycle_id == cycle.id, ~select(Submission.id).where(submitted).exists()
            )
            .order_by(Body.id)
        )
    )


def operators_by_body(db: Session, body_ids: list[int]) -> dict[int, list[User]]:
    """Active operator accounts per body."""
    out: dict[int, list[User]] = defaultdict(list)
    if not body_ids:
        return out
    rows = db.execute(
        select(RoleGrant.body_id, User)
        .join(User, User.id == RoleGrant.user_id)
        .where(
            RoleGrant.body_id.in_(body_ids),
            RoleGrant.role == Role.OPERATOR,
            RoleGrant.revoked_at.is_(None),
            User.is_active,
        )
        .order_by(User.id)
    )
    for body_id, user in rows:
        if body_id is not None:
            out[body_id].append(user)
    return out


def _window(db: Session, cycle: Cycle, code: str, body_id: int | None) -> StageWindow | None:
    try:
        return stage_window(db, cycle, code, body_id=body_id)
    except InvalidTransition:  # the cycle has no such stage, or it is not scheduled
        return None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


def _left(now: datetime, closes_at: datetime) -> str:
    hours = int((closes_at - now).total_seconds() // 3600)
    return f"sisa {hours} jam" if hours < 48 else f"sisa {hours // 24} hari"


def _link(path: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}{path}"


@reminder_trigger("saq_deadline")
def remind_saq_deadline(db: Session, now: datetime) -> int:
    """Bodies that have not submitted: N days and 1 day before their SAQ close (and extension)."""
    queued = 0
    for cycle in _open_cycles(db):
        if get_stage(db, cycle, "saq") is None:
            continue
        org = db.get(Organisation, cycle.organisation_id)
        assert org is not None
        bodies = _unsubmitted_targets(db, cycle)
        ops = operators_by_body(db, [b.id for b in bodies])
        for body in bodies:
            window = _window(db, cycle, "saq", body.id)
            if window is None or not ops.get(body.id):
                continue
            due = deadline_reminder_due(
                now=now,
                opens_at=window.opens_at,
                closes_at=window.closes_at,
                days_before=cycle.reminder_days_before,
            )
            if due is None:
                continue
            ext_end = due == "1d" and window.extension is not None
            if ext_end:
                assert window.extension is not None
                key = f"saq-ext-end:ext:{window.extension.id}:body:{body.id}"
            else:
                key = f"saq-{due}:cycle:{cycle.id}:body:{body.id}:until:{_stamp(window.closes_at)}"
            context = {
                "commission": org.name,
                "cycle": cycle.name,
                "body": body.name,
                "deadline": fmt_datetime(window.closes_at, org.timezone),
                "left": _left(now, window.closes_at),
                "extension_end": ext_end,
                "link": _link(f"/siklus/{cycle.id}/badan/{body.id}"),
            }
            for user in ops[body.id]:
                msg = send_reminder_once(
                    db,
                    trigger_key=key,
                    recipient=user,
                    template="saq_deadline",
                    context=context,
                    organisation_id=org.id,
                    now=now,
                )
                queued += msg is not None
    return queued


def _recheck_job(db: Session, cycle: Cycle, body: Body, since: datetime) -> Job | None:
    """The system's recheck of the body's links for this cycle requested since `since`."""
    jobs = db.scalars(
        select(Job).where(
            Job.kind == "evidence.check_links",
            Job.organisation_id == body.organisation_id,
            Job.created_by_id.is_(None),
            Job.created_at >= since,
        )
    )
    for job in jobs:
        if job.params.get("body_id") == body.id and job.params.get("cycle_id") == cycle.id:
            return job
    return None


def _request_recheck(
    db: Session, cycle: Cycle, body: Body, checks: list[LinkCheck], now: datetime
) -> None:
    """Check every link of the body again, one job per item (so results stay with their item)."""
    by_item: dict[int | None, list[str]] = defaultdict(list)
    for c in checks:
        by_item[c.item_id].append(c.url)
    for item_id, urls in sorted(by_item.items(), key=lambda kv: kv[0] or 0):
        job = request_link_check(db, None, body, urls, cycle_id=cycle.id, item_id=item_id)
        job.created_at = now  # the occasion is the trigger's moment (a controlled clock in tests)
    db.flush()


@reminder_trigger("evidence_links")
def remind_broken_links(db: Session, now: datetime) -> int:
    """Before the SAQ close: check the body's links again, then remind about the broken ones."""
    queued = 0
    for cycle in _open_cycles(db):
        if get_stage(db, cycle, "saq") is None:
            continue
        org = db.get(Organisation, cycle.organisation_id)
        assert org is not None
        bodies = _unsubmitted_targets(db, cycle)
        ops = operators_by_body(db, [b.id for b in bodies])
        for body in bodies:
            window = _window(db, cycle, "saq", body.id)
            if window is None:
                continue
            start = window.closes_at - timedelta(days=cycle.reminder_days_before)
            if not (max(start, window.opens_at) <= now < window.closes_at):
                continue
            checks = latest_link_checks(db, body, cycle_id=cycle.id)
            if not checks:
                continue
            job = _recheck_job(db, cycle, body, start)
            if job is None:
                _request_recheck(db, cycle, body, checks, now)
                continue
            fresh = all(c.checked_at >= job.created_at for c in checks)
            if not fresh and now < job.created_at + RECHECK_GRACE:
                continue  # wait for the recheck to report
            broken = [c for c in checks if not c.is_ok]
            if not broken:
                continue
            context = {
                "cycle": cycle.name,
                "body": body.name,
                "deadline": fmt_datetime(window.closes_at, org.timezone),
                "count": len(broken),
                "links": [{"url": c.url, "message": c.message} for c in broken[:20]],
                "link": _link(f"/badan-publik/{body.id}/data-dukung"),
            }
            key = f"links-broken:cycle:{cycle.id}:body:{body.id}:until:{_stamp(window.closes_at)}"
            for user in ops.get(body.id, []):
                msg = send_reminder_once(
                    db,
                    trigger_key=key,
                    recipient=user,
                    template="broken_links",
                    context=context,
                    organisation_id=org.id,
                    now=now,
                )
                queued += msg is not None
    return queued


@reminder_trigger("juror_pending")
def remind_pending_jurors(db: Session, now: datetime) -> int:
    """Jurors who owe scores for bodies that have presented, while the stage is open (daily)."""
    queued = 0
    for cycle in _open_cycles(db):
        window = _window(db, cycle, "presentation", None)
        if window is None or not (window.opens_at <= now < window.closes_at):
            continue
        org = db.get(Organisation, cycle.organisation_id)
        assert org is not None
        for state in panels.panel_states(db, cycle):
            if state.panel.is_locked:
                continue
            panel = state.panel
            presented = {s.body_id for s, _ in state.slots if s.ends_at <= now}
            owed: dict[int, tuple[User, list[str]]] = {}
            for user, body in state.progress.missing:
                if body.id in presented:
                    owed.setdefault(user.id, (user, []))[1].append(body.name)
            for user, names in owed.values():
                msg = send_reminder_once(
                    db,
                    trigger_key=f"juror-pending:panel:{panel.id}:day:{_local_day(now, org)}",
                    recipient=user,
                    template="juror_pending",
                    context={
                        "cycle": cycle.name,
                        "panel": panel.name,
                        "count": len(names),
                        "bodies": sorted(names),
                        "deadline": fmt_datetime(window.closes_at, org.timezone),
                        "link": _link(f"/panel/{panel.id}"),
                    },
                    organisation_id=org.id,
                    now=now,
                )
                queued += msg is not None
    return queued


def _verification_work(
    db: Session, cycle: Cycle, now: datetime
) -> dict[int, tuple[User, list[str]]]:
    """Per verifier: the bodies (and appeals) still waiting for them in the open windows."""
    owed: dict[int, tuple[User, list[str]]] = {}
    window = _window(db, cycle, "verification", None)
    lead = timedelta(days=cycle.reminder_days_before)
    if (
        window is not None
        and window.opens_at <= now < window.closes_at
        and (now >= window.closes_at - lead)
    ):
        rows = db.execute(
            select(User, Body.name)
            .join(Assignment, Assignment.verifier_id == User.id)
            .join(Body, Body.id == Assignment.body_id)
            .where(
                Assignment.cycle_id == cycle.id,
                Assignment.status.in_(
                    [
                        AssignmentStatus.ASSIGNED,
                        AssignmentStatus.IN_PROGRESS,
                        AssignmentStatus.RETURNED,
                    ]
                ),
                User.is_active,
            )
            .order_by(User.id, Body.name)
        )
        for user, name in rows:
            owed.setdefault(user.id, (user, []))[1].append(name)
    appeals = _window(db, cycle, "appeal", None)
    if appeals is not None and appeals.opens_at <= now < appeals.closes_at:
        rows = db.execute(
            select(User, Body.name)
            .join(Appeal, Appeal.decider_id == User.id)
            .join(Body, Body.id == Appeal.body_id)
            .where(
                Appeal.cycle_id == cycle.id,
                Appeal.status == AppealStatus.FILED,
                User.is_active,
            )
            .order_by(User.id, Body.name)
        )
        for user, name in rows:
            owed.setdefault(user.id, (user, []))[1].append(f"{name} (sanggah)")
    return owed


def _local_day(now: datetime, org: Organisation) -> str:
    """The commission's calendar day at `now` ("once a day" means once per local day)."""
    return now.astimezone(ZoneInfo(org.timezone)).date().isoformat()


@reminder_trigger("verifier_pending")
def remind_pending_verifiers(db: Session, now: datetime) -> int:
    """Verifiers with unfinished bodies near the verification deadline, or appeals to decide."""
    queued = 0
    for cycle in _open_cycles(db):
        org = db.get(Organisation, cycle.organisation_id)
        assert org is not None
        for user, names in _verification_work(db, cycle, now).values():
            msg = send_reminder_once(
                db,
                trigger_key=f"verifier-pending:cycle:{cycle.id}:day:{_local_day(now, org)}",
                recipient=user,
                template="verifier_pending",
                context={
                    "cycle": cycle.name,
                    "count": len(names),
                    "bodies": names,
                    "link": _link(f"/verifikasi/{cycle.id}"),
                },
                organisation_id=org.id,
                now=now,
            )
            queued += msg is not None
    return queued
