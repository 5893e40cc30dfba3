"""The receipt (tanda terima) of a sent SAQ as PDF, and the evidence export as a streamed ZIP.

The receipt is rebuilt from the frozen answers each time it is downloaded; its manifest hash
must equal the one stored at submit (`Submission.receipt_sha256`), so a receipt can never show
anything but what was sent.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.certificates.layout import SANS, SANS_BOLD, register_fonts
from app.evidence.storage import BlobNotFound, Storage, blob_key, get_storage
from app.imports.tabular import escape_formula
from app.submissions import rules
from app.web.format import fmt_datetime

log = logging.getLogger("monev.submissions")


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a receipt (plain data, so the PDF is a pure function of it)."""

    commission: str
    body: str
    category: str
    cycle: str
    submitted_at: datetime
    submitted_by: str
    approved_by: str
    tz: str
    indicators: list[tuple[str, str, rules.Progress]]
    manifest: rules.Manifest


def render_receipt(data: ReceiptData) -> bytes:
    """The tanda terima PDF: who sent what, when, counts per indicator and the sha256 manifest."""
    register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Tanda terima SAQ {data.body}",
        author=data.commission,
        invariant=1,
    )
    h = ParagraphStyle("h", fontName=SANS_BOLD, fontSize=15, leading=19, spaceAfter=4)
    p = ParagraphStyle("p", fontName=SANS, fontSize=9.5, leading=13)
    small = ParagraphStyle("s", fontName=SANS, fontSize=7.5, leading=9.5)
    story = [
        Paragraph(escape(data.commission), p),
        Paragraph("Tanda Terima Pengisian SAQ", h),
        Paragraph(
            f"Badan publik: <b>{escape(data.body)}</b> ({escape(data.category)})<br/>"
            f"Siklus: {escape(data.cycle)}<br/>"
            f"Dikirim: {escape(fmt_datetime(data.submitted_at, data.tz))} oleh "
            f"{escape(data.submitted_by)}"
            + (
                f"<br/>Disetujui atasan PPID: {escape(data.approved_by)}"
                if data.approved_by
                else ""
            ),
            p,
        ),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[str]] = [["Indikator", "Butir", "Terisi", "Bukti kurang", "Kosong"]]
    for code, name, pr in data.indicators:
        rows.append(
            [
                f"{code}. {name}",
                str(pr.total),
                str(pr.answered),
                str(pr.missing_evidence),
                str(pr.empty),
            ]
        )
    table = Table(rows, colWidths=[85 * mm, 20 * mm, 20 * mm, 25 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 8.5),
                ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8.5),
                ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    story += [table, Spacer(1, 5 * mm)]
    story.append(
        Paragraph(
            f"Sidik (sha256) manifes jawaban dan data dukung: <b>{data.manifest.sha256}</b>", p
        )
    )
    story.append(Spacer(1, 3 * mm))
    for e in sorted(data.manifest.entries, key=lambda e: rules.code_key(e.item_code)):
        parts = [f"<b>{escape(e.item_code)}</b>: {escape(e.declared or '(kosong)')}"]
        parts += [f"berkas {escape(n)} sha256 {h_}" for h_, n in sorted(e.files)]
        parts += [f"tautan {escape(u)}" for u in sorted(e.links)]
        story.append(Paragraph(" · ".join(parts), small))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            "Dokumen ini dibuat otomatis oleh sistem Monev KIP. Sidik di atas dihitung dari "
            "jawaban dan data dukung yang dibekukan saat pengiriman.",
            small,
        )
    )
    doc.build(story)
    return buf.getvalue()


# --- evidence export -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """One file of the export: where it goes in the ZIP and which blob it is."""

    arcname: str
    sha256: str
    size: int
    item_code: str
    original_name: str


@dataclass(frozen=True)
class ExportLink:
    item_code: str
    url: str
    status: str
    message: str


def index_csv(files: list[ExportFile], links: list[ExportLink]) -> bytes:
    """The index of an export: one row per file and per link."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "butir",
            "jenis",
            "nama_berkas_atau_tautan",
            "lokasi_dalam_zip",
            "sha256",
            "ukuran_byte",
            "status_tautan",
        ]
    )
    for f in files:
        w.writerow(
            [
                f.item_code,
                "berkas",
                escape_formula(f.original_name),
                f.arcname,
                f.sha256,
                f.size,
                "",
            ]
        )
    for link in links:
        w.writerow(
            [
                link.item_code,
                "tautan",
                escape_formula(link.url),
                "",
                "",
                "",
                f"{link.status} {link.message}".strip(),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


class _Pipe(io.RawIOBase):
    """A write-only, non-seekable sink whose bytes a generator drains (zipfile streams to it)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(b))
        return len(b)

    def drain(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_zip(
    files: list[ExportFile], index: bytes, storage: Storage | None = None
) -> Iterator[bytes]:
    """The ZIP, produced piece by piece: each blob is read from storage in chunks, never whole."""
    storage = storage or get_storage()
    pipe = _Pipe()
    missing: list[ExportFile] = []
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("indeks.csv", index)
        yield pipe.drain()
        for f in files:
            try:
                chunks = iter(storage.iter_chunks(blob_key(f.sha256)))
                first = next(chunks, b"")
            except BlobNotFound:  # listed, but its bytes are gone: say so instead of failing
                log.error("export: blob %s of %s missing from storage", f.sha256, f.arcname)
                missing.append(f)
                continue
            info = zipfile.ZipInfo(f.arcname, date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=f.size > 2**31) as entry:
                entry.write(first)
                for chunk in chunks:
                    entry.write(chunk)
                    if sum(len(c) for c in pipe.chunks) >= 1 << 20:
                        yield pipe.drain()
            yield pipe.drain()
        if missing:
            zf.writestr(
                "berkas-hilang.txt",
                "Berkas berikut tercatat tetapi isinya tidak ditemukan di penyimpanan; "
                "hubungi sekretariat komisi.\n"
                + "".join(f"{f.arcname}\t{f.sha256}\n" for f in missing),
            )
    yield pipe.drain()
