"""View as body: the sekretariat sees, read-only, the pages a body's operator sees.

No session is impersonated: distinct GET routes render the operator's templates with the
body's context and an operator-shaped actor that exists only for the template. The pages say
so in a banner, disable every form, and carry a Content-Security-Policy with
`form-action 'none'`, so nothing can be submitted from them; every view is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role, home_sections
from app.audit.service import record
from app.bodies import service as bodies
from app.bodies.models import Body
from app.errors import Forbidden, NotFound
from app.helpdesk.models import HelpdeskThread
from app.orgs.models import Organisation
from app.orgs.service import categories
from app.web.deps import get_db, org_actor
from app.web.middleware import CSP
from app.web.templating import render

router = APIRouter(prefix="/lihat-sebagai")

READ_ONLY_CSP = CSP.replace("form-action 'self'", "form-action 'none'")


def open_view_as(db: Session, actor: Actor, body_id: int, page: str) -> Body:
    """Load a body of the sekretariat's own commission and audit that it was looked at."""
    if not actor.has(Role.SEKRETARIAT):
        raise Forbidden("Tampilan sebagai badan publik hanya untuk sekretariat.")
    body = db.get(Body, body_id)
    if body is None or body.organisation_id != actor.organisation_id:
        raise NotFound("Badan publik tidak ditemukan.")
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=body.organisation_id,
        action="body.viewed_as",
        object_type="body",
        object_id=body.id,
        after={"page": page},
    )
    return body


def operator_view(body: Body) -> Actor:
    """An actor shaped like the body's operator, for rendering only (never authorised with)."""
    role = frozenset({str(Role.OPERATOR)})
    return Actor(
        user_id=0,
        email="",
        full_name=f"Operator {body.name}",
        organisation_id=body.organisation_id,
        roles=role,
        body_roles={body.id: role},
        organisation_ids=frozenset({body.organisation_id}),
    )


def body_home_context(db: Session, body: Body) -> dict[str, Any]:
    """What `/beranda` shows an operator of this body (the body section of the home page)."""
    view = operator_view(body)
    open_threads = db.scalars(
        select(HelpdeskThread)
        .where(HelpdeskThread.body_id == body.id, HelpdeskThread.status != "closed")
        .order_by(HelpdeskThread.last_message_at.desc())
    ).all()
    return {
        "actor": view,
        "sections": home_sections(view),
        "my_bodies": [body],
        "my_orgs": [db.get(Organisation, body.organisation_id)],
        "jobs": [],
        "view_as_threads": list(open_threads),
    }


def body_profile_context(db: Session, body: Body) -> dict[str, Any]:
    """What the body's profile page shows its operator."""
    return {
        "actor": operator_view(body),
        "body": body,
        "parent": db.get(Body, body.parent_id) if body.parent_id else None,
        "units": bodies.units_of(db, body),
        "operators": bodies.operators_of(db, body),
        "staff": False,
        "category_name": {c.code: c.name for c in categories(db, body.organisation_id)}.get(
            body.default_category_code or "", "—"
        ),
    }


def _read_only(request: Request, template: str, body: Body, ctx: dict[str, Any]) -> Response:
    response = render(request, template, {**ctx, "view_as": body})
    response.headers["Content-Security-Policy"] = READ_ONLY_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{body_id}", name="view_as.home")
def view_as_home(
    request: Request,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = open_view_as(db, actor, body_id, "beranda")
    return _read_only(request, "home/dashboard.html", body, body_home_context(db, body))


@router.get("/{body_id}/profil", name="view_as.profile")
def view_as_profile(
    request: Request,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = open_view_as(db, actor, body_id, "profil")
    return _read_only(request, "bodies/detail.html", body, body_profile_context(db, body))
