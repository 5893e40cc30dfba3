"""PDFs are opened with pypdf in a separate, limited process."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from app.evidence.pdfcheck import MESSAGES, check_pdf
from tests.evidence import pdfs


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "berkas.pdf"
    path.write_bytes(data)
    return path


def test_a_real_pdf_is_accepted_with_its_page_count(tmp_path: Path) -> None:
    verdict = check_pdf(_file(tmp_path, pdfs.pdf(pages=3)))
    assert verdict.ok and verdict.pages == 3 and verdict.message == ""


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (pdfs.encrypted_pdf(), "encrypted"),
        (pdfs.encrypted_pdf(user_password=""), "encrypted"),
        (pdfs.javascript_pdf(), "javascript"),
        (pdfs.javascript_pdf(compress=True), "javascript"),
        (pdfs.zero_page_pdf(), "empty"),
        (pdfs.corrupt_pdf(), "corrupt"),
        (pdfs.pdf()[:300], "corrupt"),
    ],
    ids=[
        "encrypted",
        "owner-only",
        "javascript",
        "javascript-deduplicated",
        "empty",
        "corrupt",
        "cut",
    ],
)
def test_unacceptable_pdfs_are_refused_with_a_clear_reason(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    verdict = check_pdf(_file(tmp_path, data))
    assert not verdict.ok
    assert verdict.problem == problem
    assert verdict.message == MESSAGES[problem]


def test_javascript_hidden_by_name_escapes_is_found_in_the_structure(tmp_path: Path) -> None:
    # `/Java#53cript` is the name /JavaScript written with a hex escape: a byte search misses
    # it, pypdf decodes it, so the structure walk must be what catches it.
    from app.evidence._pdfprobe import _raw_scan

    data = (
        pdfs.javascript_pdf()
        .replace(b"/JavaScript", b"/Java#53cript")
        .replace(b"/JS (", b"/J#53 (")
    )
    path = _file(tmp_path, data)
    assert _raw_scan(str(path)) == ""
    verdict = check_pdf(path)
    assert verdict.problem == "javascript"


def test_a_launch_action_is_refused(tmp_path: Path) -> None:
    data = pdfs.pdf().replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (calc.exe) >>"
    )
    verdict = check_pdf(_file(tmp_path, data))
    assert verdict.problem == "launch"


def test_a_pdf_that_needs_more_memory_than_allowed_is_refused(tmp_path: Path) -> None:
    verdict = check_pdf(_file(tmp_path, pdfs.pdf()), memory_mb=16)
    assert not verdict.ok and verdict.problem == "too_heavy"
    assert "terlalu berat" in verdict.message


def test_the_child_cannot_write_files(tmp_path: Path) -> None:
    # The probe runs with RLIMIT_FSIZE 0: the check itself succeeds without writing anything.
    before = set(os.listdir(tmp_path))
    assert check_pdf(_file(tmp_path, pdfs.pdf())).ok
    assert set(os.listdir(tmp_path)) == before | {"berkas.pdf"}


@pytest.mark.parametrize("offset", [(1 << 20) - 3, (1 << 20) - 11, (1 << 20) + 5])
def test_the_byte_search_sees_names_across_chunk_borders(tmp_path: Path, offset: int) -> None:
    from app.evidence._pdfprobe import _raw_scan

    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b" " * offset + b"/JavaScript >>")
    assert _raw_scan(str(path)) == "javascript"


def test_the_byte_search_does_not_mistake_longer_names(tmp_path: Path) -> None:
    from app.evidence._pdfprobe import _raw_scan

    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b" " * ((1 << 20) - 12) + b"/JSON /JSFont0 /Launcher")
    assert _raw_scan(str(path)) == ""


def test_names_inside_stream_data_are_not_actions(tmp_path: Path) -> None:
    # Compressed images are arbitrary bytes and spell `/JS` by chance now and then.
    from app.evidence._pdfprobe import _raw_scan

    path = tmp_path / "x.pdf"
    path.write_bytes(
        b"%PDF-1.4\n5 0 obj\n<< /Length 40 >>\nstream\r\n\x00\x9f/JS (x)/JavaScript\x01/Launch"
        b"\nendstream\nendobj\n6 0 obj\n<< /Type /Page >>\nendobj\n"
    )
    assert _raw_scan(str(path)) == ""
    path.write_bytes(path.read_bytes() + b"7 0 obj\n<< /S /JavaScript /JS (x) >>\nendobj\n")
    assert _raw_scan(str(path)) == "javascript"


def test_a_scanned_pdf_with_random_image_bytes_is_accepted(tmp_path: Path) -> None:
    data = b""
    for seed in range(60):  # the first seed whose compressed image bytes spell /JS
        rng = random.Random(seed)
        buf = io.BytesIO()
        c = canvas.Canvas(buf)
        img = Image.frombytes("RGB", (420, 420), rng.randbytes(420 * 420 * 3))
        c.drawImage(ImageReader(img), 40, 300, width=500, height=500)
        c.showPage()
        c.save()
        data = buf.getvalue()
        if b"/JS" in data:
            break
    assert b"/JS" in data  # the trap is really there
    path = _file(tmp_path, data)
    assert check_pdf(path).ok


# The probe's own logic, in this process (the child process above runs the same code).

SAMPLES = [
    (pdfs.pdf(pages=2), ""),
    (pdfs.encrypted_pdf(), "encrypted"),
    (pdfs.javascript_pdf(), "javascript"),
    (pdfs.zero_page_pdf(), "empty"),
]


@pytest.mark.parametrize(("data", "problem"), SAMPLES, ids=["ok", "encrypted", "js", "empty"])
def test_the_probe_judges_the_same_in_process(tmp_path: Path, data: bytes, problem: str) -> None:
    from app.evidence import _pdfprobe

    verdict = _pdfprobe.check(str(_file(tmp_path, data)))
    assert verdict["problem"] == problem
    assert verdict["ok"] is (problem == "")


@pytest.mark.parametrize(
    ("raises", "problem"),
    [(None, ""), (MemoryError, "too_heavy"), (RecursionError, "corrupt"), (ValueError, "corrupt")],
)
def test_the_probe_reports_one_json_verdict(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raises: type[BaseException] | None,
    problem: str,
) -> None:
    import json
    import sys

    from app.evidence import _pdfprobe

    limits: list[str] = []
    monkeypatch.setattr(_pdfprobe, "_limit", lambda s, m: limits.append(f"cpu{s} mem{m}"))
    monkeypatch.setattr(_pdfprobe, "_no_files", lambda: limits.append("no files"))
    if raises is not None:

        def boom(path: str) -> dict[str, object]:
            raise raises

        monkeypatch.setattr(_pdfprobe, "check", boom)
    path = _file(tmp_path, pdfs.pdf())
    monkeypatch.setattr(sys, "argv", ["_pdfprobe.py", str(path), "7", "300"])
    _pdfprobe.main()
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["problem"] == problem
    assert limits == ["cpu7 mem300", "no files"]  # limits first, files forbidden before reading


def test_the_structure_walk_finds_actions_in_nested_arrays() -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    from app.evidence._pdfprobe import _active

    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch")})
    nested = DictionaryObject({NameObject("/Annots"): ArrayObject([ArrayObject([launch])])})
    assert _active(nested) == "launch"
    plain = DictionaryObject({NameObject("/Title"): TextStringObject("/JS bukan aksi")})
    assert _active(ArrayObject([plain])) == ""


def _fake_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    from app.evidence import pdfcheck

    script = tmp_path / "probe.py"
    script.write_text(code)
    monkeypatch.setattr(pdfcheck, "PROBE", script)


def test_a_child_killed_by_its_cpu_limit_means_too_heavy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_probe(
        tmp_path,
        monkeypatch,
        "import resource, sys\n"
        "s = int(sys.argv[2])\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (s, s + 1))\n"
        "while True:\n    pass\n",
    )
    assert check_pdf(_file(tmp_path, pdfs.pdf()), seconds=1).problem == "too_heavy"


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("", "too_heavy"),
        ("not json", "too_heavy"),
        ('{"ok": false, "problem": "something new"}', "corrupt"),
        ('{"ok": false, "problem": "encrypted"}', "encrypted"),
    ],
)
def test_what_the_child_says_is_trusted_only_as_far_as_it_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, problem: str
) -> None:
    _fake_probe(tmp_path, monkeypatch, f"import sys\nsys.stdout.write({output!r})\n")
    assert check_pdf(_file(tmp_path, pdfs.pdf())).problem == problem


def test_a_child_that_never_answers_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from app.evidence import pdfcheck

    def hang(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="probe", timeout=1)

    monkeypatch.setattr(pdfcheck.subprocess, "run", hang)
    assert check_pdf(_file(tmp_path, pdfs.pdf())).problem == "too_heavy"
