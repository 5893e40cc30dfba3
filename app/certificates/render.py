"""Draw certificates (piagam penghargaan) as A4 landscape PDF pages with reportlab.

The parts every page shares (frame, logo, heading, signature image) are drawn once as a form
XObject and reused; per page only the merge fields, the serial and the QR code are drawn. Unsigned
output is deterministic: the same data gives the same bytes."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from app.certificates.images import PreparedImage, prepare_image
from app.certificates.layout import (
    SANS,
    SANS_BOLD,
    SERIF,
    SERIF_BOLD,
    SERIF_ITALIC,
    FittedText,
    fit_text,
    register_fonts,
    text_width,
)
from app.certificates.qr import QrDrawing, qr_drawings
from app.certificates.rules import (
    AwardKind,
    CertificateData,
    duplicate_serials,
    fmt_date_id,
    verification_url,
)
from app.certificates.templates import (
    DEFAULT_TEMPLATES,
    CertificateTemplate,
    FilledTemplate,
    check_templates,
    fill_template,
)
from app.errors import ValidationFailed

# Binary (not ASCII85) streams are set for the whole process in app/__init__.py.
assert rl_config.useA85 == 0

Progress = Callable[[int, int, str], None]  # (done, total, message), as app.jobs passes it

PAGE_W, PAGE_H = landscape(A4)
CENTER_X = PAGE_W / 2
NAVY = HexColor("#1B3A6B")
GOLD = HexColor("#B08D2E")
INK = HexColor("#1F1F1F")
GREY = HexColor("#555555")
FORM_NAME = "PiagamLatar"
HEADING = "PIAGAM PENGHARGAAN"
PRODUCER = "Monev KIP"


@dataclass(frozen=True)
class Issuer:
    """The commission that issues a batch: its name, images and public address."""

    commission: str  # "Komisi Informasi Provinsi Jawa Timur"
    base_url: str  # where `/piagam/{serial}` verification pages are served
    logo: PreparedImage | None = None
    signature: PreparedImage | None = None


def make_issuer(
    commission: str, base_url: str, *, logo: bytes | None = None, signature: bytes | None = None
) -> Issuer:
    """An issuer from uploaded image bytes, each checked (ValidationFailed names the field)."""
    return Issuer(
        commission=commission,
        base_url=base_url,
        logo=None if logo is None else prepare_image(logo, field="logo", label="Logo"),
        signature=None
        if signature is None
        else prepare_image(signature, field="signature", label="Gambar tanda tangan"),
    )


@dataclass(frozen=True)
class Box:
    """A text box: centre x, top y, width and height (points) with its font limits."""

    cx: float
    top: float
    width: float
    height: float
    font: str
    max_size: float
    min_size: float
    max_lines: int
    one_line_down_to: float | None = None

    def fit(self, text: str) -> FittedText:
        return _fit(self, text)


@lru_cache(maxsize=4096)
def _fit(box: Box, text: str) -> FittedText:
    """Fitting is pure, and a batch repeats many texts (signatory, place, categories)."""
    return fit_text(
        text,
        box.font,
        max_width=box.width,
        max_size=box.max_size,
        min_size=box.min_size,
        max_lines=box.max_lines,
        max_height=box.height,
        prefer_one_line_down_to=box.one_line_down_to,
    )


SIGN_CX = PAGE_W - 205
# The variable text of a page. Boxes never overlap; the fixed parts live in the form.
BODY_NAME = Box(CENTER_X, 372, 700, 56, SERIF_BOLD, 28, 14, 2, one_line_down_to=22)
AWARD_TITLE = Box(CENTER_X, 310, 680, 42, SERIF_BOLD, 22, 11, 2, one_line_down_to=17)
BODY_TEXT = Box(CENTER_X, 255, 640, 64, SERIF, 12.5, 8, 4)
PLACE_DATE = Box(SIGN_CX, 184, 300, 16, SERIF, 11.5, 7, 1)
SIGNATORY_TITLE = Box(SIGN_CX, 168, 300, 28, SERIF_BOLD, 11, 7, 2)
SIGNATORY_NAME = Box(SIGN_CX, 80, 300, 16, SERIF_BOLD, 12, 7, 1)
SIGNATURE_BOX = (SIGN_CX - 80, 84.0, 160.0, 52.0)  # x, y, w, h
LOGO_BOX = (CENTER_X - 80, PAGE_H - 120, 160.0, 72.0)
QR_X, QR_Y, QR_SIDE = 58.0, 50.0, 78.0
SERIAL_X = QR_X + QR_SIDE + 12
SERIAL_TEXT_W = 290.0


def _draw_box(c: Canvas, box: Box, text: str, color: Color = INK) -> FittedText:
    """Centred lines of `text` fitted into `box`, top-aligned."""
    fitted = box.fit(text)
    c.setFillColor(color)
    c.setFont(box.font, fitted.size)
    y = box.top - fitted.size
    for line in fitted.lines:
        c.drawCentredString(box.cx, y, line)
        y -= fitted.leading
    return fitted


def _draw_image(c: Canvas, image: PreparedImage, box: tuple[float, float, float, float]) -> None:
    """`image` as large as fits in `box`, centred, keeping its proportions."""
    x, y, w, h = box
    scale = min(w / image.width, h / image.height)
    iw, ih = image.width * scale, image.height * scale
    reader = ImageReader(io.BytesIO(image.png))
    c.drawImage(reader, x + (w - iw) / 2, y + (h - ih) / 2, iw, ih, mask="auto")


def _draw_form(c: Canvas, issuer: Issuer) -> None:
    """The fixed parts of every page, drawn once into a reusable form XObject."""
    c.beginForm(FORM_NAME, 0, 0, PAGE_W, PAGE_H)
    c.setStrokeColor(NAVY)
    c.setLineWidth(4)
    c.rect(18, 18, PAGE_W - 36, PAGE_H - 36, stroke=1, fill=0)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2)
    c.rect(27, 27, PAGE_W - 54, PAGE_H - 54, stroke=1, fill=0)
    c.setFillColor(GOLD)
    for x, y in ((27, 27), (PAGE_W - 27, 27), (27, PAGE_H - 27), (PAGE_W - 27, PAGE_H - 27)):
        c.saveState()
        c.translate(x, y)
        c.rotate(45)
        c.rect(-5, -5, 10, 10, stroke=0, fill=1)
        c.restoreState()
    if issuer.logo is not None:
        _draw_image(c, issuer.logo, LOGO_BOX)
    commission = Box(CENTER_X, PAGE_H - 128, 640, 18, SANS_BOLD, 14, 8, 1)
    _draw_box(c, commission, issuer.commission.upper(), NAVY)
    c.setFillColor(NAVY)
    c.setFont(SERIF_BOLD, 32)
    c.drawCentredString(CENTER_X, PAGE_H - 180, HEADING, charSpace=2)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.5)
    c.line(CENTER_X - 170, PAGE_H - 192, CENTER_X + 170, PAGE_H - 192)
    c.setFillColor(GREY)
    c.setFont(SERIF_ITALIC, 13)
    c.drawCentredString(CENTER_X, PAGE_H - 212, "diberikan kepada")
    if issuer.signature is not None:
        _draw_image(c, issuer.signature, SIGNATURE_BOX)
    c.endForm()


def _draw_qr(c: Canvas, qr: QrDrawing) -> None:
    """The QR symbol as filled rectangles scaled to QR_SIDE points (white quiet zone around)."""
    module = QR_SIDE / qr.size
    c.setFillColor(white)
    c.rect(QR_X - 4 * module, QR_Y - 4 * module, QR_SIDE + 8 * module, QR_SIDE + 8 * module, 0, 1)
    c.saveState()
    c.translate(QR_X, QR_Y)
    c.scale(module, module)
    c.setFillColorRGB(0, 0, 0)
    c.addLiteral(qr.ops + " f")
    c.restoreState()


def _draw_serial(c: Canvas, serial: str, url: str, with_qr: bool) -> None:
    x = SERIAL_X if with_qr else QR_X
    c.setFillColor(INK)
    c.setFont(SANS_BOLD, 9)
    c.drawString(x, QR_Y + 62, f"Nomor seri: {serial}")
    c.setFillColor(GREY)
    hint = Box(0, 0, SERIAL_TEXT_W, 24, SANS, 7.5, 5, 2).fit(
        "Periksa keabsahan piagam ini dengan memindai kode QR atau membuka alamat:"
    )
    c.setFont(SANS, hint.size)
    y = QR_Y + 48
    for line in hint.lines:
        c.drawString(x, y, line)
        y -= hint.leading
    link = Box(0, 0, SERIAL_TEXT_W, 10, SANS, 7.5, 4, 1).fit(url)
    c.setFillColor(NAVY)
    c.setFont(SANS, link.size)
    c.drawString(x, y - 2, url)
    c.linkURL(url, (x, y - 4, x + SERIAL_TEXT_W, y + link.size), relative=0)


def _draw_page(
    c: Canvas,
    cert: CertificateData,
    filled: FilledTemplate,
    url: str,
    qr: QrDrawing | None,
    with_qr: bool,
) -> None:
    c.doForm(FORM_NAME)
    _draw_box(c, BODY_NAME, cert.body, NAVY)
    _draw_box(c, AWARD_TITLE, filled.title, GOLD)
    _draw_box(c, BODY_TEXT, filled.body_text, INK)
    _draw_box(c, PLACE_DATE, f"{cert.place}, {fmt_date_id(cert.issued_on)}", INK)
    _draw_box(c, SIGNATORY_TITLE, cert.signatory_title, INK)
    name = _draw_box(c, SIGNATORY_NAME, cert.signatory_name, INK)
    if name.lines:
        half = text_width(name.lines[0], SIGNATORY_NAME.font, name.size) / 2
        underline_y = SIGNATORY_NAME.top - name.size - 2.5
        c.setStrokeColor(INK)
        c.setLineWidth(0.6)
        c.line(SIGN_CX - half, underline_y, SIGN_CX + half, underline_y)
    if qr is not None:
        _draw_qr(c, qr)
    _draw_serial(c, cert.serial, url, with_qr)


def prepare_batch(
    certs: Sequence[CertificateData],
    issuer: Issuer,
    templates: Mapping[AwardKind, CertificateTemplate],
) -> list[FilledTemplate]:
    """Check a whole batch before drawing anything: templates, serials and merge data."""
    if not certs:
        raise ValidationFailed("Tidak ada piagam untuk dicetak.")
    dupes = duplicate_serials(certs)
    if dupes:
        raise ValidationFailed("Nomor seri piagam ganda: " + ", ".join(dupes[:10]) + ".")
    check_templates(templates, [c.kind for c in certs])
    return [fill_template(templates[c.kind], c, issuer.commission) for c in certs]


def new_canvas(buf: io.BytesIO, title: str, author: str) -> Canvas:
    """A deterministic canvas: fixed dates, ID and producer (reportlab's invariant mode)."""
    register_fonts()
    c = Canvas(
        buf,
        pagesize=(PAGE_W, PAGE_H),
        invariant=1,
        pageCompression=1,
        initialFontName=SERIF,  # else every page names Helvetica, a font we do not embed
        initialFontSize=12,
    )
    c.setTitle(title)
    c.setAuthor(author)
    c.setCreator(PRODUCER)
    c.setProducer(PRODUCER)
    c.setSubject("Piagam penghargaan Monitoring dan Evaluasi Keterbukaan Informasi Publik")
    return c


def render_pdf(
    certs: Sequence[CertificateData],
    issuer: Issuer,
    templates: Mapping[AwardKind, CertificateTemplate] = DEFAULT_TEMPLATES,
    *,
    with_qr: bool = True,
    workers: int = 1,
    progress: Progress | None = None,
) -> bytes:
    """One PDF with a page per certificate, in the given order.

    `workers` > 1 encodes the QR codes in that many processes while this one draws;
    `progress(done, total, message)` is called every few pages and at the end."""
    filled = prepare_batch(certs, issuer, templates)
    urls = [verification_url(issuer.base_url, c.serial) for c in certs]
    codes: Iterator[QrDrawing | None] = (
        qr_drawings(urls, workers=workers) if with_qr else repeat(None)
    )
    buf = io.BytesIO()
    c = new_canvas(buf, f"Piagam Penghargaan — {issuer.commission}", issuer.commission)
    _draw_form(c, issuer)
    total = len(certs)
    step = max(1, min(50, total // 20))
    for done, (cert, text, url, qr) in enumerate(
        zip(certs, filled, urls, codes, strict=False), start=1
    ):
        _draw_page(c, cert, text, url, qr, with_qr)
        c.showPage()
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total, "Menyusun piagam")
    c.save()
    return buf.getvalue()


def preview_pdf(
    cert: CertificateData, issuer: Issuer, template: CertificateTemplate | None = None
) -> bytes:
    """The PDF of one certificate (for the browser's preview), optionally with a draft template."""
    templates = dict(DEFAULT_TEMPLATES)
    if template is not None:
        templates[cert.kind] = template
    return render_pdf([cert], issuer, templates)
