"""SAQ use-cases on the real database: autosave with optimistic locking, team work, deadlines
and extensions, submit with approval, reopen, the receipt manifest, item evidence."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.cycles import schedule
from app.cycles.access import system_actor
from app.db import utcnow
from app.errors import (
    Conflict,
    DeadlinePassed,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from app.evidence.models import EvidenceBlob, EvidenceFile
from app.jobs.models import Job
from app.notifications.models import Notification
from app.submissions import reports, service, workflow
from app.submissions.models import Answer, SubmissionStatus
from tests.submissions.conftest import World

LATE = timedelta(days=15)  # the factory's SAQ stage closes 9 days from now


def _save(w: World, who: str, code: str, value: str, version: int, **kw: object) -> Answer:
    return service.save_answer(
        w.factory.db, w.actor(who), w.ws(who), w.item(code), value=value, version=version, **kw
    )


def _attach(db: Session, w: World, code: str, data: bytes = b"%PDF-1.4 bukti") -> EvidenceFile:
    """A file attached to an item as the upload flow leaves it (the flow is tested elsewhere)."""
    sha = hashlib.sha256(data).hexdigest()
    if db.get(EvidenceBlob, sha) is None:
        db.add(EvidenceBlob(sha256=sha, size=len(data)))
    ef = EvidenceFile(
        organisation_id=w.org.id,
        body_id=w.body.id,
        blob_sha256=sha,
        original_name=f"Bukti {code}.pdf",
        content_type="application/pdf",
        size=len(data),
        cycle_id=w.cycle.id,
        item_id=w.item(code),
    )
    db.add(ef)
    db.flush()
    return ef


def test_an_autosave_with_a_stale_version_is_a_conflict_naming_the_other_save(
    db: Session, w: World
) -> None:
    first = _save(w, "operator", "1.2", "Ya", 0)
    assert (first.declared, first.declared_credit_scaled, first.version) == ("Ya", 10_000, 1)
    _save(w, "colleague", "1.2", "Tidak", 1)
    with pytest.raises(service.AnswerConflict) as caught:
        _save(w, "operator", "1.2", "Ya", 1)
    assert "Tidak" in caught.value.message
    assert w.users["colleague"].full_name in caught.value.message
    assert caught.value.current is not None and caught.value.current.version == 2
    stored = db.scalar(select(Answer).where(Answer.item_id == w.item("1.2")))
    assert stored is not None and stored.declared == "Tidak"  # the colleague's save survives


def test_two_first_saves_of_the_same_item_do_not_both_win(db: Session, w: World) -> None:
    _save(w, "operator", "2.1.1", "Ya", 0)
    with pytest.raises(service.AnswerConflict):
        _save(w, "colleague", "2.1.1", "Tidak", 0)


def test_answers_are_audited_and_validated(db: Session, w: World) -> None:
    _save(w, "operator", "1.1", "Tahunan", 0)
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "submission.answer_saved")
    ).all()
    assert events and events[-1].after["declared"] == "Tahunan"
    with pytest.raises(ValidationFailed):
        _save(w, "operator", "1.1", "Mingguan", 1)


def test_an_item_of_another_category_cannot_be_answered(db: Session, w: World) -> None:
    other_ws = w.ws("other_operator", w.other_body)
    only_theirs = next(it.id for it in other_ws.bq.spec.items if it.code == "2.1.2")
    with pytest.raises(NotFound):
        service.save_answer(
            db, w.actor("operator"), w.ws("operator"), only_theirs, value="Ya", version=0
        )


def test_assignees_fill_only_their_indicators_and_the_utama_fills_all(
    db: Session, w: World
) -> None:
    lead = w.ws("operator")
    workflow.assign_indicator(
        db, w.actor("operator"), lead, w.indicator("1"), f"user:{w.users['colleague'].id}"
    )
    workflow.assign_indicator(db, w.actor("operator"), lead, w.indicator("2"), f"unit:{w.unit.id}")
    _save(w, "colleague", "1.2", "Ya", 0)
    with pytest.raises(Forbidden):
        _save(w, "colleague", "2.1.1", "Ya", 0)
    _save(w, "unit_operator", "2.1.1", "Ya", 0)
    with pytest.raises(Forbidden):
        _save(w, "unit_operator", "1.1", "Bulanan", 0)
    _save(w, "operator", "1.1", "Bulanan", 0)  # the PPID utama fills anything
    with pytest.raises(Forbidden):
        workflow.assign_indicator(db, w.actor("colleague"), w.ws("colleague"), w.indicator("2"), "")
    tasks = workflow.my_tasks(db, w.actor("unit_operator"))
    assert [(t.body.id, t.indicator_code) for t in tasks] == [(w.body.id, "2")]
    assert db.scalars(
        select(Notification).where(Notification.user_id == w.users["unit_operator"].id)
    ).all()


def test_assigning_to_someone_outside_the_body_is_refused(db: Session, w: World) -> None:
    lead = w.ws("operator")
    for target in (f"user:{w.users['other_operator'].id}", f"unit:{w.other_body.id}", "x"):
        with pytest.raises(ValidationFailed):
            workflow.assign_indicator(db, w.actor("operator"), lead, w.indicator("1"), target)


def test_the_sekretariat_reads_but_never_fills(db: Session, w: World) -> None:
    ws = w.ws("sekretariat")
    assert ws.is_manager and not ws.fillable
    with pytest.raises(Forbidden):
        _save(w, "sekretariat", "1.2", "Ya", 0)


@pytest.mark.parametrize("who", ["outsider", "juri", "other_operator"])
def test_outsiders_and_other_roles_do_not_see_the_workspace(w: World, who: str) -> None:
    with pytest.raises(NotFound):
        w.ws(who)


def test_after_the_deadline_writes_are_refused_and_an_extension_reopens_them(
    db: Session, w: World
) -> None:
    later = utcnow() + LATE
    with pytest.raises(DeadlinePassed):
        _save(w, "operator", "1.2", "Ya", 0, now=later)
    with pytest.raises(DeadlinePassed):
        workflow.submit_saq(db, w.actor("operator"), w.ws("operator"), now=later)
    schedule.add_extension(
        db,
        system_actor(w.org.id),
        w.cycle,
        stage_code="saq",
        closes=(utcnow() + LATE + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        reason="Gangguan jaringan",
        decision_ref="SK Pleno 3",
        body_id=w.body.id,
    )
    assert _save(w, "operator", "1.2", "Ya", 0, now=later).version == 1
    with pytest.raises(DeadlinePassed):  # the extension is this body's only
        service.save_answer(
            db,
            w.actor("other_operator"),
            w.ws("other_operator", w.other_body),
            w.item("1.2"),
            value="Ya",
            version=0,
            now=later,
        )


def test_submit_locks_answers_and_the_receipt_manifest_is_stable(db: Session, w: World) -> None:
    _save(w, "operator", "1.2", "Ya", 0)
    ef = _attach(db, w, "1.2")
    ws = w.ws("operator")
    before = service.build_manifest(db, ws).sha256
    sub = workflow.submit_saq(db, w.actor("operator"), ws)
    assert sub.status == SubmissionStatus.SUBMITTED and sub.receipt_sha256 == before
    assert service.build_manifest(db, w.ws("operator")).sha256 == before  # rebuilt: same
    data = reports.receipt_data(db, w.actor("operator"), w.ws("operator"))
    assert data.manifest.sha256 == sub.receipt_sha256
    assert any(f[0] == ef.blob_sha256 for e in data.manifest.entries for f in e.files)
    with pytest.raises(InvalidTransition):
        _save(w, "operator", "1.2", "Tidak", 1)
    with pytest.raises(InvalidTransition):
        service.detach_file(db, w.actor("operator"), w.ws("operator"), w.item("1.2"), ef.id)
    with pytest.raises(InvalidTransition):
        workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))


def test_a_receipt_refuses_when_frozen_data_changed(db: Session, w: World) -> None:
    _save(w, "operator", "1.2", "Ya", 0)
    workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    _attach(db, w, "1.2", b"%PDF-1.4 disisipkan kemudian")  # behind the service's back
    with pytest.raises(Conflict):
        reports.receipt_data(db, w.actor("operator"), w.ws("operator"))


def test_submit_needs_the_confirmation_and_a_lead(db: Session, w: World) -> None:
    with pytest.raises(ValidationFailed):
        workflow.submit_saq(db, w.actor("operator"), w.ws("operator"), confirmed=False)
    workflow.assign_indicator(
        db,
        w.actor("operator"),
        w.ws("operator"),
        w.indicator("1"),
        f"user:{w.users['colleague'].id}",
    )
    with pytest.raises(Forbidden):
        workflow.submit_saq(db, w.actor("colleague"), w.ws("colleague"))


def test_with_the_approval_step_the_atasan_approves_or_returns(db: Session, w: World) -> None:
    w.cycle.requires_atasan_approval = True
    _save(w, "operator", "1.2", "Ya", 0)
    sub = workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    assert sub.status == SubmissionStatus.AWAITING_APPROVAL and not sub.receipt_sha256
    with pytest.raises(InvalidTransition):  # locked while waiting
        _save(w, "operator", "1.2", "Tidak", 1)
    with pytest.raises(Forbidden):
        workflow.approve_submission(db, w.actor("operator"), w.ws("operator"))
    with pytest.raises(ValidationFailed):
        workflow.return_submission(db, w.actor("atasan"), w.ws("atasan"), "  ")
    workflow.return_submission(db, w.actor("atasan"), w.ws("atasan"), "Lengkapi SK DIP.")
    assert sub.status == SubmissionStatus.DRAFT and sub.return_note == "Lengkapi SK DIP."
    _save(w, "operator", "1.2", "Tidak", 1)
    workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    done = workflow.approve_submission(db, w.actor("atasan"), w.ws("atasan"))
    assert done.status == SubmissionStatus.SUBMITTED
    assert done.approved_by_id == w.users["atasan"].id
    assert done.submitted_by_id == w.users["operator"].id
    assert done.receipt_sha256 == service.build_manifest(db, w.ws("atasan")).sha256


def test_the_sekretariat_reopens_with_a_reason_and_it_is_audited(db: Session, w: World) -> None:
    _save(w, "operator", "1.2", "Ya", 0)
    workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    with pytest.raises(Forbidden):
        workflow.reopen_submission(db, w.actor("operator"), w.ws("operator"), "ingin ubah")
    with pytest.raises(ValidationFailed):
        workflow.reopen_submission(db, w.actor("sekretariat"), w.ws("sekretariat"), " ")
    sub = workflow.reopen_submission(
        db, w.actor("sekretariat"), w.ws("sekretariat"), "Berkas rusak"
    )
    assert sub.status == SubmissionStatus.DRAFT and sub.reopen_reason == "Berkas rusak"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.reopened")).one()
    assert event.before["status"] == "submitted" and event.after["reason"] == "Berkas rusak"
    assert _save(w, "operator", "1.2", "Tidak", 1).version == 2
    with pytest.raises(InvalidTransition):
        workflow.reopen_submission(db, w.actor("sekretariat"), w.ws("sekretariat"), "lagi")


def test_links_are_checked_and_bad_ones_refused(db: Session, w: World) -> None:
    ws = w.ws("operator")
    for bad in ("file:///etc/passwd", "http://127.0.0.1/admin", "javascript:alert(1)", ""):
        with pytest.raises(ValidationFailed):
            service.add_link(db, w.actor("operator"), ws, w.item("2.1.1"), bad)
    with pytest.raises(ValidationFailed):  # 1.2 asks for a file, not a link
        service.add_link(db, w.actor("operator"), ws, w.item("1.2"), "https://contoh.go.id/sk.pdf")
    link = service.add_link(
        db, w.actor("operator"), ws, w.item("2.1.1"), "https://contoh.go.id/profil"
    )
    job = db.scalars(select(Job).where(Job.kind == "evidence.check_links")).all()[-1]
    assert job.params["urls"] == [link.url] and job.params["item_id"] == w.item("2.1.1")
    with pytest.raises(ValidationFailed):
        service.add_link(
            db, w.actor("operator"), ws, w.item("2.1.1"), "https://contoh.go.id/profil"
        )
    service.remove_link(db, w.actor("operator"), w.ws("operator"), w.item("2.1.1"), link.id)
    assert not service.item_links(db, w.ws("operator"))


def test_detaching_a_file_keeps_it_in_the_library(db: Session, w: World) -> None:
    ef = _attach(db, w, "1.2")
    service.detach_file(db, w.actor("operator"), w.ws("operator"), w.item("1.2"), ef.id)
    assert ef.item_id is None and db.get(EvidenceFile, ef.id) is not None
    with pytest.raises(NotFound):
        service.detach_file(db, w.actor("operator"), w.ws("operator"), w.item("1.2"), ef.id)


def test_an_upload_goes_to_the_body_or_the_units_own_evidence(db: Session, w: World) -> None:
    target = service.prepare_item_upload(db, w.actor("operator"), w.ws("operator"), w.item("1.2"))
    assert target.body_id == w.body.id and target.policy.allowed == ("pdf",)
    workflow.assign_indicator(
        db, w.actor("operator"), w.ws("operator"), w.indicator("2"), f"unit:{w.unit.id}"
    )
    unit_target = service.prepare_item_upload(
        db, w.actor("unit_operator"), w.ws("unit_operator"), w.item("2.1.3")
    )
    assert unit_target.body_id == w.unit.id
    with pytest.raises(ValidationFailed):  # 2.1.1 takes links only
        service.prepare_item_upload(db, w.actor("operator"), w.ws("operator"), w.item("2.1.1"))
    with pytest.raises(DeadlinePassed):
        service.prepare_item_upload(
            db, w.actor("operator"), w.ws("operator"), w.item("1.2"), now=utcnow() + LATE
        )


def test_the_sekretariat_list_is_paged_with_status_and_progress(db: Session, w: World) -> None:
    _save(w, "operator", "1.2", "Tidak", 0)
    workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    page = reports.list_submissions(db, w.cycle, per_page=1)
    assert page.total == 2 and page.pages == 2 and len(page.rows) == 1
    assert page.counts == {"submitted": 1, "draft": 1}
    sent = reports.list_submissions(db, w.cycle, status="submitted").rows
    assert [(r.body.id, r.answered, r.total) for r in sent] == [(w.body.id, 1, 4)]


def test_the_saq_pages_known_facts_give_the_same_body_state_as_the_queries(
    db: Session, w: World
) -> None:
    """The SAQ page passes what it already loaded (submission, item count, broken links) to
    the body's panel instead of reading them again: the state must be the same."""
    from app.cycles.schedule import current_stage
    from app.dashboards.body import KnownFacts, body_state
    from app.evidence import rules as evidence_rules
    from app.evidence.models import LinkCheck

    _save(w, "operator", "1.2", "Ya", 0)
    for url, status in (("https://a.example.id/sk", "broken"), ("https://b.example.id", "ok")):
        db.add(
            LinkCheck(
                organisation_id=w.org.id,
                body_id=w.body.id,
                cycle_id=w.cycle.id,
                url=url,
                url_hash=hashlib.sha256(url.encode()).hexdigest(),
                status=status,
                checked_at=utcnow(),
            )
        )
    db.flush()
    ws = w.ws("operator")
    checks = service.link_checks(db, ws)
    known = KnownFacts(
        ws.submission,
        len(ws.bq.spec.items),
        len([c for c in checks.values() if c.status != evidence_rules.OK]),
    )
    moment = current_stage(db, w.cycle, body_id=w.body.id)
    queried = body_state(db, w.cycle, w.body, moment)
    assert body_state(db, w.cycle, w.body, moment, known) == queried
    assert queried.broken_links == 1 and queried.answered == 1 and queried.total_items > 1
