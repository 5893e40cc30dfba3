"""Time the certificate renderer on 1,000 certificates (see scripts/bench/certificates)."""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pypdf import PdfReader

from app.certificates.qr import default_workers
from app.certificates.render import render_pdf
from app.certificates.samples import sample_batch, sample_issuer


def timed(fn: Callable[[], bytes], repeats: int) -> tuple[float, bytes]:
    """Median wall time of `repeats` runs (the machine is shared; the median resists noise)."""
    times: list[float] = []
    out = b""
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1000, help="certificates (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--out", type=Path, help="write the two PDFs into this folder")
    args = parser.parse_args()

    issuer = sample_issuer()
    batch = sample_batch(args.n)
    render_pdf(batch[:20], issuer)  # warm-up: font parsing, imports

    floor_s, floor_pdf = timed(lambda: render_pdf(batch, issuer, with_qr=False), args.repeats)
    serial_s, serial_pdf = timed(lambda: render_pdf(batch, issuer, workers=1), 1)
    certs_s, certs_pdf = timed(
        lambda: render_pdf(batch, issuer, workers=args.workers), args.repeats
    )
    assert certs_pdf == serial_pdf, "worker processes changed the output"
    for pdf in (floor_pdf, certs_pdf):
        assert len(PdfReader(io.BytesIO(pdf)).pages) == args.n
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "certificates.pdf").write_bytes(certs_pdf)
        (args.out / "certificates-floor.pdf").write_bytes(floor_pdf)
    mb = len(certs_pdf) / 1e6
    print(f"certificates={args.n} workers={args.workers} pdf_mb={mb:.1f}")
    print(f"without QR (floor): {floor_s:.2f} s")
    print(f"with QR, 1 process: {serial_s:.2f} s")
    print(f"with QR, {args.workers} worker processes for QR encoding: {certs_s:.2f} s")
    print(f"RESULT certs_s={certs_s:.2f} floor_s={floor_s:.2f} ratio={certs_s / floor_s:.2f}")


if __name__ == "__main__":
    main()
