"""Use-cases of the evidence pre-check: examine a submitted SAQ's files and links in the
background, show suggestions to verifiers, record their decisions, report precision."""

from __future__ import annotations

import hashlib
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.bodies.models import Body
from app.config import get_settings
from app.cycles.access import can_manage, get_cycle_for_staff, require_manager
from app.cycles.models import Cycle
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.evidence import links
from app.evidence.models import EvidenceFile
from app.evidence.pdfcheck import PdfText, extract_pdf_text
from app.evidence.service import blob_chunks
from app.evidence.storage import StorageError
from app.jobs.models import Job
from app.jobs.service import Progress, job_handler, start_job
from app.precheck import rules
from app.precheck.models import PrecheckFile, PrecheckLink, PrecheckSetting, Suggestion
from app.questionnaires.models import Item
from app.submissions.models import AnswerLink, Submission, SubmissionStatus
from app.submissions.service import evidence_by_item, units_of
from app.verification.service import (
    can_oversee,
    get_assignment_for_verifier,
    submitted_submission,
)

JOB_KIND = "precheck.examine"
EXAMINED, UNEXAMINABLE, SKIPPED = "examined", "unexaminable", "skipped"


# --- settings -------------------------------------------------------------------------------


def settings_of(db: Session, cycle: Cycle) -> PrecheckSetting:
    """The cycle's pre-check settings (defaults, not yet stored, when never edited)."""
    found = db.get(PrecheckSetting, cycle.id)
    return found or PrecheckSetting(
        cycle_id=cycle.id, max_age_years=1, item_max_age={}, min_text_chars=40
    )


def policy_of(db: Session, cycle: Cycle) -> rules.Policy:
    s = settings_of(db, cycle)
    return rules.Policy(
        cycle_year=cycle.year,
        max_age_years=s.max_age_years,
        item_max_age={str(k): int(v) for k, v in (s.item_max_age or {}).items()},
        min_text_chars=s.min_text_chars,
    )


def _int_field(data: dict[str, str], name: str, low: int, high: int) -> int:
    raw = data.get(name, "").strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(
            f"Isi angka bulat {low}–{high}.", field_errors={name: f"Angka {low}–{high}."}
        )
    return int(raw)


def update_settings(
    db: Session, actor: Actor, cycle: Cycle, data: dict[str, str]
) -> PrecheckSetting:
    """The sekretariat sets how old evidence may be (default and per item) and the blank limit."""
    require_manager(actor, cycle)
    max_age = _int_field(data, "max_age_years", 0, 50)
    min_chars = _int_field(data, "min_text_chars", 0, 10000)
    ages, bad = rules.parse_item_ages(data.get("item_max_age", ""))
    if bad:
        raise ValidationFailed(
            "Tulis satu butir per baris sebagai “kode = jumlah tahun”: " + "; ".join(bad[:3]),
            field_errors={"item_max_age": "Format: kode = tahun."},
        )
    s = db.get(PrecheckSetting, cycle.id)
    before = (
        None
        if s is None
        else {
            "max_age_years": s.max_age_years,
            "item_max_age": s.item_max_age,
            "min_text_chars": s.min_text_chars,
        }
    )
    if s is None:
        s = PrecheckSetting(cycle_id=cycle.id)
        db.add(s)
    s.max_age_years, s.item_max_age, s.min_text_chars = max_age, ages, min_chars
    s.updated_at, s.updated_by_id = utcnow(), actor.user_id or None
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id or None,
        organisation_id=cycle.organisation_id,
        action="precheck.settings_updated",
        object_type="cycle",
        object_id=cycle.id,
        before=before,
        after={"max_age_years": max_age, "item_max_age": ages, "min_text_chars": min_chars},
    )
    return s


# --- starting the examination ---------------------------------------------------------------


def schedule_precheck(db: Session, cycle: Cycle, body: Body, *, by_user_id: int | None) -> Job:
    """Queue the examination of a body's evidence; it runs once the submit has committed."""
    return start_job(
        db,
        kind=JOB_KIND,
        title=f"Pra-periksa data dukung {body.name}",
        params={"cycle_id": cycle.id, "body_id": body.id},
        organisation_id=cycle.organisation_id,
        created_by_id=by_user_id or None,
    )


def request_recheck(db: Session, actor: Actor, cycle: Cycle, body_id: int) -> Job:
    """The body's verifier or the sekretariat runs the pre-check again (links are compared)."""
    if not can_manage(actor, cycle):
        get_assignment_for_verifier(db, actor, cycle, body_id)
    submitted_submission(db, cycle, body_id)
    body = db.get(Body, body_id)
    if body is None:
        raise NotFound("Badan publik tidak ditemukan.")
    job = schedule_precheck(db, cycle, body, by_user_id=actor.user_id)
    record(
        db,
        actor_user_id=actor.user_id or None,
        organisation_id=cycle.organisation_id,
        action="precheck.recheck_requested",
        object_type="body",
        object_id=body_id,
        after={"cycle_id": cycle.id, "job_id": job.id},
    )
    return job


# --- the examination ------------------------------------------------------------------------


@dataclass
class _Found:
    item_id: int
    subject: str
    finding: rules.Finding
    evidence_file_id: int | None = None
    url: str = ""


@dataclass
class _Run:
    policy: rules.Policy
    items: dict[int, rules.ItemInfo]
    found: list[_Found] = field(default_factory=list)
    texts: dict[str, PdfText | str] = field(default_factory=dict)  # sha256 → text or problem


def _item_info(item: Item) -> rules.ItemInfo:
    return rules.ItemInfo(
        id=item.id,
        code=item.code,
        text=item.text,
        keywords=tuple(k for k in item.keywords or [] if k.strip()),
        group_id=item.group_id,
    )


def read_text(ef: EvidenceFile) -> PdfText | str:
    """The file's text read in a limited child process, or why it could not be examined."""
    s = get_settings()
    if ef.purged_at is not None:
        return "missing"
    if ef.size > s.precheck_max_file_bytes:
        return "too_big"
    with tempfile.TemporaryDirectory(prefix="monev-precheck-") as tmp:
        path = Path(tmp) / "evidence.pdf"
        written = 0
        try:
            with path.open("wb") as out:
                for chunk in blob_chunks(ef):
                    written += len(chunk)
                    if written > s.precheck_max_file_bytes:
                        return "too_big"
                    out.write(chunk)
        except StorageError:
            return "missing"
        text = extract_pdf_text(path, max_chars=s.precheck_text_chars)
    return text if text.ok else text.problem


def _examine_file(
    db: Session, run: _Run, cycle: Cycle, body: Body, ef: EvidenceFile, item_id: int
) -> None:
    is_pdf = ef.content_type == "application/pdf"
    if is_pdf and ef.blob_sha256 not in run.texts:
        run.texts[ef.blob_sha256] = read_text(ef)
    result = run.texts.get(ef.blob_sha256, "") if is_pdf else ""
    exam = db.scalar(
        select(PrecheckFile).where(
            PrecheckFile.cycle_id == cycle.id, PrecheckFile.evidence_file_id == ef.id
        )
    )
    if exam is None:
        exam = PrecheckFile(
            organisation_id=cycle.organisation_id,
            cycle_id=cycle.id,
            body_id=body.id,  # the submitting body, also for its PPID pelaksana units' files
            evidence_file_id=ef.id,
        )
        db.add(exam)
    exam.examined_at = utcnow()
    if isinstance(result, PdfText):
        exam.status, exam.problem, exam.pages = EXAMINED, "", result.pages
        exam.text_chars = len(result.text.strip())
        exam.latest_year = rules.latest_year(result.text, cycle.year)
        facts = rules.DocFacts(result.pages, result.text, result.image_pages)
        for finding in rules.examine_document(run.items[item_id], facts, run.policy):
            run.found.append(_Found(item_id, f"file:{ef.id}", finding, ef.id))
    elif is_pdf:
        exam.status, exam.problem, exam.pages, exam.text_chars = UNEXAMINABLE, result, 0, 0
    else:
        exam.status, exam.problem = SKIPPED, "not_pdf"


def _duplicates(
    db: Session, run: _Run, cycle: Cycle, body: Body, files: dict[int, list[EvidenceFile]]
) -> None:
    uses: dict[str, list[rules.ItemInfo]] = defaultdict(list)
    for item_id, efs in files.items():
        for ef in efs:
            uses[ef.blob_sha256].append(run.items[item_id])
    reuse = rules.unrelated_reuse(uses)
    family = [body.id, *(u.id for u in units_of(db, body))]
    others: dict[str, list[str]] = defaultdict(list)
    if uses:
        for other, name in db.execute(
            select(EvidenceFile, Body.name)
            .join(Body, Body.id == EvidenceFile.body_id)
            .where(
                EvidenceFile.cycle_id == cycle.id,
                EvidenceFile.blob_sha256.in_(list(uses)),
                EvidenceFile.body_id.not_in(family),
                EvidenceFile.item_id.is_not(None),
                EvidenceFile.superseded_by_id.is_(None),
            )
        ):
            others[other.blob_sha256].append(name)
            _tell_other_body(db, cycle, other, body)
    for item_id, efs in files.items():
        for ef in efs:
            subject = f"file:{ef.id}"
            if (ef.blob_sha256, item_id) in reuse:
                finding = rules.duplicate_item_finding(reuse[(ef.blob_sha256, item_id)])
                run.found.append(_Found(item_id, subject, finding, ef.id))
            if others.get(ef.blob_sha256):
                finding = rules.duplicate_body_finding(others[ef.blob_sha256])
                run.found.append(_Found(item_id, subject, finding, ef.id))


def _tell_other_body(db: Session, cycle: Cycle, other: EvidenceFile, body: Body) -> None:
    """The body that sent the same file earlier hears of the later one too (once submitted)."""
    assert other.item_id is not None
    subject = f"file:{other.id}"
    exists = db.scalar(
        select(Suggestion.id).where(
            Suggestion.cycle_id == cycle.id,
            Suggestion.body_id == other.body_id,
            Suggestion.item_id == other.item_id,
            Suggestion.kind == rules.DUPLICATE_BODY,
            Suggestion.subject == subject,
        )
    )
    sent = db.scalar(
        select(Submission.id).where(
            Submission.cycle_id == cycle.id,
            Submission.body_id == other.body_id,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
    )
    if exists is None and sent is not None:
        finding = rules.duplicate_body_finding([body.name])
        db.add(
            Suggestion(
                organisation_id=cycle.organisation_id,
                cycle_id=cycle.id,
                body_id=other.body_id,
                item_id=other.item_id,
                kind=finding.kind,
                subject=subject,
                evidence_file_id=other.id,
                reason=finding.reason,
            )
        )


def _examine_link(db: Session, run: _Run, cycle: Cycle, link: AnswerLink) -> None:
    url_hash = links_hash(link.url)
    result = links.check_link(link.url)
    fingerprint = rules.page_fingerprint(result.content_type, result.body_head)
    fingerprint = fingerprint if result.is_ok else ""
    seen = db.scalar(
        select(PrecheckLink).where(
            PrecheckLink.cycle_id == cycle.id,
            PrecheckLink.body_id == link.body_id,
            PrecheckLink.item_id == link.item_id,
            PrecheckLink.url_hash == url_hash,
        )
    )
    now = utcnow()
    if seen is None:
        seen = PrecheckLink(
            organisation_id=cycle.organisation_id,
            cycle_id=cycle.id,
            body_id=link.body_id,
            item_id=link.item_id,
            url=link.url[:2000],
            url_hash=url_hash,
        )
        db.add(seen)
    if not seen.baseline_sha256 and fingerprint:
        seen.baseline_sha256, seen.baseline_at = fingerprint, now
    seen.last_sha256, seen.last_checked_at = fingerprint, now
    seen.last_status, seen.last_problem = result.status, result.problem
    subject = f"link:{url_hash}"
    findings = rules.link_findings(result.problem, result.message)
    changed = rules.link_changed(seen.baseline_sha256, fingerprint)
    findings += [changed] if changed else []
    for finding in findings:
        run.found.append(_Found(link.item_id, subject, finding, url=link.url))


def links_hash(url: str) -> str:
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()


def _sync_suggestions(db: Session, cycle: Cycle, body: Body, found: list[_Found]) -> int:
    """Store new findings; drop open suggestions a new run no longer finds (decided ones stay)."""
    existing = {
        (s.item_id, s.kind, s.subject): s
        for s in db.scalars(
            select(Suggestion).where(Suggestion.cycle_id == cycle.id, Suggestion.body_id == body.id)
        )
    }
    keep: set[tuple[int, str, str]] = set()
    for f in found:
        key = (f.item_id, f.finding.kind, f.subject)
        if key in keep:
            continue
        keep.add(key)
        s = existing.get(key)
        if s is None:
            db.add(
                Suggestion(
                    organisation_id=cycle.organisation_id,
                    cycle_id=cycle.id,
                    body_id=body.id,
                    item_id=f.item_id,
                    kind=f.finding.kind,
                    subject=f.subject,
                    evidence_file_id=f.evidence_file_id,
                    url=f.url[:2000],
                    reason=f.finding.reason[:500],
                )
            )
        elif s.status == rules.OPEN:
            s.reason = f.finding.reason[:500]
    for key, s in existing.items():
        if key not in keep and s.status == rules.OPEN:
            db.delete(s)
    db.flush()
    return len(keep)


def examine_submission(
    db: Session, cycle: Cycle, body: Body, progress: Progress | None = None
) -> dict[str, Any]:
    """Examine every current evidence file and link of a body's SAQ and store suggestions.

    A file that cannot be read (corrupt, too heavy, missing) is marked and skipped: the
    pre-check never blocks verification.
    """
    files = evidence_by_item(db, cycle.id, body)
    answer_links = list(
        db.scalars(
            select(AnswerLink)
            .where(AnswerLink.cycle_id == cycle.id, AnswerLink.body_id == body.id)
            .order_by(AnswerLink.id)
        )
    )
    item_ids = set(files) | {link.item_id for link in answer_links}
    items = {
        i.id: _item_info(i) for i in db.scalars(select(Item).where(Item.id.in_(item_ids or {0})))
    }
    files = {k: v for k, v in files.items() if k in items}
    run = _Run(policy_of(db, cycle), items)
    total = sum(len(v) for v in files.values()) + len(answer_links)
    done = 0
    for item_id, efs in files.items():
        for ef in efs:
            _examine_file(db, run, cycle, body, ef, item_id)
            done += 1
            if progress:
                progress(done, total, f"{done} dari {total} data dukung diperiksa")
    _duplicates(db, run, cycle, body, files)
    for link in answer_links:
        _examine_link(db, run, cycle, link)
        done += 1
        if progress:
            progress(done, total, f"{done} dari {total} data dukung diperiksa")
    db.flush()
    suggestions = _sync_suggestions(db, cycle, body, run.found)
    unexaminable = sum(1 for v in run.texts.values() if isinstance(v, str))
    return {"examined": total, "suggestions": suggestions, "unexaminable": unexaminable}


@job_handler(JOB_KIND, writes=True)
def examine_job(db: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Run the pre-check of one body's submitted SAQ."""
    cycle = db.get(Cycle, int(job.params["cycle_id"]))
    body = db.get(Body, int(job.params["body_id"]))
    if cycle is None or body is None:
        raise NotFound("Siklus atau badan publik tidak ditemukan.")
    return examine_submission(db, cycle, body, progress)


# --- the verifier's decisions ---------------------------------------------------------------


def get_suggestion(db: Session, cycle: Cycle, body_id: int, suggestion_id: int) -> Suggestion:
    s = db.get(Suggestion, suggestion_id)
    if s is None or s.cycle_id != cycle.id or s.body_id != body_id:
        raise NotFound("Saran pra-periksa tidak ditemukan.")
    return s


def decide_suggestion(
    db: Session, actor: Actor, cycle: Cycle, body_id: int, suggestion_id: int, decision: str
) -> Suggestion:
    """The body's assigned verifier accepts or dismisses a suggestion (recorded and audited)."""
    assignment = get_assignment_for_verifier(db, actor, cycle, body_id)
    s = get_suggestion(db, cycle, body_id, suggestion_id)
    if decision not in rules.DECISIONS:
        raise ValidationFailed(
            "Pilih “Benar” atau “Abaikan” untuk saran ini.",
            field_errors={"decision": "Pilih salah satu."},
        )
    if assignment.is_locked:
        raise Conflict("Verifikasi badan publik ini sudah dikunci; saran tidak dapat diputus.")
    before = {"status": s.status}
    s.status, s.decided_by_id, s.decided_at = decision, actor.user_id, utcnow()
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=cycle.organisation_id,
        action="precheck.suggestion_decided",
        object_type="precheck_suggestion",
        object_id=s.id,
        before=before,
        after={"status": decision, "kind": s.kind, "item_id": s.item_id},
    )
    return s


# --- reading --------------------------------------------------------------------------------


def sheet_suggestions(db: Session, cycle_id: int, body_id: int) -> dict[int, list[Suggestion]]:
    """Item id → the pre-check's suggestions on a body's SAQ."""
    out: dict[int, list[Suggestion]] = {}
    for s in db.scalars(
        select(Suggestion)
        .where(Suggestion.cycle_id == cycle_id, Suggestion.body_id == body_id)
        .order_by(Suggestion.id)
    ):
        out.setdefault(s.item_id, []).append(s)
    return out


def file_exams(db: Session, cycle_id: int, body_id: int) -> dict[int, PrecheckFile]:
    """Evidence file id → its examination (pages, or 'tidak dapat diperiksa')."""
    return {
        e.evidence_file_id: e
        for e in db.scalars(
            select(PrecheckFile).where(
                PrecheckFile.cycle_id == cycle_id, PrecheckFile.body_id == body_id
            )
        )
    }


def get_cycle_for_report(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    """A cycle whose pre-check report the actor may read (sekretariat, komisioner, reviewer)."""
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    if not can_oversee(actor, cycle):
        raise Forbidden("Laporan pra-periksa hanya untuk sekretariat dan komisioner.")
    return cycle


@dataclass(frozen=True)
class PrecisionRow:
    kind: str
    label: str
    open: int
    accepted: int
    dismissed: int

    @property
    def precision(self) -> Decimal | None:
        return rules.precision(self.accepted, self.dismissed)


def precision_report(db: Session, cycle: Cycle) -> list[PrecisionRow]:
    """Per rule: suggestions still open, accepted and dismissed, and the precision."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, status, n in db.execute(
        select(Suggestion.kind, Suggestion.status, func.count())
        .where(Suggestion.cycle_id == cycle.id)
        .group_by(Suggestion.kind, Suggestion.status)
    ):
        counts[kind][status] = n
    return [
        PrecisionRow(
            kind,
            rules.KIND_LABELS.get(kind, kind),
            counts[kind][rules.OPEN],
            counts[kind][rules.ACCEPTED],
            counts[kind][rules.DISMISSED],
        )
        for kind in rules.KINDS
    ]


@dataclass(frozen=True)
class BodySummary:
    body_id: int
    body_name: str
    items: int  # items with at least one suggestion
    by_kind: dict[str, int]
    unexaminable: int


def body_summary(db: Session, cycle: Cycle) -> list[BodySummary]:
    """Per body: how many items carry suggestions, suggestions by kind, files not examined."""
    items: dict[int, set[int]] = defaultdict(set)
    kinds: dict[int, Counter[str]] = defaultdict(Counter)
    for body_id, item_id, kind in db.execute(
        select(Suggestion.body_id, Suggestion.item_id, Suggestion.kind).where(
            Suggestion.cycle_id == cycle.id
        )
    ):
        items[body_id].add(item_id)
        kinds[body_id][kind] += 1
    bad = dict(
        db.execute(
            select(PrecheckFile.body_id, func.count())
            .where(PrecheckFile.cycle_id == cycle.id, PrecheckFile.status == UNEXAMINABLE)
            .group_by(PrecheckFile.body_id)
        ).all()
    )
    ids = set(items) | set(bad)
    names = dict(db.execute(select(Body.id, Body.name).where(Body.id.in_(ids or {0}))).all())
    return sorted(
        (
            BodySummary(b, names.get(b, "?"), len(items[b]), dict(kinds[b]), int(bad.get(b, 0)))
            for b in ids
        ),
        key=lambda r: (-r.items, r.body_name),
    )
