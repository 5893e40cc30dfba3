"""Pages of broadcasts: write, preview (a few rendered messages and the count), confirm."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.errors import Conflict, ValidationFailed
from app.notifications import broadcasts as service
from app.notifications.models import Broadcast
from app.notifications.rules import BROADCAST_VARIABLES
from app.orgs.service import categories
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render

router = APIRouter(prefix="/siaran")


def _form_ctx(db: Session, actor: Actor) -> dict[str, Any]:
    return {
        "variables": BROADCAST_VARIABLES,
        "audiences": service.AUDIENCES,
        "categories": categories(db, actor.organisation_id or 0),
    }


def _preview_page(
    request: Request,
    db: Session,
    actor: Actor,
    broadcast: Broadcast,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    ctx = {**_form_ctx(db, actor), "preview": service.preview(db, actor, broadcast), **extra}
    return render(request, "notifications/broadcast.html", ctx, status_code=status_code)


@router.get("", name="broadcasts.list")
def broadcasts_list(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    items = service.list_broadcasts(db, actor)
    return render(
        request, "notifications/broadcasts.html", {**_form_ctx(db, actor), "items": items}
    )


@router.post("", name="broadcasts.create")
def broadcasts_create(
    request: Request,
    subject: str = Form(""),
    body: str = Form(""),
    audience: str = Form("all"),
    category_codes: list[str] = Form([]),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    service.require_sekretariat(actor)
    try:
        b = service.save_draft(
            db, actor, subject=subject, body=body, audience=audience, category_codes=category_codes
        )
    except ValidationFailed as exc:
        db.rollback()
        form = {"subject": subject, "body": body, "audience": audience, "codes": category_codes}
        ctx = {**_form_ctx(db, actor), "items": service.list_broadcasts(db, actor), "form": form}
        ctx.update(error=exc.message, errors=exc.field_errors)
        return render(request, "notifications/broadcasts.html", ctx, status_code=422)
    return redirect(f"/siaran/{b.id}", "Draf siaran disimpan. Periksa pratinjau sebelum mengirim.")


@router.get("/{broadcast_id}", name="broadcasts.detail")
def broadcasts_detail(
    request: Request,
    broadcast_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    b = service.get_broadcast_for_actor(db, actor, broadcast_id)
    return _preview_page(request, db, actor, b)


@router.post("/{broadcast_id}/ubah", name="broadcasts.update")
def broadcasts_update(
    request: Request,
    broadcast_id: int,
    subject: str = Form(""),
    body: str = Form(""),
    audience: str = Form("all"),
    category_codes: list[str] = Form([]),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    b = service.get_broadcast_for_actor(db, actor, broadcast_id)
    try:
        service.save_draft(
            db,
            actor,
            broadcast=b,
            subject=subject,
            body=body,
            audience=audience,
            category_codes=category_codes,
        )
    except ValidationFailed as exc:
        db.rollback()
        b = service.get_broadcast_for_actor(db, actor, broadcast_id)
        form = {"subject": subject, "body": body, "audience": audience, "codes": category_codes}
        return _preview_page(
            request,
            db,
            actor,
            b,
            status_code=422,
            form=form,
            error=exc.message,
            errors=exc.field_errors,
            editing=True,
        )
    return redirect(f"/siaran/{b.id}", "Draf siaran diperbarui.")


@router.post("/{broadcast_id}/kirim", name="broadcasts.send")
def broadcasts_send(
    request: Request,
    broadcast_id: int,
    expected_count: int = Form(-1),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    b = service.get_broadcast_for_actor(db, actor, broadcast_id)
    try:
        n = service.send_broadcast(db, actor, b, expected_count=expected_count)
    except (Conflict, ValidationFailed) as exc:
        db.rollback()
        b = service.get_broadcast_for_actor(db, actor, broadcast_id)
        return _preview_page(
            request, db, actor, b, status_code=exc.status_code, send_error=exc.message
        )
    return redirect(
        f"/siaran/{b.id}", f"{n} email masuk kotak keluar dan dikirim bertahap oleh sistem."
    )
