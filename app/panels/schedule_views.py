"""Pages of the presentation schedule, its exports, and the chair's live session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.config import get_settings as app_settings
from app.cycles.access import can_manage, organisation_of
from app.cycles.models import Cycle
from app.cycles.rules import to_local_input
from app.cycles.views import cycle_page
from app.db import utcnow
from app.errors import RECOVERABLE, DomainError
from app.panels import exports, schedule
from app.panels import service as panels
from app.panels.models import Panel
from app.panels.views import _staff_cycle
from app.web.deps import get_db, org_actor, posted_form
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


def _ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    tz = organisation_of(db, cycle).timezone
    rows = schedule.schedule_rows(db, cycle)
    first = min((s.starts_at for _, slots in rows for s, _ in slots), default=None)
    placed = {b.id for _, slots in rows for _, b in slots}
    return {
        **cycle_page(db, actor, cycle, "presentasi"),
        "rows": rows,
        "panels_list": [p for p, _ in rows],
        "unplaced": [b for _, b in panels.shortlisted(db, cycle) if b.id not in placed],
        "prules": panels.get_settings(db, cycle),
        "slot_minutes": schedule.slot_minutes(db, cycle),
        "form": {"start": to_local_input(first, tz)},
        "local": lambda d: to_local_input(d, tz),
    }


@router.get("/siklus/{cycle_id}/jadwal", name="panels.schedule")
def schedule_page(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "panels/schedule.html", _ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/jadwal/otomatis", name="panels.auto_place")
def schedule_auto(
    request: Request,
    cycle_id: int,
    start: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        report = schedule.auto_place(db, actor, cycle, start=start)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request,
            "panels/schedule.html",
            {**_ctx(db, actor, cycle), "form": {"start": start}},
            exc,
        )
    note = f"{report.placed} badan publik dijadwalkan."
    if report.unplaced:
        names = ", ".join(b.name for b in report.unplaced)
        return redirect(
            f"/siklus/{cycle.id}/jadwal",
            f"{note} Tidak dapat ditempatkan (semua ruang berkonflik): {names}.",
            "warning",
        )
    return redirect(f"/siklus/{cycle.id}/jadwal", note)


@router.post("/siklus/{cycle_id}/jadwal/{slot_id}/pindah", name="panels.move_slot")
def schedule_move(
    request: Request,
    cycle_id: int,
    slot_id: int,
    panel_id: int = Form(0),
    starts: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        schedule.move_slot(db, actor, cycle, slot_id, panel_id=panel_id, starts=starts)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "panels/schedule.html", _ctx(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/jadwal", "Jadwal diubah.")


def _export_rows(db: Session, cycle: Cycle) -> list[exports.Row]:
    return [
        exports.Row(
            s.id, p.name, p.location, p.meeting_url, s.session_no, s.starts_at, s.ends_at, b.name
        )
        for p, slots in schedule.schedule_rows(db, cycle)
        for s, b in slots
    ]


def _download(content: bytes, media: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/siklus/{cycle_id}/jadwal.pdf", name="panels.schedule_pdf")
def schedule_pdf(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    tz = organisation_of(db, cycle).timezone
    data = exports.pdf_bytes(f"Jadwal presentasi {cycle.name}", _export_rows(db, cycle), tz)
    return _download(data, "application/pdf", f"jadwal-presentasi-{cycle.id}.pdf")


@router.get("/siklus/{cycle_id}/jadwal.xlsx", name="panels.schedule_xlsx")
def schedule_xlsx(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    tz = organisation_of(db, cycle).timezone
    data = exports.xlsx_bytes(f"Jadwal presentasi {cycle.name}", _export_rows(db, cycle), tz)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(data, media, f"jadwal-presentasi-{cycle.id}.xlsx")


@router.get("/siklus/{cycle_id}/jadwal.ics", name="panels.schedule_ics")
def schedule_ics(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    host = app_settings().base_url.split("//")[-1].split("/")[0] or "monev-kip"
    text = exports.ics_text(
        f"Presentasi {cycle.name}", _export_rows(db, cycle), host=host, stamp=utcnow()
    )
    return _download(
        text.encode(), "text/calendar; charset=utf-8", f"jadwal-presentasi-{cycle.id}.ics"
    )


# --- live session --------------------------------------------------------------------------------


def _live(db: Session, actor: Actor, panel_id: int) -> tuple[Panel, Cycle, dict[str, Any]]:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    schedule.ensure_viewer(db, actor, panel, cycle)
    member = panels.membership(db, panel, actor.user_id)
    current = schedule.now_presenting(db, panel)
    minutes = schedule.slot_minutes(db, cycle)
    ends = None
    if current is not None and current[0].started_at is not None:
        from datetime import timedelta

        ends = current[0].started_at + timedelta(minutes=minutes)
    ctx = {
        "panel": panel,
        "cycle": cycle,
        "control": (member is not None and member.is_chair) or can_manage(actor, cycle),
        "current": current,
        "next": schedule.next_waiting(db, panel),
        "ends_at": ends,
        "slots": panels.slots_of(db, panel),
        "member": member,
        "tz": organisation_of(db, cycle).timezone,
    }
    return panel, cycle, ctx


@router.get("/panel/{panel_id}/langsung", name="panels.live")
def live_page(
    request: Request,
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    _, _, ctx = _live(db, actor, panel_id)
    return render(request, "panels/live.html", ctx)


@router.get("/panel/{panel_id}/langsung/status", name="panels.live_status")
def live_status(
    request: Request,
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    _, _, ctx = _live(db, actor, panel_id)
    return render(request, "panels/_live_status.html", ctx)


def _live_fail(
    request: Request, db: Session, actor: Actor, panel_id: int, exc: DomainError
) -> Response:
    db.rollback()
    _, _, ctx = _live(db, actor, panel_id)
    return render(
        request, "panels/live.html", {**ctx, "error": exc.message}, status_code=exc.status_code
    )


@router.post("/panel/{panel_id}/langsung/mulai", name="panels.live_start")
def live_start(
    request: Request,
    panel_id: int,
    slot_id: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        slot = schedule.start_slot(
            db, actor, panel, cycle, int(slot_id) if slot_id.isdigit() else None
        )
    except RECOVERABLE as exc:
        return _live_fail(request, db, actor, panel_id, exc)
    return redirect(
        f"/panel/{panel.id}/langsung", f"Giliran dimulai (jadwal #{slot.position + 1})."
    )


@router.post("/panel/{panel_id}/langsung/selesai", name="panels.live_finish")
def live_finish(
    request: Request,
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        schedule.finish_slot(db, actor, panel, cycle)
    except RECOVERABLE as exc:
        return _live_fail(request, db, actor, panel_id, exc)
    return redirect(f"/panel/{panel.id}/langsung", "Giliran selesai.")


@router.post("/panel/{panel_id}/langsung/{slot_id}/hadir", name="panels.attendance")
def live_attendance(
    request: Request,
    panel_id: int,
    slot_id: int,
    attended: str = Form(""),
    leader_present: str = Form(""),
    attendees: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        schedule.record_attendance(
            db,
            actor,
            panel,
            cycle,
            slot_id,
            attended=bool(attended),
            leader_present=bool(leader_present),
            attendees=attendees,
        )
    except RECOVERABLE as exc:
        return _live_fail(request, db, actor, panel_id, exc)
    return redirect(f"/panel/{panel.id}/langsung", "Kehadiran dicatat.")


# --- visitasi ------------------------------------------------------------------------------------


def _visit_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    from app.panels import visitasi

    return {
        **cycle_page(db, actor, cycle, "presentasi"),
        "prules": panels.get_settings(db, cycle),
        "entries": panels.shortlisted(db, cycle),
        "visits": visitasi.visits_of(db, cycle),
        "can_record": visitasi.can_record(actor, cycle),
    }


@router.get("/siklus/{cycle_id}/visitasi", name="panels.visits")
def visits_page(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "panels/visits.html", _visit_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/visitasi/{body_id}", name="panels.visit_record")
def visit_record(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: FormData = Depends(posted_form),
) -> Response:
    from app.panels import visitasi

    cycle = _staff_cycle(db, actor, cycle_id)
    checked = [v for v in data.getlist("checked") if isinstance(v, str)]
    score, note = str(data.get("score") or ""), str(data.get("note") or "")
    try:
        visitasi.record_visit(db, actor, cycle, body_id, checked=checked, score=score, note=note)
    except RECOVERABLE as exc:
        db.rollback()
        typed = {"score": score, "note": note, "checked": checked}
        ctx = {**_visit_ctx(db, actor, cycle), "form": typed, "failed_body": body_id}
        return render(
            request,
            "panels/visits.html",
            {**ctx, "error": exc.message, "errors": exc.field_errors},
            status_code=exc.status_code if exc.status_code != 400 else 422,
        )
    return redirect(f"/siklus/{cycle.id}/visitasi", "Visitasi dicatat.")
