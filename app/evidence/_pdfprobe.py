"""Child process: open one PDF with pypdf under CPU and memory limits and print a JSON verdict.

Run only by `app.evidence.pdfcheck` as `python -I _pdfprobe.py PATH SECONDS MEMORY_MB`. It
imports nothing from the app, so a hostile PDF can reach neither the database nor the network
settings, and the limits are set before pypdf is imported.
"""

from __future__ import annotations

import json
import re
import resource
import sys
from typing import Any

_RAW_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch)(?![A-Za-z0-9#_.-])")
MAX_DEPTH = 60


def _limit(seconds: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # may not write any file


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
    """Catch action names in objects the cross-reference table does not list."""
    tail = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            buf = tail + chunk
            for match in _RAW_ACTIVE.finditer(buf):
                if chunk and match.end() == len(buf):
                    continue  # the name may go on in the next chunk; seen again via `tail`
                return "launch" if match.group(1) == b"Launch" else "javascript"
            if not chunk:
                return ""
            tail = buf[-16:]


def check(path: str) -> dict[str, Any]:
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
    if not found:
        found = _raw_scan(path)
    if found:
        return {"ok": False, "problem": found}
    return {"ok": True, "problem": "", "pages": pages}


def main() -> None:
    path, seconds, memory_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    _limit(seconds, memory_mb)
    try:
        verdict = check(path)
    except MemoryError:
        verdict = {"ok": False, "problem": "too_heavy"}
    except RecursionError:
        verdict = {"ok": False, "problem": "corrupt", "detail": "RecursionError"}
    except Exception as exc:  # pypdf raises many kinds on broken files
        verdict = {"ok": False, "problem": "corrupt", "detail": type(exc).__name__}
    sys.stdout.write(json.dumps(verdict))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
