"""Recognitions earned from a body's history of results.

- "Informatif N tahun berturut-turut" (a hattrick at 3), counted over the commission's consecutive
  cycles: a year in which the commission held no cycle does not break a streak; a cycle in which
  the body was not Informatif or did not take part does.
- "Informatif untuk kedua kalinya" (Kota Kupang, KI NTT 2024).
- The first Informatif after years of Tidak Informatif (Kota Pasuruan, KI Jatim 2024).
- The most improved published score of a category since the commission's previous cycle.
Imported history is often partial; a year in which any result exists counts as a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.cycles.rules import publish_round


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """A body's published result of one cycle (score and category may be unknown in imports)."""

    body_id: int
    year: int
    qualification: str | None
    score: Decimal | None = None
    category: str | None = None


class RecognitionKind(StrEnum):
    STREAK = "streak"
    SECOND_TIME = "second_time"
    FIRST_AFTER_TIDAK_INFORMATIF = "first_after_tidak_informatif"
    MOST_IMPROVED = "most_improved"


@dataclass(frozen=True, slots=True)
class RecognitionRules:
    """Band names and thresholds of the recognitions (per commission)."""

    informatif: str = "Informatif"
    tidak_informatif: str = "Tidak Informatif"
    min_streak: int = 2
    hattrick: int = 3
    min_tidak_informatif_years: int = 2


@dataclass(frozen=True, slots=True)
class Recognition:
    """A recognition of a body in a cycle year; `count` is the years behind it (streak etc.)."""

    kind: RecognitionKind
    body_id: int
    year: int
    label: str
    count: int = 0
    category: str | None = None
    gain: Decimal | None = None


def _by_year(records: Iterable[HistoryRecord]) -> dict[int, HistoryRecord]:
    by_year: dict[int, HistoryRecord] = {}
    for record in records:
        if by_year and record.body_id != next(iter(by_year.values())).body_id:
            raise ValueError("history of one body at a time")
        if record.year in by_year:
            raise ValueError(f"body {record.body_id} has two results in {record.year}")
        by_year[record.year] = record
    return by_year


def _cycles_up_to(
    cycle_years: Iterable[int], by_year: dict[int, HistoryRecord], year: int
) -> list[int]:
    """The commission's cycle years up to `year`, newest first."""
    return sorted({y for y in (*cycle_years, *by_year) if y <= year}, reverse=True)


def _run(cycles: Sequence[int], by_year: dict[int, HistoryRecord], qualification: str) -> int:
    count = 0
    for y in cycles:
        record = by_year.get(y)
        if record is None or record.qualification != qualification:
            break
        count += 1
    return count


def informatif_streak(
    cycle_years: Iterable[int],
    records: Iterable[HistoryRecord],
    year: int,
    informatif: str = "Informatif",
) -> int:
    """How many consecutive cycles up to `year` the body was Informatif (0 when not in `year`)."""
    by_year = _by_year(records)
    return _run(_cycles_up_to(cycle_years, by_year, year), by_year, informatif)


def body_recognitions(
    cycle_years: Iterable[int],
    records: Iterable[HistoryRecord],
    year: int,
    rules: RecognitionRules = RecognitionRules(),
) -> tuple[Recognition, ...]:
    """The history recognitions one body earns in `year` (streak, second time, first after)."""
    by_year = _by_year(records)
    current = by_year.get(year)
    if current is None or current.qualification != rules.informatif:
        return ()
    body_id, category = current.body_id, current.category
    cycles = _cycles_up_to(cycle_years, by_year, year)
    found: list[Recognition] = []
    streak = _run(cycles, by_year, rules.informatif)
    if streak >= rules.min_streak:
        label = f"Informatif {streak} tahun berturut-turut"
        if streak == rules.hattrick:
            label += " (hattrick)"
        found.append(Recognition(RecognitionKind.STREAK, body_id, year, label, streak, category))
    times = sum(1 for y, r in by_year.items() if y <= year and r.qualification == rules.informatif)
    if times == 2:
        label, kind = "Informatif untuk kedua kalinya", RecognitionKind.SECOND_TIME
        found.append(Recognition(kind, body_id, year, label, 2, category))
    if times == 1:
        tidak = _run(cycles[1:], by_year, rules.tidak_informatif)
        if tidak >= rules.min_tidak_informatif_years:
            label = f"Informatif pertama kali setelah {tidak} tahun Tidak Informatif"
            kind = RecognitionKind.FIRST_AFTER_TIDAK_INFORMATIF
            found.append(Recognition(kind, body_id, year, label, tidak, category))
    return tuple(found)


def most_improved(
    current: Iterable[HistoryRecord], previous: Iterable[HistoryRecord]
) -> tuple[Recognition, ...]:
    """Per category of `current`, the body whose published score rose most since `previous`.

    Only bodies with a score in both cycles count; only a rise counts; ties share.
    """
    before = {r.body_id: r for r in previous if r.score is not None}
    gains: dict[str, list[tuple[Decimal, HistoryRecord]]] = {}
    for record in current:
        old = before.get(record.body_id)
        if record.score is None or old is None or old.score is None or record.category is None:
            continue
        gain = publish_round(record.score) - publish_round(old.score)
        if gain > 0:
            gains.setdefault(record.category, []).append((gain, record))
    found: list[Recognition] = []
    for category in sorted(gains):
        best = max(g for g, _ in gains[category])
        for gain, record in sorted(gains[category], key=lambda g: g[1].body_id):
            if gain == best:
                found.append(
                    Recognition(
                        RecognitionKind.MOST_IMPROVED,
                        record.body_id,
                        record.year,
                        "Peningkatan nilai terbesar di kategorinya",
                        category=category,
                        gain=gain,
                    )
                )
    return tuple(found)


def cycle_recognitions(
    cycle_years: Iterable[int],
    records: Iterable[HistoryRecord],
    year: int,
    rules: RecognitionRules = RecognitionRules(),
) -> tuple[Recognition, ...]:
    """Every recognition earned in `year` by the bodies of a commission, from all its history."""
    records = list(records)
    years = sorted({*cycle_years, *(r.year for r in records)})
    by_body: dict[int, list[HistoryRecord]] = {}
    for record in records:
        by_body.setdefault(record.body_id, []).append(record)
    found: list[Recognition] = []
    for body_id in sorted(by_body):
        found += body_recognitions(years, by_body[body_id], year, rules)
    earlier = [y for y in years if y < year]
    if earlier:
        current = [r for r in records if r.year == year]
        previous = [r for r in records if r.year == earlier[-1]]
        found += most_improved(current, previous)
    return tuple(found)
