"""Results rules: final score, qualification, ranking, awards, recompute diff, recognitions."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cycles.rules import DEFAULT_BANDS, Band, publish_round, qualify
from app.results.rules import (
    FINAL,
    FORMULA_VERSION,
    SHARED,
    VERIFIED_SAQ,
    AwardKind,
    AwardRules,
    AwardScope,
    BodyInputs,
    ComponentWeight,
    FinalScore,
    HistoryRecord,
    IndicatorAward,
    NonShortlistedPolicy,
    NonSubmitterPolicy,
    PublishedRow,
    RankingPolicy,
    RecognitionKind,
    RecognitionRules,
    RowChange,
    ScoreBasis,
    ScoringRules,
    SpecialAward,
    award_rules_errors,
    body_recognitions,
    compute_final_score,
    compute_results,
    criterion_value,
    cycle_recognitions,
    determine_awards,
    diff_results,
    informatif_streak,
    missing_components,
    most_improved,
    published_rows,
    rank_category,
    rank_results,
    scoring_rules_errors,
    tie_break_errors,
    tie_break_values,
)

D = Decimal
SAQ_ONLY_RULES = ScoringRules((ComponentWeight("saq", D(100)),))
DKI_RULES = ScoringRules((ComponentWeight("saq", D(70)), ComponentWeight("presentation", D(30))))


def _inputs(
    body_id: int,
    saq: str | None,
    presentation: str | None = None,
    *,
    category: str = "pemprov",
    shortlisted: bool = True,
    submitted: bool = True,
    indicators: Mapping[str, Decimal] | None = None,
) -> BodyInputs:
    components = {} if saq is None else {"saq": D(saq)}
    if presentation is not None:
        components["presentation"] = D(presentation)
    return BodyInputs(body_id, category, submitted, shortlisted, components, dict(indicators or {}))


def _saq_results(*rows: tuple[int, str], category: str = "pemprov") -> list[FinalScore]:
    return [compute_final_score(SAQ_ONLY_RULES, _inputs(b, s, category=category)) for b, s in rows]


# --- final score ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("saq", "presentation", "score", "published", "band"),
    [
        # 0.7 × 92.5 + 0.3 × 84.15 = 64.75 + 25.245 = 89.995 → 90,00
        ("92.5", "84.15", "89.995", "90.00", "Informatif"),
        # 0.7 × 92.5 + 0.3 × 84.1466666666 = 64.75 + 25.24399999998 → 89,99
        ("92.5", "84.1466666666", "89.9939999999", "89.99", "Menuju Informatif"),
        ("100", "100", "100", "100.00", "Informatif"),
        ("0", "0", "0", "0.00", "Tidak Informatif"),
        # 0.7 × 94.74 + 0.3 × 60 = 66.318 + 18 = 84.318
        ("94.74", "60", "84.318", "84.32", "Menuju Informatif"),
    ],
)
def test_a_shortlisted_body_gets_the_weighted_sum_of_its_components(
    saq: str, presentation: str, score: str, published: str, band: str
) -> None:
    result = compute_final_score(DKI_RULES, _inputs(1, saq, presentation))
    assert result.score == D(score)
    assert result.published == D(published)
    assert result.qualification == band
    assert result.basis == ScoreBasis.WEIGHTED
    assert [(c.code, c.points) for c in result.contributions] == [
        ("saq", D(saq) * 70 / 100),
        ("presentation", D(presentation) * 30 / 100),
    ]


@pytest.mark.parametrize(
    ("saq", "published", "band"),
    [
        ("89.995", "90.00", "Informatif"),
        ("89.994", "89.99", "Menuju Informatif"),
        ("79.995", "80.00", "Menuju Informatif"),
        ("59.9949999999", "59.99", "Kurang Informatif"),
        ("39.995", "40.00", "Kurang Informatif"),
    ],
)
def test_the_qualification_is_decided_on_the_published_rounded_score(
    saq: str, published: str, band: str
) -> None:
    result = compute_final_score(SAQ_ONLY_RULES, _inputs(1, saq))
    assert result.published == D(published)
    assert result.qualification == band


def test_the_banten_2021_three_component_formula() -> None:
    rules = ScoringRules(
        (
            ComponentWeight("website", D(30)),
            ComponentWeight("saq", D(40)),
            ComponentWeight("presentation", D(30)),
        )
    )
    inputs = BodyInputs(
        1, "pemkab_pemkot", True, True, {"website": D(80), "saq": D("90.5"), "presentation": D(70)}
    )
    # 0.3 × 80 + 0.4 × 90.5 + 0.3 × 70 = 24 + 36.2 + 21 = 81.2
    assert compute_final_score(rules, inputs).score == D("81.2")


@pytest.mark.parametrize(
    ("policy", "score", "basis"),
    [
        # Not shortlisted: the SAQ alone (DOMAIN default) …
        (NonShortlistedPolicy.SAQ_ONLY, "55.5", ScoreBasis.SAQ_ONLY),
        # … or the weighted sum with the missing presentation as 0: 0.7 × 55.5 = 38.85
        (NonShortlistedPolicy.WEIGHTED_MISSING_ZERO, "38.85", ScoreBasis.WEIGHTED_MISSING_ZERO),
    ],
)
def test_a_body_off_the_shortlist_follows_the_cycles_policy(
    policy: NonShortlistedPolicy, score: str, basis: ScoreBasis
) -> None:
    rules = ScoringRules(DKI_RULES.components, non_shortlisted=policy)
    result = compute_final_score(rules, _inputs(1, "55.5", shortlisted=False))
    assert result.score == D(score)
    assert result.basis == basis
    assert not result.shortlisted


def test_the_saq_alone_is_explained_as_one_line_of_100() -> None:
    result = compute_final_score(DKI_RULES, _inputs(1, "55.5", shortlisted=False))
    (line,) = result.contributions
    assert (line.code, line.weight, line.score, line.points) == (
        "saq",
        D(100),
        D("55.5"),
        D("55.5"),
    )


def test_a_cycle_scored_on_the_saq_alone_has_no_shortlist_distinction() -> None:
    result = compute_final_score(SAQ_ONLY_RULES, _inputs(1, "91", shortlisted=False))
    assert result.basis == ScoreBasis.WEIGHTED
    assert result.score == D(91)


@pytest.mark.parametrize(
    ("policy", "score", "published", "band", "basis"),
    [
        (
            NonSubmitterPolicy.TIDAK_INFORMATIF_ZERO,
            D(0),
            D("0.00"),
            "Tidak Informatif",
            "non_submitter_zero",
        ),
        (NonSubmitterPolicy.NOT_ASSESSED, None, None, None, "not_assessed"),
    ],
)
def test_a_body_that_did_not_submit_follows_the_cycles_policy(
    policy: NonSubmitterPolicy,
    score: Decimal | None,
    published: Decimal | None,
    band: str | None,
    basis: str,
) -> None:
    rules = ScoringRules(DKI_RULES.components, non_submitter=policy)
    result = compute_final_score(rules, _inputs(1, None, submitted=False, shortlisted=False))
    assert (result.score, result.published, result.qualification) == (score, published, band)
    assert result.basis == basis
    assert result.assessed is (score is not None)
    assert result.contributions == ()


def test_a_result_carries_the_formula_version_weights_bands_and_inputs() -> None:
    bands = (Band("Informatif", D(97)), Band("Menuju", D(80)), Band("Lainnya", D(0)))
    rules = ScoringRules(DKI_RULES.components, bands=bands)
    inputs = _inputs(7, "98", "99")
    result = compute_final_score(rules, inputs)
    assert result.formula_version == FORMULA_VERSION
    assert result.weights == DKI_RULES.components
    assert result.bands == bands
    assert result.inputs is inputs
    assert result.rules is rules
    assert result.qualification == "Informatif"  # 0.7 × 98 + 0.3 × 99 = 68.6 + 29.7 = 98.3


def test_older_scales_are_per_cycle_data() -> None:
    bands = (Band("Informatif", D(97)), Band("Menuju", D(80)), Band("Lainnya", D(0)))
    rules = ScoringRules(DKI_RULES.components, bands=bands)
    # 0.7 × 96 + 0.3 × 99 = 67.2 + 29.7 = 96.9 < 97 on the older scale.
    assert compute_final_score(rules, _inputs(1, "96", "99")).qualification == "Menuju"
    assert compute_final_score(DKI_RULES, _inputs(1, "96", "99")).qualification == "Informatif"


def test_a_shortlisted_body_needs_every_component() -> None:
    inputs = _inputs(1, "90")
    assert missing_components(DKI_RULES, inputs) == ["presentation"]
    with pytest.raises(ValueError, match="missing"):
        compute_final_score(DKI_RULES, inputs)


@pytest.mark.parametrize(
    ("inputs", "missing"),
    [
        (_inputs(1, None, shortlisted=False), ["saq"]),
        (_inputs(1, "50", shortlisted=False), []),
        (_inputs(1, None, submitted=False), []),
        (_inputs(1, None, "80"), ["saq"]),
    ],
)
def test_missing_components_per_situation(inputs: BodyInputs, missing: list[str]) -> None:
    assert missing_components(DKI_RULES, inputs) == missing


@pytest.mark.parametrize("bad", ["-0.01", "100.01", "NaN", "Infinity"])
def test_component_scores_outside_0_to_100_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="outside"):
        compute_final_score(DKI_RULES, _inputs(1, "50", bad))


def test_sound_scoring_rules_have_no_errors() -> None:
    assert scoring_rules_errors(DKI_RULES) == []
    assert scoring_rules_errors(SAQ_ONLY_RULES) == []


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        (ScoringRules((ComponentWeight("saq", D(70)),)), "harus 100"),
        (ScoringRules((ComponentWeight("saq", D(120)), ComponentWeight("p", D(-20)))), "negatif"),
        (ScoringRules((ComponentWeight("saq", D("NaN")),)), "negatif"),
        (ScoringRules((ComponentWeight("saq", D(50)), ComponentWeight("saq", D(50)))), "ganda"),
        (ScoringRules((ComponentWeight("website", D(100)),)), "SAQ"),
        (ScoringRules(SAQ_ONLY_RULES.components, bands=(Band("A", D(10)),)), "mulai dari 0"),
    ],
)
def test_scoring_rule_errors_are_explained(rules: ScoringRules, fragment: str) -> None:
    assert any(fragment in e for e in scoring_rules_errors(rules))


def test_compute_results_orders_by_category_and_refuses_a_body_twice() -> None:
    results = compute_results(
        SAQ_ONLY_RULES,
        [
            _inputs(3, "50", category="b"),
            _inputs(2, "60", category="a"),
            _inputs(1, "70", category="b"),
        ],
    )
    assert [r.body_id for r in results] == [2, 1, 3]
    with pytest.raises(ValueError, match="twice"):
        compute_results(SAQ_ONLY_RULES, [_inputs(1, "50"), _inputs(1, "60")])


scores = st.decimals(min_value=0, max_value=100, places=4)


@given(scores, scores, st.integers(0, 100))
def test_a_weighted_final_score_lies_between_its_components(
    saq: Decimal, presentation: Decimal, weight: int
) -> None:
    rules = ScoringRules(
        (ComponentWeight("saq", D(weight)), ComponentWeight("presentation", D(100 - weight)))
    )
    result = compute_final_score(rules, _inputs(1, str(saq), str(presentation)))
    assert result.score is not None and result.published is not None
    assert min(saq, presentation) <= result.score <= max(saq, presentation)
    assert result.published == publish_round(result.score)
    assert result.qualification == qualify(result.published, DEFAULT_BANDS)


@given(scores, scores, scores)
def test_a_higher_component_never_lowers_the_final_score(
    saq: Decimal, presentation: Decimal, more: Decimal
) -> None:
    low = compute_final_score(DKI_RULES, _inputs(1, str(saq), str(presentation)))
    high = compute_final_score(DKI_RULES, _inputs(1, str(max(saq, more)), str(presentation)))
    assert high.score >= low.score  # type: ignore[operator]


# --- ranking ----------------------------------------------------------------------------------

# KI Pusat 2024, Pemerintah Provinsi, after the amended decree (history.csv): NTB 98,52 rank 1,
# Kalimantan Timur 98,31 rank 2 together with another province at 98,31 (not in history.csv),
# Kalimantan Tengah rank 5 (score not published; 96,00 stands in), Kalimantan Selatan 95,74,
# Maluku 90,23. Body 4 is a stand-in at 97,00 so that Kalimantan Tengah lands on rank 5.
NTB, KALTIM, OTHER, STAND_IN, KALTENG, KALSEL, MALUKU = 1, 2, 3, 4, 5, 6, 7
PEMPROV_2024 = {
    NTB: "98.52",
    KALTIM: "98.31",
    OTHER: "98.31",
    STAND_IN: "97.00",
    KALTENG: "96.00",
    KALSEL: "95.74",
    MALUKU: "90.23",
}


def test_equal_published_scores_share_a_rank_and_the_next_rank_is_skipped() -> None:
    ranked = {
        r.body_id: r for r in rank_category(_saq_results(*PEMPROV_2024.items()), RankingPolicy())
    }
    assert [ranked[b].rank for b in (NTB, KALTIM, OTHER, STAND_IN, KALTENG, KALSEL, MALUKU)] == [
        1, 2, 2, 4, 5, 6, 7,
    ]  # fmt: skip
    assert ranked[KALTIM].shares_rank and ranked[OTHER].shares_rank
    assert not ranked[NTB].shares_rank and not ranked[STAND_IN].shares_rank


def test_scores_that_differ_only_beyond_two_decimals_share_a_rank() -> None:
    ranked = rank_category(_saq_results((1, "98.314"), (2, "98.305")), RankingPolicy())
    assert [(r.body_id, r.rank, r.published) for r in ranked] == [
        (1, 1, D("98.31")),
        (2, 1, D("98.31")),
    ]


@pytest.mark.parametrize(
    ("tie_break", "kaltim_rank", "other_rank"),
    [
        ((SHARED,), 2, 2),
        ((VERIFIED_SAQ, SHARED), 3, 2),  # the other province's SAQ is higher
        (("indicator:6", SHARED), 2, 3),  # Kalimantan Timur scored more on Digitalisasi
        (("component:presentation",), 2, 3),
        (("indicator:1", SHARED), 2, 2),  # equal on Kualitas Informasi: still shared
        ((FINAL,), 2, 2),
    ],
)
def test_the_declared_tie_break_decides_between_equal_scores(
    tie_break: tuple[str, ...], kaltim_rank: int, other_rank: int
) -> None:
    results = [
        compute_final_score(DKI_RULES, _inputs(NTB, "99", "97.6")),  # 69.3 + 29.28 = 98.58
        compute_final_score(
            DKI_RULES, _inputs(KALTIM, "98.1", "98.8", indicators={"1": D(10), "6": D(20)})
        ),  # 68.67 + 29.64 = 98.31
        compute_final_score(
            DKI_RULES, _inputs(OTHER, "99", "96.7", indicators={"1": D(10), "6": D("19.5")})
        ),  # 69.3 + 29.01 = 98.31
    ]
    ranked = {r.body_id: r for r in rank_category(results, RankingPolicy(tie_break))}
    assert ranked[NTB].rank == 1
    assert (ranked[KALTIM].rank, ranked[OTHER].rank) == (kaltim_rank, other_rank)
    assert ranked[KALTIM].shares_rank is (kaltim_rank == other_rank)


def test_shortlisted_bodies_rank_above_the_others_by_default() -> None:
    results = [
        compute_final_score(DKI_RULES, _inputs(1, "70", "60")),  # 49 + 18 = 67, shortlisted
        compute_final_score(DKI_RULES, _inputs(2, "69", shortlisted=False)),  # SAQ alone 69
    ]
    first = rank_category(results, RankingPolicy())
    assert [(r.body_id, r.rank) for r in first] == [(1, 1), (2, 2)]
    by_score = rank_category(results, RankingPolicy(shortlisted_first=False))
    assert [(r.body_id, r.rank) for r in by_score] == [(2, 1), (1, 2)]


def test_bodies_not_assessed_or_not_submitted_are_not_ranked() -> None:
    not_assessed = ScoringRules(DKI_RULES.components, non_submitter=NonSubmitterPolicy.NOT_ASSESSED)
    results = [
        compute_final_score(DKI_RULES, _inputs(1, "50", shortlisted=False)),
        compute_final_score(DKI_RULES, _inputs(2, None, submitted=False, shortlisted=False)),
        compute_final_score(not_assessed, _inputs(3, None, submitted=False, shortlisted=False)),
    ]
    assert [r.body_id for r in rank_category(results, RankingPolicy())] == [1]


def test_ranks_are_per_category() -> None:
    results = _saq_results((1, "90"), (2, "80")) + _saq_results((3, "70"), category="ptn")
    ranking = rank_results(results, RankingPolicy())
    assert {b: r.rank for b, r in ranking.items()} == {1: 1, 2: 2, 3: 1}
    with pytest.raises(ValueError, match="one category"):
        rank_category(results, RankingPolicy())


@pytest.mark.parametrize(
    ("criteria", "fragment"),
    [
        (("shared", "verified_saq"), "terakhir"),
        (("alphabetical",), "tidak dikenal"),
        (("indicator:",), "tidak dikenal"),
    ],
)
def test_bad_tie_break_policies_are_explained_and_refused(
    criteria: tuple[str, ...], fragment: str
) -> None:
    assert any(fragment in e for e in tie_break_errors(criteria))
    with pytest.raises(ValueError):
        rank_category(_saq_results((1, "90")), RankingPolicy(criteria))


def test_sound_tie_break_policies_have_no_errors() -> None:
    assert tie_break_errors(("verified_saq", "indicator:2.1", "component:visitasi", "shared")) == []
    assert tie_break_errors(()) == []


def test_tie_break_values_are_published_values_and_missing_ones_count_as_zero() -> None:
    (result,) = _saq_results((1, "98.3149"))
    assert criterion_value(result, VERIFIED_SAQ) == D("98.31")
    assert criterion_value(result, FINAL) == D("98.31")
    assert criterion_value(result, "indicator:9") == 0
    assert criterion_value(result, "component:presentation") == 0
    assert tie_break_values(result, ("final", "shared", "verified_saq")) == (D("98.31"),)
    with pytest.raises(ValueError):
        criterion_value(result, "name")


@st.composite
def categories_of_results(draw: st.DrawFn) -> list[FinalScore]:
    """Up to 12 bodies with few distinct 2-decimal scores (many ties), some off the shortlist."""
    count = draw(st.integers(1, 12))
    pool = draw(st.lists(st.decimals(0, 100, places=2), min_size=1, max_size=4))
    return [
        compute_final_score(
            SAQ_ONLY_RULES,
            _inputs(b, str(draw(st.sampled_from(pool))), shortlisted=draw(st.booleans())),
        )
        for b in range(1, count + 1)
    ]


@given(categories_of_results(), st.booleans())
def test_ranks_are_competition_ranks(results: list[FinalScore], shortlisted_first: bool) -> None:
    policy = RankingPolicy(shortlisted_first=shortlisted_first)
    ranked = rank_category(results, policy)

    def key(r: FinalScore) -> tuple[int, Decimal]:
        group = 0 if r.shortlisted or not shortlisted_first else 1
        return group, -r.published  # type: ignore[operator]

    keys = {r.body_id: key(r) for r in results}
    for r in ranked:
        ahead = sum(1 for other in results if keys[other.body_id] < keys[r.body_id])
        tied = sum(1 for other in results if keys[other.body_id] == keys[r.body_id])
        assert r.rank == ahead + 1
        assert r.shares_rank is (tied > 1)
    assert [r.rank for r in ranked] == sorted(r.rank for r in ranked)


@given(categories_of_results(), st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_input_order(
    results: list[FinalScore], rnd: random.Random
) -> None:
    shuffled = list(results)
    rnd.shuffle(shuffled)
    assert rank_category(results, RankingPolicy()) == rank_category(shuffled, RankingPolicy())


# --- awards -----------------------------------------------------------------------------------

KUALITAS = IndicatorAward("Kualitas Informasi Terbaik", "1")
SARANA = IndicatorAward("Sarana dan Prasarana Terbaik", "4")


def _jatim_2023() -> list[FinalScore]:
    rows = [
        # body, category, saq, indicators (Kualitas 10, Sarana 10)
        (1, "pemkab_pemkot", "98.64", {"1": D(10), "4": D(10)}),  # Kota Mojokerto
        (2, "pemkab_pemkot", "97.10", {"1": D(10), "4": D("9.5")}),
        (3, "pemkab_pemkot", "97.10", {"1": D("9.9"), "4": D(9)}),
        (4, "pemkab_pemkot", "96.00", {"1": D(10), "4": D(8)}),
        (5, "pemkab_pemkot", "85.00", {"1": D(7), "4": D(10)}),
        (6, "bumd", "91.00", {"1": D(9), "4": D(10)}),
        (7, "bumd", "75.00", {"1": D(9), "4": D(10)}),
    ]
    return [
        compute_final_score(SAQ_ONLY_RULES, _inputs(b, s, category=c, indicators=ind))
        for b, c, s, ind in rows
    ]


def test_awards_of_a_cycle() -> None:
    results = _jatim_2023()
    ranking = rank_results(results, RankingPolicy())
    awards = determine_awards(
        results,
        ranking,
        AwardRules(top_n_per_category=3, indicator_awards=(KUALITAS, SARANA)),
        [SpecialAward(1, "Terfavorit", "pilihan publik")],
    )
    by_kind: dict[AwardKind, list[tuple[str, int, str | None, bool]]] = {}
    for a in awards:
        by_kind.setdefault(a.kind, []).append((a.name, a.body_id, a.category, a.shared))
    assert [b for _, b, _, _ in by_kind[AwardKind.INFORMATIF]] == [6, 1, 2, 3, 4]
    # Two city bodies tie at 97,10 and share rank 2; the next (96,00) ranks 4, outside the top 3.
    assert by_kind[AwardKind.TOP] == [
        ("Terbaik 1", 6, "bumd", False),
        ("Terbaik 2", 7, "bumd", False),
        ("Terbaik 1", 1, "pemkab_pemkot", False),
        ("Terbaik 2", 2, "pemkab_pemkot", True),
        ("Terbaik 2", 3, "pemkab_pemkot", True),
    ]
    # Kualitas: three city bodies reach 10; the tie-break "final" picks Kota Mojokerto (98,64);
    # both BUMD reach 9 and 91 beats 75. Sarana: bodies 1 and 5 reach 10 among cities (98,64
    # beats 85); both BUMD reach 10 (91 beats 75).
    assert by_kind[AwardKind.INDICATOR] == [
        ("Kualitas Informasi Terbaik", 6, "bumd", False),
        ("Kualitas Informasi Terbaik", 1, "pemkab_pemkot", False),
        ("Sarana dan Prasarana Terbaik", 6, "bumd", False),
        ("Sarana dan Prasarana Terbaik", 1, "pemkab_pemkot", False),
    ]
    special = [a for a in awards if a.kind == AwardKind.SPECIAL]
    assert [(a.name, a.body_id, a.rank, a.score, a.reason) for a in special] == [
        ("Terfavorit", 1, 1, D("98.64"), "pilihan publik")
    ]
    # Kota Mojokerto won several awards, as in 2023.
    assert {a.name for a in awards if a.body_id == 1} == {
        "Informatif",
        "Terbaik 1",
        "Kualitas Informasi Terbaik",
        "Sarana dan Prasarana Terbaik",
        "Terfavorit",
    }


def test_an_indicator_award_shared_when_the_tie_break_says_so() -> None:
    results = _jatim_2023()
    shared = IndicatorAward("Kualitas Informasi Terbaik", "1", AwardScope.CYCLE, (SHARED,))
    awards = determine_awards(
        results, {}, AwardRules(False, top_n_per_category=0, indicator_awards=(shared,))
    )
    assert [(a.body_id, a.category, a.shared) for a in awards] == [
        (1, None, True),
        (2, None, True),
        (4, None, True),
    ]


def test_an_indicator_award_may_be_limited_to_a_band_and_skips_empty_categories() -> None:
    results = _jatim_2023()
    informatif_only = IndicatorAward(
        "Sarana dan Prasarana Terbaik", "4", AwardScope.CYCLE, (FINAL,), qualification="Informatif"
    )
    awards = determine_awards(
        results, {}, AwardRules(False, top_n_per_category=0, indicator_awards=(informatif_only,))
    )
    # Bodies 5 (85) and 7 (75) also reach 10 but are not Informatif; body 6 (91) reaches 10 and
    # is Informatif but loses the tie-break on the final score to Kota Mojokerto (98,64).
    assert [a.body_id for a in awards] == [1]
    nobody = IndicatorAward("Inovasi Terbaik", "7")
    assert determine_awards(results, {}, AwardRules(False, indicator_awards=(nobody,))) == ()


def test_a_special_award_for_a_body_without_a_result_is_refused() -> None:
    results = _jatim_2023()
    with pytest.raises(ValueError, match="without a result"):
        determine_awards(results, {}, AwardRules(), [SpecialAward(99, "Pimpinan Terbaik")])


def test_a_special_award_to_an_unranked_body_has_no_rank() -> None:
    results = _jatim_2023()
    (award,) = determine_awards(
        results, {}, AwardRules(all_informatif=False), [SpecialAward(7, "Pendatang Baru")]
    )
    assert (award.rank, award.category, award.score) == (None, "bumd", D("75.00"))


def test_informatif_awards_without_a_ranking_carry_no_rank() -> None:
    results = _jatim_2023()
    awards = determine_awards(results, {}, AwardRules())
    assert {a.rank for a in awards} == {None}


def test_award_rule_errors_are_explained() -> None:
    rules = AwardRules(
        top_n_per_category=-1,
        indicator_awards=(
            IndicatorAward("X", "9"),
            IndicatorAward("Y", "1", tie_break=("shared", "final")),
        ),
    )
    errors = award_rules_errors(rules, ["1", "2"])
    assert len(errors) == 3
    assert "negatif" in errors[0] and "indikator 9" in errors[1] and errors[2].startswith("Y:")
    assert award_rules_errors(AwardRules(indicator_awards=(KUALITAS,)), ["1"]) == []


# --- recompute diff ---------------------------------------------------------------------------


def _published(scores: Mapping[int, str]) -> tuple[PublishedRow, ...]:
    results = _saq_results(*scores.items())
    return published_rows(results, rank_results(results, RankingPolicy()))


def test_the_2024_amended_decree_moves_kalimantan_timur_to_rank_2() -> None:
    before = _published({**PEMPROV_2024, KALTIM: "92.31"})
    after = _published(PEMPROV_2024)
    changes = {c.body_id: c for c in diff_results(before, after)}
    assert set(changes) == {KALTIM, STAND_IN, KALTENG, KALSEL}  # NTB, the other and Maluku stay
    kaltim = changes[KALTIM]
    assert kaltim.score_delta == D("6.00")
    assert (kaltim.before.rank, kaltim.after.rank) == (6, 2)  # type: ignore[union-attr]
    assert kaltim.places_gained == 4
    assert kaltim.score_changed and kaltim.rank_changed and not kaltim.qualification_changed
    assert changes[KALTENG].places_gained == -1
    assert (changes[KALTENG].after.rank, changes[KALTENG].score_changed) == (5, False)  # type: ignore[union-attr]


def test_a_change_of_qualification_shows_in_the_diff() -> None:
    (change,) = diff_results(_published({1: "89.994"}), _published({1: "89.995"}))
    assert change.qualification_changed
    assert change.score_delta == D("0.01")
    assert change.places_gained == 0 and not change.rank_changed
    assert not change.category_changed
    assert change.category == "pemprov"


def test_bodies_entering_or_leaving_a_result_set_show_in_the_diff() -> None:
    changes = diff_results(_published({1: "80", 2: "70"}), _published({1: "80", 3: "60"}))
    assert [(c.body_id, c.before is None, c.after is None) for c in changes] == [
        (2, False, True),
        (3, True, False),
    ]
    assert all(c.score_delta is None and c.places_gained is None for c in changes)
    assert all(c.score_changed and c.rank_changed for c in changes)


def test_a_body_that_becomes_not_assessed_has_no_delta() -> None:
    before = (PublishedRow(1, "ptn", D("50.00"), "Kurang Informatif", 1),)
    after = (PublishedRow(1, "ptn", None, None, None),)
    (change,) = diff_results(before, after)
    assert change.score_delta is None and change.places_gained is None
    assert change.score_changed and change.qualification_changed and change.rank_changed


def test_a_body_moved_to_another_category_shows_in_the_diff() -> None:
    before = (PublishedRow(1, "ptn", D("50.00"), "Kurang Informatif", 1),)
    after = (PublishedRow(1, "lns", D("50.00"), "Kurang Informatif", 1),)
    (change,) = diff_results(before, after)
    assert change.category_changed and change.category == "lns"


def test_identical_result_sets_have_no_diff_and_duplicates_are_refused() -> None:
    assert diff_results(_published(PEMPROV_2024), _published(PEMPROV_2024)) == ()
    row = PublishedRow(1, "ptn", D(1), "Tidak Informatif", 1)
    with pytest.raises(ValueError, match="twice"):
        diff_results([row, row], [])
    with pytest.raises(ValueError):
        _ = RowChange(1, None, None).category


@given(
    st.dictionaries(st.integers(1, 8), st.decimals(0, 100, places=2), min_size=1),
    st.dictionaries(st.integers(1, 8), st.decimals(0, 100, places=2), min_size=1),
)
def test_applying_the_deltas_of_a_diff_gives_the_new_scores(
    old: dict[int, Decimal], new: dict[int, Decimal]
) -> None:
    before = _published({b: str(s) for b, s in old.items()})
    after = _published({b: str(s) for b, s in new.items()})
    changes = {c.body_id: c for c in diff_results(before, after)}
    for row in after:
        previous = next((r for r in before if r.body_id == row.body_id), None)
        if row.body_id not in changes:
            assert previous == row
        elif previous is not None:
            assert previous.published + changes[row.body_id].score_delta == row.published  # type: ignore[operator]
            assert previous.rank - changes[row.body_id].places_gained == row.rank  # type: ignore[operator]


# --- recognitions from history (facts from history.csv) -------------------------------------

INF, MENUJU, TIDAK = "Informatif", "Menuju Informatif", "Tidak Informatif"
KI_PUSAT_CYCLES = (2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025)
DKI = [HistoryRecord(31, y, INF, category="pemprov") for y in (2018, 2019, 2020)]
KUPANG = [HistoryRecord(53, 2023, INF), HistoryRecord(53, 2024, INF)]
PASURUAN = [HistoryRecord(35, y, TIDAK) for y in (2021, 2022, 2023)] + [
    HistoryRecord(35, 2024, INF, D("94.74"), "pemkab_pemkot")
]


def test_dki_jakarta_earns_a_hattrick_in_2020() -> None:
    (streak,) = body_recognitions(KI_PUSAT_CYCLES, DKI, 2020)
    assert streak.kind == RecognitionKind.STREAK
    assert streak.count == 3
    assert streak.label == "Informatif 3 tahun berturut-turut (hattrick)"
    assert streak.category == "pemprov"


@pytest.mark.parametrize(
    ("year", "streak"), [(2018, 1), (2019, 2), (2020, 3), (2021, 0), (2017, 0)]
)
def test_dki_jakartas_streak_year_by_year(year: int, streak: int) -> None:
    assert informatif_streak(KI_PUSAT_CYCLES, DKI, year) == streak


def test_dki_jakarta_in_2019_has_a_two_year_streak_and_is_informatif_for_the_second_time() -> None:
    kinds = {r.kind: r.label for r in body_recognitions(KI_PUSAT_CYCLES, DKI, 2019)}
    assert kinds == {
        RecognitionKind.STREAK: "Informatif 2 tahun berturut-turut",
        RecognitionKind.SECOND_TIME: "Informatif untuk kedua kalinya",
    }


def test_kota_kupang_is_informatif_for_the_second_time_in_2024() -> None:
    recognitions = body_recognitions((2023, 2024), KUPANG, 2024)
    assert RecognitionKind.SECOND_TIME in {r.kind for r in recognitions}


def test_kota_pasuruan_is_informatif_for_the_first_time_after_three_years() -> None:
    (first,) = body_recognitions((2021, 2022, 2023, 2024), PASURUAN, 2024)
    assert first.kind == RecognitionKind.FIRST_AFTER_TIDAK_INFORMATIF
    assert first.count == 3
    assert first.label == "Informatif pertama kali setelah 3 tahun Tidak Informatif"


def test_one_year_of_tidak_informatif_is_not_years() -> None:
    records = [HistoryRecord(1, 2023, TIDAK), HistoryRecord(1, 2024, INF)]
    assert body_recognitions((2023, 2024), records, 2024) == ()
    lenient = RecognitionRules(min_tidak_informatif_years=1)
    assert body_recognitions((2023, 2024), records, 2024, lenient)[0].count == 1


def test_a_year_without_a_cycle_does_not_break_a_streak() -> None:
    # The commission held no cycle in 2020.
    records = [HistoryRecord(1, y, INF) for y in (2018, 2019, 2021)]
    assert informatif_streak((2018, 2019, 2021), records, 2021) == 3


def test_a_cycle_the_body_missed_breaks_the_streak() -> None:
    records = [HistoryRecord(1, y, INF) for y in (2018, 2019, 2021)]
    assert informatif_streak((2018, 2019, 2020, 2021), records, 2021) == 1
    kinds = {r.kind for r in body_recognitions((2018, 2019, 2020, 2021), records, 2021)}
    assert kinds == set()  # third time, not a streak


def test_a_cycle_below_informatif_breaks_the_streak() -> None:
    records = [
        HistoryRecord(1, 2022, INF),
        HistoryRecord(1, 2023, MENUJU),
        HistoryRecord(1, 2024, INF),
    ]
    assert informatif_streak((2022, 2023, 2024), records, 2024) == 1
    (second,) = body_recognitions((2022, 2023, 2024), records, 2024)
    assert second.kind == RecognitionKind.SECOND_TIME


def test_years_with_results_count_as_cycles_even_when_not_listed() -> None:
    # The commission's list of cycles is incomplete, but a result in 2020 proves a cycle there.
    records = [
        HistoryRecord(1, 2019, INF),
        HistoryRecord(1, 2020, MENUJU),
        HistoryRecord(1, 2021, INF),
    ]
    assert informatif_streak((2019, 2021), records, 2021) == 1


def test_an_earlier_informatif_rules_out_first_after_tidak_informatif() -> None:
    records = [HistoryRecord(1, 2020, INF)] + [
        HistoryRecord(1, y, TIDAK) for y in (2021, 2022, 2023)
    ]
    records.append(HistoryRecord(1, 2024, INF))
    kinds = [r.kind for r in body_recognitions(range(2020, 2025), records, 2024)]
    assert kinds == [RecognitionKind.SECOND_TIME]


def test_no_recognition_in_a_year_the_body_was_not_informatif() -> None:
    assert body_recognitions(KI_PUSAT_CYCLES, PASURUAN, 2023) == ()
    assert body_recognitions(KI_PUSAT_CYCLES, PASURUAN, 2025) == ()


def test_a_longer_streak_is_not_called_a_hattrick() -> None:
    records = [HistoryRecord(1, y, INF) for y in range(2019, 2025)]
    (streak,) = [r for r in body_recognitions(range(2019, 2025), records, 2024)]
    assert streak.label == "Informatif 6 tahun berturut-turut"


@pytest.mark.parametrize(
    "records",
    [
        [HistoryRecord(1, 2020, INF), HistoryRecord(2, 2021, INF)],
        [HistoryRecord(1, 2020, INF), HistoryRecord(1, 2020, MENUJU)],
    ],
)
def test_history_must_be_one_body_with_one_result_per_year(records: list[HistoryRecord]) -> None:
    with pytest.raises(ValueError):
        informatif_streak((2020, 2021), records, 2021)


# KI Pusat 2023 → 2024 (history.csv): Kalimantan Selatan 83,71 → 95,74 (+12,03), Maluku 87,32 →
# 90,23 (+2,91); Kementerian Hukum 95,42 → 98,56 (+3,14). Kemenko PMK and Kemensos have no 2024.
KI_PUSAT_2023 = [
    HistoryRecord(61, 2023, MENUJU, D("83.71"), "pemprov"),
    HistoryRecord(62, 2023, MENUJU, D("87.32"), "pemprov"),
    HistoryRecord(71, 2023, "Kurang Informatif", D("43.64"), "kementerian"),
    HistoryRecord(72, 2023, "Kurang Informatif", D("40.56"), "kementerian"),
    HistoryRecord(73, 2023, INF, D("95.42"), "kementerian"),
]
KI_PUSAT_2024 = [
    HistoryRecord(61, 2024, INF, D("95.74"), "pemprov"),
    HistoryRecord(62, 2024, INF, D("90.23"), "pemprov"),
    HistoryRecord(73, 2024, INF, D("98.56"), "kementerian"),
    HistoryRecord(74, 2024, INF, D("97.89"), "kementerian"),
    HistoryRecord(2, 2024, INF, None, "pemprov"),  # Kalimantan Tengah: score not published
]


def test_the_most_improved_body_of_each_category() -> None:
    found = most_improved(KI_PUSAT_2024, KI_PUSAT_2023)
    assert [(r.body_id, r.category, r.gain, r.year) for r in found] == [
        (73, "kementerian", D("3.14"), 2024),
        (61, "pemprov", D("12.03"), 2024),
    ]
    assert all(r.kind == RecognitionKind.MOST_IMPROVED for r in found)


def test_most_improved_is_shared_on_equal_gains_and_needs_a_rise() -> None:
    previous = [HistoryRecord(b, 2023, None, D(60), "x") for b in (1, 2, 3)]
    current = [
        HistoryRecord(1, 2024, None, D(70), "x"),
        HistoryRecord(2, 2024, None, D(70), "x"),
        HistoryRecord(3, 2024, None, D(50), "x"),
        HistoryRecord(4, 2024, None, D(99), None),
    ]
    assert [r.body_id for r in most_improved(current, previous)] == [1, 2]
    assert most_improved(current[2:], previous) == ()


def test_every_recognition_of_a_cycle_from_the_whole_history() -> None:
    history = DKI + KI_PUSAT_2023 + KI_PUSAT_2024
    in_2020 = cycle_recognitions(KI_PUSAT_CYCLES, history, 2020)
    assert [(r.body_id, r.kind, r.count) for r in in_2020] == [(31, RecognitionKind.STREAK, 3)]
    in_2024 = cycle_recognitions(KI_PUSAT_CYCLES, history, 2024)
    assert {(r.body_id, r.kind) for r in in_2024} == {
        (73, RecognitionKind.STREAK),
        (73, RecognitionKind.SECOND_TIME),
        (61, RecognitionKind.MOST_IMPROVED),
        (73, RecognitionKind.MOST_IMPROVED),
    }
    assert cycle_recognitions((), DKI, 2018) == ()  # the first cycle: nothing to improve on


@given(
    st.lists(st.sampled_from([INF, MENUJU, TIDAK, None]), min_size=1, max_size=10),
    st.sets(st.integers(0, 9)),
)
def test_a_streak_grows_by_one_per_informatif_cycle_and_resets_otherwise(
    qualifications: list[str | None], missing: set[int]
) -> None:
    years = list(range(2010, 2010 + len(qualifications)))
    records = [
        HistoryRecord(1, y, q)
        for i, (y, q) in enumerate(zip(years, qualifications, strict=True))
        if i not in missing
    ]
    by_year = {r.year: r.qualification for r in records}
    previous = 0
    for y in years:
        streak = informatif_streak(years, records, y)
        assert streak == (previous + 1 if by_year.get(y) == INF else 0)
        previous = streak


# --- shortlist decisions (app.cycles.rules, the one shortlist evaluation) ----------------------

from app.cycles.rules import Combine, ShortlistRule, shortlist_decisions  # noqa: E402
from app.results.rules import ranking_policy, tie_break_criterion  # noqa: E402


@pytest.mark.parametrize(
    ("rule", "saq", "passes"),
    [
        (ShortlistRule(threshold=Decimal(60), threshold_inclusive=False), "60.004", False),
        (ShortlistRule(threshold=Decimal(60), threshold_inclusive=False), "60.005", True),
        (ShortlistRule(threshold=Decimal(65)), "64.995", True),
        (ShortlistRule(threshold=Decimal(65)), "64.994", False),
    ],
)
def test_the_shortlist_threshold_applies_to_the_published_saq(
    rule: ShortlistRule, saq: str, passes: bool
) -> None:
    (decision,) = shortlist_decisions({1: Decimal(saq)}, rule)
    assert decision.passes is passes


def test_shortlist_decisions_give_ranks_and_the_margin_missed() -> None:
    rule = ShortlistRule(threshold=Decimal(70), top_n=1, combine=Combine.OR)
    scores = {1: Decimal(50), 2: Decimal(40), 3: Decimal(75), 4: Decimal(75)}
    decisions = {d.key: d for d in shortlist_decisions(scores, rule)}
    assert [decisions[k].rank for k in (3, 4, 1, 2)] == [1, 1, 3, 4]
    assert decisions[1].margin == Decimal(-20) and not decisions[1].passes
    and_rule = ShortlistRule(threshold=Decimal(45), top_n=3, combine=Combine.AND)
    assert {d.key for d in shortlist_decisions(scores, and_rule) if d.passes} == {1, 3, 4}


def test_the_cycles_tie_break_list_maps_onto_the_ranking_policy() -> None:
    from dataclasses import replace

    from app.cycles.rules import DEFAULT_CONFIG, TieBreak

    config = replace(
        DEFAULT_CONFIG,
        tie_breaks=(TieBreak("component", "saq"), TieBreak("indicator", "2"), TieBreak("shared")),
        shortlisted_rank_first=False,
    )
    policy = ranking_policy(config)
    assert policy.tie_break == ("component:saq", "indicator:2", SHARED)
    assert policy.shortlisted_first is False
    with pytest.raises(ValueError):
        tie_break_criterion(TieBreak("bogus"))


@given(
    st.dictionaries(
        st.integers(0, 30),
        st.decimals(min_value=0, max_value=100, places=3, allow_nan=False),
        max_size=12,
    ),
    st.one_of(st.none(), st.integers(40, 80).map(Decimal)),
    st.one_of(st.none(), st.integers(1, 5)),
    st.sampled_from([Combine.OR, Combine.AND]),
)
def test_shortlist_decisions_agree_with_the_shortlist_and_their_margins(
    scores: dict[int, Decimal], threshold: Decimal | None, top_n: int | None, combine: Combine
) -> None:
    from app.cycles.rules import shortlist

    rule = ShortlistRule(threshold=threshold, top_n=top_n, combine=combine)
    decisions = shortlist_decisions(scores, rule)
    assert {d.key for d in decisions if d.passes} == shortlist(scores, rule)
    for d in decisions:
        if d.margin is not None:
            assert d.by_threshold == (d.margin >= 0)
        assert d.rank == 1 + sum(1 for v in scores.values() if publish_round(v) > d.published)
