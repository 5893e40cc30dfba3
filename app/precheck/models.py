"""Evidence pre-check: a cycle's settings, what was read from each file and link, and the
suggestions verifiers accept or dismiss."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class PrecheckSetting(Base):
    """How old a cycle's evidence may be (default and per item code), and what counts as blank."""

    __tablename__ = "precheck_settings"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    max_age_years: Mapped[int] = mapped_column(default=1)
    item_max_age: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    min_text_chars: Mapped[int] = mapped_column(default=40)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PrecheckFile(Base):
    """The examination of one evidence file: pages and text facts, or why it could not be read."""

    __tablename__ = "precheck_files"
    __table_args__ = (UniqueConstraint("cycle_id", "evidence_file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    evidence_file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))
    status: Mapped[str] = mapped_column(String(20))  # examined | unexaminable | skipped
    problem: Mapped[str] = mapped_column(String(40), default="")
    pages: Mapped[int] = mapped_column(default=0)
    text_chars: Mapped[int] = mapped_column(default=0)
    latest_year: Mapped[int | None]
    examined_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_unexaminable(self) -> bool:
        return self.status == "unexaminable"


class PrecheckLink(Base):
    """An evidence link's page fingerprint at submit time and at the latest re-check."""

    __tablename__ = "precheck_links"
    __table_args__ = (UniqueConstraint("cycle_id", "body_id", "item_id", "url_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    url: Mapped[str] = mapped_column(String(2000))
    url_hash: Mapped[str] = mapped_column(String(64))
    baseline_sha256: Mapped[str] = mapped_column(String(64), default="")
    baseline_at: Mapped[datetime | None]
    last_sha256: Mapped[str] = mapped_column(String(64), default="")
    last_status: Mapped[str] = mapped_column(String(20), default="")
    last_problem: Mapped[str] = mapped_column(String(40), default="")
    last_checked_at: Mapped[datetime | None]


class Suggestion(Base):
    """A pre-check's hint on one item of a body's SAQ; the verifier accepts or dismisses it."""

    __tablename__ = "precheck_suggestions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "body_id", "item_id", "kind", "subject"),
        Index("ix_precheck_suggestions_cycle_kind", "cycle_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # What it is about: "file:<evidence file id>" or "link:<sha256 of the url>".
    subject: Mapped[str] = mapped_column(String(80))
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    url: Mapped[str] = mapped_column(String(2000), default="")
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
