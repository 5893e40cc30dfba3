"""Pure rules of a cycle's scoring configuration: qualification bands and publication rounding.

Bands are per-cycle data. A band covers scores from `min_score` (inclusive) up to the next
band's `min_score` (exclusive); the lowest band starts at 0, so bands cover 0–100 without gap
or overlap by construction once they are sorted and start at 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
ZERO = Decimal(0)
TWO_PLACES = Decimal("0.01")


def publish_round(score: Decimal) -> Decimal:
    """Round half-up to 2 decimals: the published score, which decides ranks and bands."""
    return score.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Band:
    """A qualification band: `name` for published scores ≥ `min_score`."""

    name: str
    min_score: Decimal


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("Informatif", Decimal(90)),
    Band("Menuju Informatif", Decimal(80)),
    Band("Cukup Informatif", Decimal(60)),
    Band("Kurang Informatif", Decimal(40)),
    Band("Tidak Informatif", Decimal(0)),
)


def band_errors(bands: Sequence[Band]) -> list[str]:
    """Plain-language problems with a band table (empty when it covers 0–100 exactly once)."""
    errors: list[str] = []
    if not bands:
        return ["Tentukan minimal satu kualifikasi."]
    names = [b.name.strip() for b in bands]
    if any(not n for n in names):
        errors.append("Setiap kualifikasi harus bernama.")
    if len(set(names)) != len(names):
        errors.append("Nama kualifikasi tidak boleh ganda.")
    mins = [b.min_score for b in bands]
    if any(m < ZERO or m > HUNDRED for m in mins):
        errors.append("Batas bawah kualifikasi harus antara 0 dan 100.")
    if len(set(mins)) != len(mins):
        errors.append("Dua kualifikasi memiliki batas bawah yang sama (tumpang tindih).")
    if ZERO not in mins:
        errors.append("Kualifikasi terendah harus mulai dari 0 agar tidak ada celah.")
    return errors


def qualify(published_score: Decimal, bands: Sequence[Band]) -> str:
    """The band of a published (already rounded) score."""
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if published_score >= band.min_score:
            return band.name
    raise ValueError("bands do not cover the score")
