"""Real PDFs (reportlab) and impostors for evidence tests."""

from __future__ import annotations

import io
import zlib

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


def heavy_pdf(numbers: int = 400_000, content_mb: int = 64) -> bytes:
    """A well-formed one-page PDF that needs far more memory to read than its size: arrays of
    `numbers` integers in all (under pypdf's per-array cap, so they are parsed, not refused)
    and a page whose few-kilobyte content stream inflates to `content_mb` megabytes."""
    per_array = 90_000
    text = b"BT /F1 12 Tf 72 770 Td (Surat Keputusan PPID) Tj ET\n"
    content = zlib.compress(text + b"q Q\n" * (content_mb * 1024 * 1024 // 4), 9)
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>",
        b"<</Length %d/Filter/FlateDecode>>\nstream\n%s\nendstream" % (len(content), content),
    ]
    for start in range(0, numbers, per_array):
        objects.append(b"[" + b"0 " * min(per_array, numbers - start) + b"]")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
