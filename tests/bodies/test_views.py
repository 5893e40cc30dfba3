from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.bodies.models import Body
from tests.factories import Factory, form, login


def test_sekretariat_lists_searches_and_opens_bodies(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    b = factory.body(org, "Pemerintah Kota Pasuruan")
    factory.body(org, "Pemerintah Kota Mojokerto")
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.get("/badan-publik?q=pasuruan")
    assert r.status_code == 200 and "Kota Pasuruan" in r.text and "Mojokerto" not in r.text
    assert client.get(f"/badan-publik/{b.id}").status_code == 200
    empty = client.get("/badan-publik?q=tidak-ada")
    assert "Belum ada badan publik yang cocok" in empty.text


def test_an_outsider_commission_gets_404_for_another_commissions_body(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, other = factory.commission(), factory.commission()
    b = factory.body(other)
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert client.get(f"/badan-publik/{b.id}").status_code == 404
    assert client.get(f"/api/v1/bodies/{b.id}").status_code == 404
    r = client.post(f"/badan-publik/{b.id}/ubah", data=form(name="Diambil alih"))
    assert r.status_code == 404
    db.refresh(b)
    assert b.name != "Diambil alih"


def test_a_wrong_role_cannot_open_the_registry(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.JURI))
    assert client.get("/badan-publik").status_code == 403
    assert client.get("/badan-publik/impor").status_code == 403
    assert client.get("/badan-publik/baru").status_code == 403
    assert client.get("/api/v1/bodies").status_code == 403


def test_an_operator_sees_and_edits_only_their_body(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    mine, other = factory.body(org), factory.body(org)
    login(client, db, factory.user(org, Role.OPERATOR, body=mine))
    assert client.get("/beranda").status_code == 200
    assert mine.name in client.get("/beranda").text
    assert client.get(f"/badan-publik/{mine.id}/ubah").status_code == 200
    r = client.post(
        f"/badan-publik/{mine.id}/ubah", data=form(website="bukan-url", ppid_name="Budi")
    )
    assert r.status_code == 422 and "bukan-url" in r.text
    r = client.post(
        f"/badan-publik/{mine.id}/ubah", data=form(website="https://kota.go.id", ppid_name="Budi")
    )
    assert r.status_code == 303
    db.refresh(mine)
    assert mine.ppid_name == "Budi"
    assert client.get(f"/badan-publik/{other.id}").status_code == 404
    assert client.get(f"/badan-publik/{other.id}/ubah").status_code == 404


def test_sekretariat_creates_and_edits_a_body_keeping_input_on_errors(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert client.get("/badan-publik/baru").status_code == 200
    r = client.post("/badan-publik/baru", data=form(name="", website="https://x.id"))
    assert r.status_code == 422 and "https://x.id" in r.text
    r = client.post(
        "/badan-publik/baru",
        data=form(name="Pemerintah Kota Baru", default_category_code="pemkab_pemkot"),
    )
    assert r.status_code == 303
    body = db.scalars(select(Body).where(Body.name == "Pemerintah Kota Baru")).one()
    assert client.get(f"/badan-publik/{body.id}/ubah").status_code == 200
    r = client.post(f"/badan-publik/{body.id}/ubah", data=form(name="Pemerintah Kota Baru 2"))
    assert r.status_code == 303


def test_import_flow_previews_then_applies(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert client.get("/badan-publik/impor").status_code == 200
    good = b"name,category,parent\nKota Import,pemkab_pemkot,\nDinas Import,,Kota Import\n"
    r = client.post("/badan-publik/impor", data=form(), files={"file": ("b.csv", good)})
    assert r.status_code == 200 and "Impor sekarang" in r.text
    batch = r.text.split("/badan-publik/impor/")[1].split("/terapkan")[0]
    assert client.post(f"/badan-publik/impor/{batch}/terapkan", data=form()).status_code == 303
    assert db.scalars(select(Body).where(Body.organisation_id == org.id)).all()
    bad = b"name,category\nKota Salah,kerajaan\n"
    r = client.post("/badan-publik/impor", data=form(), files={"file": ("b.csv", bad)})
    assert r.status_code == 422 and "Kategori tidak dikenal" in r.text
    r = client.post("/badan-publik/impor", data=form(), files={"file": ("b.csv", b"")})
    assert r.status_code == 422 and "kosong" in r.text


def test_another_commission_cannot_apply_an_import_batch(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, other = factory.commission(), factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.post(
        "/badan-publik/impor",
        data=form(),
        files={"file": ("b.csv", b"name,category\nKota Q,pemkab_pemkot\n")},
    )
    batch = r.text.split("/badan-publik/impor/")[1].split("/terapkan")[0]
    login(client, db, factory.user(other, Role.SEKRETARIAT))
    assert client.post(f"/badan-publik/impor/{batch}/terapkan", data=form()).status_code == 404


def test_export_runs_as_a_job_with_progress_and_a_download(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    for i in range(3):
        factory.body(org, f"Kota Ekspor {i}")
    sek = factory.user(org, Role.SEKRETARIAT)
    login(client, db, sek)
    r = client.post("/badan-publik/ekspor", data=form())
    assert r.status_code == 303
    job_url = r.headers["location"]
    page = client.get(job_url)
    assert page.status_code == 200 and "selesai" in page.text
    assert client.get(job_url + "/status").status_code == 200
    dl = client.get(job_url + "/unduh")
    assert dl.status_code == 200 and dl.content[:2] == b"PK"
    assert "attachment" in dl.headers["content-disposition"]
    job_id = job_url.rsplit("/", 1)[1]
    assert client.get(f"/api/v1/jobs/{job_id}").json()["percent"] == 100
    login(client, db, factory.user(org, Role.VERIFIKATOR))
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "/unduh").status_code == 404


def test_sekretariat_hands_a_body_account_over(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    body = factory.body(org)
    old = factory.user(org, Role.OPERATOR, body=body)
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.post(
        f"/badan-publik/{body.id}/alihkan-akun",
        data=form(from_user_id=old.id, to_email="baru@kota.go.id", to_full_name="Staf Baru"),
    )
    assert r.status_code == 303
    page = client.get(f"/badan-publik/{body.id}")
    assert "baru@kota.go.id" in page.text and old.email not in page.text
    r = client.post(
        f"/badan-publik/{body.id}/alihkan-akun",
        data=form(from_user_id=999999, to_email="x@y.id", to_full_name="X"),
    )
    assert r.status_code == 404


def test_api_lists_creates_and_patches_bodies(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    headers = {"X-CSRF-Token": "test-csrf-token-0123456789abcdef"}
    r = client.post(
        "/api/v1/bodies",
        json={"name": "Kota API", "default_category_code": "pemkab_pemkot"},
        headers=headers,
    )
    assert r.status_code == 201
    bid = r.json()["id"]
    r = client.patch(
        f"/api/v1/bodies/{bid}", json={"website": "https://api.go.id"}, headers=headers
    )
    assert r.status_code == 200 and r.json()["website"] == "https://api.go.id"
    r = client.patch(f"/api/v1/bodies/{bid}", json={"website": "ftp://x"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"]["website"]
    r = client.post("/api/v1/bodies", json={"name": ""}, headers=headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    listing = client.get("/api/v1/bodies?per_page=1").json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == "Kota API"
