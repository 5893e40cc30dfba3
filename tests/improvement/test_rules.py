"""Improvement-loop rules: recommendations, agreement and kappa, leniency, carry-forward."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.improvement.rules import (
    CARRY_MESSAGES,
    AgreementReport,
    CarryOutcome,
    CarryPolicy,
    DoubleVerdict,
    ItemVersion,
    LossReason,
    PreviousEvidence,
    agreement,
    agreement_by,
    build_recommendations,
    carry_forward_decision,
    carry_forward_plan,
    followed_recommendations,
    item_code_key,
    item_content_hash,
    leniency,
    sample_size,
)
from app.verification.rules import (
    NO,
    YES,
    Answer,
    AnswerType,
    ChoiceOption,
    Indicator,
    Item,
    Verdict,
    score_saq,
)

D = Decimal
A, R, P, J = Verdict.ACCEPTED, Verdict.REJECTED, Verdict.PENDING, Verdict.ADJUSTED
YN, CH = AnswerType.YES_NO, AnswerType.CHOICE
UPDATED = (ChoiceOption("<= 1 bulan", 10_000), ChoiceOption("<= 6 bulan", 5_000))
SOCIAL = (ChoiceOption("Setiap minggu", 10_000), ChoiceOption("Setiap bulan", 5_000))
INDICATORS = (
    Indicator("1", D(10)),
    Indicator("2", D(40)),
    Indicator("3", D(10)),
    Indicator("4", D(10)),
    Indicator("5", D(10)),
    Indicator("6", D(20)),
)
ITEMS = (
    Item("1.1", "1", 2, CH, UPDATED),
    Item("1.2", "1", 1, YN),
    Item("1.6", "1", 2, YN),
    Item("2.1.4", "2", 2, YN),
    Item("2.1.10", "2", 2, YN),
    Item("2.4.1", "2", 2, YN),
    Item("3.1", "3", 2, YN),
    Item("3.2", "3", 1, YN),
    Item("4.4", "4", 2, YN),
    Item("5.1", "5", 2, YN),
    Item("5.4", "5", 1, YN, applies_to=frozenset({"pemkab_pemkot"})),
    Item("6.1", "6", 2, YN),
    Item("6.3", "6", 1, CH, SOCIAL),
    Item("6.7", "6", 2, AnswerType.TEXT_AND_EVIDENCE),
)
ANSWERS = (
    Answer("1.1", "<= 6 bulan", A),
    Answer("1.2", YES, A),
    Answer("1.6", YES, R),
    Answer("2.1.4", YES, A),
    Answer("2.1.10", YES, A),
    Answer("2.4.1", NO, A),
    Answer("3.1", YES, A),
    Answer("3.2", YES, P),
    Answer("4.4", YES, A),
    Answer("5.4", YES, A),
    Answer("6.1", YES, A),
    Answer("6.3", "Setiap minggu", J, "Setiap bulan"),
    Answer("6.7", "Chatbot PPID", A),
)


# --- recommendations --------------------------------------------------------------------------


def test_recommendations_are_grouped_by_indicator_and_ordered_by_points_at_stake() -> None:
    groups = build_recommendations(
        INDICATORS,
        ITEMS,
        ANSWERS,
        "pemkab_pemkot",
        notes={"1.6": "SK DIP tahun lalu, bukan tahun berjalan."},
        guidance={"1.6": "Unggah SK penetapan DIP tahun berjalan (PDF)."},
    )
    # Points at stake = indicator weight × item weight × (1 − credit) ÷ Σ applicable weights:
    #   2.4.1  40 × 2 × 1 / 6   = 13.333…  (declared "Tidak")
    #   5.1    10 × 2 × 1 / 3   =  6.666…  (unanswered)
    #   1.6    10 × 2 × 1 / 5   =  4       (rejected)      } indicator 1 together: 6
    #   1.1    10 × 2 × 0.5 / 5 =  2       (half credit)   }
    #   3.2    10 × 1 × 1 / 3   =  3.333…  (not verified yet)
    #   6.3    20 × 1 × 0.5 / 5 =  2       (adjusted down)
    assert [(g.indicator_code, g.points_at_stake) for g in groups] == [
        ("2", D("13.3333333333")),
        ("5", D("6.6666666666")),
        ("1", D("6")),
        ("3", D("3.3333333333")),
        ("6", D("2")),
    ]
    ind1 = groups[2]
    assert [(i.item_code, i.reason, i.points_at_stake) for i in ind1.items] == [
        ("1.6", LossReason.REJECTED, D(4)),
        ("1.1", LossReason.DECLARED_SHORT, D(2)),
    ]
    assert ind1.items[0].note.startswith("SK DIP")
    assert ind1.items[0].guidance.startswith("Unggah")
    assert ind1.items[1].note == "" and ind1.items[1].credit_scaled == 5_000
    reasons = {i.item_code: i.reason for g in groups for i in g.items}
    assert reasons == {
        "2.4.1": LossReason.DECLARED_SHORT,
        "5.1": LossReason.UNANSWERED,
        "1.6": LossReason.REJECTED,
        "1.1": LossReason.DECLARED_SHORT,
        "3.2": LossReason.NOT_VERIFIED,
        "6.3": LossReason.ADJUSTED,
    }
    # What is at stake is exactly what the SAQ lacks to 100.
    saq = score_saq(INDICATORS, ITEMS, ANSWERS, "pemkab_pemkot")
    assert saq.total == D("68.6666666666")  # 100 − 31.333…


def test_equal_stakes_are_ordered_by_item_code() -> None:
    answers = [a for a in ANSWERS if a.item_code not in ("2.1.4", "2.1.10")]
    (group,) = [
        g for g in build_recommendations(INDICATORS, ITEMS, answers, "x") if g.indicator_code == "2"
    ]
    assert [i.item_code for i in group.items] == ["2.1.4", "2.1.10", "2.4.1"]


def test_items_outside_the_category_are_not_recommended() -> None:
    groups = build_recommendations(INDICATORS, ITEMS, [], "desa")
    codes = {i.item_code for g in groups for i in g.items}
    assert "5.4" not in codes
    assert codes == {i.code for i in ITEMS} - {"5.4"}


def test_a_body_with_full_credit_gets_no_recommendations() -> None:
    indicators = (Indicator("1", D(60)), Indicator("2", D(0)), Indicator("3", D(40)))
    items = (Item("1.1", "1", 1, YN), Item("2.1", "2", 1, YN), Item("3.1", "3", 1, YN))
    answers = (Answer("1.1", YES, A), Answer("3.1", YES, A))
    # 2.1 is unanswered, but its indicator weighs nothing: no points at stake.
    assert build_recommendations(indicators, items, answers, "x") == ()


def test_recommendations_refuse_items_under_unknown_indicators() -> None:
    with pytest.raises(ValueError, match="unknown indicators"):
        build_recommendations(INDICATORS[:1], ITEMS, ANSWERS, "x")


@st.composite
def bodies(draw: st.DrawFn) -> tuple[list[Item], list[Answer]]:
    """One item set under the six indicators (each with ≥ 1 item) and a body's answers."""
    items: list[Item] = []
    answers: list[Answer] = []
    for indicator in INDICATORS:
        for n in range(draw(st.integers(1, 4))):
            code = f"{indicator.code}.{n}"
            if draw(st.booleans()):
                items.append(Item(code, indicator.code, draw(st.integers(1, 4)), YN))
                verdict = draw(st.sampled_from([A, R, P]))
                declared = draw(st.sampled_from([YES, NO, None]))
                answers.append(Answer(code, declared, verdict))
            else:
                items.append(Item(code, indicator.code, draw(st.integers(1, 4)), CH, UPDATED))
                declared_option = draw(st.sampled_from(["<= 1 bulan", "<= 6 bulan"]))
                verdict = draw(st.sampled_from([A, R, P, J]))
                answers.append(Answer(code, declared_option, verdict, "<= 6 bulan"))
    return items, answers


@given(bodies())
def test_points_at_stake_add_up_to_what_the_saq_lacks_to_100(
    body: tuple[list[Item], list[Answer]],
) -> None:
    items, answers = body
    groups = build_recommendations(INDICATORS, items, answers, "x")
    saq = score_saq(INDICATORS, items, answers, "x")
    at_stake = sum((g.points_at_stake for g in groups), D(0))
    assert abs(at_stake + saq.total - 100) < D("1e-8")
    for g in groups:
        assert abs(sum((i.points_at_stake for i in g.items), D(0)) - g.points_at_stake) < D("1e-8")
        stakes = [i.points_at_stake for i in g.items]
        assert stakes == sorted(stakes, reverse=True)
    totals = [g.points_at_stake for g in groups]
    assert totals == sorted(totals, reverse=True)


def test_a_recommendation_is_followed_when_the_item_now_earns_full_credit() -> None:
    followed = followed_recommendations(
        ["1.6", "2.4.1", "6.3", "9.9"],
        ITEMS,
        [Answer("1.6", YES, A), Answer("2.4.1", YES, R), Answer("6.3", "Setiap bulan", A)],
    )
    assert followed == {"1.6": True, "2.4.1": False, "6.3": False, "9.9": False}


@pytest.mark.parametrize(
    ("codes", "ordered"),
    [
        (["2.10", "2.9", "2.1.1", "2.1", "10", "2"], ["2", "2.1", "2.1.1", "2.9", "2.10", "10"]),
        (["2.3.4.0", "2.3.4"], ["2.3.4", "2.3.4.0"]),
        (["1.b", "1.a", "1.2"], ["1.2", "1.a", "1.b"]),
    ],
)
def test_item_codes_sort_in_questionnaire_order(codes: list[str], ordered: list[str]) -> None:
    assert sorted(codes, key=item_code_key) == ordered


# --- agreement and kappa ----------------------------------------------------------------------

ACC, REJ = "accepted", "rejected"


def test_identical_verdicts_of_both_kinds_have_kappa_1() -> None:
    report = agreement([(ACC, ACC), (REJ, REJ), (ACC, ACC)])
    assert report == AgreementReport(3, 3, D("100.00"), D("0.5556"), D("1.0000"))


def test_kappa_is_not_available_when_chance_agreement_is_1() -> None:
    report = agreement([(ACC, ACC)] * 5)
    assert report.percentage == 100
    assert report.chance == 1
    assert report.kappa is None


def test_the_textbook_kappa_example() -> None:
    # 50 items: both yes 20, first yes/second no 5, first no/second yes 10, both no 15.
    # po = 35/50 = 0.7; pe = (25 × 30 + 25 × 20)/2500 = 0.5; kappa = (0.7 − 0.5)/(1 − 0.5) = 0.4
    pairs = [(ACC, ACC)] * 20 + [(ACC, REJ)] * 5 + [(REJ, ACC)] * 10 + [(REJ, REJ)] * 15
    report = agreement(pairs)
    assert (report.pairs, report.agreed) == (50, 35)
    assert report.percentage == D("70.00")
    assert report.chance == D("0.5000")
    assert report.kappa == D("0.4000")


def test_complete_disagreement_has_kappa_minus_1() -> None:
    assert agreement([(ACC, REJ), (REJ, ACC)]).kappa == -1


def test_nothing_compared_reports_nothing() -> None:
    assert agreement([]) == AgreementReport(0, 0, None, None, None)


def test_independent_random_verdicts_have_kappa_near_0() -> None:
    rnd = random.Random(2026)
    pairs = [
        (ACC if rnd.random() < 0.7 else REJ, ACC if rnd.random() < 0.6 else REJ)
        for _ in range(20_000)
    ]
    report = agreement(pairs)
    assert report.kappa is not None
    assert abs(report.kappa) < D("0.03")
    assert D(50) < report.percentage < D(60)  # type: ignore[operator]  # ≈ 0.7 × 0.6 + 0.3 × 0.4


def test_three_verdict_kinds_are_supported() -> None:
    pairs = [(ACC, ACC), ("adjusted", "adjusted"), (REJ, REJ), (ACC, "adjusted")]
    report = agreement(pairs)
    # po = 3/4; pe = (2×1 + 1×2 + 1×1)/16 = 5/16; kappa = (12/16 − 5/16)/(11/16) = 7/11
    assert report.kappa == D("0.6364")


verdicts = st.sampled_from([ACC, REJ, "adjusted"])


@given(st.lists(st.tuples(verdicts, verdicts), min_size=1, max_size=60))
def test_kappa_is_bounded_and_symmetric(pairs: list[tuple[str, str]]) -> None:
    report = agreement(pairs)
    swapped = agreement([(b, a) for a, b in pairs])
    assert report == swapped
    assert 0 <= report.percentage <= 100  # type: ignore[operator]
    if report.kappa is not None:
        assert -1 <= report.kappa <= 1
        exact = Fraction(report.agreed, report.pairs)
        assert (report.kappa == 1) is (exact == 1)
    else:
        assert report.chance == 1


def test_agreement_per_group() -> None:
    rows = [("verifier 1", ACC, ACC), ("verifier 1", REJ, REJ), ("verifier 2", ACC, REJ)]
    reports = agreement_by(rows)
    assert reports["verifier 1"].kappa == 1
    assert reports["verifier 2"].agreed == 0
    assert agreement_by([]) == {}


def test_much_stricter_and_more_lenient_verifiers_are_flagged() -> None:
    # Verifier 1 accepts all 10 items; verifier 2 accepts 4 of them; verifier 3 agrees with 1.
    doubles = [DoubleVerdict(1, ACC, 2, ACC if n < 4 else REJ) for n in range(10)]
    doubles += [DoubleVerdict(3, ACC, 1, ACC) for _ in range(3)]
    report = {r.verifier_id: r for r in leniency(doubles, threshold=D(20), min_pairs=10)}
    assert (report[1].pairs, report[1].own_acceptance, report[1].others_acceptance) == (
        13,
        D("100.00"),
        D("53.85"),
    )
    assert report[1].flag == "more_lenient"
    assert (report[2].difference, report[2].flag) == (D("-60.00"), "stricter")
    assert report[3].flag is None  # only 3 items: too few to judge


def test_close_verifiers_are_not_flagged() -> None:
    doubles = [DoubleVerdict(1, ACC, 2, ACC if n else REJ) for n in range(10)]
    assert [r.flag for r in leniency(doubles)] == [None, None]  # 10 points apart < 20


# --- carry-forward ----------------------------------------------------------------------------

DECREE = ItemVersion(
    "3.1", "Keputusan penetapan PPID dan struktur PPID", "yes_no", "file", frozenset({"pdf"})
)
REPORT = ItemVersion(
    "3.8",
    "Laporan layanan informasi publik disampaikan kepada Komisi Informasi",
    "yes_no",
    "file",
    frozenset({"pdf"}),
)


def _previous(
    item: ItemVersion, accepted: bool = True, has_evidence: bool = True
) -> PreviousEvidence:
    return PreviousEvidence(item.code, item_content_hash(item), accepted, has_evidence)


def test_the_content_hash_is_stable_across_releases() -> None:
    # Stored hashes are compared with next year's: this value must never change silently.
    assert item_content_hash(DECREE) == (
        "7a3b91a9ce50a3e9ab64175f4032705b5ed77317922bd569990e033514715012"
    )


def test_an_unchanged_decree_may_be_carried_but_an_annual_report_must_be_renewed() -> None:
    plan = carry_forward_plan(
        [(REPORT, CarryPolicy.RENEW), (DECREE, CarryPolicy.ALLOW)],
        [_previous(DECREE), _previous(REPORT)],
    )
    assert [(d.item_code, d.outcome, d.eligible) for d in plan] == [
        ("3.1", CarryOutcome.ELIGIBLE, True),
        ("3.8", CarryOutcome.RENEW_REQUIRED, False),
    ]
    assert "setiap tahun" in plan[1].message


@pytest.mark.parametrize(
    ("changed", "same"),
    [
        (
            ItemVersion("3.1", "Keputusan penetapan PPID", "yes_no", "file", frozenset({"pdf"})),
            False,
        ),
        (ItemVersion("3.1", DECREE.text.upper(), "yes_no", "file", frozenset({"pdf"})), False),
        (ItemVersion("3.1", DECREE.text, "text_and_evidence", "file", frozenset({"pdf"})), False),
        (ItemVersion("3.1", DECREE.text, "yes_no", "file_or_link", frozenset({"pdf"})), False),
        (ItemVersion("3.1", DECREE.text, "yes_no", "file", frozenset({"pdf", "jpg"})), False),
        (
            ItemVersion(
                "3.1",
                "  Keputusan  penetapan PPID\ndan struktur PPID ",
                "yes_no",
                "file",
                frozenset({"pdf"}),
            ),
            True,
        ),
    ],
)
def test_any_change_of_content_stops_carrying_forward(changed: ItemVersion, same: bool) -> None:
    decision = carry_forward_decision(changed, CarryPolicy.ALLOW, _previous(DECREE))
    assert decision.eligible is same
    assert decision.outcome == (CarryOutcome.ELIGIBLE if same else CarryOutcome.ITEM_CHANGED)


def test_file_type_order_and_unicode_composition_do_not_change_the_hash() -> None:
    a = ItemVersion("x", "Caf\u00e9", "yes_no", "file", frozenset({"pdf", "jpg"}))
    b = ItemVersion("x", "Cafe\u0301", "yes_no", "file", frozenset({"jpg", "pdf"}))
    assert item_content_hash(a) == item_content_hash(b)


@pytest.mark.parametrize(
    ("previous", "outcome"),
    [
        (None, CarryOutcome.NO_PREVIOUS),
        (_previous(DECREE, accepted=False), CarryOutcome.NOT_ACCEPTED),
        (_previous(DECREE, has_evidence=False), CarryOutcome.NO_EVIDENCE),
        (PreviousEvidence("3.2", item_content_hash(DECREE), True), CarryOutcome.ITEM_CHANGED),
    ],
)
def test_only_accepted_evidence_of_the_same_item_is_carried(
    previous: PreviousEvidence | None, outcome: CarryOutcome
) -> None:
    decision = carry_forward_decision(DECREE, CarryPolicy.ALLOW, previous)
    assert decision.outcome == outcome
    assert not decision.eligible


def test_every_outcome_has_a_message() -> None:
    assert set(CARRY_MESSAGES) == set(CarryOutcome)
    assert all(CARRY_MESSAGES[o] for o in CarryOutcome)


# --- calibration sample size ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verified", "percent", "size"),
    [(100, D(5), 5), (101, D(5), 6), (7, D(5), 1), (3, D(100), 3), (0, D(5), 0), (10, D("2.5"), 1)],
)
def test_the_sample_is_the_share_rounded_up(verified: int, percent: Decimal, size: int) -> None:
    assert sample_size(verified, percent) == size


@given(st.integers(0, 500), st.decimals(min_value=0, max_value=100, places=2))
def test_the_sample_never_exceeds_the_verified_items(verified: int, percent: Decimal) -> None:
    n = sample_size(verified, percent)
    assert 0 <= n <= verified
    assert (n > 0) is (verified > 0 and percent > 0)
    assert n >= verified * percent / 100
