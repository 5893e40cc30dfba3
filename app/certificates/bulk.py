"""Bulk printing: every certificate of a ceremony as one print-ready PDF, or as a ZIP of single
PDFs. Both are in ceremony order and deterministic (the same data gives the same bytes)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence

from pypdf import PdfReader, PdfWriter

from app.certificates.render import PRODUCER, Issuer, Progress, render_pdf
from app.certificates.rules import AwardKind, CertificateData, ceremony_order
from app.certificates.templates import DEFAULT_TEMPLATES, CertificateTemplate

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a ZIP can hold: no build time leaks in


def bulk_pdf(
    certs: Sequence[CertificateData],
    issuer: Issuer,
    templates: Mapping[AwardKind, CertificateTemplate] = DEFAULT_TEMPLATES,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> bytes:
    """One PDF of all certificates in ceremony order (by category, rank, award)."""
    ordered = ceremony_order(certs)
    return render_pdf(ordered, issuer, templates, workers=workers, progress=progress)


def slug(text: str, limit: int = 50) -> str:
    """`Desa Sumbergondo, Kab. Malang` → `desa-sumbergondo-kab-malang` (safe in any file system)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].rstrip("-") or "piagam"


def zip_entry_name(position: int, cert: CertificateData) -> str:
    """`0001-pemerintah-kota-mojokerto-peringkat-1-2024-XXXXXXXX.pdf`: sorting the names gives
    the ceremony order, and the serial makes every name unique."""
    return f"{position:04d}-{slug(cert.body)}-{slug(cert.award_title, 40)}-{cert.serial}.pdf"


def split_pages(pdf: bytes, titles: Sequence[str]) -> Iterator[bytes]:
    """Each page of `pdf` as a PDF of its own (fonts, form and images are copied as they are,
    not encoded again, which is ~10x faster than rendering each certificate separately)."""
    reader = PdfReader(io.BytesIO(pdf))
    for page, title in zip(reader.pages, titles, strict=True):
        writer = PdfWriter()
        writer.add_page(page)
        writer.add_metadata({"/Producer": PRODUCER, "/Creator": PRODUCER, "/Title": title})
        out = io.BytesIO()
        writer.write(out)
        yield out.getvalue()


def bulk_zip(
    certs: Sequence[CertificateData],
    issuer: Issuer,
    templates: Mapping[AwardKind, CertificateTemplate] = DEFAULT_TEMPLATES,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> bytes:
    """A ZIP with one PDF per certificate, named in ceremony order; fixed timestamps and
    attributes so the archive is byte-for-byte repeatable."""
    ordered = ceremony_order(certs)
    total = len(ordered)

    def drawn(done: int, _total: int, message: str) -> None:
        if progress is not None:
            progress(done, 2 * total, message)

    pdf = render_pdf(ordered, issuer, templates, workers=workers, progress=drawn)
    titles = [f"Piagam {c.serial} — {c.award_title} — {c.body}" for c in ordered]
    out = io.BytesIO()
    step = max(1, min(50, total // 20))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, (cert, single) in enumerate(
            zip(ordered, split_pages(pdf, titles), strict=True), start=1
        ):
            info = zipfile.ZipInfo(zip_entry_name(done, cert), date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_STORED  # PDFs are compressed already
            info.create_system = 3  # Unix, whatever machine made it
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            archive.writestr(info, single)
            if progress is not None and (done % step == 0 or done == total):
                progress(total + done, 2 * total, "Menyusun berkas ZIP")
    return out.getvalue()
