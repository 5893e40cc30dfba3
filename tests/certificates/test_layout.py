import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.certificates.layout import LEADING, SERIF, SERIF_BOLD, fit_text, register_fonts
from app.certificates.render import BODY_NAME, BODY_TEXT

register_fonts()


def _fits(text: str, box_width: float, box_height: float, font: str, **kw: float) -> None:
    fitted = fit_text(text, font, max_width=box_width, max_height=box_height, **kw)  # type: ignore[arg-type]
    for line in fitted.lines:
        assert stringWidth(line, font, fitted.size) <= box_width + 1e-6, (line, fitted.size)
    assert len(fitted.lines) * fitted.size * LEADING <= box_height + 1e-6
    assert " ".join(fitted.lines).replace(" ", "") == text.replace(" ", "")


def test_a_short_name_keeps_one_line_at_full_size() -> None:
    fitted = BODY_NAME.fit("Pemerintah Kota Pasuruan")
    assert fitted.lines == ("Pemerintah Kota Pasuruan",)
    assert fitted.size == BODY_NAME.max_size


def test_a_long_name_shrinks_on_one_line_before_it_wraps() -> None:
    name = "Dinas Komunikasi dan Informatika Provinsi Jawa Timur"
    fitted = BODY_NAME.fit(name)
    assert stringWidth(name, SERIF_BOLD, BODY_NAME.max_size) > BODY_NAME.width  # too long at full
    assert fitted.lines == (name,)
    assert BODY_NAME.one_line_down_to is not None
    assert BODY_NAME.one_line_down_to <= fitted.size < BODY_NAME.max_size
    assert stringWidth(name, SERIF_BOLD, fitted.size) <= BODY_NAME.width


def test_a_very_long_name_wraps_into_balanced_lines_that_fit() -> None:
    name = (
        "Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah "
        "Kabupaten Banyuwangi Provinsi Jawa Timur"
    )
    fitted = BODY_NAME.fit(name)
    assert len(fitted.lines) == 2
    widths = [stringWidth(line, SERIF_BOLD, fitted.size) for line in fitted.lines]
    assert max(widths) <= BODY_NAME.width
    assert min(widths) > 0.6 * max(widths)  # balanced, not a long line and a stub
    assert len(fitted.lines) * fitted.leading <= BODY_NAME.height


def test_a_name_too_long_for_two_lines_goes_below_the_minimum_rather_than_overflow() -> None:
    name = " ".join(["Pemerintah Kabupaten Penajam Paser Utara"] * 6)
    _fits(
        name, BODY_NAME.width, BODY_NAME.height, SERIF_BOLD, max_size=28, min_size=14, max_lines=2
    )
    assert (
        fit_text(name, SERIF_BOLD, max_width=700, max_size=28, min_size=14, max_lines=2).size < 14
    )


def test_a_single_word_wider_than_the_line_is_cut() -> None:
    word = "Informasi" * 12
    fitted = fit_text(word, SERIF_BOLD, max_width=200, max_size=28, min_size=12, max_lines=3)
    assert len(fitted.lines) > 1
    for line in fitted.lines:
        assert stringWidth(line, SERIF_BOLD, fitted.size) <= 200


def test_body_text_uses_up_to_four_lines() -> None:
    text = " ".join(["keterbukaan informasi publik"] * 12)
    fitted = BODY_TEXT.fit(text)
    assert 2 <= len(fitted.lines) <= BODY_TEXT.max_lines


def test_empty_text_has_no_lines() -> None:
    assert fit_text("   ", SERIF, max_width=100, max_size=12, min_size=8).lines == ()


words = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=25), st.integers(1, 4))
def test_fitted_text_never_overflows_its_box(parts: list[str], max_lines: int) -> None:
    _fits(" ".join(parts), 500, 70, SERIF_BOLD, max_size=28, min_size=10, max_lines=max_lines)


@pytest.mark.parametrize("font", [SERIF, SERIF_BOLD])
def test_indonesian_text_is_measured_with_the_bundled_font(font: str) -> None:
    assert stringWidth("Keterbukaan Informasi Publik", font, 12) > 100
