from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.certificates.rules import (
    AwardKind,
    CertificateData,
    ceremony_order,
    duplicate_serials,
    fmt_date_id,
    fmt_score,
    new_serial,
    normalise_serial,
    verification_url,
)
from app.certificates.samples import sample_award_list, sample_serial


@pytest.mark.parametrize(
    ("score", "shown"),
    [("94.74", "94,74"), ("98.5", "98,50"), ("94.745", "94,75"), ("100", "100,00"), (None, "")],
)
def test_scores_are_shown_with_a_decimal_comma(score: str | None, shown: str) -> None:
    assert fmt_score(None if score is None else Decimal(score)) == shown


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2024, 12, 17), "17 Desember 2024"),
        (date(2025, 1, 5), "5 Januari 2025"),
        (date(2024, 8, 31), "31 Agustus 2024"),
        (date(2023, 2, 28), "28 Februari 2023"),
    ],
)
def test_dates_are_written_in_indonesian(day: date, shown: str) -> None:
    assert fmt_date_id(day) == shown


def test_ceremony_order_calls_each_category_by_rank_then_award() -> None:
    ordered = ceremony_order(sample_award_list())
    first_five = [(c.body, c.award_title) for c in ordered[:5]]
    assert first_five == [
        ("Pemerintah Kota Mojokerto", "Peringkat 1"),
        ("Pemerintah Kota Mojokerto", "Kualitas Informasi Terbaik"),
        ("Pemerintah Kota Mojokerto", "Sarana dan Prasarana Terbaik"),
        ("Pemerintah Kota Mojokerto", "Badan Publik Terfavorit"),
        ("Pemerintah Kota Mojokerto", "Badan Publik Informatif"),
    ]
    categories = [c.category_order for c in ordered]
    assert categories == sorted(categories)
    pasuruan = next(i for i, c in enumerate(ordered) if c.body == "Pemerintah Kota Pasuruan")
    blitar = next(i for i, c in enumerate(ordered) if c.body == "Pemerintah Kabupaten Blitar")
    assert blitar < pasuruan  # rank 6 before rank 7
    assert ordered[pasuruan].score == Decimal("94.74")
    assert ordered[pasuruan].qualification == "Informatif"
    assert ordered[pasuruan + 1].category == "OPD Pemerintah Provinsi"


def _cert(serial: str, category_order: int, rank: int | None, kind: AwardKind) -> CertificateData:
    return replace(
        sample_award_list()[0],
        serial=serial,
        category_order=category_order,
        category=f"Kategori {category_order}",
        rank=rank,
        kind=kind,
        award_title=kind.value,
    )


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.one_of(st.none(), st.integers(1, 12)),
            st.sampled_from(list(AwardKind)),
        ),
        max_size=30,
    )
)
def test_ceremony_order_is_a_sorted_permutation(
    rows: list[tuple[int, int | None, AwardKind]],
) -> None:
    certs = [_cert(f"S{i}", cat, rank, kind) for i, (cat, rank, kind) in enumerate(rows)]
    ordered = ceremony_order(certs)
    assert sorted(c.serial for c in ordered) == sorted(c.serial for c in certs)
    keys = [(c.category_order, c.rank if c.rank is not None else 10**6) for c in ordered]
    assert keys == sorted(keys)
    assert ceremony_order(list(reversed(certs))) == ordered  # input order does not matter


def test_ranked_awards_come_before_unranked_ones_in_a_category() -> None:
    unranked = _cert("A", 0, None, AwardKind.SPECIAL)
    ranked = _cert("B", 0, 9, AwardKind.INFORMATIF)
    assert [c.serial for c in ceremony_order([unranked, ranked])] == ["B", "A"]


def test_duplicate_serials_are_reported() -> None:
    certs = sample_award_list()
    assert duplicate_serials(certs) == []
    twice = [*certs, replace(certs[3], award_title="x")]
    assert duplicate_serials(twice) == [certs[3].serial]


def test_new_serials_have_the_canonical_form_and_differ() -> None:
    serials = {new_serial(2024) for _ in range(200)}
    assert len(serials) == 200
    for serial in serials:
        assert serial.startswith("2024-")
        assert normalise_serial(serial) == serial


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (" 2024-7k3m9qxd ", "2024-7K3M9QXD"),
        ("2024-7K3M9QXO", "2024-7K3M9QX0"),  # O read as zero
        ("2024-IK3M9QXL", "2024-1K3M9QX1"),
        ("2024 - 7K3M9QXD", "2024-7K3M9QXD"),
        ("2024-7K3M9QX", None),
        ("2024-7K3M9QXDU", None),
        ("24-7K3M9QXD", None),
        ("../../etc/passwd", None),
        ("", None),
    ],
)
def test_typed_serials_are_normalised_or_refused(typed: str, canonical: str | None) -> None:
    assert normalise_serial(typed) == canonical


def test_sample_serials_are_valid_and_unique() -> None:
    serials = [sample_serial(i) for i in range(2000)]
    assert len(set(serials)) == 2000
    assert all(normalise_serial(s) == s for s in serials)


def test_the_verification_url_is_under_piagam() -> None:
    assert (
        verification_url("https://monev.example.id/", "2024-7K3M9QXD")
        == "https://monev.example.id/piagam/2024-7K3M9QXD"
    )
    assert verification_url("http://x", "a/b c") == "http://x/piagam/a%2Fb%20c"
