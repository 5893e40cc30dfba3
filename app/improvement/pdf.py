"""The rekomendasi perbaikan as a PDF (reportlab, the bundled DejaVu fonts)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from app.certificates.layout import SANS, SANS_BOLD, register_fonts
from app.improvement.service import REASON_LABELS, RecommendationView
from app.web.format import fmt_date, fmt_decimal

_BODY = ParagraphStyle("body", fontName=SANS, fontSize=9.5, leading=13)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=11, textColor="#444444")
_H1 = ParagraphStyle("h1", fontName=SANS_BOLD, fontSize=15, leading=19, spaceAfter=6)
_H2 = ParagraphStyle("h2", fontName=SANS_BOLD, fontSize=11.5, leading=15, spaceBefore=10)
_H3 = ParagraphStyle("h3", fontName=SANS_BOLD, fontSize=10, leading=13, spaceBefore=6)


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_recommendation(view: RecommendationView, tz: str = "Asia/Jakarta") -> bytes:
    """The body's approved (or, for staff, draft) recommendations, grouped by indicator."""
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"Rekomendasi perbaikan {view.body.name} — {view.cycle.name}",
        author="Monev KIP",
    )
    story: list[object] = [
        _p(f"Rekomendasi perbaikan — {view.cycle.name}", _H1),
        _p(view.body.name, _H2),
    ]
    status = (
        f"Disetujui {fmt_date(view.rec.approved_at, tz)}"
        if view.rec.approved_at
        else "DRAF — belum disetujui sekretariat"
    )
    story.append(_p(status, _SMALL))
    story.append(
        _p(
            "Butir yang kehilangan nilai, dikelompokkan per indikator dan diurutkan menurut "
            f"poin SAQ yang dapat diraih (jumlah: {fmt_decimal(view.total)} poin).",
            _SMALL,
        )
    )
    if view.rec.summary:
        story += [Spacer(1, 6), _p(view.rec.summary)]
    if not view.groups:
        story += [Spacer(1, 8), _p("Tidak ada butir yang kehilangan nilai. Pertahankan!")]
    for code, name, total, items in view.groups:
        story.append(_p(f"Indikator {code} {name} — {fmt_decimal(total)} poin", _H2))
        for it in items:
            story.append(
                _p(
                    f"{it.item_code} {it.item_text} ({REASON_LABELS.get(it.reason, it.reason)}; "
                    f"{fmt_decimal(it.points_at_stake_value)} poin)",
                    _H3,
                )
            )
            if it.verifier_note:
                story.append(_p(f"Catatan verifikator: {it.verifier_note}", _SMALL))
            story.append(_p(f"Saran: {it.advice or it.guidance or '-'}"))
    doc.build(story)
    return out.getvalue()
