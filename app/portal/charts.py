"""Small server-rendered SVG charts for the public portal (no JavaScript, CSP-safe).

Only presentation attributes are used (no `style`), so the pages' CSP needs nothing extra.
Every chart has a <title> and a text table next to it on the page for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

from app.web.format import fmt_decimal

PALETTE = ("#1b6e3a", "#4f9d2d", "#d3a21a", "#d9661f", "#b3261e", "#5b6770")


def bar_chart(
    title: str, bars: Sequence[tuple[str, Decimal | int]], *, width: int = 560, unit: str = ""
) -> Markup:
    """Horizontal bars: one per (label, value)."""
    if not bars:
        return Markup("")
    row, label_w = 28, 190
    height = row * len(bars) + 10
    top = max((Decimal(v) for _, v in bars), default=Decimal(0)) or Decimal(1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" class="chart"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(bars):
        y = 5 + i * row
        w = int((Decimal(value) / top) * (width - label_w - 70)) if value else 0
        text = fmt_decimal(value) if isinstance(value, Decimal) else str(value)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="12">'
            f"{escape(label[:30])}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="18" '
            f'fill="{PALETTE[i % len(PALETTE)]}"></rect>'
            f'<text x="{label_w + w + 4}" y="{y + 17}" font-size="12">{escape(text)}{unit}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())


def line_chart(title: str, points: Sequence[tuple[int, Decimal]], *, width: int = 560) -> Markup:
    """Scores over the years (0–100 on the vertical axis)."""
    if not points:
        return Markup("")
    height, pad = 200, 36
    years = [p[0] for p in points]
    span = max(years) - min(years) or 1

    def x(year: int) -> float:
        return pad + (year - min(years)) / span * (width - 2 * pad)

    def y(score: Decimal) -> float:
        return float(height - pad - (score / 100) * (height - 2 * pad))

    coords = " ".join(f"{x(yr):.1f},{y(s):.1f}" for yr, s in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" class="chart"><title>{escape(title)}</title>',
        f'<line x1="{pad}" y1="{y(Decimal(90)):.1f}" x2="{width - pad}" y2="{y(Decimal(90)):.1f}"'
        ' stroke="#1b6e3a" stroke-dasharray="4 4"></line>',
        f'<text x="{width - pad}" y="{y(Decimal(90)) - 4:.1f}" font-size="10" '
        'text-anchor="end">90</text>',
        f'<polyline points="{coords}" fill="none" stroke="#0d6efd" stroke-width="2"></polyline>',
    ]
    for yr, s in points:
        parts.append(
            f'<circle cx="{x(yr):.1f}" cy="{y(s):.1f}" r="4" fill="#0d6efd"></circle>'
            f'<text x="{x(yr):.1f}" y="{y(s) - 8:.1f}" font-size="11" text-anchor="middle">'
            f"{escape(fmt_decimal(s))}</text>"
            f'<text x="{x(yr):.1f}" y="{height - 12}" font-size="11" text-anchor="middle">'
            f"{yr}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())
