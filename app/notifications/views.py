"""Pages: one's notifications (list, unread badge, mark read) and e-mail preferences."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.notifications import service
from app.web.deps import current_actor, get_db, load_actor
from app.web.templating import redirect, render

router = APIRouter()


@router.get("/notifikasi", name="notifications.list")
def notifications_list(
    request: Request,
    page: int = 1,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    result = service.list_notifications(db, actor, page=page)
    return render(request, "notifications/list.html", {"page": result})


@router.get("/notifikasi/jumlah", name="notifications.count")
def notifications_count(
    request: Request,
    actor: Actor | None = Depends(load_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """The navbar's unread badge, loaded by htmx once per page (not polled, so an idle
    session still ends); an expired session gets an empty badge, not the login page."""
    unread = service.unread_count(db, actor) if actor else 0
    return render(request, "notifications/_badge.html", {"unread": unread})


@router.post("/notifikasi/baca-semua", name="notifications.read_all")
def notifications_read_all(
    actor: Actor = Depends(current_actor), db: Session = Depends(get_db, scope="function")
) -> Response:
    n = service.mark_all_read(db, actor)
    return redirect("/notifikasi", f"{n} notifikasi ditandai sudah dibaca.")


@router.post("/notifikasi/{notification_id}/baca", name="notifications.read")
def notifications_read(
    notification_id: int,
    open: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Mark one notification read; with `open`, go on to the page it points to."""
    n = service.get_notification_for_owner(db, actor, notification_id)
    service.mark_read(db, actor, n)
    if open and n.link:
        return redirect(n.link)
    return redirect("/notifikasi", "Notifikasi ditandai sudah dibaca.")


@router.get("/akun/notifikasi", name="notifications.preferences")
def preferences(
    request: Request,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    opted_out = service.opted_out_of_optional(db, actor.user_id)
    return render(request, "notifications/preferences.html", {"opted_out": opted_out})


@router.post("/akun/notifikasi", name="notifications.preferences_save")
def preferences_save(
    optional_reminders: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    enabled = optional_reminders in ("1", "on", "true")
    service.set_optional_reminders(db, actor, enabled=enabled)
    return redirect(
        "/akun",
        "Pengingat opsional lewat email diaktifkan."
        if enabled
        else "Pengingat opsional lewat email dimatikan. Email wajib tetap dikirim.",
    )
