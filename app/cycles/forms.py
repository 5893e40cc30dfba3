"""Turning the scoring-rules and stage-planner forms into data, and data back into forms."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from app.cycles.rules import (
    AwardKind,
    AwardRule,
    Band,
    Combine,
    Component,
    NonShortlisted,
    NonSubmitter,
    ScoringConfig,
    ShortlistRule,
    TieBreak,
)
from app.cycles.schedule import StageEntry
from app.errors import ValidationFailed

E = TypeVar("E", bound=StrEnum)
COMPONENT_ROWS = 5
BAND_ROWS = 7
TIE_ROWS = 4
AWARD_ROWS = 8


def _dec(text: str, key: str, errors: dict[str, str]) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise InvalidOperation
        return value
    except InvalidOperation:
        errors[key] = "Harus angka dengan paling banyak dua desimal, mis. 60 atau 62,5."
        return None


def _int(text: str, key: str, errors: dict[str, str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        errors[key] = "Harus bilangan bulat."
        return None
    return int(text)


def scoring_from_form(form: Mapping[str, str]) -> ScoringConfig:
    """Read the rules form; unreadable fields become field errors (checked further by rules)."""
    errors: dict[str, str] = {}
    f = {k: str(v) for k, v in form.items()}
    components = []
    for i in range(COMPONENT_ROWS):
        code, name = f.get(f"comp-{i}-code", "").strip(), f.get(f"comp-{i}-name", "").strip()
        weight = _int(f.get(f"comp-{i}-weight", ""), f"comp-{i}-weight", errors)
        if code or name or weight is not None:
            components.append(Component(code, name, weight or 0))
    bands = []
    for i in range(BAND_ROWS):
        name = f.get(f"band-{i}-name", "").strip()
        low = _dec(f.get(f"band-{i}-min", ""), f"band-{i}-min", errors)
        if name or low is not None:
            if low is None and f"band-{i}-min" not in errors:
                errors[f"band-{i}-min"] = "Isi batas bawah."
            bands.append(Band(name, low if low is not None else Decimal(-1)))
    shortlist = ShortlistRule(
        threshold=_dec(f.get("shortlist_threshold", ""), "shortlist_threshold", errors),
        threshold_inclusive=f.get("shortlist_inclusive") == "1",
        top_n=_int(f.get("shortlist_top_n", ""), "shortlist_top_n", errors),
        combine=_choice(Combine, f.get("shortlist_combine", "or"), "shortlist_combine", errors),
    )
    ties = [TieBreak.parse(f.get(f"tie-{i}", "")) for i in range(TIE_ROWS)]
    awards = []
    for i in range(AWARD_ROWS):
        kind, name = f.get(f"award-{i}-kind", "").strip(), f.get(f"award-{i}-name", "").strip()
        if not kind and not name:
            continue
        awards.append(
            AwardRule(
                kind=_choice(AwardKind, kind, f"award-{i}-kind", errors),
                name=name,
                band_name=f.get(f"award-{i}-band", "").strip(),
                top_n=_int(f.get(f"award-{i}-n", ""), f"award-{i}-n", errors),
                indicator_code=f.get(f"award-{i}-indicator", "").strip(),
                per_category=f.get(f"award-{i}-per_category") == "1",
            )
        )
    config = ScoringConfig(
        components=tuple(components),
        bands=tuple(bands),
        shortlist=shortlist,
        non_shortlisted=_choice(
            NonShortlisted, f.get("non_shortlisted", ""), "non_shortlisted", errors
        ),
        shortlisted_rank_first=f.get("rank_first") == "1",
        non_submitter=_choice(NonSubmitter, f.get("non_submitter", ""), "non_submitter", errors),
        tie_breaks=tuple(t for t in ties if t.kind),
        awards=tuple(awards),
    )
    if errors:
        raise ValidationFailed("Beberapa isian aturan tidak terbaca.", field_errors=errors)
    return config


def _choice(enum: type[E], value: str, key: str, errors: dict[str, str]) -> E:
    members = list(enum)
    for m in members:
        if str(m) == value:
            return m
    errors[key] = "Pilih salah satu pilihan."
    return members[0]


def scoring_to_form(config: ScoringConfig) -> dict[str, str]:
    """The current rules as form values (for the first display of the rules page)."""
    f: dict[str, str] = {}
    for i, c in enumerate(config.components):
        f |= {f"comp-{i}-code": c.code, f"comp-{i}-name": c.name, f"comp-{i}-weight": str(c.weight)}
    for i, b in enumerate(config.bands):
        f |= {f"band-{i}-name": b.name, f"band-{i}-min": _plain(b.min_score)}
    s = config.shortlist
    f["shortlist_threshold"] = _plain(s.threshold) if s.threshold is not None else ""
    f["shortlist_inclusive"] = "1" if s.threshold_inclusive else ""
    f["shortlist_top_n"] = str(s.top_n) if s.top_n is not None else ""
    f["shortlist_combine"] = str(s.combine)
    f["non_shortlisted"] = str(config.non_shortlisted)
    f["rank_first"] = "1" if config.shortlisted_rank_first else ""
    f["non_submitter"] = str(config.non_submitter)
    for i, t in enumerate(config.tie_breaks):
        f[f"tie-{i}"] = str(t)
    for i, a in enumerate(config.awards):
        f |= {
            f"award-{i}-kind": str(a.kind),
            f"award-{i}-name": a.name,
            f"award-{i}-band": a.band_name,
            f"award-{i}-n": str(a.top_n) if a.top_n is not None else "",
            f"award-{i}-indicator": a.indicator_code,
            f"award-{i}-per_category": "1" if a.per_category else "",
        }
    return f


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def stages_from_form(form: Mapping[str, str], codes: list[str]) -> list[StageEntry]:
    """The stage planner's rows (`<code>-selected`, `-position`, `-opens`, `-closes`)."""
    return [
        StageEntry(
            code=c,
            selected=form.get(f"{c}-selected") == "1",
            position=str(form.get(f"{c}-position", "")),
            opens=str(form.get(f"{c}-opens", "")),
            closes=str(form.get(f"{c}-closes", "")),
        )
        for c in codes
    ]
