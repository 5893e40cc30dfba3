"""Time the results recompute on 10,000 bodies × 120 items (see scripts/bench/ranking)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.cycles import scoring
from app.cycles import service as cycles
from app.cycles.access import system_actor
from app.cycles.models import Cycle, CycleCategory
from app.cycles.rules import DEFAULT_CONFIG, Component, ShortlistRule
from app.db import Base, make_engine
from app.orgs.service import create_commission
from app.questionnaires.models import Indicator, Item, Questionnaire
from app.results import service as results
from scripts import pg_scratch

INDICATORS = (("1", 10), ("2", 40), ("3", 10), ("4", 10), ("5", 10), ("6", 20))
CATEGORIES = 20

FLOOR_SQL = text(
    "SELECT a.body_id, a.indicator_id, SUM(i.weight * a.credit_scaled) "
    "FROM answers a JOIN questionnaire_items i ON i.id = a.item_id "
    "WHERE a.cycle_id = :cycle GROUP BY a.body_id, a.indicator_id"
)


def build(engine: Engine, bodies: int, items: int) -> int:
    """Schema and data: one commission, one open cycle, `bodies` submitted SAQs."""
    import app.models  # noqa: F401  (registers every table)

    Base.metadata.create_all(engine)
    with Session(engine) as db:
        org = create_commission(db, slug="bench", name="KI Bench", short_name="KI Bench")
        cycle_id = fill_cycle(db, org.id, bodies, items)
        db.commit()
    analyze(engine)
    return cycle_id


def fill_cycle(
    db: Session, org_id: int, bodies: int, items: int, categories: int = CATEGORIES
) -> int:
    """One open cycle of the commission with `bodies` new bodies that submitted their SAQ
    (`items` answers each, credits spread), presentation scores and the 70/30 rules."""
    actor = system_actor(org_id)
    cycle = cycles.create_cycle(db, actor, name="Bench", year=2025, fill_from_catalogue=False)
    q = Questionnaire(cycle_id=cycle.id, name="Bench")
    db.add(q)
    db.flush()
    db.execute(
        insert(CycleCategory),
        [
            {
                "cycle_id": cycle.id,
                "code": f"k{n:02d}",
                "name": f"Kategori {n}",
                "sort_order": n,
                "questionnaire_id": q.id,
            }
            for n in range(categories)
        ],
    )
    inds = [
        Indicator(questionnaire_id=q.id, code=c, name=c, weight=w, position=i)
        for i, (c, w) in enumerate(INDICATORS)
    ]
    db.add_all(inds)
    db.flush()
    db.execute(
        insert(Item),
        [
            {
                "questionnaire_id": q.id,
                "indicator_id": inds[n % len(inds)].id,
                "code": f"{n % len(inds) + 1}.{n}",
                "text": f"Butir {n}",
                "weight": 1 + n % 3,
                "position": n,
            }
            for n in range(items)
        ],
    )
    db.execute(
        text(
            "INSERT INTO bodies (organisation_id, name, website, address, email, phone, "
            "ppid_name, ppid_email, ppid_phone, is_active, created_at) "
            "VALUES (:org, :name, '', '', '', '', '', '', '', true, CURRENT_TIMESTAMP)"
        ),
        [{"org": org_id, "name": f"Badan Publik {n:05d}"} for n in range(bodies)],
    )
    params = {"cycle": cycle.id, "org": org_id, "cats": categories}
    db.execute(
        text(
            "INSERT INTO cycle_targets (cycle_id, body_id, cycle_category_id, added_at) "
            "SELECT :cycle, b.id, c.id, CURRENT_TIMESTAMP FROM bodies b "
            "JOIN cycle_categories c ON c.cycle_id = :cycle AND c.sort_order = b.id % :cats "
            "WHERE b.organisation_id = :org"
        ),
        params,
    )
    db.execute(
        text(
            "INSERT INTO submissions (organisation_id, cycle_id, body_id, status, created_at, "
            "reopen_reason, receipt_sha256, return_note) SELECT :org, :cycle, body_id, "
            "'submitted', CURRENT_TIMESTAMP, '', '', '' FROM cycle_targets WHERE cycle_id = :cycle"
        ),
        params,
    )
    # Credit 1, ½ or 0 spread over bodies and items; most bodies end in the upper bands.
    db.execute(
        text(
            "INSERT INTO answers (submission_id, cycle_id, body_id, item_id, indicator_id, "
            "declared, text_value, declared_credit_scaled, verdict, credit_scaled, version, "
            "updated_at) SELECT s.id, s.cycle_id, s.body_id, i.id, i.indicator_id, 'ya', '', "
            "10000, 'accepted', CASE WHEN (s.body_id * 7 + i.id * 13) % 11 = 0 THEN 0 "
            "WHEN (s.body_id + i.id) % 7 = 0 THEN 5000 ELSE 10000 END, 1, CURRENT_TIMESTAMP "
            "FROM submissions s CROSS JOIN questionnaire_items i "
            "WHERE s.cycle_id = :cycle AND i.questionnaire_id = :q"
        ),
        {**params, "q": q.id},
    )
    db.execute(
        text(
            "INSERT INTO component_scores (organisation_id, cycle_id, body_id, "
            "component_code, score, source, note, updated_at) SELECT :org, :cycle, body_id, "
            "'presentation', 60 + body_id % 40, 'panel', '', CURRENT_TIMESTAMP "
            "FROM cycle_targets WHERE cycle_id = :cycle"
        ),
        params,
    )
    config = DEFAULT_CONFIG.__class__(
        components=(Component("saq", "SAQ", 70), Component("presentation", "Presentasi", 30)),
        bands=DEFAULT_CONFIG.bands,
        shortlist=ShortlistRule(),
        tie_breaks=DEFAULT_CONFIG.tie_breaks,
    )
    scoring.write_config(db, cycle, config)
    return cycle.id


def analyze(engine: Engine) -> None:
    """Fresh planner statistics after a bulk load."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def run(engine: Engine, cycle_id: int, repeat: int) -> tuple[float, float, int]:
    floors: list[float] = []
    rankings: list[float] = []
    ranked = 0
    for _ in range(repeat):
        with Session(engine) as db:
            start = time.perf_counter()
            rows = db.execute(FLOOR_SQL, {"cycle": cycle_id}).all()
            floors.append(time.perf_counter() - start)
            assert rows
        with Session(engine) as db:
            start = time.perf_counter()
            cycle = db.get(Cycle, cycle_id)
            assert cycle is not None
            computation = results.calculate(db, cycle)
            rankings.append(time.perf_counter() - start)
            ranked = len(computation.ranking)
    return statistics.median(rankings), statistics.median(floors), ranked


def bench(label: str, url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    t0 = time.perf_counter()
    cycle_id = build(engine, args.bodies, args.items)
    built = time.perf_counter() - t0
    ranking_s, floor_s, ranked = run(engine, cycle_id, args.repeat)
    with Session(engine) as db:
        cycle = db.get(Cycle, cycle_id)
        assert cycle is not None
        start = time.perf_counter()
        results.store(db, system_actor(cycle.organisation_id), cycle, results.calculate(db, cycle))
        db.commit()
        store_s = time.perf_counter() - start
    engine.dispose()
    print(
        f"# {label}: built in {built:.1f} s; {ranked} bodies ranked; "
        f"recompute + store a result set: {store_s:.3f} s",
        flush=True,
    )
    print(
        f"RESULT db={label} ranking_s={ranking_s:.3f} floor_s={floor_s:.3f} "
        f"ratio={ranking_s / floor_s:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            bench("sqlite", f"sqlite:///{tmp}/bench.db", args)
    if args.only != "sqlite":
        server = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        url = pg_scratch.create(server, "bench_ranking")
        try:
            bench("postgresql", url, args)
        finally:
            pg_scratch.drop(url)


if __name__ == "__main__":
    main()
