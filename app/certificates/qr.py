"""QR codes of verification addresses, encoded with segno and drawn as vector rectangles.

Choosing the best of the 8 data masks, as the QR standard asks, is the costly part of a
certificate's QR code; `qrmask` makes segno's exact choice about 4x sooner. A batch may also
encode its codes in worker processes while the main process draws.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from app.certificates.qrmask import best_mask_matrix

QR_ERROR_LEVEL = "m"  # 15 % of the code may be damaged (folded, stamped) and still scan
# Below this many codes a worker process costs more to start than it saves.
MIN_CODES_PER_WORKER = 64


@dataclass(frozen=True)
class QrDrawing:
    """A QR symbol as PDF path operators in module units (origin bottom-left, no quiet zone)."""

    size: int  # modules per side
    ops: str  # `x y w h re` rectangles; fill them with `f`


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The symbol's dark (1) and light (0) modules, top row first, without the quiet zone:
    the same symbol as `segno.make_qr(url, error=QR_ERROR_LEVEL)`."""
    return best_mask_matrix(url, QR_ERROR_LEVEL)[1]


_DARK_RUN = re.compile(rb"\x01+")


def qr_drawing(url: str) -> QrDrawing:
    """Encode `url` and turn its dark modules into as few rectangles as practical."""
    matrix = qr_matrix(url)
    size = len(matrix)
    # Horizontal runs per row, then stack equal runs of consecutive rows into one rectangle.
    open_runs: dict[tuple[int, int], tuple[int, int]] = {}  # (x, w) -> (top row, height)
    rects: list[tuple[int, int, int, int]] = []  # (x, top row, w, h)
    for y, row in enumerate(matrix):
        runs = {(m.start(), m.end() - m.start()) for m in _DARK_RUN.finditer(row)}
        for run in list(open_runs):
            if run not in runs:
                top, h = open_runs.pop(run)
                rects.append((run[0], top, run[1], h))
        for run in runs:
            if run in open_runs:
                top, h = open_runs[run]
                open_runs[run] = (top, h + 1)
            else:
                open_runs[run] = (y, 1)
    for run, (top, h) in open_runs.items():
        rects.append((run[0], top, run[1], h))
    rects.sort(key=lambda r: (r[1], r[0]))
    ops = " ".join(f"{x} {size - top - h} {w} {h} re" for x, top, w, h in rects)
    return QrDrawing(size=size, ops=ops)


def _drawings_chunk(urls: Sequence[str]) -> list[QrDrawing]:
    return [qr_drawing(u) for u in urls]


def qr_drawings(urls: Sequence[str], *, workers: int = 1) -> Iterator[QrDrawing]:
    """QR drawings of `urls`, in order; with `workers` > 1, encoded in that many processes
    while the caller consumes the results (so drawing overlaps with encoding)."""
    workers = max(1, min(workers, len(urls) // MIN_CODES_PER_WORKER))
    if workers == 1:
        for url in urls:
            yield qr_drawing(url)
        return
    chunk = max(16, min(64, len(urls) // (workers * 4)))
    chunks = [urls[i : i + chunk] for i in range(0, len(urls), chunk)]
    # forkserver: workers start from a clean process, not a copy of a threaded web server.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for part in pool.map(_drawings_chunk, chunks):
            yield from part
