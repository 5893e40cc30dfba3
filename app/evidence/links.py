"""Check one evidence link over the network, guarded against SSRF on every redirect hop.

Each hop: the URL is checked (http/https only), its host resolved, every address it resolves
to must be allowed (public unicast; private/loopback only with the test setting), and the
connection goes to the address that was checked, so a DNS answer cannot change in between.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urljoin, urlsplit

from app.config import get_settings
from app.evidence import rules
from app.evidence.rules import BROKEN, OK, REFUSED, IPAddress

BODY_BYTES = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)

Resolver = Callable[[str, int], list[IPAddress]]
AddressPolicy = Callable[[IPAddress], bool]


@dataclass(frozen=True)
class LinkResult:
    """What checking one link found; `status` is ok, broken or refused."""

    url: str
    status: str
    problem: str = ""
    message: str = ""
    http_status: int | None = None
    content_type: str = ""
    final_url: str = ""
    # The first BODY_BYTES of the final page (the pre-check fingerprints it).
    body_head: bytes = field(default=b"", repr=False)

    @property
    def is_ok(self) -> bool:
        return self.status == OK


def system_resolver(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for info in infos:
        ip = rules.literal_address(str(info[4][0]).split("%")[0])
        if ip is not None and ip not in out:
            out.append(ip)
    return out


class _Refused(Exception):
    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to an address already checked, speaking for the original host."""

    def __init__(self, host: str, port: int, ip: IPAddress, *, tls: bool, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip
        self._tls = tls

    def connect(self) -> None:
        sock = socket.create_connection((str(self._ip), self.port), timeout=self.timeout)
        if self._tls:
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def check_link(
    url: str,
    *,
    allow_private: bool | None = None,
    timeout: float | None = None,
    max_redirects: int | None = None,
    resolver: Resolver = system_resolver,
    address_ok: AddressPolicy | None = None,
    user_agent: str = "",
) -> LinkResult:
    """Fetch `url` (following redirects by hand) and judge it as evidence for a verifier."""
    s = get_settings()
    allow_private = s.evidence_links_allow_private if allow_private is None else allow_private
    timeout = timeout or s.evidence_link_timeout_seconds
    hops = s.evidence_link_max_redirects if max_redirects is None else max_redirects
    address_ok = address_ok or partial(rules.address_allowed, allow_private=allow_private)
    user_agent = user_agent or f"MonevKIP-PemeriksaTautan/1.0 (+{s.base_url})"
    current = url.strip()
    try:
        for _ in range(hops + 1):
            status, ctype, location, body = _fetch(
                current, allow_private, timeout, resolver, address_ok, user_agent
            )
            if status in REDIRECTS and location:
                current = urljoin(current, location)
                continue
            verdict = rules.classify_response(status, ctype, current, body)
            return LinkResult(
                url, verdict.status, verdict.problem, verdict.message, status, ctype, current, body
            )
    except _Refused as exc:
        status_ = REFUSED if exc.problem in ("scheme", "private_address") else BROKEN
        return LinkResult(url, status_, exc.problem, exc.message, final_url=current)
    return LinkResult(
        url,
        BROKEN,
        "too_many_redirects",
        f"Tautan dialihkan lebih dari {hops} kali. Gunakan alamat akhir dokumennya.",
        final_url=current,
    )


def _fetch(
    url: str,
    allow_private: bool,
    timeout: float,
    resolver: Resolver,
    address_ok: AddressPolicy,
    user_agent: str,
) -> tuple[int, str, str, bytes]:
    """One GET of one hop: (status, content type, Location, first bytes of the body)."""
    problem = rules.url_problem(url, allow_private=allow_private)
    if problem:
        code = "private_address" if problem == rules.PRIVATE_ADDRESS_MESSAGE else "scheme"
        raise _Refused(code, problem)
    parts = urlsplit(url)
    tls = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise _Refused("scheme", "Nama situs pada tautan tidak valid.") from exc
    port = parts.port or (443 if tls else 80)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise _Refused("dns", "Nama situs tidak ditemukan (DNS). Periksa ejaan tautan.") from exc
    if not addresses:
        raise _Refused("dns", "Nama situs tidak ditemukan (DNS). Periksa ejaan tautan.")
    if not all(address_ok(ip) for ip in addresses):
        raise _Refused("private_address", rules.PRIVATE_ADDRESS_MESSAGE)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    last_error: OSError | None = None
    for ip in addresses:
        conn = _PinnedConnection(host, port, ip, tls=tls, timeout=timeout)
        try:
            conn.request(
                "GET",
                path,
                headers={
                    "User-Agent": user_agent,
                    "Accept": "*/*",
                    "Accept-Language": "id,en;q=0.8",
                },
            )
            resp = conn.getresponse()
            body = resp.read(BODY_BYTES)
            return (
                resp.status,
                resp.getheader("Content-Type", "") or "",
                resp.getheader("Location", "") or "",
                body,
            )
        except ssl.SSLError as exc:
            raise _Refused(
                "tls", "Sertifikat keamanan (HTTPS) situs tidak valid atau kedaluwarsa."
            ) from exc
        except TimeoutError as exc:
            raise _Refused(
                "timeout", f"Situs tidak menjawab dalam {timeout:g} detik. Coba lagi nanti."
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            last_error = exc if isinstance(exc, OSError) else OSError(str(exc))
        finally:
            conn.close()
    raise _Refused(
        "connection", "Situs tidak dapat dihubungi. Periksa tautan atau coba lagi nanti."
    ) from last_error
