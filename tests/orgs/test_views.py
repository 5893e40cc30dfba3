import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.errors import ValidationFailed
from app.orgs import service
from tests.factories import Factory, form, login


def test_admin_creates_commissions_with_clear_errors(
    client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, db, factory.user(is_admin=True))
    assert client.get("/admin/komisi").status_code == 200
    r = client.post(
        "/admin/komisi",
        data=form(slug="KI NTT!", name="", short_name="KI NTT", timezone="Asia/Makassar"),
    )
    assert r.status_code == 422 and "KI NTT" in r.text and "huruf kecil" in r.text
    r = client.post(
        "/admin/komisi",
        data=form(
            slug="ki-ntt-2",
            name="Komisi Informasi NTT",
            short_name="KI NTT",
            timezone="Asia/Makassar",
            city="Kupang",
        ),
    )
    assert r.status_code == 303
    assert service.get_by_slug_or_name(db, "ki-ntt-2") is not None


def test_only_the_platform_admin_manages_commissions(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert client.get("/admin/komisi").status_code == 403
    r = client.post("/admin/komisi", data=form(slug="ki-x", name="X", short_name="X"))
    assert r.status_code == 403
    assert service.get_by_slug_or_name(db, "ki-x") is None


def test_commission_slugs_are_unique_and_time_zones_known(db: Session, factory: Factory) -> None:
    org = factory.commission()
    with pytest.raises(ValidationFailed):
        service.create_commission(db, slug=org.slug, name="A", short_name="A")
    with pytest.raises(ValidationFailed):
        service.create_commission(db, slug="ki-z", name="A", short_name="A", timezone="UTC")
    with pytest.raises(ValidationFailed):
        service.upsert_category(db, org.id, "Bad Code", "x")
    cat = service.upsert_category(db, org.id, "pemkab_pemkot", "Nama Baru", 5)
    assert cat.name == "Nama Baru" and len(service.categories(db, org.id)) == 2
