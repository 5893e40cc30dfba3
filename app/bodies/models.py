"""Public bodies (badan publik) and their PPID hierarchy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.orgs.models import Organisation


class Body(Base):
    """A badan publik registered with one commission; a unit has a PPID utama as parent."""

    __tablename__ = "bodies"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(250))
    default_category_code: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    website: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    ppid_name: Mapped[str] = mapped_column(String(200), default="")
    ppid_email: Mapped[str] = mapped_column(String(254), default="")
    ppid_phone: Mapped[str] = mapped_column(String(40), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    parent: Mapped[Body | None] = relationship(remote_side="Body.id", lazy="raise")

    @property
    def is_unit(self) -> bool:
        return self.parent_id is not None


class RegistrationStatus:
    PENDING = "pending"
    ACTIVATED = "activated"
    REJECTED = "rejected"


class BodyRegistration(Base):
    """A body's self-registration for a cycle, waiting for the sekretariat to activate it.

    The registering person's account is created only on activation (the password hash waits
    here), so a rejected or spam registration leaves no account behind.
    """

    __tablename__ = "body_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    cycle_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycle_categories.id", ondelete="SET NULL")
    )
    parent_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.PENDING)
    body_name: Mapped[str] = mapped_column(String(250))
    website: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    ppid_name: Mapped[str] = mapped_column(String(200), default="")
    ppid_email: Mapped[str] = mapped_column(String(254), default="")
    ppid_phone: Mapped[str] = mapped_column(String(40), default="")
    respondent_name: Mapped[str] = mapped_column(String(200))
    respondent_position: Mapped[str] = mapped_column(String(200), default="")
    respondent_email: Mapped[str] = mapped_column(String(254), index=True)
    respondent_phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def is_unit(self) -> bool:
        return self.parent_body_id is not None
