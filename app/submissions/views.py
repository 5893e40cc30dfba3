"""Pages of a body's SAQ: the workspace (dashboard, items, autosave), evidence per item, team
work, submit with confirmation, approval, reopen, receipt, evidence export, and the
sekretariat's list of a cycle's submissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.models import User
from app.accounts.rules import Actor
from app.bodies.models import Body
from app.cycles import service as cycles
from app.cycles.rules import STAGE_LABELS
from app.cycles.schedule import require_stage_open
from app.dashboards.body import KnownFacts, is_answered
from app.errors import RECOVERABLE, DomainError
from app.evidence import flow
from app.evidence import rules as evidence_rules
from app.evidence import service as evidence
from app.evidence.models import EvidenceFile, LinkCheck
from app.improvement import service as improvement
from app.improvement.models import RecommendationItem
from app.notifications.service import recent_notifications
from app.questionnaires.rules import ANSWER_TYPES, EVIDENCE_KINDS, IndicatorSpec, ItemSpec
from app.submissions import rules, service, workflow
from app.submissions.models import Answer, AnswerLink
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()

LABELS = {
    "stages": STAGE_LABELS,
    "answer_types": ANSWER_TYPES,
    "evidence": EVIDENCE_KINDS,
    "status": service.STATUS_LABELS,
    "item_status": rules.STATUS_LABELS,
}
BASE = "/siklus/{cycle_id}/badan/{body_id}/saq"


def ws_url(ws: service.Workspace, tail: str = "") -> str:
    return BASE.format(cycle_id=ws.cycle.id, body_id=ws.body.id) + tail


@dataclass
class ItemView:
    """One item on the page with its answer, evidence and what the actor may do."""

    ind: IndicatorSpec
    it: ItemSpec
    answer: Answer | None
    files: list[EvidenceFile]
    links: list[AnswerLink]
    checks: dict[str, LinkCheck]
    state: rules.ItemState
    can_edit: bool
    error: str = ""
    conflict: service.AnswerConflict | None = None
    progress: tuple[rules.Progress, rules.Progress] | None = None  # indicator, overall
    last_year: RecommendationItem | None = None  # last year's advice on the same item code

    @property
    def version(self) -> int:
        return self.answer.version if self.answer else 0

    @property
    def accept(self) -> str:
        kinds = service.kinds_for(self.it)
        return ",".join(
            f"{evidence_rules.KINDS[k].extension},{evidence_rules.KINDS[k].content_type}"
            for k in kinds
        )


def stage_problem(db: Session, ws: service.Workspace) -> str:
    try:
        require_stage_open(db, ws.cycle, "saq", body_id=ws.body.id)
    except DomainError as exc:
        return exc.message
    return ""


def _item_views(
    db: Session,
    ws: service.Workspace,
    writable: bool,
    checks: dict[str, LinkCheck] | None = None,
    linked: list[tuple[int, EvidenceFile, str]] | None = None,
    answers: dict[int, Answer] | None = None,
) -> list[ItemView]:
    answers = service.answers_of(db, ws) if answers is None else answers
    files = service.item_files(db, ws, linked=linked)
    links = service.item_links(db, ws)
    checks = service.link_checks(db, ws) if checks is None else checks
    states = {s.item_id: s for s in service.item_states(ws, answers, files, links)}
    advice = improvement.last_year_advice(db, ws.cycle, ws.body.id)
    return [
        ItemView(
            ind,
            it,
            answers.get(it.id),
            files.get(it.id, []),
            links.get(it.id, []),
            checks,
            states[it.id],
            writable and ind.id in ws.fillable,
            last_year=advice.get(it.code),
        )
        for ind in ws.indicators
        for it in ind.items
    ]


def _assignee_labels(db: Session, ws: service.Workspace) -> dict[int, str]:
    out = {}
    for a in ws.assignments:
        if a.unit_id is not None:
            unit = db.get(Body, a.unit_id)
            out[a.indicator_id] = f"Unit {unit.name if unit else '?'}"
        elif a.user_id is not None:
            user = db.get(User, a.user_id)
            out[a.indicator_id] = f"Operator {user.full_name if user else '?'}"
    return out


def _context(db: Session, actor: Actor, ws: service.Workspace) -> dict[str, Any]:
    problem = stage_problem(db, ws)
    writable = ws.is_draft and not problem
    checks = service.link_checks(db, ws)  # problems first, then by address
    broken = [c for c in checks.values() if c.status != evidence_rules.OK]
    linked = service.linked_unit_files(db, ws.cycle.id, ws.body.id)
    answers = service.answers_of(db, ws)
    views = _item_views(db, ws, writable, checks, linked, answers)
    per, overall = rules.progress_by_indicator(
        [i.id for i in ws.indicators], [v.state for v in views]
    )
    units, users = workflow.assignable_people(db, ws)
    known = KnownFacts(
        ws.submission,
        len(ws.bq.spec.items),
        len(broken),
        answered=sum(1 for a in answers.values() if is_answered(a)),
    )
    return {
        "ws": ws,
        "labels": LABELS,
        "panel": cycles.body_panel(db, ws.cycle, ws.body, ws.category, known=known),
        "tz": ws.tz,
        "stage_problem": problem,
        "writable": writable,
        "items": views,
        "by_indicator": {i.id: [v for v in views if v.ind.id == i.id] for i in ws.indicators},
        "per": per,
        "overall": overall,
        "assignees": _assignee_labels(db, ws),
        "units": units,
        "operators": users,
        "broken": broken,
        "messages": recent_notifications(db, actor, limit=5)
        if actor.acts_for_body(ws.body.id) or ws.unit_ids
        else [],
        "next_action": rules.next_action(
            status=ws.status,
            overall=overall,
            stage_open=not problem,
            is_lead=ws.is_lead,
            is_atasan=ws.is_atasan,
            is_manager=ws.is_manager,
            requires_approval=ws.cycle.requires_atasan_approval,
        ),
        "base": ws_url(ws),
        "linked_sources": {ef.id: unit for _, ef, unit in linked},
        "fmt_size": evidence_rules.format_size,
        "url": ws_url,
        "improvement": improvement.workspace_panel(db, ws.cycle, ws.body.id),
    }


def load_ws(db: Session, actor: Actor, cycle_id: int, body_id: int) -> service.Workspace:
    return service.get_workspace(db, actor, cycle_id, body_id)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get(BASE, name="submissions.workspace")
def workspace(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    return render(request, "submissions/workspace.html", _context(db, actor, ws))


def page_error(
    request: Request,
    db: Session,
    actor: Actor,
    ws: service.Workspace,
    exc: DomainError,
    item_id: int | None = None,
) -> Response:
    """Show the workspace again with the error at the item (nothing of the request was saved)."""
    db.rollback()
    ws = load_ws(db, actor, ws.cycle.id, ws.body.id)
    ctx = _context(db, actor, ws)
    for v in ctx["items"]:
        if v.it.id == item_id:
            v.error = exc.message
            v.conflict = exc if isinstance(exc, service.AnswerConflict) else None
    return render_form_error(request, "submissions/workspace.html", ctx, exc)


@router.post(BASE + "/butir/{item_id}", name="submissions.save_answer")
def save_answer(
    request: Request,
    cycle_id: int,
    body_id: int,
    item_id: int,
    value: str = Form(""),
    text: str = Form(""),
    version: int = Form(0),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Autosave of one item (htmx: answers with the item's fragment)."""
    ws = load_ws(db, actor, cycle_id, body_id)
    ws.find_item(item_id)
    try:
        service.save_answer(db, actor, ws, item_id, value=value, text=text, version=version)
    except RECOVERABLE as exc:
        if not _is_htmx(request):
            return page_error(request, db, actor, ws, exc, item_id)
        db.rollback()
        ws = load_ws(db, actor, cycle_id, body_id)
        view = _one_item(db, ws, item_id)
        view.error = exc.message
        view.conflict = exc if isinstance(exc, service.AnswerConflict) else None
        return _item_fragment(request, ws, view, status_code=exc.status_code)
    if not _is_htmx(request):
        return redirect(ws_url(ws, f"#item-{item_id}"), "Jawaban tersimpan.")
    return _item_fragment(request, ws, _one_item(db, ws, item_id), saved=True)


def _one_item(db: Session, ws: service.Workspace, item_id: int) -> ItemView:
    writable = ws.is_draft and not stage_problem(db, ws)
    views = _item_views(db, ws, writable)
    view = next(v for v in views if v.it.id == item_id)
    per, overall = rules.progress_by_indicator(
        [i.id for i in ws.indicators], [v.state for v in views]
    )
    view.progress = (per[view.ind.id], overall)
    return view


def _item_fragment(
    request: Request,
    ws: service.Workspace,
    view: ItemView,
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    """The item, plus out-of-band updates of its indicator's and the overall progress."""
    return render(
        request,
        "submissions/_item.html",
        {
            "ws": ws,
            "v": view,
            "labels": LABELS,
            "saved": saved,
            "base": ws_url(ws),
            "fmt_size": evidence_rules.format_size,
            "oob": view.progress,
        },
        status_code=status_code,
    )


@router.post(BASE + "/butir/{item_id}/berkas", name="submissions.upload")
async def upload_file(request: Request, cycle_id: int, body_id: int, item_id: int) -> Response:
    """An evidence file for one item, streamed through the evidence upload flow."""
    try:
        target = await run_in_threadpool(_prepare_upload, request, cycle_id, body_id, item_id)
        stored = await flow.upload(
            request, target.body_id, target.policy, cycle_id=cycle_id, item_id=item_id
        )
    except DomainError as exc:
        await flow.close_parsed_form(request)
        if exc.status_code in (401, 403, 404):
            raise
        return await run_in_threadpool(
            _render_upload_error, request, cycle_id, body_id, item_id, exc
        )
    return redirect(
        BASE.format(cycle_id=cycle_id, body_id=body_id) + f"#item-{item_id}",
        f"{stored.original_name} berhasil diunggah.",
    )


def _prepare_upload(
    request: Request, cycle_id: int, body_id: int, item_id: int
) -> service.UploadTarget:
    with evidence.transaction(write=True) as db:  # may create the draft submission
        actor = flow.actor_in(request, db)
        ws = load_ws(db, actor, cycle_id, body_id)
        return service.prepare_item_upload(db, actor, ws, item_id)


def _render_upload_error(
    request: Request, cycle_id: int, body_id: int, item_id: int, exc: DomainError
) -> Response:
    with evidence.transaction(write=False) as db:
        actor = flow.actor_in(request, db)
        ws = load_ws(db, actor, cycle_id, body_id)
        return page_error(request, db, actor, ws, exc, item_id)


@router.post(BASE + "/butir/{item_id}/berkas/{file_id}/lepas", name="submissions.detach")
def detach_file(
    request: Request,
    cycle_id: int,
    body_id: int,
    item_id: int,
    file_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        ef = service.detach_file(db, actor, ws, item_id, file_id)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc, item_id)
    return redirect(ws_url(ws, f"#item-{item_id}"), f"{ef.original_name} dilepas dari butir ini.")


@router.post(BASE + "/butir/{item_id}/tautan", name="submissions.add_link")
def add_link(
    request: Request,
    cycle_id: int,
    body_id: int,
    item_id: int,
    url: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        service.add_link(db, actor, ws, item_id, url)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc, item_id)
    return redirect(
        ws_url(ws, f"#item-{item_id}"), "Tautan ditambahkan; hasil pemeriksaannya segera tampil."
    )


@router.post(BASE + "/butir/{item_id}/tautan/{link_id}/hapus", name="submissions.remove_link")
def remove_link(
    request: Request,
    cycle_id: int,
    body_id: int,
    item_id: int,
    link_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        service.remove_link(db, actor, ws, item_id, link_id)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc, item_id)
    return redirect(ws_url(ws, f"#item-{item_id}"), "Tautan dihapus dari butir ini.")


@router.post(BASE + "/tugas", name="submissions.assign")
def assign(
    request: Request,
    cycle_id: int,
    body_id: int,
    indicator_id: int = Form(0),
    target: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        workflow.assign_indicator(db, actor, ws, indicator_id, target)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc)
    return redirect(ws_url(ws, "#tim"), "Pembagian tugas disimpan.")
