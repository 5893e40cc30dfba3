"""JSON API of questionnaires: the whole tree (staff) and what one body answers."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.bodies.service import get_body_for_actor
from app.cycles.access import get_cycle_for_actor
from app.errors import NotFound
from app.questionnaires import service as questionnaires
from app.questionnaires.rules import IndicatorSpec, ItemSpec, QuestionnaireSpec
from app.web.deps import get_db, org_actor

router = APIRouter(prefix="/api/v1", tags=["questionnaires"])


class OptionOut(BaseModel):
    label: str
    fraction: str


class ItemOut(BaseModel):
    id: int
    code: str
    text: str
    weight: int
    answer_type: str
    options: list[OptionOut]
    evidence_kind: str
    file_types: list[str]
    max_file_bytes: int
    max_files: int
    guidance: str
    keywords: list[str]
    categories: list[str] | None
    group_code: str
    group_title: str
    is_removed: bool


class IndicatorOut(BaseModel):
    id: int
    code: str
    name: str
    weight: int
    guidance: str
    categories: list[str] | None
    items: list[ItemOut]


class QuestionnaireOut(BaseModel):
    id: int
    name: str
    version: int
    frozen: bool
    indicators: list[IndicatorOut]


class BodyQuestionnaireOut(BaseModel):
    cycle_id: int
    body_id: int
    category_code: str
    questionnaire: QuestionnaireOut


def _item(i: ItemSpec) -> ItemOut:
    return ItemOut(
        id=i.id,
        code=i.code,
        text=i.text,
        weight=i.weight,
        answer_type=i.answer_type,
        options=[OptionOut(label=o.label, fraction=str(o.fraction)) for o in i.options],
        evidence_kind=i.evidence_kind,
        file_types=list(i.file_types),
        max_file_bytes=i.max_file_bytes,
        max_files=i.max_files,
        guidance=i.guidance,
        keywords=list(i.keywords),
        categories=sorted(i.categories) if i.categories is not None else None,
        group_code=i.group_code,
        group_title=i.group_title,
        is_removed=i.is_removed,
    )


def _indicator(ind: IndicatorSpec) -> IndicatorOut:
    return IndicatorOut(
        id=ind.id,
        code=ind.code,
        name=ind.name,
        weight=ind.weight,
        guidance=ind.guidance,
        categories=sorted(ind.categories) if ind.categories is not None else None,
        items=[_item(i) for i in ind.items],
    )


def _out(spec: QuestionnaireSpec, frozen: bool) -> QuestionnaireOut:
    return QuestionnaireOut(
        id=spec.id,
        name=spec.name,
        version=spec.version,
        frozen=frozen,
        indicators=[_indicator(i) for i in spec.indicators],
    )


@router.get("/questionnaires/{questionnaire_id}", response_model=QuestionnaireOut)
def get_questionnaire(
    questionnaire_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> QuestionnaireOut:
    """The whole questionnaire (withdrawn items included, marked), for commission staff."""
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    frozen = questionnaires.is_frozen(db, questionnaires.cycle_of(db, q))
    return _out(questionnaires.load_spec(db, q), frozen)


@router.get(
    "/cycles/{cycle_id}/bodies/{body_id}/questionnaire", response_model=BodyQuestionnaireOut
)
def get_body_questionnaire(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> BodyQuestionnaireOut:
    """The items one target body answers (only those of its category)."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    body = get_body_for_actor(db, actor, body_id)
    bq = questionnaires.questionnaire_for_body(db, cycle, body.id)
    if bq is None:
        raise NotFound("Badan publik ini belum memiliki kuesioner di siklus tersebut.")
    return BodyQuestionnaireOut(
        cycle_id=cycle.id,
        body_id=body.id,
        category_code=bq.category_code,
        questionnaire=_out(bq.spec, questionnaires.is_frozen(db, cycle)),
    )
