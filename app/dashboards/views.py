"""Pages of the per-cycle dashboard: funnel with charts, drill-down, export, reminder setting."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.access import can_manage, get_cycle_for_staff
from app.cycles.categories import get_category
from app.cycles.models import Cycle
from app.cycles.views import cycle_page
from app.dashboards import service
from app.dashboards.rules import STATUSES, share
from app.errors import RECOVERABLE, NotFound
from app.portal.charts import bar_chart
from app.results.views import XLSX
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


def _cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    service.require_dashboard_reader(actor, cycle)
    return cycle


def _ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    rows = service.funnel_with_total(db, actor, cycle)
    total = rows[-1]
    bars = [(label, total.counts[k]) for k, label in STATUSES.items()]
    return {
        **cycle_page(db, actor, cycle, "dasbor"),
        "rows": rows,
        "statuses": STATUSES,
        "share": share,
        "chart": bar_chart(f"Perkembangan {cycle.name}", bars, unit=" badan"),
        "submitted_chart": bar_chart(
            "Mengirim SAQ per kategori",
            [(r.category, r.counts["submitted"] or 0) for r in rows[:-1]],
            unit=" badan",
        ),
        "jurors": service.juror_progress(db, actor, cycle),
        "can_manage": can_manage(actor, cycle),
    }


@router.get("/siklus/{cycle_id}/dasbor", name="dashboards.cycle")
def dashboard(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    return render(request, "dashboards/cycle.html", _ctx(db, actor, cycle))


@router.get("/siklus/{cycle_id}/dasbor/badan", name="dashboards.bodies")
def dashboard_bodies(
    request: Request,
    cycle_id: int,
    status: str = "registered",
    kategori: int | None = None,
    page: int = 1,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    category = get_category(db, cycle, kategori) if kategori is not None else None
    result = service.bodies_in(db, actor, cycle, status=status, category_id=kategori, page=page)
    base = f"/siklus/{cycle.id}/dasbor/badan?status={status}"
    if kategori is not None:
        base += f"&kategori={kategori}"
    return render(
        request,
        "dashboards/bodies.html",
        {
            **cycle_page(db, actor, cycle, "dasbor"),
            "page": result,
            "status_label": STATUSES[status],
            "category": category,
            "base": base,
        },
    )


@router.get("/siklus/{cycle_id}/dasbor/ekspor.{fmt}", name="dashboards.export")
def dashboard_export(
    cycle_id: int,
    fmt: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    rows = service.funnel_with_total(db, actor, cycle)
    if fmt == "csv":
        data, media = service.funnel_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data, media = service.funnel_xlsx(rows, title=cycle.name), XLSX
    else:
        raise NotFound("Format ekspor tidak dikenal (csv atau xlsx).")
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="dasbor-{cycle.id}.{fmt}"'},
    )


@router.post("/siklus/{cycle_id}/dasbor/pengingat", name="dashboards.reminder_days")
def dashboard_reminder_days(
    request: Request,
    cycle_id: int,
    reminder_days_before: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    try:
        service.set_reminder_days(db, actor, cycle, reminder_days_before)
    except RECOVERABLE as exc:
        ctx = {**_ctx(db, actor, cycle), "form": {"reminder_days_before": reminder_days_before}}
        return render_form_error(request, "dashboards/cycle.html", ctx, exc)
    return redirect(
        f"/siklus/{cycle.id}/dasbor",
        f"Pengingat tenggat dikirim {cycle.reminder_days_before} hari dan 1 hari sebelumnya.",
    )
