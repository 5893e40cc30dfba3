"""Pages of a body's SAQ after filling: confirm and submit, approve or return, reopen, the
receipt and the evidence export; the team's tasks and the sekretariat's list of a cycle."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.access import get_cycle_for_staff, require_manager
from app.errors import RECOVERABLE
from app.evidence import rules as evidence_rules
from app.submissions import receipt, reports, service, workflow
from app.submissions.models import SubmissionStatus
from app.submissions.views import BASE, LABELS, load_ws, page_error, stage_problem, ws_url
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


@router.get(BASE + "/kirim", name="submissions.confirm")
def confirm(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    return render(request, "submissions/confirm.html", _confirm_context(db, ws))


def _confirm_context(db: Session, ws: service.Workspace) -> dict[str, Any]:
    return {
        "ws": ws,
        "labels": LABELS,
        "check": service.check_completeness(db, ws),
        "stage_problem": stage_problem(db, ws),
        "base": ws_url(ws),
    }


@router.post(BASE + "/kirim", name="submissions.submit")
def submit(
    request: Request,
    cycle_id: int,
    body_id: int,
    confirmed: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        sub = workflow.submit_saq(db, actor, ws, confirmed=confirmed == "ya")
    except RECOVERABLE as exc:
        db.rollback()
        ws = load_ws(db, actor, cycle_id, body_id)
        return render_form_error(request, "submissions/confirm.html", _confirm_context(db, ws), exc)
    if sub.status == SubmissionStatus.AWAITING_APPROVAL:
        return redirect(ws_url(ws), "SAQ dikirim ke atasan PPID untuk disetujui.")
    return redirect(ws_url(ws), "SAQ terkirim. Unduh tanda terima Anda.")


@router.post(BASE + "/setujui", name="submissions.approve")
def approve(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        workflow.approve_submission(db, actor, ws)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc)
    return redirect(ws_url(ws), "SAQ disetujui dan terkirim. Tanda terima tersedia.")


@router.post(BASE + "/kembalikan", name="submissions.return")
def return_to_team(
    request: Request,
    cycle_id: int,
    body_id: int,
    note: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        workflow.return_submission(db, actor, ws, note)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc)
    return redirect(ws_url(ws), "SAQ dikembalikan ke tim dengan catatan Anda.")


@router.post(BASE + "/buka-kembali", name="submissions.reopen")
def reopen(
    request: Request,
    cycle_id: int,
    body_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    try:
        workflow.reopen_submission(db, actor, ws, reason)
    except RECOVERABLE as exc:
        return page_error(request, db, actor, ws, exc)
    return redirect(ws_url(ws), "SAQ dibuka kembali; badan publik dapat mengubahnya lagi.")


@router.get(BASE + "/tanda-terima.pdf", name="submissions.receipt")
def receipt_pdf(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = load_ws(db, actor, cycle_id, body_id)
    pdf = receipt.render_receipt(reports.receipt_data(db, actor, ws))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": evidence_rules.content_disposition(
                f"tanda-terima-saq-{ws.cycle.year}-{ws.body.id}.pdf"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(BASE + "/data-dukung.zip", name="submissions.export")
def export_zip(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """All of a body's evidence for the cycle as one ZIP with an index, streamed."""
    ws = load_ws(db, actor, cycle_id, body_id)
    files, index = reports.export_plan(db, actor, ws)
    return StreamingResponse(
        receipt.stream_zip(files, index),
        media_type="application/zip",
        headers={
            "Content-Disposition": evidence_rules.content_disposition(
                f"data-dukung-{ws.cycle.year}-{ws.body.id}.zip"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


# --- the team's tasks and the sekretariat's list ------------------------------------------


@router.get("/saq/tugas-saya", name="submissions.tasks")
def my_tasks(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(request, "submissions/tasks.html", {"tasks": workflow.my_tasks(db, actor)})


@router.get("/siklus/{cycle_id}/saq", name="submissions.list")
def submissions_list(
    request: Request,
    cycle_id: int,
    status: str = "",
    page: int = 1,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    require_manager(actor, cycle)
    return render(request, "submissions/list.html", _list_context(db, cycle, status, page))


def _list_context(db: Session, cycle: Any, status: str, page: int) -> dict[str, Any]:
    status = status if status in service.STATUS_LABELS else ""
    return {
        "cycle": cycle,
        "labels": LABELS,
        "status": status,
        "result": reports.list_submissions(db, cycle, status=status, page=page),
    }


@router.post("/siklus/{cycle_id}/saq/pengaturan", name="submissions.settings")
def submissions_settings(
    request: Request,
    cycle_id: int,
    requires_atasan_approval: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    workflow.set_requires_approval(db, actor, cycle, enabled=requires_atasan_approval == "ya")
    return redirect(
        f"/siklus/{cycle.id}/saq",
        "Persetujuan atasan PPID "
        + ("diwajibkan" if cycle.requires_atasan_approval else "tidak diwajibkan")
        + " sebelum SAQ terkirim.",
    )
