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

from app.evidence import _pdfprobe
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
    # 800 kB on disk, about 20 MB once its arrays are read: more than the 8 MB allowed
    verdict = check_pdf(_file(tmp_path, pdfs.heavy_pdf()), memory_mb=8)
    assert not verdict.ok and verdict.problem == "too_heavy"
    assert "terlalu berat" in verdict.message


def test_the_memory_limit_counts_from_what_the_checker_already_holds(tmp_path: Path) -> None:
    # The warm checker holds tens of megabytes; the same 8 MB that refuse the heavy file above
    # are enough for an ordinary one, however big the checker happens to be.
    for pages in (1, 30):
        assert check_pdf(_file(tmp_path, pdfs.pdf(pages=pages)), memory_mb=8).ok


def test_text_that_inflates_beyond_the_limit_is_too_heavy_not_corrupt(tmp_path: Path) -> None:
    from app.evidence import _pdfprobe

    path = str(_file(tmp_path, pdfs.heavy_pdf(numbers=0, content_mb=64)))
    # zlib cannot allocate its output: pypdf raises its own error, which must not read "corrupt"
    assert _pdfprobe.forked(path, 10, 16, 500) == {"ok": False, "problem": "too_heavy"}


def test_errors_that_come_from_the_memory_limit_are_told_apart() -> None:
    import zlib

    from app.evidence import _pdfprobe

    def raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
        try:
            raise exc from cause
        except BaseException as caught:
            return caught

    # pypdf turns a failed allocation into its own errors; the chain still tells
    assert _pdfprobe._out_of_memory(raised(ValueError("stream"), MemoryError()))
    assert _pdfprobe._out_of_memory(
        raised(zlib.error("Error -4 while decompressing data: insufficient memory"))
    )
    # a broken file with memory to spare is corrupt
    assert not _pdfprobe._out_of_memory(raised(zlib.error("Error -3 while decompressing data")))
    assert not _pdfprobe._out_of_memory(raised(KeyError("/Root")))


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


def test_a_child_killed_by_its_cpu_limit_means_too_heavy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def spin(path: str, text_chars: int) -> dict[str, object]:
        while True:
            pass

    monkeypatch.setattr(_pdfprobe, "judge", spin)  # the fork below runs it in a child
    assert _pdfprobe.forked(str(_file(tmp_path, pdfs.pdf())), 1, 512, 0) == _pdfprobe.TOO_HEAVY


def test_a_child_that_dies_without_a_word_means_too_heavy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pdfprobe, "judge", lambda path, text_chars: os._exit(0))
    assert _pdfprobe.forked(str(_file(tmp_path, pdfs.pdf())), 1, 512, 0) == _pdfprobe.TOO_HEAVY


def test_a_child_answer_that_is_not_a_verdict_means_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pdfprobe, "judge", lambda path, text_chars: ["ok"])
    verdict = _pdfprobe.forked(str(_file(tmp_path, pdfs.pdf())), 1, 512, 0)
    assert verdict == {"ok": False, "problem": "corrupt"}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"ok": False, "problem": "something new"}, "corrupt"),
        ({"ok": False, "problem": "encrypted"}, "encrypted"),
        ({"ok": "yes"}, "corrupt"),
    ],
)
def test_what_the_child_says_is_trusted_only_as_far_as_it_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict[str, object], problem: str
) -> None:
    from app.evidence import pdfcheck

    monkeypatch.setattr(pdfcheck, "_probe", lambda *args: answer)
    assert check_pdf(_file(tmp_path, pdfs.pdf())).problem == problem


def test_the_server_is_reused_and_replaced_when_it_is_gone(tmp_path: Path) -> None:
    from app.evidence import pdfcheck

    path = _file(tmp_path, pdfs.pdf())
    assert check_pdf(path).ok
    server = pdfcheck._idle[-1]
    assert check_pdf(path).ok and pdfcheck._idle[-1] is server  # no new interpreter per file
    server.proc.kill()
    server.proc.wait()
    assert check_pdf(path).ok  # a dead server is replaced, the upload never notices
    assert pdfcheck._idle[-1] is not server


def test_a_server_that_never_answers_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.evidence import pdfcheck

    script = tmp_path / "probe.py"
    script.write_text("import sys, time\nsys.stdin.readline()\ntime.sleep(60)\n")
    monkeypatch.setattr(pdfcheck, "PROBE", script)
    monkeypatch.setattr(pdfcheck, "_idle", [])
    monkeypatch.setattr(pdfcheck, "_answer_within", lambda seconds: 0.5)
    assert check_pdf(_file(tmp_path, pdfs.pdf())).problem == "too_heavy"
    assert pdfcheck._idle == []  # the stalled server was ended, not kept


def test_the_server_answers_each_request_line_with_a_verdict_line(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    good, bad = _file(tmp_path, pdfs.pdf()), tmp_path / "rusak.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    requests = [
        {"path": str(good), "seconds": 5, "memory_mb": 512},
        {"path": str(bad), "seconds": 5, "memory_mb": 512},
        {"path": str(good), "seconds": 5, "memory_mb": 512, "text": 100},
        {"nonsense": True},
    ]
    out = subprocess.run(
        [sys.executable, "-I", str(Path(_pdfprobe.__file__)), "--serve"],
        input="".join(json.dumps(r) + "\n" for r in requests).encode(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["ok"] for a in answers] == [True, False, True, False]
    assert answers[1]["problem"] == "corrupt" and "text" in answers[2]


def test_overlapping_uploads_share_a_few_servers(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from app.evidence import pdfcheck

    path = _file(tmp_path, pdfs.pdf())
    started: list[int] = []
    real = pdfcheck._Server.__init__

    def counting(self: pdfcheck._Server) -> None:
        real(self)
        started.append(self.proc.pid)

    pdfcheck._close_all()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdfcheck._Server, "__init__", counting)
        with ThreadPoolExecutor(max_workers=8) as pool:
            verdicts = list(pool.map(lambda _: check_pdf(path), range(16)))
    assert all(v.ok for v in verdicts)
    assert 1 <= len(started) <= pdfcheck.MAX_SERVERS  # waited for a free one, never a 4th


def test_the_app_starts_a_server_before_the_first_upload(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.evidence import pdfcheck
    from app.main import create_app

    pdfcheck._close_all()
    with TestClient(create_app()):
        assert len(pdfcheck._idle) == 1
        server = pdfcheck._idle[0]
        pdfcheck.prestart()  # one idle server is enough: no second one
        assert pdfcheck._idle == [server]
    assert check_pdf(_file(tmp_path, pdfs.pdf())).ok
    assert pdfcheck._idle == [server]  # the first upload used it
