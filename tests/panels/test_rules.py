"""Presentation scoring rules: rubric mapping, aggregation, normalisation, disagreement."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.panels.rules import (
    Aggregation,
    Criterion,
    JurorScore,
    PanelPolicy,
    aggregate_panel,
    aggregate_scores,
    criterion_score,
    disagreement,
    juror_body_score,
    panel_policy_errors,
    rating_errors,
)

D = Decimal
MEAN, MEDIAN, TRIMMED = Aggregation.MEAN, Aggregation.MEDIAN, Aggregation.TRIMMED_MEAN

RUBRIC = (
    Criterion("komitmen_pimpinan", D(30), D(1), D(5)),
    Criterion("inovasi", D(25), D(1), D(5)),
    Criterion("strategi", D(20), D(0), D(10)),
    Criterion("kualitas_jawaban", D(15), D(0), D(100)),
    Criterion("pimpinan_hadir", D(10), D(0), D(1)),
)


# --- rubric -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "rating", "expected"),
    [
        (Criterion("c", D(1), D(1), D(5)), "1", "0"),
        (Criterion("c", D(1), D(1), D(5)), "3", "50"),
        (Criterion("c", D(1), D(1), D(5)), "5", "100"),
        (Criterion("c", D(1), D(1), D(4)), "2", "33.3333333333"),
        (Criterion("c", D(1), D(0), D(10)), "7.5", "75"),
        (Criterion("c", D(1), D(0), D(1)), "1", "100"),
        (Criterion("c", D(1), D(-2), D(2)), "-1", "25"),
    ],
)
def test_a_rating_maps_linearly_onto_0_to_100(
    criterion: Criterion, rating: str, expected: str
) -> None:
    assert criterion_score(criterion, D(rating)) == D(expected)


def test_a_jurors_score_is_the_weighted_mean_of_the_criteria() -> None:
    ratings = {
        "komitmen_pimpinan": D(4),  # (4 − 1)/4 → 75
        "inovasi": D(5),  # 100
        "strategi": D(7),  # 70
        "kualitas_jawaban": D(82),  # 82
        "pimpinan_hadir": D(1),  # 100
    }
    # (30 × 75 + 25 × 100 + 20 × 70 + 15 × 82 + 10 × 100) / 100 = 8380 / 100 = 83.8
    assert juror_body_score(RUBRIC, ratings) == D("83.8")


def test_a_weighted_mean_with_thirds_is_truncated() -> None:
    rubric = (Criterion("a", D(1), D(1), D(4)), Criterion("b", D(2), D(0), D(1)))
    # (1 × 100/3 + 2 × 0) / 3 = 100/9 = 11.111…
    assert juror_body_score(rubric, {"a": D(2), "b": D(0)}) == D("11.1111111111")


@pytest.mark.parametrize(
    ("ratings", "fragments"),
    [
        ({"a": D(3), "b": D(1)}, []),
        ({"a": D(3)}, ["b belum dinilai"]),
        ({"a": D(6), "b": D(1)}, ["a harus antara 1 dan 5"]),
        ({"a": D(0), "b": D(1)}, ["a harus antara 1 dan 5"]),
        ({"a": D("NaN"), "b": D(1)}, ["a harus antara"]),
        ({"a": D(3), "b": D(1), "z": D(1)}, ["z tidak ada"]),
    ],
)
def test_rating_errors_explain_what_is_missing_or_off_scale(
    ratings: dict[str, Decimal], fragments: list[str]
) -> None:
    rubric = (Criterion("a", D(1), D(1), D(5)), Criterion("b", D(1), D(0), D(1)))
    errors = rating_errors(rubric, ratings)
    assert len(errors) == len(fragments)
    for error, fragment in zip(errors, fragments, strict=True):
        assert fragment in error
    if errors:
        with pytest.raises(ValueError):
            juror_body_score(rubric, ratings)


def test_a_rubric_needs_criteria() -> None:
    with pytest.raises(ValueError):
        juror_body_score((), {})


def test_an_off_scale_rating_cannot_be_mapped() -> None:
    with pytest.raises(ValueError):
        criterion_score(Criterion("c", D(1), D(1), D(5)), D(9))


@pytest.mark.parametrize(
    ("weight", "low", "high"),
    [
        (D(0), D(0), D(1)),
        (D(-1), D(0), D(1)),
        (D(1), D(5), D(5)),
        (D(1), D(5), D(1)),
        (D("NaN"), D(0), D(1)),
        (D(1), D("-Infinity"), D(1)),
    ],
)
def test_impossible_criteria_cannot_be_built(weight: Decimal, low: Decimal, high: Decimal) -> None:
    with pytest.raises(ValueError):
        Criterion("c", weight, low, high)


# --- aggregation of one body ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "method", "expected", "used"),
    [
        (["70", "80", "90"], MEAN, "80", MEAN),
        (["70", "80", "85"], MEAN, "78.3333333333", MEAN),
        (["70", "80", "95"], MEDIAN, "80", MEDIAN),
        (["70", "80", "90", "100"], MEDIAN, "85", MEDIAN),
        (["10", "80", "81", "82", "100"], TRIMMED, "81", TRIMMED),
        (["10", "80", "81", "82"], TRIMMED, "63.25", MEAN),  # 4 jurors < 5: plain mean
        (["55"], MEDIAN, "55", MEDIAN),
    ],
)
def test_each_aggregation_method(
    scores: list[str], method: Aggregation, expected: str, used: Aggregation
) -> None:
    value = aggregate_scores([D(s) for s in scores], method, trimmed_min_jurors=5)
    assert value.score == D(expected)
    assert value.method_used == used
    assert bool(value.note) is (used != method)


def test_the_result_says_when_the_trimmed_mean_fell_back_to_the_mean() -> None:
    value = aggregate_scores([D(60), D(70), D(80)], TRIMMED, trimmed_min_jurors=4)
    assert "minimal 4 juri" in value.note
    assert "hanya 3" in value.note


@pytest.mark.parametrize("scores", [[], [D(-1)], [D(101)], [D("NaN")]])
def test_impossible_score_lists_are_refused(scores: list[Decimal]) -> None:
    with pytest.raises(ValueError):
        aggregate_scores(scores, MEAN)


@pytest.mark.parametrize(
    ("scores", "threshold", "flagged"),
    [
        (["60", "80"], "20", False),  # exactly the threshold is not "more than"
        (["60", "80.01"], "20", True),
        (["75"], "0", False),
        ([], "0", False),
    ],
)
def test_disagreement_is_max_minus_min_beyond_the_threshold(
    scores: list[str], threshold: str, flagged: bool
) -> None:
    assert disagreement([D(s) for s in scores], D(threshold)) is flagged


scores_0_100 = st.decimals(min_value=0, max_value=100, places=2)


@given(st.integers(1, 9), scores_0_100, st.sampled_from(list(Aggregation)), st.integers(3, 6))
def test_the_aggregate_of_equal_scores_is_that_score(
    count: int, score: Decimal, method: Aggregation, minimum: int
) -> None:
    assert aggregate_scores([score] * count, method, minimum).score == score


@given(
    st.lists(scores_0_100, min_size=5, max_size=9),
    st.decimals(min_value=0, max_value=100, places=2),
    st.booleans(),
)
def test_the_trimmed_mean_ignores_one_outlier(
    scores: list[Decimal], outlier: Decimal, high: bool
) -> None:
    ordered = sorted(scores)
    baseline = aggregate_scores(ordered, TRIMMED, 5).score
    if high:
        moved = [*ordered[:-1], max(ordered[-1], outlier)]
    else:
        moved = [min(ordered[0], outlier), *ordered[1:]]
    assert aggregate_scores(moved, TRIMMED, 5).score == baseline


@given(st.lists(scores_0_100, min_size=1, max_size=9), st.sampled_from(list(Aggregation)))
def test_an_aggregate_lies_between_the_lowest_and_highest_score(
    scores: list[Decimal], method: Aggregation
) -> None:
    value = aggregate_scores(scores, method, 3).score
    assert min(scores) <= value <= max(scores)


@given(st.lists(scores_0_100, min_size=1, max_size=9), st.randoms(use_true_random=False))
def test_the_aggregate_does_not_depend_on_the_order_of_jurors(
    scores: list[Decimal], rnd: random.Random
) -> None:
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    for method in Aggregation:
        assert aggregate_scores(scores, method, 3) == aggregate_scores(shuffled, method, 3)


# --- a panel ----------------------------------------------------------------------------------


def _panel(rows: Sequence[tuple[int, int, str | None]]) -> list[JurorScore]:
    return [JurorScore(j, b, None if s is None else D(s)) for j, b, s in rows]


def test_abstentions_are_left_out_and_listed() -> None:
    panel = aggregate_panel(
        _panel([(1, 10, "80"), (2, 10, None), (3, 10, "90"), (1, 11, None), (2, 11, None)]),
        PanelPolicy(),
    )
    body = panel.body(10)
    assert body.score == D(85)
    assert body.abstained_juror_ids == (2,)
    assert [c.juror_id for c in body.contributions] == [1, 3]
    everyone_abstained = panel.body(11)
    assert everyone_abstained.score is None
    assert everyone_abstained.method_used is None
    assert everyone_abstained.abstained_juror_ids == (1, 2)
    assert "abstain" in everyone_abstained.note
    assert not everyone_abstained.disagreement


def test_a_panel_where_everyone_abstained_has_no_overall_statistics() -> None:
    panel = aggregate_panel(_panel([(1, 10, None)]), PanelPolicy(normalise=True))
    assert panel.overall_mean is None and panel.overall_spread is None
    assert panel.jurors == ()


def test_an_unknown_body_is_not_in_the_panel() -> None:
    with pytest.raises(KeyError):
        aggregate_panel(_panel([(1, 10, "80")]), PanelPolicy()).body(99)


@pytest.mark.parametrize(
    "rows",
    [
        [(1, 10, "80"), (1, 10, "70")],
        [(1, 10, "80"), (1, 10, None)],
        [(1, 10, None), (1, 10, "80")],
        [(1, 10, None), (1, 10, None)],
        [(1, 10, "100.01")],
    ],
)
def test_double_or_impossible_scores_are_refused(rows: list[tuple[int, int, str | None]]) -> None:
    with pytest.raises(ValueError):
        aggregate_panel(_panel(rows), PanelPolicy())


def test_bodies_beyond_the_threshold_are_flagged_for_discussion() -> None:
    panel = aggregate_panel(
        _panel([(1, 10, "60"), (2, 10, "85"), (1, 11, "70"), (2, 11, "75")]),
        PanelPolicy(disagreement_threshold=D(20)),
    )
    assert panel.body(10).spread == D(25)
    assert panel.body(10).disagreement
    assert not panel.body(11).disagreement
    assert [b.body_id for b in panel.flagged] == [10]


def test_normalisation_maps_each_juror_onto_the_panels_mean_and_spread() -> None:
    # Juror 1 gives 60/70/80, juror 2 gives 80/85/90: both rank the bodies alike but juror 2 is
    # more lenient and narrower. Overall mean 465/6 = 77.5, variance 587.5/6; each juror's
    # z-scores are −√1.5, 0, +√1.5, so both map to 77.5 ∓ √(1.5 × 587.5/6) = 77.5 ∓ √146.875.
    rows = [(1, 1, "60"), (1, 2, "70"), (1, 3, "80"), (2, 1, "80"), (2, 2, "85"), (2, 3, "90")]
    panel = aggregate_panel(_panel(rows), PanelPolicy(normalise=True, normalise_min_bodies=3))
    with localcontext() as ctx:
        ctx.prec = 40
        offset = D("146.875").sqrt()
    assert panel.overall_mean == D("77.5")
    assert abs(panel.overall_spread - D("97.91666666666666666").sqrt()) < D("1e-9")  # type: ignore[operator]
    assert panel.body(2).score == D("77.5")
    assert abs(panel.body(3).score - (D("77.5") + offset)) < D("1e-9")  # type: ignore[operator]
    assert abs(panel.body(1).score - (D("77.5") - offset)) < D("1e-9")  # type: ignore[operator]
    contributions = panel.body(3).contributions
    assert contributions[0].used == contributions[1].used  # the jurors now agree exactly
    assert contributions[0].raw == D(80) and contributions[1].raw == D(90)
    assert all(j.applied for j in panel.jurors)
    assert panel.jurors[0].mean == D(70)
    assert not panel.body(1).disagreement


@pytest.mark.parametrize(
    ("policy", "applied", "fragment"),
    [
        (PanelPolicy(normalise=False), False, "tidak dipakai"),
        (PanelPolicy(normalise=True, normalise_min_bodies=4), False, "minimal 4"),
        (PanelPolicy(normalise=True, normalise_min_bodies=3), True, "Dinormalisasi"),
    ],
)
def test_a_juror_is_normalised_only_when_the_cycle_allows_it(
    policy: PanelPolicy, applied: bool, fragment: str
) -> None:
    rows = [(1, 1, "60"), (1, 2, "70"), (1, 3, "80"), (2, 1, "80"), (2, 2, "85"), (2, 3, "90")]
    juror = aggregate_panel(_panel(rows), policy).jurors[0]
    assert juror.applied is applied
    assert fragment in juror.reason
    assert juror.bodies_scored == 3


def test_a_juror_who_gave_every_body_the_same_score_keeps_raw_scores() -> None:
    rows = [(1, 1, "70"), (1, 2, "70"), (1, 3, "70"), (2, 1, "60"), (2, 2, "80"), (2, 3, "90")]
    panel = aggregate_panel(_panel(rows), PanelPolicy(normalise=True))
    same, varied = panel.jurors
    assert not same.applied and "nilai yang sama" in same.reason
    assert varied.applied
    assert [c.used for c in panel.body(1).contributions if c.juror_id == 1] == [D(70)]


def test_normalised_scores_are_clipped_to_0_and_100() -> None:
    # Juror 1 gives 0 to bodies 1–9 and 100 to body 10 (mean 10, spread 30, so z = +3 there);
    # juror 2 alternates 0 and 100. Overall mean 600/20 = 30, variance 42000/20 = 2100, spread
    # ≈ 45.83: body 10 maps to 30 + 3 × 45.83 ≈ 167.5, clipped to 100.
    rows = [(1, b, "0") for b in range(1, 10)] + [(1, 10, "100")]
    rows += [(2, b, "100" if b % 2 == 0 else "0") for b in range(1, 11)]
    panel = aggregate_panel(_panel(rows), PanelPolicy(normalise=True))
    assert panel.overall_mean == D(30)
    (lenient,) = [c for c in panel.body(10).contributions if c.juror_id == 1]
    assert lenient.used == 100 and lenient.normalised
    # Juror 2's 100 there has z = +1 → 30 + 45.8257569495; the body's mean is below 100.
    (alternating,) = [c for c in panel.body(10).contributions if c.juror_id == 2]
    assert alternating.used == D("75.8257569495") == panel.overall_mean + panel.overall_spread  # type: ignore[operator]
    assert panel.body(10).score == D("87.9128784747")


def test_a_policy_with_sane_values_has_no_errors() -> None:
    assert panel_policy_errors(PanelPolicy()) == []


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        (PanelPolicy(trimmed_min_jurors=2), "minimal 3 juri"),
        (PanelPolicy(normalise_min_bodies=1), "minimal 2 badan"),
        (PanelPolicy(disagreement_threshold=D(-1)), "antara 0 dan 100"),
        (PanelPolicy(disagreement_threshold=D(101)), "antara 0 dan 100"),
        (PanelPolicy(disagreement_threshold=D("NaN")), "antara 0 dan 100"),
    ],
)
def test_policy_errors_are_explained(policy: PanelPolicy, fragment: str) -> None:
    assert any(fragment in e for e in panel_policy_errors(policy))


@st.composite
def panels(draw: st.DrawFn) -> list[JurorScore]:
    """Up to 5 jurors scoring up to 6 bodies, some abstaining."""
    jurors = draw(st.integers(1, 5))
    bodies = draw(st.integers(1, 6))
    rows = []
    for j in range(1, jurors + 1):
        for b in range(1, bodies + 1):
            choice = draw(st.integers(0, 8))
            if choice == 0:
                continue  # not scored at all (not in this panel's room)
            score = None if choice == 1 else draw(scores_0_100)
            rows.append(JurorScore(j, b, score))
    return rows


policies = st.builds(
    PanelPolicy,
    method=st.sampled_from(list(Aggregation)),
    trimmed_min_jurors=st.integers(3, 5),
    normalise=st.booleans(),
    normalise_min_bodies=st.integers(2, 4),
    disagreement_threshold=st.decimals(min_value=0, max_value=100, places=1),
)


@given(panels(), policies)
def test_every_score_stays_within_0_and_100(rows: list[JurorScore], policy: PanelPolicy) -> None:
    for body in aggregate_panel(rows, policy).bodies:
        for c in body.contributions:
            assert 0 <= c.used <= 100
        if body.score is not None:
            assert 0 <= body.score <= 100
            assert min(c.used for c in body.contributions) <= body.score
            assert body.score <= max(c.used for c in body.contributions)


@given(panels(), policies)
def test_normalisation_never_changes_the_order_of_one_jurors_bodies(
    rows: list[JurorScore], policy: PanelPolicy
) -> None:
    panel = aggregate_panel(rows, policy)
    per_juror: dict[int, list[tuple[Decimal, Decimal]]] = {}
    for body in panel.bodies:
        for c in body.contributions:
            per_juror.setdefault(c.juror_id, []).append((c.raw, c.used))
    for pairs in per_juror.values():
        for raw_a, used_a in pairs:
            for raw_b, used_b in pairs:
                if raw_a < raw_b:
                    assert used_a <= used_b
                if raw_a == raw_b:
                    assert used_a == used_b


@given(panels(), policies)
def test_without_normalisation_the_used_scores_are_the_raw_scores(
    rows: list[JurorScore], policy: PanelPolicy
) -> None:
    panel = aggregate_panel(rows, PanelPolicy(policy.method, policy.trimmed_min_jurors))
    for body in panel.bodies:
        assert all(c.used == c.raw and not c.normalised for c in body.contributions)


@given(panels())
def test_an_unclipped_normalised_juror_has_the_panels_mean_and_spread(
    rows: list[JurorScore],
) -> None:
    panel = aggregate_panel(rows, PanelPolicy(normalise=True, normalise_min_bodies=2))
    assert panel.overall_mean is not None or not panel.jurors
    for juror in panel.jurors:
        used = [
            c.used for b in panel.bodies for c in b.contributions if c.juror_id == juror.juror_id
        ]
        if not juror.applied or any(u in (0, 100) for u in used):
            continue
        mean = sum((Fraction(u) for u in used), Fraction(0)) / len(used)
        assert panel.overall_mean is not None and panel.overall_spread is not None
        assert abs(mean - Fraction(panel.overall_mean)) < Fraction(1, 10**8)
        variance = sum(((Fraction(u) - mean) ** 2 for u in used), Fraction(0)) / len(used)
        assert abs(D(float(variance)).sqrt() - panel.overall_spread) < D("1e-6")


@given(panels(), policies, st.randoms(use_true_random=False))
def test_the_panel_result_does_not_depend_on_the_order_of_submissions(
    rows: list[JurorScore], policy: PanelPolicy, rnd: random.Random
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert aggregate_panel(rows, policy) == aggregate_panel(shuffled, policy)


@given(st.integers(1, 5), st.integers(1, 6), scores_0_100, st.sampled_from(list(Aggregation)))
def test_a_panel_that_gave_everyone_the_same_score_returns_that_score(
    jurors: int, bodies: int, score: Decimal, method: Aggregation
) -> None:
    rows = [JurorScore(j, b, score) for j in range(jurors) for b in range(bodies)]
    panel = aggregate_panel(rows, PanelPolicy(method=method, normalise=True))
    assert all(b.score == score for b in panel.bodies)
    assert not panel.flagged


# --- schedule -----------------------------------------------------------------------------------

from app.panels.rules import Room, place_bodies, slot_times  # noqa: E402


def test_placement_spreads_bodies_evenly_and_keeps_their_order() -> None:
    result = place_bodies([1, 2, 3, 4, 5], [Room(10), Room(20)])
    assert result.rooms == {10: (1, 3, 5), 20: (2, 4)}
    assert result.unplaced == ()


def test_placement_never_puts_a_body_in_a_conflicted_room() -> None:
    result = place_bodies([1, 2, 3], [Room(10, frozenset({1, 2})), Room(20, frozenset({3}))])
    assert result.rooms == {10: (3,), 20: (1, 2)}
    everywhere = place_bodies([1, 2], [Room(10, frozenset({1})), Room(20, frozenset({1}))])
    assert everywhere.unplaced == (1,)


@given(
    st.lists(st.integers(1, 60), unique=True, max_size=30),
    st.lists(st.frozensets(st.integers(1, 60), max_size=10), min_size=1, max_size=4),
)
def test_placement_places_each_body_once_in_an_allowed_room(
    bodies: list[int], conflicts: list[frozenset[int]]
) -> None:
    rooms = [Room(i, c) for i, c in enumerate(conflicts)]
    result = place_bodies(bodies, rooms)
    seen = [b for bs in result.rooms.values() for b in bs] + list(result.unplaced)
    assert sorted(seen) == sorted(bodies)
    for room in rooms:
        assert not set(result.rooms[room.panel_id]) & room.conflicted
    for b in result.unplaced:
        assert all(b in r.conflicted for r in rooms)


def test_slots_fill_sessions_with_a_break_between_them() -> None:
    times = slot_times(5, 2, 35, 15)
    assert [(t.session_no, t.start_minute, t.end_minute) for t in times] == [
        (1, 0, 35),
        (1, 35, 70),
        (2, 85, 120),
        (2, 120, 155),
        (3, 170, 205),
    ]
    with pytest.raises(ValueError):
        slot_times(1, 0, 35, 15)
