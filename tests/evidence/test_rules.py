"""Pure evidence rules: kinds by content, names, limits, links, addresses, access walls."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts.rules import Actor, Role
from app.evidence import rules
from app.evidence.rules import PDF_ONLY, PHOTO, UploadPolicy
from tests.evidence import pdfs

# --- kinds ----------------------------------------------------------------------------------


def test_a_pdf_is_recognised_by_its_first_bytes() -> None:
    kind = rules.sniff(pdfs.pdf()[:1024], PDF_ONLY)
    assert kind is not None and kind.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("head", "says"),
    [
        (pdfs.windows_exe(), "program Windows"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "program Linux"),
        (pdfs.html_page(), "halaman web"),
        (b"\xef\xbb\xbf  <html><body>x</body></html>", "halaman web"),
        (b"PK\x03\x04" + b"\x00" * 50, "arsip ZIP"),
        (pdfs.png_image(), "berkas PNG"),
        (b"just some text", ""),
    ],
)
def test_an_impostor_is_refused_and_named(head: bytes, says: str) -> None:
    assert rules.sniff(head, PDF_ONLY) is None
    message = rules.kind_refusal(head, PDF_ONLY)
    assert "hanya PDF" in message
    if says:
        assert says in message
    else:
        assert "terbaca sebagai" not in message


def test_a_pdf_hidden_behind_html_is_not_a_pdf() -> None:
    assert rules.sniff(b"<html>" + pdfs.pdf(), PDF_ONLY) is None


def test_photo_items_take_jpeg_and_png_but_not_pdf() -> None:
    assert rules.sniff(b"\xff\xd8\xff\xe0" + b"\x00" * 10, PHOTO) is not None
    assert rules.sniff(pdfs.png_image(), PHOTO) is not None
    assert rules.sniff(pdfs.pdf(), PHOTO) is None
    assert "JPEG atau PNG" in rules.kind_refusal(pdfs.pdf(), PHOTO)


def test_any_accepts_every_byte_but_only_when_asked() -> None:
    assert rules.sniff(pdfs.windows_exe(), ("any",)) is not None
    assert rules.sniff(pdfs.windows_exe(), ("pdf", "jpg", "png")) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"allowed": ()}, {"allowed": ("exe",)}, {"max_bytes": 0}, {"max_parts": 0}],
)
def test_a_policy_must_make_sense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        UploadPolicy(**kwargs)  # type: ignore[arg-type]


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [(512, "512 bita"), (2048, "2 KB"), (2 * 1024 * 1024, "2 MB"), (1536 * 1024, "1,5 MB")],
)
def test_sizes_read_the_indonesian_way(n: int, text: str) -> None:
    assert rules.format_size(n) == text


def test_the_size_message_names_the_limit_and_that_nothing_was_kept() -> None:
    message = rules.too_large_message(2 * 1024 * 1024)
    assert "2 MB" in message and "Tidak ada yang disimpan" in message


# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["SK PPID 2025.pdf", "laporan-layanan_2024 (final).pdf", "Daftar Informasi Publik.PDF"]
)
def test_ordinary_names_are_kept(name: str) -> None:
    assert rules.filename_problem(name) is None


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("../../etc/passwd.pdf", "garis miring"),
        ("C:\\Users\\ppid\\sk.pdf", "garis miring"),
        ("dir/sk.pdf", "garis miring"),
        ("sk\x00.pdf", "karakter kendali"),
        ("sk\r\nX-Evil: 1.pdf", "karakter kendali"),
        ("laporan\u202efdp.exe", "karakter kendali"),
        ("   ", "kosong"),
        ("..", "tidak valid"),
        ("a" * 201 + ".pdf", "terlalu panjang"),
    ],
)
def test_dangerous_names_are_refused_with_a_reason(name: str, says: str) -> None:
    problem = rules.filename_problem(name)
    assert problem is not None and says in problem


@given(st.text(min_size=0, max_size=30), st.sampled_from(["/", "\\"]), st.text(max_size=30))
def test_no_name_with_a_path_separator_is_ever_kept(a: str, sep: str, b: str) -> None:
    assert rules.filename_problem(a + sep + b) is not None


@given(st.text(max_size=120))
def test_a_download_header_is_always_one_safe_latin1_line(name: str) -> None:
    header = rules.content_disposition(name)
    header.encode("latin-1")
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback and "\\" not in fallback


def test_the_download_header_keeps_the_exact_name_for_modern_browsers() -> None:
    header = rules.content_disposition('Laporan "Tahunan" 2024 — final.pdf')
    assert "filename*=UTF-8''Laporan%20%22Tahunan%22%202024%20%E2%80%94%20final.pdf" in header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('form-data; name="file"; filename="sk.pdf"', {"name": "file", "filename": "sk.pdf"}),
        ('form-data; name="file"; filename="C:\\dir\\sk.pdf"', {"filename": "C:\\dir\\sk.pdf"}),
        ('form-data; name="file"; filename="a\\\\b.pdf"', {"filename": "a\\b.pdf"}),
        ('form-data; name="f"; filename="a;b \\"c\\".pdf"', {"filename": 'a;b "c".pdf'}),
        ("form-data; name=file; filename*=UTF-8''x.pdf", {"name": "file"}),
    ],
)
def test_part_headers_are_read_without_trimming_paths(value: str, expected: dict[str, str]) -> None:
    kind, params = rules.parse_disposition(value)
    assert kind == "form-data"
    for k, v in expected.items():
        assert params[k] == v
    assert "filename*" not in params


# --- who may do what -------------------------------------------------------------------------


def _actor(
    org: int = 1, roles: frozenset[str] = frozenset(), **body_roles: frozenset[str]
) -> Actor:
    return Actor(
        user_id=1,
        email="x@uji.example.id",
        full_name="X",
        organisation_id=org,
        roles=roles,
        body_roles={int(k[1:]): v for k, v in body_roles.items()},
    )


def test_only_a_bodys_operator_and_atasan_upload() -> None:
    assert rules.can_upload_for_body(_actor(b7=frozenset({Role.OPERATOR})), 7)
    assert rules.can_upload_for_body(_actor(b7=frozenset({Role.ATASAN_PPID})), 7)
    assert not rules.can_upload_for_body(_actor(b8=frozenset({Role.OPERATOR})), 7)
    assert not rules.can_upload_for_body(_actor(roles=frozenset({Role.SEKRETARIAT})), 7)


def test_readers_are_the_body_its_ppid_utama_and_its_commissions_sekretariat() -> None:
    assert rules.can_read_body_evidence(_actor(b7=frozenset({Role.OPERATOR})), 7, 1, None)
    assert rules.can_read_body_evidence(_actor(b3=frozenset({Role.OPERATOR})), 7, 1, 3)
    assert rules.can_read_body_evidence(_actor(roles=frozenset({Role.SEKRETARIAT})), 7, 1, None)
    assert not rules.can_read_body_evidence(
        _actor(org=2, roles=frozenset({Role.SEKRETARIAT})), 7, 1, None
    )
    assert not rules.can_read_body_evidence(_actor(roles=frozenset({Role.JURI})), 7, 1, None)
    assert not rules.can_read_body_evidence(_actor(b8=frozenset({Role.OPERATOR})), 7, 1, None)


# --- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://ppid.example.go.id/sk.pdf", "http://example.org/a?b=c#d", "https://[2001:db8::1]/"],
)
def test_web_links_pass(url: str) -> None:
    if "2001:db8" in url:  # documentation range: not global, refused like a private one
        assert rules.url_problem(url) == rules.PRIVATE_ADDRESS_MESSAGE
    else:
        assert rules.url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/passwd", "http:// atau https://"),
        ("javascript:alert(1)", "http:// atau https://"),
        ("ftp://ftp.example.org/x.pdf", "http:// atau https://"),
        ("data:text/html,hi", "http:// atau https://"),
        ("example.org/sk.pdf", "http:// atau https://"),
        ("http://", "nama situs"),
        ("http://user:sandi@example.org/", "kata sandi"),
        ("http://127.0.0.1/", "jaringan internal"),
        ("http://localhost:8000/", "jaringan internal"),
        ("http://10.0.0.5/", "jaringan internal"),
        ("http://169.254.169.254/latest/meta-data/", "jaringan internal"),
        ("http://[::1]/", "jaringan internal"),
        ("http://[::ffff:192.168.1.1]/", "jaringan internal"),
        ("http://example.org/a b", "spasi"),
        ("http://example.org:99999/", "tidak dapat dibaca"),
        ("", "kosong"),
        ("https://example.org/" + "a" * 2001, "terlalu panjang"),
    ],
)
def test_links_that_cannot_be_evidence_are_refused_before_any_request(url: str, says: str) -> None:
    problem = rules.url_problem(url)
    assert problem is not None and says in problem


def test_the_test_setting_lets_literal_loopback_through() -> None:
    assert rules.url_problem("http://127.0.0.1:8123/x", allow_private=True) is None
    assert rules.url_problem("file:///etc/passwd", allow_private=True) is not None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4001:80b::200e", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:0a00:0001::1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert rules.is_public_address(ipaddress.ip_address(address)) is public


def test_private_addresses_need_the_explicit_setting() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    assert not rules.address_allowed(loopback, allow_private=False)
    assert rules.address_allowed(loopback, allow_private=True)
    assert not rules.address_allowed(ipaddress.ip_address("224.0.0.1"), allow_private=True)


# --- access walls ---------------------------------------------------------------------------


def _judge(status: int, body: bytes = b"", ctype: str = "text/html", url: str = "") -> str:
    verdict = rules.classify_response(status, ctype, url or "https://example.org/doc", body)
    return f"{verdict.status}:{verdict.problem}"


def test_a_public_document_is_ok() -> None:
    assert _judge(200, b"%PDF-1.7", "application/pdf") == "ok:"


@pytest.mark.parametrize(
    ("status", "body", "url", "expected"),
    [
        (200, b"<html><h1>Minta akses</h1></html>", "", "broken:access_wall"),
        (200, b"<html>You need access. Request access</html>", "", "broken:access_wall"),
        (
            200,
            b"<html><form><input type='password' name='p'></form></html>",
            "",
            "broken:login_page",
        ),
        (
            200,
            b"<html>Sign in</html>",
            "https://accounts.google.com/ServiceLogin?x",
            "broken:login_page",
        ),
        (200, b"<html>masuk</html>", "https://portal.example.go.id/login", "broken:login_page"),
        (401, b"", "", "broken:access_wall"),
        (403, b"", "", "broken:access_wall"),
        (404, b"", "", "broken:not_found"),
        (410, b"", "", "broken:not_found"),
        (500, b"", "", "broken:http_error"),
        (204, b"", "", "ok:"),
        (304, b"", "", "broken:http_error"),
    ],
)
def test_walls_and_errors_are_named(status: int, body: bytes, url: str, expected: str) -> None:
    assert _judge(status, body, url=url) == expected


def test_wall_words_inside_a_pdf_do_not_count() -> None:
    assert _judge(200, b"%PDF-1.4 ... Minta akses ...", "application/pdf") == "ok:"
