"""A commission's yearly monev cycle: stages, extensions, categories, targets, scoring rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.bodies.models import Body
from app.db import Base, utcnow
from app.orgs.models import Organisation

HUNDREDTHS = Decimal("0.01")


class Hundredths(TypeDecorator[Decimal]):
    """A score or threshold with two decimals, stored as an integer of hundredths.

    SQLite has no exact decimal type; integers keep sums and comparisons exact on both databases.
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * 100
        if scaled != scaled.to_integral_value():
            raise ValueError("a value with more than two decimals given to a Hundredths column")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(HUNDREDTHS)


class CycleStatus:
    DRAFT = "draft"
    OPEN = "open"


class Cycle(Base):
    """One commission's monev of one year (e.g. "Monev KIP 2025"), with its scoring policy."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=CycleStatus.DRAFT)
    cloned_from_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Scoring policy (components, bands and awards are rows of their own tables).
    shortlist_threshold: Mapped[Decimal | None] = mapped_column(Hundredths)
    shortlist_threshold_inclusive: Mapped[bool] = mapped_column(default=True)
    shortlist_top_n: Mapped[int | None]
    shortlist_combine: Mapped[str] = mapped_column(String(3), default="or")
    non_shortlisted_policy: Mapped[str] = mapped_column(String(30), default="saq_only")
    shortlisted_rank_first: Mapped[bool] = mapped_column(default=True)
    non_submitter_policy: Mapped[str] = mapped_column(String(30), default="tidak_informatif")
    tie_breaks: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Reminders: bodies that have not submitted hear from us this many days before a deadline.
    reminder_days_before: Mapped[int] = mapped_column(default=7, server_default="7")
    # A reviewer confirms each body's verification before it is locked (issue 6).
    requires_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    # SAQ workspace: the atasan PPID approves before the submission is final.
    requires_atasan_approval: Mapped[bool] = mapped_column(default=False)

    # Loaded once per cycle object (a request asks for the commission's time zone many times).
    organisation: Mapped[Organisation | None] = relationship(lazy="select", viewonly=True)

    @property
    def is_open(self) -> bool:
        return self.status == CycleStatus.OPEN


class CycleStage(Base):
    """A stage chosen for a cycle, at its position, with its UTC window once scheduled."""

    __tablename__ = "cycle_stages"
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(default=0)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]


class CycleCategory(Base):
    """A category of bodies in one cycle (copied from the commission's catalogue or added)."""

    __tablename__ = "cycle_categories"
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)
    questionnaire_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="SET NULL"), index=True
    )


class CycleTarget(Base):
    """A body evaluated in a cycle, in exactly one of the cycle's categories."""

    __tablename__ = "cycle_targets"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    cycle_category_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_categories.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    body: Mapped[Body] = relationship(lazy="raise")
    category: Mapped[CycleCategory] = relationship(lazy="raise")


class StageExtension(Base):
    """A later close of one stage for one category or one named body, decided in plenary."""

    __tablename__ = "stage_extensions"
    __table_args__ = (
        CheckConstraint(
            "(cycle_category_id IS NULL) <> (body_id IS NULL)", name="category_or_body"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_stages.id", ondelete="CASCADE"), index=True
    )
    cycle_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycle_categories.id", ondelete="CASCADE"), index=True
    )
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    closes_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    decision_ref: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stage: Mapped[CycleStage] = relationship(lazy="raise")


class ScoreComponent(Base):
    """A named part of the final score (code `saq` is the SAQ) with its weight in percent."""

    __tablename__ = "score_components"
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)


class QualificationBand(Base):
    """A qualification for published scores at or above `min_score`."""

    __tablename__ = "qualification_bands"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    min_score: Mapped[Decimal] = mapped_column(Hundredths)
    position: Mapped[int] = mapped_column(default=0)


class AwardRuleRow(Base):
    """An award the cycle gives: all of a band, top N, best per indicator, or a special prize."""

    __tablename__ = "award_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    band_name: Mapped[str] = mapped_column(String(60), default="")
    top_n: Mapped[int | None]
    indicator_code: Mapped[str] = mapped_column(String(40), default="")
    per_category: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
