"""Faults a real installation meets, on real server processes:

- a worker killed in the middle of an upload leaves no evidence record, and the sweep then
  leaves no orphan file;
- the database unreachable for a few seconds (a TCP proxy the test controls sits between the
  app and PostgreSQL) gives 503 pages, and the service recovers by itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT
from app.evidence.models import EvidenceFile
from tests.servers import BIN, Server, free_port, prepare_database, server_env

pytestmark = pytest.mark.multiprocess
OPERATOR = "operator.kota-pasuruan@demo.monevkip.id"


# --- a worker killed mid-upload -------------------------------------------------------------


def _token(env: dict[str, str]) -> str:
    out = subprocess.run(
        [str(BIN / "monev"), "create-token", "--email", OPERATOR, "--name", "uji-gangguan"],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _body_id(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT body_id FROM role_grants JOIN users ON users.id = user_id "
                        "WHERE users.email = :e AND body_id IS NOT NULL"
                    ),
                    {"e": OPERATOR},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _files(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(EvidenceFile)).scalar_one())
    finally:
        engine.dispose()


def _stored(var: Path, under: str) -> list[Path]:
    root = var / "evidence" / under
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_worker_killed_mid_upload_leaves_no_record_and_the_sweep_no_file(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    env = server_env(tmp_path, url)
    prepare_database(env)
    token, body_id = _token(env), _body_id(url)
    before, blobs = _files(url), _stored(tmp_path / "var", "sha256")
    server = Server(env, tmp_path / "server.log")
    try:
        boundary = "batasuji"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="laporan.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        total = 8 * 1024 * 1024
        request = (
            f"POST /api/v1/bodies/{body_id}/evidence HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + total + len(boundary) + 8}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(request + head + b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024))
            staging = tmp_path / "var" / "evidence" / "tmp"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                parts = list(staging.glob("up-*")) if staging.exists() else []
                if parts and parts[0].stat().st_size > 0:
                    break
                time.sleep(0.05)
            assert parts, "the upload never reached the staging area"
            os.kill(server.proc.pid, signal.SIGKILL)  # the worker dies mid-upload
            server.proc.wait(timeout=10)
    finally:
        server.stop()
    assert _files(url) == before  # no evidence record for the half upload
    assert _stored(tmp_path / "var", "tmp"), "the killed upload left its temp file behind"
    subprocess.run(
        [str(BIN / "monev"), "evidence", "sweep", "--grace-hours", "0"],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    assert _stored(tmp_path / "var", "tmp") == []  # no orphan file after the sweep
    assert _stored(tmp_path / "var", "sha256") == blobs


# --- the database unreachable for a while ----------------------------------------------------


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection drops, new ones are
    refused) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", self.port))
        lsock.listen(64)
        self._listener = lsock
        threading.Thread(target=self._accept, args=(lsock,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                # shutdown wakes the thread blocked in accept() (close alone does not, on Linux)
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for c in self._conns:
                with contextlib.suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
                c.close()
            self._conns.clear()

    def _accept(self, lsock: socket.socket) -> None:
        while True:
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def _pg_url() -> str:
    url = os.environ.get("PG_SERVICE_URL") or os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (PG_SERVICE_URL, set by ./scripts/test when it answers)")
    return url


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Proxy]]:
    from scripts.pg_scratch import create, drop

    scratch = create(_pg_url(), "monev_fault")
    u = make_url(scratch)
    proxy = Proxy((u.host or "127.0.0.1", u.port or 5432))
    via_proxy = u.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    root = tmp_path_factory.mktemp("fault")
    env = server_env(root, via_proxy)
    prepare_database({**env, "DATABASE_URL": scratch})
    server = Server(env, root / "server.log")
    yield server, proxy
    server.stop()
    proxy.cut()
    drop(scratch)


def test_an_unreachable_database_gives_503_then_the_service_recovers_by_itself(
    behind_proxy: tuple[Server, Proxy],
) -> None:
    server, proxy = behind_proxy
    with httpx.Client(base_url=server.base, timeout=30) as c:
        assert c.get("/hasil").status_code == 200
        assert c.get("/healthz").status_code == 200
        proxy.cut()
        down = c.get("/hasil")
        assert down.status_code == 503
        assert "Basis data sedang tidak dapat dihubungi" in down.text
        assert c.get("/healthz").status_code == 503
        time.sleep(2)  # a few seconds without a database
        proxy.restore()
        deadline = time.monotonic() + 15
        status = 0
        while time.monotonic() < deadline:
            status = c.get("/hasil").status_code
            if status == 200:
                break
            time.sleep(0.3)
        assert status == 200, "the service did not recover after the database came back"
        assert c.get("/healthz").status_code == 200
