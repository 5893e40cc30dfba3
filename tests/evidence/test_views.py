"""Evidence over HTTP: the streamed upload API, the page and its fallback form, downloads, links.

Every refused upload is tried next to a file already saved, which must stay as it was.
"""

from __future__ import annotations

import errno
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.config import get_settings
from app.evidence.models import EvidenceBlob, EvidenceFile, LinkCheck
from app.evidence.storage import Storage, StorageError, blob_key
from app.web.deps import CSRF_COOKIE
from tests.evidence import pdfs
from tests.evidence.conftest import WebServer, staged_files
from tests.evidence.test_upload import BOUNDARY, file_part, multipart
from tests.factories import CSRF, Factory, form, login

H = {"X-CSRF-Token": CSRF}


class World:
    def __init__(self, factory: Factory) -> None:
        self.org = factory.commission()
        self.other_org = factory.commission()
        self.body = factory.body(self.org)
        self.other_body = factory.body(self.org)
        self.foreign_body = factory.body(self.other_org)
        self.operator = factory.user(self.org, Role.OPERATOR, body=self.body)
        self.other_operator = factory.user(self.org, Role.OPERATOR, body=self.other_body)
        self.foreign_operator = factory.user(self.other_org, Role.OPERATOR, body=self.foreign_body)
        self.sekretariat = factory.user(self.org, Role.SEKRETARIAT)
        self.foreign_sekretariat = factory.user(self.other_org, Role.SEKRETARIAT)
        self.juri = factory.user(self.org, Role.JURI)


@pytest.fixture
def w(factory: Factory) -> World:
    return World(factory)


def _upload(
    client: TestClient, body_id: int, data: bytes, name: str = "SK PPID.pdf", **extra: Any
) -> Any:
    return client.post(
        f"/api/v1/bodies/{body_id}/evidence",
        files={"file": (name, data, "application/pdf")},
        data=extra or None,
        headers=H,
    )


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(EvidenceFile)) or 0


@pytest.fixture
def saved(client: TestClient, db: Session, w: World) -> dict[str, Any]:
    """An operator logged in with one file already saved."""
    login(client, db, w.operator)
    data = pdfs.pdf(text="berkas lama")
    r = _upload(client, w.body.id, data, "lama.pdf")
    assert r.status_code == 201, r.text
    return {"id": r.json()["id"], "data": data}


def assert_nothing_changed(client: TestClient, db: Session, storage: Storage, saved: Any) -> None:
    assert _count(db) == 1
    assert staged_files(storage) == []
    r = client.get(f"/evidence/{saved['id']}")
    assert r.status_code == 200 and r.content == saved["data"]


# --- upload and download -------------------------------------------------------------------


def test_an_operator_uploads_and_downloads_a_pdf(
    client: TestClient, db: Session, w: World, storage: Storage
) -> None:
    login(client, db, w.operator)
    data = pdfs.pdf(pages=2)
    r = _upload(client, w.body.id, data, "Laporan Layanan 2024 — final.pdf")
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["sha256"] == hashlib.sha256(data).hexdigest()
    assert out["size"] == len(data) and out["original_name"] == "Laporan Layanan 2024 — final.pdf"
    assert storage.exists(blob_key(out["sha256"]))
    assert staged_files(storage) == []
    d = client.get(out["download_url"])
    assert d.status_code == 200 and d.content == data
    assert d.headers["content-type"] == "application/pdf"
    assert d.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''Laporan%20Layanan%202024%20%E2%80%94%20final.pdf"
        in (d.headers["content-disposition"])
    )
    assert d.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in d.headers["content-security-policy"]


def test_uploading_the_same_bytes_twice_stores_them_once(
    client: TestClient, db: Session, w: World, saved: Any
) -> None:
    r = _upload(client, w.body.id, saved["data"], "salinan.pdf")
    assert r.status_code == 201
    assert _count(db) == 2
    assert db.scalar(select(func.count()).select_from(EvidenceBlob)) == 1


def test_a_new_version_replaces_the_old_one(
    client: TestClient, db: Session, w: World, saved: Any
) -> None:
    r = _upload(client, w.body.id, pdfs.pdf(text="v2"), "baru.pdf", replaces_id=str(saved["id"]))
    assert r.status_code == 201 and r.json()["replaces_id"] == saved["id"]
    db.expire_all()
    old = db.get(EvidenceFile, saved["id"])
    assert old is not None and old.superseded_by_id == r.json()["id"]
    listed = client.get(f"/api/v1/bodies/{w.body.id}/evidence").json()
    assert [f["id"] for f in listed] == [r.json()["id"], saved["id"]]


def test_an_api_token_uploads_without_csrf(
    client: TestClient, db: Session, w: World, factory: Factory
) -> None:
    from app.accounts import service as accounts

    _, raw = accounts.create_api_token(db, factory.actor(w.operator, w.org), "integrasi")
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/evidence",
        files={"file": ("sk.pdf", pdfs.pdf(), "application/pdf")},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert r.status_code == 201, r.text


# --- bad input, one test each --------------------------------------------------------------


def test_an_oversized_file_is_refused_with_413(
    client: TestClient,
    db: Session,
    w: World,
    storage: Storage,
    saved: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "evidence_max_bytes", 200 * 1024)
    r = _upload(client, w.body.id, pdfs.pdf() + b"%" * (300 * 1024))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "melebihi batas ukuran 200 KB" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_a_renamed_executable_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = _upload(client, w.body.id, pdfs.windows_exe(), "SK PPID.pdf")
    assert r.status_code == 422
    assert "program Windows" in r.json()["detail"]
    assert r.json()["errors"]["file"]
    assert_nothing_changed(client, db, storage, saved)


def test_html_named_pdf_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = _upload(client, w.body.id, pdfs.html_page(), "laporan.pdf")
    assert r.status_code == 422 and "halaman web" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_a_pdf_with_javascript_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = _upload(client, w.body.id, pdfs.javascript_pdf())
    assert r.status_code == 422 and "JavaScript" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_an_encrypted_pdf_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = _upload(client, w.body.id, pdfs.encrypted_pdf())
    assert r.status_code == 422 and "kata sandi" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_an_empty_or_corrupt_pdf_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = _upload(client, w.body.id, pdfs.zero_page_pdf())
    assert r.status_code == 422 and "tidak memiliki halaman" in r.json()["detail"]
    r = _upload(client, w.body.id, pdfs.corrupt_pdf())
    assert r.status_code == 422 and "rusak" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_a_zero_byte_file_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = _upload(client, w.body.id, b"")
    assert r.status_code == 422 and "Berkas kosong" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "C:\\Users\\ppid\\sk.pdf", "a/b.pdf"])
def test_a_name_with_path_separators_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any, name: str
) -> None:
    r = _upload(client, w.body.id, pdfs.pdf(), name)
    assert r.status_code == 422 and "garis miring" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_a_name_with_control_characters_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    # Built by hand: HTTP clients percent-encode control characters in names themselves.
    body = multipart(file_part(pdfs.pdf(), "sk\x07\x1b[31m.pdf"))
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/evidence",
        content=body,
        headers={**H, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status_code == 422 and "karakter kendali" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_more_parts_than_allowed_are_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/evidence",
        files=[("file", ("a.pdf", pdfs.pdf(), "application/pdf"))],
        data={f"isian{i}": "x" for i in range(6)},
        headers=H,
    )
    assert r.status_code == 422 and "terlalu banyak bagian" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_an_upload_to_another_body_is_not_found(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    for body in (w.other_body, w.foreign_body):
        r = _upload(client, body.id, pdfs.pdf(text="nyasar"))
        assert r.status_code == 404, body
    assert_nothing_changed(client, db, storage, saved)


def test_replacing_another_bodys_file_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    theirs = EvidenceFile(
        organisation_id=w.org.id,
        body_id=w.other_body.id,
        blob_sha256=db.get(EvidenceFile, saved["id"]).blob_sha256,  # type: ignore[union-attr]
        original_name="milik lain.pdf",
        content_type="application/pdf",
        size=1,
    )
    db.add(theirs)
    db.flush()
    r = _upload(client, w.body.id, pdfs.pdf(text="x"), replaces_id=str(theirs.id))
    assert r.status_code == 422 and "tidak ditemukan" in r.json()["detail"]
    assert _count(db) == 2 and staged_files(storage) == []


# --- who may upload and download -----------------------------------------------------------


def test_the_sekretariat_may_read_but_not_upload(
    client: TestClient, db: Session, w: World, saved: Any
) -> None:
    login(client, db, w.sekretariat)
    assert client.get(f"/evidence/{saved['id']}").status_code == 200
    r = _upload(client, w.body.id, pdfs.pdf(text="staf"))
    assert r.status_code == 403 and "operator atau atasan PPID" in r.json()["detail"]


@pytest.mark.parametrize(
    "who", ["other_operator", "foreign_operator", "foreign_sekretariat", "juri"]
)
def test_outsiders_and_wrong_roles_get_404_for_a_file(
    client: TestClient, db: Session, w: World, saved: Any, who: str
) -> None:
    login(client, db, getattr(w, who))
    assert client.get(f"/evidence/{saved['id']}").status_code == 404
    assert client.get(f"/badan-publik/{w.body.id}/data-dukung").status_code == 404
    assert client.get(f"/api/v1/bodies/{w.body.id}/evidence").status_code == 404


def test_anonymous_people_are_asked_to_log_in(client: TestClient, saved: Any, w: World) -> None:
    client.cookies.clear()
    client.cookies.set(CSRF_COOKIE, CSRF)
    r = client.get(f"/evidence/{saved['id']}")
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk?next=/evidence/")
    r = _upload(client, w.body.id, pdfs.pdf())
    assert r.status_code == 401 and "masuk" in r.json()["detail"]


def test_an_upload_without_the_csrf_token_is_refused(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/evidence",
        files={"file": ("a.pdf", pdfs.pdf(text="csrf"), "application/pdf")},
        headers={"X-CSRF-Token": "salah"},
    )
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_a_missing_blob_gives_a_clear_404(
    client: TestClient, db: Session, storage: Storage, saved: Any
) -> None:
    ef = db.get(EvidenceFile, saved["id"])
    assert ef is not None
    storage.delete(blob_key(ef.blob_sha256))
    r = client.get(f"/evidence/{saved['id']}")
    assert r.status_code == 404 and "penyimpanan" in r.text


# --- the page ------------------------------------------------------------------------------


def test_the_page_lists_files_with_an_upload_form_and_progress_bar(
    client: TestClient, w: World, saved: Any
) -> None:
    r = client.get(f"/badan-publik/{w.body.id}/data-dukung")
    assert r.status_code == 200
    html = r.text
    assert 'class="text-body-secondary help-text"' in html
    assert "lama.pdf" in html and f'href="/evidence/{saved["id"]}"' in html
    assert 'id="evidence-upload"' in html and 'enctype="multipart/form-data"' in html
    assert f'data-api="/api/v1/bodies/{w.body.id}/evidence"' in html
    assert 'id="upload-progress"' in html and 'role="progressbar"' in html
    assert "js/evidence-upload.js" in html
    assert 'name="csrf_token"' in html
    assert "<script>" not in html  # no inline script (CSP)


def test_an_empty_page_invites_the_first_upload(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.operator)
    r = client.get(f"/badan-publik/{w.body.id}/data-dukung")
    assert r.status_code == 200 and "Belum ada berkas data dukung" in r.text
    assert "Belum ada tautan yang diperiksa" in r.text


def test_the_sekretariat_sees_the_list_without_the_upload_form(
    client: TestClient, db: Session, w: World, saved: Any
) -> None:
    login(client, db, w.sekretariat)
    r = client.get(f"/badan-publik/{w.body.id}/data-dukung")
    assert r.status_code == 200 and "lama.pdf" in r.text
    assert 'id="evidence-upload"' not in r.text


def test_the_form_works_without_javascript(
    client: TestClient, db: Session, w: World, storage: Storage
) -> None:
    login(client, db, w.operator)
    data = pdfs.pdf(text="tanpa js")
    r = client.post(
        f"/badan-publik/{w.body.id}/data-dukung",
        files={"file": ("SOP.pdf", data, "application/pdf")},
        data=form(),
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/badan-publik/{w.body.id}/data-dukung?diunggah=")
    assert "monev_flash" in r.cookies
    page = client.get(r.headers["location"])
    assert "SOP.pdf tersimpan" in page.text
    assert _count(db) == 1 and staged_files(storage) == []


def test_the_form_without_javascript_shows_refusals_on_the_page(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = client.post(
        f"/badan-publik/{w.body.id}/data-dukung",
        files={"file": ("SK.pdf", pdfs.windows_exe(), "application/pdf")},
        data=form(),
    )
    assert r.status_code == 422
    assert "program Windows" in r.text and "lama.pdf" in r.text
    assert_nothing_changed(client, db, storage, saved)


def test_the_form_without_javascript_enforces_the_size_limit(
    client: TestClient,
    db: Session,
    w: World,
    storage: Storage,
    saved: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "evidence_max_bytes", 100 * 1024)
    r = client.post(
        f"/badan-publik/{w.body.id}/data-dukung",
        files={"file": ("SK.pdf", pdfs.pdf() + b"%" * (150 * 1024), "application/pdf")},
        data=form(),
    )
    assert r.status_code == 413 and "melebihi batas ukuran 100 KB" in r.text
    assert_nothing_changed(client, db, storage, saved)


def test_the_form_without_a_file_says_so(
    client: TestClient, db: Session, w: World, storage: Storage, saved: Any
) -> None:
    r = client.post(
        f"/badan-publik/{w.body.id}/data-dukung",
        files={"file": ("", b"", "application/octet-stream")},
        data=form(),
    )
    assert r.status_code == 422 and "Tidak ada berkas" in r.text
    assert_nothing_changed(client, db, storage, saved)


def test_the_form_of_another_body_is_not_found(
    client: TestClient, db: Session, w: World, saved: Any
) -> None:
    r = client.post(
        f"/badan-publik/{w.other_body.id}/data-dukung",
        files={"file": ("SK.pdf", pdfs.pdf(), "application/pdf")},
        data=form(),
    )
    assert r.status_code == 404
    assert _count(db) == 1


# --- links ---------------------------------------------------------------------------------


def test_links_are_checked_in_the_background_and_listed(
    client: TestClient, db: Session, w: World, web: WebServer, allow_private: None
) -> None:
    login(client, db, w.operator)
    web.route("/sk.pdf", 200, b"%PDF-1.7", Content_Type="application/pdf")
    web.route("/drive", 200, b"<html>Minta akses</html>", Content_Type="text/html")
    text = f"{web.url('/sk.pdf')}\n{web.url('/drive')}\n"
    r = client.post(f"/badan-publik/{w.body.id}/tautan", data=form(urls=text))
    assert r.status_code == 303, r.text
    page = client.get(f"/badan-publik/{w.body.id}/data-dukung").text
    assert "Berfungsi" in page and "Bermasalah" in page and "minta akses" in page
    api = client.get(f"/api/v1/bodies/{w.body.id}/links").json()
    assert [(x["url"], x["status"], x["problem"]) for x in api] == [
        (web.url("/drive"), "broken", "access_wall"),
        (web.url("/sk.pdf"), "ok", ""),
    ]


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://10.0.0.8/sk.pdf", "http://127.0.0.1:8000/", "javascript:x"],
)
def test_a_file_or_private_link_is_refused_on_the_page(
    client: TestClient, db: Session, w: World, url: str
) -> None:
    login(client, db, w.operator)
    r = client.post(f"/badan-publik/{w.body.id}/tautan", data=form(urls=url))
    assert r.status_code == 422
    assert "Tautan ditolak" in r.text and url.split(":")[0] in r.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(LinkCheck)) == 0


def test_the_links_api_refuses_bad_links_and_starts_good_ones(
    client: TestClient, db: Session, w: World, web: WebServer, allow_private: None
) -> None:
    login(client, db, w.operator)
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/links/check", json={"urls": ["file:///etc/passwd"]}, headers=H
    )
    assert r.status_code == 422 and "http:// atau https://" in r.json()["detail"]
    web.route("/ok", 200, b"%PDF", Content_Type="application/pdf")
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/links/check",
        json={"urls": [web.url("/ok")], "cycle_id": 1, "item_id": 2},
        headers=H,
    )
    assert r.status_code == 202, r.text
    assert r.json()["status_url"].startswith("/pekerjaan/")
    listed = client.get(f"/api/v1/bodies/{w.body.id}/links?cycle_id=1").json()
    assert [(x["status"], x["item_id"]) for x in listed] == [("ok", 2)]


def test_outsiders_cannot_check_a_bodys_links(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.other_operator)
    r = client.post(f"/badan-publik/{w.body.id}/tautan", data=form(urls="https://example.org/"))
    assert r.status_code == 404
    login(client, db, w.juri)
    r = client.post(
        f"/api/v1/bodies/{w.body.id}/links/check",
        json={"urls": ["https://example.org/"]},
        headers=H,
    )
    assert r.status_code == 404


# --- storage trouble -----------------------------------------------------------------------


def _broken(*args: object, **kwargs: object) -> None:
    raise StorageError("disk full")


def test_a_storage_outage_refuses_the_upload_with_503_and_keeps_nothing(
    client: TestClient,
    db: Session,
    w: World,
    storage: Storage,
    saved: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as m:
        m.setattr(type(storage), "put_file", _broken)
        r = _upload(client, w.body.id, pdfs.pdf(text="baru"))
    assert r.status_code == 503 and "belum tersimpan" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


def test_a_full_staging_disk_refuses_the_upload_with_503(
    client: TestClient,
    db: Session,
    w: World,
    storage: Storage,
    saved: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.evidence import upload

    def no_space(self: Any, parts: Any) -> None:
        raise StorageError("no space left on device")

    with monkeypatch.context() as m:
        m.setattr(upload._Sink, "_consume", no_space)
        r = _upload(client, w.body.id, pdfs.pdf(text="baru"))
    assert r.status_code == 503 and "belum tersimpan" in r.json()["detail"]
    assert_nothing_changed(client, db, storage, saved)


class _FillsUp:
    """A staging file on a disk that runs full after `room` bytes (ENOSPC part-way)."""

    def __init__(self, raw: Any, room: int) -> None:
        self.raw, self.room = raw, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self.raw.write(bytes(data[: self.room]))
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return int(self.raw.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()


def test_a_disk_running_full_part_way_gives_507_and_keeps_nothing(
    client: TestClient,
    db: Session,
    w: World,
    local_storage: Storage,
    saved: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = type(local_storage).new_staging_file

    def filling(self: Storage) -> tuple[Any, Any]:
        out, path = real(self)
        return _FillsUp(out, 4096), path

    with monkeypatch.context() as m:
        m.setattr(type(local_storage), "new_staging_file", filling)
        r = _upload(client, w.body.id, pdfs.pdf(text="baru", pages=8))
    assert r.status_code == 507, r.text
    assert "penuh" in r.json()["detail"] and "belum tersimpan" in r.json()["detail"]
    assert_nothing_changed(client, db, local_storage, saved)


def test_a_full_disk_when_the_file_is_stored_gives_507_and_keeps_nothing(
    client: TestClient,
    db: Session,
    w: World,
    local_storage: Storage,
    saved: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.evidence import storage as storage_module

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(storage_module.os, "fsync", no_space)
        r = _upload(client, w.body.id, pdfs.pdf(text="baru"))
    assert r.status_code == 507 and "penuh" in r.json()["detail"]
    assert_nothing_changed(client, db, local_storage, saved)


def test_a_storage_outage_during_download_says_so(
    client: TestClient, storage: Storage, saved: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(storage), "open", _broken)
    r = client.get(f"/evidence/{saved['id']}")
    assert r.status_code == 503 and "Penyimpanan" in r.text
