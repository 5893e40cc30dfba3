"""A cycle's SAQ questionnaires: indicators → groups → items, and their frozen versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_FILES = 5


class Questionnaire(Base):
    """A questionnaire of one cycle; each cycle category points at the one it answers."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("cycle_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Indicator(Base):
    """A top-level part of the questionnaire with its weight in percent of the SAQ."""

    __tablename__ = "questionnaire_indicators"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    weight: Mapped[int]
    guidance: Mapped[str] = mapped_column(Text, default="")
    category_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: all
    position: Mapped[int] = mapped_column(default=0)


class ItemGroup(Base):
    """A heading grouping items inside an indicator (or inside another group)."""

    __tablename__ = "questionnaire_groups"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_indicators.id", ondelete="CASCADE"), index=True
    )
    parent_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_groups.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    guidance: Mapped[str] = mapped_column(Text, default="")
    category_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class Item(Base):
    """A question a body answers, with its weight (relative within its indicator).

    After the questionnaire is frozen an item is never deleted (answers point at its id):
    a withdrawn item keeps its row with `removed_at` set.
    """

    __tablename__ = "questionnaire_items"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_indicators.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_groups.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    weight: Mapped[int]
    answer_type: Mapped[str] = mapped_column(String(30), default="yes_no")
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence_kind: Mapped[str] = mapped_column(String(20), default="none")
    file_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_file_bytes: Mapped[int] = mapped_column(default=DEFAULT_MAX_FILE_BYTES)
    max_files: Mapped[int] = mapped_column(default=DEFAULT_MAX_FILES)
    guidance: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    category_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    removed_at: Mapped[datetime | None]
    removal_reason: Mapped[str] = mapped_column(Text, default="")


class QuestionnaireVersion(Base):
    """A recorded state of a frozen questionnaire: the baseline and every later change."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
