"""Evidence (data dukung): stored blobs, files owned by a body, and link checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class EvidenceBlob(Base):
    """Bytes stored once per installation, addressed by their sha256.

    Never reachable by hash alone: every download goes through an `EvidenceFile` of a body.
    """

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the retention purge removed the bytes; an upload of the same bytes restores them.
    purged_at: Mapped[datetime | None]


class EvidenceFile(Base):
    """A file a body uploaded; the name is the uploader's, kept for display only."""

    __tablename__ = "evidence_files"
    __table_args__ = (Index("ix_evidence_files_cycle_item", "cycle_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The SAQ workspace attaches files to items; no foreign keys until those tables exist.
    cycle_id: Mapped[int | None]
    item_id: Mapped[int | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    # Set when the retention purge removed this file's bytes (the record and its audit stay).
    purged_at: Mapped[datetime | None]

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None


class LinkCheck(Base):
    """One check of one evidence link: what the checker saw and what stops a verifier."""

    __tablename__ = "link_checks"
    __table_args__ = (Index("ix_link_checks_body_url", "body_id", "url_hash", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    cycle_id: Mapped[int | None]
    item_id: Mapped[int | None]
    url: Mapped[str] = mapped_column(String(2000))
    url_hash: Mapped[str] = mapped_column(String(64))  # sha256 of url, for grouping/indexing
    status: Mapped[str] = mapped_column(String(20))  # ok | broken | refused
    problem: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(String(500), default="")
    http_status: Mapped[int | None]
    content_type: Mapped[str] = mapped_column(String(200), default="")
    final_url: Mapped[str] = mapped_column(String(2000), default="")
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_ok(self) -> bool:
        return self.status == "ok"
