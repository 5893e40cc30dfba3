"""Use-cases of a body's SAQ: the workspace loader, answers (optimistic lock), item evidence,
team assignments, submit with the optional atasan approval, reopen, and what pages list.

Every write goes through `_require_writable`: the actor may fill the indicator, the SAQ stage
is open for the body (extensions count) and the submission is still a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.cycles.access import actor_id, organisation_of
from app.cycles.models import Cycle, CycleCategory, CycleStatus
from app.cycles.schedule import category_of_body, require_stage_open
from app.db import memo, utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.evidence import rules as evidence_rules
from app.evidence import service as evidence
from app.evidence.models import EvidenceFile, LinkCheck
from app.evidence.rules import UploadPolicy
from app.internal.models import LinkedEvidence
from app.questionnaires.rules import IndicatorSpec, ItemSpec
from app.questionnaires.service import BodyQuestionnaire, questionnaire_for_body
from app.submissions import rules
from app.submissions.models import Answer, AnswerLink, Assignment, Submission, SubmissionStatus
from app.web.format import fmt_datetime

STATUS_LABELS = {
    SubmissionStatus.DRAFT: "Draf",
    SubmissionStatus.AWAITING_APPROVAL: "Menunggu persetujuan atasan PPID",
    SubmissionStatus.SUBMITTED: "Terkirim",
}


class AnswerConflict(Conflict):
    """Someone saved the item since the form was loaded; carries what they saved."""

    def __init__(self, message: str, current: Answer | None, by_name: str) -> None:
        super().__init__(message, field_errors={"version": "Jawaban sudah diubah orang lain."})
        self.current = current
        self.by_name = by_name


# --- the workspace -------------------------------------------------------------------------


@dataclass
class Workspace:
    """One body's SAQ in one cycle as the actor may see and change it."""

    cycle: Cycle
    body: Body
    category: CycleCategory
    bq: BodyQuestionnaire
    submission: Submission | None
    assignments: list[Assignment]
    fillable: set[int]  # indicator ids the actor may fill
    is_lead: bool  # PPID utama operators and the atasan PPID: assign, submit
    is_atasan: bool
    is_manager: bool  # the commission's sekretariat: read, reopen
    unit_ids: list[int] = field(default_factory=list)  # the actor's PPID pelaksana units here
    tz: str = "Asia/Jakarta"

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else SubmissionStatus.DRAFT

    @property
    def is_draft(self) -> bool:
        return self.status == SubmissionStatus.DRAFT

    @property
    def indicators(self) -> tuple[IndicatorSpec, ...]:
        return self.bq.spec.indicators

    def find_item(self, item_id: int) -> tuple[IndicatorSpec, ItemSpec]:
        for ind in self.indicators:
            for it in ind.items:
                if it.id == item_id:
                    return ind, it
        raise NotFound("Butir tidak ditemukan dalam kuesioner badan publik ini.")

    def find_indicator(self, indicator_id: int) -> IndicatorSpec:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise NotFound("Indikator tidak ditemukan dalam kuesioner badan publik ini.")

    def assignment_views(self) -> list[rules.AssignmentView]:
        return [
            rules.AssignmentView(a.indicator_id, a.unit_id, a.user_id) for a in self.assignments
        ]


def units_of(db: Session, body: Body) -> list[Body]:
    """The body's PPID pelaksana units (read once per request: see `memo`)."""
    return list(
        memo(
            db,
            ("units", body.id),
            lambda: list(
                db.scalars(
                    select(Body).where(Body.parent_id == body.id).order_by(Body.name, Body.id)
                )
            ),
        )
    )


# The reads of every SAQ page, answer save and verdict, built once per process: building a
# statement (its clause objects, then its cache key) costs ~0.1 ms each time it is built.
_BODY_AND_UNITS = (
    select(Body)
    .where(or_(Body.id == bindparam("body_id"), Body.parent_id == bindparam("body_id")))
    .order_by(Body.name, Body.id)
)
_SUBMISSION = select(Submission).where(
    Submission.cycle_id == bindparam("cycle_id"), Submission.body_id == bindparam("body_id")
)
_ASSIGNMENTS = select(Assignment).where(
    Assignment.cycle_id == bindparam("cycle_id"), Assignment.body_id == bindparam("body_id")
)
_ANSWERS = select(Answer).where(Answer.submission_id == bindparam("submission_id"))
_ANSWER = _ANSWERS.where(Answer.item_id == bindparam("item_id"))


def submission_of(db: Session, cycle_id: int, body_id: int) -> Submission | None:
    """The body's submission in the cycle (None before its first answer)."""
    return db.scalar(_SUBMISSION, {"cycle_id": cycle_id, "body_id": body_id})


def body_and_units(db: Session, body_id: int) -> tuple[Body | None, list[Body]]:
    """A body and its PPID pelaksana units in one statement (the units kept for the request
    like `units_of`'s)."""
    rows = list(db.scalars(_BODY_AND_UNITS, {"body_id": body_id}))
    body = next((b for b in rows if b.id == body_id), None)
    if body is None:
        return None, []
    units = [b for b in rows if b.parent_id == body_id]
    return body, memo(db, ("units", body_id), lambda: units)


def get_workspace(db: Session, actor: Actor, cycle_id: int, body_id: int) -> Workspace:
    """Load a body's SAQ for its people (body, its PPID pelaksana units) or its sekretariat.

    Anyone else — another body, another commission, other staff roles — gets NotFound.
    """
    cycle = db.get(Cycle, cycle_id)
    body, units = body_and_units(db, body_id)
    if cycle is None or body is None or body.organisation_id != cycle.organisation_id:
        raise NotFound("SAQ tidak ditemukan.")
    is_manager = actor.organisation_id == cycle.organisation_id and (
        actor.is_admin or actor.has(Role.SEKRETARIAT)
    )
    unit_ids = [u.id for u in units if actor.acts_for_body(u.id)] if actor.body_ids else []
    is_member = actor.acts_for_body(body.id) or bool(unit_ids)
    if not (is_manager or (is_member and cycle.status == CycleStatus.OPEN)):
        raise NotFound("SAQ tidak ditemukan.")
    category = category_of_body(db, cycle, body.id)
    bq = questionnaire_for_body(db, cycle, body.id, category=category) if category else None
    if category is None or bq is None:
        raise NotFound(
            "Badan publik ini bukan sasaran siklus tersebut atau kuesionernya belum ada."
        )
    submission = submission_of(db, cycle.id, body.id)
    assignments = list(db.scalars(_ASSIGNMENTS, {"cycle_id": cycle.id, "body_id": body.id}))
    views = [rules.AssignmentView(a.indicator_id, a.unit_id, a.user_id) for a in assignments]
    ids = [ind.id for ind in bq.spec.indicators]
    return Workspace(
        cycle=cycle,
        body=body,
        category=category,
        bq=bq,
        submission=submission,
        assignments=assignments,
        fillable=rules.fillable_indicators(actor, body.id, ids, views),
        is_lead=rules.is_lead(actor, body.id, views),
        is_atasan=actor.acts_for_body(body.id, Role.ATASAN_PPID),
        is_manager=is_manager,
        unit_ids=unit_ids,
        tz=organisation_of(db, cycle).timezone,
    )


def ensure_submission(db: Session, ws: Workspace) -> Submission:
    """The body's submission for the cycle, created as a draft on the first write."""
    if ws.submission is not None:
        return ws.submission
    sub = Submission(
        organisation_id=ws.body.organisation_id,
        cycle_id=ws.cycle.id,
        body_id=ws.body.id,
        status=SubmissionStatus.DRAFT,
        created_at=utcnow(),
    )
    try:
        with db.begin_nested():
            db.add(sub)
    except IntegrityError:  # a colleague's first answer created it a moment ago
        found = submission_of(db, ws.cycle.id, ws.body.id)
        assert found is not None
        sub = found
    ws.submission = sub
    return sub


def _require_writable(
    db: Session, actor: Actor, ws: Workspace, indicator_id: int, now: datetime | None
) -> Submission:
    if indicator_id not in ws.fillable:
        if ws.is_manager and not actor.body_ids:
            raise Forbidden("Sekretariat hanya dapat melihat SAQ badan publik, tidak mengisinya.")
        raise Forbidden(
            "Indikator ini tidak ditugaskan kepada Anda. Hubungi PPID utama badan publik Anda."
        )
    require_stage_open(db, ws.cycle, "saq", body_id=ws.body.id, now=now)
    sub = ensure_submission(db, ws)
    if sub.status != SubmissionStatus.DRAFT:
        raise InvalidTransition(
            "SAQ sudah dikirim"
            + (" dan menunggu persetujuan atasan PPID" if sub.status != "submitted" else "")
            + "; jawaban dan data dukung terkunci."
        )
    return sub


# --- answers -------------------------------------------------------------------------------


def answers_of(db: Session, ws: Workspace, item_id: int | None = None) -> dict[int, Answer]:
    """Item id → the body's answer (of every item, or of `item_id` only)."""
    if ws.submission is None:
        return {}
    if item_id is None:
        rows = db.scalars(_ANSWERS, {"submission_id": ws.submission.id})
    else:
        rows = db.scalars(_ANSWER, {"submission_id": ws.submission.id, "item_id": item_id})
    return {a.item_id: a for a in rows}


def user_name(db: Session, user_id: int | None) -> str:
    user = db.get(User, user_id) if user_id else None
    return user.full_name if user else "seseorang"


def _conflict(db: Session, ws: Workspace, spec: ItemSpec, current: Answer | None) -> AnswerConflict:
    if current is None:
        return AnswerConflict(
            f"Butir {spec.code} berubah sejak halaman dimuat. Muat ulang lalu simpan lagi.",
            None,
            "",
        )
    name = user_name(db, current.updated_by_id)
    shown = current.text_value or current.declared or "(dikosongkan)"
    return AnswerConflict(
        f"Butir {spec.code} baru saja disimpan oleh {name} pada "
        f"{fmt_datetime(current.updated_at, ws.tz)} dengan jawaban “{shown[:120]}”. "
        "Jawaban Anda belum disimpan; periksa lalu simpan lagi bila tetap ingin mengubahnya.",
        current,
        name,
    )


def save_answer(
    db: Session,
    actor: Actor,
    ws: Workspace,
    item_id: int,
    *,
    value: str | None,
    text: str = "",
    version: int,
    now: datetime | None = None,
) -> Answer:
    """Save one answer if nobody changed it since `version` (0 = not answered yet)."""
    ind, spec = ws.find_item(item_id)
    sub = _require_writable(db, actor, ws, ind.id, now)
    try:
        clean = rules.clean_answer(spec, ind.code, value, text)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field_errors={"value": str(exc)}) from exc
    current = db.scalar(
        select(Answer).where(Answer.submission_id == sub.id, Answer.item_id == item_id)
    )
    before = _answer_snapshot(current) if current else None
    if current is None:
        if version != 0:
            raise _conflict(db, ws, spec, None)
        answer = Answer(
            submission_id=sub.id,
            cycle_id=ws.cycle.id,
            body_id=ws.body.id,
            item_id=item_id,
            indicator_id=ind.id,
        )
        _apply(answer, clean, actor, now)
        try:
            with db.begin_nested():
                db.add(answer)
        except IntegrityError:
            db.expire_all()
            again = db.scalar(
                select(Answer).where(Answer.submission_id == sub.id, Answer.item_id == item_id)
            )
            raise _conflict(db, ws, spec, again) from None
    else:
        if current.version != version:
            raise _conflict(db, ws, spec, current)
        answer = current
        _apply(answer, clean, actor, now)
        try:
            with db.begin_nested():
                db.flush()
        except StaleDataError:
            db.expire_all()
            again = db.scalar(
                select(Answer).where(Answer.submission_id == sub.id, Answer.item_id == item_id)
            )
            raise _conflict(db, ws, spec, again) from None
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.answer_saved",
        object_type="answer",
        object_id=answer.id,
        before=before,
        after=_answer_snapshot(answer),
    )
    return answer


def _apply(answer: Answer, clean: rules.CleanAnswer, actor: Actor, now: datetime | None) -> None:
    answer.declared = clean.declared
    answer.text_value = clean.text_value
    answer.declared_credit_scaled = clean.declared_credit_scaled
    answer.updated_at = now or utcnow()
    answer.updated_by_id = actor_id(actor)


def _answer_snapshot(a: Answer) -> dict[str, Any]:
    return {
        "item_id": a.item_id,
        "declared": a.declared,
        "text": a.text_value[:500],
        "version": a.version,
    }


# --- evidence per item ---------------------------------------------------------------------


_CURRENT_FILES = (
    select(EvidenceFile)
    .where(
        or_(
            EvidenceFile.body_id == bindparam("body_id"),
            EvidenceFile.body_id.in_(select(Body.id).where(Body.parent_id == bindparam("body_id"))),
        ),
        EvidenceFile.cycle_id == bindparam("cycle_id"),
        EvidenceFile.superseded_by_id.is_(None),
    )
    .order_by(EvidenceFile.id)
)
_FILES_BY_ITEM = _CURRENT_FILES.where(EvidenceFile.item_id.is_not(None))
_FILES_OF_ITEM = _CURRENT_FILES.where(EvidenceFile.item_id == bindparam("item_id"))


def evidence_by_item(
    db: Session,
    cycle_id: int,
    body: Body,
    item_id: int | None = None,
    linked: list[tuple[int, EvidenceFile, str]] | None = None,
) -> dict[int, list[EvidenceFile]]:
    """Item id → the current files attached to a body's items in a cycle (or to one item).

    Files uploaded by the body's PPID pelaksana units (stored as the unit's evidence) count
    for the body's items too. Verification reads evidence through this function. `linked`:
    the result of `linked_unit_files` for the same body and items, when already read.
    """
    keys = {"cycle_id": cycle_id, "body_id": body.id}
    if item_id is None:
        rows = db.scalars(_FILES_BY_ITEM, keys)
    else:
        rows = db.scalars(_FILES_OF_ITEM, {**keys, "item_id": item_id})
    out: dict[int, list[EvidenceFile]] = {}
    for ef in rows:
        assert ef.item_id is not None
        out.setdefault(ef.item_id, []).append(ef)
    if linked is None:
        linked = linked_unit_files(db, cycle_id, body.id, item_id)
    for linked_item, ef, _ in linked:
        out.setdefault(linked_item, []).append(ef)
    return out


def linked_uses(db: Session, evidence_file_id: int) -> list[LinkedEvidence]:
    """Where a unit's internal evidence file is linked into a body's SAQ."""
    return list(
        db.scalars(
            select(LinkedEvidence).where(LinkedEvidence.evidence_file_id == evidence_file_id)
        )
    )


# Built once (like the statements above; an alias made per call also re-derived every column of
# Body, ~0.7 ms of CPU each time).
_UNIT = aliased(Body, name="unit")
_LINKED_FILES = (
    select(LinkedEvidence.item_id, EvidenceFile, _UNIT.name)
    .join(EvidenceFile, EvidenceFile.id == LinkedEvidence.evidence_file_id)
    .join(_UNIT, _UNIT.id == LinkedEvidence.source_unit_body_id)
    .where(
        LinkedEvidence.cycle_id == bindparam("cycle_id"),
        LinkedEvidence.body_id == bindparam("body_id"),
    )
    .order_by(LinkedEvidence.id)
)
_LINKED_FILES_OF_ITEM = _LINKED_FILES.where(LinkedEvidence.item_id == bindparam("item_id"))
_LINKS = (
    select(AnswerLink)
    .where(AnswerLink.cycle_id == bindparam("cycle_id"), AnswerLink.body_id == bindparam("body_id"))
    .order_by(AnswerLink.id)
)
_LINKS_OF_ITEM = _LINKS.where(AnswerLink.item_id == bindparam("item_id"))


def linked_unit_files(
    db: Session, cycle_id: int, body_id: int, item_id: int | None = None
) -> list[tuple[int, EvidenceFile, str]]:
    """(item id, file, unit name) for unit evidence from an internal monev linked to the SAQ."""
    keys = {"cycle_id": cycle_id, "body_id": body_id}
    if item_id is None:
        rows = db.execute(_LINKED_FILES, keys)
    else:
        rows = db.execute(_LINKED_FILES_OF_ITEM, {**keys, "item_id": item_id})
    return [(linked_item, ef, name) for linked_item, ef, name in rows]


def item_files(
    db: Session,
    ws: Workspace,
    item_id: int | None = None,
    linked: list[tuple[int, EvidenceFile, str]] | None = None,
) -> dict[int, list[EvidenceFile]]:
    """Item id → the current files attached to it for this cycle."""
    return evidence_by_item(db, ws.cycle.id, ws.body, item_id, linked)


def item_links(
    db: Session, ws: Workspace, item_id: int | None = None
) -> dict[int, list[AnswerLink]]:
    """Item id → the links given for it (for every item, or for `item_id` only)."""
    keys = {"cycle_id": ws.cycle.id, "body_id": ws.body.id}
    if item_id is None:
        rows = db.scalars(_LINKS, keys)
    else:
        rows = db.scalars(_LINKS_OF_ITEM, {**keys, "item_id": item_id})
    out: dict[int, list[AnswerLink]] = {}
    for link in rows:
        out.setdefault(link.item_id, []).append(link)
    return out


def link_checks(db: Session, ws: Workspace) -> dict[str, LinkCheck]:
    """URL → the newest check of that link for this cycle."""
    return {lc.url: lc for lc in evidence.latest_link_checks(db, ws.body, cycle_id=ws.cycle.id)}


def item_states(
    ws: Workspace,
    answers: dict[int, Answer],
    files: dict[int, list[EvidenceFile]],
    links: dict[int, list[AnswerLink]],
) -> list[rules.ItemState]:
    states = []
    for ind in ws.indicators:
        for it in ind.items:
            a = answers.get(it.id)
            states.append(
                rules.ItemState(
                    item_id=it.id,
                    code=it.code,
                    indicator_id=ind.id,
                    evidence_kind=it.evidence_kind,
                    declared=a.declared if a else None,
                    credit_scaled=a.declared_credit_scaled if a else 0,
                    files=len(files.get(it.id, [])),
                    links=len(links.get(it.id, [])),
                )
            )
    return states


def kinds_for(spec: ItemSpec) -> tuple[str, ...]:
    """The item's file types that can be recognised by content (PDF when none is)."""
    aliases = {"jpeg": "jpg"}
    kinds = tuple(
        dict.fromkeys(
            aliases.get(t, t) for t in spec.file_types if aliases.get(t, t) in evidence_rules.KINDS
        )
    )
    return kinds or evidence_rules.PDF_ONLY


@dataclass(frozen=True)
class UploadTarget:
    """Where an item's upload goes: the body (or the uploader's unit) and the item's policy."""

    body_id: int
    policy: UploadPolicy


def prepare_item_upload(
    db: Session, actor: Actor, ws: Workspace, item_id: int, *, now: datetime | None = None
) -> UploadTarget:
    """Check an upload to an item may start (rights, stage, draft, file evidence, file count)."""
    ind, spec = ws.find_item(item_id)
    _require_writable(db, actor, ws, ind.id, now)
    if not spec.needs_file:
        raise ValidationFailed(
            f"Butir {spec.code} tidak meminta berkas; gunakan tautan.",
            field_errors={"file": "Tidak diterima."},
        )
    if len(item_files(db, ws).get(item_id, [])) >= spec.max_files:
        raise ValidationFailed(
            f"Butir {spec.code} sudah memiliki {spec.max_files} berkas (batas). "
            "Lepaskan berkas lama terlebih dahulu.",
            field_errors={"file": "Batas jumlah berkas."},
        )
    if evidence_rules.can_upload_for_body(actor, ws.body.id):
        target = ws.body.id
    elif ws.unit_ids:
        target = ws.unit_ids[0]
    else:
        raise Forbidden("Anda tidak dapat menambah data dukung badan publik ini.")
    return UploadTarget(target, evidence.item_policy(kinds_for(spec), spec.max_file_bytes))


def detach_file(
    db: Session,
    actor: Actor,
    ws: Workspace,
    item_id: int,
    file_id: int,
    *,
    now: datetime | None = None,
) -> EvidenceFile:
    """Take a file off an item before submit (it stays in the body's evidence library)."""
    ind, _ = ws.find_item(item_id)
    _require_writable(db, actor, ws, ind.id, now)
    ef = next((f for f in item_files(db, ws).get(item_id, []) if f.id == file_id), None)
    if ef is None:
        raise NotFound("Berkas tidak ditemukan pada butir ini.")
    ef.item_id = None
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.file_detached",
        object_type="evidence_file",
        object_id=ef.id,
        before={"cycle_id": ws.cycle.id, "item_id": item_id},
        after={"cycle_id": ws.cycle.id, "item_id": None},
    )
    return ef


def add_link(
    db: Session,
    actor: Actor,
    ws: Workspace,
    item_id: int,
    url: str,
    *,
    now: datetime | None = None,
) -> AnswerLink:
    """Give a link (http/https, public address) as evidence of an item and queue its check."""
    ind, spec = ws.find_item(item_id)
    _require_writable(db, actor, ws, ind.id, now)
    if spec.evidence_kind not in ("link", "file_or_link"):
        raise ValidationFailed(
            f"Butir {spec.code} tidak meminta tautan; unggah berkas.",
            field_errors={"url": "Tidak diterima."},
        )
    try:
        (clean,) = evidence.clean_urls([url])
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field_errors={"url": exc.message}) from exc
    existing = item_links(db, ws).get(item_id, [])
    if any(link.url == clean for link in existing):
        raise ValidationFailed(
            "Tautan ini sudah ada pada butir ini.", field_errors={"url": "Ganda."}
        )
    if len(existing) >= spec.max_files:
        raise ValidationFailed(
            f"Butir {spec.code} sudah memiliki {spec.max_files} tautan (batas).",
            field_errors={"url": "Batas jumlah tautan."},
        )
    link = AnswerLink(
        cycle_id=ws.cycle.id,
        body_id=ws.body.id,
        item_id=item_id,
        url=clean,
        added_by_id=actor_id(actor),
        added_at=now or utcnow(),
    )
    db.add(link)
    db.flush()
    # A unit's operator is checked here; the checker then runs for the body as the system.
    checker = actor if evidence_rules.can_upload_for_body(actor, ws.body.id) else None
    evidence.request_link_check(
        db, checker, ws.body, [clean], cycle_id=ws.cycle.id, item_id=item_id
    )
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.link_added",
        object_type="answer_link",
        object_id=link.id,
        after={"item_id": item_id, "url": clean},
    )
    return link


def remove_link(
    db: Session,
    actor: Actor,
    ws: Workspace,
    item_id: int,
    link_id: int,
    *,
    now: datetime | None = None,
) -> None:
    """Remove a link from an item before submit."""
    ind, _ = ws.find_item(item_id)
    _require_writable(db, actor, ws, ind.id, now)
    link = db.get(AnswerLink, link_id)
    if (
        link is None
        or link.body_id != ws.body.id
        or link.cycle_id != ws.cycle.id
        or (link.item_id != item_id)
    ):
        raise NotFound("Tautan tidak ditemukan pada butir ini.")
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="submission.link_removed",
        object_type="answer_link",
        object_id=link.id,
        before={"item_id": item_id, "url": link.url},
    )
    db.delete(link)
    db.flush()


# --- manifest and completeness ------------------------------------------------------------


def build_manifest(db: Session, ws: Workspace) -> rules.Manifest:
    """The body's SAQ as it stands, with its evidence, in canonical form."""
    answers = answers_of(db, ws)
    files = item_files(db, ws)
    links = item_links(db, ws)
    entries = []
    for ind in ws.indicators:
        for it in ind.items:
            a = answers.get(it.id)
            entries.append(
                rules.ManifestEntry(
                    item_code=it.code,
                    declared=a.declared if a else None,
                    text_value=a.text_value if a else "",
                    files=tuple((f.blob_sha256, f.original_name) for f in files.get(it.id, [])),
                    links=tuple(link.url for link in links.get(it.id, [])),
                )
            )
    return rules.Manifest(ws.body.id, ws.cycle.id, tuple(entries))


def check_completeness(db: Session, ws: Workspace) -> rules.Completeness:
    states = item_states(ws, answers_of(db, ws), item_files(db, ws), item_links(db, ws))
    return rules.completeness(states)
