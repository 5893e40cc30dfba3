"""JSON API of the badan publik registry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.bodies import service
from app.web.deps import get_db, org_actor, role_actor

router = APIRouter(prefix="/api/v1/bodies", tags=["bodies"])


class BodyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    default_category_code: str | None
    parent_id: int | None
    website: str
    address: str
    email: str
    phone: str
    is_active: bool


class BodyPage(BaseModel):
    items: list[BodyOut]
    total: int
    page: int
    per_page: int


class BodyIn(BaseModel):
    name: str = Field(min_length=1, max_length=250)
    default_category_code: str | None = None
    parent_id: int | None = None
    website: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""


class BodyPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=250)
    default_category_code: str | None = None
    website: str | None = None
    address: str | None = None
    email: str | None = None
    phone: str | None = None


def _as_form(data: dict[str, object]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in data.items()}


@router.get("", response_model=BodyPage)
def list_bodies(
    q: str = "",
    category: str = "",
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=200),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> BodyPage:
    p = service.list_bodies(db, actor, q=q, category=category, page=page, per_page=per_page)
    return BodyPage(
        items=[BodyOut.model_validate(b) for b in p.items],
        total=p.total,
        page=p.page,
        per_page=p.per_page,
    )


@router.get("/{body_id}", response_model=BodyOut)
def get_body(
    body_id: int, actor: Actor = Depends(org_actor), db: Session = Depends(get_db, scope="function")
) -> BodyOut:
    return BodyOut.model_validate(service.get_body_for_actor(db, actor, body_id))


@router.post("", response_model=BodyOut, status_code=201)
def create_body(
    payload: BodyIn,
    actor: Actor = Depends(role_actor(Role.SEKRETARIAT)),
    db: Session = Depends(get_db, scope="function"),
) -> BodyOut:
    body = service.create_body(db, actor, _as_form(payload.model_dump()))
    return BodyOut.model_validate(body)


@router.patch("/{body_id}", response_model=BodyOut)
def patch_body(
    body_id: int,
    payload: BodyPatch,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> BodyOut:
    body = service.get_body_for_actor(db, actor, body_id)
    service.update_body(db, actor, body, _as_form(payload.model_dump(exclude_unset=True)))
    return BodyOut.model_validate(body)
