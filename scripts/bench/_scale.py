"""National-size benchmark on PostgreSQL and S3 (moto's server); see scripts/bench/scale.

Seeds a scratch database in bulk (INSERT … SELECT through the ranking benchmark's
`fill_cycle`): 38 commissions, one open cycle each, 20,000 bodies with submitted SAQs of 60
answers (1.2 M answers), and 40,000 small evidence files whose objects are put into moto's S3
server. The largest commission (829 bodies, like DKI 2025) gets a sekretariat, an operator and a
published result. As in production, a private Redis server carries the job queue (to one
`huey_consumer` job worker) and the throttling counters. Then 2 app processes serve a short
load mix (sekretariat cycle dashboard, the public ranking of one category, a body's SAQ page;
1–3 s between a user's actions) while the trust issue's load mix runs against the largest
commission (`scripts/bench/load`: 200 users saving answers, uploading 1 MB PDFs to S3,
verifying, scoring, reading rankings; `--mix-users 0` leaves it out), and every commission's
results are recomputed and stored. The whole load runs for --warm-up + --duration seconds
without a pause; its first --warm-up seconds (the processes' cold start) are printed apart.
Last line: RESULT bodies=<n> p95_ms=<p> recompute_s=<r> (p95 over the three pages; recompute
of all commissions' cycles, one after the other); the line before it gives both as ratios to
their targets and the machine probe's milliseconds (the machine's speed at the time of the
run). `--small` runs a tenth of the size. `--busy C` runs busy loops that would take C cores of
an idle machine, from before the servers start until the end (other work on the machine, or a
slower one: how much headroom the targets leave).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench._load import (  # noqa: E402
    MB,
    Client,
    Plan,
    Users,
    free_port,
    machine_probe,
    open_windows,
    p95,
    pdf_template,
    print_kinds,
    stop,
    wait_for,
)
from scripts.bench._load import seed as seed_mix  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BUCKET = "bukti-bench"
LARGEST = 829  # DKI Jakarta 2025: the most targets of one commission


@dataclass
class Seeded:
    cycles: list[int]
    cycle_id: int  # the largest commission's
    body_id: int
    category: str
    sek_token: str
    op_token: str


def seed(args: argparse.Namespace) -> Seeded:
    from sqlalchemy import select, text, update
    from sqlalchemy.orm import Session

    from app.accounts import service as accounts
    from app.accounts.rules import Role
    from app.bodies.models import Body
    from app.cycles.models import Cycle, CycleTarget
    from app.db import get_engine
    from app.orgs.service import create_commission
    from scripts.bench._ranking import analyze, fill_cycle

    engine = get_engine()
    largest = min(LARGEST, args.bodies // args.commissions * 2)
    rest = args.bodies - largest
    sizes = [largest] + [
        rest // (args.commissions - 1) + (k < rest % (args.commissions - 1))
        for k in range(args.commissions - 1)
    ]
    cycles: list[int] = []
    with Session(engine) as db:
        for k, size in enumerate(sizes):
            org = create_commission(
                db, slug=f"ki-{k:02d}", name=f"Komisi Informasi {k:02d}", short_name=f"KI {k:02d}"
            )
            cycles.append(fill_cycle(db, org.id, size, args.items, args.categories))
            if k == 0:
                first_org = org
            db.commit()
        db.execute(update(Cycle).where(Cycle.id.in_(cycles)).values(status="open"))
        target = db.scalars(
            select(CycleTarget).where(CycleTarget.cycle_id == cycles[0]).order_by(CycleTarget.id)
        ).first()
        assert target is not None
        category = db.scalar(
            text("SELECT code FROM cycle_categories WHERE id = :id"),
            {"id": target.cycle_category_id},
        )
        sek = accounts.create_user(db, email="sek@bench.example.id", full_name="Sekretariat")
        accounts.grant_role(db, user=sek, organisation=first_org, role=Role.SEKRETARIAT)
        kom = accounts.create_user(db, email="kom@bench.example.id", full_name="Komisioner")
        accounts.grant_role(db, user=kom, organisation=first_org, role=Role.KOMISIONER)
        op = accounts.create_user(db, email="op@bench.example.id", full_name="Operator")
        accounts.grant_role(
            db,
            user=op,
            organisation=first_org,
            role=Role.OPERATOR,
            body=db.get(Body, target.body_id),
        )
        db.flush()
        tokens = [
            accounts.create_api_token(db, accounts.build_actor(db, u, first_org.id), "bench")[1]
            for u in (sek, op)
        ]
        seed_evidence(db, args.evidence)
        publish(db, cycles[0], accounts.build_actor(db, kom, first_org.id))
        db.commit()
        seeded = Seeded(cycles, cycles[0], target.body_id, str(category), *tokens)
    analyze(engine)
    return seeded


def seed_evidence(db: object, count: int) -> None:
    """`count` small evidence files on answered items, spread over all bodies (rows in bulk)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    blobs = [hashlib.sha256(f"bukti-{n}".encode()).hexdigest() for n in range(count)]
    db.execute(
        text("INSERT INTO evidence_blobs (sha256, size, created_at) VALUES (:s, 10, now())"),
        [{"s": s} for s in blobs],
    )
    # The n-th file goes to every step-th answer: spread evenly over bodies and commissions.
    low, high = db.execute(text("SELECT min(id), max(id) FROM answers")).one()
    db.execute(text("CREATE TEMP TABLE bench_blobs (n int, sha256 text) ON COMMIT DROP"))
    db.execute(
        text("INSERT INTO bench_blobs VALUES (:n, :s)"),
        [{"n": n, "s": s} for n, s in enumerate(blobs)],
    )
    db.execute(
        text(
            "INSERT INTO evidence_files (organisation_id, body_id, blob_sha256, original_name, "
            "content_type, size, uploaded_at, cycle_id, item_id) "
            "SELECT s.organisation_id, a.body_id, b.sha256, 'bukti-' || b.n || '.pdf', "
            "'application/pdf', 10, now(), a.cycle_id, a.item_id FROM bench_blobs b "
            "JOIN answers a ON a.id = :low + b.n * :step "
            "JOIN submissions s ON s.id = a.submission_id"
        ),
        {"low": low, "step": max(1, (high - low + 1) // count)},
    )


def put_objects(endpoint: str, count: int) -> float:
    """Put the evidence objects into moto's S3 (16 at a time); returns the seconds taken."""
    import boto3

    from app.evidence.storage import blob_key

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106  (moto accepts any)
    )
    s3.create_bucket(Bucket=BUCKET)
    t = time.perf_counter()

    def put(n: int) -> None:
        data = f"bukti-{n}".encode()
        key = "evidence/" + blob_key(hashlib.sha256(data).hexdigest())
        s3.put_object(Bucket=BUCKET, Key=key, Body=data.ljust(10, b" ")[:10])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))
    return time.perf_counter() - t


def publish(db: object, cycle_id: int, komisioner: object) -> None:
    """A computed, approved and published result for the largest commission's cycle."""
    from sqlalchemy.orm import Session

    from app.accounts.rules import Actor
    from app.cycles.access import system_actor
    from app.cycles.models import Cycle
    from app.results import service as results

    assert isinstance(db, Session) and isinstance(komisioner, Actor)
    cycle = db.get(Cycle, cycle_id)
    assert cycle is not None
    sa = system_actor(cycle.organisation_id)
    # The decree is approved in the plenary window and published in the publication window.
    open_windows(db, cycle.id, (results.PLENARY, results.PUBLICATION))
    rs = results.compute_and_store(db, sa, cycle)
    decree = results.draft_decree(db, sa, cycle, rs)
    results.approve_decree(db, komisioner, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    results.publish_decree(db, komisioner, cycle, decree)


# A busy loop: `on` ms of pure Python, then `off` ms of sleep, until killed.
_BUSY = """
import sys, time
on, off = float(sys.argv[1]) / 1000, float(sys.argv[2]) / 1000
while True:
    t = time.perf_counter()
    while time.perf_counter() - t < on:
        pass
    time.sleep(off)
"""


def busy_loops(cores: float, period_ms: float = 5.0) -> list[subprocess.Popen[bytes]]:
    """Other processes that would take `cores` cores of an idle machine: ceil(cores) loops,
    each busy for its share of every `period_ms` (short slices, so that every process on the
    machine is slowed a little, as on a slower machine, rather than one core taken whole).
    Under load the scheduler shares the cores fairly, so they get less than that."""
    if cores <= 0:
        return []
    n = -int(-cores // 1)
    on = period_ms * cores / n
    return [
        subprocess.Popen(  # noqa: S603  (this interpreter, fixed code)
            [sys.executable, "-c", _BUSY, f"{on:.3f}", f"{period_ms - on:.3f}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes] | None, str]:
    """A private Redis server for the job queue and the throttling counters (as in
    production), keeping nothing on disk; without Debian's `redis-server` the jobs run in the app
    processes (said so)."""
    binary = shutil.which("redis-server")
    if binary is None:
        print("redis-server not found: jobs run in the app processes, counters in the database")
        return None, ""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(port, proc)
    return proc, f"redis://127.0.0.1:{port}/0"


def settle() -> float:
    """After the bulk load and before the load: statistics that include the mix's bodies (they
    are seeded after the national data's `VACUUM ANALYZE`), and a checkpoint, so that writing
    out the gigabyte just loaded does not fall into the measured seconds (a production server
    does not serve its load right after a bulk load). Returns the seconds taken."""
    from sqlalchemy import text

    from app.db import get_engine

    t = time.perf_counter()
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))
    return time.perf_counter() - t


def recompute(cycle_ids: list[int]) -> tuple[float, float]:
    """Recompute and store every cycle's results; (total seconds, the largest cycle's)."""
    from app.cycles.access import system_actor
    from app.cycles.models import Cycle
    from app.db import SessionLocal
    from app.results import service as results

    times = []
    for cycle_id in cycle_ids:
        t = time.perf_counter()
        with SessionLocal.begin() as db:
            cycle = db.get(Cycle, cycle_id)
            assert cycle is not None
            results.compute_and_store(db, system_actor(cycle.organisation_id), cycle)
        times.append(time.perf_counter() - t)
    return sum(times), times[0]


async def load(
    base: str,
    s: Seeded,
    users: int,
    duration: float,
    *,
    alone: bool = True,
    warm_up: float = 0.0,
    cold: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Users reading the three biggest pages, 1–3 s apart, for `warm_up` + `duration` seconds;
    latencies (ms) per page of the last `duration` seconds (those of the first `warm_up` go to
    `cold`); first each page alone, unless `alone` is false."""
    pages = {
        "dasbor": (s.sek_token, f"/siklus/{s.cycle_id}/dasbor"),
        "peringkat kategori": (None, f"/hasil/{s.cycle_id}?kategori={s.category}"),
        "SAQ badan": (s.op_token, f"/siklus/{s.cycle_id}/badan/{s.body_id}/saq"),
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    errors: list[str] = []
    rng = random.Random(13)

    def client(token: str | None) -> Client:
        return Client(base, token)

    for _ in range(6):  # warm every worker
        for token, url in pages.values():
            async with client(token) as c:
                r = await c.get(url)
                if r.status_code != 200:
                    raise SystemExit(f"GET {url}: HTTP {r.status_code} {r.text[:300]}")
    for name, (token, url) in pages.items() if alone else ():  # each alone: the app's own cost
        async with client(token) as c:
            samples = []
            for _ in range(5):
                t = time.perf_counter()
                await c.get(url)
                samples.append((time.perf_counter() - t) * 1000)
        print(f"  {name} alone: median_ms={statistics.median(samples):.0f}", flush=True)
    measured_from = time.monotonic() + warm_up
    deadline = measured_from + duration

    async def user(n: int) -> None:
        name = list(pages)[n % len(pages)]
        token, url = pages[name]
        async with client(token) as c:
            while True:
                await asyncio.sleep(rng.uniform(1.0, 3.0))
                if time.monotonic() > deadline:
                    return
                measured = time.monotonic() >= measured_from
                t = time.perf_counter()
                r = await c.get(url)
                if r.status_code != 200:
                    errors.append(f"GET {url}: HTTP {r.status_code}")
                    continue
                into = times if measured or cold is None else cold
                into.setdefault(name, []).append((time.perf_counter() - t) * 1000)

    await asyncio.gather(*(user(n) for n in range(users)))
    if errors:
        raise SystemExit(f"{len(errors)} page loads failed, first: {errors[0]}")
    return times


async def with_mix(
    base: str, seeded: Seeded, plan: Plan | None, args: argparse.Namespace
) -> tuple[dict[str, list[float]], Users | None]:
    """The page readers, with the trust load mix running at the same time when planned."""
    if plan is None:
        return await load(base, seeded, args.users, args.duration), None
    await load(base, seeded, args.users, 0)  # warm-up and each page alone, before the mix
    mix = Users(base, plan, pdf_template(MB), time.monotonic() + 3600)
    # The whole load without a pause; its first seconds (the processes' cold start, see
    # Users.measure) are reported apart
    cold_readers: dict[str, list[float]] = {}
    readers, _ = await asyncio.gather(
        load(
            base,
            seeded,
            args.users,
            args.duration,
            alone=False,
            warm_up=args.warm_up,
            cold=cold_readers,
        ),
        mix.measure(args.mix_users, args.warm_up, args.duration + 5),
    )
    cold_pages = [v for values in cold_readers.values() for v in values]
    print(
        f"cold start (the first {args.warm_up:.0f} s of the whole load, not counted below): "
        f"pages p95_ms={p95(cold_pages):.0f}, the mix's pages p95_ms={p95(mix.cold.pages):.0f}, "
        f"{len(mix.cold.errors)} errors of the mix",
        flush=True,
    )
    mix.stats.errors.extend(mix.cold.errors)
    return readers, mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the national size")
    parser.add_argument("--commissions", type=int, default=38)
    parser.add_argument("--bodies", type=int)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--categories", type=int, default=10)
    parser.add_argument("--evidence", type=int)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--warm-up", type=float, default=10, help="seconds of the load before the measured ones"
    )
    parser.add_argument(
        "--mix-users", type=int, default=200, help="users of the trust load mix (0: none)"
    )
    parser.add_argument(
        "--busy",
        type=float,
        default=0.0,
        help="busy loops that would take this many cores of an idle machine, running beside "
        "the servers and the recompute",
    )
    args = parser.parse_args()
    args.bodies = args.bodies or (2_000 if args.small else 20_000)
    args.evidence = args.evidence or (4_000 if args.small else 40_000)

    from scripts.pg_scratch import create, drop

    work = Path(tempfile.mkdtemp(prefix="monev-bench-scale-"))
    scratch = create(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), prefix="monev_bench_scale")
    moto_port = free_port()
    moto = subprocess.Popen(  # noqa: S603  (its own process: the seeding threads don't slow it)
        [str(ROOT / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(moto_port, moto)
    redis, redis_url = start_redis(work)
    host = "127.0.0.1"
    endpoint = f"http://{host}:{moto_port}"
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": scratch,
        "VAR_DIR": str(work / "var"),
        # as in production: jobs through Redis to a job worker, throttling counters in Redis
        "REDIS_URL": redis_url,
        "HUEY_IMMEDIATE": "0" if redis_url else "1",
        "SECRET_KEY": "bench-secret-key-0123456789",
        "EVIDENCE_STORAGE": "s3",
        "EVIDENCE_S3_BUCKET": BUCKET,
        "EVIDENCE_S3_ENDPOINT_URL": endpoint,
        "EVIDENCE_S3_ACCESS_KEY_ID": "testing",
        "EVIDENCE_S3_SECRET_ACCESS_KEY": "testing",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "VAR_DIR", "SECRET_KEY")})
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    busy: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(  # noqa: S603
            [str(ROOT / ".venv/bin/alembic"), "upgrade", "head"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        t = time.perf_counter()
        seeded = seed(args)
        plan = None
        if args.mix_users:
            mix_args = argparse.Namespace(
                operators=100,
                verifiers=30,
                bodies_per_verifier=3,
                jurors=20,
                jurors_per_panel=5,
                bodies_per_panel=8,
            )
            plan = seed_mix(mix_args, commission="ki-00", category=seeded.category)
        seed_s = time.perf_counter() - t
        put_s = put_objects(endpoint, args.evidence)
        print(
            f"seeded {args.commissions} commissions, {args.bodies} bodies, "
            f"{args.bodies * args.items} answers, {args.evidence} evidence files "
            f"in {seed_s:.0f} s; "
            f"{args.evidence} S3 objects put in {put_s:.0f} s",
            flush=True,
        )
        print(f"settled (statistics of everything seeded, dirty pages written) in {settle():.0f} s")
        probe_ms = machine_probe()  # before the servers start: nothing else runs
        print(f"machine probe (pure Python, lower is faster): {probe_ms:.0f} ms", flush=True)
        busy = busy_loops(args.busy)
        if busy:
            print(f"other load: busy loops for {args.busy:g} cores ({len(busy)} processes)")
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
                "--workers",
                str(args.workers),
                "--no-access-log",
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "5",
            ],
            cwd=ROOT,
            env={**env, "BASE_URL": f"http://127.0.0.1:{port}"},
            stdout=(work / "server.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(port, server)
        if redis_url:
            worker = subprocess.Popen(  # noqa: S603
                [str(ROOT / ".venv/bin/huey_consumer"), "app.worker.huey", "-w", "1"],
                cwd=ROOT,
                env={**env, "BASE_URL": f"http://127.0.0.1:{port}"},
                stdout=(work / "worker.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        time.sleep(2)
        base = f"http://127.0.0.1:{port}"
        times, mix = asyncio.run(with_mix(base, seeded, plan, args))
        stop(server)
        server = None
        log = (work / "server.log").read_text(errors="replace")
        kept = ROOT / "var" / "bench-scale-server.log"
        kept.parent.mkdir(exist_ok=True)
        kept.write_text(log)
        print(f"server log ({kept}): {log.count('unexpected error')} unexpected errors")
        if mix is not None:
            acked = mix.acked
            print(
                f"  trust mix: {mix.stats.requests} requests, {len(mix.stats.errors)} errors "
                f"({len(acked.answers)} answers, {len(acked.files)} PDFs, "
                f"{len(acked.verdicts)} verdicts, {len(acked.scores)} scores acknowledged); "
                f"its pages p95_ms={p95(mix.stats.pages):.0f}",
                flush=True,
            )
            print_kinds(mix.stats)
            for err in mix.stats.errors[:5]:
                print(f"  mix error: {err[:200]}")
        for name, values in times.items():
            print(
                f"  {name}: n={len(values)} p50_ms={statistics.median(values):.0f} "
                f"p95_ms={p95(values):.0f}"
            )
        total_s, largest_s = recompute(seeded.cycles)
        print(
            f"recompute + store of {len(seeded.cycles)} cycles: {total_s:.2f} s "
            f"(largest commission: {largest_s:.2f} s); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        page_p95 = p95([v for values in times.values() for v in values])
        print(
            f"targets: p95 < 300 ms ({'met' if page_p95 < 300 else 'MISSED'}), "
            f"recompute < 5 s ({'met' if total_s < 5 else 'MISSED'})"
        )
        print(
            f"RESULT p95_over_limit={page_p95 / 300:.2f} recompute_over_limit={total_s / 5:.2f} "
            f"probe_ms={probe_ms:.0f} busy_cores={args.busy:g}",
            flush=True,
        )
        print(
            f"RESULT bodies={args.bodies} p95_ms={page_p95:.0f} recompute_s={total_s:.2f}",
            flush=True,
        )
    finally:
        if server is not None:
            stop(server)
        for proc in [*busy, *(p for p in (worker, redis) if p is not None)]:
            proc.kill()
            proc.wait()
        moto.terminate()
        moto.wait(timeout=15)
        from app.db import get_engine

        get_engine().dispose()
        drop(scratch)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
