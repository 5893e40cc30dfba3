"""Hand-off tables between the stages and the results.

- `component_scores`: one score per (cycle, body, component) for every component that is not the
  SAQ itself: the presentation (written by the panels domain when a panel is locked), a visitasi,
  a website check or an external index (entered or imported by the sekretariat).
- `shortlist_entries`: the published shortlist of a cycle (who goes on to the presentation).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
