"""Receive one evidence file: stream it into staging while hashing, limit it, check its content.

`receive_upload` parses the multipart body itself over `request.stream()` (python-multipart's
streaming parser), so a file is never held whole in memory and an oversized one is stopped at
the first byte over the limit. `stage_stream` does the same for a file already at hand (the
non-JS form fallback, imports, tests). Both return a `StagedUpload` that lives in the storage's
staging directory until `app.evidence.service.save_evidence` stores it or `discard()` drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from app.errors import PayloadTooLarge, ValidationFailed
from app.evidence import rules
from app.evidence.pdfcheck import check_pdf
from app.evidence.rules import SNIFF_BYTES, FileKind, UploadPolicy
from app.evidence.storage import Storage, get_storage, storage_error

FILE_FIELD = "file"
# Bytes of multipart framing (boundaries, part headers, small fields) allowed on top of the
# file itself before a Content-Length alone proves the upload too large.
ENVELOPE_ALLOWANCE = 64 * 1024


@dataclass
class StagedUpload:
    """A received, checked file waiting in staging; `fields` are the other form fields."""

    path: Path
    sha256: str
    size: int
    filename: str
    kind: FileKind
    storage: Storage
    fields: dict[str, str] = field(default_factory=dict)
    is_stored: bool = False  # set once the bytes are in storage (service.store_blob)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Sink:
    """One file being written to staging: hashed, counted, limited and sniffed as it comes.

    Limits and sniffing run at once on every piece (`accept`/`write`). Hashing and writing are
    the expensive part: on the streaming path they run on a worker thread, one batch at a time,
    while the event loop receives and parses the next batch (hashlib and file writes release
    the GIL). At most two batches per upload are held in memory.
    """

    def __init__(self, storage: Storage, policy: UploadPolicy, filename: str) -> None:
        self.storage = storage
        self.policy = policy
        self.filename = filename
        self.out: IO[bytes]
        self.out, self.path = storage.new_staging_file()
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.kind: FileKind | None = None
        self._batch: list[bytes | memoryview] = []
        self._batched = 0
        self._inflight: Future[None] | None = None
        self._written = 0
        self._synced = 0

    def _check(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        if self.size > self.policy.max_bytes:
            raise PayloadTooLarge(rules.too_large_message(self.policy.max_bytes))
        if self.kind is None:
            self.head += bytes(data[: SNIFF_BYTES - len(self.head)])
            if len(self.head) >= SNIFF_BYTES:
                self._sniff()

    def _consume(self, parts: list[bytes | memoryview]) -> None:
        # One joined buffer: two GIL-free calls per batch instead of two per network chunk.
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        parts.clear()  # let the network chunks go now
        try:
            self.hash.update(data)
            self.out.write(data)
            self._written += len(data)
            if self.storage.early_writeback and self._written - self._synced >= WRITEBACK_BYTES:
                self._start_writeback()
        except OSError as exc:  # staging disk full or gone: not the user's fault
            raise storage_error("staging write failed", exc) from exc

    def _start_writeback(self) -> None:
        """Ask the kernel to start writing what we have so far (non-blocking, Linux).

        The stored file must be on disk before its record commits; starting early leaves the
        final fsync only the tail, and keeps evidence from filling the page cache.
        """
        self.out.flush()
        if hasattr(os, "posix_fadvise"):
            length = self._written - self._synced
            os.posix_fadvise(self.out.fileno(), self._synced, length, os.POSIX_FADV_DONTNEED)
        self._synced = self._written

    def write(self, data: bytes | memoryview) -> None:
        """Check and store one piece now (the synchronous path)."""
        self._check(data)
        self._consume([data])

    def accept(self, data: bytes | memoryview) -> None:
        """Check one piece now; hash and store it later, in a batch (`pump`)."""
        self._check(data)
        self._batch.append(data)
        self._batched += len(data)

    async def pump(self, *, final: bool = False) -> None:
        """Hand a full batch (or, when final, the rest) to the worker; wait for the previous."""
        if self._batched >= BATCH_BYTES or (final and self._batch):
            await self._wait()
            batch, self._batch, self._batched = self._batch, [], 0
            self._inflight = _hashers().submit(self._consume, batch)
        if final:
            await self._wait()

    async def _wait(self) -> None:
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            await asyncio.wrap_future(inflight)

    def _sniff(self) -> None:
        kind = rules.sniff(self.head, self.policy.allowed)
        if kind is None:
            raise ValidationFailed(
                rules.kind_refusal(self.head, self.policy.allowed),
                field_errors={FILE_FIELD: "Jenis berkas tidak diizinkan."},
            )
        self.kind = kind

    def close(self) -> StagedUpload:
        """Finish a file whose every byte was consumed; refuse an empty or unknown one."""
        try:
            self.out.close()
        except OSError as exc:  # the last buffered bytes did not fit on the disk
            raise storage_error("staging write failed", exc) from exc
        if self.size == 0:
            raise ValidationFailed(
                "Berkas kosong (0 bita). Pilih berkas yang berisi dokumen lalu unggah lagi.",
                field_errors={FILE_FIELD: "Berkas kosong."},
            )
        if self.kind is None:
            self._sniff()
        assert self.kind is not None
        return StagedUpload(
            path=self.path,
            sha256=self.hash.hexdigest(),
            size=self.size,
            filename=self.filename,
            kind=self.kind,
            storage=self.storage,
        )

    async def adiscard(self) -> None:
        """Drop the file once no worker writes to it any more."""
        with contextlib.suppress(Exception):
            await self._wait()
        self.discard()

    def discard(self) -> None:
        self.out.close()
        self.path.unlink(missing_ok=True)


BATCH_BYTES = 256 * 1024
WRITEBACK_BYTES = 8 * 1024 * 1024
_pool: ThreadPoolExecutor | None = None


def _hashers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="evidence-hash")
    return _pool


def check_filename(filename: str) -> str:
    problem = rules.filename_problem(filename)
    if problem:
        raise ValidationFailed(problem, field_errors={FILE_FIELD: problem})
    return filename.strip()


def check_content(staged: StagedUpload) -> None:
    """The checks that need the whole file: PDFs are opened in a limited child process."""
    if staged.kind.key == "pdf":
        verdict = check_pdf(staged.path)
        if not verdict.ok:
            raise ValidationFailed(verdict.message, field_errors={FILE_FIELD: verdict.message})


def _too_many_parts(policy: UploadPolicy) -> ValidationFailed:
    return ValidationFailed(
        f"Unggahan memuat terlalu banyak bagian (paling banyak {policy.max_parts}). "
        "Kirim satu berkas per unggahan.",
    )


def _one_file_only() -> ValidationFailed:
    return ValidationFailed(
        "Unggah satu berkas per kali.", field_errors={FILE_FIELD: "Hanya satu berkas."}
    )


def _no_file() -> ValidationFailed:
    return ValidationFailed(
        "Tidak ada berkas yang dikirim. Pilih berkas lalu unggah lagi.",
        field_errors={FILE_FIELD: "Wajib diisi."},
    )


class _MultipartReceiver:
    """Callbacks for python-multipart's streaming parser: one file part, a few small fields."""

    def __init__(self, storage: Storage, policy: UploadPolicy) -> None:
        self.storage = storage
        self.policy = policy
        self.parts = 0
        self.fields: dict[str, str] = {}
        self.sink: _Sink | None = None  # the file part, while and after it arrives
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._in_file = False
        self.ended = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.policy.max_parts:
            raise _too_many_parts(self.policy)
        self._headers = {}
        self._field_name = None
        self._field_value = bytearray()
        self._in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._header_field.decode("latin-1").strip().lower()
        self._headers[name] = _decode(bytes(self._header_value))
        self._header_field = bytearray()
        self._header_value = bytearray()

    def on_headers_finished(self) -> None:
        kind, params = rules.parse_disposition(self._headers.get("content-disposition", ""))
        name = params.get("name")
        if kind != "form-data" or name is None:
            raise ValidationFailed("Unggahan tidak dapat dibaca (bagian formulir tanpa nama).")
        if "filename" in params:
            if name != FILE_FIELD:
                raise ValidationFailed(
                    f"Berkas harus dikirim pada isian '{FILE_FIELD}'.",
                    field_errors={FILE_FIELD: "Wajib diisi."},
                )
            if self.sink is not None:
                raise _one_file_only()
            filename = check_filename(params["filename"])
            self.sink = _Sink(self.storage, self.policy, filename)
            self._in_file = True
        else:
            self._field_name = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            assert self.sink is not None
            self.sink.accept(memoryview(data)[start:end])
            return
        self._field_value += data[start:end]
        if len(self._field_value) > self.policy.max_field_bytes:
            raise ValidationFailed(f"Isian '{self._field_name}' terlalu panjang.")

    def on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
        elif self._field_name is not None:
            self.fields.setdefault(self._field_name, _decode(bytes(self._field_value)))

    def on_end(self) -> None:
        self.ended = True

    async def adiscard(self) -> None:
        if self.sink is not None:
            await self.sink.adiscard()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _boundary(request: Request) -> bytes:
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary", b"")
    if ctype != b"multipart/form-data" or not boundary:
        raise ValidationFailed(
            "Unggahan harus dikirim sebagai formulir multipart/form-data dengan isian 'file'."
        )
    return boundary


def _check_declared_length(request: Request, policy: UploadPolicy) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes + ENVELOPE_ALLOWANCE:
        raise PayloadTooLarge(rules.too_large_message(policy.max_bytes))


async def receive_upload(
    request: Request, policy: UploadPolicy, storage: Storage | None = None
) -> StagedUpload:
    """Stream the request's multipart body into staging and check it; raise a domain error.

    Refuses (and keeps nothing of) a body over the size limit (413, as soon as the limit is
    passed), a file name with path separators or control characters, a zero-byte file, a
    second file or more parts than the policy allows, content of a kind not in the allowlist,
    and PDFs that are encrypted, corrupt, empty or carry JavaScript (422).
    """
    storage = storage or get_storage()
    boundary = _boundary(request)
    _check_declared_length(request, policy)
    receiver = _MultipartReceiver(storage, policy)
    parser = MultipartParser(boundary, callbacks=receiver.callbacks())  # type: ignore[arg-type]
    staged: StagedUpload | None = None
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
                if receiver.sink is not None:
                    await receiver.sink.pump()
        parser.finalize()
        if not receiver.ended:
            raise ValidationFailed(
                "Unggahan terputus sebelum selesai. Periksa koneksi Anda lalu unggah lagi."
            )
        if receiver.sink is None:
            raise _no_file()
        await receiver.sink.pump(final=True)
        staged = receiver.sink.close()
        staged.fields = receiver.fields
        await run_in_threadpool(check_content, staged)
    except MultipartParseError as exc:
        await receiver.adiscard()
        raise ValidationFailed(
            "Unggahan tidak dapat dibaca (format multipart rusak). Unggah lagi."
        ) from exc
    except BaseException:
        await receiver.adiscard()
        if staged is not None:
            staged.discard()
        raise
    return staged


def stage_stream(
    source: IO[bytes],
    filename: str,
    policy: UploadPolicy,
    storage: Storage | None = None,
    *,
    chunk_size: int = 1024 * 1024,
) -> StagedUpload:
    """Copy an open file into staging with the same limits and checks as `receive_upload`."""
    storage = storage or get_storage()
    sink = _Sink(storage, policy, check_filename(filename))
    try:
        while chunk := source.read(chunk_size):
            sink.write(chunk)
        staged = sink.close()
        check_content(staged)
    except BaseException:
        sink.discard()
        raise
    return staged


async def receive_form_upload(
    request: Request, policy: UploadPolicy, storage: Storage | None = None
) -> StagedUpload:
    """The fallback for a plain HTML form sent without the X-CSRF-Token header.

    The global CSRF check then has to read the token from the form, so Starlette has already
    parsed the body (files spooled to a temp file, never whole in memory). The same limits and
    checks apply, but the size limit can only be enforced after the body was received.
    """
    form = await request.form()
    try:
        items = form.multi_items()
        if len(items) > policy.max_parts:
            raise _too_many_parts(policy)
        files = [v for _, v in items if isinstance(v, UploadFile)]
        if len(files) > 1:
            raise _one_file_only()
        if not files or (not files[0].filename and not files[0].size):
            raise _no_file()
        upload = files[0]
        if upload.size is not None and upload.size > policy.max_bytes:
            raise PayloadTooLarge(rules.too_large_message(policy.max_bytes))
        staged = await run_in_threadpool(
            stage_stream, upload.file, upload.filename or "", policy, storage
        )
    finally:
        await form.close()  # Starlette's spooled temp files
    staged.fields = {k: v for k, v in items if isinstance(v, str)}
    return staged


def form_already_parsed(request: Request) -> bool:
    """True when the global CSRF check had to read the token from the form body.

    It does so only when neither an X-CSRF-Token header nor a bearer token came with the
    request (see `app.web.deps.csrf_protect`); the body is then no longer streamable.
    """
    if request.headers.get("x-csrf-token"):
        return False
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return False
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def receive(request: Request, policy: UploadPolicy) -> StagedUpload:
    """Stream the upload, or take it from the form the CSRF check already parsed."""
    if form_already_parsed(request):
        return await receive_form_upload(request, policy)
    return await receive_upload(request, policy)
