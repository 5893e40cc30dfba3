"""Open an uploaded PDF in a separate, limited process and say whether it can be accepted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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
    try:
        proc = subprocess.run(  # noqa: S603 (fixed interpreter and script, no shell)
            [sys.executable, "-I", str(PROBE), str(path), str(seconds), str(memory_mb)],
            capture_output=True,
            timeout=seconds * 2 + 5,
            check=False,
            env={"LANG": "C.UTF-8"},
        )
    except subprocess.TimeoutExpired:
        return PdfVerdict(False, "too_heavy")
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL, -signal.SIGSEGV):
        return PdfVerdict(False, "too_heavy")
    try:
        data = json.loads(proc.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        # No verdict at all: the interpreter itself could not start under the memory limit,
        # or died without a word. Treat the file as too heavy rather than accept it.
        return PdfVerdict(False, "too_heavy")
    problem = str(data.get("problem", "corrupt"))
    if data.get("ok") is True:
        return PdfVerdict(True, "", int(data.get("pages", 0)))
    return PdfVerdict(False, problem if problem in MESSAGES else "corrupt")
