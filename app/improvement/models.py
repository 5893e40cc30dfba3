"""The improvement loop: recommendations per body, carried-forward evidence, carry settings per
item, and blind double verification (calibration) samples."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class RecommendationStatus(StrEnum):
    DRAFT = "draft"  # generated, the sekretariat edits it
    APPROVED = "approved"  # the body sees it and downloads the PDF


class Recommendation(Base):
    """A body's rekomendasi perbaikan for one (published) cycle."""

    __tablename__ = "improvement_recommendations"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RecommendationStatus.DRAFT)
    summary: Mapped[str] = mapped_column(Text, default="")
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RecommendationItem(Base):
    """One item that lost points, why, what was at stake, and the advice the body gets."""

    __tablename__ = "improvement_recommendation_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("improvement_recommendations.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    item_code: Mapped[str] = mapped_column(String(40))
    item_text: Mapped[str] = mapped_column(Text, default="")
    indicator_code: Mapped[str] = mapped_column(String(40))
    indicator_name: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(String(20))
    points_at_stake: Mapped[str] = mapped_column(String(40))  # exact Decimal as text
    verifier_note: Mapped[str] = mapped_column(Text, default="")
    guidance: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")  # editable by the sekretariat
    position: Mapped[int] = mapped_column(default=0)

    @property
    def points_at_stake_value(self) -> Decimal:
        return Decimal(self.points_at_stake)


class CarrySetting(Base):
    """Whether a cycle lets bodies carry last year's evidence into an item (allow | renew)."""

    __tablename__ = "improvement_carry_settings"
    __table_args__ = (UniqueConstraint("cycle_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id", ondelete="CASCADE"))
    policy: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CarriedEvidence(Base):
    """A file or link of last year's accepted answer reused on this year's item.

    The copy is a new `EvidenceFile` (same bytes) or `AnswerLink` of the new cycle, verified
    again like new evidence; this row keeps where it came from and its original date.
    """

    __tablename__ = "improvement_carried_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    source_cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    source_item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    answer_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer_links.id", ondelete="SET NULL")
    )
    url: Mapped[str] = mapped_column(String(2000), default="")
    original_at: Mapped[datetime]
    carried_at: Mapped[datetime] = mapped_column(default=utcnow)
    carried_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CalibrationStatus(StrEnum):
    PENDING = "pending"  # waiting for the second verifier
    AGREED = "agreed"  # both verdicts the same
    DISPUTED = "disputed"  # verdicts differ: a senior decides
    DECIDED = "decided"  # the senior decided; that verdict is final


class CalibrationSample(Base):
    """One verified item sent blind to a second verifier (who does not see the first verdict)."""

    __tablename__ = "improvement_calibration_samples"
    __table_args__ = (UniqueConstraint("answer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    indicator_code: Mapped[str] = mapped_column(String(40))
    first_verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    first_verdict: Mapped[str] = mapped_column(String(20))
    second_verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    second_verdict: Mapped[str | None] = mapped_column(String(20))
    second_option: Mapped[str | None] = mapped_column(String(200))
    second_note: Mapped[str] = mapped_column(Text, default="")
    second_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=CalibrationStatus.PENDING)
    final_verdict: Mapped[str | None] = mapped_column(String(20))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
