"""Real-looking evidence PDFs made with reportlab for the pre-check tests."""

from __future__ import annotations

import io

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas


def text_pdf(*lines: str, pages: int = 1) -> bytes:
    """A typed document: the lines on the first page, a numbered footer on each."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n in range(pages):
        y = 780
        for line in lines if n == 0 else ():
            c.drawString(72, y, line)
            y -= 18
        c.drawString(72, 40, f"Halaman {n + 1} dari {pages}")
        c.showPage()
    c.save()
    return buf.getvalue()


def blank_pdf(pages: int = 2) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.showPage()
    c.save()
    return buf.getvalue()


def scanned_pdf(pages: int = 1) -> bytes:
    """A scan: each page is one picture, no text layer."""
    png = io.BytesIO()
    Image.new("L", (120, 160), 235).save(png, "PNG")
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 40, 40, 500, 700)
        c.showPage()
    c.save()
    return buf.getvalue()


def dip_decree(year: int, body: str = "Dinas Komunikasi dan Informatika") -> bytes:
    """The right evidence for a DIP item: a decree on the Daftar Informasi Publik."""
    return text_pdf(
        f"KEPUTUSAN KEPALA {body.upper()}",
        f"NOMOR 045/{year}",
        "TENTANG",
        f"PENETAPAN DAFTAR INFORMASI PUBLIK TAHUN {year}",
        "Menimbang bahwa untuk melaksanakan Undang-Undang Nomor 14 Tahun 2008",
        "tentang Keterbukaan Informasi Publik perlu menetapkan daftar informasi publik.",
        f"Ditetapkan di Padang pada tanggal 2 Januari {year}",
        pages=3,
    )


def travel_report(year: int) -> bytes:
    """A real document, but the wrong one for almost any SAQ item."""
    return text_pdf(
        "LAPORAN PERJALANAN DINAS",
        f"Rapat kerja bidang kepegawaian, Jakarta, 12 Maret {year}",
        "Peserta: Kepala Bidang Kepegawaian dan dua orang staf",
        "Hasil: pembahasan formasi pegawai dan mutasi jabatan",
    )


def study(year: int) -> bytes:
    return text_pdf(
        f"KAJIAN KEPUASAN PENGGUNA LAYANAN {year}", "Ringkasan hasil survei dan rekomendasi"
    )


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n" + b"\x00rusak bukan struktur pdf\n" * 40
