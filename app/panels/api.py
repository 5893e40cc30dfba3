"""JSON API of the presentation stage: a cycle's panels with their lock status, and a locked
panel's results (with any later correction)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.panels import service as panels
from app.panels.views import _staff_cycle
from app.web.deps import get_db, org_actor

router = APIRouter(prefix="/api/v1", tags=["panels"])


class PanelOut(BaseModel):
    id: int
    name: str
    status: str
    locked_at: datetime | None
    juror_count: int
    body_count: int


class ResultOut(BaseModel):
    body_id: int
    body_name: str
    score: Decimal | None
    method_used: str
    note: str
    juror_count: int
    abstained_count: int
    has_disagreement: bool
    current_score: Decimal | None


@router.get("/cycles/{cycle_id}/panels", response_model=list[PanelOut])
def cycle_panels(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[PanelOut]:
    cycle = _staff_cycle(db, actor, cycle_id)
    return [
        PanelOut(
            id=p.id,
            name=p.name,
            status=p.status,
            locked_at=p.locked_at,
            juror_count=len(panels.members_of(db, p)),
            body_count=len(panels.slots_of(db, p)),
        )
        for p in panels.panels_of(db, cycle)
    ]


@router.get("/panels/{panel_id}/results", response_model=list[ResultOut])
def panel_results(
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[ResultOut]:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    out: list[ResultOut] = []
    for r in panels.results_of(db, panel):
        body = db.get(Body, r.body_id)
        assert body is not None
        out.append(
            ResultOut(
                body_id=r.body_id,
                body_name=body.name,
                score=r.score,
                method_used=r.method_used,
                note=r.note,
                juror_count=r.juror_count,
                abstained_count=r.abstained_count,
                has_disagreement=r.has_disagreement,
                current_score=panels.current_presentation_score(db, cycle, r.body_id, r),
            )
        )
    return out
