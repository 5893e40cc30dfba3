"""The store of counted attempts behind throttling (`app.accounts.attempts`): rows of
`login_attempts` by default, sorted sets in Redis with REDIS_URL; both count a sliding window,
and logins, second-factor codes and registrations are throttled the same on either."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import attempts as attempts_mod
from app.accounts import service
from app.accounts.attempts import Attempts, DatabaseAttempts, RedisAttempts, get_attempts
from app.accounts.models import LoginAttempt
from app.config import get_settings
from app.db import utcnow
from app.errors import NotAuthenticated, TooManyRequests
from tests.factories import Factory
from tests.servers import RedisServer

PW = "kata-sandi-yang-panjang"


@pytest.fixture(params=["database", "redis"])
def store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, db: Session
) -> Iterator[Attempts]:
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        Redis.from_url(server.url(0)).flushdb()
        monkeypatch.setattr(get_settings(), "redis_url", server.url(0))
    yield get_attempts()


def _rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(LoginAttempt)) or 0


def test_the_store_follows_redis_url(store: Attempts, db: Session) -> None:
    if get_settings().redis_url:
        assert isinstance(store, RedisAttempts)
        store.add(db, "acct:a@example.id")
        assert _rows(db) == 0  # nothing written to the database
    else:
        assert isinstance(store, DatabaseAttempts)
        store.add(db, "acct:a@example.id")
        assert _rows(db) == 1


def test_counts_per_key_in_a_sliding_window(
    store: Attempts, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    monkeypatch.setattr(attempts_mod, "utcnow", lambda: now - timedelta(minutes=30))
    store.add(db, "ip:1.1.1.1")  # half an hour ago
    monkeypatch.setattr(attempts_mod, "utcnow", lambda: now)
    store.add(db, "ip:1.1.1.1", "acct:b@example.id")
    store.add(db, "ip:1.1.1.1")
    assert store.count(db, "ip:1.1.1.1", now - timedelta(minutes=15)) == 2
    assert store.count(db, "ip:1.1.1.1", now - timedelta(minutes=45)) == 3
    assert store.count(db, "acct:b@example.id", now - timedelta(minutes=15)) == 1
    assert store.count(db, "ip:2.2.2.2", now - timedelta(minutes=15)) == 0
    store.clear(db, "ip:1.1.1.1")
    assert store.count(db, "ip:1.1.1.1", now - timedelta(minutes=45)) == 0
    assert store.count(db, "acct:b@example.id", now - timedelta(minutes=15)) == 1


def test_failed_logins_are_throttled_and_a_success_clears_them(
    store: Attempts, factory: Factory, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_max_failures_per_account", 3)
    u = factory.user(password=PW)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            service.authenticate(db, u.email, "salah-salah", "1.1.1.1")
    assert service.authenticate(db, u.email, PW, "1.1.1.1").id == u.id  # clears the account
    since = utcnow() - timedelta(minutes=15)
    assert store.count(db, f"acct:{u.email}", since) == 0
    assert store.count(db, "ip:1.1.1.1", since) == 2  # the address keeps its count
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            service.authenticate(db, u.email, "salah-salah", "1.1.1.1")
    with pytest.raises(TooManyRequests):
        service.authenticate(db, u.email, PW, "1.1.1.1")  # even the right password


def test_throttle_refuses_past_its_limit(store: Attempts, db: Session) -> None:
    for _ in range(2):
        service.throttle(db, "register:ip:3.3.3.3", limit=2, window_minutes=60, message="Stop.")
    with pytest.raises(TooManyRequests, match="Stop"):
        service.throttle(db, "register:ip:3.3.3.3", limit=2, window_minutes=60, message="Stop.")
    service.throttle(db, "register:ip:4.4.4.4", limit=2, window_minutes=60, message="Stop.")


def test_redis_keeps_an_attempt_for_the_longest_window_only(
    redis_server: RedisServer, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Redis.from_url(redis_server.url(0))
    client.flushdb()
    monkeypatch.setattr(get_settings(), "redis_url", redis_server.url(0))
    monkeypatch.setattr(get_settings(), "login_window_minutes", 15)
    monkeypatch.setattr(get_settings(), "registration_window_minutes", 60)
    store = get_attempts()
    now = utcnow()
    monkeypatch.setattr(attempts_mod, "utcnow", lambda: now - timedelta(minutes=90))
    store.add(db, "ip:5.5.5.5")  # older than any window: dropped at the next attempt
    monkeypatch.setattr(attempts_mod, "utcnow", lambda: now)
    store.add(db, "ip:5.5.5.5")
    key = attempts_mod.PREFIX + "ip:5.5.5.5"
    assert client.zcard(key) == 1
    assert 0 < int(client.ttl(key)) <= 3600
