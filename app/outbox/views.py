"""The outbox page: every e-mail's status, its last error; fix and resend what failed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.errors import Conflict, Forbidden, ValidationFailed
from app.outbox import service
from app.outbox.rules import STATUS_LABELS
from app.web.deps import current_actor, get_db
from app.web.templating import redirect, render

router = APIRouter(prefix="/kotak-keluar")


@router.get("", name="outbox.list")
def outbox_list(
    request: Request,
    status: str = "",
    q: str = "",
    page: int = 1,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    result = service.list_messages(db, actor, status=status, q=q, page=page)
    return render(
        request,
        "notifications/outbox.html",
        {"page": result, "status": status, "q": q, "labels": STATUS_LABELS},
    )


@router.get("/{message_id}", name="outbox.detail")
def outbox_detail(
    request: Request,
    message_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    msg = service.get_message_for_actor(db, actor, message_id)
    return render(
        request, "notifications/outbox_message.html", {"msg": msg, "labels": STATUS_LABELS}
    )


@router.post("/{message_id}/ubah", name="outbox.update")
def outbox_update(
    request: Request,
    message_id: int,
    to_address: str = Form(""),
    subject: str = Form(""),
    body_text: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    msg = service.get_message_for_actor(db, actor, message_id)
    try:
        service.update_message(db, actor, msg, to=to_address, subject=subject, body=body_text)
        service.resend_message(db, actor, msg)
    except (ValidationFailed, Conflict, Forbidden) as exc:
        db.rollback()
        msg = service.get_message_for_actor(db, actor, message_id)
        form = {"to_address": to_address, "subject": subject, "body_text": body_text}
        return render(
            request,
            "notifications/outbox_message.html",
            {
                "msg": msg,
                "labels": STATUS_LABELS,
                "form": form,
                "error": exc.message,
                "errors": exc.field_errors,
            },
            status_code=exc.status_code,
        )
    return redirect(f"/kotak-keluar/{msg.id}", "Pesan diperbaiki dan dimasukkan ke antrean kirim.")


@router.post("/{message_id}/kirim-ulang", name="outbox.resend")
def outbox_resend(
    request: Request,
    message_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    msg = service.get_message_for_actor(db, actor, message_id)
    try:
        service.resend_message(db, actor, msg)
    except (ValidationFailed, Conflict) as exc:
        db.rollback()
        msg = service.get_message_for_actor(db, actor, message_id)
        return render(
            request,
            "notifications/outbox_message.html",
            {"msg": msg, "labels": STATUS_LABELS, "error": exc.message},
            status_code=exc.status_code,
        )
    return redirect(f"/kotak-keluar/{msg.id}", "Pesan dimasukkan kembali ke antrean kirim.")
