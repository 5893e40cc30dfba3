"""Pages for the sekretariat: people of the commission, their roles, deactivation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.errors import ValidationFailed
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render

router = APIRouter(prefix="/pengguna")


def _bodies(db: Session, actor: Actor) -> list[Body]:
    return list(
        db.scalars(
            select(Body).where(Body.organisation_id == actor.organisation_id).order_by(Body.name)
        )
    )


@router.get("", name="users.list")
def users_list(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    rows = service.list_org_users(db, actor)
    return render(
        request,
        "accounts/users.html",
        {"rows": rows, "roles": list(Role), "bodies": _bodies(db, actor)},
    )


@router.post("", name="users.invite")
def users_invite(
    request: Request,
    email: str = Form(""),
    full_name: str = Form(""),
    role: str = Form(""),
    body_id: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        service.invite_user(
            db,
            actor,
            email=email,
            full_name=full_name,
            role=role,
            body_id=int(body_id) if body_id.isdigit() else None,
        )
    except ValidationFailed as exc:
        db.rollback()
        return render(
            request,
            "accounts/users.html",
            {
                "rows": service.list_org_users(db, actor),
                "roles": list(Role),
                "bodies": _bodies(db, actor),
                "invite_error": exc.message,
                "errors": exc.field_errors,
                "form": {"email": email, "full_name": full_name, "role": role, "body_id": body_id},
            },
            status_code=422,
        )
    return redirect("/pengguna", f"Peran diberikan kepada {email}.")


@router.post("/peran/{grant_id}/cabut", name="users.revoke")
def users_revoke(
    grant_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    service.revoke_org_grant(db, actor, grant_id)
    return redirect("/pengguna", "Peran dicabut.")


@router.post("/{user_id}/nonaktifkan", name="users.deactivate")
def users_deactivate(
    user_id: int, actor: Actor = Depends(org_actor), db: Session = Depends(get_db, scope="function")
) -> Response:
    user = service.get_user_for_manager(db, actor, user_id)
    service.deactivate_user(db, actor, user)
    return redirect("/pengguna", f"Akun {user.email} dinonaktifkan.")


@router.post("/{user_id}/aktifkan", name="users.reactivate")
def users_reactivate(
    user_id: int, actor: Actor = Depends(org_actor), db: Session = Depends(get_db, scope="function")
) -> Response:
    user = service.get_user_for_manager(db, actor, user_id)
    service.reactivate_user(db, actor, user)
    return redirect("/pengguna", f"Akun {user.email} diaktifkan kembali.")
