"""Pages of the helpdesk: questions and answers, FAQ management and the public FAQ."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.errors import Forbidden, InvalidTransition, ValidationFailed
from app.helpdesk import service
from app.helpdesk.models import HelpdeskThread
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render

router = APIRouter()


def _list_ctx(db: Session, actor: Actor, status: str = "") -> dict[str, Any]:
    return {
        "rows": service.list_threads(db, actor, status=status),
        "bodies": service.asking_bodies(db, actor),
        "status": status,
        "labels": service.STATUS_LABELS,
    }


@router.get("/bantuan", name="helpdesk.list")
def helpdesk_list(
    request: Request,
    status: str = "",
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(request, "helpdesk/list.html", _list_ctx(db, actor, status))


@router.post("/bantuan", name="helpdesk.ask")
def helpdesk_ask(
    request: Request,
    body_id: str = Form(""),
    subject: str = Form(""),
    message: str = Form(""),
    item_code: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not actor.body_roles:
        raise Forbidden("Pertanyaan diajukan oleh operator atau atasan PPID badan publik.")
    try:
        thread = service.ask(
            db,
            actor,
            body_id=int(body_id) if body_id.isdigit() else 0,
            subject=subject,
            message=message,
            item_code=item_code,
        )
    except ValidationFailed as exc:
        db.rollback()
        form = {"body_id": body_id, "subject": subject, "message": message, "item_code": item_code}
        ctx = {**_list_ctx(db, actor), "form": form, "error": exc.message}
        return render(
            request, "helpdesk/list.html", {**ctx, "errors": exc.field_errors}, status_code=422
        )
    return redirect(f"/bantuan/{thread.id}", "Pertanyaan terkirim ke sekretariat komisi.")


# FAQ management comes before /bantuan/{thread_id} so "faq" is not read as a thread id.
@router.get("/bantuan/faq", name="helpdesk.faq_manage")
def faq_manage(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    entries = service.list_faq_for_staff(db, actor)
    return render(request, "helpdesk/faq_manage.html", {"entries": entries})


@router.post("/bantuan/faq", name="helpdesk.faq_create")
def faq_create(
    request: Request,
    question: str = Form(""),
    answer: str = Form(""),
    item_code: str = Form(""),
    sort_order: int = Form(0),
    is_published: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    service.require_sekretariat(actor)
    fields = {"question": question, "answer": answer, "item_code": item_code}
    try:
        service.save_faq(
            db,
            actor,
            question=question,
            answer=answer,
            item_code=item_code,
            sort_order=sort_order,
            is_published=bool(is_published),
        )
    except ValidationFailed as exc:
        db.rollback()
        ctx = {"entries": service.list_faq_for_staff(db, actor), "form": fields}
        ctx.update(error=exc.message, errors=exc.field_errors)
        return render(request, "helpdesk/faq_manage.html", ctx, status_code=422)
    return redirect("/bantuan/faq", "Entri FAQ disimpan.")


@router.post("/bantuan/faq/{faq_id}", name="helpdesk.faq_update")
def faq_update(
    request: Request,
    faq_id: int,
    question: str = Form(""),
    answer: str = Form(""),
    item_code: str = Form(""),
    sort_order: int = Form(0),
    is_published: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    entry = service.get_faq_for_actor(db, actor, faq_id)
    fields = {"question": question, "answer": answer, "item_code": item_code}
    try:
        service.save_faq(
            db,
            actor,
            question=question,
            answer=answer,
            item_code=item_code,
            sort_order=sort_order,
            is_published=bool(is_published),
            entry=entry,
        )
    except ValidationFailed as exc:
        db.rollback()
        ctx = {"entries": service.list_faq_for_staff(db, actor), "edit_id": faq_id}
        ctx.update(edit_form=fields, error=exc.message, errors=exc.field_errors)
        return render(request, "helpdesk/faq_manage.html", ctx, status_code=422)
    return redirect("/bantuan/faq", "Entri FAQ diperbarui.")


def _thread_ctx(db: Session, actor: Actor, thread: HelpdeskThread) -> dict[str, Any]:
    commission = service.is_commission_side(actor, thread.organisation_id)
    return {
        "thread": thread,
        "body": db.get(Body, thread.body_id),
        "messages": service.messages_of(db, thread),
        "labels": service.STATUS_LABELS,
        "commission": commission,
        "faq_form": service.faq_draft_from_thread(db, thread) if commission else {},
    }


@router.get("/bantuan/{thread_id}", name="helpdesk.thread")
def helpdesk_thread(
    request: Request,
    thread_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    thread = service.get_thread_for_actor(db, actor, thread_id)
    return render(request, "helpdesk/thread.html", _thread_ctx(db, actor, thread))


@router.post("/bantuan/{thread_id}/balas", name="helpdesk.reply")
def helpdesk_reply(
    request: Request,
    thread_id: int,
    message: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    thread = service.get_thread_for_actor(db, actor, thread_id)
    try:
        service.reply(db, actor, thread, message=message)
    except ValidationFailed as exc:
        db.rollback()
        thread = service.get_thread_for_actor(db, actor, thread_id)
        ctx = {**_thread_ctx(db, actor, thread), "form": {"message": message}}
        ctx.update(error=exc.message, errors=exc.field_errors)
        return render(request, "helpdesk/thread.html", ctx, status_code=422)
    return redirect(f"/bantuan/{thread.id}", "Pesan terkirim.")


@router.post("/bantuan/{thread_id}/selesai", name="helpdesk.close")
def helpdesk_close(
    thread_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    thread = service.get_thread_for_actor(db, actor, thread_id)
    try:
        service.close_thread(db, actor, thread)
    except InvalidTransition as exc:
        return redirect(f"/bantuan/{thread.id}", exc.message, "warning")
    return redirect(f"/bantuan/{thread.id}", "Pertanyaan ditandai selesai.")


@router.post("/bantuan/{thread_id}/faq", name="helpdesk.thread_to_faq")
def helpdesk_thread_to_faq(
    request: Request,
    thread_id: int,
    question: str = Form(""),
    answer: str = Form(""),
    item_code: str = Form(""),
    is_published: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    thread = service.get_thread_for_actor(db, actor, thread_id)
    service.require_sekretariat(actor)
    fields = {"question": question, "answer": answer, "item_code": item_code}
    try:
        service.save_faq(
            db,
            actor,
            question=question,
            answer=answer,
            item_code=item_code,
            is_published=bool(is_published),
            source_thread=thread,
        )
    except ValidationFailed as exc:
        db.rollback()
        thread = service.get_thread_for_actor(db, actor, thread_id)
        ctx = {**_thread_ctx(db, actor, thread), "faq_form": fields, "faq_error": exc.message}
        return render(
            request, "helpdesk/thread.html", {**ctx, "errors": exc.field_errors}, status_code=422
        )
    return redirect("/bantuan/faq", "Pertanyaan ini ditambahkan ke FAQ.")


@router.get("/faq/{slug}", name="helpdesk.faq_public")
def faq_public(
    request: Request, slug: str, db: Session = Depends(get_db, scope="function")
) -> Response:
    org, entries = service.public_faq(db, slug)
    return render(request, "helpdesk/faq_public.html", {"org": org, "entries": entries})
