"""Evidence fixtures: both storage backends (S3 on moto's real server), a local web server."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from app.config import get_settings
from app.evidence.storage import Storage, get_storage

# boto3 must never look for credentials or regions outside the test (no metadata service).
os.environ.update(
    AWS_EC2_METADATA_DISABLED="true",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server, on loopback, for the whole test session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    s = get_settings()
    monkeypatch.setattr(s, "evidence_storage", "local")
    monkeypatch.setattr(s, "evidence_dir", tmp_path / "evidence")
    return get_storage()


@pytest.fixture
def s3_storage(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    import boto3

    bucket = f"bukti-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    s = get_settings()
    monkeypatch.setattr(s, "evidence_storage", "s3")
    monkeypatch.setattr(s, "evidence_s3_bucket", bucket)
    monkeypatch.setattr(s, "evidence_s3_endpoint_url", moto_endpoint)
    monkeypatch.setattr(s, "evidence_s3_access_key_id", "testing")
    monkeypatch.setattr(s, "evidence_s3_secret_access_key", "testing")
    monkeypatch.setattr(s, "var_dir", tmp_path / "var")
    return get_storage()


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each test using it runs once per backend; the app's get_storage() returns the same one."""
    backend: Storage = request.getfixturevalue(f"{request.param}_storage")
    return backend


@pytest.fixture(autouse=True)
def _default_storage(request: pytest.FixtureRequest) -> None:
    """Every evidence test stores into a private directory unless it picked a backend."""
    if not {"storage", "s3_storage"} & set(request.fixturenames):
        request.getfixturevalue("local_storage")


def staged_files(storage: Storage) -> list[Path]:
    d = storage.staging_dir
    return sorted(d.iterdir()) if d.exists() else []


# --- a local web server for the link checker ---------------------------------------------

Route = tuple[int, dict[str, str], bytes]


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Route | Callable[[], Route]]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        route = self.routes.get(self.path.split("?")[0])
        if callable(route):
            route = route()
        status, headers, body = route or (404, {"Content-Type": "text/plain"}, b"tidak ada")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that hung up on purpose (timeout tests) is not news


class WebServer:
    def __init__(self) -> None:
        handler = type("Handler", (_Handler,), {"routes": {}, "seen": []})
        self.handler = handler
        self.server = QuietServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, status: int, body: bytes = b"", **headers: str) -> None:
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        self.handler.routes[path] = (status, hdrs, body)

    @property
    def seen(self) -> list[str]:
        return list(self.handler.seen)


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    """The explicit test setting that lets the checker reach the loopback web server."""
    monkeypatch.setattr(get_settings(), "evidence_links_allow_private", True)
