"""Two server processes on one database share sessions, login throttling and job state:
nothing a second worker needs is kept in process memory. Twice: with the database alone (jobs
run at once in the process that starts them), and as in production with REDIS_URL, where the
attempt counters live in Redis and jobs go through Redis to a separate job worker."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from redis import Redis

from tests.servers import RedisServer, Server, Worker, prepare_database, server_env

pytestmark = pytest.mark.multiprocess
SEK = "sekretariat.jatim@demo.monevkip.id"
PW = "monev-demo-2025"


@dataclass
class Setup:
    a: str
    b: str
    redis: Redis | None  # the Redis database the processes share, when they use one


@pytest.fixture(scope="module", params=["database", "redis"])
def two_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("two")
    pg = os.environ.get("TEST_DATABASE_URL", "")
    scratch = None
    if pg:
        from scripts.pg_scratch import create

        scratch = create(pg, "monev_mp")
        url = scratch
    else:
        url = f"sqlite:///{root / 'shared.db'}"
    extra = {"LOGIN_MAX_FAILURES_PER_ACCOUNT": "3"}
    redis = None
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        redis = Redis.from_url(server.url(1))
        redis.flushdb()
        extra.update(REDIS_URL=server.url(1), HUEY_IMMEDIATE="0")
    env = server_env(root, url, **extra)
    prepare_database(env)
    a, b = Server(env, root / "a.log"), Server(env, root / "b.log")
    worker = Worker(env, root / "worker.log") if redis is not None else None
    yield Setup(a.base, b.base, redis)
    a.stop()
    b.stop()
    if worker is not None:
        worker.stop()
    if scratch:
        from scripts.pg_scratch import drop

        drop(scratch)


_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(base: str, cookies: httpx.Cookies | None = None) -> httpx.Client:
    c = httpx.Client(base_url=base, cookies=cookies, follow_redirects=False, timeout=30)
    _OPEN.append(c)
    if cookies is None:
        c.get("/masuk")  # receives the CSRF cookie
    return c


def _login(c: httpx.Client, password: str = PW) -> httpx.Response:
    return c.post(
        "/masuk", data={"email": SEK, "password": password, "csrf_token": c.cookies["monev_csrf"]}
    )


def test_a_session_started_on_one_process_works_on_the_other(two_servers: Setup) -> None:
    a, b = two_servers.a, two_servers.b
    ca = _client(a)
    assert _login(ca).status_code == 303
    cb = _client(b, ca.cookies)
    r = cb.get("/api/v1/me")
    assert r.status_code == 200 and r.json()["email"] == SEK
    assert cb.post("/keluar", data={"csrf_token": ca.cookies["monev_csrf"]}).status_code == 303
    assert ca.get("/api/v1/me").status_code == 401  # logged out everywhere


def test_failed_logins_on_both_processes_count_together(two_servers: Setup) -> None:
    a, b = two_servers.a, two_servers.b
    ca, cb = _client(a), _client(b)
    email = "juri1.jatim@demo.monevkip.id"
    for c in (ca, cb, ca):
        r = c.post(
            "/masuk",
            data={"email": email, "password": "salah-salah", "csrf_token": c.cookies["monev_csrf"]},
        )
        assert r.status_code == 401
    r = cb.post(
        "/masuk", data={"email": email, "password": PW, "csrf_token": cb.cookies["monev_csrf"]}
    )
    assert r.status_code == 429
    if two_servers.redis is not None:  # counted in Redis, not in the database
        assert two_servers.redis.zcard(f"monev:attempts:acct:{email}") == 3


def test_a_job_started_on_one_process_is_followed_on_the_other(two_servers: Setup) -> None:
    a, b = two_servers.a, two_servers.b
    ca = _client(a)
    assert _login(ca).status_code == 303
    r = ca.post("/badan-publik/ekspor", data={"csrf_token": ca.cookies["monev_csrf"]})
    job_url = r.headers["location"]
    cb = _client(b, ca.cookies)
    seen = []
    deadline = time.monotonic() + 90  # with Redis: until the job worker has run it
    while time.monotonic() < deadline:
        job = cb.get("/api/v1/jobs/" + job_url.rsplit("/", 1)[1]).json()
        seen.append(job["status"])
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert job["status"] == "done" and job["percent"] == 100, seen
    assert cb.get(job_url + "/unduh").content[:2] == b"PK"
