"""JSON API of a body's SAQ: read its answers, save one answer (optimistic lock → 409)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.errors import Forbidden
from app.submissions import service
from app.submissions.models import Answer
from app.web.deps import get_db, org_actor
from app.web.responses import model_json

router = APIRouter(prefix="/api/v1/cycles/{cycle_id}/bodies/{body_id}", tags=["submissions"])


class AnswerOut(BaseModel):
    item_id: int
    item_code: str
    indicator_code: str
    declared: str | None
    text_value: str
    version: int
    status: str
    files: int
    links: int
    updated_at: datetime | None
    updated_by_id: int | None


class AnswersOut(BaseModel):
    cycle_id: int
    body_id: int
    status: str
    receipt_sha256: str
    answers: list[AnswerOut]


class AnswerIn(BaseModel):
    value: str | None = Field(default=None, max_length=200)
    text: str = Field(default="", max_length=5000)
    version: int = Field(ge=0)


def _answers(
    db: Session,
    ws: service.Workspace,
    only: int | None = None,
    answers: dict[int, Answer] | None = None,
) -> list[AnswerOut]:
    """Every answer of the workspace, or only the one of item `only` (read for that item,
    unless the caller holds it in `answers`, as after saving it)."""
    if answers is None:
        answers = service.answers_of(db, ws, only)
    files = service.item_files(db, ws, only)
    links = service.item_links(db, ws, only)
    states = {s.item_id: s for s in service.item_states(ws, answers, files, links)}
    out = []
    for ind in ws.indicators:
        for it in ind.items:
            if only is not None and it.id != only:
                continue
            a: Answer | None = answers.get(it.id)
            s = states[it.id]
            out.append(
                AnswerOut(
                    item_id=it.id,
                    item_code=it.code,
                    indicator_code=ind.code,
                    declared=a.declared if a else None,
                    text_value=a.text_value if a else "",
                    version=a.version if a else 0,
                    status=s.status,
                    files=s.files,
                    links=s.links,
                    updated_at=a.updated_at if a else None,
                    updated_by_id=a.updated_by_id if a else None,
                )
            )
    return out


@router.get("/answers", response_model=AnswersOut)
def read_answers(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = service.get_workspace(db, actor, cycle_id, body_id)
    sub = ws.submission
    return model_json(
        AnswersOut(
            cycle_id=ws.cycle.id,
            body_id=ws.body.id,
            status=ws.status,
            receipt_sha256=sub.receipt_sha256 if sub else "",
            answers=_answers(db, ws),
        )
    )


def workspace_member(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> service.Workspace:
    """Admit only people who may fill part of the body's SAQ, before the body is validated;
    the handler works on the workspace loaded here."""
    ws = service.get_workspace(db, actor, cycle_id, body_id)
    if not ws.fillable:
        raise Forbidden("Anda tidak dapat mengisi SAQ badan publik ini.")
    return ws


@router.put(
    "/answers/{item_id}",
    response_model=AnswerOut,
    responses={409: {"description": "Jawaban sudah diubah orang lain (versi berbeda)."}},
)
def save_answer(
    cycle_id: int,
    body_id: int,
    item_id: int,
    payload: AnswerIn,
    ws: service.Workspace = Depends(workspace_member),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        saved = service.save_answer(
            db, actor, ws, item_id, value=payload.value, text=payload.text, version=payload.version
        )
    except service.AnswerConflict as exc:
        db.rollback()
        current = exc.current
        return JSONResponse(
            {
                "type": "about:blank",
                "title": exc.title,
                "status": 409,
                "detail": exc.message,
                "current": None
                if current is None
                else {
                    "declared": current.declared,
                    "text_value": current.text_value,
                    "version": current.version,
                    "updated_by": exc.by_name,
                    "updated_at": current.updated_at.isoformat(),
                },
            },
            status_code=409,
            media_type="application/problem+json",
        )
    return model_json(_answers(db, ws, only=item_id, answers={item_id: saved})[0])
