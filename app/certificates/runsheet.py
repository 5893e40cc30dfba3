"""The ceremony kit's run sheet: the order in which awards are called, with names, categories and
qualifications, as PDF (to read from on stage) and XLSX (to edit). Both are deterministic."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from app.certificates.layout import SANS, SANS_BOLD, register_fonts
from app.certificates.render import PRODUCER
from app.certificates.rules import CertificateData, ceremony_order, fmt_score
from app.cycles.rules import publish_round
from app.imports.tabular import escape_formula

FIXED_TIME = datetime(2000, 1, 1)  # XLSX metadata and ZIP entries carry no build time
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class RunSheetRow:
    """One call on stage."""

    number: int
    award_title: str
    body: str
    category: str
    qualification: str
    score: Decimal | None  # published (2 decimals)
    rank: int | None
    serial: str


HEADERS = (
    "No.",
    "Penghargaan",
    "Badan publik",
    "Kategori",
    "Kualifikasi",
    "Nilai",
    "Peringkat",
    "Nomor seri",
)


def run_sheet_rows(certs: Sequence[CertificateData]) -> list[RunSheetRow]:
    """The awards in the order they are called (the same order as the printed certificates)."""
    return [
        RunSheetRow(
            number=i,
            award_title=c.award_title,
            body=c.body,
            category=c.category,
            qualification=c.qualification,
            score=None if c.score is None else publish_round(c.score),
            rank=c.rank,
            serial=c.serial,
        )
        for i, c in enumerate(ceremony_order(certs), start=1)
    ]


def run_sheet_pdf(certs: Sequence[CertificateData], *, title: str, subtitle: str) -> bytes:
    """The run sheet as an A4 landscape table; the header row repeats on every page."""
    register_fonts()
    rows = run_sheet_rows(certs)
    cell = ParagraphStyle("cell", fontName=SANS, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("head", parent=cell, fontName=SANS_BOLD, textColor=white)
    data: list[list[Flowable | str]] = [[Paragraph(escape(h), head) for h in HEADERS]]
    for r in rows:
        values = (
            str(r.number),
            r.award_title,
            r.body,
            r.category,
            r.qualification,
            fmt_score(r.score),
            "" if r.rank is None else str(r.rank),
            r.serial,
        )
        data.append([Paragraph(escape(v), cell) for v in values])
    widths = [10 * mm, 52 * mm, 66 * mm, 43 * mm, 27 * mm, 15 * mm, 21 * mm, 36 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HexColor("#1B3A6B")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [white, HexColor("#F1F4F9")]),
                ("GRID", (0, 0), (-1, -1), 0.4, HexColor("#9AA7BD")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), SANS, 8.5),  # cells default to Helvetica
            ]
        )
    )
    heading = ParagraphStyle("h", fontName=SANS_BOLD, fontSize=14, leading=18)
    sub = ParagraphStyle("s", fontName=SANS, fontSize=10, leading=13)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author=PRODUCER,
        creator=PRODUCER,
        producer=PRODUCER,
        invariant=1,
        initialFontName=SANS,  # else every page names Helvetica, a font we do not embed
        initialFontSize=10,
    )
    doc.build(
        [
            Paragraph(escape(title), heading),
            Paragraph(escape(subtitle), sub),
            Spacer(1, 4 * mm),
            table,
        ]
    )
    return out.getvalue()


def run_sheet_xlsx(certs: Sequence[CertificateData], *, title: str) -> bytes:
    """The run sheet as a spreadsheet; text that a spreadsheet would run as a formula is escaped."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Susunan acara"
    ws.append([escape_formula(title)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1B3A6B")
    for r in run_sheet_rows(certs):
        ws.append(
            [
                r.number,
                escape_formula(r.award_title),
                escape_formula(r.body),
                escape_formula(r.category),
                escape_formula(r.qualification),
                r.score,
                r.rank,
                escape_formula(r.serial),
            ]
        )
    for i, width in enumerate((6, 34, 48, 32, 20, 9, 10, 16), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        row[5].number_format = "0.00"  # shown with the reader's decimal mark (94,74 in id-ID)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:H{ws.max_row}"
    wb.properties.creator = PRODUCER
    wb.properties.title = title
    wb.properties.created = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip_times(raw.getvalue())


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite an XLSX (a ZIP) with fixed entry times and a fixed `modified` property (openpyxl
    stamps the time of saving), so the same data gives the same bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            dst.writestr(info, content)
    return out.getvalue()
