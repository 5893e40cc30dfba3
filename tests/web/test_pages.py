from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.web import format as fmt
from tests.factories import Factory, login


def test_unknown_urls_get_an_indonesian_page_or_problem_json(client: TestClient) -> None:
    r = client.get("/tidak-ada")
    assert r.status_code == 404 and "Halaman tidak ditemukan" in r.text
    r = client.get("/api/v1/tidak-ada")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Halaman tidak ditemukan"


def test_wrong_methods_and_bad_parameters_are_explained(
    client: TestClient, factory: Factory, db: Session
) -> None:
    assert client.delete("/masuk").status_code == 405
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.get("/api/v1/bodies?page=0")
    assert r.status_code == 422 and "page" in r.json()["errors"]
    assert client.get("/badan-publik/bukan-angka").status_code == 422


def test_every_response_carries_security_headers(client: TestClient) -> None:
    r = client.get("/masuk")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-request-id"]
    assert "strict-transport-security" not in r.headers


def test_hsts_is_sent_over_https(app_instance, connection) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_instance, base_url="https://testserver") as c:
        assert "max-age" in c.get("/masuk").headers["strict-transport-security"]


def test_pages_have_no_inline_scripts(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    for url in ("/beranda", "/badan-publik", "/pengguna", "/akun", "/masuk", "/"):
        html = client.get(url).text
        assert "<script>" not in html and "onclick=" not in html and "javascript:" not in html


def test_static_assets_are_vendored(client: TestClient) -> None:
    for path in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/htmx/htmx.min.js",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "js/app.js",
    ):
        assert client.get(f"/static/{path}").status_code == 200


def test_health_reports_ok_when_the_database_answers(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_health_reports_503_when_the_database_does_not_answer(
    app_instance,
    connection,  # type: ignore[no-untyped-def]
) -> None:
    from app.db import get_engine, make_engine, set_engine

    good = get_engine()
    from app.db import SessionLocal

    broken = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    SessionLocal.configure(bind=broken)
    set_engine(broken)
    try:
        with TestClient(app_instance) as c:
            assert c.get("/healthz").status_code == 503
    finally:
        set_engine(good)
        SessionLocal.configure(bind=connection)


def test_landing_page_lists_commissions_and_home_sends_logged_in_people_on(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission("KI Landing")
    assert "KI Landing" in client.get("/").text
    login(client, db, factory.user(org, Role.KOMISIONER))
    assert client.get("/").headers["location"] == "/beranda"
    home = client.get("/beranda")
    assert "Komisioner" in home.text


def test_the_home_page_follows_each_role(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    expectations = {
        Role.SEKRETARIAT: "Kelola badan publik",
        Role.VERIFIKATOR: "memverifikasi",
        Role.REVIEWER: "tingkat kedua",
        Role.JURI: "menilai presentasi",
        Role.PANITIA: "piagam",
    }
    for role, text in expectations.items():
        login(client, db, factory.user(org, role))
        assert text in client.get("/beranda").text
    login(client, db, factory.user())
    assert "belum memiliki peran" in client.get("/beranda").text
    login(client, db, factory.user(is_admin=True))
    assert "Kelola komisi" in client.get("/beranda").text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("94.745"), "94,75"),
        (Decimal("1234.5"), "1.234,50"),
        (None, "–"),
        (Decimal("89.994"), "89,99"),
    ],
)
def test_scores_are_shown_with_a_decimal_comma(value: Decimal | None, text: str) -> None:
    assert fmt.fmt_decimal(value) == text


def test_dates_are_shown_in_indonesian_in_the_commission_time_zone() -> None:
    from datetime import UTC, datetime

    at = datetime(2024, 12, 17, 7, 30, tzinfo=UTC)
    assert fmt.fmt_date(at) == "17 Desember 2024"
    assert fmt.fmt_datetime(at) == "17 Desember 2024 14.30 WIB"
    assert fmt.fmt_datetime(at, "Asia/Makassar") == "17 Desember 2024 15.30 WITA"
    assert fmt.fmt_datetime(None) == "–" and fmt.fmt_date(None) == "–"
    assert fmt.fmt_int(1234567) == "1.234.567" and fmt.fmt_int(None) == "–"
    assert fmt.fmt_decimal(Decimal("89.995")) == "90,00"


def test_every_session_dependency_commits_before_the_response_is_sent() -> None:
    """`Depends(get_db)` without scope="function" commits after the response: a redirected
    browser could then read the page before its own write is visible."""
    from app.config import PROJECT_ROOT

    offenders = [
        str(p.relative_to(PROJECT_ROOT))
        for p in (PROJECT_ROOT / "app").rglob("*.py")
        if "Depends(get_db)" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
