"""Pages of the internal monev: start it, its units and cycles, readiness, linking evidence."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.errors import RECOVERABLE
from app.internal import bimtek, service
from app.internal.models import InternalMonev
from app.web.deps import get_db, org_actor, posted_form
from app.web.templating import redirect, render, render_form_error

router = APIRouter()

BASE = "/monev-internal"


def owned_monev(
    monev_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> InternalMonev:
    """Authorise a write before the form is read: the PPID utama's own people only."""
    return service.get_monev_for_owner(db, actor, monev_id)


def _detail_ctx(db: Session, actor: Actor, monev: InternalMonev) -> dict[str, Any]:
    cycles = service.internal_cycles(db, monev)
    return {
        "monev": monev,
        "parent": service.parent_of(db, monev),
        "units": service.unit_pairs(db, monev),
        "cycles": [(c, service.ranking(db, c)) for c in cycles],
        "is_owner": service.is_owner(db, actor, monev),
        "indicators": service.commission_indicators(db, monev),
        "source": service.commission_cycle(db, monev),
        "form": {},
    }


@router.get(BASE, name="internal.index")
def index(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ctx = {
        "startable": service.startable_bodies(db, actor),
        "monevs": service.visible_monevs(db, actor),
        "unit_monev": bimtek.monev_of_unit(db, actor),
    }
    return render(request, "internal/index.html", ctx)


@router.post(BASE + "/mulai/{body_id}", name="internal.start")
def start(
    request: Request,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        monev = service.start_internal_monev(db, actor, body_id)
    except RECOVERABLE as exc:
        ctx = {
            "startable": service.startable_bodies(db, actor),
            "monevs": service.visible_monevs(db, actor),
        }
        return render_form_error(request, "internal/index.html", ctx, exc)
    return redirect(f"{BASE}/{monev.id}", "Monev internal dimulai. Unit dan peran telah disiapkan.")


@router.get(BASE + "/{monev_id}", name="internal.detail")
def detail(
    request: Request,
    monev_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    monev = service.get_monev_for_actor(db, actor, monev_id)
    return render(request, "internal/detail.html", _detail_ctx(db, actor, monev))


@router.post(BASE + "/{monev_id}/berbagi", name="internal.share")
def share(
    monev: InternalMonev = Depends(owned_monev),
    shared: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    service.set_shared(db, actor, monev, shared=shared == "1")
    message = "Hasil dibagikan ke komisi." if monev.is_shared else "Hasil tidak lagi dibagikan."
    return redirect(f"{BASE}/{monev.id}", message)


@router.post(BASE + "/{monev_id}/siklus", name="internal.create_cycle")
def create_cycle(
    request: Request,
    monev: InternalMonev = Depends(owned_monev),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: FormData = Depends(posted_form),
) -> Response:
    chosen = [str(v) for v in form.getlist("indicators")]
    name, year = str(form.get("name", "")), str(form.get("year", ""))
    try:
        cycle = service.create_internal_cycle(
            db, actor, monev, name=name, year=year, indicator_codes=chosen
        )
    except RECOVERABLE as exc:
        ctx = _detail_ctx(db, actor, monev) | {"form": {"name": name, "year": year}}
        return render_form_error(request, "internal/detail.html", ctx, exc)
    return redirect(
        f"{BASE}/{monev.id}",
        f"Siklus internal {cycle.name} dibuat dari kuesioner komisi. Beralihlah ke organisasi "
        "monev internal untuk mengubah kuesioner dan jadwalnya.",
    )


@router.get(BASE + "/{monev_id}/siklus/{cycle_id}/kesiapan", name="internal.readiness")
def readiness(
    request: Request,
    monev_id: int,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    monev = service.get_monev_for_actor(db, actor, monev_id)
    return render(request, "internal/readiness.html", _readiness_ctx(db, actor, monev, cycle_id))


def _readiness_ctx(
    db: Session, actor: Actor, monev: InternalMonev, cycle_id: int
) -> dict[str, Any]:
    cycle = service.get_internal_cycle(db, monev, cycle_id)
    return {
        "monev": monev,
        "cycle": cycle,
        "parent": service.parent_of(db, monev),
        "rows": service.readiness(db, monev, cycle),
        "source": service.commission_cycle(db, monev),
        "commission_items": service.commission_item_ids(db, monev),
        "is_owner": service.is_owner(db, actor, monev),
    }


@router.post(BASE + "/{monev_id}/tautan", name="internal.link")
def link(
    request: Request,
    monev: InternalMonev = Depends(owned_monev),
    evidence_file_id: int = Form(...),
    item_id: int = Form(...),
    cycle_id: int = Form(...),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ctx = _readiness_ctx(db, actor, monev, cycle_id)
    try:
        service.link_unit_evidence(
            db, actor, monev, evidence_file_id=evidence_file_id, item_id=item_id
        )
    except RECOVERABLE as exc:
        return render_form_error(request, "internal/readiness.html", ctx, exc)
    return redirect(
        f"{BASE}/{monev.id}/siklus/{cycle_id}/kesiapan",
        "Data dukung unit ditautkan ke SAQ badan publik untuk komisi.",
    )


# --- bimtek -------------------------------------------------------------------------------


def _bimtek_ctx(
    db: Session, actor: Actor, monev: InternalMonev, cycle_id: int | None
) -> dict[str, Any]:
    cycles = service.internal_cycles(db, monev)
    cycle = (
        service.get_internal_cycle(db, monev, cycle_id)
        if cycle_id
        else (cycles[0] if cycles else None)
    )
    return {
        "monev": monev,
        "parent": service.parent_of(db, monev),
        "cycles": cycles,
        "cycle": cycle,
        "items": bimtek.guidance(db, monev, cycle) if cycle else [],
        "sessions": bimtek.sessions(db, monev, actor),
        "units": service.unit_pairs(db, monev),
        "is_owner": service.is_owner(db, actor, monev),
        "form": {},
    }


@router.get(BASE + "/{monev_id}/bimtek", name="internal.bimtek")
def bimtek_page(
    request: Request,
    monev_id: int,
    cycle_id: int | None = None,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    monev = bimtek.get_monev_for_reader(db, actor, monev_id)
    return render(request, "internal/bimtek.html", _bimtek_ctx(db, actor, monev, cycle_id))


@router.post(BASE + "/{monev_id}/bimtek/contoh", name="internal.add_example")
def add_example(
    request: Request,
    monev: InternalMonev = Depends(owned_monev),
    cycle_id: int = Form(...),
    item_id: int = Form(...),
    title: str = Form(""),
    url: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_internal_cycle(db, monev, cycle_id)
    try:
        bimtek.add_example(db, actor, monev, cycle, item_id=item_id, title=title, url=url)
    except RECOVERABLE as exc:
        ctx = _bimtek_ctx(db, actor, monev, cycle.id) | {"form": {"title": title, "url": url}}
        return render_form_error(request, "internal/bimtek.html", ctx, exc)
    return redirect(f"{BASE}/{monev.id}/bimtek?cycle_id={cycle.id}", "Contoh dokumen diterbitkan.")


@router.post(BASE + "/{monev_id}/bimtek/sesi", name="internal.add_session")
def add_session(
    request: Request,
    monev: InternalMonev = Depends(owned_monev),
    title: str = Form(""),
    held_on: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        bimtek.add_session(db, actor, monev, title=title, held_on=held_on)
    except RECOVERABLE as exc:
        ctx = _bimtek_ctx(db, actor, monev, None) | {
            "form": {"session_title": title, "held_on": held_on}
        }
        return render_form_error(request, "internal/bimtek.html", ctx, exc)
    return redirect(f"{BASE}/{monev.id}/bimtek", "Sesi bimtek dicatat.")


@router.post(BASE + "/{monev_id}/bimtek/sesi/{session_id}/hadir", name="internal.attendance")
def attendance(
    request: Request,
    session_id: int,
    monev: InternalMonev = Depends(owned_monev),
    body_id: int = Form(0),
    name: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        bimtek.record_attendance(db, actor, monev, session_id, body_id=body_id, name=name)
    except RECOVERABLE as exc:
        ctx = _bimtek_ctx(db, actor, monev, None) | {"form": {"name": name}}
        return render_form_error(request, "internal/bimtek.html", ctx, exc)
    return redirect(f"{BASE}/{monev.id}/bimtek", "Kehadiran dicatat.")
