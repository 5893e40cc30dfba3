"""JSON API of verification: a body's verdicts (read) and one item's verdict (write)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.models import Cycle
from app.verification import service
from app.verification.exports import credit
from app.verification.service import Sheet
from app.web.deps import get_db, org_actor
from app.web.responses import model_json

router = APIRouter(prefix="/api/v1", tags=["verification"])


class ItemVerdictOut(BaseModel):
    item_id: int
    item_code: str
    declared: str | None
    verdict: str
    verified_option: str | None
    note: str
    raw_credit: Decimal
    verified_credit: Decimal


class IndicatorOut(BaseModel):
    code: str
    raw: Decimal
    verified: Decimal


class SheetOut(BaseModel):
    cycle_id: int
    body_id: int
    status: str | None
    raw_total: Decimal
    verified_total: Decimal
    indicators: list[IndicatorOut]
    items: list[ItemVerdictOut]


class VerdictIn(BaseModel):
    verdict: str = Field(description="accepted | rejected | adjusted")
    note: str = ""
    verified_option: str | None = None


def _out(sheet: Sheet) -> SheetOut:
    return SheetOut(
        cycle_id=sheet.cycle.id,
        body_id=sheet.body.id,
        status=sheet.assignment.status if sheet.assignment else None,
        raw_total=sheet.scores.raw.total,
        verified_total=sheet.scores.verified.total,
        indicators=[
            IndicatorOut(code=r.indicator_code, raw=r.score, verified=v.score)
            for r, v in zip(
                sheet.scores.raw.indicators, sheet.scores.verified.indicators, strict=True
            )
        ],
        items=[
            ItemVerdictOut(
                item_id=line.item.id,
                item_code=line.item.code,
                declared=line.answer.declared if line.answer else None,
                verdict=line.verdict,
                verified_option=line.answer.verified_option if line.answer else None,
                note=line.note,
                raw_credit=credit(line.raw_credit),
                verified_credit=credit(line.verified_credit),
            )
            for line in sheet.lines
        ],
    )


def assigned_verifier(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> tuple[Actor, Cycle]:
    """Authorise a verdict write before its body is read: the body's own verifier only (the
    service checks again, as on every write)."""
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    service.get_assignment_for_verifier(db, actor, cycle, body_id)
    return actor, cycle


@router.get("/cycles/{cycle_id}/verification/bodies/{body_id}", response_model=SheetOut)
def read_sheet(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    service.get_sheet_access(db, actor, cycle, body_id)
    return model_json(_out(service.load_sheet(db, cycle, body_id)))


@router.put(
    "/cycles/{cycle_id}/verification/bodies/{body_id}/items/{item_id}", response_model=SheetOut
)
def write_verdict(
    cycle_id: int,
    body_id: int,
    item_id: int,
    payload: VerdictIn,
    who: tuple[Actor, Cycle] = Depends(assigned_verifier),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    actor, cycle = who
    service.give_verdict(
        db,
        actor,
        cycle,
        body_id=body_id,
        item_id=item_id,
        verdict=payload.verdict,
        note=payload.note,
        verified_option=payload.verified_option,
    )
    return model_json(_out(service.load_sheet(db, cycle, body_id)))
