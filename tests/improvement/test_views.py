"""Improvement-loop pages through HTTP: the journey of the issue (recommendations downloaded
by the body, an unchanged decree carried into next year but not an annual report, a calibration
sample with kappa), bad input, and who may see or change what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.improvement.models import CalibrationSample, CarriedEvidence, Recommendation
from tests.factories import Factory, form, login
from tests.improvement import helpers as h


@pytest.fixture
def loop(factory: Factory, db: Session) -> h.Loop:
    lp = h.verified(factory, db)
    lp.w.users["outsider"] = factory.user(factory.commission(), Role.SEKRETARIAT)
    lp.w.users["other_operator"] = factory.user(lp.w.org, Role.OPERATOR, body=lp.w.bodies[1])
    return lp


def _rec_url(loop: h.Loop, tail: str = "") -> str:
    return f"/siklus/{loop.cycle.id}/rekomendasi/{loop.w.bodies[0].id}{tail}"


def _approved(client: TestClient, db: Session, loop: h.Loop) -> None:
    h.publish(db, loop)
    login(client, db, loop.w.users["sekretariat"])
    r = client.post(f"/siklus/{loop.cycle.id}/rekomendasi/buat", data=form())
    assert r.status_code == 303, r.text
    r = client.post(_rec_url(loop, "/setujui"), data=form())
    assert r.status_code == 303, r.text


def test_recommendations_wait_for_publication(
    client: TestClient, db: Session, loop: h.Loop
) -> None:
    login(client, db, loop.w.users["sekretariat"])
    r = client.post(f"/siklus/{loop.cycle.id}/rekomendasi/buat", data=form())
    assert r.status_code == 409 and "belum terbit" in r.text
    assert db.scalar(select(Recommendation)) is None


def test_the_sekretariat_edits_and_the_body_downloads(
    client: TestClient, db: Session, loop: h.Loop
) -> None:
    h.publish(db, loop)
    login(client, db, loop.w.users["sekretariat"])
    assert client.post(f"/siklus/{loop.cycle.id}/rekomendasi/buat", data=form()).status_code == 303
    page = client.get(_rec_url(loop))
    assert page.status_code == 200 and h.REJECTED["2.1.1"] in page.text
    rec = db.scalars(
        select(Recommendation).where(Recommendation.body_id == loop.w.bodies[0].id)
    ).one()
    from app.improvement.models import RecommendationItem

    item = db.scalars(
        select(RecommendationItem).where(RecommendationItem.recommendation_id == rec.id)
    ).one()
    # Empty advice: refused, shown next to the field, nothing saved.
    bad = client.post(
        _rec_url(loop), data=form(summary="Ringkasan baru", **{f"advice_{item.id}": ""})
    )
    assert bad.status_code == 422 and "tidak boleh kosong" in bad.text
    assert "Ringkasan baru" in bad.text  # what was typed is kept
    db.refresh(rec)
    assert rec.summary == ""
    ok = client.post(
        _rec_url(loop),
        data=form(
            summary="Segera perbaiki.",
            **{f"advice_{item.id}": "Pastikan tautan profil dapat dibuka."},
        ),
    )
    assert ok.status_code == 303
    assert client.post(_rec_url(loop, "/setujui"), data=form()).status_code == 303
    # The body: its workspace links the recommendation; the page and the PDF open.
    login(client, db, loop.w.users["operator"])
    assert client.get(_rec_url(loop)).status_code == 200
    pdf = client.get(_rec_url(loop, "/rekomendasi.pdf"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    home = client.get("/beranda")
    assert home.status_code == 200 and _rec_url(loop, "/rekomendasi.pdf") in home.text
    ws = client.get(f"/siklus/{loop.cycle.id}/badan/{loop.w.bodies[0].id}/saq")
    assert ws.status_code == 200 and _rec_url(loop, "/rekomendasi.pdf") in ws.text
    # Approved: frozen.
    login(client, db, loop.w.users["sekretariat"])
    again = client.post(_rec_url(loop), data=form(summary="x", **{f"advice_{item.id}": "y"}))
    assert again.status_code == 409


def test_recommendation_permissions(client: TestClient, db: Session, loop: h.Loop) -> None:
    h.publish(db, loop)
    login(client, db, loop.w.users["sekretariat"])
    client.post(f"/siklus/{loop.cycle.id}/rekomendasi/buat", data=form())
    # Before approval the body does not see its draft.
    login(client, db, loop.w.users["operator"])
    assert client.get(_rec_url(loop)).status_code == 404
    login(client, db, loop.w.users["komisioner"])
    assert client.get(_rec_url(loop)).status_code == 200
    assert client.post(_rec_url(loop, "/setujui"), data=form()).status_code == 403
    for persona in ("outsider", "other_operator"):
        login(client, db, loop.w.users[persona])
        assert client.get(_rec_url(loop)).status_code in (403, 404), persona
        assert client.get(_rec_url(loop, "/rekomendasi.pdf")).status_code in (403, 404), persona
        assert client.post(_rec_url(loop, "/setujui"), data=form()).status_code in (403, 404)


def test_next_year_the_body_carries_the_decree_but_renews_the_report(
    client: TestClient, db: Session, loop: h.Loop
) -> None:
    _approved(client, db, loop)
    new = h.next_year(db, loop)
    decree, report = h.item(db, new, "1.2"), h.item(db, new, "2.1.3")
    settings = f"/siklus/{new.id}/bawa-bukti"
    assert client.get(settings).status_code == 200
    bad = client.post(settings, data=form(allow="abc"))
    assert bad.status_code == 422 and "tidak sah" in bad.text
    assert client.post(settings, data=form(allow=str(decree.id))).status_code == 303
    login(client, db, loop.w.users["operator"])
    base = f"/siklus/{new.id}/badan/{loop.w.bodies[0].id}/saq"
    page = client.get(base + "/perbaikan")
    assert page.status_code == 200
    assert "Rekomendasi tahun lalu" in page.text and "Pastikan" not in page.text
    assert f"/butir/{decree.id}/bawa" in page.text
    assert f"/butir/{report.id}/bawa" not in page.text and "setiap tahun" in page.text
    ws = client.get(base)
    assert f'id="last-year-{h.item(db, new, "2.1.1").id}"' in ws.text  # beside the item
    r = client.post(base + f"/butir/{decree.id}/bawa", data=form())
    assert r.status_code == 303, r.text
    assert db.scalar(select(CarriedEvidence).where(CarriedEvidence.item_id == decree.id))
    assert "tanggal asli" in client.get(base + "/perbaikan").text
    refused = client.post(base + f"/butir/{report.id}/bawa", data=form())
    assert refused.status_code == 422 and "setiap tahun" in refused.text
    # Other people cannot carry into this body's SAQ.
    login(client, db, loop.w.users["other_operator"])
    assert client.post(base + f"/butir/{decree.id}/bawa", data=form()).status_code == 404
    login(client, db, loop.w.users["komisioner"])
    assert client.get(settings).status_code == 403


def test_a_calibration_sample_produces_an_agreement_report(
    client: TestClient, db: Session, loop: h.Loop
) -> None:
    login(client, db, loop.w.users["sekretariat"])
    url = f"/siklus/{loop.cycle.id}/kalibrasi"
    bad = client.post(url + "/sampel", data=form(percent="lima"))
    assert bad.status_code == 422 and "Persentase" in bad.text
    assert db.scalar(select(CalibrationSample)) is None
    assert client.post(url + "/sampel", data=form(percent="100")).status_code == 303
    v0, v1 = loop.w.verifiers
    login(client, db, v1)
    tasks = client.get(url + "/tugas")
    assert tasks.status_code == 200
    assert loop.w.bodies[0].name in tasks.text
    assert h.REJECTED["2.1.1"] not in tasks.text  # blind: the first note is not shown
    mine = db.scalars(
        select(CalibrationSample).where(CalibrationSample.second_verifier_id == v1.id)
    ).all()
    empty_note = client.post(f"{url}/{mine[0].id}/putusan", data=form(verdict="rejected"))
    assert empty_note.status_code == 422 and "Catatan" in empty_note.text
    for s in mine:
        r = client.post(f"{url}/{s.id}/putusan", data=form(verdict="accepted"))
        assert r.status_code == 303
    login(client, db, v0)
    assert (
        client.post(f"{url}/{mine[0].id}/putusan", data=form(verdict="accepted")).status_code == 403
    )
    login(client, db, loop.w.users["komisioner"])
    page = client.get(url)
    assert page.status_code == 200 and "Kappa" in page.text
    bad = client.get(url + "?selisih=banyak&minimal=2")
    assert bad.status_code == 422 and "Selisih harus angka" in bad.text
    assert 'value="banyak"' in bad.text
    assert client.get(url + "?selisih=5&minimal=1").status_code == 200
    assert client.post(url + "/sampel", data=form(percent="5")).status_code == 403
    disputed = next(s for s in mine if s.first_verdict == "rejected")
    assert (
        client.post(
            f"{url}/{disputed.id}/keputusan", data=form(verdict="accepted", note="ok")
        ).status_code
        == 403
    )
    login(client, db, loop.w.users["sekretariat"])
    page = client.get(url)
    assert f'action="{url}/{disputed.id}/keputusan"' in page.text
    r = client.post(f"{url}/{disputed.id}/keputusan", data=form(verdict="accepted", note=""))
    assert r.status_code == 422 and "Alasan" in r.text
    r = client.post(
        f"{url}/{disputed.id}/keputusan", data=form(verdict="accepted", note="Tautan dapat dibuka.")
    )
    assert r.status_code == 303
    db.refresh(disputed)
    assert disputed.final_verdict == "accepted"
    login(client, db, loop.w.users["outsider"])
    assert client.get(url).status_code in (403, 404)


def test_trends_for_the_commission_only(client: TestClient, db: Session, loop: h.Loop) -> None:
    login(client, db, loop.w.users["komisioner"])
    page = client.get(f"/siklus/{loop.cycle.id}/tren")
    assert page.status_code == 200 and "paling sering" in page.text and "2.1.1" in page.text
    for persona in ("operator", "outsider"):
        login(client, db, loop.w.users[persona])
        assert client.get(f"/siklus/{loop.cycle.id}/tren").status_code in (403, 404)
