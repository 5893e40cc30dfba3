"""Verification of submitted SAQs: who verifies which body, every verdict given (history),
clarification questions, and appeals (sanggah) with their before/after scores.

The current verdict and verified credit live on `app.submissions.models.Answer` (that is what
the ranking sums); `VerdictRecord` keeps every verdict ever given, with its note, so a verdict
is never overwritten without trace.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"  # nothing decided yet
    IN_PROGRESS = "in_progress"  # at least one verdict given
    SUBMITTED = "submitted"  # verifier finished; waiting for the reviewer
    RETURNED = "returned"  # reviewer sent it back; editable again
    LOCKED = "locked"  # final; verdicts change only through appeals


ASSIGNMENT_LABELS: dict[str, str] = {
    AssignmentStatus.ASSIGNED: "Ditugaskan",
    AssignmentStatus.IN_PROGRESS: "Sedang diverifikasi",
    AssignmentStatus.SUBMITTED: "Menunggu reviu",
    AssignmentStatus.RETURNED: "Dikembalikan reviewer",
    AssignmentStatus.LOCKED: "Selesai (dikunci)",
}


class Assignment(Base):
    """A verifier assigned to verify one body's SAQ in a cycle (one verifier per body)."""

    __tablename__ = "verification_assignments"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(10), default="manual")  # manual | auto
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.ASSIGNED)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    locked_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def is_locked(self) -> bool:
        return self.status in (AssignmentStatus.SUBMITTED, AssignmentStatus.LOCKED)

    @property
    def label(self) -> str:
        return ASSIGNMENT_LABELS.get(self.status, self.status)


class VerdictRecord(Base):
    """One verdict given on one answer (by verification or by an appeal decision)."""

    __tablename__ = "verification_verdicts"
    __table_args__ = (Index("ix_verification_verdicts_answer", "answer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    verified_option: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    credit_before: Mapped[int] = mapped_column(default=0)
    credit_after: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(20), default="verification")  # | appeal
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClarificationStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Clarification(Base):
    """A verifier's question to the body about one item, with a deadline, and its answer.

    New evidence the body adds is a new `EvidenceFile` (the submitted original stays).
    """

    __tablename__ = "verification_clarifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    question: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ClarificationStatus.OPEN)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    closed_at: Mapped[datetime | None]


class AppealStatus(StrEnum):
    FILED = "filed"
    DECIDED = "decided"


class Appeal(Base):
    """A body's appeal (sanggah) on one published item, decided by a different verifier."""

    __tablename__ = "verification_appeals"
    __table_args__ = (UniqueConstraint("answer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    reason: Mapped[str] = mapped_column(Text)
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=AppealStatus.FILED)
    original_verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    verdict_before: Mapped[str] = mapped_column(String(20), default="")
    credit_before: Mapped[int] = mapped_column(default=0)
    decision: Mapped[str] = mapped_column(String(20), default="")
    decision_option: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    credit_after: Mapped[int | None]
    score_before: Mapped[str] = mapped_column(String(40), default="")  # exact SAQ as text
    score_after: Mapped[str] = mapped_column(String(40), default="")
    decided_at: Mapped[datetime | None]
