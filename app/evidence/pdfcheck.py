"""Open an uploaded PDF in a separate, limited process and say whether it can be accepted."""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import get_settings

PROBE = Path(__file__).with_name("_pdfprobe.py")

MESSAGES = {
    "encrypted": (
        "PDF ini dilindungi kata sandi atau enkripsi, sehingga tidak dapat diperiksa "
        "verifikator. Simpan ulang tanpa kata sandi/perlindungan lalu unggah lagi."
    ),
    "empty": "PDF ini tidak memiliki halaman. Periksa berkasnya lalu unggah lagi.",
    "corrupt": (
        "PDF ini rusak atau tidak dapat dibaca. Buka berkasnya di komputer Anda, simpan ulang "
        "(misalnya 'Cetak ke PDF'), lalu unggah lagi."
    ),
    "javascript": (
        "PDF ini memuat JavaScript (konten aktif) dan ditolak demi keamanan. Simpan ulang "
        "dengan 'Cetak ke PDF' agar skripnya hilang, lalu unggah lagi."
    ),
    "launch": (
        "PDF ini memuat perintah untuk menjalankan program dan ditolak demi keamanan. Simpan "
        "ulang dengan 'Cetak ke PDF', lalu unggah lagi."
    ),
    "too_heavy": (
        "PDF ini terlalu berat untuk diperiksa (melampaui batas waktu atau memori). Perkecil "
        "atau sederhanakan berkasnya (misalnya 'Cetak ke PDF'), lalu unggah lagi."
    ),
}


@dataclass(frozen=True)
class PdfVerdict:
    ok: bool
    problem: str = ""
    pages: int = 0

    @property
    def message(self) -> str:
        return MESSAGES.get(self.problem, "")


class _Server:
    """One `_pdfprobe.py --serve` process: it forks a limited child per PDF."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 (fixed interpreter and script, no shell)
            [sys.executable, "-I", str(PROBE), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"LANG": "C.UTF-8"},
        )
        self.pending = b""

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """The answer line to `request`, or None when the server is gone or silent."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        try:
            data = json.loads(line)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


# At most MAX_SERVERS per app process (each ~20 MB, and ~120 ms of CPU to start): a probe takes
# a few milliseconds, so an upload waits for a free server rather than starting another.
MAX_SERVERS = 3
_idle: list[_Server] = []
_idle_lock = threading.Lock()
_servers = threading.BoundedSemaphore(MAX_SERVERS)


def _answer_within(seconds: int) -> float:
    """How long to wait for a server's answer: the child's own deadline (twice its CPU time
    plus 2 s, after which the server kills it) and a margin."""
    return seconds * 2 + 2 + 5.0


def _take() -> _Server:
    """A server of this process, once one is free (release it with `_give_back` or `_drop`)."""
    _servers.acquire()
    try:
        with _idle_lock:
            while _idle:
                server = _idle.pop()
                if server.proc.poll() is None:
                    return server
                server.close()
        return _Server()
    except BaseException:
        _servers.release()
        raise


def _give_back(server: _Server) -> None:
    with _idle_lock:
        _idle.append(server)
    _servers.release()


def _drop(server: _Server) -> None:
    try:
        server.close()
    finally:
        _servers.release()


def prestart() -> None:
    """Start one server now unless the process already has an idle one, so that the first
    upload after a start does not wait for (and a burst of first uploads does not start
    several of) them. Called when the app starts; the server warms up in its own process."""
    if not _servers.acquire(blocking=False):
        return
    with _idle_lock:
        have_one = bool(_idle)
    if have_one:
        _servers.release()
        return
    try:
        server = _Server()
    except BaseException:
        _servers.release()
        raise
    _give_back(server)


@atexit.register
def _close_all() -> None:
    with _idle_lock:
        while _idle:
            _idle.pop().close()


def _probe(path: Path, seconds: int, memory_mb: int, text_chars: int = 0) -> dict[str, Any]:
    """Judge `path` in a limited child; a server that dies or stalls is replaced (once for a
    server that was already gone, as after a restart of its own) and the file, if it stalled
    it, reported as too heavy."""
    request = {"path": str(path), "seconds": seconds, "memory_mb": memory_mb, "text": text_chars}
    timeout = _answer_within(seconds)
    for _attempt in range(2):
        server = _take()
        started = time.monotonic()
        answer = server.ask(request, timeout)
        if answer is not None:
            _give_back(server)
            return answer
        _drop(server)
        if time.monotonic() - started >= timeout:
            break  # it stalled on this file
    return {"ok": False, "problem": "too_heavy"}


def check_pdf(
    path: Path, *, seconds: int | None = None, memory_mb: int | None = None
) -> PdfVerdict:
    """Open `path` with pypdf in a child process limited in CPU time and address space.

    Refuses encrypted, corrupt, empty (0 pages) and JavaScript- or launch-carrying PDFs, and
    those too heavy to open within the limits. Blocking: call it from a worker thread.
    """
    s = get_settings()
    seconds = seconds or s.evidence_pdf_check_seconds
    memory_mb = memory_mb or s.evidence_pdf_check_memory_mb
    data = _probe(path, seconds, memory_mb)
    problem = str(data.get("problem", "corrupt"))
    if data.get("ok") is True:
        return PdfVerdict(True, "", int(data.get("pages", 0)))
    return PdfVerdict(False, problem if problem in MESSAGES else "corrupt")


@dataclass(frozen=True)
class PdfText:
    """What the pre-check read from a PDF: pages, text, pages that are images without text."""

    ok: bool
    problem: str = ""
    pages: int = 0
    text: str = ""
    image_pages: int = 0


def extract_pdf_text(
    path: Path, *, max_chars: int, seconds: int | None = None, memory_mb: int | None = None
) -> PdfText:
    """Read a PDF's text in the same limited child process as `check_pdf` (blocking)."""
    s = get_settings()
    seconds = seconds or s.evidence_pdf_check_seconds
    memory_mb = memory_mb or s.evidence_pdf_check_memory_mb
    data = _probe(path, seconds, memory_mb, max(1, max_chars))
    if data.get("ok") is not True:
        problem = str(data.get("problem", "corrupt"))
        return PdfText(False, problem if problem in MESSAGES else "corrupt")
    return PdfText(
        True,
        "",
        int(data.get("pages", 0)),
        str(data.get("text", ""))[:max_chars],
        int(data.get("image_pages", 0)),
    )
