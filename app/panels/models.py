"""Presentation (uji publik) panels: settings, rubric, panels (rooms), jurors, slots, scores,
locked results, corrections and visitasi checks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.cycles.models import Hundredths
from app.db import Base, utcnow


class PanelSettings(Base):
    """A cycle's presentation rules: aggregation, visibility, timing and visitasi mode."""

    __tablename__ = "panel_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), unique=True)
    method: Mapped[str] = mapped_column(String(20), default="mean")
    trimmed_min_jurors: Mapped[int] = mapped_column(default=5)
    normalise: Mapped[bool] = mapped_column(default=False)
    normalise_min_bodies: Mapped[int] = mapped_column(default=3)
    disagreement_threshold: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal(20))
    hide_co_scores: Mapped[bool] = mapped_column(default=True)
    bodies_per_session: Mapped[int] = mapped_column(default=4)
    talk_minutes: Mapped[int] = mapped_column(default=10)
    questions_minutes: Mapped[int] = mapped_column(default=15)
    answers_minutes: Mapped[int] = mapped_column(default=10)
    break_minutes: Mapped[int] = mapped_column(default=15)
    pact_text: Mapped[str] = mapped_column(Text, default="")
    visitasi_mode: Mapped[str] = mapped_column(String(10), default="none")  # none|score|gate
    visitasi_checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    visitasi_pass_min: Mapped[int] = mapped_column(default=0)


class RubricCriterion(Base):
    """A weighted criterion of a cycle's presentation rubric with its scale and descriptors."""

    __tablename__ = "rubric_criteria"
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int]
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    descriptors: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    comment_required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class PanelStatus:
    OPEN = "open"
    LOCKED = "locked"


class Panel(Base):
    """A panel of jurors sitting in one room (physical or online) of a cycle's presentations."""

    __tablename__ = "panels"
    __table_args__ = (UniqueConstraint("cycle_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    location: Mapped[str] = mapped_column(String(250), default="")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default=PanelStatus.OPEN)
    locked_at: Mapped[datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_locked(self) -> bool:
        return self.status == PanelStatus.LOCKED


class PanelMember(Base):
    """A juror on a panel; one member is its chair (an assignment, not a role)."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_chair: Mapped[bool] = mapped_column(default=False)
    pact_accepted_at: Mapped[datetime | None]
    conflicts_declared_at: Mapped[datetime | None]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_ready(self) -> bool:
        """Accepted the integrity pact and confirmed the conflict declaration."""
        return self.pact_accepted_at is not None and self.conflicts_declared_at is not None


class PanelSlot(Base):
    """A shortlisted body's turn in a panel's room, with what the live session recorded."""

    __tablename__ = "panel_slots"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    session_no: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting|presenting|done
    attended: Mapped[bool | None]
    leader_present: Mapped[bool | None]
    attendees: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ScoreStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ABSTAINED = "abstained"


class PanelScore(Base):
    """A juror's rating of one body: a draft, then submitted (or an abstention with a reason)."""

    __tablename__ = "panel_scores"
    __table_args__ = (UniqueConstraint("panel_id", "body_id", "juror_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=ScoreStatus.DRAFT)
    ratings: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    abstain_reason: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[Decimal | None] = mapped_column(Numeric(16, 10))
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class PanelResult(Base):
    """A body's aggregated presentation score as locked by the chair (immutable)."""

    __tablename__ = "panel_results"
    __table_args__ = (UniqueConstraint("panel_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(16, 10))
    method_used: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    juror_count: Mapped[int] = mapped_column(default=0)
    abstained_count: Mapped[int] = mapped_column(default=0)
    has_disagreement: Mapped[bool] = mapped_column(default=False)
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreCorrection(Base):
    """A reasoned correction of a locked presentation score (the locked result stays as it was)."""

    __tablename__ = "panel_score_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    panel_result_id: Mapped[int] = mapped_column(ForeignKey("panel_results.id"), index=True)
    old_score: Mapped[Decimal | None] = mapped_column(Numeric(16, 10))
    new_score: Mapped[Decimal] = mapped_column(Numeric(16, 10))
    reason: Mapped[str] = mapped_column(Text)
    decision_ref: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class VisitCheck(Base):
    """A visitasi (site check) of a body: checklist, score and/or pass/fail, as the cycle says."""

    __tablename__ = "visit_checks"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    visited_on: Mapped[datetime | None]
    checked: Mapped[list[str]] = mapped_column(JSON, default=list)
    score: Mapped[Decimal | None] = mapped_column(Hundredths)
    passed: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
