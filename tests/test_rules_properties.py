"""Property tests (hypothesis) for the small pure rules modules whose example tests live next to
their domains: conflicts, body import and registration checks, outbox retry policy, dashboard
totals, and the role model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.accounts.rules import BODY_ROLES, STAFF_ROLES, Actor, Role, home_sections, role_needs_body
from app.bodies.rules import BodyRow, check_body_rows, normalise_name
from app.conflicts.rules import family_of, is_conflicted
from app.dashboards.rules import STATUSES, FunnelRow, share, total_row
from app.outbox.rules import (
    MAX_BACKOFF,
    Failure,
    Status,
    after_failure,
    backoff,
    single_line,
)

ids = st.integers(min_value=1, max_value=30)
parents = st.dictionaries(ids, st.none() | ids, max_size=30)


# --- conflicts -----------------------------------------------------------------------------


@given(st.lists(ids, max_size=6), ids, parents)
def test_a_conflict_is_symmetric_between_a_body_and_its_parent(
    affiliated: list[int], body: int, parent_of: dict[int, int | None]
) -> None:
    conflicted = is_conflicted(affiliated, body, parent_of)
    expected = any(
        a == body or parent_of.get(body) == a or parent_of.get(a) == body for a in affiliated
    )
    assert conflicted == expected
    # declaring more affiliations never removes a conflict
    assert not conflicted or is_conflicted([*affiliated, body + 100], body, parent_of)


@given(ids, parents)
def test_a_body_is_always_in_its_own_family(body: int, parent_of: dict[int, int | None]) -> None:
    family = family_of(body, parent_of)
    assert body in family and len(family) <= 2


# --- bodies --------------------------------------------------------------------------------

names = st.text(alphabet="ABC abc", min_size=0, max_size=8)


@given(names, names)
def test_names_that_normalise_alike_differ_only_in_case_and_spacing(a: str, b: str) -> None:
    assert normalise_name(normalise_name(a)) == normalise_name(a)  # idempotent
    if normalise_name(a) == normalise_name(b):
        assert a.split() == b.split() or a.casefold().split() == b.casefold().split()


@given(st.lists(st.tuples(names, st.sampled_from(["", "pemkot", "zzz"])), max_size=8))
def test_every_import_row_is_judged_and_a_duplicate_name_never_passes_twice(
    raw: list[tuple[str, str]],
) -> None:
    rows = [
        BodyRow(line=i + 2, name=n, category=c, parent="", email="") for i, (n, c) in enumerate(raw)
    ]
    checked = check_body_rows(rows, category_codes={"pemkot"}, existing_names=set())
    assert len(checked) == len(raw)
    clean = [r.name for r in checked if not r.errors]
    assert len(clean) == len(set(clean))
    for r in checked:
        if r.category == "zzz" or not r.name or (not r.category and not r.parent):
            assert r.errors


# --- outbox --------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=1, max_value=3600))
def test_backoff_grows_and_is_capped(attempts: int, base: int) -> None:
    wait = backoff(attempts, base)
    assert timedelta(seconds=min(base, MAX_BACKOFF.total_seconds())) <= wait <= MAX_BACKOFF
    assert backoff(attempts + 1, base) >= wait


@given(
    st.booleans(),
    st.integers(min_value=1, max_value=10),
    st.integers(min_value=1, max_value=10),
)
def test_a_message_stops_only_when_hopeless_or_out_of_attempts(
    permanent: bool, attempts: int, max_attempts: int
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    nxt = after_failure(
        Failure("x", permanent),
        attempts=attempts,
        max_attempts=max_attempts,
        now=now,
        base_seconds=60,
    )
    if permanent or attempts >= max_attempts:
        assert nxt.status == Status.FAILED and nxt.next_attempt_at is None
    else:
        assert nxt.status == Status.PENDING and nxt.next_attempt_at is not None
        assert nxt.next_attempt_at > now


@given(st.text(max_size=400))
def test_a_header_value_never_spans_lines(text: str) -> None:
    line = single_line(text)
    assert "\n" not in line and "\r" not in line and len(line) <= 300


# --- dashboards ----------------------------------------------------------------------------

counts = st.fixed_dictionaries({k: st.integers(min_value=0, max_value=50) for k in STATUSES})


@given(st.lists(counts, max_size=5))
def test_the_total_row_is_the_sum_of_the_categories(rows: list[dict[str, int]]) -> None:
    total = total_row([FunnelRow(i, str(i), c) for i, c in enumerate(rows)])
    for key in STATUSES:
        assert total.counts[key] == sum(c[key] for c in rows)


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_a_share_is_a_whole_percentage_or_nothing(part: int, whole: int) -> None:
    text = share(part, whole)
    if whole == 0:
        assert text == ""
    else:
        assert text.endswith(" %") and int(text[:-2]) == round(100 * part / whole)


# --- roles ---------------------------------------------------------------------------------


@given(st.sets(st.sampled_from(list(Role))), st.booleans())
def test_home_sections_follow_the_roles_held(roles: set[Role], admin: bool) -> None:
    actor = Actor(user_id=1, email="a@b.id", full_name="A", is_admin=admin, roles=frozenset(roles))
    sections = home_sections(actor)
    assert ("admin" in sections) == admin
    for role in roles & STAFF_ROLES:
        assert str(role) in sections
    assert all(role_needs_body(r) == (r in BODY_ROLES) for r in Role)
