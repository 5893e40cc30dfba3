"""Pure SAQ rules: reading answers, progress, completeness, who fills what, the manifest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts.rules import Actor, Role
from app.questionnaires.rules import ItemSpec, Option
from app.submissions import rules
from app.submissions.rules import AssignmentView, ItemState, Manifest, ManifestEntry

YES_NO = ItemSpec(id=1, code="1.1", text="SK PPID", weight=1, answer_type="yes_no")
CHOICE = ItemSpec(
    id=2,
    code="1.2",
    text="Pemutakhiran",
    weight=2,
    answer_type="choice",
    options=(
        Option("Bulanan", Decimal(1)),
        Option("Tahunan", Decimal("0.5")),
        Option("Tidak", Decimal(0)),
    ),
)
TEXT = ItemSpec(id=3, code="2.1", text="Kajian", weight=1, answer_type="text_and_evidence")


@pytest.mark.parametrize(
    ("spec", "value", "text", "declared", "credit"),
    [
        (YES_NO, "ya", "", "Ya", 10_000),
        (YES_NO, "Tidak", "", "Tidak", 0),
        (YES_NO, "", "", None, 0),
        (CHOICE, "Tahunan", "", "Tahunan", 5_000),
        (CHOICE, "", "", None, 0),
        (TEXT, "", "  Kajian layanan 2025 ", "Kajian layanan 2025", 10_000),
        (TEXT, "", "   ", None, 0),
    ],
)
def test_answers_are_read_with_their_declared_credit(
    spec: ItemSpec, value: str, text: str, declared: str | None, credit: int
) -> None:
    clean = rules.clean_answer(spec, "1", value, text)
    assert (clean.declared, clean.declared_credit_scaled) == (declared, credit)


@pytest.mark.parametrize(
    ("spec", "value", "text"),
    [(YES_NO, "mungkin", ""), (CHOICE, "Mingguan", ""), (TEXT, "", "x" * (rules.MAX_TEXT + 1))],
)
def test_impossible_answers_are_refused_in_plain_words(
    spec: ItemSpec, value: str, text: str
) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        rules.clean_answer(spec, "1", value, text)


@pytest.mark.parametrize(
    ("kind", "declared", "credit", "files", "links", "status"),
    [
        ("file", None, 0, 0, 0, rules.EMPTY),
        ("file", "Ya", 10_000, 0, 0, rules.MISSING_EVIDENCE),
        ("file", "Ya", 10_000, 0, 1, rules.MISSING_EVIDENCE),  # a link is not the file asked for
        ("file", "Ya", 10_000, 1, 0, rules.ANSWERED),
        ("link", "Ya", 10_000, 1, 0, rules.MISSING_EVIDENCE),
        ("link", "Ya", 10_000, 0, 1, rules.ANSWERED),
        ("file_or_link", "Ya", 10_000, 0, 1, rules.ANSWERED),
        ("file_or_link", "Ya", 10_000, 0, 0, rules.MISSING_EVIDENCE),
        ("file", "Tidak", 0, 0, 0, rules.ANSWERED),  # "Tidak" needs no evidence
        ("none", "Ya", 10_000, 0, 0, rules.ANSWERED),
    ],
)
def test_an_item_status_follows_answer_and_evidence(
    kind: str, declared: str | None, credit: int, files: int, links: int, status: str
) -> None:
    state = ItemState(1, "1.1", 10, kind, declared, credit, files, links)
    assert state.status == status


def test_progress_is_counted_per_indicator_and_overall() -> None:
    states = [
        ItemState(1, "1.1", 10, "file", "Ya", 10_000, 1, 0),
        ItemState(2, "1.2", 10, "file", "Ya", 10_000, 0, 0),
        ItemState(3, "2.1", 20, "link", None),
        ItemState(4, "2.2", 20, "link", "Tidak"),
    ]
    per, overall = rules.progress_by_indicator([10, 20, 30], states)
    assert per[10] == rules.Progress(2, 1, 1, 0)
    assert per[20] == rules.Progress(2, 1, 0, 1)
    assert per[30] == rules.Progress()
    assert overall == rules.Progress(4, 2, 1, 1)
    assert overall.percent == 50 and not overall.is_complete
    check = rules.completeness(states)
    assert check.empty == ("2.1",) and check.missing_evidence == ("1.2",)
    assert not check.is_complete


def _actor(body_roles: dict[int, frozenset[str]], user_id: int = 7) -> Actor:
    return Actor(user_id=user_id, email="", full_name="", organisation_id=1, body_roles=body_roles)


def test_the_lead_fills_everything_and_assignees_only_their_indicators() -> None:
    op = frozenset({Role.OPERATOR})
    assignments = [AssignmentView(10, user_id=8), AssignmentView(20, unit_id=5)]
    utama = _actor({1: op}, user_id=7)
    named = _actor({1: op}, user_id=8)
    unit = _actor({5: op}, user_id=9)
    atasan = _actor({1: frozenset({Role.ATASAN_PPID})}, user_id=8)
    stranger = _actor({2: op}, user_id=10)
    ids = [10, 20, 30]
    assert rules.fillable_indicators(utama, 1, ids, assignments) == {10, 20, 30}
    assert rules.fillable_indicators(named, 1, ids, assignments) == {10}
    assert rules.fillable_indicators(unit, 1, ids, assignments) == {20}
    assert rules.fillable_indicators(atasan, 1, ids, assignments) == {10, 20, 30}
    assert rules.fillable_indicators(stranger, 1, ids, assignments) == set()
    assert rules.is_lead(utama, 1, assignments) and not rules.is_lead(named, 1, assignments)


entries = st.lists(
    st.builds(
        ManifestEntry,
        item_code=st.from_regex(r"[1-9](\.[1-9]){0,2}", fullmatch=True),
        declared=st.sampled_from([None, "Ya", "Tidak"]),
        text_value=st.text(max_size=5),
        files=st.lists(
            st.tuples(st.sampled_from(["a" * 64, "b" * 64]), st.text(max_size=4)), max_size=3
        ).map(tuple),
        links=st.lists(
            st.sampled_from(["https://a.id/x", "https://b.id/y"]), max_size=2, unique=True
        ).map(tuple),
    ),
    max_size=6,
    unique_by=lambda e: e.item_code,
)


@given(entries, st.randoms())
def test_the_manifest_hash_does_not_depend_on_order(items: list[ManifestEntry], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    reordered = [
        ManifestEntry(
            e.item_code,
            e.declared,
            e.text_value,
            tuple(reversed(e.files)),
            tuple(reversed(e.links)),
        )
        for e in shuffled
    ]
    assert Manifest(1, 2, tuple(items)).sha256 == Manifest(1, 2, tuple(reordered)).sha256


def test_the_manifest_hash_changes_with_any_answer_or_file() -> None:
    base = Manifest(1, 2, (ManifestEntry("1.1", "Ya", "", (("a" * 64, "SK.pdf"),)),))
    changed = [
        Manifest(1, 2, (ManifestEntry("1.1", "Tidak", "", (("a" * 64, "SK.pdf"),)),)),
        Manifest(1, 2, (ManifestEntry("1.1", "Ya", "", (("b" * 64, "SK.pdf"),)),)),
        Manifest(
            1, 2, (ManifestEntry("1.1", "Ya", "", (("a" * 64, "SK.pdf"),), ("https://x.id",)),)
        ),
        Manifest(3, 2, base.entries),
    ]
    assert len({base.sha256, *(m.sha256 for m in changed)}) == 5


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("1.2", "SK PPID.pdf", "1.2/5-SK PPID.pdf"),
        ("1.2", "../../etc/passwd", "1.2/5-_.._etc_passwd"),
        ("1.2", "a\x00b\nc.pdf", "1.2/5-a_b_c.pdf"),
        ("", "Laporan Ñusa.pdf", "tanpa-butir/5-Laporan Nusa.pdf"),
    ],
)
def test_archive_names_never_escape_their_folder(code: str, name: str, expected: str) -> None:
    assert rules.archive_name(code, 5, name) == expected


def test_code_order_is_numeric() -> None:
    assert sorted(["2.10", "2.9", "10.1", "1"], key=rules.code_key) == ["1", "2.9", "2.10", "10.1"]


@pytest.mark.parametrize(
    ("kw", "phrase"),
    [
        ({"status": "submitted"}, "tanda terima"),
        ({"status": "awaiting_approval", "is_atasan": True}, "setujui"),
        ({"status": "draft", "stage_open": False}, "tidak sedang terbuka"),
        ({"overall": rules.Progress(3, 1, 0, 2)}, "2 butir"),
        ({"overall": rules.Progress(3, 2, 1, 0)}, "Lengkapi bukti"),
        ({"requires_approval": True}, "atasan PPID"),
        ({}, "kirim SAQ"),
    ],
)
def test_the_next_action_names_what_to_do(kw: dict, phrase: str) -> None:  # type: ignore[type-arg]
    args = {
        "status": "draft",
        "overall": rules.Progress(3, 3, 0, 0),
        "stage_open": True,
        "is_lead": True,
        "is_atasan": False,
        "is_manager": False,
        "requires_approval": False,
        **kw,
    }
    assert phrase in rules.next_action(**args)


states = st.lists(
    st.builds(
        ItemState,
        item_id=st.integers(1, 10_000),
        code=st.just("1"),
        indicator_id=st.sampled_from([1, 2, 3]),
        evidence_kind=st.sampled_from(["none", "file", "link", "file_or_link"]),
        declared=st.sampled_from([None, "Ya", "Tidak"]),
        credit_scaled=st.sampled_from([0, 5_000, 10_000]),
        files=st.integers(0, 2),
        links=st.integers(0, 2),
    ),
    max_size=30,
)


@given(states)
def test_every_item_is_counted_once_in_exactly_one_status(items: list[ItemState]) -> None:
    per, overall = rules.progress_by_indicator([1, 2, 3], items)
    assert (
        overall.total == len(items) == overall.answered + overall.missing_evidence + overall.empty
    )
    assert sum(p.total for p in per.values()) == overall.total
    assert 0 <= overall.percent <= 100
    assert (overall.percent == 100) == (overall.is_complete and overall.total > 0)
    check = rules.completeness(items)
    assert len(check.empty) == overall.empty
    assert len(check.missing_evidence) == overall.missing_evidence
