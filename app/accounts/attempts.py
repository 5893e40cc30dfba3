"""Counted attempts behind throttling (failed logins per account and per address, wrong
second-factor codes, self-registrations per address), seen alike by every app process.

Without `REDIS_URL` they are rows of `login_attempts`, written in the request's transaction;
with it they live in Redis, one sorted set per key (member: a random id, score: the attempt's
time), so that a burst of failed logins does not write to the database at all. Either way a
count covers a sliding window: the attempts made since a given moment.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt
from app.config import get_settings
from app.db import utcnow

if TYPE_CHECKING:
    from redis import Redis

PREFIX = "monev:attempts:"


class Attempts(Protocol):
    def count(self, db: Session, key: str, since: datetime) -> int:
        """Attempts under `key` made at or after `since`."""
        ...

    def add(self, db: Session, *keys: str) -> None:
        """Count one attempt now under each of `keys`."""
        ...

    def clear(self, db: Session, key: str) -> None:
        """Forget every attempt under `key` (after a success)."""
        ...


class DatabaseAttempts:
    """Rows of `login_attempts`, committed (or rolled back) with the request."""

    def count(self, db: Session, key: str, since: datetime) -> int:
        return (
            db.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.key == key, LoginAttempt.at >= since)
            )
            or 0
        )

    def add(self, db: Session, *keys: str) -> None:
        now = utcnow()
        db.add_all([LoginAttempt(key=key, at=now) for key in keys])
        db.flush()

    def clear(self, db: Session, key: str) -> None:
        db.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


class RedisAttempts:
    """A sorted set per key in Redis, written at once (not with the request's transaction: an
    attempt counts even when the request fails afterwards). A set expires `keep` after its
    last attempt, and older attempts are dropped at each new one."""

    def __init__(self, client: Redis, keep: timedelta, prefix: str = PREFIX) -> None:
        self.client = client
        self.keep_s = max(1, int(keep.total_seconds()))
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return self.prefix + key

    def count(self, db: Session, key: str, since: datetime) -> int:
        return int(self.client.zcount(self._key(key), since.timestamp(), "+inf"))

    def add(self, db: Session, *keys: str) -> None:
        now = utcnow().timestamp()
        with self.client.pipeline() as p:  # MULTI … EXEC: the keys change together
            for key in keys:
                k = self._key(key)
                p.zadd(k, {secrets.token_hex(8): now})
                p.zremrangebyscore(k, "-inf", now - self.keep_s)
                p.expire(k, self.keep_s)
            p.execute()

    def clear(self, db: Session, key: str) -> None:
        self.client.delete(self._key(key))


@lru_cache(maxsize=4)
def _redis_attempts(url: str, keep_s: int) -> RedisAttempts:
    from redis import Redis

    client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return RedisAttempts(client, timedelta(seconds=keep_s))


_DATABASE = DatabaseAttempts()


def get_attempts() -> Attempts:
    """The configured store: Redis when `REDIS_URL` is set, else the database. Redis keeps an
    attempt as long as the longest throttling window."""
    s = get_settings()
    if not s.redis_url:
        return _DATABASE
    keep = max(s.login_window_minutes, s.registration_window_minutes) * 60
    return _redis_attempts(s.redis_url, keep)
