"""Bundled fonts and text fitting: a line of text shrinks, then wraps, but never leaves its box."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"

SERIF = "Piagam-Serif"
SERIF_BOLD = "Piagam-Serif-Bold"
SERIF_ITALIC = "Piagam-Serif-Italic"
SANS = "Piagam-Sans"
SANS_BOLD = "Piagam-Sans-Bold"

_FONT_FILES = {
    SERIF: "DejaVuSerif.ttf",
    SERIF_BOLD: "DejaVuSerif-Bold.ttf",
    SERIF_ITALIC: "DejaVuSerif-Italic.ttf",
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the bundled TTF fonts with reportlab once per process."""
    global _registered
    with _lock:
        if _registered:
            return
        for name, filename in _FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        # Platypus paragraphs (<b>) in run sheets map to the bold face of the same family.
        addMapping(SANS, 0, 0, SANS)
        addMapping(SANS, 1, 0, SANS_BOLD)
        addMapping(SANS, 0, 1, SANS)
        addMapping(SANS, 1, 1, SANS_BOLD)
        _registered = True


def text_width(text: str, font: str, size: float) -> float:
    """Width of `text` in points, as reportlab will draw it."""
    if not _registered:
        register_fonts()
    return float(pdfmetrics.stringWidth(text, font, size))


LEADING = 1.18  # line distance as a multiple of the font size


@dataclass(frozen=True)
class FittedText:
    """Lines of a text and the font size at which every line fits its box."""

    lines: tuple[str, ...]
    size: float

    @property
    def leading(self) -> float:
        return self.size * LEADING


def _split_long_word(word: str, font: str, limit_1pt: float) -> list[str]:
    """Cut a word wider than the whole line into pieces that fit (the last resort)."""
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and text_width(current + ch, font, 1.0) > limit_1pt:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def _wrap(words: list[str], widths: list[float], space: float, limit: float) -> list[list[int]]:
    """Greedy wrap of word indexes into lines no wider than `limit` (all widths at 1 pt)."""
    lines: list[list[int]] = []
    current: list[int] = []
    width = 0.0
    for i, w in enumerate(widths):
        extra = w if not current else space + w
        if current and width + extra > limit:
            lines.append(current)
            current, width = [i], w
        else:
            current.append(i)
            width += extra
    if current:
        lines.append(current)
    return lines


def fit_text(
    text: str,
    font: str,
    *,
    max_width: float,
    max_size: float,
    min_size: float,
    max_lines: int = 1,
    max_height: float | None = None,
    prefer_one_line_down_to: float | None = None,
) -> FittedText:
    """Fit `text` in `max_lines` lines of `max_width` (and `max_height`): keep one line while it
    can stay at least `prefer_one_line_down_to` points, else wrap (balanced lines) at the largest
    size that fits, else go below `min_size` rather than overflow the box."""
    words = text.split()
    if not words:
        return FittedText((), max_size)
    widths = [text_width(w, font, 1.0) for w in words]
    space = text_width(" ", font, 1.0)
    full = sum(widths) + space * (len(words) - 1)
    one_line_floor = prefer_one_line_down_to if prefer_one_line_down_to is not None else max_size
    one_line_size = min(max_size, max_width / full)
    if max_height is not None:
        one_line_size = min(one_line_size, max_height / LEADING)
    if one_line_size >= one_line_floor or max_lines == 1:
        size = _round_down(one_line_size)
        if size >= min_size or max_lines == 1:
            return FittedText((" ".join(words),), size)

    size = max_size
    while True:
        limit = max_width / size * (1 - 1e-9)  # float safety: never a hair too wide
        if max(widths) > limit and size <= min_size:
            # A single word is wider than the line even at the smallest size: cut it.
            words, widths = _cut_words(words, widths, font, limit)
        lines = _wrap(words, widths, space, limit)
        tall = max_height is not None and len(lines) * size * LEADING > max_height
        if len(lines) <= max_lines and max(widths) <= limit and not tall:
            return FittedText(_balanced(words, widths, space, limit, len(lines)), size)
        size = _round_down(size - 0.5)
        if size <= 1.0:  # pragma: no cover - only reachable with absurd boxes
            return FittedText(tuple(" ".join(words[i] for i in ln) for ln in lines), size)


def _cut_words(
    words: list[str], widths: list[float], font: str, limit: float
) -> tuple[list[str], list[float]]:
    out_words: list[str] = []
    for word, width in zip(words, widths, strict=True):
        out_words.extend(_split_long_word(word, font, limit) if width > limit else [word])
    return out_words, [text_width(w, font, 1.0) for w in out_words]


def _balanced(
    words: list[str], widths: list[float], space: float, limit: float, n_lines: int
) -> tuple[str, ...]:
    """The narrowest line width that still needs only `n_lines` lines (so lines are even)."""
    if n_lines == 1:
        return (" ".join(words),)
    lo, hi = max(widths), limit
    for _ in range(12):  # a 1/4096 of the line width is finer than anyone can see
        mid = (lo + hi) / 2
        if len(_wrap(words, widths, space, mid)) <= n_lines:
            hi = mid
        else:
            lo = mid
    lines = _wrap(words, widths, space, hi)
    return tuple(" ".join(words[i] for i in line) for line in lines)


def _round_down(size: float) -> float:
    """Sizes in half points, rounded down so the text still fits."""
    return int(size * 2) / 2
