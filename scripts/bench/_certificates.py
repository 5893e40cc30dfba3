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

from app.certificates.render import render_pdf
from app.certificates.samples import sample_batch, sample_issuer


def timed(fn: Callable[[], bytes]) -> tuple[float, bytes]:
    """Wall time of one run and its output."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1000, help="certificates (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (median)")
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes for the comparison figure"
    )
    parser.add_argument("--out", type=Path, help="write the two PDFs into this folder")
    args = parser.parse_args()

    issuer = sample_issuer()
    batch = sample_batch(args.n)
    render_pdf(batch[:20], issuer)  # warm-up: font parsing, imports

    # Interleaved, so a burst of load from elsewhere on the machine hits all three alike.
    floor_t: list[float] = []
    certs_t: list[float] = []
    pooled_t: list[float] = []
    for _ in range(args.repeats):
        s, floor_pdf = timed(lambda: render_pdf(batch, issuer, with_qr=False))
        floor_t.append(s)
        s, certs_pdf = timed(lambda: render_pdf(batch, issuer))
        certs_t.append(s)
        s, pooled_pdf = timed(lambda: render_pdf(batch, issuer, workers=args.workers))
        pooled_t.append(s)
    assert pooled_pdf == certs_pdf, "worker processes changed the output"
    floor_s, certs_s, pooled_s = (statistics.median(t) for t in (floor_t, certs_t, pooled_t))
    for pdf in (floor_pdf, certs_pdf):
        assert len(PdfReader(io.BytesIO(pdf)).pages) == args.n
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "certificates.pdf").write_bytes(certs_pdf)
        (args.out / "certificates-floor.pdf").write_bytes(floor_pdf)
    mb = len(certs_pdf) / 1e6
    print(f"certificates={args.n} pdf_mb={mb:.1f} runs={args.repeats} (medians; min in brackets)")
    print(f"without QR (floor):            {floor_s:.2f} s [{min(floor_t):.2f}]")
    print(f"with QR, one process:          {certs_s:.2f} s [{min(certs_t):.2f}]")
    print(f"with QR, {args.workers} processes encode QR: {pooled_s:.2f} s [{min(pooled_t):.2f}]")
    print(f"RESULT certs_s={certs_s:.2f} floor_s={floor_s:.2f} ratio={certs_s / floor_s:.2f}")


if __name__ == "__main__":
    main()
