"""Pure pre-check rules: text, years, keywords with similarity, reuse, page fingerprints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.precheck import rules
from app.precheck.rules import DocFacts, ItemInfo, Policy

DIP = ItemInfo(
    1, "1.6", "DIP ditetapkan dengan keputusan", ("Daftar Informasi Publik", "keputusan")
)
POLICY = Policy(cycle_year=2025)
DECREE = (
    "KEPUTUSAN KEPALA DINAS KOMINFO NOMOR 12/2025 TENTANG DAFTAR INFORMASI PUBLIK "
    "Ditetapkan pada 2 Januari 2025, mengingat UU 14 Tahun 2008."
)


def kinds(findings: list[rules.Finding]) -> set[str]:
    return {f.kind for f in findings}


def test_a_decree_for_the_item_has_no_finding() -> None:
    assert rules.examine_document(DIP, DocFacts(2, DECREE), POLICY) == []


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (DocFacts(3, ""), rules.NO_TEXT),
        (DocFacts(3, "  \n 1 \n"), rules.NO_TEXT),
        (DocFacts(3, "", image_pages=3), rules.IMAGE_ONLY),
        (DocFacts(1, "Halaman 1", image_pages=1), rules.IMAGE_ONLY),
    ],
)
def test_a_pdf_without_text_is_blank_or_a_scan(facts: DocFacts, expected: str) -> None:
    found = rules.examine_document(DIP, facts, POLICY)
    assert kinds(found) == {expected}
    assert f"{facts.pages} halaman" in found[0].reason


def test_the_blank_limit_is_a_setting() -> None:
    short = DocFacts(1, "Keputusan Daftar Informasi Publik 2025")
    assert rules.examine_document(DIP, short, Policy(2025, min_text_chars=10)) == []
    assert kinds(rules.examine_document(DIP, short, Policy(2025, min_text_chars=500))) == {
        rules.NO_TEXT
    }


@pytest.mark.parametrize(
    ("text", "old"),
    [
        (DECREE.replace("2025", "2019"), True),
        (DECREE.replace("2025", "2024"), False),  # cycle year − 1 is allowed by default
        (DECREE.replace("2025", "2019") + " diperbarui 2024", False),  # the newest year counts
        (DECREE.replace("2025", "2019").replace("2008", "") + " rencana 2031", True),
        ("Keputusan tentang Daftar Informasi Publik tanpa tahun sama sekali ditulis", False),
    ],
)
def test_an_old_document_is_suggested(text: str, old: bool) -> None:
    assert (rules.OLD_YEAR in kinds(rules.examine_document(DIP, DocFacts(1, text), POLICY))) is old


def test_per_item_ages_override_the_cycle_default() -> None:
    policy = Policy(2025, max_age_years=1, item_max_age={"1.6": 6})
    assert policy.oldest_year("1.6") == 2019 and policy.oldest_year("2.1") == 2024
    text = DECREE.replace("2025", "2019")
    assert rules.examine_document(DIP, DocFacts(1, text), policy) == []


@pytest.mark.parametrize(
    ("text", "off"),
    [
        ("Laporan perjalanan dinas ke Jakarta tahun 2025 untuk rapat kepegawaian", True),
        ("Penetapan daftar informasi publik 2025 oleh kepala dinas beserta lampiran", False),
        ("KEPUTUSANNYA ditandatangani kepala dinas pada tahun 2025 di kantor", False),
        ("Keputusn (salah ketik) kepala dinas pada tahun 2025 untuk seluruh unit", False),
        ("Daftar informasi dikecualikan yang dibuat pada tahun 2025 oleh PPID", True),
    ],
)
def test_a_document_that_never_mentions_the_item_is_suggested(text: str, off: bool) -> None:
    found = rules.examine_document(DIP, DocFacts(1, text), POLICY)
    assert (rules.OFF_TOPIC in kinds(found)) is off


def test_similar_words_must_start_alike() -> None:
    item = ItemInfo(5, "1.1", "Informasi dimutakhirkan berkala", ("informasi",))
    assert rules.relevance(item, "pembahasan formasi pegawai")[0] == []
    assert rules.relevance(item, "informasinya dimuat")[0] == ["informasi"]


def test_short_keywords_must_match_exactly() -> None:
    sk = ItemInfo(2, "3.1", "SK PPID", ("PPID",))
    assert rules.relevance(sk, "Penetapan PPID utama")[0] == ["PPID"]
    assert rules.relevance(sk, "Penetapan PPAD utama")[0] == []


def test_without_keywords_the_question_words_stand_in() -> None:
    item = ItemInfo(3, "3.2", "SOP pelayanan permohonan informasi publik")
    assert rules.content_words(item.text) == ["pelayanan", "permohonan", "informasi", "publik"]
    text = "Standar operasional pelayanan permohonan informasi di PPID tahun 2025"
    assert rules.examine_document(item, DocFacts(1, text), POLICY) == []
    other = "Daftar hadir apel pagi seluruh pegawai kantor tanggal 3 Maret 2025 lengkap"
    assert kinds(rules.examine_document(item, DocFacts(1, other), POLICY)) == {rules.OFF_TOPIC}


@given(st.text(max_size=300))
def test_normalise_gives_lowercase_ascii_words(text: str) -> None:
    norm = rules.normalise(text)
    assert norm == norm.lower() and norm.isascii() and "  " not in norm
    assert rules.normalise(norm) == norm


@given(st.lists(st.integers(min_value=1950, max_value=2099), min_size=1, max_size=8))
def test_latest_year_is_the_largest_year_not_after_next_year(years: list[int]) -> None:
    text = " tahun ".join(str(y) for y in years)
    allowed = [y for y in years if y <= 2026]
    assert rules.latest_year(text, 2025) == (max(allowed) if allowed else None)


def test_years_are_whole_four_digit_numbers() -> None:
    assert rules.years_in("NIP 197812312005011002, Rp 20250000, tahun 2024.") == [2024]


def test_related_items_share_a_group_or_a_keyword() -> None:
    a = ItemInfo(1, "2.1.1", "Profil", ("profil",), group_id=7)
    b = ItemInfo(2, "2.1.2", "Renstra", ("Renstra",), group_id=7)
    c = ItemInfo(3, "3.1", "SK PPID", ("PPID", "keputusan"), group_id=None)
    d = ItemInfo(4, "1.6", "DIP", ("Keputusan",), group_id=None)
    assert rules.items_related(a, b) and rules.items_related(c, d)
    assert not rules.items_related(a, c) and not rules.items_related(b, d)


def test_unrelated_reuse_names_the_other_items() -> None:
    a = ItemInfo(1, "2.1.1", "Profil", (), group_id=7)
    b = ItemInfo(2, "2.1.2", "Renstra", (), group_id=7)
    c = ItemInfo(3, "3.1", "SK PPID", ("PPID",))
    reuse = rules.unrelated_reuse({"x": [a, b, c], "y": [a, a], "z": [c]})
    assert {k: [o.code for o in v] for k, v in reuse.items()} == {
        ("x", 1): ["3.1"],
        ("x", 2): ["3.1"],
        ("x", 3): ["2.1.1", "2.1.2"],
    }
    assert "2.1.1, 2.1.2" in rules.duplicate_item_finding(reuse[("x", 3)]).reason


def test_duplicate_body_reason_shortens_long_lists() -> None:
    reason = rules.duplicate_body_finding(["D", "A", "B", "C", "A"]).reason
    assert "A, B, C dan 1 lainnya" in reason


def test_page_fingerprint_ignores_scripts_tags_and_spacing_of_html() -> None:
    one = rules.page_fingerprint("text/html", b"<p>DIP  2025</p><script>t=1</script>")
    two = rules.page_fingerprint(
        "text/html; charset=utf-8", b"<div>DIP 2025</div><script>2</script>"
    )
    assert one == two
    assert one != rules.page_fingerprint("text/html", b"<p>DIP 2024</p>")
    assert rules.page_fingerprint("application/pdf", b"a b") != rules.page_fingerprint(
        "application/pdf", b"a  b"
    )


def test_link_rules() -> None:
    assert kinds(rules.link_findings("login_page", "")) == {rules.LINK_WALL}
    assert kinds(rules.link_findings("access_wall", "minta akses")) == {rules.LINK_WALL}
    assert rules.link_findings("not_found", "x") == rules.link_findings("", "") == []
    assert rules.link_changed("a", "b") is not None
    assert rules.link_changed("a", "a") is None
    assert rules.link_changed("", "b") is None and rules.link_changed("a", "") is None


@given(st.integers(0, 500), st.integers(0, 500))
def test_precision_is_the_accepted_share(accepted: int, dismissed: int) -> None:
    p = rules.precision(accepted, dismissed)
    if accepted + dismissed == 0:
        assert p is None
    else:
        assert p is not None and Decimal(0) <= p <= Decimal(1)
        assert abs(p * (accepted + dismissed) - accepted) < Decimal("1e-20")
        assert (p == 1) is (dismissed == 0)


def test_item_ages_are_parsed_and_bad_lines_named() -> None:
    ages, bad = rules.parse_item_ages("1.6 = 3\n\n 2.1.8=2 \n2.1.9 dua\n=4\n3.1 = 99")
    assert ages == {"1.6": 3, "2.1.8": 2}
    assert [b.split(":")[0] for b in bad] == ["baris 4", "baris 5", "baris 6"]
    assert rules.parse_item_ages(rules.format_item_ages(ages)) == (ages, [])
