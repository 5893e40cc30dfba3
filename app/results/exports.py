"""Exports of a result table: CSV and XLSX (formula injection escaped), the PDF attachment of
the decree (per category: rank, body, score, qualification) and the plenary's berita acara."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.cycles.models import Cycle
from app.orgs.models import Organisation
from app.results.history import category_names
from app.results.models import Decree, ResultRow, ResultSet
from app.web.format import fmt_date, fmt_decimal

HEADERS = ["Kategori", "Peringkat", "Badan publik", "Nilai", "Kualifikasi"]


@dataclass(frozen=True)
class ExportRow:
    category: str
    rank: int | None
    body: str
    score: Decimal | None
    qualification: str


def escape_cell(value: object) -> str:
    """Text that a spreadsheet will not run as a formula (=, +, -, @ get a leading quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_rows(db: Session, rs: ResultSet) -> list[ExportRow]:
    cycle = db.get(Cycle, rs.cycle_id)
    assert cycle is not None
    cats = category_names(db, cycle)
    rows = db.execute(
        select(ResultRow, Body.name)
        .join(Body, Body.id == ResultRow.body_id)
        .where(ResultRow.result_set_id == rs.id)
        .order_by(ResultRow.category_code, ResultRow.rank.is_(None), ResultRow.rank, Body.name)
    )
    return [
        ExportRow(
            cats.get(r.category_code, r.category_code),
            r.rank,
            name,
            r.published,
            r.qualification or "Tidak dinilai",
        )
        for r, name in rows
    ]


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    """CSV with decimal dots (open data), every text cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for r in rows:
        score = "" if r.score is None else format(r.score, "f")
        writer.writerow(
            [escape_cell(r.category), r.rank or "", escape_cell(r.body), score, r.qualification]
        )
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: Sequence[ExportRow]) -> bytes:
    """XLSX with numeric scores (2 decimals) and escaped text cells."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Hasil"
    ws.append(HEADERS)
    for r in rows:
        ws.append(
            [
                escape_cell(r.category),
                r.rank,
                escape_cell(r.body),
                r.score,
                escape_cell(r.qualification),
            ]
        )
        ws.cell(row=ws.max_row, column=4).number_format = "0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _doc(title: str) -> tuple[io.BytesIO, SimpleDocTemplate]:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=title, leftMargin=2 * cm, rightMargin=2 * cm, invariant=True
    )
    return buf, doc


def decree_attachment_pdf(
    org: Organisation, cycle: Cycle, decree: Decree, rows: Sequence[ExportRow]
) -> bytes:
    """Lampiran SK: one table per category (rank, body, score, qualification)."""
    styles = getSampleStyleSheet()
    buf, doc = _doc(f"Lampiran SK {decree.sk_number}")
    story: list[object] = [
        Paragraph(f"Lampiran Keputusan {org.name}", styles["Title"]),
        Paragraph(
            f"Nomor {decree.sk_number or '(belum bernomor)'} tanggal {fmt_date(decree.sk_date)}"
            f" · {cycle.name} · versi SK {decree.version}",
            styles["Normal"],
        ),
        Spacer(1, 0.4 * cm),
    ]
    for category in dict.fromkeys(r.category for r in rows):
        story.append(Paragraph(category, styles["Heading2"]))
        data = [["Peringkat", "Badan publik", "Nilai", "Kualifikasi"]]
        data += [
            [
                str(r.rank or "–"),
                Paragraph(r.body, styles["Normal"]),
                fmt_decimal(r.score),
                r.qualification,
            ]
            for r in rows
            if r.category == category
        ]
        table = Table(data, colWidths=[2 * cm, 8.5 * cm, 2 * cm, 4.5 * cm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 0.4 * cm)]
    doc.build(story)
    return buf.getvalue()


def berita_acara_pdf(
    org: Organisation, cycle: Cycle, decree: Decree, rs: ResultSet, rows: Sequence[ExportRow]
) -> bytes:
    """Berita acara of the plenary that fixed the results: rules used and counts per band."""
    styles = getSampleStyleSheet()
    buf, doc = _doc(f"Berita Acara {cycle.name}")
    counts = Counter(r.qualification for r in rows)
    rules = rs.rules
    components = ", ".join(f"{c[1]} {c[2]}%" for c in rules.get("components", []))
    story: list[object] = [
        Paragraph("Berita Acara Rapat Pleno Penetapan Hasil Monev KIP", styles["Title"]),
        Paragraph(f"{org.name} · {cycle.name}", styles["Normal"]),
        Spacer(1, 0.4 * cm),
        Paragraph(
            f"Pada tanggal {fmt_date(decree.sk_date)} rapat pleno {org.name} menetapkan hasil "
            f"monitoring dan evaluasi keterbukaan informasi publik {cycle.year} dengan Keputusan "
            f"nomor {decree.sk_number or '(belum bernomor)'} (versi SK {decree.version}).",
            styles["Normal"],
        ),
        Spacer(1, 0.3 * cm),
    ]
    if decree.reason:
        story.append(Paragraph(f"Alasan perubahan SK: {decree.reason}", styles["Normal"]))
    story += [
        Paragraph(
            f"Perhitungan versi {rs.number}, rumus {rs.formula_version}; komponen: {components}; "
            f"penentu peringkat: {', '.join(rules.get('tie_break', []))}; "
            f"nominasi: {rules.get('shortlist', '')}.",
            styles["Normal"],
        ),
        Spacer(1, 0.3 * cm),
    ]
    data = [["Kualifikasi", "Jumlah badan publik"]]
    data += [[name, str(n)] for name, n in counts.most_common()]
    data.append(["Total", str(len(rows))])
    table = Table(data, colWidths=[8 * cm, 5 * cm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
    story += [table, Spacer(1, 1.5 * cm)]
    story.append(
        Paragraph(
            "Ketua, ____________________    Sekretaris, ____________________", styles["Normal"]
        )
    )
    doc.build(story)
    return buf.getvalue()
