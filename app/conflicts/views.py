"""A person's own declared affiliations (jurors, verifiers, other commission staff)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.conflicts import service as conflicts
from app.conflicts.rules import AFFILIATION_KINDS
from app.errors import RECOVERABLE, Forbidden
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render

router = APIRouter()


def _ctx(db: Session, actor: Actor, panel: str = "") -> dict[str, Any]:
    if not actor.is_staff:
        raise Forbidden("Halaman ini untuk anggota komisi.")
    bodies = db.scalars(
        select(Body).where(Body.organisation_id == actor.organisation_id).order_by(Body.name)
    ).all()
    return {
        "affiliations": conflicts.active_affiliations(db, actor.user_id),
        "bodies": bodies,
        "kinds": AFFILIATION_KINDS,
        "panel": panel if panel.isdigit() else "",
    }


@router.get("/konflik", name="conflicts.list")
def affiliations_page(
    request: Request,
    panel: str = "",
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(request, "conflicts/list.html", _ctx(db, actor, panel))


@router.post("/konflik", name="conflicts.declare")
def affiliation_declare(
    request: Request,
    kind: str = Form(""),
    name: str = Form(""),
    body_id: str = Form(""),
    note: str = Form(""),
    panel: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ctx = _ctx(db, actor, panel)
    form = {"kind": kind, "name": name, "body_id": body_id, "note": note}
    try:
        conflicts.declare_affiliation(db, actor, kind=kind, name=name, body_id=body_id, note=note)
    except RECOVERABLE as exc:
        db.rollback()
        return render(
            request,
            "conflicts/list.html",
            {**ctx, "form": form, "error": exc.message, "errors": exc.field_errors},
            status_code=exc.status_code,
        )
    back = f"/konflik?panel={ctx['panel']}" if ctx["panel"] else "/konflik"
    return redirect(back, "Afiliasi dicatat.")


@router.post("/konflik/{affiliation_id}/cabut", name="conflicts.withdraw")
def affiliation_withdraw(
    request: Request,
    affiliation_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    conflicts.withdraw_affiliation(db, actor, affiliation_id)
    return redirect("/konflik", "Afiliasi dicabut.")
