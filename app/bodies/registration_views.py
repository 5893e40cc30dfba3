"""Pages of registration: the public form, the sekretariat's queue, invitations, colleagues."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.bodies import registration as reg_service
from app.bodies.models import RegistrationStatus
from app.bodies.rules import REGISTRATION_FIELDS
from app.bodies.service import get_body_for_actor
from app.bodies.views import detail_ctx
from app.cycles.access import get_cycle_for_staff, organisation_of, require_manager
from app.cycles.schedule import require_stage_open
from app.cycles.views import cycle_page
from app.errors import RECOVERABLE, TooManyRequests
from app.web.deps import client_ip, get_db, org_actor, posted_form
from app.web.templating import redirect, render, render_form_error

router = APIRouter()

STATUS_LABELS = {
    RegistrationStatus.PENDING: "Menunggu aktivasi",
    RegistrationStatus.ACTIVATED: "Diaktifkan",
    RegistrationStatus.REJECTED: "Ditolak",
}


def _form_ctx(db: Session, cycle_id: int) -> dict[str, Any]:
    cycle = reg_service.get_cycle_for_registration(db, cycle_id)
    closed = ""
    try:
        require_stage_open(db, cycle, "registration")
    except RECOVERABLE as exc:
        closed = exc.message
    return {
        "cycle": cycle,
        "org": organisation_of(db, cycle),
        "options": reg_service.registration_options(db, cycle),
        "closed": closed,
    }


@router.get("/daftar/{cycle_id}", name="registration.form")
def registration_form(
    request: Request, cycle_id: int, db: Session = Depends(get_db, scope="function")
) -> Response:
    return render(request, "bodies/register.html", _form_ctx(db, cycle_id))


@router.post("/daftar/{cycle_id}", name="registration.submit")
def registration_submit(
    request: Request,
    cycle_id: int,
    db: Session = Depends(get_db, scope="function"),
    form: FormData = Depends(posted_form),
) -> Response:
    ctx = _form_ctx(db, cycle_id)
    data = {f: str(form.get(f, "")) for f in REGISTRATION_FIELDS}
    ctx["form"] = data
    try:
        reg_service.submit_registration(
            db,
            ctx["cycle"],
            data,
            password=str(form.get("password", "")),
            password2=str(form.get("password2", "")),
            ip=client_ip(request),
        )
    except (*RECOVERABLE, TooManyRequests) as exc:
        return render_form_error(request, "bodies/register.html", ctx, exc)
    return redirect(
        f"/daftar/{cycle_id}",
        "Pendaftaran terkirim. Sekretariat komisi akan memeriksanya; Anda menerima email "
        "setelah pendaftaran diaktifkan.",
    )


def _queue_ctx(db: Session, actor: Actor, cycle_id: int, status: str) -> dict[str, Any]:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    require_manager(actor, cycle)
    if status not in STATUS_LABELS:
        status = RegistrationStatus.PENDING
    return {
        **cycle_page(db, actor, cycle, "pendaftaran"),
        "registrations": reg_service.list_registrations(db, actor, cycle, status=status),
        "status": status,
        "status_labels": STATUS_LABELS,
        "options": reg_service.registration_options(db, cycle),
    }


@router.get("/siklus/{cycle_id}/pendaftaran", name="registration.queue")
def registration_queue(
    request: Request,
    cycle_id: int,
    status: str = RegistrationStatus.PENDING,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(request, "bodies/registrations.html", _queue_ctx(db, actor, cycle_id, status))


@router.post(
    "/siklus/{cycle_id}/pendaftaran/{registration_id}/aktifkan", name="registration.activate"
)
def registration_activate(
    request: Request,
    cycle_id: int,
    registration_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    reg = reg_service.get_registration(db, actor, cycle, registration_id)
    try:
        reg_service.activate_registration(db, actor, cycle, reg)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = _queue_ctx(db, actor, cycle_id, RegistrationStatus.PENDING)
        return render_form_error(request, "bodies/registrations.html", ctx, exc)
    return redirect(
        f"/siklus/{cycle.id}/pendaftaran", f"{reg.body_name} diaktifkan; operatornya dapat masuk."
    )


@router.post("/siklus/{cycle_id}/pendaftaran/{registration_id}/tolak", name="registration.reject")
def registration_reject(
    request: Request,
    cycle_id: int,
    registration_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    reg = reg_service.get_registration(db, actor, cycle, registration_id)
    try:
        reg_service.reject_registration(db, actor, cycle, reg, reason=reason)
    except RECOVERABLE as exc:
        ctx = _queue_ctx(db, actor, cycle_id, RegistrationStatus.PENDING)
        return render_form_error(request, "bodies/registrations.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/pendaftaran", f"Pendaftaran {reg.body_name} ditolak.")


@router.post("/siklus/{cycle_id}/undangan", name="registration.invite_targets")
def registration_invite_targets(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    run = reg_service.invite_targets(db, actor, cycle)
    message = f"Undangan dikirim ke {len(run.invited)} badan publik."
    if run.without_email:
        message += " Tanpa email kontak (lengkapi dulu): " + ", ".join(run.without_email) + "."
    return redirect(f"/siklus/{cycle.id}/pendaftaran", message)


@router.post("/badan-publik/{body_id}/rekan", name="registration.invite_colleague")
def registration_invite_colleague(
    request: Request,
    body_id: int,
    email: str = Form(""),
    full_name: str = Form(""),
    role: str = Form("operator"),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = get_body_for_actor(db, actor, body_id)
    try:
        user = reg_service.invite_colleague(
            db, actor, body, email=email, full_name=full_name, role=role
        )
    except RECOVERABLE as exc:
        ctx = {
            **detail_ctx(db, actor, body),
            "form": {"email": email, "full_name": full_name, "role": role},
        }
        return render_form_error(request, "bodies/detail.html", ctx, exc)
    return redirect(f"/badan-publik/{body.id}", f"{user.email} ditambahkan sebagai rekan.")
