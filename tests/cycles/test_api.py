from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Role
from app.cycles import categories
from app.orgs.models import Organisation
from tests.factories import Factory


def bearer(factory: Factory, db: Session, user: User, org: Organisation) -> dict[str, str]:
    _, raw = accounts.create_api_token(db, factory.actor(user, org), "integrasi")
    return {"Authorization": f"Bearer {raw}"}


def test_staff_list_and_read_cycles(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission(timezone="Asia/Makassar")
    cycle = factory.cycle(org, is_open=True)
    h = bearer(factory, db, factory.user(org, Role.KOMISIONER), org)
    (listed,) = client.get("/api/v1/cycles", headers=h).json()
    assert listed["id"] == cycle.id and listed["status"] == "open"
    assert listed["current_stage"] == "saq" and listed["timezone"] == "Asia/Makassar"
    stages = client.get(f"/api/v1/cycles/{cycle.id}/stages", headers=h).json()
    assert [s["code"] for s in stages][:2] == ["registration", "saq"]
    assert stages[1]["label"] == "SAQ"
    rules = client.get(f"/api/v1/cycles/{cycle.id}/rules", headers=h).json()
    assert [c["weight"] for c in rules["components"]] == [70, 30]
    assert rules["shortlist"] == {
        "threshold": "60.00",
        "threshold_inclusive": True,
        "top_n": 3,
        "combine": "or",
    }
    cats = client.get(f"/api/v1/cycles/{cycle.id}/categories", headers=h).json()
    assert [c["code"] for c in cats] == ["pemkab_pemkot", "opd_pemprov"]
    assert all(len(c["target_body_ids"]) == 1 for c in cats)
    (q,) = client.get(f"/api/v1/cycles/{cycle.id}/questionnaires", headers=h).json()
    assert q["items"] == 5 and q["frozen"] is True
    assert client.get(f"/api/v1/cycles/{cycle.id}/readiness", headers=h).json()["ok"] is True


def test_the_sekretariat_builds_a_cycle_over_the_api(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    factory.body(org, category="pemkab_pemkot")
    h = bearer(factory, db, factory.user(org, Role.SEKRETARIAT), org)
    r = client.post("/api/v1/cycles", json={"name": "Monev API", "year": 2026}, headers=h)
    assert r.status_code == 201
    cid = r.json()["id"]
    stages = [
        {"code": "saq", "opens_at": "2026-09-01T08:00", "closes_at": "2026-09-19T23:59"},
        {
            "code": "verification",
            "opens_at": "2026-09-20T08:00+07:00",
            "closes_at": "2026-10-01T00:00+07:00",
        },
    ]
    r = client.put(f"/api/v1/cycles/{cid}/stages", json=stages, headers=h)
    assert r.status_code == 200
    assert r.json()[0]["closes_at"] == "2026-09-19T16:59:00Z"
    rules = client.get(f"/api/v1/cycles/{cid}/rules", headers=h).json()
    rules["components"] = [{"code": "saq", "name": "SAQ", "weight": 100}]
    r = client.put(f"/api/v1/cycles/{cid}/rules", json=rules, headers=h)
    assert r.status_code == 200 and r.json()["components"][0]["weight"] == 100
    rules["components"][0]["weight"] = 90
    r = client.put(f"/api/v1/cycles/{cid}/rules", json=rules, headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Jumlah bobot komponen harus 100 (sekarang 90)." in r.json()["detail"]
    rules["components"][0]["weight"] = 100
    rules["bands"][0]["min_score"] = "89.995"
    r = client.put(f"/api/v1/cycles/{cid}/rules", json=rules, headers=h)
    assert r.status_code == 422 and "dua desimal" in r.json()["detail"]
    r = client.post(f"/api/v1/cycles/{cid}/open", headers=h)
    assert r.status_code == 422 and "belum memiliki kuesioner" in r.json()["detail"]
    readiness = client.get(f"/api/v1/cycles/{cid}/readiness", headers=h).json()
    assert not readiness["ok"] and readiness["problems"][0]["section"] == "kuesioner"
    r = client.post(
        f"/api/v1/cycles/{cid}/categories", json={"code": "desa", "name": "Desa"}, headers=h
    )
    assert r.status_code == 201
    clone = client.post(
        "/api/v1/cycles",
        json={"name": "Monev API 2027", "year": 2027, "clone_from_id": cid},
        headers=h,
    )
    assert clone.status_code == 201 and clone.json()["cloned_from_id"] == cid


def test_targets_and_extensions_over_the_api(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    pemkab, opd = categories.categories_of(db, cycle)
    body = categories.list_targets(db, cycle, pemkab)[0]
    h = bearer(factory, db, factory.user(org, Role.SEKRETARIAT), org)
    r = client.put(
        f"/api/v1/cycles/{cycle.id}/targets",
        json={"body_id": body.id, "category_id": opd.id},
        headers=h,
    )
    assert r.status_code == 204
    ext = {
        "stage_code": "saq",
        "closes_at": "2099-01-01T00:00",
        "reason": "Pleno",
        "decision_ref": "No. 1",
        "body_id": body.id,
    }
    r = client.post(f"/api/v1/cycles/{cycle.id}/extensions", json=ext, headers=h)
    assert r.status_code == 201
    ext_id = r.json()["id"]
    assert client.get(f"/api/v1/cycles/{cycle.id}/extensions", headers=h).json()[0]["id"] == ext_id
    assert client.delete(f"/api/v1/cycles/{cycle.id}/extensions/{ext_id}", headers=h).json()[
        "revoked_at"
    ]
    assert (
        client.delete(f"/api/v1/cycles/{cycle.id}/targets/{body.id}", headers=h).status_code == 204
    )
    assert (
        client.delete(f"/api/v1/cycles/{cycle.id}/targets/{body.id}", headers=h).status_code == 404
    )


def test_a_body_reads_its_stage_but_not_the_commission_data(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    h = bearer(factory, db, factory.user(org, Role.OPERATOR, body=body), org)
    assert client.get(f"/api/v1/cycles/{cycle.id}", headers=h).status_code == 200
    now = client.get(f"/api/v1/cycles/{cycle.id}/stages/current", headers=h).json()
    assert now["current"]["code"] == "saq" and now["countdown_to"]
    other = categories.list_targets(db, cycle)[1]
    assert (
        client.get(
            f"/api/v1/cycles/{cycle.id}/stages/current?body_id={other.id}", headers=h
        ).status_code
        == 404
    )
    for path in ("rules", "categories", "extensions", "readiness", "questionnaires"):
        assert client.get(f"/api/v1/cycles/{cycle.id}/{path}", headers=h).status_code == 404
    assert client.get("/api/v1/cycles", headers=h).status_code == 403
    r = client.post(f"/api/v1/cycles/{cycle.id}/open", headers=h)
    assert r.status_code == 404


def test_another_commission_sees_nothing(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    other = factory.commission()
    h = bearer(factory, db, factory.user(other, Role.SEKRETARIAT), other)
    assert client.get(f"/api/v1/cycles/{cycle.id}", headers=h).status_code == 404
    assert client.get("/api/v1/cycles", headers=h).json() == []
    r = client.put(
        f"/api/v1/cycles/{cycle.id}/rules",
        json={"components": [], "bands": [], "shortlist": {}},
        headers=h,
    )
    assert r.status_code == 404
