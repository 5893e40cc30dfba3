import io
import random
import zipfile

from pypdf import PdfReader

from app.certificates.bulk import ZIP_TIMESTAMP, bulk_pdf, bulk_zip, slug, zip_entry_name
from app.certificates.render import Issuer
from app.certificates.rules import CertificateData, ceremony_order
from tests.certificates.helpers import page_texts


def _shuffled(awards: list[CertificateData]) -> list[CertificateData]:
    mixed = list(awards)
    random.Random(7).shuffle(mixed)
    return mixed


def test_the_print_pdf_has_one_page_per_award_in_ceremony_order(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    pdf = bulk_pdf(_shuffled(awards), issuer)
    texts = page_texts(pdf)
    expected = ceremony_order(awards)
    assert len(texts) == len(expected)
    for text, cert in zip(texts, expected, strict=True):
        assert f"Nomor seri: {cert.serial}" in text
        assert cert.body in text
    assert "Peringkat 1 Kategori Pemerintah Kabupaten/Kota" in texts[0]
    assert "Kualitas Informasi Terbaik" in texts[1]
    assert "Sarana dan Prasarana Terbaik" in texts[2]


def test_the_print_pdf_does_not_depend_on_the_input_order(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    assert bulk_pdf(_shuffled(awards), issuer) == bulk_pdf(awards, issuer)


def test_the_zip_is_byte_for_byte_repeatable(issuer: Issuer, awards: list[CertificateData]) -> None:
    first = bulk_zip(awards, issuer)
    assert bulk_zip(_shuffled(awards), issuer) == first


def test_the_zip_holds_one_single_page_pdf_per_award_with_sorted_names(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    data = bulk_zip(awards, issuer)
    ordered = ceremony_order(awards)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert names == [zip_entry_name(n, c) for n, c in enumerate(ordered, start=1)]
        assert names[0] == "0001-pemerintah-kota-mojokerto-peringkat-1-2024-1PCCBWHH.pdf"
        for info, cert in zip(infos, ordered, strict=True):
            assert info.date_time == ZIP_TIMESTAMP
            single = archive.read(info)
            reader = PdfReader(io.BytesIO(single))
            assert len(reader.pages) == 1
            assert reader.metadata is not None
            assert cert.serial in (reader.metadata.title or "")
        pasuruan = next(n for n in names if "pemerintah-kota-pasuruan" in n)
        (text,) = page_texts(archive.read(pasuruan))
        assert "94,74" in text
        assert "Pemerintah Kota Pasuruan" in text


def test_zip_progress_runs_through_drawing_and_packing(
    issuer: Issuer, awards: list[CertificateData]
) -> None:
    calls: list[tuple[int, int, str]] = []
    bulk_zip(awards, issuer, progress=lambda d, t, m: calls.append((d, t, m)))
    total = 2 * len(awards)
    assert {t for _, t, _ in calls} == {total}
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    assert calls[-1] == (total, total, "Menyusun berkas ZIP")
    assert any(m == "Menyusun piagam" for _, _, m in calls)


def test_slugs_are_plain_ascii() -> None:
    assert slug("Desa Sumbergondo, Kab. Malang") == "desa-sumbergondo-kab-malang"
    assert slug("RSUD Dr. Soetomo / Unit Pelayanan") == "rsud-dr-soetomo-unit-pelayanan"
    assert slug("Kantor Wilayah Kementerian Hukum Jawa Timur", 20) == "kantor-wilayah-kemen"
    assert slug("../../..") == "piagam"
    assert slug("Dinas Pariwisata Bali — Ñusa Dua") == "dinas-pariwisata-bali-nusa-dua"
