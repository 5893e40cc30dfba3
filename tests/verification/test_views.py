"""Verification pages and API through HTTP: the journey of the issue (a verifier works through
a body, asks a clarification, rejects two items; the body appeals one; a second verifier
accepts it), and who may see or change what."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.config import get_settings
from app.db import utcnow
from app.evidence.models import EvidenceFile
from app.evidence.storage import blob_key, get_storage
from app.verification import service
from app.verification.models import Appeal, Clarification
from tests.factories import CSRF, Factory, form, login
from tests.verification.helpers import PDF, World, build, set_stage


@pytest.fixture
def w(factory: Factory, db: Session) -> World:
    world = build(factory, db)
    world.users["outsider"] = factory.user(factory.commission(), Role.SEKRETARIAT)
    world.users["v0"], world.users["v1"] = world.verifiers
    return world


def _assign_both(client: TestClient, db: Session, w: World) -> None:
    login(client, db, w.users["sekretariat"])
    url = f"/siklus/{w.cycle.id}/verifikasi/penugasan"
    assert client.get(url).status_code == 200
    for body, v in zip(w.bodies, w.verifiers, strict=True):
        r = client.post(url, data=form(body_id=body.id, verifier_id=v.id, action="assign"))
        assert r.status_code == 303, r.text


def _verdict(client: TestClient, w: World, code: str, verdict: str, note: str = "", **kw: str):  # type: ignore[no-untyped-def]
    item = w.items[code]
    return client.post(
        f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}/butir/{item.id}",
        data=form(verdict=verdict, note=note, **kw),
    )


def test_the_journey_of_the_issue_through_the_pages(
    client: TestClient, factory: Factory, db: Session, w: World
) -> None:
    _assign_both(client, db, w)
    cyc, body = w.cycle, w.bodies[0]
    login(client, db, w.users["v0"])
    tasks = client.get("/verifikasi")
    assert tasks.status_code == 200 and body.name in tasks.text
    page = client.get(f"/verifikasi/{cyc.id}/badan/{body.id}")
    assert page.status_code == 200
    assert "Nilai mandiri dan terverifikasi" in page.text and "bukti-1.2.pdf" in page.text
    # a clarification on 1.2, answered by the body, closed by the verifier
    due = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        f"/verifikasi/{cyc.id}/badan/{body.id}/klarifikasi",
        data=form(item_id=w.items["1.2"].id, question="Kapan DIP ditetapkan?", due=due),
    )
    assert r.status_code == 303, r.text
    login(client, db, w.users["operator"])
    thread = client.get(f"/siklus/{cyc.id}/klarifikasi")
    assert "Kapan DIP ditetapkan?" in thread.text
    c = db.scalars(select(Clarification)).one()
    assert (
        client.post(f"/klarifikasi/{c.id}", data=form(response="Januari 2025")).status_code == 303
    )
    login(client, db, w.users["v0"])
    assert (
        client.post(f"/verifikasi/{cyc.id}/klarifikasi/{c.id}/tutup", data=form()).status_code
        == 303
    )
    # verdicts: htmx per item, two rejections with notes
    for code in w.items:
        if code in ("1.2", "2.1.1"):
            continue
        r = client.post(
            f"/verifikasi/{cyc.id}/badan/{body.id}/butir/{w.items[code].id}",
            data=form(verdict="accepted", note=""),
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200 and f'id="butir-{w.items[code].id}"' in r.text
    assert _verdict(client, w, "1.2", "rejected", "DIP tanpa tanggal").status_code == 303
    assert _verdict(client, w, "2.1.1", "rejected", "Tautan profil mati").status_code == 303
    assert (
        client.post(f"/verifikasi/{cyc.id}/badan/{body.id}/kirim", data=form()).status_code == 303
    )
    # the sekretariat publishes; the body sees its own result and appeals 2.1.1
    set_stage(db, cyc, "verification_publication")
    set_stage(db, cyc, "appeal")
    login(client, db, w.users["sekretariat"])
    assert client.post(f"/siklus/{cyc.id}/verifikasi/umumkan", data=form()).status_code == 303
    dash = client.get(f"/siklus/{cyc.id}/verifikasi")
    assert dash.status_code == 200 and w.verifiers[0].full_name in dash.text
    login(client, db, w.users["operator"])
    result = client.get(f"/siklus/{cyc.id}/hasil-verifikasi/{body.id}")
    assert result.status_code == 200
    assert "56,67" in result.text and "Tautan profil mati" in result.text
    url = f"/siklus/{cyc.id}/hasil-verifikasi/{body.id}/sanggah"
    r = client.post(url, data=form(item_id=w.items["2.1.1"].id, reason="Tautan sudah hidup"))
    assert r.status_code == 303, r.text
    again = client.post(url, data=form(item_id=w.items["2.1.1"].id, reason="lagi"))
    assert again.status_code == 409 and "sudah pernah diajukan" in again.text
    appeal = db.scalars(select(Appeal)).one()
    assert appeal.decider_id == w.verifiers[1].id
    # the original verifier cannot decide; the second verifier accepts
    login(client, db, w.users["v0"])
    assert client.get(f"/sanggah/{appeal.id}").status_code == 404
    login(client, db, w.users["v1"])
    assert "Simpan putusan" in client.get(f"/sanggah/{appeal.id}").text
    r = client.post(
        f"/sanggah/{appeal.id}/putusan", data=form(decision="accepted", reason="Dapat dibuka")
    )
    assert r.status_code == 303, r.text
    pdf = client.get(f"/sanggah/{appeal.id}/berita-acara.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    login(client, db, w.users["operator"])
    shown = client.get(f"/sanggah/{appeal.id}")
    assert "56,67" in shown.text and "86,67" in shown.text
    # the sekretariat sees the recomputed score in the shortlist preview
    login(client, db, w.users["sekretariat"])
    assert "86,67" in client.get(f"/siklus/{cyc.id}/nominasi").text
    minutes = client.get(f"/verifikasi/{cyc.id}/badan/{body.id}/berita-acara.pdf")
    assert minutes.status_code == 200 and minutes.content.startswith(b"%PDF")
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        r = client.get(f"/verifikasi/{cyc.id}/badan/{body.id}/ekspor.{fmt}")
        assert r.status_code == 200 and r.content.startswith(magic)
    assert client.get(f"/verifikasi/{cyc.id}/badan/{body.id}/ekspor.csv").status_code == 404


def test_a_rejection_without_a_note_is_refused_with_a_message(
    client: TestClient, db: Session, w: World
) -> None:
    _assign_both(client, db, w)
    login(client, db, w.users["v0"])
    r = _verdict(client, w, "1.2", "rejected", "")
    assert r.status_code == 422 and "Catatan wajib diisi" in r.text
    item = w.items["1.2"]
    r = client.post(
        f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}/butir/{item.id}",
        data=form(verdict="adjusted", note=""),
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "Putusan belum disimpan" in r.text
    assert service.load_sheet(db, w.cycle, w.bodies[0].id).pending == len(w.items)


def test_a_locked_verdict_cannot_be_changed_through_the_page(
    client: TestClient, db: Session, w: World
) -> None:
    _assign_both(client, db, w)
    login(client, db, w.users["v0"])
    for code in w.items:
        assert _verdict(client, w, code, "accepted").status_code == 303
    client.post(f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}/kirim", data=form())
    r = _verdict(client, w, "1.2", "rejected", "terlambat")
    assert r.status_code == 409 and "dikunci" in r.text


def test_who_may_open_a_bodys_verification(
    client: TestClient, factory: Factory, db: Session, w: World
) -> None:
    _assign_both(client, db, w)
    url = f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}"
    expected = {
        "v0": 200,  # its verifier
        "sekretariat": 200,
        "komisioner": 200,
        "reviewer": 200,
        "v1": 403,  # the verifier of another body
        "operator": 404,  # wrong role: staff pages do not exist for a body
        "outsider": 404,  # another commission
    }
    for persona, status in expected.items():
        login(client, db, w.users[persona])
        assert client.get(url).status_code == status, persona
    login(client, db, w.users["v1"])
    assert _verdict(client, w, "1.2", "accepted").status_code == 403
    # a reviewer with an affiliation to the body is refused too
    from app.conflicts.service import declare_affiliation

    reviewer = w.actor(factory, w.users["reviewer"])
    declare_affiliation(db, reviewer, kind="institution", name="x", body_id=w.bodies[0].id)
    login(client, db, w.users["reviewer"])
    assert client.get(url).status_code == 403


def test_the_published_result_is_the_bodys_own(
    client: TestClient, factory: Factory, db: Session, w: World
) -> None:
    other_op = factory.user(w.org, Role.OPERATOR, body=w.bodies[1])
    url = f"/siklus/{w.cycle.id}/hasil-verifikasi/{w.bodies[0].id}"
    login(client, db, w.users["operator"])
    assert client.get(url).status_code == 404  # not published yet
    login(client, db, other_op)
    assert client.get(url).status_code == 404


def test_the_api_reads_and_writes_verdicts(client: TestClient, db: Session, w: World) -> None:
    _assign_both(client, db, w)
    base = f"/api/v1/cycles/{w.cycle.id}/verification/bodies/{w.bodies[0].id}"
    headers = {"X-CSRF-Token": CSRF}
    login(client, db, w.users["v0"])
    item = w.items["1.1"]
    r = client.put(
        f"{base}/items/{item.id}",
        json={"verdict": "adjusted", "verified_option": "Tahunan", "note": "5 bulan"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    data = r.json()
    line = next(i for i in data["items"] if i["item_code"] == "1.1")
    assert (line["verdict"], line["verified_credit"]) == ("adjusted", "0.5")
    bad = client.put(f"{base}/items/{item.id}", json={"verdict": "rejected"}, headers=headers)
    assert bad.status_code == 422 and "note" in bad.text
    assert client.get(base).json()["items"][0]["verdict"] == "adjusted"
    login(client, db, w.users["v1"])
    r = client.put(f"{base}/items/{item.id}", json={"verdict": "accepted"}, headers=headers)
    assert r.status_code == 403
    assert client.get(base).status_code == 403
    login(client, db, w.users["outsider"])
    assert client.get(base).status_code == 404


def test_a_pdf_is_shown_inline_to_the_verifier_only(
    client: TestClient, db: Session, w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = get_settings()
    monkeypatch.setattr(s, "evidence_storage", "local")
    monkeypatch.setattr(s, "evidence_dir", tmp_path / "evidence")
    ef = db.scalars(
        select(EvidenceFile).where(
            EvidenceFile.body_id == w.bodies[0].id, EvidenceFile.item_id == w.items["1.2"].id
        )
    ).one()
    get_storage().put_stream(blob_key(ef.blob_sha256), io.BytesIO(PDF))
    _assign_both(client, db, w)
    login(client, db, w.users["v0"])
    r = client.get(f"/verifikasi/berkas/{ef.id}")
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-disposition"] == "inline"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    login(client, db, w.users["v1"])
    assert client.get(f"/verifikasi/berkas/{ef.id}").status_code == 404


def test_auto_assignment_and_review_setting_through_the_pages(
    client: TestClient, db: Session, w: World
) -> None:
    login(client, db, w.users["sekretariat"])
    r = client.post(f"/siklus/{w.cycle.id}/verifikasi/penugasan/otomatis", data=form())
    assert r.status_code == 303
    page = client.get(f"/siklus/{w.cycle.id}/verifikasi/penugasan")
    assert page.text.count("Ditugaskan") >= 2
    r = client.post(f"/siklus/{w.cycle.id}/verifikasi/pengaturan", data=form(requires_review="1"))
    assert r.status_code == 303
    db.refresh(w.cycle)
    assert w.cycle.requires_review
    login(client, db, w.users["v0"])
    assert (
        client.post(f"/siklus/{w.cycle.id}/verifikasi/penugasan/otomatis", data=form()).status_code
        == 403
    )


def test_the_body_adds_new_evidence_to_a_clarification_and_the_original_stays(
    client: TestClient, db: Session, w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.evidence import pdfs

    s = get_settings()
    monkeypatch.setattr(s, "evidence_storage", "local")
    monkeypatch.setattr(s, "evidence_dir", tmp_path / "evidence")
    _assign_both(client, db, w)
    login(client, db, w.users["v0"])
    due = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    item = w.items["1.2"]
    client.post(
        f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}/klarifikasi",
        data=form(item_id=item.id, question="Unggah SK yang ditandatangani", due=due),
    )
    c = db.scalars(select(Clarification)).one()
    login(client, db, w.users["operator"])
    r = client.post(
        f"/klarifikasi/{c.id}/berkas",
        files={"file": ("SK bertanda tangan.pdf", pdfs.pdf(), "application/pdf")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert r.status_code == 303, r.text
    db.expire_all()
    files = db.scalars(
        select(EvidenceFile).where(
            EvidenceFile.body_id == w.bodies[0].id, EvidenceFile.item_id == item.id
        )
    ).all()
    assert sorted(f.original_name for f in files) == ["SK bertanda tangan.pdf", "bukti-1.2.pdf"]
    c = db.scalars(select(Clarification)).one()
    assert c.status == "answered" and c.evidence_file_id is not None
    login(client, db, w.users["v0"])
    page = client.get(f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}")
    assert "SK bertanda tangan.pdf" in page.text and "baru" in page.text
    # another body's operator cannot add to this clarification
    login(client, db, w.users["outsider"])
    r = client.post(
        f"/klarifikasi/{c.id}/berkas",
        files={"file": ("x.pdf", pdfs.pdf(), "application/pdf")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert r.status_code == 404
