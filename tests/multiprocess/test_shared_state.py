"""Two server processes on one database share sessions, login throttling and job state:
nothing a second worker needs is kept in process memory."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from tests.servers import Server, prepare_database, server_env

pytestmark = pytest.mark.multiprocess
SEK = "sekretariat.jatim@demo.monevkip.id"
PW = "monev-demo-2025"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("two")
    pg = os.environ.get("TEST_DATABASE_URL", "")
    scratch = None
    if pg:
        from scripts.pg_scratch import create

        scratch = create(pg, "monev_mp")
        url = scratch
    else:
        url = f"sqlite:///{root / 'shared.db'}"
    env = server_env(root, url, LOGIN_MAX_FAILURES_PER_ACCOUNT="3")
    prepare_database(env)
    a, b = Server(env, root / "a.log"), Server(env, root / "b.log")
    yield a.base, b.base
    a.stop()
    b.stop()
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


def test_a_session_started_on_one_process_works_on_the_other(two_servers: tuple[str, str]) -> None:
    a, b = two_servers
    ca = _client(a)
    assert _login(ca).status_code == 303
    cb = _client(b, ca.cookies)
    r = cb.get("/api/v1/me")
    assert r.status_code == 200 and r.json()["email"] == SEK
    assert cb.post("/keluar", data={"csrf_token": ca.cookies["monev_csrf"]}).status_code == 303
    assert ca.get("/api/v1/me").status_code == 401  # logged out everywhere


def test_failed_logins_on_both_processes_count_together(two_servers: tuple[str, str]) -> None:
    a, b = two_servers
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


def test_a_job_started_on_one_process_is_followed_on_the_other(
    two_servers: tuple[str, str],
) -> None:
    a, b = two_servers
    ca = _client(a)
    assert _login(ca).status_code == 303
    r = ca.post("/badan-publik/ekspor", data={"csrf_token": ca.cookies["monev_csrf"]})
    job_url = r.headers["location"]
    cb = _client(b, ca.cookies)
    job = cb.get("/api/v1/jobs/" + job_url.rsplit("/", 1)[1]).json()
    assert job["status"] == "done" and job["percent"] == 100
    assert cb.get(job_url + "/unduh").content[:2] == b"PK"
