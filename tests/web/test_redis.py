"""With REDIS_URL (a private Redis server): the login page throttles through Redis; while Redis
does not answer, a login gets a clear 503 (never a login without its throttling check) and the
health check names Redis."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt
from app.config import get_settings
from app.web.deps import CSRF_COOKIE, SESSION_COOKIE
from tests.factories import CSRF, Factory, form, set_cookie
from tests.servers import RedisServer, free_port

PW = "kata-sandi-yang-panjang"


@pytest.fixture
def redis(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Redis:
    client = Redis.from_url(redis_server.url(0))
    client.flushdb()
    monkeypatch.setattr(get_settings(), "redis_url", redis_server.url(0))
    return client


def test_failed_logins_are_counted_in_redis_and_throttled(
    redis: Redis, client: TestClient, factory: Factory, db: Session
) -> None:
    u = factory.user(password=PW)
    set_cookie(client, CSRF_COOKIE, CSRF)
    for _ in range(5):
        r = client.post("/masuk", data=form(email=u.email, password="salah-salah"))
        assert r.status_code == 401
    r = client.post("/masuk", data=form(email=u.email, password=PW))
    assert r.status_code == 429 and "Terlalu banyak" in r.text
    assert redis.zcard(f"monev:attempts:acct:{u.email}") == 5
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_the_health_check_pings_redis(redis: Redis, client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_health_check_names_an_unreachable_redis(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", f"redis://127.0.0.1:{free_port()}/0")
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "unavailable", "failing": "redis"}
    monkeypatch.setattr(get_settings(), "redis_url", "")
    assert client.get("/healthz").status_code == 200


def test_a_login_while_redis_is_down_gets_a_clear_503_and_saves_nothing(
    client: TestClient, factory: Factory, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    u = factory.user(password=PW)
    monkeypatch.setattr(get_settings(), "redis_url", f"redis://127.0.0.1:{free_port()}/0")
    set_cookie(client, CSRF_COOKIE, CSRF)
    r = client.post("/masuk", data=form(email=u.email, password="salah-salah"))
    assert r.status_code == 503 and "Redis" in r.text
    r = client.post("/masuk", data=form(email=u.email, password=PW))
    assert r.status_code == 503  # throttling cannot be checked: no login without it
    assert SESSION_COOKIE not in r.cookies
    monkeypatch.setattr(get_settings(), "redis_url", "")
    assert client.post("/masuk", data=form(email=u.email, password=PW)).status_code == 303
