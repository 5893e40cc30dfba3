"""The pre-check on a real database with real PDFs: each rule fires where it should and not
elsewhere; unreadable files never block; verifiers' decisions are recorded and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.models import AuditEvent
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.evidence import links
from app.evidence.links import LinkResult
from app.jobs.models import Job
from app.precheck import rules, service
from app.precheck.models import PrecheckFile, PrecheckLink, Suggestion
from app.submissions.models import AnswerLink
from app.verification.service import assign_verifier
from tests.evidence import pdfs as evidence_pdfs
from tests.factories import Factory
from tests.precheck import pdfs
from tests.precheck.conftest import Attach, run
from tests.verification.helpers import World


def kinds(db: Session, w: World, body_id: int) -> dict[tuple[str, int | None], set[str]]:
    """(item code, evidence file id) → the kinds suggested."""
    codes = {i.id: c for c, i in w.items.items()}
    out: dict[tuple[str, int | None], set[str]] = {}
    for s in db.scalars(
        select(Suggestion).where(Suggestion.cycle_id == w.cycle.id, Suggestion.body_id == body_id)
    ):
        out.setdefault((codes[s.item_id], s.evidence_file_id), set()).add(s.kind)
    return out


def test_the_right_document_gets_no_suggestion(db: Session, vw: World, attach: Attach) -> None:
    body = vw.bodies[0]
    ef = attach(body, vw.items["1.2"], pdfs.dip_decree(vw.cycle.year))
    result = run(db, vw, body)
    assert kinds(db, vw, body.id) == {}
    assert result["examined"] == 1 and result["suggestions"] == 0
    exam = db.scalars(select(PrecheckFile).where(PrecheckFile.evidence_file_id == ef.id)).one()
    assert exam.status == "examined" and exam.pages == 3 and exam.latest_year == vw.cycle.year


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda year: pdfs.blank_pdf(), {rules.NO_TEXT}),
        (lambda year: pdfs.scanned_pdf(pages=2), {rules.IMAGE_ONLY}),
        (lambda year: pdfs.dip_decree(year - 6), {rules.OLD_YEAR}),
        (lambda year: pdfs.travel_report(year), {rules.OFF_TOPIC}),
    ],
    ids=["blank", "scanned", "wrong-year", "wrong-document"],
)
def test_each_document_rule_fires_alone(
    db: Session, vw: World, attach: Attach, make: object, expected: set[str]
) -> None:
    body = vw.bodies[0]
    assert callable(make)
    bad = attach(body, vw.items["1.2"], make(vw.cycle.year))
    good = attach(body, vw.items["2.1.3"], pdfs.study(vw.cycle.year))
    run(db, vw, body)
    found = kinds(db, vw, body.id)
    assert found == {("1.2", bad.id): expected}
    assert ("2.1.3", good.id) not in found
    reason = db.scalars(select(Suggestion.reason).where(Suggestion.body_id == body.id)).one()
    assert reason and "\n" not in reason


def test_the_year_limit_is_per_cycle_and_per_item(db: Session, vw: World, attach: Attach) -> None:
    body = vw.bodies[0]
    attach(body, vw.items["1.2"], pdfs.dip_decree(vw.cycle.year - 2))
    run(db, vw, body)
    assert kinds(db, vw, body.id).popitem()[1] == {rules.OLD_YEAR}
    service.update_settings(
        db,
        vw.sek,
        vw.cycle,
        {"max_age_years": "1", "min_text_chars": "40", "item_max_age": "1.2 = 3"},
    )
    run(db, vw, body)
    assert kinds(db, vw, body.id) == {}  # the open suggestion is withdrawn by the new run


def test_an_unrelated_item_with_the_same_file_is_suggested_but_a_related_one_is_not(
    db: Session, vw: World, attach: Attach
) -> None:
    body = vw.bodies[0]
    data = pdfs.dip_decree(vw.cycle.year)
    dip = attach(body, vw.items["1.2"], data)
    other = attach(body, vw.items["2.1.3"], data)
    run(db, vw, body)
    found = kinds(db, vw, body.id)
    assert rules.DUPLICATE_ITEM in found[("1.2", dip.id)]
    assert rules.DUPLICATE_ITEM in found[("2.1.3", other.id)]
    assert rules.OFF_TOPIC in found[("2.1.3", other.id)]  # a DIP decree is not a study


def test_the_same_group_may_share_a_file(db: Session, vw: World, attach: Attach) -> None:
    body = vw.bodies[0]
    data = pdfs.study(vw.cycle.year)
    vw.items["2.1.1"].keywords = ["kajian"]
    attach(body, vw.items["2.1.1"], data)
    attach(body, vw.items["2.1.3"], data)
    run(db, vw, body)
    assert kinds(db, vw, body.id) == {}


def test_a_file_uploaded_by_another_body_is_suggested(
    db: Session, vw: World, attach: Attach
) -> None:
    a, b = vw.bodies
    data = pdfs.dip_decree(vw.cycle.year, body=a.name)
    mine = attach(a, vw.items["1.2"], data)
    attach(b, vw.items["1.2"], data)
    alone = attach(b, vw.items["2.1.3"], pdfs.study(vw.cycle.year))
    run(db, vw, b)  # the later body's run tells the earlier one too
    assert kinds(db, vw, a.id) == {("1.2", mine.id): {rules.DUPLICATE_BODY}}
    run(db, vw, a)
    assert kinds(db, vw, a.id) == {("1.2", mine.id): {rules.DUPLICATE_BODY}}
    assert set(kinds(db, vw, b.id)) == {("1.2", mine.id + 1)}
    assert ("2.1.3", alone.id) not in kinds(db, vw, b.id)
    reason = db.scalars(select(Suggestion.reason).where(Suggestion.body_id == a.id)).one()
    assert b.name in reason


@pytest.mark.parametrize("data", [pdfs.corrupt_pdf(), b""], ids=["corrupt", "empty"])
def test_an_unreadable_file_is_marked_and_never_blocks(
    db: Session, vw: World, attach: Attach, data: bytes
) -> None:
    body = vw.bodies[0]
    bad = attach(body, vw.items["1.2"], data)
    good = attach(body, vw.items["2.1.3"], pdfs.travel_report(vw.cycle.year))
    result = run(db, vw, body)
    exams = {e.evidence_file_id: e for e in db.scalars(select(PrecheckFile))}
    assert exams[bad.id].status == "unexaminable" and exams[bad.id].problem
    assert exams[good.id].status == "examined"
    assert result["unexaminable"] == 1
    assert kinds(db, vw, body.id) == {("2.1.3", good.id): {rules.OFF_TOPIC}}


def test_a_file_too_large_or_missing_is_not_examined(
    db: Session, vw: World, attach: Attach, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    body = vw.bodies[0]
    big = attach(body, vw.items["1.2"], pdfs.dip_decree(vw.cycle.year))
    gone = attach(body, vw.items["2.1.3"], pdfs.study(vw.cycle.year))
    gone.blob_sha256 = "f" * 64  # bytes lost from storage
    from app.evidence.models import EvidenceBlob

    db.add(EvidenceBlob(sha256="f" * 64, size=1))
    db.flush()
    monkeypatch.setattr(get_settings(), "precheck_max_file_bytes", big.size - 1)
    run(db, vw, body)
    exams = {e.evidence_file_id: e.problem for e in db.scalars(select(PrecheckFile))}
    assert exams == {big.id: "too_big", gone.id: "missing"}


def _link(db: Session, w: World, code: str, url: str) -> AnswerLink:
    link = AnswerLink(
        cycle_id=w.cycle.id, body_id=w.bodies[0].id, item_id=w.items[code].id, url=url
    )
    db.add(link)
    db.flush()
    return link


def _serve(monkeypatch: pytest.MonkeyPatch, pages: dict[str, LinkResult]) -> list[str]:
    seen: list[str] = []

    def fake(url: str, **_: object) -> LinkResult:
        seen.append(url)
        return pages[url]

    monkeypatch.setattr(links, "check_link", fake)
    return seen


def _page(url: str, html: bytes, problem: str = "") -> LinkResult:
    status = "broken" if problem else "ok"
    return LinkResult(
        url,
        status,
        problem,
        "Tautan meminta login." if problem else "",
        200,
        "text/html",
        url,
        html,
    )


def test_a_link_to_a_login_page_is_suggested(
    db: Session, vw: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall, fine = "https://drive.example.id/berkas", "https://ppid.example.id/profil"
    _link(db, vw, "2.1.1", wall)
    _link(db, vw, "1.1", fine)
    _serve(
        monkeypatch,
        {wall: _page(wall, b"<form>", "login_page"), fine: _page(fine, b"<p>Profil</p>")},
    )
    run(db, vw, vw.bodies[0])
    assert kinds(db, vw, vw.bodies[0].id) == {("2.1.1", None): {rules.LINK_WALL}}


def test_a_page_changed_since_submit_is_suggested_on_recheck(
    db: Session, vw: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, steady = "https://ppid.example.id/dip", "https://ppid.example.id/profil"
    _link(db, vw, "2.1.1", url)
    _link(db, vw, "1.1", steady)
    pages = {
        url: _page(url, b"<h1>DIP 2025</h1><script>var t=1</script>"),
        steady: _page(steady, b"<p>Profil</p><script>var now=1</script>"),
    }
    _serve(monkeypatch, pages)
    run(db, vw, vw.bodies[0])  # at submit: the baseline
    assert kinds(db, vw, vw.bodies[0].id) == {}
    pages[url] = _page(url, b"<h1>Halaman dipindahkan</h1>")
    pages[steady] = _page(steady, b"<p>Profil</p>  <script>var now=2</script>")  # scripts only
    run(db, vw, vw.bodies[0])
    assert kinds(db, vw, vw.bodies[0].id) == {("2.1.1", None): {rules.LINK_CHANGED}}
    seen = db.scalars(select(PrecheckLink).where(PrecheckLink.url == url)).one()
    assert seen.baseline_sha256 != seen.last_sha256


def _verifier(factory: Factory, db: Session, w: World, n: int = 0) -> Actor:
    assign_verifier(db, w.sek, w.cycle, body_id=w.bodies[0].id, verifier_id=w.verifiers[n].id)
    return w.actor(factory, w.verifiers[n])


def test_the_verifier_accepts_or_dismisses_and_the_report_counts_precision(
    db: Session, factory: Factory, vw: World, attach: Attach
) -> None:
    body = vw.bodies[0]
    attach(body, vw.items["1.2"], pdfs.blank_pdf())
    attach(body, vw.items["2.1.3"], pdfs.travel_report(vw.cycle.year))
    run(db, vw, body)
    actor = _verifier(factory, db, vw)
    by_kind = {
        s.kind: s for s in db.scalars(select(Suggestion).where(Suggestion.body_id == body.id))
    }
    service.decide_suggestion(db, actor, vw.cycle, body.id, by_kind[rules.NO_TEXT].id, "accepted")
    service.decide_suggestion(
        db, actor, vw.cycle, body.id, by_kind[rules.OFF_TOPIC].id, "dismissed"
    )
    rows = {r.kind: r for r in service.precision_report(db, vw.cycle)}
    assert (rows[rules.NO_TEXT].accepted, rows[rules.NO_TEXT].precision) == (1, 1)
    assert (rows[rules.OFF_TOPIC].dismissed, rows[rules.OFF_TOPIC].precision) == (1, 0)
    assert rows[rules.OLD_YEAR].precision is None
    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "precheck.suggestion_decided")
    ).all()
    assert len(audit) == 2
    summary = service.body_summary(db, vw.cycle)
    assert [(s.body_id, s.items) for s in summary] == [(body.id, 2)]
    assert summary[0].by_kind == {rules.NO_TEXT: 1, rules.OFF_TOPIC: 1}
    # A new run keeps what the verifier decided.
    run(db, vw, body)
    kept = db.get(Suggestion, by_kind[rules.NO_TEXT].id)
    assert kept is not None and kept.status == "accepted"


def test_only_the_assigned_verifier_decides(
    db: Session, factory: Factory, vw: World, attach: Attach
) -> None:
    body = vw.bodies[0]
    attach(body, vw.items["1.2"], pdfs.blank_pdf())
    run(db, vw, body)
    s = db.scalars(select(Suggestion)).one()
    _verifier(factory, db, vw, 0)
    other = vw.actor(factory, vw.verifiers[1])
    with pytest.raises(Forbidden):
        service.decide_suggestion(db, other, vw.cycle, body.id, s.id, "accepted")
    sek = vw.actor(factory, vw.users["sekretariat"])
    with pytest.raises(Forbidden):
        service.decide_suggestion(db, sek, vw.cycle, body.id, s.id, "accepted")
    mine = vw.actor(factory, vw.verifiers[0])
    with pytest.raises(ValidationFailed):
        service.decide_suggestion(db, mine, vw.cycle, body.id, s.id, "maybe")
    with pytest.raises(NotFound):
        service.decide_suggestion(db, mine, vw.cycle, body.id, s.id + 999, "accepted")
    assert s.status == "open"


def test_a_locked_verification_refuses_decisions(
    db: Session, factory: Factory, vw: World, attach: Attach
) -> None:
    from app.db import utcnow
    from app.verification.service import assignment_of

    body = vw.bodies[0]
    attach(body, vw.items["1.2"], pdfs.blank_pdf())
    run(db, vw, body)
    actor = _verifier(factory, db, vw)
    a = assignment_of(db, vw.cycle, body.id)
    assert a is not None
    a.status, a.locked_at = "locked", utcnow()
    s = db.scalars(select(Suggestion)).one()
    with pytest.raises(Conflict):
        service.decide_suggestion(db, actor, vw.cycle, body.id, s.id, "accepted")


def test_recheck_is_for_the_verifier_or_the_sekretariat(
    db: Session, factory: Factory, vw: World
) -> None:
    body = vw.bodies[0]
    _verifier(factory, db, vw)
    job = service.request_recheck(db, vw.actor(factory, vw.verifiers[0]), vw.cycle, body.id)
    assert job.kind == service.JOB_KIND and job.params["body_id"] == body.id
    service.request_recheck(db, vw.actor(factory, vw.users["sekretariat"]), vw.cycle, body.id)
    with pytest.raises(Forbidden):
        service.request_recheck(db, vw.actor(factory, vw.verifiers[1]), vw.cycle, body.id)


def test_settings_refuse_bad_input_and_keep_what_was_saved(db: Session, vw: World) -> None:
    service.update_settings(
        db, vw.sek, vw.cycle, {"max_age_years": "2", "min_text_chars": "10", "item_max_age": ""}
    )
    for bad in (
        {"max_age_years": "x", "min_text_chars": "10"},
        {"max_age_years": "2", "min_text_chars": "-1"},
        {"max_age_years": "2", "min_text_chars": "10", "item_max_age": "1.2 tiga"},
    ):
        with pytest.raises(ValidationFailed):
            service.update_settings(db, vw.sek, vw.cycle, bad)
    s = service.settings_of(db, vw.cycle)
    assert (s.max_age_years, s.min_text_chars) == (2, 10)


def test_submitting_the_saq_queues_the_precheck(factory: Factory, db: Session) -> None:
    from app.submissions import workflow
    from tests.submissions.conftest import build as build_workspace

    w = build_workspace(factory)
    workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    job = db.scalars(select(Job).where(Job.kind == service.JOB_KIND)).one()
    assert job.params == {"cycle_id": w.cycle.id, "body_id": w.body.id}


def test_a_pdf_too_heavy_for_the_limits_is_marked_not_examined(
    db: Session, vw: World, attach: Attach, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    body = vw.bodies[0]
    # its page's text inflates to 64 MB: more than the 16 MB allowed
    ef = attach(body, vw.items["1.2"], evidence_pdfs.heavy_pdf(numbers=0, content_mb=64))
    monkeypatch.setattr(get_settings(), "evidence_pdf_check_memory_mb", 16)
    result = run(db, vw, body)
    exam = db.scalars(select(PrecheckFile).where(PrecheckFile.evidence_file_id == ef.id)).one()
    assert (exam.status, exam.problem) == ("unexaminable", "too_heavy")
    assert result["unexaminable"] == 1 and kinds(db, vw, body.id) == {}
