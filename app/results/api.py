"""JSON API of the results: a cycle's computed result sets with per-body rows and publication
status, computing a new set and drafting its decree (sekretariat), and the public read of
published results per category (no login).

Scores are strings with a decimal dot: `final_score` is the published score (half-up, 2
decimals) that decides qualification and rank; `score` and component scores are exact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.access import get_cycle_for_actor
from app.cycles.categories import categories_of
from app.cycles.models import Cycle
from app.errors import NotFound
from app.portal.views import _public, public_rows
from app.results import service
from app.results.models import Decree, ResultRow, ResultSet
from app.results.views import _staff_cycle
from app.web.deps import get_db, org_actor

router = APIRouter(prefix="/api/v1", tags=["results"])


def two_places(value: Decimal | None) -> str | None:
    """A published score as text with 2 decimals and a decimal dot (`94.74`)."""
    return None if value is None else f"{value:.2f}"


class DecreeOut(BaseModel):
    id: int
    version: int
    status: str = Field(description="draft, approved, published or superseded")
    result_set_id: int
    amends_id: int | None
    reason: str
    sk_number: str
    sk_date: date | None
    approved_at: datetime | None
    published_at: datetime | None
    embargo_until: datetime | None
    superseded_at: datetime | None


class ResultSetOut(BaseModel):
    id: int
    number: int
    formula_version: str
    created_at: datetime
    decrees: list[DecreeOut] = Field(description="Decrees made from this set, newest first")


class ComponentOut(BaseModel):
    code: str
    weight: str = Field(description="Weight of 100 used for this body")
    score: str | None = Field(description="Exact component score (0–100)")
    points: str = Field(description="weight × score ÷ 100")


class ResultRowOut(BaseModel):
    body_id: int
    body_name: str
    category_code: str
    basis: str = Field(description="weighted, saq_only, weighted_missing_zero, …")
    submitted: bool
    shortlisted: bool
    final_score: str | None = Field(description="Published score, 2 decimals: 94.74")
    score: str | None = Field(description="Exact final score before publication rounding")
    qualification: str | None
    rank: int | None
    shares_rank: bool
    components: list[ComponentOut]
    indicators: dict[str, str] = Field(description="Indicator code → exact indicator score")


class PublicationOut(BaseModel):
    published: bool = Field(description="The cycle has a published decree")
    public: bool = Field(description="Published and past any embargo")
    current_decree: DecreeOut | None
    this_set_published: bool = Field(description="The current decree was made from this set")


class ResultSetDetailOut(ResultSetOut):
    cycle_id: int
    rules: dict[str, Any]
    publication: PublicationOut
    rows: list[ResultRowOut]


class DraftDecreeIn(BaseModel):
    reason: str = Field(
        default="", max_length=4000, description="Required when amending a published decree"
    )


class PublicRowOut(BaseModel):
    rank: int | None
    shares_rank: bool
    body_id: int
    body_name: str
    final_score: str | None
    qualification: str


class PublicCategoryOut(BaseModel):
    code: str
    name: str
    rows: list[PublicRowOut]


class PublicResultsOut(BaseModel):
    cycle_id: int
    cycle_name: str
    year: int
    decree_version: int
    sk_number: str
    sk_date: date | None
    published_at: datetime | None
    corrects_version: int | None = Field(description="Version this decree amends, if any")
    correction_reason: str
    categories: list[PublicCategoryOut]


def _decree_out(d: Decree) -> DecreeOut:
    return DecreeOut(
        id=d.id,
        version=d.version,
        status=d.status,
        result_set_id=d.result_set_id,
        amends_id=d.amends_id,
        reason=d.reason,
        sk_number=d.sk_number,
        sk_date=d.sk_date,
        approved_at=d.approved_at,
        published_at=d.published_at,
        embargo_until=d.embargo_until,
        superseded_at=d.superseded_at,
    )


def _set_out(rs: ResultSet, decrees: list[Decree]) -> ResultSetOut:
    return ResultSetOut(
        id=rs.id,
        number=rs.number,
        formula_version=rs.formula_version,
        created_at=rs.created_at,
        decrees=[_decree_out(d) for d in decrees if d.result_set_id == rs.id],
    )


def _row_out(r: ResultRow, name: str) -> ResultRowOut:
    return ResultRowOut(
        body_id=r.body_id,
        body_name=name,
        category_code=r.category_code,
        basis=r.basis,
        submitted=r.submitted,
        shortlisted=r.shortlisted,
        final_score=two_places(r.published),
        score=r.score,
        qualification=r.qualification,
        rank=r.rank,
        shares_rank=r.shares_rank,
        components=[
            ComponentOut(code=code, weight=weight, score=score, points=points)
            for code, weight, score, points in r.inputs.get("contributions", [])
        ],
        indicators=dict(r.inputs.get("indicators", {})),
    )


def _detail(db: Session, cycle: Cycle, rs: ResultSet) -> ResultSetDetailOut:
    rows = service.stored_rows(db, rs)
    names = service._body_names(db, [r.body_id for r in rows])
    decrees = service.list_decrees(db, cycle)
    current = service.current_decree(db, cycle)
    return ResultSetDetailOut(
        **_set_out(rs, decrees).model_dump(),
        cycle_id=cycle.id,
        rules=rs.rules,
        publication=PublicationOut(
            published=current is not None,
            public=service.public_decree(db, cycle) is not None,
            current_decree=_decree_out(current) if current else None,
            this_set_published=current is not None and current.result_set_id == rs.id,
        ),
        rows=[_row_out(r, names.get(r.body_id, "")) for r in rows],
    )


def results_manager(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Actor:
    """Admit only the cycle's sekretariat, before the request body is even validated."""
    service.require_sekretariat_of(actor, _staff_cycle(db, actor, cycle_id))
    return actor


@router.get("/cycles/{cycle_id}/result-sets", response_model=list[ResultSetOut])
def list_result_sets(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[ResultSetOut]:
    """Every computation of the cycle (newest first) with the decrees made from it."""
    cycle = _staff_cycle(db, actor, cycle_id)
    decrees = service.list_decrees(db, cycle)
    return [_set_out(rs, decrees) for rs in service.list_result_sets(db, cycle)]


@router.post("/cycles/{cycle_id}/result-sets", response_model=ResultSetDetailOut, status_code=201)
def compute_result_set(
    cycle_id: int,
    actor: Actor = Depends(results_manager),
    db: Session = Depends(get_db, scope="function"),
) -> ResultSetDetailOut:
    """Recompute every body's final score, qualification and rank as a new version."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    return _detail(db, cycle, service.compute_and_store(db, actor, cycle))


@router.get("/cycles/{cycle_id}/result-sets/{set_id}", response_model=ResultSetDetailOut)
def get_result_set(
    cycle_id: int,
    set_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> ResultSetDetailOut:
    """One computation: its rules, per-body rows (scores, components, rank) and publication."""
    cycle = _staff_cycle(db, actor, cycle_id)
    return _detail(db, cycle, service.get_result_set(db, cycle, set_id))


@router.post(
    "/cycles/{cycle_id}/result-sets/{set_id}/decrees", response_model=DecreeOut, status_code=201
)
def draft_decree(
    cycle_id: int,
    set_id: int,
    payload: DraftDecreeIn,
    actor: Actor = Depends(results_manager),
    db: Session = Depends(get_db, scope="function"),
) -> DecreeOut:
    """Draft the decree of a result set (an amendment of a published one needs a reason)."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    rs = service.get_result_set(db, cycle, set_id)
    return _decree_out(service.draft_decree(db, actor, cycle, rs, reason=payload.reason))


@router.get("/cycles/{cycle_id}/decrees", response_model=list[DecreeOut])
def list_decrees(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[DecreeOut]:
    """Every decree version of the cycle, newest first."""
    return [_decree_out(d) for d in service.list_decrees(db, _staff_cycle(db, actor, cycle_id))]


@router.get("/public/cycles/{cycle_id}/results", response_model=PublicResultsOut)
def public_results(
    cycle_id: int,
    category: str = "",
    db: Session = Depends(get_db, scope="function"),
) -> PublicResultsOut:
    """Published results (no login): per category the ranking table of the current decree."""
    cycle, decree, _ = _public(db, cycle_id, None)
    cats = categories_of(db, cycle)
    names = {c.code: c.name for c in cats}
    if category and category not in names:
        raise NotFound(f"Kategori {category!r} tidak ada dalam siklus ini.")
    grouped: dict[str, list[PublicRowOut]] = {}
    for r in public_rows(db, decree):
        if category and r["category_code"] != category:
            continue
        grouped.setdefault(r["category_code"], []).append(
            PublicRowOut(
                rank=r["rank"],
                shares_rank=r["shares_rank"],
                body_id=r["body_id"],
                body_name=r["body"],
                final_score=two_places(r["score"]),
                qualification=r["qualification"],
            )
        )
    amended = db.get(Decree, decree.amends_id) if decree.amends_id else None
    order = {c.code: i for i, c in enumerate(cats)}
    return PublicResultsOut(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        year=cycle.year,
        decree_version=decree.version,
        sk_number=decree.sk_number,
        sk_date=decree.sk_date,
        published_at=decree.published_at,
        corrects_version=amended.version if amended else None,
        correction_reason=decree.reason if amended else "",
        categories=[
            PublicCategoryOut(code=code, name=names.get(code, code), rows=rows)
            for code, rows in sorted(grouped.items(), key=lambda kv: order.get(kv[0], 0))
        ],
    )
