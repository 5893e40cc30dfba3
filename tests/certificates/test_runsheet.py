import datetime
import io
import zipfile
from dataclasses import replace
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.certificates.rules import CertificateData, ceremony_order
from app.certificates.runsheet import HEADERS, run_sheet_pdf, run_sheet_rows, run_sheet_xlsx
from tests.certificates.helpers import page_texts

TITLE = "Susunan Acara Penganugerahan Keterbukaan Informasi Publik 2024"
SUBTITLE = "Komisi Informasi Provinsi Jawa Timur — Surabaya, 17 Desember 2024"


def test_rows_follow_the_ceremony_order(awards: list[CertificateData]) -> None:
    rows = run_sheet_rows(list(reversed(awards)))
    assert [r.serial for r in rows] == [c.serial for c in ceremony_order(awards)]
    assert [r.number for r in rows] == list(range(1, len(awards) + 1))
    first = rows[0]
    assert (first.award_title, first.body, first.category, first.qualification) == (
        "Peringkat 1",
        "Pemerintah Kota Mojokerto",
        "Pemerintah Kabupaten/Kota",
        "Informatif",
    )
    assert first.score == Decimal("98.56")
    assert first.rank == 1


def test_the_xlsx_lists_every_call_with_names_categories_and_qualifications(
    awards: list[CertificateData],
) -> None:
    wb = load_workbook(io.BytesIO(run_sheet_xlsx(awards, title=TITLE)))
    ws = wb.active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == TITLE
    assert tuple(values[1]) == HEADERS
    body = values[2:]
    assert len(body) == len(awards)
    pasuruan = next(r for r in body if r[2] == "Pemerintah Kota Pasuruan")
    assert pasuruan[1] == "Badan Publik Informatif"
    assert pasuruan[3] == "Pemerintah Kabupaten/Kota"
    assert pasuruan[4] == "Informatif"
    assert pasuruan[5] == 94.74
    assert pasuruan[6] == 7
    assert ws["F3"].number_format == "0.00"


def test_xlsx_cells_that_look_like_formulas_are_escaped(awards: list[CertificateData]) -> None:
    hostile = [
        replace(awards[0], body='=HYPERLINK("http://evil","klik")'),
        replace(awards[1], body="+62 811 0000", award_title="@SUM(A1)"),
        replace(awards[2], body="-1+1", category="=1+1"),
    ]
    ws = load_workbook(io.BytesIO(run_sheet_xlsx(hostile, title="=judul"))).active
    assert ws is not None
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=judul" in texts
    assert '\'=HYPERLINK("http://evil","klik")' in texts
    assert "'+62 811 0000" in texts
    assert "'@SUM(A1)" in texts
    assert "'-1+1" in texts
    assert "'=1+1" in texts
    assert not any(t[:1] in "=+-@" for t in texts)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_the_xlsx_is_byte_for_byte_repeatable(
    awards: list[CertificateData], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_sheet_xlsx(awards, title=TITLE)

    class Later(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> "Later":
            return cls(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    # openpyxl stamps the time of saving; a save at another moment must not change the bytes
    monkeypatch.setattr("openpyxl.writer.excel.datetime.datetime", Later)
    assert run_sheet_xlsx(awards, title=TITLE) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert b"2000-01-01T00:00:00Z</dcterms:modified>" in archive.read("docProps/core.xml")
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_pdf_run_sheet_reads_in_calling_order(awards: list[CertificateData]) -> None:
    pdf = run_sheet_pdf(awards, title=TITLE, subtitle=SUBTITLE)
    text = " ".join(page_texts(pdf))
    assert TITLE in text
    assert SUBTITLE in text
    assert "Kualifikasi" in text
    positions = [text.index(c.serial) for c in ceremony_order(awards)]
    assert positions == sorted(positions)
    assert "94,74" in text
    assert pdf == run_sheet_pdf(awards, title=TITLE, subtitle=SUBTITLE)


def test_a_long_run_sheet_repeats_its_header_on_every_page(awards: list[CertificateData]) -> None:
    many = [replace(a, serial=f"{a.serial}{i}") for i in range(4) for a in awards]
    reader = PdfReader(io.BytesIO(run_sheet_pdf(many, title=TITLE, subtitle=SUBTITLE)))
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert "Badan publik" in page.extract_text()


def test_names_with_markup_characters_are_printed_as_written(
    awards: list[CertificateData],
) -> None:
    odd = [replace(awards[0], body="PT <Maju> & Sejahtera")]
    assert "PT <Maju> & Sejahtera" in page_texts(run_sheet_pdf(odd, title="t", subtitle="s"))[0]
