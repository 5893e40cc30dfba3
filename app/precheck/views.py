"""Pages of the evidence pre-check: the verifier's decision on a suggestion and re-check (on
the verification sheet), the sekretariat's precision report, body summary and settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.access import can_manage
from app.cycles.models import Cycle
from app.errors import RECOVERABLE
from app.precheck import rules, service
from app.verification import service as verification
from app.verification.views import sheet_context
from app.web.deps import form_fields, get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


@router.post("/verifikasi/{cycle_id}/badan/{body_id}/saran/{suggestion_id}", name="precheck.decide")
def decide(
    request: Request,
    cycle_id: int,
    body_id: int,
    suggestion_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    """The verifier marks a suggestion right (Benar) or dismisses it (Abaikan)."""
    cycle = verification.get_cycle_for_verification(db, actor, cycle_id)
    try:
        s = service.decide_suggestion(
            db, actor, cycle, body_id, suggestion_id, data.get("decision", "")
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**sheet_context(db, actor, cycle, body_id), "form": data}
        return render_form_error(request, "verification/sheet.html", ctx, exc)
    label = "diterima" if s.status == rules.ACCEPTED else "diabaikan"
    return redirect(f"/verifikasi/{cycle.id}/badan/{body_id}#butir-{s.item_id}", f"Saran {label}.")


@router.post("/verifikasi/{cycle_id}/badan/{body_id}/pra-periksa", name="precheck.recheck")
def recheck(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Run the pre-check again: files are re-read, links compared with their submit-time page."""
    cycle = verification.get_cycle_for_verification(db, actor, cycle_id)
    try:
        service.request_recheck(db, actor, cycle, body_id)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "verification/sheet.html", sheet_context(db, actor, cycle, body_id), exc
        )
    return redirect(
        f"/verifikasi/{cycle.id}/badan/{body_id}",
        "Pra-periksa dijalankan ulang; saran diperbarui setelah selesai.",
    )


def _report_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    s = service.settings_of(db, cycle)
    return {
        "cycle": cycle,
        "rows": service.precision_report(db, cycle),
        "bodies": service.body_summary(db, cycle),
        "kinds": rules.KIND_LABELS,
        "can_manage": can_manage(actor, cycle),
        "settings": s,
        "form": {
            "max_age_years": str(s.max_age_years),
            "min_text_chars": str(s.min_text_chars),
            "item_max_age": rules.format_item_ages(s.item_max_age or {}),
        },
        "errors": {},
    }


@router.get("/siklus/{cycle_id}/pra-periksa", name="precheck.report")
def report(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Precision per rule and the suggestions per body, for the sekretariat."""
    cycle = service.get_cycle_for_report(db, actor, cycle_id)
    return render(request, "precheck/report.html", _report_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/pra-periksa/pengaturan", name="precheck.settings")
def settings_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = service.get_cycle_for_report(db, actor, cycle_id)
    try:
        service.update_settings(db, actor, cycle, data)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_report_ctx(db, actor, cycle), "form": data}
        return render_form_error(request, "precheck/report.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/pra-periksa", "Pengaturan pra-periksa disimpan.")
