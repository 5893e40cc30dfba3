"""Open an uploaded PDF in a separate, limited process and say whether it can be accepted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
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


def _probe(path: Path, seconds: int, memory_mb: int, *extra: str) -> dict[str, Any]:
    """Run the probe on `path`; a child killed or silent is reported as too heavy."""
    try:
        proc = subprocess.run(  # noqa: S603 (fixed interpreter and script, no shell)
            [sys.executable, "-I", str(PROBE), str(path), str(seconds), str(memory_mb), *extra],
            capture_output=True,
            timeout=seconds * 2 + 5,
            check=False,
            env={"LANG": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "problem": "too_heavy"}
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL, -signal.SIGSEGV):
        return {"ok": False, "problem": "too_heavy"}
    try:
        data = json.loads(proc.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        # No verdict at all: the interpreter itself could not start under the memory limit,
        # or died without a word. Treat the file as too heavy rather than accept it.
        return {"ok": False, "problem": "too_heavy"}
    if not isinstance(data, dict):
        return {"ok": False, "problem": "corrupt"}
    return data


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
    data = _probe(path, seconds, memory_mb, str(max(1, max_chars)))
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
