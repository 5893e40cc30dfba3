"""Certificates (piagam) of a cycle: the commission's layout per award type, its print settings
(place, signatory, logo and signature images), and every certificate issued with its serial.

Images are kept in the database, not in the evidence store: they are re-encoded PNGs of at most
600 px (tens of kB, see `images.prepare_image`), change together with the settings row in one
transaction (a rolled-back edit leaves no orphan blob) and are read on every render. Signed PDF
files, larger and one per certificate, go to the evidence storage backend by content address.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


STATUS_LABELS: dict[str, str] = {
    CertificateStatus.VALID: "Berlaku",
    CertificateStatus.REVOKED: "Dicabut",
    CertificateStatus.SUPERSEDED: "Digantikan",
}


class CertificateTemplateText(Base):
    """A cycle's own words for one award type (absent: the built-in default template)."""

    __tablename__ = "certificate_templates"
    __table_args__ = (UniqueConstraint("cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CertificateSettings(Base):
    """What every certificate of a cycle shares: place, signatory and the uploaded images."""

    __tablename__ = "certificate_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), unique=True)
    place: Mapped[str] = mapped_column(String(100), default="")
    issued_on: Mapped[date | None]
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Certificate(Base):
    """One issued certificate: its public serial, the award it is for and a snapshot of what it
    prints (`data`, never changed). A reissue is a new certificate; the old one points to it
    (`superseded_by_id`) and the new one back (`replaces_id`), so the lineage is kept."""

    __tablename__ = "certificates"
    # At most one valid certificate per award of a body: a backstop for issuing twice at once.
    __table_args__ = (
        Index(
            "uq_certificates_valid_award",
            "cycle_id",
            "body_id",
            "award_key",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    decree_id: Mapped[int] = mapped_column(ForeignKey("result_decrees.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    award_key: Mapped[str] = mapped_column(String(300))  # the award's identity across decrees
    award_title: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    superseded_at: Mapped[datetime | None]
    signed_sha256: Mapped[str | None] = mapped_column(String(64))  # stored signed PDF
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)
