"""Schedule-driven reminders with a controlled clock: SAQ deadline (N days, 1 day, extension
end), broken evidence links (recheck, then remind) and jurors' pending scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Role
from app.bodies.models import Body
from app.cycles import categories, schedule
from app.cycles.access import system_actor
from app.cycles.models import Cycle
from app.cycles.rules import to_local_input
from app.evidence.models import LinkCheck
from app.jobs.models import Job
from app.notifications.cycle_reminders import (
    remind_broken_links,
    remind_pending_jurors,
    remind_saq_deadline,
)
from app.notifications.models import Reminder
from app.notifications.reminders import TRIGGERS
from app.notifications.rules import deadline_reminder_due
from app.notifications.service import set_optional_reminders
from app.orgs.models import Organisation
from app.outbox.models import OutboxMessage
from app.panels import service as panels
from app.panels.models import PanelScore, PanelSlot, ScoreStatus
from app.submissions.models import Submission
from tests.factories import Factory

H = timedelta(hours=1)
D = timedelta(days=1)
OPENS = datetime(2026, 9, 1, tzinfo=UTC)
CLOSES = datetime(2026, 9, 20, tzinfo=UTC)


# --- rules ---------------------------------------------------------------------------------------


def test_the_due_reminder_follows_the_days_before_the_close() -> None:
    due = lambda now, n=7: deadline_reminder_due(
        now=now, opens_at=OPENS, closes_at=CLOSES, days_before=n
    )
    assert due(CLOSES - 7 * D - H) is None
    assert due(CLOSES - 7 * D) == "7d"
    assert due(CLOSES - D - H) == "7d"
    assert due(CLOSES - D) == "1d"
    assert due(CLOSES - H) == "1d"
    assert due(CLOSES) is None
    assert due(OPENS - H, n=30) is None
    assert due(CLOSES - 2 * D, n=1) is None  # with N = 1 only the last-day reminder exists


@given(
    offset=st.integers(min_value=-40 * 24, max_value=5 * 24),
    days=st.integers(min_value=1, max_value=30),
)
def test_a_reminder_is_only_due_inside_the_open_window(offset: int, days: int) -> None:
    now = CLOSES + timedelta(hours=offset)
    due = deadline_reminder_due(now=now, opens_at=OPENS, closes_at=CLOSES, days_before=days)
    if due is not None:
        assert OPENS <= now < CLOSES
        assert now >= CLOSES - timedelta(days=max(days, 1))


def test_the_cycle_triggers_are_registered() -> None:
    assert TRIGGERS["saq_deadline"] is remind_saq_deadline
    assert TRIGGERS["evidence_links"] is remind_broken_links
    assert TRIGGERS["juror_pending"] is remind_pending_jurors
    assert "verifier_pending" in TRIGGERS


# --- SAQ deadline --------------------------------------------------------------------------------


def _world(db: Session, factory: Factory) -> tuple[Organisation, Cycle, Body, User, datetime]:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    operator = factory.user(org, Role.OPERATOR, body=body)
    close = schedule.stage_window(db, cycle, "saq").closes_at
    return org, cycle, body, operator, close


def _sent_to(db: Session, user: User) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def test_saq_reminders_go_n_days_and_one_day_before_once_each(
    db: Session, factory: Factory
) -> None:
    _, cycle, body, operator, close = _world(db, factory)
    assert remind_saq_deadline(db, close - 7 * D - H) == 0
    assert remind_saq_deadline(db, close - 7 * D + H) == 1
    assert remind_saq_deadline(db, close - 7 * D + 2 * H) == 0
    assert remind_saq_deadline(db, close - 2 * D) == 0
    assert remind_saq_deadline(db, close - 23 * H) == 1
    assert remind_saq_deadline(db, close - H) == 0
    assert remind_saq_deadline(db, close + H) == 0
    mails = _sent_to(db, operator)
    assert [m.subject for m in mails] == [f"Pengingat tenggat SAQ {cycle.name}: {body.name}"] * 2
    assert "sisa 6 hari" in mails[0].body_text and "sisa 23 jam" in mails[1].body_text
    assert f"/siklus/{cycle.id}/badan/{body.id}" in mails[0].body_text


def test_the_days_before_are_a_cycle_setting(db: Session, factory: Factory) -> None:
    _, cycle, _, _, close = _world(db, factory)
    cycle.reminder_days_before = 3
    assert remind_saq_deadline(db, close - 5 * D) == 0
    assert remind_saq_deadline(db, close - 3 * D + H) == 1


def test_a_submitted_body_is_not_reminded(db: Session, factory: Factory) -> None:
    org, cycle, body, _, close = _world(db, factory)
    db.add(Submission(organisation_id=org.id, cycle_id=cycle.id, body_id=body.id, status="draft"))
    db.flush()
    assert remind_saq_deadline(db, close - 23 * H) == 1  # a draft is not submitted
    other = categories.list_targets(db, cycle)[1]
    factory.user(org, Role.OPERATOR, body=other)
    db.add(
        Submission(organisation_id=org.id, cycle_id=cycle.id, body_id=other.id, status="submitted")
    )
    db.flush()
    assert remind_saq_deadline(db, close - 22 * H) == 0


def test_an_opted_out_operator_is_recorded_but_not_mailed(db: Session, factory: Factory) -> None:
    _, _, _, operator, close = _world(db, factory)
    set_optional_reminders(db, factory.actor(operator), enabled=False)
    assert remind_saq_deadline(db, close - 23 * H) == 0
    assert db.scalars(select(Reminder.outcome)).all() == ["opted_out"]
    assert _sent_to(db, operator) == []


def test_an_extension_moves_the_reminders_and_announces_its_end(
    db: Session, factory: Factory
) -> None:
    org, cycle, body, operator, close = _world(db, factory)
    new_close = close + 7 * D
    schedule.add_extension(
        db,
        system_actor(org.id),
        cycle,
        stage_code="saq",
        closes=to_local_input(new_close, org.timezone),
        reason="Gangguan server",
        decision_ref="Pleno 3/2026",
        body_id=body.id,
    )
    assert remind_saq_deadline(db, close - 23 * H) == 0  # the body still has 8 days
    assert remind_saq_deadline(db, new_close - 7 * D + H) == 1
    assert remind_saq_deadline(db, new_close - 23 * H) == 1
    assert remind_saq_deadline(db, new_close - 22 * H) == 0
    last = _sent_to(db, operator)[-1]
    assert last.subject.startswith("Perpanjangan SAQ berakhir")
    assert "Perpanjangan waktu yang diberikan" in last.body_text


# --- broken evidence links ----------------------------------------------------------------------


def _check(db: Session, body: Body, cycle: Cycle, url: str, status: str, at: datetime) -> LinkCheck:
    import hashlib

    row = LinkCheck(
        organisation_id=body.organisation_id,
        body_id=body.id,
        cycle_id=cycle.id,
        item_id=None,
        url=url,
        url_hash=hashlib.sha256(url.encode()).hexdigest(),
        status=status,
        message="Halaman meminta akses (Google Drive)." if status != "ok" else "",
        checked_at=at,
    )
    db.add(row)
    db.flush()
    return row


def _recheck_jobs(db: Session) -> list[Job]:
    return list(db.scalars(select(Job).where(Job.kind == "evidence.check_links")))


def test_links_are_checked_again_then_the_broken_ones_reminded_once(
    db: Session, factory: Factory
) -> None:
    _, cycle, body, operator, close = _world(db, factory)
    drive, site = "https://drive.google.com/file/d/x", "https://kota.go.id/dip.pdf"
    early = close - 9 * D
    _check(db, body, cycle, drive, "broken", early)
    _check(db, body, cycle, site, "broken", early)
    assert remind_broken_links(db, close - 8 * D) == 0 and _recheck_jobs(db) == []
    start = close - 7 * D + H
    assert remind_broken_links(db, start) == 0
    (job,) = _recheck_jobs(db)
    assert job.created_by_id is None
    assert job.params["body_id"] == body.id and sorted(job.params["urls"]) == sorted([drive, site])
    assert remind_broken_links(db, start + H) == 0  # waiting for the recheck
    assert len(_recheck_jobs(db)) == 1  # requested once per occasion
    _check(db, body, cycle, drive, "broken", start + 10 * 60 * timedelta(seconds=1))
    _check(db, body, cycle, site, "ok", start + 10 * 60 * timedelta(seconds=1))
    assert remind_broken_links(db, start + 2 * H) == 1
    assert remind_broken_links(db, start + 3 * H) == 0
    (mail,) = _sent_to(db, operator)
    assert mail.subject == f"Tautan bukti {body.name} tidak dapat dibuka (1)"
    assert drive in mail.body_text and site not in mail.body_text
    assert "meminta akses" in mail.body_text


def test_a_recheck_that_never_reports_does_not_hold_the_reminder_forever(
    db: Session, factory: Factory
) -> None:
    _, cycle, body, _, close = _world(db, factory)
    _check(db, body, cycle, "https://kota.go.id/a", "broken", close - 9 * D)
    start = close - 7 * D
    assert remind_broken_links(db, start) == 0
    assert remind_broken_links(db, start + 5 * H) == 0
    assert remind_broken_links(db, start + 7 * H) == 1


def test_bodies_with_working_links_hear_nothing(db: Session, factory: Factory) -> None:
    _, cycle, body, _, close = _world(db, factory)
    _check(db, body, cycle, "https://kota.go.id/a", "ok", close - 9 * D)
    start = close - 7 * D
    remind_broken_links(db, start)
    _check(db, body, cycle, "https://kota.go.id/a", "ok", start + H)
    assert remind_broken_links(db, start + 2 * H) == 0
    assert db.scalars(select(Reminder)).all() == []


def _later_same_local_day(at: datetime, timezone: str) -> datetime:
    """A later moment of the commission's calendar day of `at` (never the next day, whatever
    the hour the test runs at)."""
    local = at.astimezone(ZoneInfo(timezone))
    return max(local, local.replace(hour=23, minute=59, second=0, microsecond=0))


# --- jurors --------------------------------------------------------------------------------------


def test_jurors_owing_scores_are_reminded_once_a_day(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle, bodies = factory.presentation_cycle(org, bodies=2)
    window = schedule.stage_window(db, cycle, "presentation")
    sa = system_actor(org.id)
    panels.use_default_rubric(db, sa, cycle)
    panel = panels.create_panel(db, sa, cycle, name="Ruang A")
    juror = factory.user(org, Role.JURI)
    panels.add_juror(db, sa, panel, cycle, user_id=juror.id, is_chair=True)
    t1 = window.opens_at + 2 * H
    presented, later = bodies
    for body, start in ((presented, window.opens_at), (later, window.closes_at - H)):
        db.add(
            PanelSlot(
                cycle_id=cycle.id,
                panel_id=panel.id,
                body_id=body.id,
                starts_at=start,
                ends_at=start + H,
            )
        )
    db.flush()
    assert remind_pending_jurors(db, window.opens_at - H) == 0  # stage not open
    assert remind_pending_jurors(db, t1) == 1
    assert remind_pending_jurors(db, _later_same_local_day(t1, org.timezone)) == 0
    (mail,) = _sent_to(db, juror)
    assert presented.name in mail.body_text and later.name not in mail.body_text
    db.add(
        PanelScore(
            panel_id=panel.id, body_id=presented.id, juror_id=juror.id, status=ScoreStatus.SUBMITTED
        )
    )
    db.flush()
    assert remind_pending_jurors(db, t1 + D) == 0  # nothing owed any more


# --- verifiers -----------------------------------------------------------------------------------


def test_verifiers_with_unfinished_bodies_or_appeals_are_reminded_once_a_day(
    db: Session, factory: Factory
) -> None:
    from app.db import utcnow
    from app.notifications.cycle_reminders import remind_pending_verifiers
    from app.submissions.models import Answer
    from app.verification import service as verification
    from app.verification.models import Appeal, AssignmentStatus
    from tests.verification.helpers import build, set_stage

    w = build(factory, db, bodies=2, verifiers=2)
    first, second = w.verifiers
    a = verification.assign_verifier(
        db, w.sek, w.cycle, body_id=w.bodies[0].id, verifier_id=first.id
    )
    # a clock at 01:00 of a day inside a verification window of several days
    now = utcnow().replace(hour=1, minute=0, second=0, microsecond=0)
    stage = set_stage(db, w.cycle, "verification")
    stage.opens_at, stage.closes_at = now - 2 * D, now + 3 * D
    w.cycle.reminder_days_before = 2  # reminders only from 2 days before the close: not yet
    assert remind_pending_verifiers(db, now) == 0
    w.cycle.reminder_days_before = 7
    assert remind_pending_verifiers(db, now) == 1
    assert remind_pending_verifiers(db, now + H) == 0  # once a day
    (mail,) = _sent_to(db, first)
    assert w.bodies[0].name in mail.body_text and f"/verifikasi/{w.cycle.id}" in mail.body_text
    a.status = AssignmentStatus.LOCKED
    db.flush()
    assert remind_pending_verifiers(db, now + D) == 0  # finished: nothing owed
    answer = db.scalars(select(Answer).where(Answer.body_id == w.bodies[0].id)).first()
    assert answer is not None
    db.add(
        Appeal(
            organisation_id=w.org.id,
            cycle_id=w.cycle.id,
            body_id=w.bodies[0].id,
            answer_id=answer.id,
            item_id=answer.item_id,
            reason="Bukti sudah ada",
            decider_id=second.id,
        )
    )
    db.flush()
    assert remind_pending_verifiers(db, now + D) == 0  # the appeal window is not open
    appeal_stage = set_stage(db, w.cycle, "appeal")
    appeal_stage.opens_at, appeal_stage.closes_at = now, now + 3 * D
    db.flush()
    assert remind_pending_verifiers(db, now + D) == 1
    (appeal_mail,) = _sent_to(db, second)
    assert "(sanggah)" in appeal_mail.body_text
