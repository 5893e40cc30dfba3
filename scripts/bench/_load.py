"""Load benchmark: simulated users against 2 uvicorn workers on PostgreSQL (see scripts/bench/load).

The demo is seeded into a scratch database, then KI Jatim's 2025 cycle gets bench bodies:
operators' bodies with a draft SAQ, submitted bodies assigned to verifiers, and shortlisted
bodies in presentation panels; the SAQ, verification and presentation windows are all opened
now, so that every kind of user has work. Every user waits 1–3 s between actions:

- body operators save an answer (PUT /api/v1/cycles/{c}/bodies/{b}/answers/{item}), upload a
  1 MB PDF (POST /api/v1/bodies/{b}/evidence) or open their SAQ page;
- verifiers give a verdict (PUT .../verification/bodies/{b}/items/{item}) or open their tasks;
- jurors save a draft score (POST /panel/{p}/badan/{b}) or open their panel;
- public visitors read the rankings (/hasil and the published cycles it links).

Staff authenticate with API bearer tokens (accepted on pages and forms too). The users run for
--warm-up + --duration seconds without a pause; what starts in the first --warm-up seconds (the
processes' cold start) is reported apart, its errors count. After the run the servers are
stopped and every acknowledged write, of both parts, is looked up in the database.
Last line: RESULT requests=<n> errors=<e> p95_ms=<p> lost_writes=<l>, where p95_ms covers page
loads (GET); the p95 of writes is printed above it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
MB = 1024 * 1024
MARK = b"BENCHMARKUNIQUE0000000000000000"  # replaced per upload: every PDF is a new blob


class Reply:
    """A whole response: status, body (read within the timed request)."""

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Client:
    """One simulated browser on one keep-alive connection. aiohttp parses HTTP in C: the
    generator shares the machine's cores with the servers it measures, and a pure-Python client
    (httpx) took 2.4-3.0 ms of CPU per request of the scale mix (~9 % of the two cores), this
    one 1.3-1.5 ms (see the README)."""

    def __init__(self, base: str, token: str | None = None, timeout: float = 60) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.session = aiohttp.ClientSession(
            base_url=base, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.session.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Reply:
        body: Any = data
        if files:
            form = aiohttp.FormData(data or {})
            for name, (filename, content, content_type) in files.items():
                form.add_field(name, content, filename=filename, content_type=content_type)
            body = form
        async with self.session.request(
            method, url, json=json, data=body, allow_redirects=False
        ) as r:
            return Reply(r.status, await r.read())

    async def get(self, url: str) -> Reply:
        return await self.request("GET", url)


HTTP_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


def machine_probe() -> float:
    """Milliseconds of a fixed pure-Python workload (best of 5) on an otherwise idle machine: how
    fast this machine is at the moment of the run. The development machines' speed moves by up
    to 2x between sessions and within one, so results are comparable only next to it."""
    best = float("inf")
    gc.disable()  # the collector's passes would measure this process's heap, not the machine
    try:
        for _ in range(5):
            t = time.perf_counter()
            table = {str(n): n for n in range(100_000)}
            sorted(table.items(), key=lambda kv: (kv[1] % 97, kv[0]))
            best = min(best, time.perf_counter() - t)
    finally:
        gc.enable()
    return best * 1000


@dataclass
class Plan:
    cycle_id: int
    operators: list[tuple[str, int, list[int]]] = field(default_factory=list)
    verifiers: list[tuple[str, list[tuple[int, list[int]]]]] = field(default_factory=list)
    jurors: list[tuple[str, int, list[int], list[str]]] = field(default_factory=list)


@dataclass
class Acked:
    """The last acknowledged value of every write, to look up afterwards."""

    answers: dict[tuple[int, int], str | None] = field(default_factory=dict)
    files: dict[int, str] = field(default_factory=dict)
    verdicts: dict[tuple[int, int], str] = field(default_factory=dict)
    scores: dict[tuple[int, int, int], dict[str, int]] = field(default_factory=dict)


@dataclass
class Stats:
    pages: list[float] = field(default_factory=list)
    writes: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    # (seconds since the load started, page load ms) for the timeline
    page_times: list[tuple[float, float]] = field(default_factory=list)
    trace: list[tuple[float, float, str]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.pages) + len(self.writes) + len(self.errors)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pdf_template(size: int) -> bytes:
    """A valid PDF of about `size` bytes (incompressible image pages) carrying MARK in clear."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    side = 300
    per_page = side * side * 3
    c.drawString(40, 820, MARK.decode())
    for _ in range(max(1, size // per_page)):
        img = Image.frombytes("RGB", (side, side), os.urandom(per_page))
        c.drawImage(ImageReader(img), 40, 300, width=500, height=500)
        c.showPage()
    c.save()
    data = buf.getvalue()
    assert data.count(MARK) == 1
    return data


def open_windows(db: Any, cycle_id: int, codes: tuple[str, ...]) -> None:
    """Put the stages' windows around now (a bench shortcut: real cycles run them in turn)."""
    from sqlalchemy import select

    from app.cycles.models import CycleStage
    from app.db import utcnow

    now = utcnow()
    for stage in db.scalars(
        select(CycleStage).where(CycleStage.cycle_id == cycle_id, CycleStage.code.in_(codes))
    ):
        stage.opens_at, stage.closes_at = now - timedelta(days=1), now + timedelta(days=2)


def seed(
    args: argparse.Namespace, *, commission: str = "ki-jatim", category: str = "pemkab_pemkot"
) -> Plan:
    """Bench bodies, users and tokens in a commission's 2025 cycle (the demo's KI Jatim by
    default), in one of its categories."""
    from decimal import Decimal

    from sqlalchemy import select

    from app.accounts import service as accounts
    from app.accounts.rules import Role
    from app.bodies.models import Body
    from app.cycles import categories
    from app.cycles.access import system_actor
    from app.cycles.models import Cycle
    from app.db import SessionLocal, get_engine, utcnow
    from app.orgs.models import Organisation
    from app.panels import service as panels
    from app.panels.models import PanelSlot
    from app.results.models import ShortlistEntry
    from app.submissions.models import Answer, Submission, SubmissionStatus
    from app.verification import service as verification

    get_engine()
    n_ops, n_ver, n_jur = args.operators, args.verifiers, args.jurors
    with SessionLocal.begin() as db:
        org = db.scalars(select(Organisation).where(Organisation.slug == commission)).one()
        cycle = db.scalars(
            select(Cycle).where(Cycle.organisation_id == org.id, Cycle.year == 2025)
        ).one()
        sa = system_actor(org.id)
        cat = next(c for c in categories.categories_of(db, cycle) if c.code == category)
        open_windows(db, cycle.id, ("saq", "verification", "presentation"))
        plan = Plan(cycle.id)

        def new_body(label: str) -> Body:
            body = Body(organisation_id=org.id, name=f"Bench {label}")
            db.add(body)
            db.flush()
            categories.set_target(db, sa, cycle, body_id=body.id, category_id=cat.id)
            return body

        def token_for(user: Any) -> str:
            return accounts.create_api_token(db, accounts.build_actor(db, user, org.id), "b")[1]

        def yes_no_items(body: Body) -> list[int]:
            sheet = verification.load_sheet(db, cycle, body.id)
            return [ln.item.id for ln in sheet.lines if ln.item.answer_type == "yes_no"]

        for n in range(n_ops):
            body = new_body(f"Operator {n:03d}")
            user = accounts.create_user(db, email=f"op{n}@bench.example.id", full_name=f"Op {n}")
            accounts.grant_role(db, user=user, organisation=org, role=Role.OPERATOR, body=body)
            db.flush()
            plan.operators.append((token_for(user), body.id, yes_no_items(body)))

        now = utcnow()
        for n in range(n_ver):
            user = accounts.create_user(db, email=f"ver{n}@bench.example.id", full_name=f"Ver {n}")
            accounts.grant_role(db, user=user, organisation=org, role=Role.VERIFIKATOR)
            db.flush()
            work: list[tuple[int, list[int]]] = []
            for k in range(args.bodies_per_verifier):
                body = new_body(f"Verifikasi {n:03d}-{k}")
                items = yes_no_items(body)
                sub = Submission(
                    organisation_id=org.id,
                    cycle_id=cycle.id,
                    body_id=body.id,
                    status=SubmissionStatus.SUBMITTED,
                    submitted_at=now - timedelta(days=1),
                )
                db.add(sub)
                db.flush()
                sheet = verification.load_sheet(db, cycle, body.id)
                db.add_all(
                    Answer(
                        submission_id=sub.id,
                        cycle_id=cycle.id,
                        body_id=body.id,
                        item_id=ln.item.id,
                        indicator_id=ln.item.indicator_id,
                        declared="ya" if ln.item.id in items else None,
                        declared_credit_scaled=10000 if ln.item.id in items else 0,
                    )
                    for ln in sheet.lines
                )
                db.flush()
                verification.assign_verifier(db, sa, cycle, body_id=body.id, verifier_id=user.id)
                work.append((body.id, items))
            plan.verifiers.append((token_for(user), work))

        panels.use_default_rubric(db, sa, cycle)
        codes = [c.code for c in panels.rubric_of(db, cycle)]
        per_panel = max(1, args.jurors_per_panel)
        for p in range((n_jur + per_panel - 1) // per_panel):
            panel = panels.create_panel(db, sa, cycle, name=f"Ruang Bench {p + 1}")
            listed = []
            for k in range(args.bodies_per_panel):
                body = new_body(f"Presentasi {p:02d}-{k}")
                db.add(
                    ShortlistEntry(
                        organisation_id=org.id,
                        cycle_id=cycle.id,
                        body_id=body.id,
                        published_saq=Decimal("80.00"),
                    )
                )
                start = now + timedelta(hours=k)
                db.add(
                    PanelSlot(
                        cycle_id=cycle.id,
                        panel_id=panel.id,
                        body_id=body.id,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=35),
                    )
                )
                listed.append(body.id)
            users = []
            for j in range(min(per_panel, n_jur - p * per_panel)):
                n = p * per_panel + j
                user = accounts.create_user(
                    db, email=f"juri{n}@bench.example.id", full_name=f"Juri {n}"
                )
                accounts.grant_role(db, user=user, organisation=org, role=Role.JURI)
                db.flush()
                panels.add_juror(db, sa, panel, cycle, user_id=user.id, is_chair=j == 0)
                users.append(user)
            for user in users:
                actor = accounts.build_actor(db, user, org.id)
                panels.accept_pact(db, actor, panel, agree=True)
                panels.confirm_declaration(db, actor, panel)
                plan.jurors.append((token_for(user), panel.id, listed, codes))
        db.flush()
    return plan


class Users:
    """The simulated users: each coroutine loops until the deadline."""

    def __init__(self, base: str, plan: Plan, pdf: bytes, deadline: float, seed: int = 13) -> None:
        self.base = base
        self.plan = plan
        self.pdf = pdf
        self.deadline = deadline
        self.stats = Stats()
        self.cold = Stats()  # requests started before `started`: the warm-up
        self.acked = Acked()
        self.rng = random.Random(seed)
        self.uploads = 0
        self.started = time.perf_counter()

    async def timed(
        self, client: Client, method: str, url: str, ok: tuple[int, ...], **kw: Any
    ) -> Reply | None:
        kind = method + " " + re.sub(r"/\d+", "/{id}", url)
        t = time.perf_counter()
        stats = self.stats if t >= self.started else self.cold
        try:
            r = await client.request(method, url, **kw)
        except HTTP_ERRORS as exc:
            stats.errors.append(f"{method} {url}: {exc!r}")
            return None
        ms = (time.perf_counter() - t) * 1000
        if r.status_code not in ok:
            stats.errors.append(f"{method} {url}: HTTP {r.status_code} {r.text[:200]}")
            return None
        (stats.pages if method == "GET" else stats.writes).append(ms)
        if method == "GET":
            stats.page_times.append((t - self.started, ms))
        stats.trace.append((round(t - self.started, 4), round(ms, 1), kind))
        stats.by_kind.setdefault(kind, []).append(ms)
        return r

    async def think(self) -> bool:
        await asyncio.sleep(self.rng.uniform(1.0, 3.0))
        return time.monotonic() < self.deadline

    def client(self, token: str | None = None) -> Client:
        return Client(self.base, token)

    async def operator(self, token: str, body_id: int, items: list[int]) -> None:
        c = self.plan.cycle_id
        api = f"/api/v1/cycles/{c}/bodies/{body_id}/answers"
        async with self.client(token) as client:
            versions: dict[int, int] = {}
            while await self.think():
                roll = self.rng.random()
                if roll < 0.5:
                    if not versions:
                        r = await self.timed(client, "GET", api, (200,))
                        if r is None:
                            continue
                        versions = {a["item_id"]: a["version"] for a in r.json()["answers"]}
                    item = self.rng.choice(items)
                    value = self.rng.choice(("Ya", "Tidak"))
                    r = await self.timed(
                        client,
                        "PUT",
                        f"{api}/{item}",
                        (200,),
                        json={"value": value, "version": versions.get(item, 0)},
                    )
                    if r is not None:
                        out = r.json()
                        versions[item] = out["version"]
                        self.acked.answers[(body_id, item)] = out["declared"]
                elif roll < 0.75:
                    self.uploads += 1
                    mark = hashlib.sha256(f"{body_id}-{self.uploads}".encode()).hexdigest()
                    data = self.pdf.replace(MARK, mark[: len(MARK)].encode())
                    r = await self.timed(
                        client,
                        "POST",
                        f"/api/v1/bodies/{body_id}/evidence",
                        (201,),
                        files={"file": (f"bukti-{self.uploads}.pdf", data, "application/pdf")},
                    )
                    if r is not None:
                        self.acked.files[r.json()["id"]] = hashlib.sha256(data).hexdigest()
                else:
                    await self.timed(client, "GET", f"/siklus/{c}/badan/{body_id}/saq", (200,))

    async def verifier(self, token: str, work: list[tuple[int, list[int]]]) -> None:
        c = self.plan.cycle_id
        async with self.client(token) as client:
            while await self.think():
                if self.rng.random() < 0.75:
                    body_id, items = self.rng.choice(work)
                    item = self.rng.choice(items)
                    verdict = self.rng.choice(("accepted", "rejected"))
                    r = await self.timed(
                        client,
                        "PUT",
                        f"/api/v1/cycles/{c}/verification/bodies/{body_id}/items/{item}",
                        (200,),
                        json={"verdict": verdict, "note": "Bukti tidak memadai (uji beban)."},
                    )
                    if r is not None:
                        self.acked.verdicts[(body_id, item)] = verdict
                else:
                    await self.timed(client, "GET", "/verifikasi", (200,))

    async def juror(self, token: str, panel_id: int, bodies: list[int], codes: list[str]) -> None:
        async with self.client(token) as client:
            while await self.think():
                if self.rng.random() < 0.75:
                    body_id = self.rng.choice(bodies)
                    ratings = {code: self.rng.randint(1, 5) for code in codes}
                    r = await self.timed(
                        client,
                        "POST",
                        f"/panel/{panel_id}/badan/{body_id}",
                        (303,),
                        data={
                            "action": "save",
                            **{f"rating_{k}": str(v) for k, v in ratings.items()},
                        },
                    )
                    if r is not None:
                        self.acked.scores[(panel_id, body_id, hash(token))] = ratings
                else:
                    await self.timed(client, "GET", f"/panel/{panel_id}", (200,))

    async def visitor(self) -> None:
        async with self.client() as client:
            links: list[str] = []
            while await self.think():
                url = self.rng.choice(links) if links and self.rng.random() < 0.7 else "/hasil"
                r = await self.timed(client, "GET", url, (200,))
                if r is not None and url == "/hasil":
                    links = sorted(set(re.findall(r'href="(/hasil/\d+)"', r.text)))

    async def measure(self, users: int, warm_up: float, duration: float) -> None:
        """The users for `warm_up` + `duration` seconds, without a pause: what starts in the
        first `warm_up` seconds goes to `cold`, the rest to `stats`. In a freshly started
        process the connections are new (PostgreSQL fills each backend's catalogue caches on
        its first queries), statements are compiled for the first time and more PDF probes
        start, while all users arrive at once; those seconds are measured apart, their writes
        are checked afterwards like the others and their errors count."""
        self.started = time.perf_counter() + warm_up
        self.deadline = time.monotonic() + warm_up + duration
        await self.run(users)

    async def run(self, users: int) -> None:
        plan = self.plan
        # Shares of the 200 users: half operators, then verifiers, jurors and the public.
        shares = [
            (users // 2, lambda i: self.operator(*plan.operators[i % len(plan.operators)])),
            (users * 3 // 20, lambda i: self.verifier(*plan.verifiers[i % len(plan.verifiers)])),
            (users // 10, lambda i: self.juror(*plan.jurors[i % len(plan.jurors)])),
        ]
        tasks = [make(i) for count, make in shares for i in range(count)]
        tasks += [self.visitor() for _ in range(users - len(tasks))]
        await asyncio.gather(*tasks)


def lost_writes(acked: Acked, juror_ids: dict[int, int]) -> int:
    """Acknowledged writes the database does not hold afterwards."""
    from sqlalchemy import select

    from app.db import SessionLocal
    from app.evidence.models import EvidenceFile
    from app.panels.models import PanelScore
    from app.submissions.models import Answer

    lost = 0
    with SessionLocal() as db:
        for (body_id, item_id), declared in acked.answers.items():
            got = db.scalar(
                select(Answer.declared).where(Answer.body_id == body_id, Answer.item_id == item_id)
            )
            lost += got != declared
        for file_id, sha in acked.files.items():
            got_sha = db.scalar(select(EvidenceFile.blob_sha256).where(EvidenceFile.id == file_id))
            lost += got_sha != sha
        for (body_id, item_id), verdict in acked.verdicts.items():
            got = db.scalar(
                select(Answer.verdict).where(Answer.body_id == body_id, Answer.item_id == item_id)
            )
            lost += got != verdict
        for (panel_id, body_id, who), ratings in acked.scores.items():
            got_r = db.scalar(
                select(PanelScore.ratings).where(
                    PanelScore.panel_id == panel_id,
                    PanelScore.body_id == body_id,
                    PanelScore.juror_id == juror_ids[who],
                )
            )
            lost += got_r != ratings
    return lost


def juror_ids_by_token(plan: Plan) -> dict[int, int]:
    from app.accounts import service as accounts
    from app.db import SessionLocal

    out: dict[int, int] = {}
    with SessionLocal() as db:
        for token, *_ in plan.jurors:
            found = accounts.resolve_api_token(db, token)
            assert found is not None
            out[hash(token)] = found[0].id
    return out


def timeline(page_times: list[tuple[float, float]], step: float = 10.0) -> str:
    """p95 of the page loads started in each window of `step` seconds."""
    windows: dict[int, list[float]] = {}
    for started, ms in page_times:
        windows.setdefault(int(started // step), []).append(ms)
    return "; ".join(
        f"{k * step:.0f}-{(k + 1) * step:.0f}s n={len(v)} p95_ms={p95(v):.0f}"
        for k, v in sorted(windows.items())
    )


def print_kinds(s: Stats) -> None:
    """Latency per request kind, and the page p95 per 10 s of load."""
    for kind, values in sorted(s.by_kind.items()):
        print(
            f"  {kind}: n={len(values)} p50_ms={statistics.median(values):.0f} "
            f"p95_ms={p95(values):.0f}"
        )
    print("page loads per 10 s of load: " + timeline(s.page_times), flush=True)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--operators", type=int, default=100, help="operators' bodies")
    parser.add_argument("--verifiers", type=int, default=30)
    parser.add_argument("--bodies-per-verifier", type=int, default=3)
    parser.add_argument("--jurors", type=int, default=20)
    parser.add_argument("--jurors-per-panel", type=int, default=5)
    parser.add_argument("--bodies-per-panel", type=int, default=8)
    parser.add_argument("--pdf-mb", type=float, default=1.0)
    parser.add_argument(
        "--warm-up", type=float, default=10, help="seconds of the mix before the measured ones"
    )
    args = parser.parse_args()

    from scripts.pg_scratch import create, drop

    work = Path(tempfile.mkdtemp(prefix="monev-bench-load-"))
    scratch = create(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), prefix="monev_bench_load")
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": scratch,
        "VAR_DIR": str(work / "var"),
        "REDIS_URL": "",
        "HUEY_IMMEDIATE": "1",
        "SECRET_KEY": "bench-secret-key-0123456789",
        "DEMO_PASSWORD": "monev-demo-2025",
        "EVIDENCE_STORAGE": "local",
        "EVIDENCE_DIR": str(work / "evidence"),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "VAR_DIR", "SECRET_KEY")})
    server: subprocess.Popen[bytes] | None = None
    try:
        for cmd in (["alembic", "upgrade", "head"], ["monev", "seed-demo"]):
            subprocess.run(  # noqa: S603
                [str(ROOT / ".venv/bin" / cmd[0]), *cmd[1:]],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        t = time.perf_counter()
        plan = seed(args)
        juror_ids = juror_ids_by_token(plan)
        print(
            f"seeded in {time.perf_counter() - t:.1f} s: {len(plan.operators)} operators' bodies, "
            f"{sum(len(w) for _, w in plan.verifiers)} submitted bodies for "
            f"{len(plan.verifiers)} verifiers, {len(plan.jurors)} jurors",
            flush=True,
        )
        pdf = pdf_template(int(args.pdf_mb * MB))
        port = free_port()
        print(f"machine probe (pure Python, lower is faster): {machine_probe():.0f} ms", flush=True)
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
        try:
            wait_for(port, server)
        except SystemExit:
            print((work / "server.log").read_text(errors="replace")[-3000:])
            raise
        time.sleep(2)  # both workers up
        users = Users(f"http://127.0.0.1:{port}", plan, pdf, time.monotonic() + args.duration)
        asyncio.run(users.measure(args.users, args.warm_up, args.duration))
        elapsed = time.perf_counter() - users.started
        cold = users.cold
        print(
            f"cold start (the first {args.warm_up:.0f} s after the servers started, not counted "
            f"below): {cold.requests} requests, {len(cold.errors)} errors, page "
            f"p95_ms={p95(cold.pages):.0f}",
            flush=True,
        )
        s = users.stats
        print(f"load done in {elapsed:.0f} s; stopping the servers", flush=True)
        stop(server)
        server = None
        lost = lost_writes(users.acked, juror_ids)
        log = (work / "server.log").read_text(errors="replace")
        kept = ROOT / "var" / "bench-load-server.log"
        kept.parent.mkdir(exist_ok=True)
        kept.write_text(log)
        (kept.parent / "bench-load-trace.json").write_text(json.dumps(users.stats.trace))
        print(f"server log ({kept}): {log.count('unexpected error')} unexpected errors", flush=True)
        acked = users.acked
        print(
            f"{args.users} users, {args.workers} workers, {elapsed:.0f} s; "
            f"{len(s.pages)} page loads, {len(s.writes)} writes "
            f"({len(acked.answers)} answers, {len(acked.files)} PDFs, "
            f"{len(acked.verdicts)} verdicts, {len(acked.scores)} scores last values checked); "
            f"{s.requests / elapsed:.1f} req/s; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        print(
            f"pages: p50_ms={statistics.median(s.pages or [0]):.0f} p95_ms={p95(s.pages):.0f}; "
            f"writes: p50_ms={statistics.median(s.writes or [0]):.0f} "
            f"p95_ms={p95(s.writes):.0f}"
        )
        print_kinds(s)
        kinds: dict[str, int] = {}
        for err in cold.errors + s.errors:
            kind = re.sub(r"/\d+", "/{id}", err.split(" <", 1)[0].split(" {", 1)[0])[:160]
            kinds[kind] = kinds.get(kind, 0) + 1
        for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
            print(f"error x{n}: {kind}")
        print(
            f"RESULT requests={s.requests} errors={len(s.errors) + len(cold.errors)} "
            f"p95_ms={p95(s.pages):.0f} "
            f"lost_writes={lost}",
            flush=True,
        )
    finally:
        if server is not None:
            stop(server)
        from app.db import get_engine

        get_engine().dispose()
        drop(scratch)
        shutil.rmtree(work, ignore_errors=True)


def stop(server: subprocess.Popen[bytes]) -> None:
    """End the server's process group: politely, then for good after 15 s."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=15)


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


if __name__ == "__main__":
    main()
