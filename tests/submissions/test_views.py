"""The SAQ workspace over HTTP: page, htmx autosave fragment, conflict message, item evidence,
submit with confirmation, approval, reopen, receipt, evidence ZIP, sekretariat list, JSON API,
and who may do each (owner, outsider body, other commission, wrong role)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.evidence.models import EvidenceFile
from app.submissions import service
from app.submissions.models import Answer, SubmissionStatus
from tests.evidence import pdfs
from tests.factories import CSRF, form, login
from tests.submissions.conftest import World

HX = {"HX-Request": "true"}


def _base(w: World, body_id: int | None = None) -> str:
    return f"/siklus/{w.cycle.id}/badan/{body_id or w.body.id}/saq"


def _answer(client: TestClient, w: World, code: str, value: str, version: int, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"{_base(w)}/butir/{w.item(code)}",
        data=form(value=value, version=str(version)),
        headers={**HX, **headers},
    )


def _upload(
    client: TestClient,
    w: World,
    code: str,
    data: bytes,
    name: str = "SK DIP.pdf",
    body_id: int | None = None,
):  # type: ignore[no-untyped-def]
    return client.post(
        f"{_base(w, body_id)}/butir/{w.item(code)}/berkas",
        files={"file": (name, data, "application/pdf")},
        headers={"X-CSRF-Token": CSRF},
    )


def test_the_workspace_shows_items_progress_guidance_and_the_dashboard(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    r = client.get(_base(w))
    assert r.status_code == 200
    html = r.text
    assert "Unggah SK DIP." in html  # guidance per item
    assert 'hx-trigger="change"' in html and f'hx-post="{_base(w)}/butir/{w.item("1.2")}"' in html
    assert "0 dari 4 butir terisi lengkap" in html and "Langkah berikutnya" in html
    assert "data-countdown" in html and "Periksa dan kirim SAQ" in html
    assert "<script>" not in html and "js/saq.js" in html


def test_an_htmx_autosave_returns_the_item_fragment(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    r = _answer(client, w, "1.2", "Ya", 0)
    assert r.status_code == 200
    assert r.text.lstrip().startswith(
        f'<li class="border rounded p-2 mb-2 list-unstyled" id="item-{w.item("1.2")}"'
    )
    assert "Tersimpan." in r.text and 'name="version" value="1"' in r.text
    assert "Bukti belum ada" in r.text  # "Ya" without the SK file
    assert "<html" not in r.text
    # the page's counters follow out of band
    assert 'id="overall-progress" hx-swap-oob="true"' in r.text
    assert "1 berjawaban Ya tanpa bukti" in r.text
    assert f'id="ind-progress-{w.indicator("1")}" hx-swap-oob="true"' in r.text


def test_a_stale_autosave_shows_who_saved_what_and_loses_nothing(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["colleague"])
    assert _answer(client, w, "1.2", "Tidak", 0).status_code == 200
    login(client, db, w.users["operator"])
    r = _answer(client, w, "1.2", "Ya", 0)
    assert r.status_code == 409
    assert w.users["colleague"].full_name in r.text and "“Tidak”" in r.text
    assert 'name="version" value="1"' in r.text  # the fragment now carries the current version
    stored = db.scalar(select(Answer).where(Answer.item_id == w.item("1.2")))
    assert stored is not None and stored.declared == "Tidak"
    # without JavaScript: the whole page again, with the message at the item
    r = client.post(f"{_base(w)}/butir/{w.item('1.2')}", data=form(value="Ya", version="0"))
    assert r.status_code == 409 and "<html" in r.text and "“Tidak”" in r.text


def test_a_bad_answer_is_refused_in_the_fragment(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["operator"])
    r = _answer(client, w, "1.1", "Mingguan", 0)
    assert r.status_code == 422 and "tidak dikenal" in r.text


def test_without_javascript_a_save_redirects_back_to_the_item(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    r = client.post(f"{_base(w)}/butir/{w.item('1.2')}", data=form(value="Ya", version="0"))
    assert r.status_code == 303 and r.headers["location"].endswith(f"#item-{w.item('1.2')}")


@pytest.mark.parametrize(
    ("who", "status"), [("outsider", 404), ("juri", 404), ("other_operator", 404)]
)
def test_others_cannot_see_or_save(
    client: TestClient, db: Session, w: World, who: str, status: int
) -> None:
    login(client, db, w.users[who])
    assert client.get(_base(w)).status_code == status
    assert _answer(client, w, "1.2", "Ya", 0).status_code == status
    assert db.scalar(select(Answer)) is None


def test_the_sekretariat_reads_without_forms_and_cannot_save(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["sekretariat"])
    r = client.get(_base(w))
    assert r.status_code == 200 and "Periksa dan kirim SAQ" not in r.text
    assert "<fieldset disabled>" in r.text
    assert _answer(client, w, "1.2", "Ya", 0).status_code == 403


def test_an_item_upload_is_attached_and_listed(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["operator"])
    r = _upload(client, w, "1.2", pdfs.pdf())
    assert r.status_code == 303, r.text
    ef = db.scalars(select(EvidenceFile)).one()
    assert (ef.body_id, ef.cycle_id, ef.item_id) == (w.body.id, w.cycle.id, w.item("1.2"))
    _answer(client, w, "1.2", "Ya", 0)
    page = client.get(_base(w)).text
    assert "SK DIP.pdf" in page and "1 dari 4 butir terisi lengkap" in page


def test_bad_uploads_to_items_are_refused_and_keep_what_was_saved(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    assert _upload(client, w, "1.2", pdfs.pdf()).status_code == 303
    r = _upload(client, w, "1.2", pdfs.html_page(), "SK.pdf")
    assert r.status_code in (415, 422) and "<html" in r.text
    r = _upload(client, w, "2.1.1", pdfs.pdf())  # link-only item
    assert r.status_code == 422 and "tidak meminta berkas" in r.text
    # another body's item (the same item id in its own workspace is not the operator's)
    assert _upload(client, w, "1.2", pdfs.pdf(), body_id=w.other_body.id).status_code == 404
    assert len(db.scalars(select(EvidenceFile)).all()) == 1


def test_an_upload_after_the_deadline_is_refused(
    client: TestClient, db: Session, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.cycles.schedule as schedule

    later = utcnow() + timedelta(days=15)
    monkeypatch.setattr(schedule, "utcnow", lambda: later)
    login(client, db, w.users["operator"])
    r = _upload(client, w, "1.2", pdfs.pdf())
    assert r.status_code == 409 and "ditutup" in r.text
    assert db.scalar(select(EvidenceFile)) is None
    assert "ditutup" in client.get(_base(w)).text


def test_links_are_added_and_file_links_refused(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["operator"])
    url = f"{_base(w)}/butir/{w.item('2.1.1')}/tautan"
    r = client.post(url, data=form(url="file:///etc/passwd"))
    assert r.status_code == 422 and "file:///etc/passwd" in r.text
    r = client.post(url, data=form(url="https://ppid.contoh.go.id/profil"))
    assert r.status_code == 303
    assert "https://ppid.contoh.go.id/profil" in client.get(_base(w)).text


def test_submit_asks_for_confirmation_then_issues_the_receipt(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    _answer(client, w, "1.2", "Ya", 0)
    r = client.get(f"{_base(w)}/kirim")
    assert r.status_code == 200
    assert "Butir kosong (3)" in r.text and "1.1, 2.1.1, 2.1.3" in r.text and "1.2" in r.text
    r = client.post(f"{_base(w)}/kirim", data=form())
    assert r.status_code == 422 and "Centang" in r.text
    r = client.post(f"{_base(w)}/kirim", data=form(confirmed="ya"))
    assert r.status_code == 303
    r = client.get(f"{_base(w)}/tanda-terima.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    sub = service.get_workspace(db, w.actor("operator"), w.cycle.id, w.body.id).submission
    assert sub is not None and sub.receipt_sha256 in text.replace("\n", "")
    assert w.body.name in text and "Kualitas Informasi" in text
    assert _answer(client, w, "1.2", "Tidak", 1).status_code == 409  # locked


def test_the_receipt_is_not_there_before_submit(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["operator"])
    assert client.get(f"{_base(w)}/tanda-terima.pdf").status_code == 409


def test_the_atasan_approves_on_the_page(client: TestClient, db: Session, w: World) -> None:
    w.cycle.requires_atasan_approval = True
    login(client, db, w.users["operator"])
    client.post(f"{_base(w)}/kirim", data=form(confirmed="ya"))
    login(client, db, w.users["atasan"])
    page = client.get(_base(w)).text
    assert "Menunggu persetujuan atasan PPID" in page and "Setujui dan kirim" in page
    assert client.post(f"{_base(w)}/kembalikan", data=form(note="")).status_code == 422
    assert client.post(f"{_base(w)}/setujui", data=form()).status_code == 303
    login(client, db, w.users["operator"])
    assert client.post(f"{_base(w)}/setujui", data=form()).status_code == 403


def test_the_sekretariat_lists_opens_and_reopens(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["operator"])
    client.post(f"{_base(w)}/kirim", data=form(confirmed="ya"))
    login(client, db, w.users["sekretariat"])
    r = client.get(f"/siklus/{w.cycle.id}/saq")
    assert r.status_code == 200 and w.body.name in r.text and "Terkirim" in r.text
    assert client.post(f"{_base(w)}/buka-kembali", data=form(reason="")).status_code == 422
    r = client.post(f"{_base(w)}/buka-kembali", data=form(reason="Berkas salah unggah"))
    assert r.status_code == 303
    r = client.post(
        f"/siklus/{w.cycle.id}/saq/pengaturan", data=form(requires_atasan_approval="ya")
    )
    db.refresh(w.cycle)
    assert r.status_code == 303 and w.cycle.requires_atasan_approval
    login(client, db, w.users["operator"])
    assert client.post(f"{_base(w)}/buka-kembali", data=form(reason="x")).status_code == 403
    assert client.get(f"/siklus/{w.cycle.id}/saq").status_code == 404


def test_the_evidence_export_is_a_zip_with_an_index(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    data = pdfs.pdf()
    assert _upload(client, w, "1.2", data, name="SK DIP (final).pdf").status_code == 303
    client.post(
        f"{_base(w)}/butir/{w.item('2.1.1')}/tautan", data=form(url="https://contoh.go.id/a")
    )
    login(client, db, w.users["sekretariat"])
    r = client.get(f"{_base(w)}/data-dukung.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    names = zf.namelist()
    ef = db.scalars(select(EvidenceFile)).one()
    assert names == ["indeks.csv", f"1.2/{ef.id}-SK DIP _final_.pdf"]
    assert zf.read(names[1]) == data
    rows = list(csv.reader(io.StringIO(zf.read("indeks.csv").decode("utf-8-sig"))))
    assert rows[1][0] == "1.2" and rows[1][4] == ef.blob_sha256
    assert rows[2][:3] == ["2.1.1", "tautan", "https://contoh.go.id/a"]
    login(client, db, w.users["other_operator"])
    assert client.get(f"{_base(w)}/data-dukung.zip").status_code == 404


def test_a_unit_sees_its_task_and_fills_only_it(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["operator"])
    r = client.post(
        f"{_base(w)}/tugas",
        data=form(indicator_id=str(w.indicator("2")), target=f"unit:{w.unit.id}"),
    )
    assert r.status_code == 303
    login(client, db, w.users["unit_operator"])
    r = client.get("/saq/tugas-saya")
    assert r.status_code == 200 and "Jenis Informasi" in r.text
    assert "Tugas saya" in client.get(_base(w)).text
    assert _answer(client, w, "2.1.1", "Ya", 0).status_code == 200
    assert _answer(client, w, "1.2", "Ya", 0).status_code == 403


def test_the_api_reads_answers_and_saves_with_a_version(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    api = f"/api/v1/cycles/{w.cycle.id}/bodies/{w.body.id}/answers"
    h = {"X-CSRF-Token": CSRF}
    r = client.put(f"{api}/{w.item('1.2')}", json={"value": "Ya", "version": 0}, headers=h)
    assert (
        r.status_code == 200
        and r.json()["version"] == 1
        and r.json()["status"] == "missing_evidence"
    )
    r = client.put(f"{api}/{w.item('1.2')}", json={"value": "Tidak", "version": 0}, headers=h)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["current"]["declared"] == "Ya" and r.json()["current"]["version"] == 1
    r = client.put(f"{api}/{w.item('1.2')}", json={"value": "Mungkin", "version": 1}, headers=h)
    assert r.status_code == 422
    body = client.get(api).json()
    assert body["status"] == SubmissionStatus.DRAFT and len(body["answers"]) == 4


def test_the_api_authorises_before_it_validates(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["other_operator"])
    api = f"/api/v1/cycles/{w.cycle.id}/bodies/{w.body.id}/answers"
    r = client.put(
        f"{api}/{w.item('1.2')}", json={"nonsense": True}, headers={"X-CSRF-Token": CSRF}
    )
    assert r.status_code == 404
    assert client.get(api).status_code == 404


def test_an_item_refuses_a_file_over_its_own_limit(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    assert _upload(client, w, "1.2", pdfs.pdf()).status_code == 303
    r = _upload(client, w, "1.2", pdfs.pdf() + b"0" * (2 * 1024 * 1024 + 1))  # the item: 2 MB
    assert r.status_code == 413 and "2" in r.text
    assert len(db.scalars(select(EvidenceFile)).all()) == 1


def test_an_export_names_a_file_whose_bytes_are_missing(
    client: TestClient, db: Session, w: World
) -> None:
    from tests.submissions.test_service import _attach

    _attach(db, w, "1.2", b"%PDF-1.4 tidak pernah disimpan")
    login(client, db, w.users["operator"])
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"{_base(w)}/data-dukung.zip").content))
    assert zf.namelist() == ["indeks.csv", "berkas-hilang.txt"]
    assert "Bukti 1.2.pdf" in zf.read("berkas-hilang.txt").decode()


def test_the_export_streams_from_either_storage_backend(
    client: TestClient, db: Session, w: World, storage: object
) -> None:
    login(client, db, w.users["operator"])
    data = pdfs.pdf(pages=2)
    assert _upload(client, w, "1.2", data).status_code == 303
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"{_base(w)}/data-dukung.zip").content))
    assert zf.read(zf.namelist()[1]) == data


def test_a_file_is_replaced_by_a_new_version_on_its_item(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["operator"])
    assert _upload(client, w, "1.2", pdfs.pdf(text="lama")).status_code == 303
    old = db.scalars(select(EvidenceFile)).one()
    assert 'name="replaces_id"' in client.get(_base(w)).text
    r = client.post(
        f"{_base(w)}/butir/{w.item('1.2')}/berkas",
        files={"file": ("SK DIP revisi.pdf", pdfs.pdf(text="baru"), "application/pdf")},
        data={"replaces_id": str(old.id)},
        headers={"X-CSRF-Token": CSRF},
    )
    assert r.status_code == 303
    db.expire_all()
    files = service.item_files(db, w.ws("operator"))[w.item("1.2")]
    assert [f.original_name for f in files] == ["SK DIP revisi.pdf"]
    assert db.get(EvidenceFile, old.id).superseded_by_id == files[0].id  # type: ignore[union-attr]


def test_a_team_fills_everything_the_atasan_approves_and_the_receipt_is_issued(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["sekretariat"])
    client.post(f"/siklus/{w.cycle.id}/saq/pengaturan", data=form(requires_atasan_approval="ya"))
    login(client, db, w.users["operator"])
    colleague = w.users["colleague"].id
    client.post(
        f"{_base(w)}/tugas",
        data=form(indicator_id=str(w.indicator("2")), target=f"user:{colleague}"),
    )
    assert _answer(client, w, "1.1", "Bulanan", 0).status_code == 200
    link = f"{_base(w)}/butir/{w.item('1.1')}/tautan"
    assert client.post(link, data=form(url="https://ppid.contoh.go.id/berita")).status_code == 303
    assert _answer(client, w, "1.2", "Ya", 0).status_code == 200
    assert _upload(client, w, "1.2", pdfs.pdf()).status_code == 303
    login(client, db, w.users["colleague"])  # the colleague works on indicator 2
    assert _answer(client, w, "2.1.1", "Ya", 0).status_code == 200
    link = f"{_base(w)}/butir/{w.item('2.1.1')}/tautan"
    assert client.post(link, data=form(url="https://ppid.contoh.go.id/profil")).status_code == 303
    r = client.post(
        f"{_base(w)}/butir/{w.item('2.1.3')}",
        data=form(text="Kajian kepuasan layanan informasi 2025", version="0"),
        headers=HX,
    )
    assert r.status_code == 200
    assert _upload(client, w, "2.1.3", pdfs.pdf(text="Kajian")).status_code == 303
    assert client.post(f"{_base(w)}/kirim", data=form(confirmed="ya")).status_code == 403
    login(client, db, w.users["operator"])
    assert "Semua butir terisi" in client.get(f"{_base(w)}/kirim").text
    assert client.post(f"{_base(w)}/kirim", data=form(confirmed="ya")).status_code == 303
    login(client, db, w.users["atasan"])
    assert client.post(f"{_base(w)}/setujui", data=form()).status_code == 303
    login(client, db, w.users["operator"])
    page = client.get(_base(w)).text
    assert "Terkirim" in page and "4 dari 4 butir terisi lengkap" in page
    r = client.get(f"{_base(w)}/tanda-terima.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"{_base(w)}/data-dukung.zip").content))
    assert len(zf.namelist()) == 3  # the index and two files
