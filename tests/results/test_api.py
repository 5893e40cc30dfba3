"""Results JSON API: result sets with per-body rows, compute and draft through the API, the
public read of published results, and who may do what."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.results import service
from app.results.models import Decree
from tests.cycles.test_api import bearer
from tests.factories import Factory
from tests.results.helpers import add_target, open_stage_now, set_rules, submit, targets


def _world(factory: Factory, db: Session):  # type: ignore[no-untyped-def]
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    open_stage_now(db, cycle)
    set_rules(db, cycle)
    ids = targets(db, cycle)
    tied = add_target(factory, db, cycle, "pemkab_pemkot")
    submit(db, cycle, ids["pemkab_pemkot"], {"1.2": 0})  # 86,67
    submit(db, cycle, tied, {"1.2": 0})  # 86,67 as well: a shared rank
    submit(db, cycle, ids["opd_pemprov"])
    sek = bearer(factory, db, factory.user(org, Role.SEKRETARIAT), org)
    kom_user = factory.user(org, Role.KOMISIONER)
    return org, cycle, ids, tied, sek, kom_user


def test_the_sekretariat_computes_reads_the_rows_and_drafts_a_decree(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _org, cycle, ids, tied, sek, _ = _world(factory, db)
    r = client.post(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["number"] == 1 and made["publication"]["published"] is False
    rows = {row["body_id"]: row for row in made["rows"]}
    first = rows[ids["pemkab_pemkot"]]
    assert first["final_score"] == "86.67" and first["score"].startswith("86.666")
    assert first["qualification"] == "Menuju Informatif"
    assert first["rank"] == 1 and first["shares_rank"] is True
    assert rows[tied]["rank"] == 1
    assert first["components"] == [
        {"code": "saq", "weight": "100", "score": first["score"], "points": first["score"]}
    ]
    assert set(first["indicators"]) == {"1", "2"}
    assert rows[ids["opd_pemprov"]]["final_score"] == "100.00"

    listed = client.get(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek).json()
    assert [s["number"] for s in listed] == [1] and listed[0]["decrees"] == []
    r = client.post(
        f"/api/v1/cycles/{cycle.id}/result-sets/{made['id']}/decrees", json={}, headers=sek
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and r.json()["version"] == 1
    detail = client.get(f"/api/v1/cycles/{cycle.id}/result-sets/{made['id']}", headers=sek)
    assert [d["status"] for d in detail.json()["decrees"]] == ["draft"]
    decrees = client.get(f"/api/v1/cycles/{cycle.id}/decrees", headers=sek).json()
    assert [d["version"] for d in decrees] == [1]


def test_a_second_draft_and_an_amendment_without_reason_are_refused_as_problems(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, cycle, _, _, sek, kom_user = _world(factory, db)
    set_id = client.post(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek).json()["id"]
    url = f"/api/v1/cycles/{cycle.id}/result-sets/{set_id}/decrees"
    assert client.post(url, json={}, headers=sek).status_code == 201
    r = client.post(url, json={}, headers=sek)
    assert r.status_code == 409 and "belum terbit" in r.json()["detail"]
    kom = factory.actor(kom_user, org)
    decree = db.query(Decree).filter_by(cycle_id=cycle.id).one()
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    service.publish_decree(db, kom, cycle, decree)
    r = client.post(url, json={"reason": "   "}, headers=sek)
    assert r.status_code == 422 and "alasan" in r.json()["detail"]
    r = client.post(url, json={"reason": 12}, headers=sek)
    assert r.status_code == 422  # body validation, after authorisation
    assert len(client.get(f"/api/v1/cycles/{cycle.id}/decrees", headers=sek).json()) == 1
    r = client.post(url, json={"reason": "Kesalahan perhitungan"}, headers=sek)
    assert r.status_code == 201 and r.json()["amends_id"] == decree.id


def test_computing_with_incomplete_rules_is_a_problem_and_stores_nothing(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, cycle, _, _, sek, _ = _world(factory, db)
    from app.cycles.rules import Component

    set_rules(db, cycle, components=(Component("saq", "SAQ", 70), Component("visitasi", "V", 30)))
    r = client.post(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek)
    assert r.status_code == 422 and "belum lengkap" in r.json()["detail"]
    assert client.get(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek).json() == []


def test_other_roles_and_commissions_are_refused_before_the_body_is_read(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, cycle, _, _, sek, kom_user = _world(factory, db)
    set_id = client.post(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek).json()["id"]
    kom = bearer(factory, db, kom_user, org)
    juri = bearer(factory, db, factory.user(org, Role.JURI), org)
    other = factory.commission()
    outsider = bearer(factory, db, factory.user(other, Role.SEKRETARIAT), other)
    url = f"/api/v1/cycles/{cycle.id}/result-sets/{set_id}/decrees"
    assert client.post(url, json={"reason": 12}, headers=kom).status_code == 403
    assert client.post(f"/api/v1/cycles/{cycle.id}/result-sets", headers=juri).status_code == 403
    assert client.get(f"/api/v1/cycles/{cycle.id}/result-sets", headers=kom).status_code == 200
    assert client.get(f"/api/v1/cycles/{cycle.id}/result-sets", headers=juri).status_code == 403
    assert client.get(f"/api/v1/cycles/{cycle.id}/decrees", headers=outsider).status_code == 404
    assert (
        client.get(f"/api/v1/cycles/{cycle.id}/result-sets/999999", headers=sek).status_code == 404
    )


def test_the_public_reads_published_results_per_category_without_login(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, cycle, ids, tied, sek, kom_user = _world(factory, db)
    url = f"/api/v1/public/cycles/{cycle.id}/results"
    assert client.get(url).status_code == 404  # nothing published yet
    set_id = client.post(f"/api/v1/cycles/{cycle.id}/result-sets", headers=sek).json()["id"]
    client.post(f"/api/v1/cycles/{cycle.id}/result-sets/{set_id}/decrees", json={}, headers=sek)
    kom = factory.actor(kom_user, org)
    decree = db.query(Decree).filter_by(cycle_id=cycle.id).one()
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/7", sk_date="2025-12-01")
    assert client.get(url).status_code == 404  # approved is not published
    service.publish_decree(db, kom, cycle, decree)
    data = client.get(url).json()
    assert data["sk_number"] == "SK/7" and data["corrects_version"] is None
    assert [c["code"] for c in data["categories"]] == ["pemkab_pemkot", "opd_pemprov"]
    pemkab = data["categories"][0]["rows"]
    assert {r["body_id"] for r in pemkab} == {ids["pemkab_pemkot"], tied}
    assert all(r["final_score"] == "86.67" and r["rank"] == 1 for r in pemkab)
    only = client.get(url, params={"category": "opd_pemprov"}).json()["categories"]
    assert [c["code"] for c in only] == ["opd_pemprov"]
    assert only[0]["rows"][0]["qualification"] == "Informatif"
    r = client.get(url, params={"category": "tidak-ada"})
    assert r.status_code == 404 and "Kategori" in r.json()["detail"]
    detail = client.get(f"/api/v1/cycles/{cycle.id}/result-sets/{set_id}", headers=sek).json()
    assert detail["publication"]["public"] is True
    assert detail["publication"]["this_set_published"] is True


def test_the_openapi_document_describes_the_results_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/cycles/{cycle_id}/result-sets"]
    assert "get" in paths["/api/v1/cycles/{cycle_id}/result-sets/{set_id}"]
    assert "post" in paths["/api/v1/cycles/{cycle_id}/result-sets/{set_id}/decrees"]
    assert "get" in paths["/api/v1/public/cycles/{cycle_id}/results"]
