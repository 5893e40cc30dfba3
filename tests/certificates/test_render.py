import hashlib
import io
import subprocess
import sys
from dataclasses import replace

import pytest
import segno
import zxingcpp
from pypdf import PdfReader

from app.certificates.render import (
    FORM_NAME,
    PAGE_H,
    PAGE_W,
    QR_SIDE,
    QR_X,
    QR_Y,
    Issuer,
    make_issuer,
    preview_pdf,
    render_pdf,
)
from app.certificates.rules import AwardKind, CertificateData, verification_url
from app.certificates.samples import (
    sample_batch,
    sample_issuer,
    sample_logo_png,
    sample_signature_png,
)
from app.certificates.templates import CertificateTemplate
from app.errors import ValidationFailed
from tests.certificates.helpers import by_body, char_boxes, page_images, page_texts

PASURUAN = ("Pemerintah Kota Pasuruan", "Badan Publik Informatif")
MOJOKERTO = ("Pemerintah Kota Mojokerto", "Peringkat 1")


def test_the_same_data_gives_the_same_bytes(issuer: Issuer, awards: list[CertificateData]) -> None:
    first = render_pdf(awards, issuer)
    assert render_pdf(awards, issuer) == first
    assert render_pdf(awards[:-1], issuer) != first


def test_the_bytes_do_not_depend_on_the_process(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    code = (
        "import hashlib, sys\n"
        "from app.certificates.render import render_pdf\n"
        "from app.certificates.samples import sample_award_list, sample_issuer\n"
        "pdf = render_pdf(sample_award_list(), sample_issuer())\n"
        "sys.stdout.write(hashlib.sha256(pdf).hexdigest())\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert other == hashlib.sha256(render_pdf(awards, issuer)).hexdigest()


def test_encoding_qr_codes_in_worker_processes_gives_the_same_bytes(issuer: Issuer) -> None:
    batch = sample_batch(160)
    assert render_pdf(batch, issuer, workers=2) == render_pdf(batch, issuer, workers=1)


def test_the_certificate_text_is_on_the_rendered_page(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    cert = by_body(awards, *PASURUAN)
    pdf = render_pdf([cert], issuer)
    (text,) = page_texts(pdf)
    for expected in (
        "KOMISI INFORMASI PROVINSI JAWA TIMUR",
        "PIAGAM PENGHARGAAN",
        "diberikan kepada",
        "Pemerintah Kota Pasuruan",
        "Badan Publik Informatif",
        "kualifikasi Informatif dengan nilai 94,74",
        "Pemerintah Kabupaten/Kota",
        "Tahun 2024",
        "188/12/KPTS/KI-PROV.JATIM/XII/2024",
        "Surabaya, 17 Desember 2024",
        "Ketua Komisi Informasi Provinsi Jawa Timur",
        "Nama Ketua Komisi (contoh)",
        f"Nomor seri: {cert.serial}",
        verification_url(issuer.base_url, cert.serial),
    ):
        assert expected in text
    assert "Pemerintah Kota Pasuruan" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_the_page_is_a4_landscape(issuer: Issuer, awards: list[CertificateData]) -> None:
    page = PdfReader(io.BytesIO(render_pdf(awards[:1], issuer))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)


def test_the_qr_code_scans_to_the_verification_page(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    cert = by_body(awards, *MOJOKERTO)
    (image,) = page_images(render_pdf([cert], issuer), scale=2)
    found = zxingcpp.read_barcodes(image)
    assert [(r.format, r.text) for r in found] == [
        (zxingcpp.BarcodeFormat.QRCode, f"{issuer.base_url}/piagam/{cert.serial}")
    ]


def test_the_drawn_qr_modules_equal_segnos_symbol(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    cert = by_body(awards, *PASURUAN)
    scale = 4.0
    (image,) = page_images(render_pdf([cert], issuer), scale=scale)
    code = segno.make_qr(verification_url(issuer.base_url, cert.serial), error="m")
    expected = tuple(tuple(row) for row in code.matrix)
    size = len(expected)
    module = QR_SIDE / size
    gray = image.convert("L")
    drawn = tuple(
        tuple(
            int(
                gray.getpixel(
                    (
                        round((QR_X + (col + 0.5) * module) * scale),
                        round((PAGE_H - (QR_Y + QR_SIDE - (row + 0.5) * module)) * scale),
                    )
                )
                < 128
            )
            for col in range(size)
        )
        for row in range(size)
    )
    assert drawn == expected


def test_without_qr_the_serial_is_still_printed(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    pdf = render_pdf(awards[:1], issuer, with_qr=False)
    assert zxingcpp.read_barcodes(page_images(pdf)[0]) == []
    assert f"Nomor seri: {awards[0].serial}" in page_texts(pdf)[0]


def test_the_fixed_parts_are_one_form_shared_by_every_page(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(awards, issuer)))
    refs = set()
    for page in reader.pages:
        xobjects = page["/Resources"]["/XObject"]
        assert list(xobjects) == [f"/FormXob.{FORM_NAME}"]
        refs.add(xobjects.raw_get(f"/FormXob.{FORM_NAME}").idnum)
        assert f"/FormXob.{FORM_NAME} Do".encode() in page.get_contents().get_data()
    assert len(refs) == 1
    form = reader.get_object(refs.pop())
    images = [x for x in form["/Resources"]["/XObject"].values() if x["/Subtype"] == "/Image"]
    assert len(images) == 2  # logo and signature, embedded once for the whole batch


def test_only_the_bundled_fonts_are_used_and_all_are_embedded(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(awards[:3], issuer)))
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"].get_object()
        for font in fonts.values():
            font = font.get_object()
            assert "DejaVu" in font["/BaseFont"]
            assert "/FontFile2" in font["/FontDescriptor"]


def test_a_very_long_body_name_stays_inside_the_frame(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    long_name = (
        "Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah Kabupaten "
        "Penajam Paser Utara Provinsi Kalimantan Timur beserta Unit Pelaksana Teknis "
        "Pengelola Informasi dan Dokumentasi"
    )
    cert = replace(awards[0], body=long_name)
    pdf = render_pdf([cert], issuer)
    assert long_name in page_texts(pdf)[0]
    for ch, left, bottom, right, top in char_boxes(pdf):
        assert left >= 30 and right <= PAGE_W - 30, ch
        assert bottom >= 30 and top <= PAGE_H - 30, ch


def test_progress_is_reported_up_to_the_total(issuer: Issuer) -> None:
    calls: list[tuple[int, int, str]] = []
    render_pdf(sample_batch(45), issuer, progress=lambda d, t, m: calls.append((d, t, m)))
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    assert calls[-1] == (45, 45, "Menyusun piagam")
    assert len(calls) > 5


def test_duplicate_serials_are_refused(issuer: Issuer, awards: list[CertificateData]) -> None:
    with pytest.raises(ValidationFailed, match="ganda"):
        render_pdf([awards[0], replace(awards[1], serial=awards[0].serial)], issuer)


def test_an_empty_batch_is_refused(issuer: Issuer) -> None:
    with pytest.raises(ValidationFailed, match="Tidak ada piagam"):
        render_pdf([], issuer)


def test_an_issuer_without_images_still_renders(awards: list[CertificateData]) -> None:
    bare = Issuer(commission="Komisi Informasi Pusat", base_url="https://x.example")
    assert "KOMISI INFORMASI PUSAT" in page_texts(render_pdf(awards[:1], bare))[0]


def test_a_preview_uses_the_draft_template(issuer: Issuer, awards: list[CertificateData]) -> None:
    cert = by_body(awards, "Pemerintah Kota Mojokerto", "Kualitas Informasi Terbaik")
    draft = CertificateTemplate(
        kind=AwardKind.INDICATOR,
        title="Juara {award_title}",
        body_text="Selamat kepada {body} ({category}).",
    )
    (text,) = page_texts(preview_pdf(cert, issuer, draft))
    assert "Juara Kualitas Informasi Terbaik" in text
    assert "Selamat kepada Pemerintah Kota Mojokerto (Pemerintah Kabupaten/Kota)." in text


def test_a_preview_with_an_unknown_merge_field_lists_the_allowed_ones(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    draft = CertificateTemplate(kind=awards[0].kind, title="{judul}", body_text="{body}")
    with pytest.raises(ValidationFailed) as err:
        preview_pdf(awards[0], issuer, draft)
    assert "{judul}" in err.value.message
    assert "{award_title}" in err.value.message


def test_a_bad_logo_is_refused_before_rendering() -> None:
    with pytest.raises(ValidationFailed) as err:
        make_issuer("Komisi Informasi Pusat", "https://x.example", logo=b"GIF89a-not-really")
    assert err.value.field_errors == {"logo": err.value.message}
    assert "Logo bukan berkas gambar yang valid" in err.value.message


def test_a_bad_signature_image_names_its_own_field() -> None:
    with pytest.raises(ValidationFailed) as err:
        make_issuer("Komisi Informasi Pusat", "https://x.example", signature=b"%PDF-1.7")
    assert list(err.value.field_errors) == ["signature"]


def test_an_issuer_made_from_uploads_equals_the_sample_issuer() -> None:
    made = make_issuer(
        "Komisi Informasi Provinsi Jawa Timur",
        "https://monev.kip.example.id",
        logo=sample_logo_png(),
        signature=sample_signature_png(),
    )
    assert made == sample_issuer()
