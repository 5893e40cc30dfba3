"""A body's SAQ in a cycle: the submission and one answer per questionnaire item.

The answer carries both the self-declared credit and the verified credit as scaled integers
(`app.verification.rules.item_credit_scaled`, fraction × 10 000), so the database can sum
`item weight × credit` per (body, indicator) exactly — on SQLite too — in one grouped query
(`app.verification.rules.combine_grouped_sums` turns those sums into the SAQ score).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SubmissionStatus(StrEnum):
    DRAFT = "draft"  # being filled
    AWAITING_APPROVAL = "awaiting_approval"  # atasan PPID must approve before submit
    SUBMITTED = "submitted"  # locked; receipt issued


class Verdict(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ADJUSTED = "adjusted"


class Submission(Base):
    """One body's SAQ for one cycle."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), default=SubmissionStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    receipt_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The approval step (cycles.requires_atasan_approval) and hand-backs to the team.
    requested_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_note: Mapped[str] = mapped_column(Text, default="")


class Answer(Base):
    """A body's answer to one item, with its verification verdict.

    `version` is an optimistic lock: two people saving the same item get a conflict, not a
    lost update. `declared_credit_scaled` follows the body's answer; `credit_scaled` is the
    verified credit (0 until a verifier accepts or adjusts).
    """

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("submission_id", "item_id"),
        Index("ix_answers_cycle_body_indicator", "cycle_id", "body_id", "indicator_id"),
        # A submission's answers, by verdict: "is this SAQ fully verified?" (the dashboard's
        # funnel, per target) finds a pending answer without reading every answer. (A partial
        # index on pending answers alone was tried: with statistics taken when few answers
        # were pending, PostgreSQL scanned all of it for every submission: 0.5 s a dashboard.)
        Index("ix_answers_submission_verdict", "submission_id", "verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(  # indexed by ix_answers_submission_verdict
        ForeignKey("submissions.id", ondelete="CASCADE")
    )
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_indicators.id"))
    # "Ya" / "Tidak" (app.verification.rules.YES/NO), the option label, or for a
    # text_and_evidence item the first 200 characters of `text_value`; None = not answered.
    declared: Mapped[str | None] = mapped_column(String(200))
    text_value: Mapped[str] = mapped_column(Text, default="")
    declared_credit_scaled: Mapped[int] = mapped_column(default=0)
    verdict: Mapped[str] = mapped_column(String(20), default=Verdict.PENDING)
    verified_option: Mapped[str | None] = mapped_column(String(200))
    credit_scaled: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Assignment(Base):
    """An indicator of a body's SAQ given to one PPID pelaksana unit or one named operator."""

    __tablename__ = "saq_assignments"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_indicators.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerLink(Base):
    """A link a body gives as evidence for one item (checked by the link checker)."""

    __tablename__ = "answer_links"
    __table_args__ = (Index("ix_answer_links_cycle_body_item", "cycle_id", "body_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    url: Mapped[str] = mapped_column(String(2000))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
