"""Internal monev: a PPID utama body evaluating its own PPID pelaksana units."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class InternalMonev(Base):
    """Links an `internal` organisation to the PPID utama body (in its commission) that runs it."""

    __tablename__ = "internal_monevs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    parent_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), unique=True)
    # The commission of the parent body sees the internal results only when this is set.
    is_shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InternalUnit(Base):
    """A PPID pelaksana unit (a commission-side body) and its mirror body in the internal org."""

    __tablename__ = "internal_units"
    __table_args__ = (UniqueConstraint("internal_monev_id", "unit_body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    internal_monev_id: Mapped[int] = mapped_column(
        ForeignKey("internal_monevs.id", ondelete="CASCADE"), index=True
    )
    unit_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    mirror_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), unique=True)


class LinkedEvidence(Base):
    """A unit's internal evidence file linked (not copied) to an item of the body's own SAQ."""

    __tablename__ = "linked_evidence"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id", "item_id", "evidence_file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    evidence_file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"), index=True)
    source_unit_body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuidanceExample(Base):
    """An example document (a link) the PPID utama publishes to its units for one item."""

    __tablename__ = "guidance_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BimtekSession(Base):
    """A guidance session (bimtek) the PPID utama held for its units."""

    __tablename__ = "bimtek_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BimtekAttendance(Base):
    """Who of which unit attended a bimtek session."""

    __tablename__ = "bimtek_attendance"
    __table_args__ = (UniqueConstraint("session_id", "body_id", "attendee_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("bimtek_sessions.id", ondelete="CASCADE"), index=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))  # the unit's mirror body
    attendee_name: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
