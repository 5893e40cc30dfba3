"""SAQ scoring rules: credit per answer, indicator scores, SAQ total, fast path, shortlist."""

from __future__ import annotations

import csv
import random
import sqlite3
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cycles.rules import DEFAULT_BANDS, qualify
from app.questionnaires.rules import parse_options, parse_scope
from app.verification.rules import (
    FRACTION_SCALE,
    NO,
    YES,
    Answer,
    AnswerType,
    Basis,
    ChoiceOption,
    EarnedSum,
    Indicator,
    IndicatorSums,
    Item,
    Verdict,
    answer_errors,
    applicable_weights,
    balance_assignments,
    combine_grouped_sums,
    combine_indicator_sums,
    compare_raw_and_verified,
    fraction_to_score,
    indicator_sums,
    item_credit_scaled,
    least_loaded,
    parse_fraction,
    questionnaire_errors,
    ratio_to_score,
    score_saq,
    verdict_credit_scaled,
    verdict_errors,
)

D = Decimal
A, R, P, J = Verdict.ACCEPTED, Verdict.REJECTED, Verdict.PENDING, Verdict.ADJUSTED

# --- A slice of /work/shared/data/questionnaire_2025.csv (codes, weights, types, applies_to) ---
NOT_DESA = frozenset(
    {"pemkab_pemkot", "opd_pemprov", "instansi_vertikal", "bumd", "kementerian", "ln_lpnk"}
    | {"lns", "pemprov", "ptn"}
)
SUPERVISING = frozenset({"pemkab_pemkot", "opd_pemprov", "kementerian", "pemprov"})
UPDATED = (
    ChoiceOption("<= 1 bulan", 10_000),
    ChoiceOption("<= 6 bulan", 5_000),
    ChoiceOption("> 6 bulan", 0),
)
SOCIAL = (
    ChoiceOption("Setiap minggu", 10_000),
    ChoiceOption("Setiap bulan", 5_000),
    ChoiceOption("Tidak aktif", 0),
)
INDICATORS = (
    Indicator("1", D(10)),  # Kualitas Informasi
    Indicator("2", D(40)),  # Jenis Informasi
    Indicator("3", D(10)),  # Pelayanan Informasi
    Indicator("4", D(10)),  # Sarana dan Prasarana
    Indicator("5", D(10)),  # Komitmen Organisasi
    Indicator("6", D(20)),  # Digitalisasi
)
YN, CH, TX = AnswerType.YES_NO, AnswerType.CHOICE, AnswerType.TEXT_AND_EVIDENCE
ITEMS = (
    Item("1.1", "1", 2, CH, UPDATED),
    Item("1.2", "1", 1, YN),
    Item("1.6", "1", 2, YN),
    Item("2.1.3", "2", 1, YN, applies_to=NOT_DESA),
    Item("2.1.4", "2", 2, YN),
    Item("2.3.6", "2", 1, TX, applies_to=NOT_DESA),
    Item("2.4.1", "2", 2, YN),
    Item("3.1", "3", 2, YN),
    Item("3.2", "3", 1, YN),
    Item("4.1", "4", 1, YN),
    Item("4.4", "4", 2, YN),
    Item("5.1", "5", 2, YN),
    Item("5.4", "5", 1, YN, applies_to=SUPERVISING),
    Item("6.1", "6", 2, YN),
    Item("6.3", "6", 1, CH, SOCIAL),
    Item("6.7", "6", 2, TX),
)
ANSWERS = (
    Answer("1.1", "<= 6 bulan", A),
    Answer("1.2", YES, A),
    Answer("1.6", YES, R),
    Answer("2.1.3", YES, A),
    Answer("2.1.4", YES, A),
    Answer("2.3.6", "Kajian kepuasan layanan 2025", A),
    Answer("2.4.1", NO, A),
    Answer("3.1", YES, A),
    Answer("3.2", YES, P),
    Answer("4.1", YES, A),
    Answer("4.4", YES, A),
    # 5.1 left unanswered
    Answer("5.4", YES, A),
    Answer("6.1", YES, A),
    Answer("6.3", "Setiap minggu", J, verified_option="Setiap bulan"),
    Answer("6.7", "Chatbot PPID", A),
)


def test_the_hand_computed_example_for_a_city_government() -> None:
    # Kualitas (10):  1.1 half of 2 = 1, 1.2 = 1, 1.6 rejected = 0 → 2/5 × 10      = 4
    # Jenis (40):     2.1.3 1 + 2.1.4 2 + 2.3.6 1 + 2.4.1 "Tidak" 0 → 4/6 × 40   = 80/3
    # Pelayanan (10): 3.1 2 + 3.2 pending 0 → 2/3 × 10                            = 20/3
    # Sarana (10):    4.1 1 + 4.4 2 → 3/3 × 10                                     = 10
    # Komitmen (10):  5.1 unanswered 0 + 5.4 1 → 1/3 × 10                          = 10/3
    # Digital (20):   6.1 2 + 6.3 adjusted to monthly 0.5 + 6.7 2 → 4.5/5 × 20     = 18
    # SAQ = 4 + 10 + 18 + (80 + 20 + 10)/3 = 32 + 36.666… = 68.666… → 68.6666666666 (68,67)
    saq = score_saq(INDICATORS, ITEMS, ANSWERS, "pemkab_pemkot")
    assert saq.total == D("68.6666666666")
    assert saq.published == D("68.67")
    assert [s.score for s in saq.indicators] == [
        D("4"),
        D("26.6666666666"),
        D("6.6666666666"),
        D("10"),
        D("3.3333333333"),
        D("18"),
    ]
    assert saq.indicator("2").earned_scaled == 4 * FRACTION_SCALE
    assert saq.indicator("2").applicable_weight == 6
    assert saq.indicator("2").published == D("26.67")
    assert saq.indicator_scores()["6"] == D(18)
    assert qualify(saq.published, DEFAULT_BANDS) == "Cukup Informatif"


def test_the_hand_computed_example_as_declared() -> None:
    # Raw counts what the body declared, whatever the verdict: 1.1 "<= 6 bulan" is half of 2 = 1,
    # so Kualitas = (1 + 1 + 2)/5 × 10 = 8; Jenis 4/6 × 40 = 80/3 (2.4.1 said "Tidak");
    # Pelayanan 3/3 × 10 = 10; Sarana 10; Komitmen 1/3 × 10 = 10/3 (5.1 unanswered);
    # Digital (2 + 1 weekly + 2)/5 × 20 = 20. SAQ = 8 + 10 + 10 + 20 + (80 + 10)/3 = 78.
    comparison = compare_raw_and_verified(INDICATORS, ITEMS, ANSWERS, "pemkab_pemkot")
    assert comparison.raw.total == D("78")
    assert comparison.verified.total == D("68.6666666666")
    assert comparison.difference == D("-9.3333333334")


def test_items_not_applying_to_the_category_leave_both_sums() -> None:
    # A village: 2.1.3, 2.3.6 and 5.4 do not apply. Jenis = (2.1.4 2 + 2.4.1 0)/4 × 40 = 20;
    # Komitmen = 5.1 unanswered 0/2 × 10 = 0. SAQ = 4 + 20 + 20/3 + 10 + 0 + 18 = 58.666…
    saq = score_saq(INDICATORS, ITEMS, ANSWERS, "desa")
    assert saq.indicator("2").applicable_weight == 4
    assert saq.indicator("2").score == D(20)
    assert saq.indicator("5").score == D(0)
    assert saq.total == D("58.6666666666")


def test_the_total_is_truncated_once_from_the_exact_sum() -> None:
    # Two halves of 50 points with 3 items each: 1/3 × 50 + 2/3 × 50 = 50 exactly, although the
    # truncated parts 16.6666666666 + 33.3333333333 add up to 49.9999999999.
    indicators = (Indicator("a", D(50)), Indicator("b", D(50)))
    items = [Item(f"{ind}.{n}", ind, 1, YN) for ind in "ab" for n in range(3)]
    answers = [Answer("a.0", YES, A), Answer("b.0", YES, A), Answer("b.1", YES, A)]
    saq = score_saq(indicators, items, answers, "any")
    assert sum(s.score for s in saq.indicators) == D("49.9999999999")
    assert saq.total == D(50)


def test_an_exact_band_edge_made_of_repeating_decimals_is_published_up() -> None:
    # 10 × 1/3 + 90 × (25 × 10000 + 9985)/(27 × 10000) = 3.333… + 86.661666… = 89.995 exactly,
    # which publishes as 90,00 (Informatif). Adding truncated parts would give 89,99.
    indicators = (Indicator("a", D(10)), Indicator("b", D(90)))
    items = [Item(f"a.{n}", "a", 1, YN) for n in range(3)]
    items += [Item(f"b.{n}", "b", 1, YN) for n in range(26)]
    items.append(Item("b.c", "b", 1, CH, (ChoiceOption("hampir", 9985), ChoiceOption("no", 0))))
    answers = [Answer("a.0", YES, A), Answer("b.c", "hampir", A)]
    answers += [Answer(f"b.{n}", YES, A) for n in range(25)]
    answers.append(Answer("b.25", YES, R))
    saq = score_saq(indicators, items, answers, "any")
    assert saq.indicators[0].score + saq.indicators[1].score == D("89.9949999999")
    assert saq.total == D("89.9950000000")
    assert saq.published == D("90.00")
    assert qualify(saq.published, DEFAULT_BANDS) == "Informatif"


@pytest.mark.parametrize(
    ("fractions", "published", "band"),
    [
        ((9999, 8000), "90.00", "Informatif"),  # (0.9999 + 0.8)/2 × 100 = 89.995
        ((9999, 7999), "89.99", "Menuju Informatif"),  # 89.99
        ((10_000, 10_000), "100.00", "Informatif"),
        ((0, 0), "0.00", "Tidak Informatif"),
        ((7999, 0), "40.00", "Kurang Informatif"),  # 39.995
        ((7998, 0), "39.99", "Tidak Informatif"),  # 39.99
    ],
)
def test_choice_fractions_land_in_the_band_of_the_published_score(
    fractions: tuple[int, int], published: str, band: str
) -> None:
    indicators = (Indicator("x", D(100)),)
    items = [
        Item(f"x.{n}", "x", 1, CH, (ChoiceOption("pilih", f), ChoiceOption("nol", 0)))
        for n, f in enumerate(fractions)
    ]
    answers = [Answer(f"x.{n}", "pilih", A) for n in range(2)]
    saq = score_saq(indicators, items, answers, "any")
    assert saq.published == D(published)
    assert qualify(saq.published, DEFAULT_BANDS) == band


YES_NO_ITEM = Item("y", "1", 3, YN)
CHOICE_ITEM = Item("c", "1", 2, CH, UPDATED)
TEXT_ITEM = Item("t", "1", 1, TX)


@pytest.mark.parametrize(
    ("item", "answer", "raw", "verified"),
    [
        (YES_NO_ITEM, None, 0, 0),
        (YES_NO_ITEM, Answer("y", YES, A), 10_000, 10_000),
        (YES_NO_ITEM, Answer("y", YES, R), 10_000, 0),
        (YES_NO_ITEM, Answer("y", YES, P), 10_000, 0),
        (YES_NO_ITEM, Answer("y", NO, A), 0, 0),
        (YES_NO_ITEM, Answer("y", NO, R), 0, 0),
        (YES_NO_ITEM, Answer("y", None, A), 0, 0),
        (YES_NO_ITEM, Answer("y", "ya", A), 0, 0),  # only the exact "Ya" counts
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", A), 10_000, 10_000),
        (CHOICE_ITEM, Answer("c", "<= 6 bulan", A), 5_000, 5_000),
        (CHOICE_ITEM, Answer("c", "> 6 bulan", A), 0, 0),
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", R), 10_000, 0),
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", P), 10_000, 0),
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", J, "<= 6 bulan"), 10_000, 5_000),
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", J, "> 6 bulan"), 10_000, 0),
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", J, None), 10_000, 0),
        (CHOICE_ITEM, Answer("c", None, A), 0, 0),
        (TEXT_ITEM, Answer("t", "Judul kajian", A), 10_000, 10_000),
        (TEXT_ITEM, Answer("t", "Judul kajian", R), 10_000, 0),
        (TEXT_ITEM, Answer("t", "   ", A), 0, 0),
        (TEXT_ITEM, Answer("t", None, A), 0, 0),
    ],
)
def test_credit_per_answer_type_and_verdict(
    item: Item, answer: Answer | None, raw: int, verified: int
) -> None:
    assert item_credit_scaled(item, answer, Basis.RAW) == raw
    assert item_credit_scaled(item, answer, Basis.VERIFIED) == verified
    assert item_credit_scaled(item, answer) == verified


@pytest.mark.parametrize(
    ("item", "answer", "message"),
    [
        (YES_NO_ITEM, Answer("y", YES, J), "only choice items"),
        (TEXT_ITEM, Answer("t", "x", J, "x"), "only choice items"),
        (CHOICE_ITEM, Answer("c", "kadang", A), "unknown option"),
        (CHOICE_ITEM, Answer("c", "<= 1 bulan", J, "kadang"), "unknown option"),
        (CHOICE_ITEM, Answer("y", YES, A), "scored against"),
    ],
)
def test_impossible_answers_are_refused(item: Item, answer: Answer, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        item_credit_scaled(item, answer, Basis.VERIFIED)


@pytest.mark.parametrize(
    ("item", "answer", "expected"),
    [
        (YES_NO_ITEM, Answer("y", YES, A), []),
        (CHOICE_ITEM, Answer("c", "<= 6 bulan", J, "> 6 bulan"), []),
        (CHOICE_ITEM, Answer("c", "<= 6 bulan", J, "<= 6 bulan"), []),
        (CHOICE_ITEM, Answer("c", "<= 6 bulan", J, "<= 1 bulan"), ["menaikkan"]),
        (CHOICE_ITEM, Answer("c", "<= 6 bulan", J, None), ["Pilih opsi"]),
        (CHOICE_ITEM, Answer("c", "kadang", A), ["tidak dikenal"]),
        (CHOICE_ITEM, Answer("c", "<= 6 bulan", J, "kadang"), ["tidak dikenal"]),
        (YES_NO_ITEM, Answer("y", YES, J), ["Hanya butir pilihan"]),
        (YES_NO_ITEM, Answer("y", "Mungkin", A), ["Ya atau Tidak"]),
        (YES_NO_ITEM, Answer("c", YES, A), ["butir lain"]),
    ],
)
def test_answer_errors_explain_what_a_service_must_refuse(
    item: Item, answer: Answer, expected: list[str]
) -> None:
    errors = answer_errors(item, answer)
    assert len(errors) == len(expected)
    for error, fragment in zip(errors, expected, strict=True):
        assert fragment in error


@pytest.mark.parametrize(
    ("text", "scaled"),
    [
        ("1.0", 10_000),
        ("0.5", 5_000),
        ("0", 0),
        ("0,25", 2_500),
        (" 0.3333 ", 3_333),
        ("1", 10_000),
    ],
)
def test_option_fractions_are_read_exactly(text: str, scaled: int) -> None:
    assert parse_fraction(text) == scaled


@pytest.mark.parametrize("text", ["1.5", "-0.1", "abc", "0.12345", "NaN", "Infinity", ""])
def test_bad_option_fractions_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fraction(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(2, 3), "0.6666666666"),
        (Fraction(1, 3) * 100, "33.3333333333"),
        (Fraction(0), "0"),
        (Fraction(100), "100"),
        (Fraction(899949999999999, 10**13), "89.9949999999"),
    ],
)
def test_exact_scores_are_truncated_never_rounded_up(value: Fraction, expected: str) -> None:
    assert fraction_to_score(value) == D(expected)
    assert ratio_to_score(value.numerator, value.denominator) == D(expected)


def test_a_negative_score_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        fraction_to_score(Fraction(-1, 3))


@pytest.mark.parametrize(
    "build",
    [
        lambda: Item("x", "1", 0, YN),
        lambda: Item("x", "1", -1, YN),
        lambda: Item("x", "1", 1, CH),
        lambda: Item("x", "1", 1, CH, (ChoiceOption("a", 1), ChoiceOption("a", 0))),
        lambda: ChoiceOption("a", 10_001),
        lambda: ChoiceOption("a", -1),
        lambda: Indicator("1", D(-1)),
        lambda: Indicator("1", D("NaN")),
    ],
)
def test_impossible_questionnaire_parts_cannot_be_built(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_an_item_without_categories_applies_to_every_category() -> None:
    assert Item("x", "1", 1, YN).applies_to_category("desa")
    assert not Item("x", "1", 1, YN, applies_to=frozenset({"bumd"})).applies_to_category("desa")


def test_applicable_weights_per_category() -> None:
    assert applicable_weights(ITEMS, "pemkab_pemkot") == {
        "1": 5,
        "2": 6,
        "3": 3,
        "4": 3,
        "5": 3,
        "6": 5,
    }
    assert applicable_weights(ITEMS, "desa")["2"] == 4
    assert applicable_weights(ITEMS, "bumd")["5"] == 2


def test_an_indicator_without_applicable_items_scores_zero() -> None:
    indicators = (Indicator("a", D(60)), Indicator("b", D(40)))
    items = [Item("a.1", "a", 1, YN), Item("b.1", "b", 1, YN, applies_to=frozenset({"x"}))]
    saq = score_saq(indicators, items, [Answer("a.1", YES, A)], "y")
    assert saq.indicator("b").score == 0
    assert saq.indicator("b").applicable_weight == 0
    assert saq.total == D(60)


def test_an_answer_to_an_item_outside_the_category_is_ignored() -> None:
    outside = {"2.1.3", "2.3.6", "5.4"}  # these do not apply to villages
    inside = [a for a in ANSWERS if a.item_code not in outside]
    assert score_saq(INDICATORS, ITEMS, ANSWERS, "desa") == score_saq(
        INDICATORS, ITEMS, inside, "desa"
    )


def test_it_finds_an_indicator_by_code_or_says_it_is_unknown() -> None:
    saq = score_saq(INDICATORS, ITEMS, ANSWERS, "pemkab_pemkot")
    with pytest.raises(KeyError):
        saq.indicator("9")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([Answer("9.9", YES, A)], "unknown item"),
        ([Answer("1.2", YES, A), Answer("1.2", NO, A)], "two answers"),
    ],
)
def test_inconsistent_answers_are_refused(answers: list[Answer], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_saq(INDICATORS, ITEMS, answers, "pemkab_pemkot")


def test_duplicate_item_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="item codes"):
        indicator_sums([ITEMS[1], ITEMS[1]], [], "pemkab_pemkot")


def test_items_under_unknown_indicators_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown indicators"):
        score_saq(INDICATORS[:1], ITEMS, [], "pemkab_pemkot")


@pytest.mark.parametrize(
    ("indicators", "sums", "message"),
    [
        (INDICATORS, [IndicatorSums("1", 1, 1), IndicatorSums("1", 1, 1)], "two sums"),
        (INDICATORS, [IndicatorSums("9", 1, 1)], "unknown indicators"),
        (INDICATORS, [IndicatorSums("1", 10_001, 1)], "impossible"),
        (INDICATORS, [IndicatorSums("1", -1, 1)], "impossible"),
        (INDICATORS, [IndicatorSums("1", 0, -1)], "impossible"),
        ((INDICATORS[0], INDICATORS[0]), [], "unique"),
    ],
)
def test_impossible_sums_are_refused(
    indicators: tuple[Indicator, ...], sums: list[IndicatorSums], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        combine_indicator_sums(indicators, sums)


def test_indicator_weights_may_have_decimals() -> None:
    indicators = (Indicator("a", D("12.5")), Indicator("b", D("87.5")))
    saq = combine_indicator_sums(
        indicators, [IndicatorSums("a", 10_000, 3), IndicatorSums("b", 0, 1)]
    )
    # 12.5 × 1/3 = 4.1666…
    assert saq.total == D("4.1666666666")


# --- fast path --------------------------------------------------------------------------------


def test_the_fast_path_gives_the_hand_computed_example() -> None:
    bodies = {1: "pemkab_pemkot", 2: "desa", 3: "pemkab_pemkot"}
    applicable = {c: applicable_weights(ITEMS, c) for c in set(bodies.values())}
    rows = [
        EarnedSum(body_id, s.indicator_code, s.earned_scaled)
        for body_id in (1, 2)
        for s in indicator_sums(ITEMS, ANSWERS, bodies[body_id]).values()
    ]
    saqs = combine_grouped_sums(INDICATORS, applicable, bodies, rows)
    assert saqs[1].total == D("68.6666666666")
    assert saqs[2].total == D("58.6666666666")
    assert saqs[3].total == 0  # no answers at all: every indicator scores 0
    assert saqs[3].indicator("2").applicable_weight == 6


def test_the_fast_path_takes_postgresql_numeric_sums_exactly() -> None:
    bodies = {1: "pemkab_pemkot"}
    applicable = {"pemkab_pemkot": applicable_weights(ITEMS, "pemkab_pemkot")}
    sums = indicator_sums(ITEMS, ANSWERS, "pemkab_pemkot").values()
    as_numeric = [EarnedSum(1, s.indicator_code, D(s.earned_scaled)) for s in sums]  # type: ignore[arg-type]
    (saq,) = combine_grouped_sums(INDICATORS, applicable, bodies, as_numeric).values()
    assert saq == score_saq(INDICATORS, ITEMS, ANSWERS, "pemkab_pemkot")
    assert all(type(s.earned_scaled) is int for s in saq.indicators)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([EarnedSum(9, "1", 0)], "unknown body"),
        ([EarnedSum(1, "1", 0), EarnedSum(1, "1", 0)], "two sums"),
        ([EarnedSum(1, "7", 0)], "unknown indicators"),
        ([EarnedSum(1, "1", 10**9)], "impossible"),
    ],
)
def test_the_fast_path_refuses_inconsistent_rows(rows: list[EarnedSum], message: str) -> None:
    applicable = {"pemkab_pemkot": applicable_weights(ITEMS, "pemkab_pemkot")}
    with pytest.raises(ValueError, match=message):
        combine_grouped_sums(INDICATORS, applicable, {1: "pemkab_pemkot"}, rows)


# --- property tests ---------------------------------------------------------------------------

CATEGORIES = ("kota", "desa")


@st.composite
def questionnaires(draw: st.DrawFn) -> tuple[tuple[Indicator, ...], tuple[Item, ...]]:
    """Indicators whose weights sum to 100 and 1–6 items under each."""
    count = draw(st.integers(1, 6))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100]
    indicators = tuple(Indicator(f"i{n}", D(bounds[n + 1] - bounds[n])) for n in range(count))
    items: list[Item] = []
    for indicator in indicators:
        for n in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(list(AnswerType)))
            options: tuple[ChoiceOption, ...] = ()
            if kind is AnswerType.CHOICE:
                fractions = draw(
                    st.lists(st.integers(0, FRACTION_SCALE), min_size=1, max_size=4, unique=True)
                )
                options = tuple(ChoiceOption(f"o{f}", f) for f in fractions)
            applies = draw(st.sampled_from([frozenset(), frozenset({"kota"})]))
            items.append(
                Item(
                    f"{indicator.code}.{n}",
                    indicator.code,
                    draw(st.integers(1, 5)),
                    kind,
                    options,
                    applies,
                )
            )
    return indicators, tuple(items)


def _answer(draw: st.DrawFn, item: Item) -> Answer | None:
    if draw(st.integers(0, 5)) == 0:
        return None
    verdict = draw(st.sampled_from(list(Verdict)))
    if item.answer_type is AnswerType.YES_NO:
        return Answer(item.code, draw(st.sampled_from([YES, NO, None])), replace_adjusted(verdict))
    if item.answer_type is AnswerType.TEXT_AND_EVIDENCE:
        return Answer(
            item.code, draw(st.sampled_from(["Bukti", "", None])), replace_adjusted(verdict)
        )
    declared = draw(st.sampled_from(item.options))
    if verdict is Verdict.ADJUSTED:
        lower = [o for o in item.options if o.fraction_scaled <= declared.fraction_scaled]
        return Answer(item.code, declared.label, verdict, draw(st.sampled_from(lower)).label)
    return Answer(item.code, declared.label, verdict)


def replace_adjusted(verdict: Verdict) -> Verdict:
    """Only choice items can be adjusted; other items get rejected instead."""
    return Verdict.REJECTED if verdict is Verdict.ADJUSTED else verdict


@st.composite
def scored_bodies(
    draw: st.DrawFn,
) -> tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]]:
    indicators, items = draw(questionnaires())
    bodies = []
    for _ in range(draw(st.integers(1, 4))):
        answers = [a for item in items if (a := _answer(draw, item)) is not None]
        bodies.append((draw(st.sampled_from(CATEGORIES)), answers))
    return indicators, items, bodies


@given(scored_bodies())
def test_scores_stay_within_0_and_100_and_each_indicator_within_its_weight(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
) -> None:
    indicators, items, bodies = case
    for category, answers in bodies:
        for basis in Basis:
            saq = score_saq(indicators, items, answers, category, basis)
            assert 0 <= saq.total <= 100
            for score, indicator in zip(saq.indicators, indicators, strict=True):
                assert 0 <= score.score <= indicator.weight


@given(scored_bodies(), st.data())
def test_accepting_an_item_never_lowers_the_score(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
    data: st.DataObject,
) -> None:
    indicators, items, bodies = case
    category, answers = bodies[0]
    if not answers:
        return
    index = data.draw(st.integers(0, len(answers) - 1))
    accepted = list(answers)
    accepted[index] = replace(answers[index], verdict=Verdict.ACCEPTED, verified_option=None)
    before = score_saq(indicators, items, answers, category)
    after = score_saq(indicators, items, accepted, category)
    assert after.total >= before.total
    for b, a in zip(before.indicators, after.indicators, strict=True):
        assert a.score >= b.score


@given(scored_bodies())
def test_verification_never_raises_a_score_above_what_was_declared(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
) -> None:
    indicators, items, bodies = case
    for category, answers in bodies:
        comparison = compare_raw_and_verified(indicators, items, answers, category)
        assert comparison.verified.total <= comparison.raw.total
        assert comparison.difference <= 0


@given(scored_bodies(), st.randoms(use_true_random=False))
def test_the_score_does_not_depend_on_the_order_of_items_answers_or_indicators(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
    rnd: random.Random,
) -> None:
    indicators, items, bodies = case
    category, answers = bodies[0]
    expected = score_saq(indicators, items, answers, category)
    shuffled_items, shuffled_answers, shuffled_indicators = (
        list(items),
        list(answers),
        list(indicators),
    )
    rnd.shuffle(shuffled_items)
    rnd.shuffle(shuffled_answers)
    rnd.shuffle(shuffled_indicators)
    assert score_saq(indicators, shuffled_items, shuffled_answers, category) == expected
    reordered = score_saq(shuffled_indicators, shuffled_items, shuffled_answers, category)
    assert reordered.total == expected.total
    assert reordered.indicator_scores() == expected.indicator_scores()


@given(scored_bodies())
def test_the_total_is_the_exact_sum_of_the_indicator_fractions_truncated(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
) -> None:
    indicators, items, bodies = case
    weights = {i.code: i.weight for i in indicators}
    for category, answers in bodies:
        saq = score_saq(indicators, items, answers, category)
        exact = sum(
            (
                Fraction(weights[s.indicator_code])
                * Fraction(s.earned_scaled, FRACTION_SCALE * s.applicable_weight)
                for s in saq.indicators
                if s.applicable_weight
            ),
            Fraction(0),
        )
        assert saq.total == fraction_to_score(exact)
        assert saq.total - D("1e-10") < exact <= saq.total + D("1e-10")


@given(questionnaires())
def test_everything_accepted_as_full_credit_scores_100(
    questionnaire: tuple[tuple[Indicator, ...], tuple[Item, ...]],
) -> None:
    indicators, items = questionnaire
    answers = []
    for item in items:
        if item.answer_type is AnswerType.YES_NO:
            answers.append(Answer(item.code, YES, A))
        elif item.answer_type is AnswerType.TEXT_AND_EVIDENCE:
            answers.append(Answer(item.code, "Bukti", A))
        else:
            best = max(item.options, key=lambda o: o.fraction_scaled)
            answers.append(Answer(item.code, best.label, A))
    if all(max(o.fraction_scaled for o in i.options) == FRACTION_SCALE for i in items if i.options):
        assert score_saq(indicators, items, answers, "kota").total == 100


@settings(max_examples=60)
@given(scored_bodies())
def test_the_fast_path_from_a_grouped_sql_query_gives_the_same_decimal(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
) -> None:
    """Answers go into SQLite as integers; one GROUP BY gives sums that combine to the same SAQ."""
    indicators, items, bodies = case
    by_code = {item.code: item for item in items}
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE items (code TEXT, indicator TEXT, weight INTEGER)")
    con.execute("CREATE TABLE answers (body_id INTEGER, item_code TEXT, credit_scaled INTEGER)")
    con.executemany(
        "INSERT INTO items VALUES (?, ?, ?)", [(i.code, i.indicator_code, i.weight) for i in items]
    )
    body_categories: dict[int, str] = {}
    for body_id, (category, answers) in enumerate(bodies, start=1):
        body_categories[body_id] = category
        con.executemany(
            "INSERT INTO answers VALUES (?, ?, ?)",
            [
                (body_id, a.item_code, item_credit_scaled(by_code[a.item_code], a))
                for a in answers
                if by_code[a.item_code].applies_to_category(category)
            ],
        )
    rows = con.execute(
        "SELECT a.body_id, i.indicator, SUM(i.weight * a.credit_scaled) FROM answers a"
        " JOIN items i ON i.code = a.item_code GROUP BY a.body_id, i.indicator"
    ).fetchall()
    con.close()
    applicable = {c: applicable_weights(items, c) for c in CATEGORIES}
    fast = combine_grouped_sums(
        indicators, applicable, body_categories, [EarnedSum(*row) for row in rows]
    )
    for body_id, (category, answers) in enumerate(bodies, start=1):
        slow = score_saq(indicators, items, answers, category)
        assert fast[body_id] == slow
        assert str(fast[body_id].total) == str(slow.total)


# --- questionnaire checks ---------------------------------------------------------------------


def test_a_sound_questionnaire_has_no_errors() -> None:
    assert questionnaire_errors(INDICATORS, ITEMS, ["pemkab_pemkot", "desa", "bumd"]) == []


@pytest.mark.parametrize(
    ("indicators", "items", "fragment"),
    [
        ((*INDICATORS, Indicator("7", D(0))), ITEMS, None),
        (INDICATORS[:-1], [i for i in ITEMS if i.indicator_code != "6"], "harus 100"),
        ((*INDICATORS, INDICATORS[0]), ITEMS, "indikator tidak boleh ganda"),
        (INDICATORS, (*ITEMS, ITEMS[0]), "butir tidak boleh ganda"),
        (INDICATORS, (*ITEMS, Item("8.1", "8", 1, YN)), "tidak dikenal"),
        (
            INDICATORS,
            [
                *(i for i in ITEMS if i.indicator_code != "5"),
                Item("5.4", "5", 1, YN, applies_to=SUPERVISING),
            ],
            "Indikator 5 tidak memiliki butir untuk kategori desa",
        ),
    ],
)
def test_questionnaire_errors_are_explained(
    indicators: tuple[Indicator, ...], items: tuple[Item, ...], fragment: str | None
) -> None:
    errors = questionnaire_errors(indicators, items, ["pemkab_pemkot", "desa"])
    if fragment is None:
        assert errors == []  # an indicator weighing 0 needs no items
    else:
        assert any(fragment in e for e in errors), errors


# --- shortlist --------------------------------------------------------------------------------


# --- the demo questionnaire, by hand -----------------------------------------------------------

DEMO_CSV = Path(__file__).resolve().parents[2] / "app" / "demo" / "data" / "questionnaire_2025.csv"


def demo_questionnaire() -> tuple[tuple[Indicator, ...], tuple[Item, ...]]:
    """app/demo/data/questionnaire_2025.csv as pure rules (groups apply to every category)."""
    indicators: list[Indicator] = []
    items: list[Item] = []
    with DEMO_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] == "indicator":
                indicators.append(Indicator(row["code"], D(row["weight"])))
            elif row["kind"] == "item":
                options = tuple(
                    ChoiceOption(o.label, int(o.fraction * FRACTION_SCALE))
                    for o in (parse_options(row["options"]) if row["options"] else ())
                )
                items.append(
                    Item(
                        row["code"],
                        row["code"].split(".")[0],
                        int(row["weight"]),
                        AnswerType(row["answer_type"]),
                        options,
                        frozenset(parse_scope(row["applies_to"])),
                    )
                )
    return tuple(indicators), tuple(items)


def test_the_demo_questionnaire_by_hand_for_a_village() -> None:
    """A village (desa) answered everything at full credit; the verifier adjusted 1.1 and 6.3 to
    half, rejected 2.4.1 and 5.6. Weights of the items applying to desa, counted by hand from
    the CSV: indicator 1 = 8, 2 = 22, 3 = 10, 4 = 7, 5 = 7, 6 = 8.

        1: (8 − 2 + 1)/8 × 10 = 8.75          2: (22 − 2)/22 × 40 = 400/11
        3: 10                                  4: 10
        5: (7 − 1)/7 × 10 = 60/7               6: (8 − 2 + 1)/8 × 20 = 17.5
        SAQ = 46.25 + 400/11 + 60/7 = 7021.25/77 = 91.18506493506…
    """
    indicators, items = demo_questionnaire()
    assert applicable_weights(items, "desa") == {
        "1": 8,
        "2": 22,
        "3": 10,
        "4": 7,
        "5": 7,
        "6": 8,
    }
    special = {
        "1.1": ("adjusted", "Diperbarui dalam 1 sampai 6 bulan terakhir"),
        "6.3": ("adjusted", "Setiap bulan"),
        "2.4.1": ("rejected", None),
        "5.6": ("rejected", None),
    }
    answers = []
    for item in items:
        if not item.applies_to_category("desa"):
            continue
        if item.answer_type is AnswerType.YES_NO:
            declared: str = YES
        elif item.answer_type is AnswerType.CHOICE:
            declared = max(item.options, key=lambda o: o.fraction_scaled).label
        else:
            declared = "Dokumen"
        verdict, option = special.get(item.code, ("accepted", None))
        answers.append(Answer(item.code, declared, Verdict(verdict), option))
    saq = score_saq(indicators, items, answers, "desa")
    assert saq.total == D("91.1850649350")
    assert saq.published == D("91.19")
    assert saq.indicator_scores() == {
        "1": D("8.7500000000"),
        "2": D("36.3636363636"),
        "3": D("10.0000000000"),
        "4": D("10.0000000000"),
        "5": D("8.5714285714"),
        "6": D("17.5000000000"),
    }
    assert score_saq(indicators, items, answers, "desa", Basis.RAW).total == 100


# --- verdicts on stored answers -----------------------------------------------------------------


@given(scored_bodies())
def test_the_verdict_on_a_stored_declared_credit_equals_the_item_level_credit(
    case: tuple[tuple[Indicator, ...], tuple[Item, ...], list[tuple[str, list[Answer]]]],
) -> None:
    _, items, bodies = case
    by_code = {i.code: i for i in items}
    for _, answers in bodies:
        for a in answers:
            item = by_code[a.item_code]
            declared = item_credit_scaled(item, a, Basis.RAW)
            assert verdict_credit_scaled(
                item, declared, a.verdict, a.verified_option
            ) == item_credit_scaled(item, a)


@pytest.mark.parametrize(
    ("verdict", "option", "note", "fields"),
    [
        ("accepted", None, "", set()),
        ("rejected", None, "Tidak ada bukti", set()),
        ("rejected", None, "  ", {"note"}),
        ("adjusted", "<= 6 bulan", "", {"note"}),
        ("adjusted", None, "x", {"verified_option"}),
        ("adjusted", "tidak ada", "x", {"verified_option"}),
        ("adjusted", "<= 1 bulan", "x", {"verified_option"}),  # not lower than declared
        ("pending", None, "", {"verdict"}),
    ],
)
def test_verdict_errors_name_the_field_to_fix(
    verdict: str, option: str | None, note: str, fields: set[str]
) -> None:
    assert set(verdict_errors(ITEMS[0], FRACTION_SCALE, verdict, option, note)) == fields


def test_only_choice_items_are_adjusted() -> None:
    assert "verdict" in verdict_errors(ITEMS[1], FRACTION_SCALE, "adjusted", "x", "n")
    with pytest.raises(ValueError, match="only choice"):
        verdict_credit_scaled(ITEMS[1], FRACTION_SCALE, Verdict.ADJUSTED, None)


@given(st.integers(0, FRACTION_SCALE), st.sampled_from(list(Verdict)))
def test_a_verdict_never_credits_more_than_was_declared(declared: int, verdict: Verdict) -> None:
    option = UPDATED[0].label if verdict is Verdict.ADJUSTED else None
    assert 0 <= verdict_credit_scaled(ITEMS[0], declared, verdict, option) <= declared


# --- assigning verifiers ------------------------------------------------------------------------


@st.composite
def assignment_cases(
    draw: st.DrawFn,
) -> tuple[list[tuple[int, str]], list[int], set[tuple[int, int]]]:
    bodies = [
        (b, draw(st.sampled_from(["kota", "desa", "bumd"])))
        for b in range(draw(st.integers(0, 30)))
    ]
    verifiers = list(range(100, 100 + draw(st.integers(1, 5))))
    conflicts = set(
        draw(st.lists(st.tuples(st.sampled_from(verifiers), st.integers(0, 30)), max_size=20))
    )
    return bodies, verifiers, conflicts


@given(assignment_cases())
def test_balanced_assignment_never_assigns_a_conflict_and_leaves_only_the_blocked(
    case: tuple[list[tuple[int, str]], list[int], set[tuple[int, int]]],
) -> None:
    bodies, verifiers, conflicts = case
    chosen, left = balance_assignments(bodies, verifiers, {}, {}, conflicts)
    assert all((v, b) not in conflicts for b, v in chosen.items())
    assert set(chosen) | set(left) == {b for b, _ in bodies}
    for b in left:
        assert all((v, b) in conflicts for v in verifiers)


@given(assignment_cases())
def test_without_conflicts_loads_differ_by_at_most_one_in_each_category(
    case: tuple[list[tuple[int, str]], list[int], set[tuple[int, int]]],
) -> None:
    bodies, verifiers, _ = case
    chosen, left = balance_assignments(bodies, verifiers, {}, {}, ())
    assert left == []
    for category in {c for _, c in bodies}:
        counts = Counter(chosen[b] for b, c in bodies if c == category)
        per = [counts.get(v, 0) for v in verifiers]
        assert max(per) - min(per) <= 1
    totals = Counter(chosen.values())
    per = [totals.get(v, 0) for v in verifiers]
    assert max(per) - min(per) <= len({c for _, c in bodies}) or not bodies


def test_the_least_loaded_verifier_takes_the_next_task() -> None:
    assert least_loaded([3, 1, 2], {1: 2, 2: 0, 3: 0}) == 2
    assert least_loaded([], {}) is None
    chosen, _ = balance_assignments([(1, "kota")], [7, 8], {7: 5, 8: 1}, {(8, "kota"): 1}, ())
    assert chosen == {1: 7}  # fewest of the category first, then fewest overall
