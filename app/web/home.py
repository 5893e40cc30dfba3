"""Landing page, role-appropriate home page, health check and the `/api/v1/me` resource."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.accounts.attempts import RedisAttempts, get_attempts
from app.accounts.models import User
from app.accounts.rules import Actor, Role, home_sections
from app.bodies.models import Body
from app.jobs.service import recent_jobs
from app.orgs.models import Organisation, OrganisationKind
from app.web.deps import current_actor, get_db, load_actor
from app.web.templating import redirect, render

router = APIRouter()


@router.get("/", name="home.landing")
def landing(
    request: Request,
    actor: Actor | None = Depends(load_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if actor is not None:
        return redirect("/beranda")
    orgs = db.scalars(
        select(Organisation)
        .where(Organisation.is_active, Organisation.kind != OrganisationKind.INTERNAL)
        .order_by(Organisation.short_name)
    ).all()
    return render(request, "home/landing.html", {"orgs": orgs})


@router.get("/beranda", name="home.dashboard")
def dashboard(
    request: Request,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ctx: dict[str, object] = {"sections": home_sections(actor)}
    if actor.organisation_id and actor.has(Role.SEKRETARIAT, Role.KOMISIONER):
        ctx["body_count"] = (
            db.scalar(
                select(func.count())
                .select_from(Body)
                .where(Body.organisation_id == actor.organisation_id, Body.parent_id.is_(None))
            )
            or 0
        )
        ctx["unit_count"] = (
            db.scalar(
                select(func.count())
                .select_from(Body)
                .where(Body.organisation_id == actor.organisation_id, Body.parent_id.is_not(None))
            )
            or 0
        )
    if actor.body_roles:
        from app.improvement.service import approved_for_body

        my_bodies = db.scalars(
            select(Body).where(Body.id.in_(actor.body_ids)).order_by(Body.name)
        ).all()
        ctx["my_bodies"] = my_bodies
        ctx["my_recommendations"] = [
            (b, c) for b in my_bodies for c, _rec in approved_for_body(db, b.id)
        ]
    if actor.is_admin:
        ctx["org_count"] = db.scalar(select(func.count()).select_from(Organisation)) or 0
        ctx["user_count"] = db.scalar(select(func.count()).select_from(User)) or 0
    ctx["my_orgs"] = db.scalars(
        select(Organisation)
        .where(Organisation.id.in_(actor.organisation_ids))
        .order_by(Organisation.short_name)
    ).all()
    if actor.organisation_id and actor.has(Role.PANITIA):
        from app.cycles.models import Cycle

        ctx["ceremony_cycles"] = db.scalars(
            select(Cycle)
            .where(Cycle.organisation_id == actor.organisation_id)
            .order_by(Cycle.year.desc(), Cycle.name)
        ).all()
    ctx["jobs"] = recent_jobs(db, actor, limit=5)
    return render(request, "home/dashboard.html", ctx)


@router.get("/healthz", name="health", include_in_schema=False)
def healthz(db: Session = Depends(get_db, scope="function")) -> Response:
    """200 when the database answers and, with REDIS_URL, Redis too (logins and jobs need it);
    503 naming what does not answer."""
    try:
        db.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "failing": "database"}, status_code=503)
    store = get_attempts()
    if isinstance(store, RedisAttempts):
        try:
            store.client.ping()
        except Exception:
            return JSONResponse({"status": "unavailable", "failing": "redis"}, status_code=503)
    return JSONResponse({"status": "ok"})


class MeOut(BaseModel):
    id: int
    email: str
    full_name: str
    is_admin: bool
    organisation_id: int | None
    roles: list[str]
    body_ids: list[int]


@router.get("/api/v1/me", response_model=MeOut, tags=["accounts"])
def me(actor: Actor = Depends(current_actor)) -> MeOut:
    return MeOut(
        id=actor.user_id,
        email=actor.email,
        full_name=actor.full_name,
        is_admin=actor.is_admin,
        organisation_id=actor.organisation_id,
        roles=sorted(actor.roles),
        body_ids=sorted(actor.body_ids),
    )
