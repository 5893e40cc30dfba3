"""The streaming receiver, driven by a hand-made ASGI request (no HTTP client in between)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Iterator

import pytest
from starlette.requests import Request

from app.errors import PayloadTooLarge, ValidationFailed
from app.evidence.rules import PDF_ONLY, UploadPolicy
from app.evidence.storage import Storage
from app.evidence.upload import StagedUpload, receive_upload, stage_stream
from tests.evidence import pdfs
from tests.evidence.conftest import staged_files

BOUNDARY = "----monevbatas7MA4YWxkTrZu0gW"


def multipart(*parts: tuple[str, bytes, bytes]) -> bytes:
    """Parts of (Content-Disposition parameters, extra headers, data)."""
    out = b""
    for disposition, headers, data in parts:
        out += f"--{BOUNDARY}\r\nContent-Disposition: form-data; {disposition}\r\n".encode()
        out += headers + b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def file_part(data: bytes, name: str = "sk.pdf") -> tuple[str, bytes, bytes]:
    return (f'name="file"; filename="{name}"', b"Content-Type: application/pdf\r\n", data)


class Feed:
    """An ASGI receive() that hands out a body in chunks and counts what was taken."""

    def __init__(self, body: bytes, chunk: int = 64 * 1024) -> None:
        self.chunks: Iterator[bytes] = iter(
            [body[i : i + chunk] for i in range(0, len(body), chunk)]
        )
        self.total = -(-len(body) // chunk)
        self.taken = 0

    async def __call__(self) -> dict[str, object]:
        nxt = next(self.chunks, None)
        if nxt is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.taken += 1
        return {"type": "http.request", "body": nxt, "more_body": self.taken < self.total}


def request(body: bytes, feed: Feed | None = None, *, length: bool = True) -> Request:
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    if length:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    return Request(scope, feed or Feed(body))


def run(req: Request, policy: UploadPolicy | None = None) -> StagedUpload:
    return asyncio.run(receive_upload(req, policy or UploadPolicy(allowed=PDF_ONLY)))


def test_it_streams_a_file_into_staging_with_its_hash(local_storage: Storage) -> None:
    data = pdfs.pdf(pages=2)
    body = multipart(('name="replaces_id"', b"", b"12"), file_part(data, "SK PPID.pdf"))
    staged = run(request(body, Feed(body, chunk=7)))  # tiny chunks split every boundary
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.size == len(data)
    assert staged.path.read_bytes() == data
    assert staged.filename == "SK PPID.pdf"
    assert staged.kind.key == "pdf"
    assert staged.fields == {"replaces_id": "12"}
    staged.discard()
    assert staged_files(local_storage) == []


def test_the_limit_stops_the_stream_part_way_and_keeps_nothing(local_storage: Storage) -> None:
    data = pdfs.pdf() + b"%" * (3 * 1024 * 1024)
    body = multipart(file_part(data))
    feed = Feed(body)
    # No Content-Length (chunked): only the running count can stop it.
    with pytest.raises(PayloadTooLarge, match="1 MB"):
        run(request(body, feed, length=False), UploadPolicy(max_bytes=1024 * 1024))
    assert feed.taken < feed.total / 2  # stopped soon after the first MB, not at the end
    assert staged_files(local_storage) == []


def test_a_declared_length_over_the_limit_is_refused_before_reading(local_storage: Storage) -> None:
    body = multipart(file_part(pdfs.pdf() + b"%" * (2 * 1024 * 1024)))
    feed = Feed(body)
    with pytest.raises(PayloadTooLarge):
        run(request(body, feed), UploadPolicy(max_bytes=1024 * 1024))
    assert feed.taken == 0
    assert staged_files(local_storage) == []


def test_a_fake_pdf_is_refused_at_its_first_kilobyte(local_storage: Storage) -> None:
    body = multipart(file_part(pdfs.windows_exe() + b"\x00" * (2 * 1024 * 1024), "sk.pdf"))
    feed = Feed(body)
    with pytest.raises(ValidationFailed, match="program Windows"):
        run(request(body, feed), UploadPolicy(max_bytes=8 * 1024 * 1024))
    assert feed.taken == 1
    assert staged_files(local_storage) == []


def test_a_small_fake_pdf_is_refused_at_the_end(local_storage: Storage) -> None:
    with pytest.raises(ValidationFailed, match="halaman web"):
        run(request(multipart(file_part(pdfs.html_page()))))
    assert staged_files(local_storage) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (multipart(file_part(b"")), "Berkas kosong"),
        (multipart(('name="catatan"', b"", b"x")), "Tidak ada berkas"),
        (multipart(file_part(pdfs.pdf()), file_part(pdfs.pdf(), "b.pdf")), "satu berkas"),
        (multipart(*[(f'name="f{i}"', b"", b"x") for i in range(5)]), "terlalu banyak bagian"),
        (multipart(('name="catatan"', b"", b"x" * 2000)), "terlalu panjang"),
        (multipart(('name="lampiran"; filename="a.pdf"', b"", pdfs.pdf())), "isian 'file'"),
        (multipart(('filename="a.pdf"', b"", pdfs.pdf())), "tanpa nama"),
        (multipart(file_part(pdfs.pdf(), "../../../etc/cron.d/x.pdf")), "garis miring"),
        (multipart(file_part(pdfs.pdf(), "C:\\\\Users\\\\sk.pdf")), "garis miring"),
        (multipart(file_part(pdfs.pdf(), "sk\x01\x7f.pdf")), "karakter kendali"),
        (multipart(file_part(pdfs.pdf()))[:-40], "terputus"),
        (b"--" + BOUNDARY.encode() + b"\r\nnot a header line\r\n\r\n", "rusak"),
    ],
    ids=[
        "zero-byte",
        "no-file",
        "two-files",
        "too-many-parts",
        "long-field",
        "wrong-field",
        "nameless-part",
        "unix-path",
        "windows-path",
        "control-chars",
        "cut-short",
        "garbled",
    ],
)
def test_bad_bodies_are_refused_clearly_and_leave_nothing(
    local_storage: Storage, body: bytes, says: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        run(request(body))
    assert says in err.value.message
    assert staged_files(local_storage) == []


def test_only_multipart_is_accepted(local_storage: Storage) -> None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", b"application/pdf")],
        "query_string": b"",
    }
    with pytest.raises(ValidationFailed, match="multipart"):
        run(Request(scope, Feed(pdfs.pdf())))


def test_pdf_content_is_checked_after_receipt(local_storage: Storage) -> None:
    with pytest.raises(ValidationFailed, match="JavaScript"):
        run(request(multipart(file_part(pdfs.javascript_pdf()))))
    assert staged_files(local_storage) == []


def test_stage_stream_applies_the_same_checks(local_storage: Storage) -> None:
    staged = stage_stream(io.BytesIO(pdfs.pdf()), "sk.pdf", UploadPolicy())
    assert staged.size == len(pdfs.pdf())
    staged.discard()
    with pytest.raises(ValidationFailed, match="kata sandi"):
        stage_stream(io.BytesIO(pdfs.encrypted_pdf()), "sk.pdf", UploadPolicy())
    with pytest.raises(PayloadTooLarge):
        stage_stream(io.BytesIO(pdfs.pdf()), "sk.pdf", UploadPolicy(max_bytes=100))
    assert staged_files(local_storage) == []


def test_a_large_stream_is_hashed_in_order_across_batches(local_storage: Storage) -> None:
    # Larger than a writeback step: exercises batching, the worker and early writeback.
    data = b"".join(n.to_bytes(4, "big") * 1024 for n in range(2600))  # ~10 MB, position-coded
    body = multipart(file_part(data, "besar.bin"))
    staged = run(request(body), UploadPolicy(allowed=("any",), max_bytes=16 * 1024 * 1024))
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.path.read_bytes() == data
    staged.discard()
