"""Conflict rules: the body, its parent, and a unit's own government."""

from __future__ import annotations

from app.conflicts.rules import family_of, is_conflicted

PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 1, 4: None}


def test_an_affiliation_with_the_body_itself_is_a_conflict() -> None:
    assert is_conflicted([4], 4, PARENTS)


def test_an_affiliation_with_the_parent_government_covers_its_units() -> None:
    assert is_conflicted([1], 2, PARENTS)


def test_a_units_staff_do_not_judge_their_own_government() -> None:
    assert is_conflicted([2], 1, PARENTS)


def test_sibling_units_and_strangers_are_not_conflicts() -> None:
    assert not is_conflicted([2], 3, PARENTS)
    assert not is_conflicted([4], 2, PARENTS)
    assert not is_conflicted([], 2, PARENTS)


def test_the_family_of_a_top_level_body_is_itself() -> None:
    assert family_of(1, PARENTS) == {1}
    assert family_of(2, PARENTS) == {1, 2}
