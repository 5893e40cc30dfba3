"""Child process: open PDFs with pypdf under CPU and memory limits and answer JSON verdicts.

Run only by `app.evidence.pdfcheck` as `python -I _pdfprobe.py --serve`: a small server that
imports pypdf once, then for every request line (JSON: path, seconds, memory_mb, text) forks a
child that limits its CPU time and address space, forbids writing files, reads the PDF and
reports; the server answers one JSON line per request. A fork of a warm process costs a few
milliseconds where starting an interpreter and importing pypdf cost over 100 ms per upload.
`python -I _pdfprobe.py PATH SECONDS MEMORY_MB [TEXT]` judges one file the same way (TEXT: also
extract up to that many characters of text, for the evidence pre-check). It imports nothing from
the app, so a hostile PDF can reach neither the database nor the network settings.
"""

from __future__ import annotations

import errno
import io
import json
import mmap
import os
import re
import resource
import select
import signal
import sys
import time
import zlib
from typing import IO, Any

_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch)(?![A-Za-z0-9#_.-])")
MAX_DEPTH = 60


def _address_space() -> int:
    """Bytes of address space this process holds now (the first field of /proc/self/statm)."""
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _limit(seconds: int, memory_mb: int) -> None:
    """Limit CPU time, and the memory the check may take *on top of* what the process already
    holds: an absolute limit would mean less the bigger the (warm) checker happens to be, and
    below its current size every new mapping fails at once whatever the file."""
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    mem = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


HEADROOM = 4 * 1024 * 1024  # a failure with less than this left is blamed on the limit


def _out_of_memory(exc: BaseException) -> bool:
    """Whether a failure comes from the memory limit rather than from the file: a MemoryError
    anywhere in its chain, zlib's own 'insufficient memory' (pypdf turns it into other errors),
    or too little memory left to allocate a few megabytes now."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError):
            return True
        if isinstance(seen, zlib.error) and "insufficient memory" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    try:
        bytearray(HEADROOM)
    except MemoryError:
        return True
    return False


def _no_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # may not write any file from here on


def _active(obj: Any, depth: int = 0) -> str:
    """'javascript' or 'launch' when a dictionary below `obj` (not following references) acts."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if depth > MAX_DEPTH or isinstance(obj, IndirectObject):
        return ""
    if isinstance(obj, DictionaryObject):
        keys = set(obj.keys())
        if "/JS" in keys or "/JavaScript" in keys or obj.get("/S") == "/JavaScript":
            return "javascript"
        if obj.get("/S") == "/Launch" or "/Launch" in keys:
            return "launch"
        for value in obj.values():
            found = _active(value, depth + 1)
            if found:
                return found
    elif isinstance(obj, ArrayObject):
        for value in obj:
            found = _active(value, depth + 1)
            if found:
                return found
    return ""


def _raw_scan(path: str) -> str:
    """Catch action names in object text the cross-reference table does not list.

    Stream data (images, fonts, page contents) is skipped: its bytes are arbitrary and would
    spell `/JS` by chance in about one 2 MB scan in ten. Object streams, where dictionaries can
    hide compressed, are decoded by pypdf and covered by the structure walk.
    """
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return ""
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            pos, size = 0, len(data)
            while pos < size:
                start, body = _next_stream(data, pos)
                match = _ACTIVE.search(data, pos, start)
                if match:
                    return "launch" if match.group(1) == b"Launch" else "javascript"
                if body < 0:
                    return ""
                end = data.find(b"endstream", body)
                pos = size if end < 0 else end + len(b"endstream")
    return ""


def _next_stream(data: mmap.mmap, pos: int) -> tuple[int, int]:
    """(where the next `stream` keyword starts, where its data starts) or (len, -1)."""
    while True:
        at = data.find(b"stream", pos)
        if at < 0:
            return len(data), -1
        after = at + len(b"stream")
        eol = data[after : after + 2]
        letter_before = at > 0 and data[at - 1 : at].isalpha()
        if not letter_before and eol[:1] in (b"\r", b"\n"):
            return at, after + (2 if eol == b"\r\n" else 1)
        pos = after


def check(path: str | IO[bytes]) -> dict[str, Any]:
    """The verdict on a file (a path; an open file is checked without the raw scan)."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        return {"ok": False, "problem": "encrypted"}
    pages = len(reader.pages)
    if pages == 0:
        return {"ok": False, "problem": "empty"}
    for page in reader.pages:
        _ = page.mediabox
    refs: list[tuple[int, int]] = [
        (num, gen) for gen, table in reader.xref.items() for num in table
    ]
    refs += [(num, 0) for num in reader.xref_objStm]
    found = _active(reader.trailer)
    for num, gen in refs:
        if found:
            break
        try:
            obj = reader.get_object(IndirectObject(num, gen, reader))
        except Exception:  # noqa: S112 (an unreadable object: the raw scan below still sees it)
            continue
        found = _active(obj)
    if not found and isinstance(path, str):
        found = _raw_scan(path)
    if found:
        return {"ok": False, "problem": found}
    return {"ok": True, "problem": "", "pages": pages}


def extract(path: str, max_chars: int) -> dict[str, Any]:
    """Page count, text (at most `max_chars`), and how many pages carry images but no text."""
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        return {"ok": False, "problem": "encrypted"}
    parts: list[str] = []
    size = 0
    image_pages = 0
    for page in reader.pages:
        text = page.extract_text() if size < max_chars else ""
        if not text.strip() and _has_image(page):
            image_pages += 1
        parts.append(text)
        size += len(text)
    pages = len(reader.pages)
    if pages == 0:
        return {"ok": False, "problem": "empty"}
    joined = "\n".join(parts)[:max_chars]
    return {"ok": True, "problem": "", "pages": pages, "text": joined, "image_pages": image_pages}


def _has_image(page: Any) -> bool:
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is None:
        return False
    return any(
        xobjects.get_object()[name].get_object().get("/Subtype") == "/Image"
        for name in xobjects.get_object()
    )


def judge(path: str, text_chars: int) -> dict[str, Any]:
    """The verdict on one file; every failure of pypdf becomes a reason, never an exception."""
    try:
        return extract(path, text_chars) if text_chars else check(path)
    except (MemoryError, SystemError):  # SystemError: CPython's C code ran out of memory
        return {"ok": False, "problem": "too_heavy"}
    except OSError as exc:  # mapping the file for the raw scan found no memory left
        if exc.errno == errno.ENOMEM or _out_of_memory(exc):
            return {"ok": False, "problem": "too_heavy"}
        return {"ok": False, "problem": "corrupt", "detail": "OSError"}
    except RecursionError:
        return {"ok": False, "problem": "corrupt", "detail": "RecursionError"}
    except Exception as exc:  # pypdf raises many kinds on broken files
        if _out_of_memory(exc):
            return {"ok": False, "problem": "too_heavy"}
        return {"ok": False, "problem": "corrupt", "detail": type(exc).__name__}


TOO_HEAVY: dict[str, Any] = {"ok": False, "problem": "too_heavy"}
KILLED = (signal.SIGXCPU, signal.SIGKILL, signal.SIGSEGV)


def forked(path: str, seconds: int, memory_mb: int, text_chars: int) -> dict[str, Any]:
    """Judge `path` in a forked child under the limits; a child killed, silent or still busy
    after twice its CPU allowance (plus a margin) means the file is too heavy."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: limits first, then the file; it never returns
        try:
            os.close(r)
            _limit(seconds, memory_mb)
            _no_files()
            data = memoryview(json.dumps(judge(path, text_chars)).encode())
            while data:
                data = data[os.write(w, data) :]
        finally:
            os._exit(0)
    os.close(w)
    out = bytearray()
    deadline = time.monotonic() + seconds * 2 + 2
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            if select.select([r], [], [], left)[0]:
                chunk = os.read(r, 1 << 16)
                if not chunk:
                    break
                out += chunk
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in KILLED):
        return TOO_HEAVY
    try:
        verdict = json.loads(out.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return TOO_HEAVY  # died without a word (e.g. no memory left to say one)
    return verdict if isinstance(verdict, dict) else {"ok": False, "problem": "corrupt"}


def _warm_up() -> None:
    """Check a one-page PDF made here, so that what pypdf builds on first use (about half of a
    fresh child's work on a small file) is already in the server when it forks."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    buf.seek(0)
    check(buf)


def serve() -> None:
    """Answer request lines on stdin with verdict lines on stdout until stdin closes."""
    import pypdf  # noqa: F401  (once, here: every child starts with it loaded)

    _warm_up()
    for line in sys.stdin.buffer:
        try:
            req = json.loads(line)
            verdict = forked(
                str(req["path"]),
                int(req["seconds"]),
                int(req["memory_mb"]),
                int(req.get("text", 0)),
            )
        except (ValueError, KeyError, TypeError):
            verdict = {"ok": False, "problem": "corrupt", "detail": "bad request"}
        sys.stdout.write(json.dumps(verdict) + "\n")
        sys.stdout.flush()


def main() -> None:
    if sys.argv[1:] == ["--serve"]:
        serve()
        return
    path, seconds, memory_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    text_chars = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    _limit(seconds, memory_mb)
    try:
        # Imported before files are forbidden, so pypdf's bytecode cache can be written once
        # (`-I` ignores PYTHONDONTWRITEBYTECODE); nothing of the upload has been read yet.
        import pypdf  # noqa: F401
    except MemoryError:
        _report(TOO_HEAVY)
        return
    _no_files()
    _report(judge(path, text_chars))


def _report(verdict: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(verdict))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
