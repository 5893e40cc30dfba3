"""Recompute diff: which bodies change published score, qualification or rank, and by how much.

Shown before publishing and before any amendment (2024: one province 92,31 → 98,31, rank 2).
Everything is compared on what people read: published scores, qualifications and ranks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.results.rules.final import FinalScore
from app.results.rules.ranking import RankedBody


@dataclass(frozen=True, slots=True)
class PublishedRow:
    """A body's line in a published result table (None = not assessed / not ranked)."""

    body_id: int
    category: str
    published: Decimal | None
    qualification: str | None
    rank: int | None


def published_rows(
    results: Iterable[FinalScore], ranking: Mapping[int, RankedBody]
) -> tuple[PublishedRow, ...]:
    """The published table of a result set: score, qualification and rank per body."""
    return tuple(
        PublishedRow(
            r.body_id,
            r.category,
            r.published,
            r.qualification,
            ranking[r.body_id].rank if r.body_id in ranking else None,
        )
        for r in sorted(results, key=lambda r: (r.category, r.body_id))
    )


@dataclass(frozen=True, slots=True)
class RowChange:
    """A body whose published line differs between two result sets (None = absent there)."""

    body_id: int
    before: PublishedRow | None
    after: PublishedRow | None

    @property
    def category(self) -> str:
        """The body's category in the newer set (or the older one when it left)."""
        row = self.after or self.before
        if row is None:
            raise ValueError("a change needs a row on at least one side")
        return row.category

    @property
    def score_changed(self) -> bool:
        """True when the published score differs."""
        return _get(self.before, "published") != _get(self.after, "published")

    @property
    def qualification_changed(self) -> bool:
        """True when the qualification differs."""
        return _get(self.before, "qualification") != _get(self.after, "qualification")

    @property
    def rank_changed(self) -> bool:
        """True when the rank differs."""
        return _get(self.before, "rank") != _get(self.after, "rank")

    @property
    def category_changed(self) -> bool:
        """True when the body moved to another category."""
        return _get(self.before, "category") != _get(self.after, "category")

    @property
    def score_delta(self) -> Decimal | None:
        """after − before of the published score (None when either side has none)."""
        if self.before is None or self.after is None:
            return None
        if self.before.published is None or self.after.published is None:
            return None
        return self.after.published - self.before.published

    @property
    def places_gained(self) -> int | None:
        """Ranks moved up (positive) or down (negative); None when either side is unranked."""
        if self.before is None or self.after is None:
            return None
        if self.before.rank is None or self.after.rank is None:
            return None
        return self.before.rank - self.after.rank


def _get(row: PublishedRow | None, name: str) -> object:
    return None if row is None else getattr(row, name)


def diff_results(
    before: Iterable[PublishedRow], after: Iterable[PublishedRow]
) -> tuple[RowChange, ...]:
    """The bodies whose published line changes, ordered by category (after) then body id."""
    old = _by_body(before)
    new = _by_body(after)
    changes = [
        RowChange(body_id, old.get(body_id), new.get(body_id))
        for body_id in old.keys() | new.keys()
        if old.get(body_id) != new.get(body_id)
    ]
    return tuple(sorted(changes, key=lambda c: (c.category, c.body_id)))


def _by_body(rows: Iterable[PublishedRow]) -> dict[int, PublishedRow]:
    by_body: dict[int, PublishedRow] = {}
    for row in rows:
        if row.body_id in by_body:
            raise ValueError(f"body {row.body_id} appears twice in one result set")
        by_body[row.body_id] = row
    return by_body
