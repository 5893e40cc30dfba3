"""Hand-off tables between the stages and the results.

- `component_scores`: one score per (cycle, body, component) for every component that is not the
  SAQ itself: the presentation (written by the panels domain when a panel is locked), a visitasi,
  a website check or an external index (entered or imported by the sekretariat).
- `shortlist_entries`: the published shortlist of a cycle (who goes on to the presentation).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.cycles.models import Hundredths
from app.db import Base, utcnow


class ComponentScore(Base):
    """A body's score (0–100) for one named score component of a cycle, and where it came from."""

    __tablename__ = "component_scores"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id", "component_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    component_code: Mapped[str] = mapped_column(String(40))
    score: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    source: Mapped[str] = mapped_column(String(20))  # panel | entered | imported
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ShortlistEntry(Base):
    """A body on the published shortlist of a cycle (approved by a komisioner)."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    published_saq: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    reason: Mapped[str] = mapped_column(String(200), default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResultSet(Base):
    """One computation of a cycle's results: the formula version, rules and inputs it used.

    Never changed once written; a recompute writes a new set (`number` counts per cycle).
    """

    __tablename__ = "result_sets"
    __table_args__ = (UniqueConstraint("cycle_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    number: Mapped[int]
    formula_version: Mapped[str] = mapped_column(String(20))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ResultRow(Base):
    """A body's computed result in one set: score, published score, qualification, rank, inputs.

    `score` is the exact (10-decimal) final score as text; `published` the rounded one.
    `inputs` keeps component and indicator scores and the contributions ("how it was computed").
    """

    __tablename__ = "result_rows"
    __table_args__ = (UniqueConstraint("result_set_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_set_id: Mapped[int] = mapped_column(
        ForeignKey("result_sets.id", ondelete="CASCADE"), index=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(String(30))
    submitted: Mapped[bool] = mapped_column(default=True)
    shortlisted: Mapped[bool] = mapped_column(default=False)
    score: Mapped[str | None] = mapped_column(String(40))
    published: Mapped[Decimal | None] = mapped_column(Hundredths)
    qualification: Mapped[str | None] = mapped_column(String(60))
    rank: Mapped[int | None]
    shares_rank: Mapped[bool] = mapped_column(default=False)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DecreeStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Decree(Base):
    """The SK fixing a cycle's results: draft → approved in plenary → published (maybe embargoed).

    An amendment is a new version (`amends_id`, a reason); once it is published the version it
    amends becomes superseded and stays visible with a correction notice.
    """

    __tablename__ = "result_decrees"
    __table_args__ = (UniqueConstraint("cycle_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    result_set_id: Mapped[int] = mapped_column(ForeignKey("result_sets.id"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=DecreeStatus.DRAFT)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("result_decrees.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    sk_number: Mapped[str] = mapped_column(String(200), default="")
    sk_date: Mapped[date | None]
    embargo_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None]
    awards_reviewed_at: Mapped[datetime | None]
    awards_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # What the public may see: a published (current) decree past any embargo. One rule, in
    # Python for a loaded decree and in SQL for the portal's queries.
    def is_public_at(self, now: datetime) -> bool:
        return self.status == DecreeStatus.PUBLISHED and (
            self.embargo_until is None or self.embargo_until <= now
        )

    @classmethod
    def public_at(cls, now: datetime) -> ColumnElement[bool]:
        return (cls.status == DecreeStatus.PUBLISHED) & (
            cls.embargo_until.is_(None) | (cls.embargo_until <= now)
        )


class HistoryResult(Base):
    """A past published result imported from outside the system (never ranked by us)."""

    __tablename__ = "result_history"
    __table_args__ = (UniqueConstraint("organisation_id", "body_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    year: Mapped[int]
    category_code: Mapped[str] = mapped_column(String(40), default="")
    score: Mapped[Decimal | None] = mapped_column(Hundredths)
    qualification: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SpecialAwardGrant(Base):
    """A named prize given by hand to a body (e.g. "Pimpinan Terbaik"), one of the cycle's rules."""

    __tablename__ = "result_special_awards"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
