"""JSON API of cycles: the cycle, its stages and extensions, categories and targets, rules.

Times are ISO 8601; a time without an offset is read in the commission's time zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.cycles import categories, schedule, scoring
from app.cycles import service as cycles
from app.cycles.access import (
    actor_target_body_ids,
    get_cycle_for_actor,
    get_cycle_for_staff,
    is_staff_of,
    organisation_of,
    require_manager,
)
from app.cycles.models import Cycle, CycleStage, StageExtension
from app.cycles.rules import (
    AwardKind,
    AwardRule,
    Band,
    Combine,
    Component,
    NonShortlisted,
    NonSubmitter,
    ScoringConfig,
    ShortlistRule,
    StagePlan,
    TieBreak,
    stage_label,
)
from app.errors import NotFound
from app.questionnaires import service as questionnaires
from app.web.deps import get_db, org_actor, role_actor

router = APIRouter(prefix="/api/v1/cycles", tags=["cycles"])


class CycleOut(BaseModel):
    id: int
    name: str
    year: int
    status: str
    cloned_from_id: int | None
    opened_at: datetime | None
    timezone: str
    current_stage: str | None
    countdown_to: datetime | None


class CycleIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    year: int
    fill_from_catalogue: bool = True
    clone_from_id: int | None = Field(
        default=None, description="Copy this cycle (categories, targets, questionnaires, rules)."
    )


class StageOut(BaseModel):
    code: str
    label: str
    position: int
    opens_at: datetime | None
    closes_at: datetime | None


class StageIn(BaseModel):
    code: str
    opens_at: str = Field(default="", description="ISO time; without offset: commission zone")
    closes_at: str = ""


class MomentOut(BaseModel):
    current: StageOut | None
    upcoming: StageOut | None
    countdown_to: datetime | None


class ExtensionOut(BaseModel):
    id: int
    stage_code: str
    category_id: int | None
    body_id: int | None
    closes_at: datetime
    reason: str
    decision_ref: str
    created_at: datetime
    revoked_at: datetime | None


class ExtensionIn(BaseModel):
    stage_code: str
    closes_at: str
    reason: str
    decision_ref: str
    category_id: int | None = None
    body_id: int | None = None


class CategoryOut(BaseModel):
    id: int
    code: str
    name: str
    questionnaire_id: int | None
    target_body_ids: list[int]


class CategoryIn(BaseModel):
    code: str
    name: str


class TargetIn(BaseModel):
    body_id: int
    category_id: int


class ComponentM(BaseModel):
    code: str
    name: str
    weight: int


class BandM(BaseModel):
    name: str
    min_score: Decimal


class ShortlistM(BaseModel):
    threshold: Decimal | None = None
    threshold_inclusive: bool = True
    top_n: int | None = None
    combine: Combine = Combine.OR


class AwardM(BaseModel):
    kind: AwardKind
    name: str
    band_name: str = ""
    top_n: int | None = None
    indicator_code: str = ""
    per_category: bool = True


class RulesM(BaseModel):
    components: list[ComponentM]
    bands: list[BandM]
    shortlist: ShortlistM
    non_shortlisted: NonShortlisted = NonShortlisted.SAQ_ONLY
    shortlisted_rank_first: bool = True
    non_submitter: NonSubmitter = NonSubmitter.TIDAK_INFORMATIF
    tie_breaks: list[str] = Field(
        default_factory=list, description="e.g. component:saq, indicator:2, shared"
    )
    awards: list[AwardM] = Field(default_factory=list)


class ProblemOut(BaseModel):
    section: str
    message: str


class ReadinessOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]
    notes: list[ProblemOut]


class QuestionnaireSummary(BaseModel):
    id: int
    name: str
    version: int
    items: int
    category_codes: list[str]
    frozen: bool


def _cycle_out(db: Session, cycle: Cycle) -> CycleOut:
    moment = schedule.current_stage(db, cycle)
    return CycleOut(
        id=cycle.id,
        name=cycle.name,
        year=cycle.year,
        status=cycle.status,
        cloned_from_id=cycle.cloned_from_id,
        opened_at=cycle.opened_at,
        timezone=organisation_of(db, cycle).timezone,
        current_stage=moment.current.code if moment.current else None,
        countdown_to=moment.countdown_to,
    )


def _stage_out(s: CycleStage) -> StageOut:
    return StageOut(
        code=s.code,
        label=stage_label(s.code),
        position=s.position,
        opens_at=s.opens_at,
        closes_at=s.closes_at,
    )


def _plan_out(p: StagePlan | None) -> StageOut | None:
    if p is None:
        return None
    return StageOut(
        code=p.code, label=p.label, position=0, opens_at=p.opens_at, closes_at=p.closes_at
    )


def _ext_out(db: Session, e: StageExtension) -> ExtensionOut:
    stage = db.get(CycleStage, e.stage_id)
    return ExtensionOut(
        id=e.id,
        stage_code=stage.code if stage else "",
        category_id=e.cycle_category_id,
        body_id=e.body_id,
        closes_at=e.closes_at,
        reason=e.reason,
        decision_ref=e.decision_ref,
        created_at=e.created_at,
        revoked_at=e.revoked_at,
    )


def cycle_manager(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Actor:
    """Admit only the cycle's sekretariat, before the request body is even validated."""
    require_manager(actor, get_cycle_for_actor(db, actor, cycle_id))
    return actor


@router.get("", response_model=list[CycleOut])
def list_cycles(
    actor: Actor = Depends(org_actor), db: Session = Depends(get_db, scope="function")
) -> list[CycleOut]:
    return [_cycle_out(db, c) for c in cycles.list_cycles(db, actor)]


@router.post("", response_model=CycleOut, status_code=201)
def create_cycle(
    payload: CycleIn,
    actor: Actor = Depends(role_actor(Role.SEKRETARIAT)),
    db: Session = Depends(get_db, scope="function"),
) -> CycleOut:
    if payload.clone_from_id is not None:
        source = get_cycle_for_staff(db, actor, payload.clone_from_id)
        cycle = cycles.clone_cycle(db, actor, source, name=payload.name, year=payload.year)
    else:
        cycle = cycles.create_cycle(
            db,
            actor,
            name=payload.name,
            year=payload.year,
            fill_from_catalogue=payload.fill_from_catalogue,
        )
    return _cycle_out(db, cycle)


@router.get("/{cycle_id}", response_model=CycleOut)
def get_cycle(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> CycleOut:
    return _cycle_out(db, get_cycle_for_actor(db, actor, cycle_id))


@router.get("/{cycle_id}/readiness", response_model=ReadinessOut)
def get_readiness(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> ReadinessOut:
    r = cycles.readiness(db, get_cycle_for_staff(db, actor, cycle_id))
    return ReadinessOut(
        ok=r.ok,
        problems=[ProblemOut(section=p.section, message=p.message) for p in r.problems],
        notes=[ProblemOut(section=p.section, message=p.message) for p in r.notes],
    )


@router.post("/{cycle_id}/open", response_model=CycleOut)
def open_cycle(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> CycleOut:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return _cycle_out(db, cycles.open_cycle(db, actor, cycle))


@router.get("/{cycle_id}/stages", response_model=list[StageOut])
def get_stages(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[StageOut]:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    return [_stage_out(s) for s in schedule.stages_of(db, cycle)]


@router.put("/{cycle_id}/stages", response_model=list[StageOut])
def put_stages(
    cycle_id: int,
    payload: list[StageIn],
    actor: Actor = Depends(cycle_manager),
    db: Session = Depends(get_db, scope="function"),
) -> list[StageOut]:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    entries = [
        schedule.StageEntry(s.code, True, str(i), s.opens_at, s.closes_at)
        for i, s in enumerate(payload, start=1)
    ]
    return [_stage_out(s) for s in schedule.save_stages(db, actor, cycle, entries)]


@router.get("/{cycle_id}/stages/current", response_model=MomentOut)
def get_current_stage(
    cycle_id: int,
    body_id: int | None = None,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> MomentOut:
    """Where the cycle stands now; with `body_id`, including that body's extensions."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if body_id is not None and not (
        is_staff_of(actor, cycle.organisation_id) or actor.acts_for_body(body_id)
    ):
        raise NotFound("Badan publik tidak ditemukan.")
    if body_id is None and not is_staff_of(actor, cycle.organisation_id):
        body_id = min(actor_target_body_ids(db, actor, cycle))
    m = schedule.current_stage(db, cycle, body_id=body_id)
    return MomentOut(
        current=_plan_out(m.current), upcoming=_plan_out(m.upcoming), countdown_to=m.countdown_to
    )


@router.get("/{cycle_id}/extensions", response_model=list[ExtensionOut])
def get_extensions(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[ExtensionOut]:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return [_ext_out(db, e) for e in schedule.list_extensions(db, cycle)]


@router.post("/{cycle_id}/extensions", response_model=ExtensionOut, status_code=201)
def post_extension(
    cycle_id: int,
    payload: ExtensionIn,
    actor: Actor = Depends(cycle_manager),
    db: Session = Depends(get_db, scope="function"),
) -> ExtensionOut:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    ext = schedule.add_extension(
        db,
        actor,
        cycle,
        stage_code=payload.stage_code,
        closes=payload.closes_at,
        reason=payload.reason,
        decision_ref=payload.decision_ref,
        category_id=payload.category_id,
        body_id=payload.body_id,
    )
    return _ext_out(db, ext)


@router.delete("/{cycle_id}/extensions/{extension_id}", response_model=ExtensionOut)
def delete_extension(
    cycle_id: int,
    extension_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> ExtensionOut:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return _ext_out(db, schedule.revoke_extension(db, actor, cycle, extension_id))


@router.get("/{cycle_id}/categories", response_model=list[CategoryOut])
def get_categories(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[CategoryOut]:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return [
        CategoryOut(
            id=c.id,
            code=c.code,
            name=c.name,
            questionnaire_id=c.questionnaire_id,
            target_body_ids=[b.id for b in categories.list_targets(db, cycle, c)],
        )
        for c in categories.categories_of(db, cycle)
    ]


@router.post("/{cycle_id}/categories", response_model=CategoryOut, status_code=201)
def post_category(
    cycle_id: int,
    payload: CategoryIn,
    actor: Actor = Depends(cycle_manager),
    db: Session = Depends(get_db, scope="function"),
) -> CategoryOut:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    c = categories.add_category(db, actor, cycle, code=payload.code, name=payload.name)
    return CategoryOut(
        id=c.id, code=c.code, name=c.name, questionnaire_id=c.questionnaire_id, target_body_ids=[]
    )


@router.put("/{cycle_id}/targets", status_code=204)
def put_target(
    cycle_id: int,
    payload: TargetIn,
    actor: Actor = Depends(cycle_manager),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Make a body a target in a category, or move it there."""
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    categories.set_target(
        db, actor, cycle, body_id=payload.body_id, category_id=payload.category_id
    )
    return Response(status_code=204)


@router.delete("/{cycle_id}/targets/{body_id}", status_code=204)
def delete_target(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    categories.remove_target(db, actor, cycle, body_id=body_id)
    return Response(status_code=204)


def _rules_out(config: ScoringConfig) -> RulesM:
    return RulesM.model_validate(scoring.config_as_dict(config))


def _rules_in(m: RulesM) -> ScoringConfig:
    return ScoringConfig(
        components=tuple(Component(c.code, c.name, c.weight) for c in m.components),
        bands=tuple(Band(b.name, b.min_score) for b in m.bands),
        shortlist=ShortlistRule(
            threshold=m.shortlist.threshold,
            threshold_inclusive=m.shortlist.threshold_inclusive,
            top_n=m.shortlist.top_n,
            combine=m.shortlist.combine,
        ),
        non_shortlisted=m.non_shortlisted,
        shortlisted_rank_first=m.shortlisted_rank_first,
        non_submitter=m.non_submitter,
        tie_breaks=tuple(TieBreak.parse(t) for t in m.tie_breaks),
        awards=tuple(
            AwardRule(a.kind, a.name, a.band_name, a.top_n, a.indicator_code, a.per_category)
            for a in m.awards
        ),
    )


@router.get("/{cycle_id}/rules", response_model=RulesM)
def get_rules(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> RulesM:
    return _rules_out(scoring.get_scoring_config(db, get_cycle_for_staff(db, actor, cycle_id)))


@router.put("/{cycle_id}/rules", response_model=RulesM)
def put_rules(
    cycle_id: int,
    payload: RulesM,
    actor: Actor = Depends(cycle_manager),
    db: Session = Depends(get_db, scope="function"),
) -> RulesM:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return _rules_out(scoring.save_scoring_config(db, actor, cycle, _rules_in(payload)))


@router.get("/{cycle_id}/questionnaires", response_model=list[QuestionnaireSummary])
def get_questionnaires(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[QuestionnaireSummary]:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    frozen = questionnaires.is_frozen(db, cycle)
    return [
        QuestionnaireSummary(
            id=q.id,
            name=q.name,
            version=q.version,
            items=questionnaires.item_count(db, q),
            category_codes=[c.code for c in questionnaires.categories_served(db, q)],
            frozen=frozen,
        )
        for q in questionnaires.list_questionnaires(db, cycle)
    ]
