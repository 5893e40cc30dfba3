"""The link checker against a local web server (loopback only, via the explicit test setting).

No test here reaches a non-loopback address: refused addresses are refused before connecting,
and host names are resolved by a fake resolver that answers with loopback or refused ones.
"""

from __future__ import annotations

import ipaddress
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.evidence import rules
from app.evidence.links import IPAddress, check_link
from tests.evidence.conftest import QuietServer, WebServer, _Handler

LOOPBACK = ipaddress.ip_address("127.0.0.1")


def only_loopback_or_public(ip: IPAddress) -> bool:
    """The policy of a test that must refuse private hops while reaching its own server."""
    return ip == LOOPBACK or rules.is_public_address(ip)


def fake_resolver(table: dict[str, str]):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[IPAddress]:
        if host not in table:
            raise OSError("no such host")
        return [ipaddress.ip_address(table[host])]

    return resolve


def test_a_public_pdf_is_ok(web: WebServer, allow_private: None) -> None:
    web.route("/sk.pdf", 200, b"%PDF-1.7 isi", Content_Type="application/pdf")
    r = check_link(web.url("/sk.pdf"))
    assert (r.status, r.http_status, r.content_type) == ("ok", 200, "application/pdf")
    assert r.final_url == web.url("/sk.pdf") and r.is_ok


def test_redirects_are_followed_to_the_final_address(web: WebServer, allow_private: None) -> None:
    web.route("/lama", 301, Location="/baru")
    web.route("/baru", 302, Location=web.url("/dok.pdf"))
    web.route("/dok.pdf", 200, b"%PDF-1.7", Content_Type="application/pdf")
    r = check_link(web.url("/lama"))
    assert r.status == "ok" and r.final_url == web.url("/dok.pdf")
    assert web.seen == ["/lama", "/baru", "/dok.pdf"]


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (404, b"", "not_found"),
        (403, b"", "access_wall"),
        (500, b"", "http_error"),
        (200, b"<html><title>Google Drive</title><h1>Minta akses</h1></html>", "access_wall"),
        (200, b"<html><p>You need access</p><button>Request access</button></html>", "access_wall"),
        (200, b"<html><form><input type=password name=p></form></html>", "login_page"),
    ],
)
def test_broken_links_and_access_walls_are_named(
    web: WebServer, allow_private: None, status: int, body: bytes, problem: str
) -> None:
    web.route("/dok", status, body, Content_Type="text/html; charset=utf-8")
    r = check_link(web.url("/dok"))
    assert (r.status, r.problem) == ("broken", problem)
    assert r.message


def test_a_redirect_to_a_login_page_is_named(web: WebServer, allow_private: None) -> None:
    web.route("/dok", 302, Location="/accounts/signin?continue=/dok")
    web.route("/accounts/signin", 200, b"<html>Masuk</html>", Content_Type="text/html")
    r = check_link(web.url("/dok"))
    assert r.problem == "login_page" and r.final_url.endswith("/accounts/signin?continue=/dok")


def test_a_google_drive_name_resolving_to_the_test_server_shows_its_wall(web: WebServer) -> None:
    web.route(
        "/file/d/abc/view", 200, b"<html>Anda memerlukan akses</html>", Content_Type="text/html"
    )
    r = check_link(
        f"http://drive.google.test:{web.port}/file/d/abc/view",
        resolver=fake_resolver({"drive.google.test": "127.0.0.1"}),
        address_ok=only_loopback_or_public,
    )
    assert (r.status, r.problem) == ("broken", "access_wall")


def test_a_redirect_into_a_private_network_is_refused_before_connecting(web: WebServer) -> None:
    web.route("/dok", 302, Location="http://169.254.169.254/latest/meta-data/")
    r = check_link(web.url("/dok"), allow_private=True, address_ok=only_loopback_or_public)
    assert (r.status, r.problem) == ("refused", "private_address")
    assert r.final_url == "http://169.254.169.254/latest/meta-data/"
    assert web.seen == ["/dok"]


def test_a_redirect_to_a_name_resolving_privately_is_refused(web: WebServer) -> None:
    web.route("/dok", 302, Location="http://intranet.test/rahasia")
    r = check_link(
        web.url("/dok"),
        allow_private=True,
        resolver=fake_resolver({"127.0.0.1": "127.0.0.1", "intranet.test": "10.0.0.7"}),
        address_ok=only_loopback_or_public,
    )
    assert (r.status, r.problem) == ("refused", "private_address")


def test_a_redirect_to_another_scheme_is_refused(web: WebServer, allow_private: None) -> None:
    web.route("/dok", 302, Location="file:///etc/passwd")
    r = check_link(web.url("/dok"))
    assert (r.status, r.problem) == ("refused", "scheme")


def test_without_the_test_setting_loopback_is_never_fetched(web: WebServer) -> None:
    web.route("/dok", 200, b"%PDF", Content_Type="application/pdf")
    r = check_link(web.url("/dok"))
    assert (r.status, r.problem) == ("refused", "private_address")
    r = check_link(
        f"http://sneaky.test:{web.port}/dok", resolver=fake_resolver({"sneaky.test": "127.0.0.1"})
    )
    assert (r.status, r.problem) == ("refused", "private_address")
    assert web.seen == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "gopher://x/"])
def test_other_schemes_are_refused(url: str) -> None:
    r = check_link(url)
    assert (r.status, r.problem) == ("refused", "scheme")


def test_endless_redirects_stop(web: WebServer, allow_private: None) -> None:
    web.route("/putar", 302, Location="/putar")
    r = check_link(web.url("/putar"), max_redirects=3)
    assert (r.status, r.problem) == ("broken", "too_many_redirects")
    assert len(web.seen) == 4


def test_an_unknown_host_is_reported(allow_private: None) -> None:
    r = check_link("http://tidak-ada.test/", resolver=fake_resolver({}))
    assert (r.status, r.problem) == ("broken", "dns")


def test_a_closed_port_is_reported(allow_private: None) -> None:
    r = check_link("http://127.0.0.1:9/")  # discard port: nothing listens on loopback
    assert (r.status, r.problem) == ("broken", "connection")


def test_a_silent_server_times_out(web: WebServer, allow_private: None) -> None:
    def slow() -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.5)
        return (200, {}, b"")

    web.handler.routes["/lambat"] = slow
    r = check_link(web.url("/lambat"), timeout=0.2)
    assert (r.status, r.problem) == ("broken", "timeout")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    """An HTTPS server on loopback with a self-signed certificate (untrusted)."""
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    handler = type("H", (_Handler,), {"routes": {"/": (200, {}, b"ok")}, "seen": []})
    server = QuietServer(("127.0.0.1", 0), handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_reported(tls_server: int, allow_private: None) -> None:
    r = check_link(f"https://127.0.0.1:{tls_server}/")
    assert (r.status, r.problem) == ("broken", "tls")
