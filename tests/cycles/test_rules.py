from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cycles.rules import (
    DEFAULT_CONFIG,
    STAGE_CODES,
    STAGE_PRECEDENCE,
    AwardKind,
    AwardRule,
    Band,
    Combine,
    Component,
    ShortlistRule,
    StagePlan,
    TieBreak,
    award_errors,
    band_errors,
    component_errors,
    config_errors,
    effective_close,
    publish_round,
    qualify,
    shortlist,
    shortlist_errors,
    stage_at,
    stage_errors,
    tie_break_errors,
    to_local_input,
    to_utc,
)

D = Decimal
T0 = datetime(2025, 9, 1, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def scheduled(*codes: str) -> list[StagePlan]:
    return [StagePlan(c, T0 + i * 10 * DAY, T0 + (i * 10 + 5) * DAY) for i, c in enumerate(codes)]


# --- stages ------------------------------------------------------------------------------------


def test_a_usual_schedule_has_no_problems() -> None:
    assert stage_errors(scheduled("registration", "saq", "verification", "publication")) == []


@pytest.mark.parametrize(
    "order",
    [
        ("saq", "presentation", "visitasi", "plenary"),
        ("saq", "visitasi", "presentation", "plenary"),
        ("saq", "verification", "clarification", "appeal"),
    ],
)
def test_visitasi_and_clarification_may_sit_where_they_make_sense(order: tuple[str, ...]) -> None:
    assert stage_errors(scheduled(*order)) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (("verification", "saq"), "Tahap SAQ harus sebelum tahap Verifikasi."),
        (("saq", "plenary", "visitasi"), "Tahap Visitasi harus sebelum tahap Rapat pleno."),
        (
            ("saq", "clarification", "verification"),
            "Tahap Verifikasi harus sebelum tahap Klarifikasi.",
        ),
        (
            ("registration", "verification"),
            "Tahap SAQ wajib ada: tanpa SAQ tidak ada yang dinilai.",
        ),
        (("saq", "saq"), "Setiap tahap hanya boleh dipilih satu kali."),
        (("saq", "lomba"), "Tahap tidak dikenal: lomba."),
    ],
)
def test_it_explains_a_wrong_stage_order(order: tuple[str, ...], expected: str) -> None:
    assert expected in stage_errors(scheduled(*order))


def test_it_wants_every_stage_scheduled_unless_the_plan_is_a_draft() -> None:
    plans = [StagePlan("saq", T0, T0 + DAY), StagePlan("verification")]
    assert "Tahap Verifikasi belum diberi waktu buka dan tutup." in stage_errors(plans)
    assert stage_errors(plans, complete=False) == []


def test_it_refuses_a_close_before_the_open_and_dates_against_the_order() -> None:
    errors = stage_errors(
        [StagePlan("saq", T0, T0 - DAY), StagePlan("verification", T0 - 2 * DAY, T0)]
    )
    assert "Tahap SAQ: waktu tutup harus setelah waktu buka." in errors
    assert any("dibuka sebelum tahap SAQ" in e for e in errors)


def test_the_current_stage_is_the_open_one_and_the_countdown_runs_to_its_close() -> None:
    plans = scheduled("registration", "saq", "verification")
    m = stage_at(plans, T0 + 12 * DAY)
    assert m.current is not None and m.current.code == "saq"
    assert m.countdown_to == plans[1].closes_at
    assert m.upcoming is not None and m.upcoming.code == "verification"


def test_between_stages_the_countdown_runs_to_the_next_opening() -> None:
    plans = scheduled("registration", "saq")
    m = stage_at(plans, T0 + 7 * DAY)
    assert m.current is None
    assert m.upcoming is not None and m.upcoming.code == "saq"
    assert m.countdown_to == plans[1].opens_at


def test_overlapping_stages_show_the_furthest_one() -> None:
    plans = [
        StagePlan("verification", T0, T0 + 10 * DAY),
        StagePlan("clarification", T0 + 2 * DAY, T0 + 8 * DAY),
    ]
    m = stage_at(plans, T0 + 3 * DAY)
    assert m.current is not None and m.current.code == "clarification"


def test_after_the_last_stage_there_is_nothing_to_count_down_to() -> None:
    m = stage_at(scheduled("saq"), T0 + 100 * DAY)
    assert m.current is None and m.upcoming is None and m.countdown_to is None


def test_a_stage_closes_at_the_latest_of_its_close_and_its_extensions() -> None:
    assert effective_close(T0, []) == T0
    assert effective_close(T0, [T0 + DAY, T0 + 3 * DAY]) == T0 + 3 * DAY


@pytest.mark.parametrize(
    ("tz", "utc_hour"), [("Asia/Jakarta", 16), ("Asia/Makassar", 15), ("Asia/Jayapura", 14)]
)
def test_times_are_typed_in_the_commission_zone_and_stored_in_utc(tz: str, utc_hour: int) -> None:
    value = to_utc("2025-09-19T23:59", tz)
    assert value == datetime(2025, 9, 19, utc_hour, 59, tzinfo=UTC)
    assert to_local_input(value, tz) == "2025-09-19T23:59"


def test_a_time_that_is_not_a_time_is_refused() -> None:
    with pytest.raises(ValueError, match="Format waktu"):
        to_utc("besok sore", "Asia/Jakarta")


def test_the_canonical_order_of_all_stages_is_accepted() -> None:
    assert stage_errors(scheduled(*STAGE_CODES)) == []


@given(st.permutations(STAGE_CODES).flatmap(lambda p: st.just(p[: len(p) // 2 + 1])))
def test_an_order_is_accepted_exactly_when_it_keeps_every_precedence(order: list[str]) -> None:
    if "saq" not in order:
        order = ["saq", *order]
    pos = {c: i for i, c in enumerate(order)}
    keeps = all(pos[a] < pos[b] for a, b in STAGE_PRECEDENCE if a in pos and b in pos)
    assert (stage_errors(scheduled(*order)) == []) == keeps


# --- components, shortlist, tie-breaks, awards -------------------------------------------------


def test_the_default_configuration_is_valid() -> None:
    assert (
        config_errors(DEFAULT_CONFIG, stage_codes={"saq", "presentation"}, indicator_codes=set())
        == []
    )


@given(st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=5))
def test_component_weights_are_accepted_exactly_when_they_sum_to_100(weights: list[int]) -> None:
    codes = ["saq"] + [f"komponen_{i}" for i in range(1, len(weights))]
    comps = [Component(c, c.upper(), w) for c, w in zip(codes, weights, strict=True)]
    errors = component_errors(comps)
    sum_error = [e for e in errors if e.startswith("Jumlah bobot")]
    assert (sum(weights) == 100) == (not sum_error)
    assert (sum(weights) == 100) == (errors == [])


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        ([Component("presentation", "P", 100)], "Komponen SAQ (kode 'saq') wajib ada."),
        (
            [Component("saq", "S", 70), Component("saq", "S2", 30)],
            "Kode komponen nilai tidak boleh ganda.",
        ),
        ([Component("saq", "S", 100), Component("x y", "X", 0)], "Kode komponen 'x y' tidak valid"),
        ([], "Tentukan minimal satu komponen nilai (mis. SAQ 100)."),
    ],
)
def test_bad_components_are_explained(components: list[Component], expected: str) -> None:
    assert any(e.startswith(expected) for e in component_errors(components))


def test_a_component_needs_the_stage_that_scores_it() -> None:
    errors = config_errors(DEFAULT_CONFIG, stage_codes={"saq"}, indicator_codes=set())
    assert any("tahap Presentasi (uji publik), tetapi tahap itu tidak dipilih" in e for e in errors)


def test_a_shortlist_stage_needs_a_rule() -> None:
    assert shortlist_errors(ShortlistRule(), has_shortlist_stage=True)
    assert shortlist_errors(ShortlistRule(), has_shortlist_stage=False) == []
    assert shortlist_errors(ShortlistRule(threshold=D(101)), has_shortlist_stage=False)
    assert shortlist_errors(ShortlistRule(top_n=0), has_shortlist_stage=False)
    assert shortlist_errors(ShortlistRule(threshold=D("60.005")), has_shortlist_stage=False)
    assert shortlist_errors(ShortlistRule(threshold=D("60.50")), has_shortlist_stage=False) == []


def test_band_floors_have_at_most_two_decimals_like_published_scores() -> None:
    assert band_errors([Band("A", D("89.995")), Band("B", D(0))]) == [
        "Batas bawah kualifikasi paling banyak dua desimal, seperti nilai terbit."
    ]


def test_tie_breaks_name_existing_things_and_end_with_a_shared_rank() -> None:
    ok = [TieBreak("component", "saq"), TieBreak("indicator", "2"), TieBreak("shared")]
    assert tie_break_errors(ok, component_codes={"saq"}, indicator_codes={"2"}) == []
    bad = [TieBreak("shared"), TieBreak("indicator", "9"), TieBreak("undian")]
    errors = tie_break_errors(bad, component_codes={"saq"}, indicator_codes={"2"})
    assert "Penentu peringkat 'peringkat bersama' harus yang terakhir." in errors
    assert "Penentu peringkat: indikator '9' tidak ada di kuesioner." in errors
    assert "Penentu peringkat tidak dikenal: undian." in errors


def test_tie_breaks_round_trip_as_text() -> None:
    assert str(TieBreak.parse("indicator:2.1")) == "indicator:2.1"
    assert TieBreak.parse("shared") == TieBreak("shared")


def test_awards_must_name_a_band_an_indicator_or_a_count_that_exists() -> None:
    awards = [
        AwardRule(AwardKind.BAND, "Informatif", band_name="Sangat Baik"),
        AwardRule(AwardKind.TOP_N, "Terbaik", top_n=0),
        AwardRule(AwardKind.BEST_INDICATOR, "Digitalisasi Terbaik", indicator_code="7"),
        AwardRule(AwardKind.SPECIAL, ""),
    ]
    errors = award_errors(awards, band_names={"Informatif"}, indicator_codes={"6"})
    assert len(errors) == 4


def test_a_rule_describes_itself_in_indonesian() -> None:
    rule = ShortlistRule(threshold=D("62.5"), threshold_inclusive=False, top_n=5)
    assert rule.describe() == "SAQ > 62,5 atau 5 besar per kategori"
    assert ShortlistRule().describe() == "Tanpa seleksi nominasi"


# --- the shortlist -----------------------------------------------------------------------------


def test_threshold_or_top_n_takes_the_union() -> None:
    scores = {"a": D(95), "b": D(61), "c": D(55), "d": D(50), "e": D(40)}
    rule = ShortlistRule(threshold=D(60), top_n=3, combine=Combine.OR)
    assert shortlist(scores, rule) == {"a", "b", "c"}
    rule_and = ShortlistRule(threshold=D(60), top_n=3, combine=Combine.AND)
    assert shortlist(scores, rule_and) == {"a", "b"}


def test_a_tie_at_the_cut_takes_every_tied_body() -> None:
    scores = {"a": D(90), "b": D(80), "c": D(70), "d": D(70), "e": D(60)}
    assert shortlist(scores, ShortlistRule(top_n=3)) == {"a", "b", "c", "d"}


def test_the_shortlist_compares_published_rounded_scores() -> None:
    # 59.995 is published as 60,00 and so passes "SAQ ≥ 60"; 59.994 does not.
    scores = {"a": D("59.995"), "b": D("59.994")}
    assert shortlist(scores, ShortlistRule(threshold=D(60))) == {"a"}
    # a strict threshold on the published score: 60,00 is not > 60
    assert shortlist(scores, ShortlistRule(threshold=D(60), threshold_inclusive=False)) == set()
    # unrounded values that publish alike tie at the cut
    tied = {"a": D("80.004"), "b": D("80.001"), "c": D(70)}
    assert shortlist(tied, ShortlistRule(top_n=1)) == {"a", "b"}


def test_bodies_without_a_score_are_never_shortlisted() -> None:
    scores: dict[str, Decimal | None] = {"a": D(99), "b": None}
    assert shortlist(scores, ShortlistRule(top_n=5)) == {"a"}
    assert shortlist(scores, ShortlistRule()) == {"a"}


scores_st = st.dictionaries(
    st.integers(min_value=1, max_value=40),
    st.decimals(min_value=0, max_value=100, places=3),
    max_size=25,
)
rule_st = st.builds(
    ShortlistRule,
    threshold=st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
    threshold_inclusive=st.booleans(),
    top_n=st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
    combine=st.sampled_from(list(Combine)),
)


@given(scores_st, rule_st)
def test_shortlisting_depends_only_on_the_published_score(
    scores: dict[int, Decimal], rule: ShortlistRule
) -> None:
    chosen = shortlist(scores, rule)
    assert chosen <= set(scores)
    for a in chosen:
        for b, sb in scores.items():
            # a body scoring at least as high (once published) as a chosen one is chosen too
            if publish_round(sb) >= publish_round(scores[a]):
                assert b in chosen


@given(scores_st, st.integers(min_value=1, max_value=10))
def test_top_n_takes_at_least_n_bodies_and_more_only_for_ties(
    scores: dict[int, Decimal], n: int
) -> None:
    chosen = shortlist(scores, ShortlistRule(top_n=n))
    assert len(chosen) >= min(n, len(scores))
    if len(chosen) > n:
        lowest = min(publish_round(scores[k]) for k in chosen)
        above = [k for k in chosen if publish_round(scores[k]) > lowest]
        assert len(above) < n


@given(scores_st, rule_st)
def test_or_is_the_union_and_and_the_intersection(
    scores: dict[int, Decimal], rule: ShortlistRule
) -> None:
    by_threshold = shortlist(scores, ShortlistRule(rule.threshold, rule.threshold_inclusive))
    by_rank = shortlist(scores, ShortlistRule(top_n=rule.top_n))
    chosen = shortlist(scores, rule)
    if rule.threshold is None or rule.top_n is None:
        return
    if rule.combine == Combine.OR:
        assert chosen == by_threshold | by_rank
    else:
        assert chosen == by_threshold & by_rank


# --- bands: coverage ---------------------------------------------------------------------------


band_tables = st.lists(
    st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=6, unique=True
).map(lambda mins: [Band(f"K{i}", m) for i, m in enumerate(mins)])


@given(band_tables, st.decimals(min_value=0, max_value=100, places=2))
def test_a_valid_band_table_gives_every_score_exactly_one_band(
    bands: list[Band], score: Decimal
) -> None:
    if band_errors(bands):
        assert Decimal(0) not in {b.min_score for b in bands}
        return
    name = qualify(score, bands)
    chosen = next(b for b in bands if b.name == name)
    assert chosen.min_score <= score
    assert not any(chosen.min_score < b.min_score <= score for b in bands)


@given(band_tables)
def test_a_band_table_is_valid_exactly_when_it_starts_at_zero(bands: list[Band]) -> None:
    assert (band_errors(bands) == []) == (Decimal(0) in {b.min_score for b in bands})
