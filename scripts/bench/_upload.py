"""Benchmark of evidence uploads through a real uvicorn server process (run by hand).

1. Measures this machine's sha256 throughput (the ceiling: every byte is hashed once).
2. Streams one 200 MB file (limit raised, allowlist `any`) to POST /api/v1/bodies/{id}/evidence.
3. Streams 50 distinct 2 MB files at once, one connection each.
4. Times the separate-process PDF check of 2 MB scanned-style PDFs (pdf_check_ms_per_file).
The server's RSS is sampled (and its peak read from /proc) to report growth over the baseline
after a warm-up upload. Every response's sha256 is compared with the client's.

SQLite by default; `--postgres` (or BENCH_DATABASE_URL set) runs on a scratch PostgreSQL
database created next to BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test).
Last line: RESULT upload_MBps=<x> sha256_MBps=<y> ratio=<x/y> peak_rss_growth_MB=<z>, where
upload_MBps is the best of three 200 MB streams (sha256_MBps the best of three runs too) and
peak_rss_growth_MB covers all uploads.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
BIG_MB = 200
BIG_ROUNDS = 3
SMALL_MB = 2
CONCURRENT = 50
BOUNDARY = "benchbatas0123456789abcdef"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def sha256_mbps(total_mb: int = 256, rounds: int = 3) -> float:
    """The best of a few runs of hashing `total_mb` in 1 MB chunks, in MB/s."""
    block = os.urandom(MB)
    best = 0.0
    for _ in range(rounds):
        h = hashlib.sha256()
        t = time.perf_counter()
        for _ in range(total_mb):
            h.update(block)
        best = max(best, total_mb / (time.perf_counter() - t))
    return best


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)


def upload(port: int, token: str, body_id: int, name: str, blocks: list[bytes]) -> dict[str, str]:
    """Stream one multipart upload (Content-Length known, body never built whole)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + sum(len(b) for b in blocks) + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.putrequest("POST", f"/api/v1/bodies/{body_id}/evidence")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    conn.send(head)
    for block in blocks:
        conn.sock.sendall(block)
    conn.send(tail)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    if resp.status != 201:
        raise SystemExit(f"upload {name} failed: HTTP {resp.status} {text[:300]}")
    out: dict[str, str] = json.loads(text)
    return out


def expect_hash(blocks: list[bytes]) -> str:
    h = hashlib.sha256()
    for b in blocks:
        h.update(b)
    return h.hexdigest()


def scanned_pdf(target_bytes: int) -> bytes:
    """A PDF like a scanned document: pages of incompressible image data, about target size."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    side = 420
    per_page = side * side * 3
    for n in range(max(1, target_bytes // per_page)):
        img = Image.frombytes("RGB", (side, side), os.urandom(per_page))
        c.drawImage(ImageReader(img), 40, 300, width=500, height=500)
        c.drawString(40, 800, f"Lampiran SK PPID — halaman pindaian {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def seed(database_url: str) -> tuple[int, str]:
    """One commission, one body, one operator with an API token; returns (body id, token)."""
    from app.accounts import service as accounts
    from app.accounts.rules import Role
    from app.bodies.models import Body
    from app.db import SessionLocal, get_engine
    from app.orgs.service import create_commission

    get_engine()
    with SessionLocal.begin() as db:
        org = create_commission(db, slug="ki-bench", name="Komisi Informasi Bench", short_name="KI")
        body = Body(organisation_id=org.id, name="Pemerintah Kota Bench")
        db.add(body)
        db.flush()
        user = accounts.create_user(db, email="operator@bench.example.id", full_name="Operator")
        accounts.grant_role(db, user=user, organisation=org, role=Role.OPERATOR, body=body)
        db.flush()
        actor = accounts.build_actor(db, user, org.id)
        _, raw = accounts.create_api_token(db, actor, "bench")
        return body.id, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use BENCH_DATABASE_URL")
    args = parser.parse_args()
    use_pg = args.postgres or bool(os.environ.get("BENCH_DATABASE_URL"))

    work = Path(tempfile.mkdtemp(prefix="monev-bench-upload-", dir=ROOT / "var"))
    scratch: str | None = None
    if use_pg:
        from scripts.pg_scratch import create

        scratch = create(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), prefix="monev_bench")
        database_url = scratch
    else:
        database_url = f"sqlite:///{work / 'bench.db'}"
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(work / "var"),
        "REDIS_URL": "",
        "SECRET_KEY": "bench-secret-key-0123456789",
        "EVIDENCE_STORAGE": "local",
        "EVIDENCE_DIR": str(work / "evidence"),
        "EVIDENCE_MAX_BYTES": str((BIG_MB + 16) * MB),  # the limit raised for this run
        "EVIDENCE_DEFAULT_TYPES": "any",  # measure transport, hashing and storage
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "VAR_DIR", "SECRET_KEY")})
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(  # noqa: S603
            [str(ROOT / ".venv/bin/alembic"), "upgrade", "head"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        body_id, token = seed(database_url)
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                str(ROOT / ".venv/bin/uvicorn"),
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)

        print(f"database: {'PostgreSQL' if use_pg else 'SQLite'}; storage: local", flush=True)
        sha = sha256_mbps()
        print(f"sha256_MBps={sha:.0f}", flush=True)

        block = os.urandom(4 * MB)
        warm = [os.urandom(SMALL_MB * MB)]
        upload(port, token, body_id, "pemanasan.bin", warm)  # imports, first connections
        baseline = rss_kb(server.pid)
        with contextlib.suppress(OSError):  # reset the peak to measure this run (Linux >= 4.0)
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        sampler = RssSampler(server.pid)
        sampler.start()
        os.sync()  # start from a settled disk: earlier writes (ours or others') not throttling us

        # Three runs (distinct first bytes, so nothing is deduplicated); the best is compared
        # with the best sha256 run: both are the machine's capacity, least disturbed by others.
        rounds: list[tuple[float, float]] = []
        for n in range(BIG_ROUNDS):
            big = [n.to_bytes(4, "big") + block[4:]] + [block] * (BIG_MB * MB // len(block) - 1)
            cpu0 = cpu_s(server.pid)
            t = time.perf_counter()
            out = upload(port, token, body_id, f"besar-{n}.bin", big)
            big_s = time.perf_counter() - t
            rounds.append((big_s, cpu_s(server.pid) - cpu0))
            if out["sha256"] != expect_hash(big) or int(out["size"]) != BIG_MB * MB:
                raise SystemExit("the 200 MB upload came back with another hash or size")
            print(
                f"upload_200MB_s={big_s:.2f} upload_200MB_MBps={BIG_MB / big_s:.0f} "
                f"server_cpu_s={rounds[-1][1]:.2f} load={os.getloadavg()[0]:.1f}",
                flush=True,
            )
        big_mbps = BIG_MB / min(r[0] for r in rounds)
        median_mbps = BIG_MB / sorted(r[0] for r in rounds)[len(rounds) // 2]
        cpu_best = min(r[1] for r in rounds)
        print(
            f"upload_200MB_best_MBps={big_mbps:.0f} upload_200MB_median_MBps={median_mbps:.0f} "
            f"server_MB_per_cpu_s={BIG_MB / cpu_best:.0f} (CPU the server spent, all threads; "
            "does not depend on other load)"
        )

        files = [[n.to_bytes(4, "big") + os.urandom(SMALL_MB * MB - 4)] for n in range(CONCURRENT)]
        results: list[dict[str, str] | None] = [None] * CONCURRENT
        errors: list[BaseException] = []

        def one(n: int) -> None:
            try:
                results[n] = upload(port, token, body_id, f"bukti-{n}.bin", files[n])
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(CONCURRENT)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        many_s = time.perf_counter() - t
        if errors:
            raise SystemExit(f"{len(errors)} concurrent uploads failed: {errors[0]}")
        for n, res in enumerate(results):
            if res is None or res["sha256"] != expect_hash(files[n]):
                raise SystemExit(f"concurrent upload {n} came back with another hash")
        many_mbps = CONCURRENT * SMALL_MB / many_s
        print(
            f"concurrent_{CONCURRENT}x{SMALL_MB}MB_s={many_s:.2f} concurrent_MBps={many_mbps:.0f}",
            flush=True,
        )

        sampler.stop.set()
        sampler.join()
        peak = max(rss_kb(server.pid, "VmHWM"), sampler.peak)
        growth_mb = max(0, peak - baseline) / 1024
        print(f"server_rss_baseline_MB={baseline / 1024:.1f} server_rss_peak_MB={peak / 1024:.1f}")

        from app.evidence.pdfcheck import check_pdf

        pdf_path = work / "pindaian.pdf"
        pdf_path.write_bytes(scanned_pdf(SMALL_MB * MB))
        check_pdf(pdf_path)  # warm the page cache and the interpreter's files
        runs = 10
        t = time.perf_counter()
        for _ in range(runs):
            verdict = check_pdf(pdf_path)
            if not verdict.ok:
                raise SystemExit(f"the benchmark PDF was refused: {verdict.problem}")
        pdf_ms = (time.perf_counter() - t) * 1000 / runs
        size_mb = pdf_path.stat().st_size / MB
        print(
            f"pdf_check_ms_per_file={pdf_ms:.0f} (PDF of {size_mb:.1f} MB, {verdict.pages} pages)"
        )

        # upload_MBps is the 200 MB stream: transport, hashing and storage, which the target
        # compares with sha256. The 50 small uploads are bound by two short database
        # transactions per file (authorise, record + audit), reported above as concurrent_MBps.
        upload_mbps = big_mbps
        ratio = upload_mbps / sha
        print(
            f"concurrent_uploads_per_s={CONCURRENT / many_s:.0f}; "
            f"targets: ratio >= 0.30 ({'met' if ratio >= 0.30 else 'MISSED'}), "
            f"RSS growth < 64 MB ({'met' if growth_mb < 64 else 'MISSED'})"
        )
        print(
            f"RESULT upload_MBps={upload_mbps:.0f} sha256_MBps={sha:.0f} "
            f"ratio={ratio:.3f} peak_rss_growth_MB={growth_mb:.1f}",
            flush=True,
        )
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if scratch:
            from scripts.pg_scratch import drop

            drop(scratch)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
