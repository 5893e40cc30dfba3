"""Helpers of the certificate tests: look at rendered PDFs the way a viewer does (pdfium)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image

from app.certificates.rules import CertificateData


def by_body(awards: list[CertificateData], body: str, title: str) -> CertificateData:
    """The award of `body` called `title` in the sample list."""
    return next(a for a in awards if a.body == body and a.award_title == title)


def page_images(pdf: bytes, scale: float = 2.0) -> list[Image.Image]:
    """Every page rendered to an image by pdfium (bundled with pypdfium2)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=scale).to_pil().convert("RGB") for page in doc]
    finally:
        doc.close()


def page_texts(pdf: bytes) -> list[str]:
    """The text of every page as pdfium extracts it, whitespace collapsed."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [" ".join(page.get_textpage().get_text_bounded().split()) for page in doc]
    finally:
        doc.close()


def char_boxes(pdf: bytes, page_index: int = 0) -> list[tuple[str, float, float, float, float]]:
    """Each printed character of a page with its box (left, bottom, right, top) in points."""
    doc = pdfium.PdfDocument(pdf)
    try:
        textpage = doc[page_index].get_textpage()
        boxes = []
        for i in range(textpage.count_chars()):
            ch = textpage.get_text_range(i, 1)
            if ch.strip():
                boxes.append((ch, *textpage.get_charbox(i)))
        return boxes
    finally:
        doc.close()


def image_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()
