"""Evaluating organisations (tenants): a commission now, a PPID utama body later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class OrganisationKind(StrEnum):
    COMMISSION = "commission"
    INTERNAL = "internal"


TIMEZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


class Organisation(Base):
    """A tenant that evaluates public bodies; everything else belongs to exactly one."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.COMMISSION)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    city: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def tz_label(self) -> str:
        return TIMEZONES.get(self.timezone, self.timezone)


@dataclass(frozen=True)
class OrgInfo:
    """A detached snapshot of an organisation for templates (safe after the session closes)."""

    id: int
    slug: str
    name: str
    short_name: str
    kind: str
    timezone: str
    city: str

    @property
    def tz_label(self) -> str:
        return TIMEZONES.get(self.timezone, self.timezone)

    @classmethod
    def of(cls, org: Organisation) -> OrgInfo:
        return cls(org.id, org.slug, org.name, org.short_name, org.kind, org.timezone, org.city)


class Category(Base):
    """A commission's catalogue entry for a kind of public body (e.g. `pemkab_pemkot`)."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
