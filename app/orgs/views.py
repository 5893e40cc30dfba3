"""Platform admin pages: commissions (tenants) of the installation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.errors import Forbidden, ValidationFailed
from app.orgs import service
from app.orgs.models import TIMEZONES
from app.web.deps import current_actor, get_db
from app.web.templating import redirect, render

router = APIRouter(prefix="/admin/komisi")


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Halaman ini hanya untuk admin platform.")


@router.get("", name="orgs.list")
def orgs_list(
    request: Request,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    _require_admin(actor)
    return render(
        request, "orgs/list.html", {"orgs": service.list_organisations(db), "timezones": TIMEZONES}
    )


@router.post("", name="orgs.create")
def orgs_create(
    request: Request,
    slug: str = Form(""),
    name: str = Form(""),
    short_name: str = Form(""),
    timezone: str = Form("Asia/Jakarta"),
    city: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    _require_admin(actor)
    try:
        org = service.create_commission(
            db,
            slug=slug,
            name=name,
            short_name=short_name,
            timezone=timezone,
            city=city,
            actor_user_id=actor.user_id,
        )
    except ValidationFailed as exc:
        db.rollback()
        return render(
            request,
            "orgs/list.html",
            {
                "orgs": service.list_organisations(db),
                "timezones": TIMEZONES,
                "errors": exc.field_errors,
                "error": exc.message,
                "form": {
                    "slug": slug,
                    "name": name,
                    "short_name": short_name,
                    "timezone": timezone,
                    "city": city,
                },
            },
            status_code=422,
        )
    return redirect("/admin/komisi", f"Komisi {org.short_name} dibuat.")
