"""Verification detail of one body as XLSX and PDF: per item the answer, verdict, note and
raw/verified credit, per indicator and in total raw next to verified."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.results.exports import escape_cell
from app.verification.rules import FRACTION_SCALE
from app.verification.service import Line, Sheet
from app.web.format import fmt_decimal

VERDICT_LABELS: dict[str, str] = {
    "pending": "Belum diputus",
    "accepted": "Diterima",
    "rejected": "Ditolak",
    "adjusted": "Disesuaikan",
}
HEADERS = [
    "Butir",
    "Pertanyaan",
    "Jawaban",
    "Putusan",
    "Opsi hasil",
    "Catatan",
    "Kredit mandiri",
    "Kredit terverifikasi",
]


def credit(scaled: int) -> Decimal:
    """A scaled credit as a fraction 0..1 (exact)."""
    return Decimal(scaled) / FRACTION_SCALE


def answer_text(line: Line) -> str:
    if line.answer is None:
        return "(tidak dijawab)"
    return line.answer.declared or line.answer.text_value or "(kosong)"


@dataclass(frozen=True)
class ItemRow:
    code: str
    text: str
    answer: str
    verdict: str
    option: str
    note: str
    raw: Decimal
    verified: Decimal


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    weight: int
    raw: Decimal
    verified: Decimal


def rows(sheet: Sheet) -> list[ItemRow]:
    return [
        ItemRow(
            line.item.code,
            line.item.text,
            answer_text(line),
            VERDICT_LABELS.get(line.verdict, line.verdict),
            (line.answer.verified_option if line.answer else None) or "",
            line.note,
            credit(line.raw_credit),
            credit(line.verified_credit),
        )
        for line in sheet.lines
    ]


def indicator_rows(sheet: Sheet) -> list[IndicatorRow]:
    out: list[IndicatorRow] = []
    for ind in sheet.indicators:
        try:
            raw = sheet.scores.raw.indicator(ind.code).score
            ver = sheet.scores.verified.indicator(ind.code).score
        except KeyError:
            continue
        out.append(IndicatorRow(ind.code, ind.name, ind.weight, raw, ver))
    out.append(
        IndicatorRow("", "Total SAQ", 100, sheet.scores.raw.total, sheet.scores.verified.total)
    )
    return out


def sheet_xlsx(sheet: Sheet) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Butir"
    ws.append(HEADERS)
    for r in rows(sheet):
        ws.append(
            [
                escape_cell(r.code),
                escape_cell(r.text),
                escape_cell(r.answer),
                r.verdict,
                escape_cell(r.option),
                escape_cell(r.note),
                r.raw,
                r.verified,
            ]
        )
    ws2 = wb.create_sheet("Indikator")
    ws2.append(["Kode", "Indikator", "Bobot", "Nilai mandiri", "Nilai terverifikasi"])
    for i in indicator_rows(sheet):
        ws2.append([escape_cell(i.code), escape_cell(i.name), i.weight, i.raw, i.verified])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def header(sheet: Sheet) -> list[str]:
    return [
        f"Badan publik: {sheet.body.name}",
        f"Siklus: {sheet.cycle.name} · Kategori: {sheet.category.name}",
    ]


def table(data: Sequence[Sequence[object]], widths: list[float]) -> Table:
    t = Table(data, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return t


def p(text: object) -> Paragraph:
    return Paragraph(escape(str(text)), getSampleStyleSheet()["BodyText"])


def sheet_story(sheet: Sheet) -> list[object]:
    """The tables both the export and the berita acara show."""
    ind: list[list[object]] = [["Indikator", "Bobot", "Nilai mandiri", "Nilai terverifikasi"]]
    ind += [
        [p(f"{r.code} {r.name}"), str(r.weight), fmt_decimal(r.raw), fmt_decimal(r.verified)]
        for r in indicator_rows(sheet)
    ]
    items: list[list[object]] = [
        ["Butir", "Jawaban", "Putusan", "Catatan", "Mandiri", "Verifikasi"]
    ]
    items += [
        [
            p(r.code),
            p(r.answer),
            p(f"{r.verdict} {r.option}".strip()),
            p(r.note),
            fmt_decimal(r.raw),
            fmt_decimal(r.verified),
        ]
        for r in rows(sheet)
    ]
    return [
        table(ind, [9 * cm, 2 * cm, 3 * cm, 3 * cm]),
        Spacer(1, 0.4 * cm),
        table(items, [2 * cm, 5 * cm, 3 * cm, 7 * cm, 2 * cm, 2 * cm]),
    ]


def sheet_pdf(sheet: Sheet) -> bytes:
    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        title=f"Verifikasi {sheet.body.name}",
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        invariant=True,
    )
    story: list[object] = [Paragraph("Rincian hasil verifikasi SAQ", styles["Title"])]
    story += [p(line) for line in header(sheet)]
    story += [Spacer(1, 0.4 * cm), *sheet_story(sheet)]
    doc.build(story)
    return buf.getvalue()
