"""What the sekretariat lists, the receipt's data and the evidence export's plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.cycles.access import organisation_of
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.errors import Conflict, Forbidden, InvalidTransition
from app.questionnaires.models import Questionnaire
from app.questionnaires.service import load_spec
from app.submissions import rules
from app.submissions.models import Answer, Submission, SubmissionStatus
from app.submissions.receipt import ExportFile, ExportLink, ReceiptData, index_csv
from app.submissions.service import (
    Workspace,
    answers_of,
    build_manifest,
    item_files,
    item_links,
    item_states,
    link_checks,
    user_name,
)

# --- lists for the sekretariat -------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionRow:
    body: Body
    category_name: str
    status: str
    answered: int
    total: int
    submitted_at: datetime | None

    @property
    def percent(self) -> int:
        return 100 * self.answered // self.total if self.total else 0


@dataclass
class SubmissionPage:
    rows: list[SubmissionRow]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def item_totals(db: Session, cycle: Cycle) -> dict[int, int]:
    """Cycle category id → number of items its bodies answer."""
    specs: dict[int, Any] = {}
    out: dict[int, int] = {}
    for cat in db.scalars(select(CycleCategory).where(CycleCategory.cycle_id == cycle.id)):
        if cat.questionnaire_id is None:
            out[cat.id] = 0
            continue
        if cat.questionnaire_id not in specs:
            q = db.get(Questionnaire, cat.questionnaire_id)
            assert q is not None
            specs[cat.questionnaire_id] = load_spec(db, q)
        out[cat.id] = len(specs[cat.questionnaire_id].for_category(cat.code).items)
    return out


def list_submissions(
    db: Session, cycle: Cycle, *, status: str = "", page: int = 1, per_page: int = 50
) -> SubmissionPage:
    """The cycle's target bodies with their SAQ status and answered count (paged in the DB)."""
    answered = (
        select(Answer.submission_id, func.count(Answer.id).label("n"))
        .where(Answer.cycle_id == cycle.id, Answer.declared.is_not(None))
        .group_by(Answer.submission_id)
        .subquery()
    )
    status_col = func.coalesce(Submission.status, SubmissionStatus.DRAFT)
    base = (
        select(
            Body,
            CycleCategory,
            status_col.label("status"),
            func.coalesce(answered.c.n, 0),
            Submission.submitted_at,
        )
        .select_from(CycleTarget)
        .join(Body, Body.id == CycleTarget.body_id)
        .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
        .outerjoin(
            Submission,
            (Submission.cycle_id == CycleTarget.cycle_id) & (Submission.body_id == Body.id),
        )
        .outerjoin(answered, answered.c.submission_id == Submission.id)
        .where(CycleTarget.cycle_id == cycle.id)
    )
    every = base.subquery()
    counts = {
        str(s): int(n)
        for s, n in db.execute(select(every.c.status, func.count()).group_by(every.c.status))
    }
    if status:
        base = base.where(status_col == status)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = max(1, page)
    totals = item_totals(db, cycle)
    rows = [
        SubmissionRow(body, cat.name, str(st), int(n), totals.get(cat.id, 0), at)
        for body, cat, st, n, at in db.execute(
            base.order_by(CycleCategory.sort_order, Body.name)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
    ]
    return SubmissionPage(rows, total, page, per_page, counts)


# --- receipt and export --------------------------------------------------------------------


def require_body_or_manager(ws: Workspace, actor: Actor) -> None:
    """Exports and receipts: the body's own people (not only a unit) and the sekretariat."""
    if not (ws.is_manager or actor.acts_for_body(ws.body.id)):
        raise Forbidden("Hanya badan publik ini dan sekretariat komisi yang dapat mengunduhnya.")


def receipt_data(db: Session, actor: Actor, ws: Workspace) -> ReceiptData:
    """What the receipt prints; refuses before submit and when the frozen data changed."""
    require_body_or_manager(ws, actor)
    sub = ws.submission
    if sub is None or sub.status != SubmissionStatus.SUBMITTED or sub.submitted_at is None:
        raise InvalidTransition("Tanda terima tersedia setelah SAQ terkirim.")
    manifest = build_manifest(db, ws)
    if manifest.sha256 != sub.receipt_sha256:
        raise Conflict(
            "Jawaban atau data dukung berbeda dari saat pengiriman; hubungi sekretariat komisi."
        )
    states = item_states(ws, answers_of(db, ws), item_files(db, ws), item_links(db, ws))
    per, _ = rules.progress_by_indicator([i.id for i in ws.indicators], states)
    return ReceiptData(
        commission=organisation_of(db, ws.cycle).name,
        body=ws.body.name,
        category=ws.category.name,
        cycle=ws.cycle.name,
        submitted_at=sub.submitted_at,
        submitted_by=user_name(db, sub.submitted_by_id),
        approved_by=user_name(db, sub.approved_by_id) if sub.approved_by_id else "",
        tz=ws.tz,
        indicators=rules.counts_per_indicator([(i.id, i.code, i.name) for i in ws.indicators], per),
        manifest=manifest,
    )


def export_plan(db: Session, actor: Actor, ws: Workspace) -> tuple[list[ExportFile], bytes]:
    """The files of a body's evidence export and its CSV index (the ZIP is streamed later)."""
    require_body_or_manager(ws, actor)
    codes = {it.id: it.code for it in ws.bq.spec.items}
    files = [
        ExportFile(
            rules.archive_name(codes.get(item_id, ""), ef.id, ef.original_name),
            ef.blob_sha256,
            ef.size,
            codes.get(item_id, ""),
            ef.original_name,
        )
        for item_id, efs in sorted(
            item_files(db, ws).items(), key=lambda kv: rules.code_key(codes.get(kv[0], ""))
        )
        for ef in efs
    ]
    checks = link_checks(db, ws)
    links = [
        ExportLink(
            codes.get(item_id, ""),
            link.url,
            checks[link.url].status if link.url in checks else "belum diperiksa",
            checks[link.url].message if link.url in checks else "",
        )
        for item_id, ls in item_links(db, ws).items()
        for link in ls
    ]
    return files, index_csv(files, links)
