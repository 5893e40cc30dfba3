"""Pure rules of evidence: file kinds, names, upload limits, links, addresses, access walls."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from app.accounts.rules import Actor, Role

# --- file kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    """A kind of evidence file, recognised by its first bytes, never by its name."""

    key: str
    label: str
    content_type: str
    extension: str
    magic: tuple[bytes, ...]  # empty: any bytes (benchmarks only)


KINDS: dict[str, FileKind] = {
    "pdf": FileKind("pdf", "PDF", "application/pdf", ".pdf", (b"%PDF-",)),
    "jpg": FileKind("jpg", "JPEG", "image/jpeg", ".jpg", (b"\xff\xd8\xff",)),
    "png": FileKind("png", "PNG", "image/png", ".png", (b"\x89PNG\r\n\x1a\n",)),
    "any": FileKind("any", "berkas apa pun", "application/octet-stream", "", ()),
}
PDF_ONLY: tuple[str, ...] = ("pdf",)
PHOTO: tuple[str, ...] = ("jpg", "png")
PHOTO_OR_PDF: tuple[str, ...] = ("pdf", "jpg", "png")

# Bytes that give away what a refused file really is, to say so in the message.
_IMPOSTORS: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b"MZ",), "program Windows (.exe/.dll)"),
    ((b"\x7fELF",), "program Linux (ELF)"),
    ((b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"), "program macOS"),
    ((b"#!",), "skrip yang dapat dijalankan"),
    ((b"PK\x03\x04",), "arsip ZIP atau dokumen Office (docx/xlsx)"),
    ((b"\xd0\xcf\x11\xe0",), "dokumen Office lama (doc/xls)"),
    ((b"GIF8",), "gambar GIF"),
)
_HTML = re.compile(
    rb"^(\xef\xbb\xbf)?\s*(<!doctype html|<html|<head|<body|<script|<\?xml|<svg)", re.IGNORECASE
)
SNIFF_BYTES = 1024


def unknown_kinds(keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if k not in KINDS]


def sniff(head: bytes, allowed: tuple[str, ...]) -> FileKind | None:
    """The allowed kind whose signature starts the file, or None."""
    for key in allowed:
        kind = KINDS[key]
        if not kind.magic or head.startswith(kind.magic):
            return kind
    return None


def describe_impostor(head: bytes) -> str:
    """A short Indonesian description of what a refused file looks like, or ''."""
    if _HTML.match(head[:SNIFF_BYTES]):
        return "halaman web (HTML/XML)"
    for prefixes, label in _IMPOSTORS:
        if head.startswith(prefixes):
            return label
    for kind in KINDS.values():
        if kind.magic and head.startswith(kind.magic):
            return f"berkas {kind.label}"
    return ""


def kind_refusal(head: bytes, allowed: tuple[str, ...]) -> str:
    """The message for a file whose content is none of the allowed kinds."""
    labels = " atau ".join(KINDS[k].label for k in allowed)
    what = describe_impostor(head)
    seen = f" Isinya terbaca sebagai {what}." if what else ""
    return (
        f"Jenis berkas tidak diizinkan: hanya {labels} yang diterima, dan jenisnya diperiksa "
        f"dari isi berkas, bukan dari namanya.{seen}"
    )


# --- upload limits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadPolicy:
    """What one upload may be: the item's (or the body's default) allowlist and size limit."""

    allowed: tuple[str, ...] = PDF_ONLY
    max_bytes: int = 10 * 1024 * 1024
    max_parts: int = 4
    max_field_bytes: int = 1024

    def __post_init__(self) -> None:
        if not self.allowed or unknown_kinds(self.allowed):
            raise ValueError(f"unknown or empty allowlist {self.allowed!r}")
        if self.max_bytes < 1 or self.max_parts < 1:
            raise ValueError("limits must be positive")


def format_size(n: int) -> str:
    """A size for people: '2 MB', '1,5 MB', '300 KB' (decimal comma)."""
    if n >= 1024 * 1024:
        value, unit = n / (1024 * 1024), "MB"
    elif n >= 1024:
        value, unit = n / 1024, "KB"
    else:
        return f"{n} bita"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} {unit}"


def too_large_message(max_bytes: int) -> str:
    return (
        f"Berkas melebihi batas ukuran {format_size(max_bytes)}. Perkecil berkas (misalnya "
        "simpan ulang PDF dengan kualitas gambar lebih rendah atau pisahkan halamannya) lalu "
        "unggah lagi. Tidak ada yang disimpan."
    )


# --- file names ---------------------------------------------------------------------------

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
MAX_NAME_CHARS = 200


def filename_problem(name: str) -> str | None:
    """Why a file name cannot be kept for display, or None when it is fine."""
    if not name.strip():
        return "Nama berkas kosong. Beri nama berkas lalu unggah lagi."
    if "/" in name or "\\" in name:
        return "Nama berkas tidak boleh memuat garis miring (/ atau \\). Ganti nama berkasnya."
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in name):
        return (
            "Nama berkas memuat karakter kendali yang tidak terlihat. Ganti nama berkasnya "
            "dengan huruf, angka, spasi, titik atau tanda hubung."
        )
    if name.strip() in (".", ".."):
        return "Nama berkas tidak valid. Ganti nama berkasnya."
    if len(name) > MAX_NAME_CHARS:
        return f"Nama berkas terlalu panjang (lebih dari {MAX_NAME_CHARS} karakter)."
    return None


_PARAM = re.compile(r';\s*([^\s;=]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_disposition(value: str) -> tuple[str, dict[str, str]]:
    """Split a part's Content-Disposition into its type and parameters, keeping names as sent.

    Unlike python-multipart's helper it does not cut Windows paths down to their last segment,
    so a name with path separators is seen (and refused) as it was sent. Only the escapes
    `\\"` and `\\\\` are undone; browsers send other backslashes literally.
    """
    kind, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if "*" in key:  # RFC 7578 forbids the extended syntax in form data
            continue
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        params.setdefault(key, raw)
    return kind.strip().lower(), params


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name per RFC 6266/5987."""
    fallback = (
        "".join(
            c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_"
            for c in unicodedata.normalize("NFKD", name)
            if not unicodedata.combining(c)
        ).strip()
        or "berkas"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- who may do what ---------------------------------------------------------------------


def can_upload_for_body(actor: Actor, body_id: int) -> bool:
    """A body's operators and atasan PPID upload its evidence."""
    return actor.acts_for_body(body_id, Role.OPERATOR, Role.ATASAN_PPID)


def can_read_body_evidence(
    actor: Actor, body_id: int, body_org_id: int, parent_id: int | None
) -> bool:
    """The body's people (and its PPID utama's) and the sekretariat of its commission read."""
    if actor.acts_for_body(body_id) or (parent_id is not None and actor.acts_for_body(parent_id)):
        return True
    return actor.organisation_id == body_org_id and actor.has(Role.SEKRETARIAT)


# --- links --------------------------------------------------------------------------------

MAX_URL_CHARS = 2000


def url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """Why a link cannot be accepted as evidence (before any network access), or None.

    Literal private addresses and `localhost` are refused here already; names that resolve to
    private addresses are refused by the checker (`app.evidence.links`).
    """
    url = url.strip()
    if not url:
        return "Tautan kosong."
    if len(url) > MAX_URL_CHARS:
        return f"Tautan terlalu panjang (lebih dari {MAX_URL_CHARS} karakter)."
    if any(unicodedata.category(c) == "Cc" or c.isspace() for c in url):
        return "Tautan tidak boleh memuat spasi atau karakter kendali."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Tautan tidak dapat dibaca. Salin ulang alamatnya dari peramban."
    if parts.scheme.lower() not in ("http", "https"):
        return (
            "Hanya tautan web yang diawali http:// atau https:// yang diterima "
            f"(bukan {parts.scheme or 'tanpa skema'}:)."
        )
    if not parts.hostname:
        return "Tautan tidak memuat nama situs."
    if parts.username or parts.password:
        return "Tautan tidak boleh memuat nama pengguna atau kata sandi."
    if port == 0:
        return "Nomor port pada tautan tidak valid."
    literal = literal_address(parts.hostname)
    if allow_private:
        return None
    if parts.hostname.lower() in ("localhost", "localhost.localdomain") or (
        literal is not None and not is_public_address(literal)
    ):
        return PRIVATE_ADDRESS_MESSAGE
    return None


PRIVATE_ADDRESS_MESSAGE = (
    "Tautan menuju alamat jaringan internal (privat, loopback atau lokal) tidak diterima. "
    "Gunakan alamat yang dapat dibuka publik."
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public_address(ip: IPAddress) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return is_public_address(inner)
        if ip.teredo is not None:
            return False
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
    )


def address_allowed(ip: IPAddress, *, allow_private: bool) -> bool:
    """Whether the link checker may connect to `ip` (private only with the test setting)."""
    if is_public_address(ip):
        return True
    return allow_private and not (ip.is_multicast or ip.is_unspecified)


# --- link check results -----------------------------------------------------------------

OK = "ok"
BROKEN = "broken"
REFUSED = "refused"


@dataclass(frozen=True)
class LinkVerdict:
    status: str  # ok | broken | refused
    problem: str = ""  # a short code: access_wall, login_page, not_found, http_error, …
    message: str = ""


_WALL_TEXT = (
    "request access",
    "minta akses",
    "meminta akses",
    "you need access",
    "anda memerlukan akses",
    "anda perlu akses",
    "need permission",
    "perlu izin",
    "access denied",
    "akses ditolak",
)
_LOGIN_HOSTS = ("accounts.google.com", "login.microsoftonline.com", "login.live.com")
_LOGIN_PATH = re.compile(r"/(login|signin|sign-in|sign_in|masuk|auth|sso|servicelogin)\b", re.I)
_PASSWORD_INPUT = re.compile(rb"<input[^>]+type\s*=\s*[\"']?password", re.IGNORECASE)


def classify_response(
    status: int, content_type: str, final_url: str, body_head: bytes
) -> LinkVerdict:
    """Judge a fetched link: working evidence, or what stops a verifier from seeing it."""
    host = (urlsplit(final_url).hostname or "").lower()
    path = urlsplit(final_url).path
    if status in (401, 403):
        return LinkVerdict(
            BROKEN,
            "access_wall",
            f"Tautan meminta izin akses (HTTP {status}). Buka aksesnya untuk publik.",
        )
    if status in (404, 410):
        return LinkVerdict(
            BROKEN, "not_found", f"Halaman tidak ditemukan (HTTP {status}). Periksa tautannya."
        )
    if status >= 400:
        return LinkVerdict(
            BROKEN, "http_error", f"Situs menjawab dengan kesalahan (HTTP {status})."
        )
    if status < 200 or status >= 300:
        return LinkVerdict(BROKEN, "http_error", f"Jawaban situs tidak lazim (HTTP {status}).")
    if host in _LOGIN_HOSTS or _LOGIN_PATH.search(path):
        return LinkVerdict(
            BROKEN,
            "login_page",
            "Tautan berakhir di halaman masuk (login). Bagikan dokumennya untuk publik.",
        )
    if "html" in content_type.lower():
        text = body_head.decode("utf-8", "replace").lower()
        if any(w in text for w in _WALL_TEXT):
            return LinkVerdict(
                BROKEN,
                "access_wall",
                "Tautan menampilkan halaman 'minta akses' (request access). Ubah pengaturan "
                "berbagi menjadi 'siapa saja yang memiliki tautan'.",
            )
        if _PASSWORD_INPUT.search(body_head):
            return LinkVerdict(
                BROKEN,
                "login_page",
                "Tautan menampilkan formulir masuk (login). Bagikan dokumennya untuk publik.",
            )
    return LinkVerdict(OK)
