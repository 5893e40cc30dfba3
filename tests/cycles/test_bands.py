from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cycles.rules import DEFAULT_BANDS, Band, band_errors, publish_round, qualify

D = Decimal


@pytest.mark.parametrize(
    ("raw", "published", "band"),
    [
        ("89.995", "90.00", "Informatif"),
        ("89.994", "89.99", "Menuju Informatif"),
        ("94.745", "94.75", "Informatif"),
        ("79.999", "80.00", "Menuju Informatif"),
        ("0", "0.00", "Tidak Informatif"),
        ("100", "100.00", "Informatif"),
        ("39.994", "39.99", "Tidak Informatif"),
        ("40", "40.00", "Kurang Informatif"),
    ],
)
def test_qualification_is_decided_on_the_published_score(
    raw: str, published: str, band: str
) -> None:
    p = publish_round(D(raw))
    assert p == D(published)
    assert qualify(p, DEFAULT_BANDS) == band


def test_default_bands_are_valid() -> None:
    assert band_errors(DEFAULT_BANDS) == []


@pytest.mark.parametrize(
    "bands",
    [
        [],
        [Band("A", D(10))],  # gap below 10
        [Band("A", D(0)), Band("B", D(0))],  # overlap
        [Band("A", D(0)), Band("A", D(50))],  # same name
        [Band("A", D(0)), Band("B", D(101))],
        [Band(" ", D(0))],
    ],
)
def test_bad_band_tables_are_explained(bands: list[Band]) -> None:
    assert band_errors(bands)


@given(st.decimals(min_value=0, max_value=100, places=3))
def test_every_score_gets_exactly_the_band_of_its_rounded_value(score: Decimal) -> None:
    p = publish_round(score)
    name = qualify(p, DEFAULT_BANDS)
    floors = {b.name: b.min_score for b in DEFAULT_BANDS}
    assert p >= floors[name]
    higher = [b for b in DEFAULT_BANDS if b.min_score > floors[name]]
    assert all(p < b.min_score for b in higher)
