"""Verification use-cases on the real database: assignment, verdicts, clarification, review,
publication, appeals and the recomputed score the shortlist reads."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.conflicts.service import declare_affiliation
from app.cycles.rules import ShortlistRule
from app.db import utcnow
from app.errors import Conflict, DeadlinePassed, Forbidden, InvalidTransition, ValidationFailed
from app.results import service as results
from app.submissions.models import Answer
from app.verification import appeals, clarifications, service
from app.verification.models import AppealStatus, AssignmentStatus, VerdictRecord
from tests.factories import Factory
from tests.results.helpers import set_rules
from tests.verification.helpers import World, build, set_stage

D = Decimal


@pytest.fixture
def w(factory: Factory, db: Session) -> World:
    return build(factory, db)


def _verifier(factory: Factory, w: World, n: int = 0):  # type: ignore[no-untyped-def]
    return factory.actor(w.verifiers[n], w.org)


def _assign(db: Session, w: World, body_index: int = 0, verifier_index: int = 0) -> None:
    service.assign_verifier(
        db,
        w.sek,
        w.cycle,
        body_id=w.bodies[body_index].id,
        verifier_id=w.verifiers[verifier_index].id,
    )


def _verify_all(
    db: Session, w: World, actor, body_index: int = 0, **special: tuple[str, str]
) -> None:  # type: ignore[no-untyped-def]
    for code, item in w.items.items():
        verdict, note = special.get(code.replace(".", "_"), ("accepted", ""))
        service.give_verdict(
            db,
            actor,
            w.cycle,
            body_id=w.bodies[body_index].id,
            item_id=item.id,
            verdict=verdict,
            note=note,
        )


def _audit_actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- assignment ---------------------------------------------------------------------------------


def test_auto_assignment_balances_and_avoids_conflicts(factory: Factory, db: Session) -> None:
    from tests.verification.helpers import add_body, submit_saq

    w = build(factory, db, bodies=4, verifiers=2)
    extra = add_body(factory, db, w.cycle, "opd_pemprov")
    submit_saq(db, w.cycle, extra)
    v0 = _verifier(factory, w, 0)
    declare_affiliation(db, v0, kind="institution", name="x", body_id=w.bodies[0].id)
    n, left = service.auto_assign(db, w.sek, w.cycle)
    assert (n, left) == (5, [])
    rows = {r.body.id: r for r in service.target_rows(db, w.cycle)}
    assert rows[w.bodies[0].id].assignment.verifier_id == w.verifiers[1].id  # type: ignore[union-attr]
    loads = {wl.verifier.id: wl.assigned for wl in service.workload(db, w.cycle)}
    assert sorted(loads.values()) == [2, 3]
    # a second run has nothing left to do
    assert service.auto_assign(db, w.sek, w.cycle) == (0, [])


def test_a_conflicted_verifier_cannot_be_assigned_nor_verify(
    factory: Factory, db: Session, w: World
) -> None:
    v0 = _verifier(factory, w, 0)
    declare_affiliation(db, v0, kind="former_employer", name="x", body_id=w.bodies[0].id)
    with pytest.raises(ValidationFailed, match="afiliasi"):
        _assign(db, w)
    # assigned before declaring: access is refused from then on
    _assign(db, w, body_index=1)
    declare_affiliation(db, v0, kind="institution", name="y", body_id=w.bodies[1].id)
    with pytest.raises(Forbidden, match="afiliasi"):
        service.give_verdict(
            db,
            v0,
            w.cycle,
            body_id=w.bodies[1].id,
            item_id=w.items["1.2"].id,
            verdict="accepted",
        )


def test_an_unassigned_body_cannot_be_verified(factory: Factory, db: Session, w: World) -> None:
    _assign(db, w, verifier_index=1)
    with pytest.raises(Forbidden, match="tidak ditugaskan"):
        service.give_verdict(
            db,
            _verifier(factory, w, 0),
            w.cycle,
            body_id=w.bodies[0].id,
            item_id=w.items["1.2"].id,
            verdict="accepted",
        )


def test_only_the_sekretariat_assigns(factory: Factory, db: Session, w: World) -> None:
    with pytest.raises(Forbidden):
        service.assign_verifier(
            db,
            _verifier(factory, w),
            w.cycle,
            body_id=w.bodies[0].id,
            verifier_id=w.verifiers[0].id,
        )


# --- verdicts -----------------------------------------------------------------------------------


def test_verdicts_write_the_credit_the_ranking_sums(
    factory: Factory, db: Session, w: World
) -> None:
    _assign(db, w)
    v = _verifier(factory, w)
    _verify_all(db, w, v, **{"1_2": ("rejected", "SK tidak ditandatangani")})
    service.give_verdict(
        db,
        v,
        w.cycle,
        body_id=w.bodies[0].id,
        item_id=w.items["1.1"].id,
        verdict="adjusted",
        verified_option="Tahunan",
        note="Terakhir diperbarui 5 bulan lalu",
    )
    sheet = service.load_sheet(db, w.cycle, w.bodies[0].id)
    # indicator 1 (40): 1.1 weight 2 at 0.5, 1.2 weight 1 rejected → 1/3 × 40 = 13.333…
    # indicator 2 (60): 2.1.1 (1) and 2.1.3 (1) apply to pemkab_pemkot, both accepted → 60
    assert sheet.scores.verified.total == D("73.3333333333")
    assert sheet.scores.raw.total == D("100.0000000000")
    frame = results.cycle_frame(db, w.cycle)
    assert results.saq_scores(db, w.cycle, frame)[w.bodies[0].id].total == D("73.3333333333")
    notes = {ln.item.code: ln.note for ln in sheet.lines}
    assert notes["1.2"] == "SK tidak ditandatangani"
    assert "verification.verdict.verification" in _audit_actions(db)


@pytest.mark.parametrize(
    ("verdict", "option", "note", "field"),
    [
        ("rejected", None, "", "note"),
        ("adjusted", "Tahunan", " ", "note"),
        ("adjusted", None, "catatan", "verified_option"),
        ("adjusted", "Bulanan", "catatan", "verified_option"),
        ("maybe", None, "", "verdict"),
    ],
)
def test_bad_verdicts_are_refused_and_nothing_is_saved(
    factory: Factory, db: Session, w: World, verdict: str, option: str | None, note: str, field: str
) -> None:
    _assign(db, w)
    with pytest.raises(ValidationFailed) as err:
        service.give_verdict(
            db,
            _verifier(factory, w),
            w.cycle,
            body_id=w.bodies[0].id,
            item_id=w.items["1.1"].id,
            verdict=verdict,
            verified_option=option,
            note=note,
        )
    assert field in err.value.field_errors
    answer = db.scalar(select(Answer).where(Answer.item_id == w.items["1.1"].id))
    assert answer is not None and answer.verdict == "pending"
    assert db.scalar(select(VerdictRecord.id)) is None


def test_a_yes_no_item_cannot_be_adjusted(factory: Factory, db: Session, w: World) -> None:
    _assign(db, w)
    with pytest.raises(ValidationFailed, match="Hanya butir pilihan"):
        service.give_verdict(
            db,
            _verifier(factory, w),
            w.cycle,
            body_id=w.bodies[0].id,
            item_id=w.items["1.2"].id,
            verdict="adjusted",
            note="x",
        )


def test_verdicts_wait_for_the_verification_stage(factory: Factory, db: Session, w: World) -> None:
    _assign(db, w)
    set_stage(db, w.cycle, "verification", is_open=False)
    set_stage(db, w.cycle, "clarification", is_open=False)
    with pytest.raises(DeadlinePassed):
        service.give_verdict(
            db,
            _verifier(factory, w),
            w.cycle,
            body_id=w.bodies[0].id,
            item_id=w.items["1.2"].id,
            verdict="accepted",
        )


def test_a_locked_verdict_cannot_be_changed(factory: Factory, db: Session, w: World) -> None:
    _assign(db, w)
    v = _verifier(factory, w)
    _verify_all(db, w, v)
    a = service.submit_verification(db, v, w.cycle, w.bodies[0].id)
    assert a.status == AssignmentStatus.LOCKED
    with pytest.raises(Conflict, match="dikunci"):
        service.give_verdict(
            db,
            v,
            w.cycle,
            body_id=w.bodies[0].id,
            item_id=w.items["1.2"].id,
            verdict="rejected",
            note="berubah pikiran",
        )
    answer = db.scalar(
        select(Answer).where(Answer.item_id == w.items["1.2"].id, Answer.body_id == w.bodies[0].id)
    )
    assert answer is not None and answer.verdict == "accepted"


def test_submitting_needs_every_item_decided(factory: Factory, db: Session, w: World) -> None:
    _assign(db, w)
    v = _verifier(factory, w)
    service.give_verdict(
        db, v, w.cycle, body_id=w.bodies[0].id, item_id=w.items["1.2"].id, verdict="accepted"
    )
    with pytest.raises(ValidationFailed, match="belum diputus"):
        service.submit_verification(db, v, w.cycle, w.bodies[0].id)


def test_an_item_the_body_left_empty_needs_no_verdict(
    factory: Factory, db: Session, w: World
) -> None:
    from tests.verification.helpers import FULL, add_body, submit_saq

    body = add_body(factory, db, w.cycle)
    assert "2.1.3" in w.items  # an item that applies to the body, left empty
    submit_saq(db, w.cycle, body, {**FULL, "2.1.3": None})
    service.assign_verifier(db, w.sek, w.cycle, body_id=body.id, verifier_id=w.verifiers[0].id)
    v = _verifier(factory, w)
    for code, item in w.items.items():
        if code != "2.1.3":
            service.give_verdict(
                db, v, w.cycle, body_id=body.id, item_id=item.id, verdict="accepted"
            )
    sheet = service.load_sheet(db, w.cycle, body.id)
    assert sheet.pending == 0
    assert service.submit_verification(db, v, w.cycle, body.id).status in ("locked", "submitted")


# --- review -------------------------------------------------------------------------------------


def test_a_reviewer_returns_then_confirms(factory: Factory, db: Session, w: World) -> None:
    service.set_requires_review(db, w.sek, w.cycle, True)
    _assign(db, w)
    v = _verifier(factory, w)
    _verify_all(db, w, v)
    assert service.submit_verification(db, v, w.cycle, w.bodies[0].id).status == "submitted"
    reviewer = factory.actor(w.users["reviewer"], w.org)
    with pytest.raises(ValidationFailed, match="alasan"):
        service.review_verification(db, reviewer, w.cycle, w.bodies[0].id, confirm=False)
    with pytest.raises(Forbidden):
        service.review_verification(db, v, w.cycle, w.bodies[0].id, confirm=True)
    a = service.review_verification(
        db, reviewer, w.cycle, w.bodies[0].id, confirm=False, note="Periksa 1.2 lagi"
    )
    assert a.status == AssignmentStatus.RETURNED
    service.give_verdict(
        db,
        v,
        w.cycle,
        body_id=w.bodies[0].id,
        item_id=w.items["1.2"].id,
        verdict="rejected",
        note="Tidak ada tanda tangan",
    )
    service.submit_verification(db, v, w.cycle, w.bodies[0].id)
    a = service.review_verification(db, reviewer, w.cycle, w.bodies[0].id, confirm=True)
    assert a.status == AssignmentStatus.LOCKED and a.locked_at is not None


# --- clarification ------------------------------------------------------------------------------


def test_a_clarification_is_asked_answered_and_closed(
    factory: Factory, db: Session, w: World
) -> None:
    _assign(db, w)
    v = _verifier(factory, w)
    body = w.bodies[0]
    with pytest.raises(ValidationFailed):
        clarifications.ask_clarification(
            db, v, w.cycle, body_id=body.id, item_id=w.items["1.2"].id, question="", due="x"
        )
    c = clarifications.ask_clarification(
        db,
        v,
        w.cycle,
        body_id=body.id,
        item_id=w.items["1.2"].id,
        question="SK mana yang dimaksud?",
        due=utcnow() + timedelta(days=2),
    )
    _verify_all(db, w, v)
    with pytest.raises(ValidationFailed, match="klarifikasi"):
        service.submit_verification(db, v, w.cycle, body.id)
    with pytest.raises(InvalidTransition, match="belum menjawab"):
        clarifications.close_clarification(db, v, w.cycle, c.id)
    op = factory.actor(w.users["operator"], w.org)
    with pytest.raises(ValidationFailed):
        clarifications.answer_clarification(db, op, c, response=" ")
    clarifications.answer_clarification(db, op, c, response="SK PPID nomor 12/2025")
    assert c.status == "answered"
    clarifications.close_clarification(db, v, w.cycle, c.id)
    assert service.submit_verification(db, v, w.cycle, body.id).status == "locked"
    actions = _audit_actions(db)
    assert "verification.clarification_asked" in actions
    assert "verification.clarification_answered" in actions


def test_a_clarification_cannot_be_answered_after_its_deadline(
    factory: Factory, db: Session, w: World
) -> None:
    _assign(db, w)
    c = clarifications.ask_clarification(
        db,
        _verifier(factory, w),
        w.cycle,
        body_id=w.bodies[0].id,
        item_id=w.items["1.2"].id,
        question="?",
        due=utcnow() + timedelta(hours=1),
    )
    op = factory.actor(w.users["operator"], w.org)
    with pytest.raises(DeadlinePassed):
        clarifications.answer_clarification(
            db, op, c, response="terlambat", now=utcnow() + timedelta(hours=2)
        )
    assert c.response == ""


# --- the whole journey: publish, appeal, decide, shortlist -------------------------------------


def _verified_and_published(factory: Factory, db: Session, w: World) -> None:
    _assign(db, w, 0, 0)
    _assign(db, w, 1, 1)
    v0, v1 = _verifier(factory, w, 0), _verifier(factory, w, 1)
    _verify_all(
        db,
        w,
        v0,
        0,
        **{"1_2": ("rejected", "Tanpa tanggal terbit"), "2_1_1": ("rejected", "Tautan mati")},
    )
    _verify_all(db, w, v1, 1, **{"1_2": ("rejected", "Kosong")})
    service.submit_verification(db, v0, w.cycle, w.bodies[0].id)
    service.submit_verification(db, v1, w.cycle, w.bodies[1].id)
    set_stage(db, w.cycle, "verification_publication")
    assert service.publish_results(db, w.sek, w.cycle) == 2


def test_the_journey_from_verification_to_shortlist(
    factory: Factory, db: Session, w: World
) -> None:
    _verified_and_published(factory, db, w)
    body = w.bodies[0]
    # 1.1 (2 of 3) → 40 × 2/3 = 26.67; 2.1.1 rejected, 2.1.3 accepted → 60 × 1/2 = 30
    assert service.body_score(db, w.cycle, body.id) == D("56.6666666666")
    op = factory.actor(w.users["operator"], w.org)
    with pytest.raises(DeadlinePassed):  # appeal stage closed
        appeals.file_appeal(
            db, op, w.cycle, body_id=body.id, item_id=w.items["2.1.1"].id, reason="Tautan hidup"
        )
    set_stage(db, w.cycle, "appeal")
    appeal = appeals.file_appeal(
        db, op, w.cycle, body_id=body.id, item_id=w.items["2.1.1"].id, reason="Tautan hidup"
    )
    assert appeal.decider_id == w.verifiers[1].id  # never the original verifier
    with pytest.raises(Conflict, match="sudah pernah"):
        appeals.file_appeal(
            db, op, w.cycle, body_id=body.id, item_id=w.items["2.1.1"].id, reason="lagi"
        )
    with pytest.raises(ValidationFailed, match="sudah diterima"):
        appeals.file_appeal(db, op, w.cycle, body_id=body.id, item_id=w.items["1.1"].id, reason="x")
    # the shortlist waits for the appeal
    set_rules(db, w.cycle, shortlist=ShortlistRule(threshold=D("60")))
    kom = factory.actor(w.users["komisioner"], w.org)
    with pytest.raises(InvalidTransition, match="sanggahan belum diputus"):
        results.publish_shortlist(db, kom, w.cycle)
    preview = {line.body_id: line for line in results.shortlist_preview(db, w.cycle)}
    assert not preview[body.id].passes
    # the original verifier may not decide, even when handed the appeal by mistake
    with pytest.raises(Forbidden, match="verifikator yang memverifikasi"):
        appeals.decide_appeal(
            db, _verifier(factory, w, 0), appeal, w.cycle, decision="accepted", reason="ok"
        )
    v1 = _verifier(factory, w, 1)
    with pytest.raises(ValidationFailed, match="alasan"):
        appeals.decide_appeal(db, v1, appeal, w.cycle, decision="accepted", reason="")
    appeals.decide_appeal(
        db, v1, appeal, w.cycle, decision="accepted", reason="Tautan dapat dibuka"
    )
    assert appeal.status == AppealStatus.DECIDED
    assert (D(appeal.score_before), D(appeal.score_after)) == (
        D("56.6666666666"),
        D("86.6666666666"),
    )
    with pytest.raises(Conflict, match="sudah diputus"):
        appeals.decide_appeal(db, v1, appeal, w.cycle, decision="rejected", reason="x")
    preview = {line.body_id: line for line in results.shortlist_preview(db, w.cycle)}
    assert preview[body.id].passes and preview[body.id].published == D("86.67")
    assert results.publish_shortlist(db, kom, w.cycle) == 2
    actions = _audit_actions(db)
    for action in ("verification.appeal_filed", "verification.recomputed"):
        assert action in actions
    rec = db.scalar(select(AuditEvent).where(AuditEvent.action == "verification.recomputed"))
    assert rec is not None and rec.before["saq"] == "56.6666666666"  # type: ignore[index]


def test_appeals_only_on_published_items_of_ones_own_body(
    factory: Factory, db: Session, w: World
) -> None:
    _assign(db, w)
    set_stage(db, w.cycle, "appeal")
    op = factory.actor(w.users["operator"], w.org)
    with pytest.raises(InvalidTransition, match="belum diumumkan"):
        appeals.file_appeal(
            db, op, w.cycle, body_id=w.bodies[0].id, item_id=w.items["1.2"].id, reason="x"
        )
    with pytest.raises(Forbidden):
        appeals.file_appeal(
            db, op, w.cycle, body_id=w.bodies[1].id, item_id=w.items["1.2"].id, reason="x"
        )


def test_the_published_sheet_is_only_the_bodys_own(factory: Factory, db: Session, w: World) -> None:
    _verified_and_published(factory, db, w)
    op = factory.actor(w.users["operator"], w.org)
    assert service.get_published_sheet(db, op, w.cycle.id, w.bodies[0].id).body.id == w.bodies[0].id
    from app.errors import NotFound

    with pytest.raises(NotFound):
        service.get_published_sheet(db, op, w.cycle.id, w.bodies[1].id)


def test_publication_needs_its_stage_and_locked_work(
    factory: Factory, db: Session, w: World
) -> None:
    with pytest.raises(DeadlinePassed):
        service.publish_results(db, w.sek, w.cycle)  # its window is not now
    set_stage(db, w.cycle, "verification_publication")
    with pytest.raises(ValidationFailed, match="Belum ada"):
        service.publish_results(db, w.sek, w.cycle)
    with pytest.raises(Forbidden):
        service.publish_results(db, _verifier(factory, w), w.cycle)


def test_the_sekretariat_reassigns_an_appeal_but_never_to_the_original_verifier(
    factory: Factory, db: Session
) -> None:
    w = build(factory, db, verifiers=3)
    _verified_and_published(factory, db, w)
    set_stage(db, w.cycle, "appeal")
    op = factory.actor(w.users["operator"], w.org)
    appeal = appeals.file_appeal(
        db, op, w.cycle, body_id=w.bodies[0].id, item_id=w.items["1.2"].id, reason="x"
    )
    with pytest.raises(ValidationFailed, match="berbeda"):
        appeals.assign_decider(db, w.sek, appeal, w.cycle, w.verifiers[0].id)
    appeals.assign_decider(db, w.sek, appeal, w.cycle, w.verifiers[2].id)
    assert appeal.decider_id == w.verifiers[2].id
    assert Role.VERIFIKATOR  # the decider holds the verifier role


def _new_file(db: Session, w: World, body_index: int = 0) -> int:
    from app.evidence.models import EvidenceFile

    old = db.scalars(
        select(EvidenceFile).where(EvidenceFile.body_id == w.bodies[body_index].id)
    ).first()
    assert old is not None
    new = EvidenceFile(
        organisation_id=old.organisation_id,
        body_id=old.body_id,
        blob_sha256=old.blob_sha256,
        original_name="bukti-baru.pdf",
        content_type="application/pdf",
        size=old.size,
        cycle_id=old.cycle_id,
        item_id=old.item_id,
    )
    db.add(new)
    db.flush()
    return new.id


def test_new_evidence_is_attached_to_a_clarification_and_an_appeal(
    factory: Factory, db: Session, w: World
) -> None:
    from app.errors import NotFound

    _verified_and_published(factory, db, w)
    op = factory.actor(w.users["operator"], w.org)
    # a clarification was asked earlier (directly: verification is locked by now)
    from app.verification.models import Clarification

    answer = db.scalar(select(Answer).where(Answer.body_id == w.bodies[0].id))
    assert answer is not None
    c = Clarification(
        organisation_id=w.org.id,
        cycle_id=w.cycle.id,
        body_id=w.bodies[0].id,
        answer_id=answer.id,
        item_id=answer.item_id,
        question="?",
        due_at=utcnow() + timedelta(days=1),
    )
    db.add(c)
    db.flush()
    file_id = _new_file(db, w)
    clarifications.attach_evidence(db, op, c.id, file_id)
    assert (c.evidence_file_id, c.status) == (file_id, "answered")
    with pytest.raises(NotFound):  # another body's file
        clarifications.attach_evidence(db, op, c.id, _new_file(db, w, 1))
    set_stage(db, w.cycle, "appeal")
    appeal = appeals.file_appeal(
        db, op, w.cycle, body_id=w.bodies[0].id, item_id=w.items["1.2"].id, reason="Ada SK"
    )
    appeals.attach_evidence(db, op, appeal.id, file_id)
    assert appeal.evidence_file_id == file_id
    set_stage(db, w.cycle, "appeal", is_open=False)
    with pytest.raises(DeadlinePassed):
        appeals.check_evidence_allowed(db, op, appeal.id)


def test_open_appeals_block_the_results_decree_and_late_decisions_are_refused(
    factory: Factory, db: Session, w: World
) -> None:
    from app.results.publication import publication_blockers

    _verified_and_published(factory, db, w)
    set_stage(db, w.cycle, "appeal")
    op = factory.actor(w.users["operator"], w.org)
    appeal = appeals.file_appeal(
        db, op, w.cycle, body_id=w.bodies[0].id, item_id=w.items["1.2"].id, reason="Ada"
    )
    assert "1 sanggahan belum diputus." in publication_blockers(db, w.cycle)
    from app.results.models import ShortlistEntry

    db.add(
        ShortlistEntry(
            organisation_id=w.org.id,
            cycle_id=w.cycle.id,
            body_id=w.bodies[1].id,
            published_saq=D("70"),
        )
    )
    db.flush()
    with pytest.raises(InvalidTransition, match="nominasi sudah diterbitkan"):
        appeals.decide_appeal(
            db, _verifier(factory, w, 1), appeal, w.cycle, decision="accepted", reason="ok"
        )
