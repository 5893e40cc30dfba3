"""The presentation schedule as PDF (reportlab), XLSX (openpyxl) and iCalendar (RFC 5545).

The .ics text is written here: a schedule needs only VEVENTs with UTC times, a UID, a summary,
a location and a description; escaping and 75-octet line folding are a few lines, so no extra
dependency is worth its upkeep.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.imports.tabular import escape_formula
from app.web.format import fmt_datetime


@dataclass(frozen=True)
class Row:
    """One presentation of the schedule, ready for any export."""

    slot_id: int
    room: str
    location: str
    meeting_url: str
    session_no: int
    starts_at: datetime
    ends_at: datetime
    body: str


def xlsx_bytes(title: str, rows: list[Row], tz: str) -> bytes:
    """The schedule as a workbook (cells escaped against formula injection)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Jadwal"
    ws.append([escape_formula(title)])
    ws["A1"].font = Font(bold=True)
    header = ["Ruang", "Lokasi", "Tautan daring", "Sesi", "Mulai", "Selesai", "Badan publik"]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(
            [
                escape_formula(r.room),
                escape_formula(r.location),
                escape_formula(r.meeting_url),
                r.session_no,
                fmt_datetime(r.starts_at, tz),
                fmt_datetime(r.ends_at, tz),
                escape_formula(r.body),
            ]
        )
    for col, width in zip("ABCDEFG", (16, 24, 30, 6, 26, 26, 40), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.created = wb.properties.modified = datetime(2000, 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pdf_bytes(title: str, rows: list[Row], tz: str) -> bytes:
    """The schedule as an A4 landscape PDF, one table per room."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        title=title,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    styles = getSampleStyleSheet()
    story: list[object] = [Paragraph(_esc(title), styles["Title"])]
    rooms: dict[str, list[Row]] = {}
    for r in rows:
        rooms.setdefault(r.room, []).append(r)
    if not rooms:
        story.append(Paragraph("Belum ada jadwal.", styles["Normal"]))
    for room, items in rooms.items():
        where = " · ".join(x for x in (items[0].location, items[0].meeting_url) if x)
        story.append(
            Paragraph(_esc(f"{room}" + (f" — {where}" if where else "")), styles["Heading2"])
        )
        data = [["Sesi", "Mulai", "Selesai", "Badan publik"]] + [
            [
                str(r.session_no),
                fmt_datetime(r.starts_at, tz),
                fmt_datetime(r.ends_at, tz),
                Paragraph(_esc(r.body), styles["Normal"]),
            ]
            for r in items
        ]
        table = Table(data, colWidths=[15 * mm, 55 * mm, 55 * mm, 140 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("GRID", (0, 0), (-1, -1), 0.25, "#999999"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 6 * mm)]
    doc.build(story)
    return out.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ics_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > limit:
            parts.append(current.decode())
            current = b""
            limit = 74  # the leading space counts
        current += b
    parts.append(current.decode())
    return "\r\n ".join(parts)


def ics_text(title: str, rows: list[Row], *, host: str, stamp: datetime) -> str:
    """The schedule as an iCalendar file (one VEVENT per presentation, times in UTC)."""
    from datetime import UTC

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Monev KIP//Jadwal presentasi//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_text(title)}",
    ]
    dtstamp = stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for r in rows:
        where = ", ".join(x for x in (r.room, r.location) if x)
        desc = f"Presentasi {r.body} di {r.room} (sesi {r.session_no})."
        if r.meeting_url:
            desc += f" Tautan daring: {r.meeting_url}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:panel-slot-{r.slot_id}@{host}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART:{r.starts_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
            f"DTEND:{r.ends_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
            f"SUMMARY:{_ics_text('Presentasi: ' + r.body)}",
            f"LOCATION:{_ics_text(where)}",
            f"DESCRIPTION:{_ics_text(desc)}",
        ]
        if r.meeting_url:
            lines.append(f"URL:{r.meeting_url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
