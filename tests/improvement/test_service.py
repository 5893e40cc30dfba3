"""Improvement-loop services on the real database: recommendations, carry-forward,
calibration and trends."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.evidence.models import EvidenceFile
from app.improvement import calibration, carry, service
from app.improvement.models import CalibrationSample, CalibrationStatus, CarriedEvidence
from app.improvement.pdf import render_recommendation
from app.improvement.rules import CarryOutcome
from app.jobs.models import Job
from app.submissions import service as submissions
from app.submissions.models import AnswerLink, Submission
from app.verification.models import VerdictRecord
from tests.factories import Factory
from tests.improvement import helpers as h
from tests.results.helpers import submit
from tests.verification import helpers as vh

# --- recommendations ---------------------------------------------------------------------------


def test_recommendations_wait_for_the_published_decree(factory: Factory, db: Session) -> None:
    loop = h.verified(factory, db)
    with pytest.raises(InvalidTransition, match="belum terbit"):
        service.generate_recommendations(db, loop.w.sek, loop.cycle)


def test_recommendations_list_lost_items_with_the_verifier_note(
    factory: Factory, db: Session
) -> None:
    loop = h.verified(factory, db)
    h.publish(db, loop)
    targets = vh.targets_in(db, loop.cycle)  # the factory's own targets never submitted
    assert service.generate_recommendations(db, loop.w.sek, loop.cycle) == len(targets)
    body0, body1 = loop.w.bodies
    view = service.get_recommendation(db, loop.w.sek, loop.cycle.id, body0.id)
    [(code, _name, total, items)] = view.groups
    assert code == "2"
    [lost] = items
    assert (lost.item_code, lost.reason) == ("2.1.1", "rejected")
    assert lost.verifier_note == h.REJECTED["2.1.1"]
    # Indicator 2 weighs 60; 2.1.1 (weight 1) of 2.1.1 + 2.1.3 (weights 1 + 1) for pemkab/pemkot.
    assert total == Decimal(30)
    full = service.get_recommendation(db, loop.w.sek, loop.cycle.id, body1.id)
    assert full.groups == []


def test_the_body_sees_its_recommendation_only_once_approved(factory: Factory, db: Session) -> None:
    loop = h.verified(factory, db)
    h.publish(db, loop)
    service.generate_recommendations(db, loop.w.sek, loop.cycle)
    body = loop.w.bodies[0]
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    with pytest.raises(NotFound):
        service.get_recommendation(db, operator, loop.cycle.id, body.id)
    view = service.get_recommendation(db, loop.w.sek, loop.cycle.id, body.id)
    [it] = view.groups[0][3]
    service.edit_recommendation(
        db, loop.w.sek, view, summary="Perbaiki tautan.", advice={it.id: "Perbaiki tautan profil."}
    )
    service.approve_recommendation(db, loop.w.sek, view)
    seen = service.get_recommendation(db, operator, loop.cycle.id, body.id)
    assert seen.rec.summary == "Perbaiki tautan."
    assert seen.groups[0][3][0].advice == "Perbaiki tautan profil."
    assert [c.id for c, _ in service.approved_for_body(db, body.id)] == [loop.cycle.id]
    # The other body's operator never sees it.
    other = factory.actor(factory.user(loop.w.org, Role.OPERATOR, body=loop.w.bodies[1]))
    with pytest.raises(NotFound):
        service.get_recommendation(db, other, loop.cycle.id, body.id)
    # Approved recommendations are frozen, and regenerating leaves them alone.
    with pytest.raises(Conflict):
        service.edit_recommendation(db, loop.w.sek, seen, summary="x", advice={})
    again = service.generate_recommendations(db, loop.w.sek, loop.cycle)
    assert again == len(vh.targets_in(db, loop.cycle)) - 1
    pdf = render_recommendation(seen)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {
        "improvement.recommendation_edited",
        "improvement.recommendation_approved",
    } <= actions


def test_empty_advice_is_refused_and_nothing_is_saved(factory: Factory, db: Session) -> None:
    loop = h.verified(factory, db)
    h.publish(db, loop)
    service.generate_recommendations(db, loop.w.sek, loop.cycle)
    view = service.get_recommendation(db, loop.w.sek, loop.cycle.id, loop.w.bodies[0].id)
    [it] = view.groups[0][3]
    with pytest.raises(ValidationFailed) as exc:
        service.edit_recommendation(db, loop.w.sek, view, summary="baru", advice={it.id: " "})
    assert f"advice_{it.id}" in exc.value.field_errors
    assert view.rec.summary == ""


def test_only_the_sekretariat_generates_and_approves(factory: Factory, db: Session) -> None:
    loop = h.verified(factory, db)
    h.publish(db, loop)
    with pytest.raises(Forbidden):
        service.generate_recommendations(db, loop.kom, loop.cycle)
    service.generate_recommendations(db, loop.w.sek, loop.cycle)
    view = service.get_recommendation(db, loop.kom, loop.cycle.id, loop.w.bodies[0].id)
    with pytest.raises(Forbidden):
        service.approve_recommendation(db, loop.kom, view)


def test_next_year_shows_last_years_advice_and_whether_it_was_followed(
    factory: Factory, db: Session
) -> None:
    loop = h.verified(factory, db)
    h.publish(db, loop)
    service.generate_recommendations(db, loop.w.sek, loop.cycle)
    body0, body1 = loop.w.bodies
    service.approve_recommendation(
        db, loop.w.sek, service.get_recommendation(db, loop.w.sek, loop.cycle.id, body0.id)
    )
    new = h.next_year(db, loop)
    assert set(service.last_year_advice(db, new, body0.id)) == {"2.1.1"}
    assert service.last_year_advice(db, new, body1.id) == {}
    assert service.last_year_advice(db, loop.cycle, body0.id) == {}  # no year before
    submit(db, new, body0.id)  # every item answered "Ya"…
    [follow] = service.follow_ups(db, new)
    assert follow.followed == {"2.1.1": False}  # …but not verified yet
    from app.submissions.models import Answer

    answer = db.scalar(
        select(Answer).where(
            Answer.cycle_id == new.id,
            Answer.body_id == body0.id,
            Answer.item_id == h.item(db, new, "2.1.1").id,
        )
    )
    assert answer is not None
    answer.verdict = "accepted"
    db.flush()
    [follow] = service.follow_ups(db, new)
    assert follow.followed == {"2.1.1": True} and follow.done == 1


# --- carry forward -----------------------------------------------------------------------------


def _carry_world(factory: Factory, db: Session) -> tuple[h.Loop, submissions.Workspace]:
    loop = h.verified(factory, db)
    new = h.next_year(db, loop)
    allow = {h.item(db, new, "1.2").id, h.item(db, new, "1.1").id, h.item(db, new, "2.1.1").id}
    carry.set_policies(db, loop.w.sek, new, allow)
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    return loop, submissions.get_workspace(db, operator, new.id, loop.w.bodies[0].id)


def test_an_unchanged_decree_is_carried_but_an_annual_report_must_be_renewed(
    factory: Factory, db: Session
) -> None:
    loop, ws = _carry_world(factory, db)
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    plan = {
        line.item.code: line.decision.outcome for line in carry.carry_plan(db, ws.cycle, ws.body.id)
    }
    assert plan == {
        "1.1": CarryOutcome.ELIGIBLE,
        "1.2": CarryOutcome.ELIGIBLE,
        "2.1.1": CarryOutcome.NOT_ACCEPTED,  # rejected last year
        "2.1.3": CarryOutcome.RENEW_REQUIRED,
    }
    decree = h.item(db, ws.cycle, "1.2")
    [carried] = carry.carry_forward(db, operator, ws, decree.id)
    copy = db.get(EvidenceFile, carried.evidence_file_id)
    source = db.get(EvidenceFile, carried.source_file_id)
    assert copy is not None and source is not None
    assert (copy.cycle_id, copy.item_id, copy.blob_sha256) == (
        ws.cycle.id,
        decree.id,
        source.blob_sha256,
    )
    assert carried.original_at == source.uploaded_at
    assert copy.id in carry.carried_by_file(db, ws.cycle.id, ws.body.id)
    with pytest.raises(Conflict):
        carry.carry_forward(db, operator, ws, decree.id)
    report = h.item(db, ws.cycle, "2.1.3")
    with pytest.raises(ValidationFailed, match="setiap tahun"):
        carry.carry_forward(db, operator, ws, report.id)
    assert db.scalar(select(CarriedEvidence).where(CarriedEvidence.item_id == report.id)) is None


def test_carried_links_are_checked_again(factory: Factory, db: Session) -> None:
    loop, ws = _carry_world(factory, db)
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    item = h.item(db, ws.cycle, "1.1")
    carried = carry.carry_forward(db, operator, ws, item.id)
    [file_copy] = [c for c in carried if c.evidence_file_id]  # the file goes along too
    assert file_copy.source_file_id is not None and file_copy.url == ""
    [carried_link] = [c for c in carried if c.answer_link_id]
    assert carried_link.url == h.PROFILE_URL
    link = db.get(AnswerLink, carried_link.answer_link_id)
    assert link is not None and (link.cycle_id, link.item_id) == (ws.cycle.id, item.id)
    job = db.scalars(select(Job).where(Job.kind == "evidence.check_links")).all()[-1]
    assert job.params["urls"] == [h.PROFILE_URL] and job.params["cycle_id"] == ws.cycle.id


def test_a_changed_item_cannot_carry_evidence(factory: Factory, db: Session) -> None:
    loop, ws = _carry_world(factory, db)
    decree = h.item(db, ws.cycle, "1.2")
    decree.text = "DIP ditetapkan dan dipublikasikan"
    db.flush()
    [line] = [x for x in carry.carry_plan(db, ws.cycle, ws.body.id) if x.item.id == decree.id]
    assert line.decision.outcome == CarryOutcome.ITEM_CHANGED
    with pytest.raises(ValidationFailed, match="berubah"):
        carry.carry_forward(db, factory.actor(loop.w.users["operator"], loop.w.org), ws, decree.id)


def test_carrying_needs_a_draft_saq_and_the_bodys_operator(factory: Factory, db: Session) -> None:
    loop, ws = _carry_world(factory, db)
    decree = h.item(db, ws.cycle, "1.2")
    sek_ws = submissions.get_workspace(db, loop.w.sek, ws.cycle.id, ws.body.id)
    with pytest.raises(Forbidden):
        carry.carry_forward(db, loop.w.sek, sek_ws, decree.id)
    db.add(
        Submission(
            organisation_id=loop.w.org.id,
            cycle_id=ws.cycle.id,
            body_id=ws.body.id,
            status="submitted",
        )
    )
    db.flush()
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    ws = submissions.get_workspace(db, operator, ws.cycle.id, ws.body.id)
    with pytest.raises(InvalidTransition):
        carry.carry_forward(db, operator, ws, decree.id)


def test_carry_settings_need_a_cloned_cycle_and_the_sekretariat(
    factory: Factory, db: Session
) -> None:
    loop, ws = _carry_world(factory, db)
    with pytest.raises(InvalidTransition):
        carry.set_policies(db, loop.w.sek, loop.cycle, set())
    with pytest.raises(Forbidden):
        carry.set_policies(db, loop.kom, ws.cycle, set())
    with pytest.raises(ValidationFailed):
        carry.set_policies(db, loop.w.sek, ws.cycle, {10**9})
    lines = {line.item.code: line for line in carry.setting_lines(db, ws.cycle)}
    assert lines["1.2"].policy == "allow" and lines["2.1.3"].policy == "renew"
    assert all(line.unchanged for line in lines.values())


# --- calibration -------------------------------------------------------------------------------


def _calibrated(factory: Factory, db: Session) -> tuple[h.Loop, list[CalibrationSample]]:
    loop = h.verified(factory, db)
    made = calibration.draw_sample(db, loop.w.sek, loop.cycle, Decimal(100), seed=1)
    samples = list(db.scalars(select(CalibrationSample).order_by(CalibrationSample.id)))
    assert made == len(samples) == 2 * len(loop.w.items)
    return loop, samples


def _as(factory: Factory, loop: h.Loop, user_id: int):  # type: ignore[no-untyped-def]
    user = next(u for u in loop.w.verifiers if u.id == user_id)
    return factory.actor(user, loop.w.org)


def test_each_sample_goes_blind_to_the_other_verifier(factory: Factory, db: Session) -> None:
    loop, samples = _calibrated(factory, db)
    _v0, v1 = loop.w.verifiers
    for s in samples:
        assert s.second_verifier_id != s.first_verifier_id
        assert s.status == CalibrationStatus.PENDING
    tasks = calibration.my_tasks(db, _as(factory, loop, v1.id), loop.cycle)
    assert {t.body.id for t in tasks} == {loop.w.bodies[0].id}
    assert all(not hasattr(t, "first_verdict") for t in tasks)
    with pytest.raises(ValidationFailed):  # everything is sampled already
        calibration.draw_sample(db, loop.w.sek, loop.cycle, Decimal(100))


def test_agreement_report_with_kappa_and_a_senior_decision(factory: Factory, db: Session) -> None:
    loop, samples = _calibrated(factory, db)
    # Second verdicts: body 0 (first: 2.1.1 rejected, rest accepted) — 2.1.3 rejected too;
    # body 1 (all accepted) — 1.2 rejected.
    second = {(0, "2.1.1"): "rejected", (0, "2.1.3"): "rejected", (1, "1.2"): "rejected"}
    codes = {i.id: c for c, i in loop.w.items.items()}
    index = {b.id: n for n, b in enumerate(loop.w.bodies)}
    for s in samples:
        verdict = second.get((index[s.body_id], codes[s.item_id]), "accepted")
        calibration.give_second_verdict(
            db,
            _as(factory, loop, s.second_verifier_id),
            loop.cycle,
            s.id,
            verdict=verdict,
            note="Bukti tidak sesuai." if verdict == "rejected" else "",
        )
    rep = calibration.report(db, loop.cycle)
    # 8 pairs, 6 agree; first verdicts 7 A + 1 R, second 5 A + 3 R:
    # pe = (7×5 + 1×3)/64 = 0.59375; kappa = (0.75 − 0.59375)/(1 − 0.59375) = 0.3846
    assert (rep.overall.pairs, rep.overall.agreed) == (8, 6)
    assert rep.overall.percentage == Decimal("75.00")
    assert rep.overall.kappa == Decimal("0.3846")
    assert set(rep.by_verifier) == {v.id for v in loop.w.verifiers}
    assert rep.by_indicator["1"].pairs == 4 and rep.by_indicator["2"].pairs == 4
    disputed = [s for s in rep.disagreements if s.status == CalibrationStatus.DISPUTED]
    assert len(disputed) == 2
    target = next(s for s in disputed if codes[s.item_id] == "2.1.3")
    with pytest.raises(Forbidden):  # a verifier of the item does not decide it
        calibration.decide(
            db,
            _as(factory, loop, target.first_verifier_id),
            loop.cycle,
            target.id,
            verdict="rejected",
            note="x",
        )
    with pytest.raises(ValidationFailed):
        calibration.decide(db, loop.w.sek, loop.cycle, target.id, verdict="rejected", note=" ")
    calibration.decide(
        db, loop.w.sek, loop.cycle, target.id, verdict="rejected", note="Kajian tidak ada."
    )
    answer = h.answer_of(db, loop.cycle, target.body_id, loop.w.items["2.1.3"])
    assert (answer.verdict, answer.credit_scaled) == ("rejected", 0)
    rec = db.scalars(select(VerdictRecord).where(VerdictRecord.answer_id == answer.id)).all()[-1]
    assert (rec.source, rec.note) == ("calibration", "Kajian tidak ada.")
    assert target.status == CalibrationStatus.DECIDED and target.final_verdict == "rejected"
    with pytest.raises(Conflict):
        calibration.decide(db, loop.w.sek, loop.cycle, target.id, verdict="accepted", note="y")
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.action == "improvement.calibration_decided")
    )


def test_only_the_second_verifier_answers_a_sample_once(factory: Factory, db: Session) -> None:
    loop, samples = _calibrated(factory, db)
    s = samples[0]
    with pytest.raises(Forbidden):
        calibration.give_second_verdict(
            db, _as(factory, loop, s.first_verifier_id), loop.cycle, s.id, verdict="accepted"
        )
    second = _as(factory, loop, s.second_verifier_id)
    with pytest.raises(ValidationFailed, match="Catatan"):
        calibration.give_second_verdict(db, second, loop.cycle, s.id, verdict="rejected")
    calibration.give_second_verdict(db, second, loop.cycle, s.id, verdict=s.first_verdict)
    assert s.status == CalibrationStatus.AGREED
    with pytest.raises(Conflict):
        calibration.give_second_verdict(db, second, loop.cycle, s.id, verdict="accepted")


@pytest.mark.parametrize("raw", ["", "abc", "0", "-5", "101", "NaN", "Infinity"])
def test_bad_sample_percentages_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        calibration.parse_percent(raw)


def test_sample_percentages_accept_a_decimal_comma() -> None:
    assert calibration.parse_percent(" 2,5 ") == Decimal("2.5")


def test_sampling_needs_two_verifiers(factory: Factory, db: Session) -> None:
    w = vh.build(factory, db, bodies=1, verifiers=1)
    from app.verification.service import assign_verifier

    assign_verifier(db, w.sek, w.cycle, body_id=w.bodies[0].id, verifier_id=w.verifiers[0].id)
    loop = h.Loop(w, factory.actor(w.users["komisioner"], w.org))
    h.verify_all(db, w, 0, {})
    with pytest.raises(ValidationFailed, match="dua verifikator"):
        calibration.draw_sample(db, loop.w.sek, loop.cycle, Decimal(5))


# --- trends ------------------------------------------------------------------------------------


def test_trends_compare_this_year_with_last_year_per_category(
    factory: Factory, db: Session
) -> None:
    loop = h.verified(factory, db)
    new = h.next_year(db, loop)
    body0, body1 = loop.w.bodies
    submit(db, new, body0.id)  # full credit everywhere
    submit(db, new, body1.id, {"1.2": 0})
    lines = {(t.category, t.item_code): t for t in service.trends(db, new)}
    profile = lines[("pemkab_pemkot", "2.1.1")]
    assert (profile.bodies, profile.met, profile.share) == (2, 2, Decimal("100.00"))
    assert (profile.last_bodies, profile.last_share) == (2, Decimal("50.00"))
    assert profile.change == Decimal("50.00")
    decree = lines[("pemkab_pemkot", "1.2")]
    assert (decree.share, decree.last_share) == (Decimal("50.00"), Decimal("100.00"))
    worst = service.most_failed(list(lines.values()), limit=1)
    assert [t.item_code for t in worst] == ["1.2"]


def test_carrying_respects_the_items_file_limit(factory: Factory, db: Session) -> None:
    loop, ws = _carry_world(factory, db)
    decree = h.item(db, ws.cycle, "1.2")
    decree.max_files = 1
    old = db.scalars(select(EvidenceFile).where(EvidenceFile.body_id == ws.body.id)).first()
    assert old is not None
    db.add(
        EvidenceFile(
            organisation_id=loop.w.org.id,
            body_id=ws.body.id,
            blob_sha256=old.blob_sha256,
            original_name="baru.pdf",
            content_type="application/pdf",
            size=old.size,
            cycle_id=ws.cycle.id,
            item_id=decree.id,
        )
    )
    db.flush()
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    ws = submissions.get_workspace(db, operator, ws.cycle.id, ws.body.id)
    with pytest.raises(ValidationFailed, match="boleh memuat 1"):
        carry.carry_forward(db, operator, ws, decree.id)
    assert db.scalar(select(CarriedEvidence)) is None


@pytest.mark.parametrize(
    ("threshold", "min_pairs", "field"),
    [
        ("abc", "", "selisih"),
        ("0", "", "selisih"),
        ("150", "3", "selisih"),
        ("", "0", "minimal"),
        ("", "-2", "minimal"),
        ("", "x", "minimal"),
    ],
)
def test_bad_flag_settings_are_refused(threshold: str, min_pairs: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        calibration.parse_flag_settings(threshold, min_pairs)
    assert field in exc.value.field_errors


def test_flag_settings_default_and_parse() -> None:
    assert calibration.parse_flag_settings(None, None) == (Decimal(20), 10)
    assert calibration.parse_flag_settings("12,5", "4") == (Decimal("12.5"), 4)


def test_a_carried_pdf_is_pre_checked_again(factory: Factory, db: Session) -> None:
    from app.evidence.storage import blob_key, get_storage

    loop, ws = _carry_world(factory, db)
    decree = h.item(db, ws.cycle, "1.2")
    [line] = [x for x in carry.carry_plan(db, ws.cycle, ws.body.id) if x.item.id == decree.id]
    assert line.previous is not None
    [old] = line.previous.files
    broken = b"%PDF-1.4 rusak"
    import hashlib

    from app.evidence.models import EvidenceBlob

    sha = hashlib.sha256(broken).hexdigest()
    db.add(EvidenceBlob(sha256=sha, size=len(broken)))
    get_storage().put_stream(blob_key(sha), io.BytesIO(broken))
    old.blob_sha256 = sha
    db.flush()
    operator = factory.actor(loop.w.users["operator"], loop.w.org)
    with pytest.raises(ValidationFailed, match=old.original_name):
        carry.carry_forward(db, operator, ws, decree.id)
    assert db.scalar(select(CarriedEvidence)) is None
