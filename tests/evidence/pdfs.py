"""Real PDFs (reportlab) and impostors for evidence tests."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from reportlab.pdfgen import canvas


def pdf(pages: int = 1, text: str = "Surat Keputusan PPID") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n in range(pages):
        c.drawString(72, 770, f"{text} — halaman {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def _rewrite(data: bytes) -> PdfWriter:
    return PdfWriter(clone_from=PdfReader(io.BytesIO(data)))


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(user_password: str = "rahasia") -> bytes:  # noqa: S107
    w = _rewrite(pdf())
    w.encrypt(user_password=user_password, owner_password="pemilik", algorithm="RC4-128")
    return _bytes(w)


def javascript_pdf(compress: bool = False) -> bytes:
    w = _rewrite(pdf())
    w.add_open_action(JavaScript("app.alert('halo');"))
    if compress:
        w.compress_identical_objects()
    return _bytes(w)


def zero_page_pdf() -> bytes:
    return _bytes(PdfWriter())


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n" + b"\x00garbage that is not a pdf structure\n" * 20


def windows_exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 2000 + b"This program cannot be run"


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.4</body></html>"


def png_image() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 2000
