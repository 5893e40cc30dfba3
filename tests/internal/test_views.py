"""Internal monev pages through the browser: owner, commission staff, units, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.internal import service
from tests.factories import CSRF, Factory, form, login
from tests.internal.world import InternalWorld, build
from tests.verification.helpers import items_of, submit_saq


@pytest.fixture
def w(db: Session, factory: Factory) -> InternalWorld:
    return build(factory, db)


def test_the_operator_starts_an_internal_monev_from_the_index(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    city = factory.body(org, "Pemerintah Kota Contoh")
    factory.body(org, "Dinas Contoh", parent_id=city.id)
    op = factory.user(org, Role.OPERATOR, body=city)
    login(client, db, op)
    page = client.get("/monev-internal")
    assert page.status_code == 200 and "Mulai monev internal" in page.text
    r = client.post(f"/monev-internal/mulai/{city.id}", data=form())
    assert r.status_code == 303
    monev = service.internal_of_body(db, city.id)
    assert monev is not None and r.headers["location"] == f"/monev-internal/{monev.id}"
    detail = client.get(r.headers["location"])
    assert "Dinas Contoh" in detail.text
    # Starting twice is refused with a message, nothing changes.
    again = client.post(f"/monev-internal/mulai/{city.id}", data=form())
    assert again.status_code == 409 or again.status_code == 422
    assert "sudah ada" in again.text


def test_a_cycle_needs_a_name_and_known_indicators(
    client: TestClient, db: Session, w: InternalWorld
) -> None:
    login(client, db, w.lead)
    url = f"/monev-internal/{w.monev.id}/siklus"
    r = client.post(url, data=form(name="", year="2025"))
    assert r.status_code == 422 and "Wajib" in r.text
    r = client.post(url, data=form(name="Tahap 2", year="2025", indicators="9"))
    assert r.status_code == 422 and "Indikator tidak dikenal: 9" in r.text
    r = client.post(url, data=form(name="Tahap 2", year="2025", indicators="1"))
    assert r.status_code == 303 and r.headers["location"] == f"/monev-internal/{w.monev.id}"
    page = client.get(r.headers["location"])
    assert "Tahap 2" in page.text and "Kelola di organisasi monev internal" in page.text
    client.post("/akun/komisi", data=form(organisation_id=w.iorg.id))
    cycles = [c for c in service.internal_cycles(db, w.monev) if c.name == "Tahap 2"]
    assert client.get(f"/siklus/{cycles[0].id}").status_code == 200


def test_readiness_links_unit_evidence_that_shows_in_the_city_saq(
    client: TestClient, db: Session, factory: Factory, w: InternalWorld
) -> None:
    mirror = w.mirror(db, w.units[0])
    submit_saq(db, w.icycle, mirror, {"1.1": None, "1.2": "ya", "2.1.1": "ya", "2.1.3": None})
    login(client, db, w.lead)
    page = client.get(f"/monev-internal/{w.monev.id}/siklus/{w.icycle.id}/kesiapan")
    assert page.status_code == 200
    assert "belum dijawab" in page.text and "Tautkan ke butir 1.2" in page.text
    ready = {r.unit.id: r for r in service.readiness(db, w.monev, w.icycle)}
    ef = ready[w.units[0].id].strong_files["1.2"][0]
    item_id = items_of(db, w.ccycle)["1.2"].id
    data = form(evidence_file_id=ef.id, item_id=item_id, cycle_id=w.icycle.id)
    r = client.post(f"/monev-internal/{w.monev.id}/tautan", data=data)
    assert r.status_code == 303
    again = client.post(f"/monev-internal/{w.monev.id}/tautan", data=data)
    assert again.status_code == 409 and "sudah ditautkan" in again.text
    saq = client.get(f"/siklus/{w.ccycle.id}/badan/{w.parent.id}/saq")
    assert f"tautan dari unit {w.units[0].name}" in saq.text
    # The city's operator passes the access check (the test stores no bytes for the file);
    # another body's operator gets the plain "not found".
    assert "penyimpanan" in client.get(f"/evidence/{ef.id}").text
    login(client, db, factory.user(w.org, Role.OPERATOR, body=factory.body(w.org)))
    stranger = client.get(f"/evidence/{ef.id}")
    assert stranger.status_code == 404 and "penyimpanan" not in stranger.text
    # The commission's staff see the linked file where the city's SAQ is verified.
    login(client, db, factory.user(w.org, Role.SEKRETARIAT))
    assert "penyimpanan" in client.get(f"/verifikasi/berkas/{ef.id}").text
    other = factory.commission()
    login(client, db, factory.user(other, Role.SEKRETARIAT))
    outsider = client.get(f"/verifikasi/berkas/{ef.id}")
    assert outsider.status_code == 404 and "penyimpanan" not in outsider.text


def test_the_commission_sees_it_only_once_shared_and_units_never(
    client: TestClient, db: Session, factory: Factory, w: InternalWorld
) -> None:
    url = f"/monev-internal/{w.monev.id}"
    sek = factory.user(w.org, Role.SEKRETARIAT)
    login(client, db, sek)
    assert client.get(url).status_code == 404
    login(client, db, w.unit_ops[0])
    assert client.get(url).status_code == 404
    login(client, db, w.lead)
    r = client.post(url + "/berbagi", data=form(shared="1"))
    assert r.status_code == 303
    login(client, db, sek)
    page = client.get(url)
    assert page.status_code == 200 and "Bagikan ke komisi" not in page.text
    assert client.post(url + "/berbagi", data=form(shared="0")).status_code == 403


def test_csrf_token_is_checked(client: TestClient, db: Session, w: InternalWorld) -> None:
    login(client, db, w.lead)
    r = client.post(f"/monev-internal/{w.monev.id}/berbagi", data={"csrf_token": CSRF + "x"})
    assert r.status_code in (400, 403)
