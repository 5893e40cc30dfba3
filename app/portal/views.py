"""Public portal (no login): published rankings per cycle and category, counts and shares per
qualification, SVG charts, search, body pages with history and recognitions, open data."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.cycles.models import Cycle
from app.db import utcnow
from app.errors import NotFound
from app.orgs.models import Organisation, OrganisationKind
from app.portal.cache import public_page
from app.portal.charts import bar_chart, line_chart
from app.results import history as hist
from app.results import service
from app.results.models import Decree, DecreeStatus, ResultRow, ResultSet
from app.results.rules import RecognitionRules, body_recognitions, cycle_recognitions
from app.web.deps import get_db
from app.web.templating import render

router = APIRouter()


def is_public_org(org: Organisation | None) -> bool:
    """Commissions publish; an internal monev of a PPID utama never reaches the public portal."""
    return org is not None and org.kind != OrganisationKind.INTERNAL


def public_cycles(db: Session) -> list[tuple[Cycle, Organisation, Decree]]:
    """Every cycle with results the public may see now, newest first (one query)."""
    now = utcnow()
    rows = db.execute(
        select(Cycle, Organisation, Decree)
        .join(Organisation, Organisation.id == Cycle.organisation_id)
        .join(Decree, Decree.cycle_id == Cycle.id)
        .where(
            Decree.public_at(now),
            Organisation.kind != OrganisationKind.INTERNAL,
        )
        .order_by(Cycle.year.desc(), Cycle.name)
    ).all()
    return [(cycle, org, decree) for cycle, org, decree in rows]


def _public(db: Session, cycle_id: int, version: int | None) -> tuple[Cycle, Decree, Decree]:
    """The cycle, the decree asked for (current, or a superseded version), and the current one."""
    cycle = db.get(Cycle, cycle_id)
    public = cycle is not None and is_public_org(db.get(Organisation, cycle.organisation_id))
    current = service.public_decree(db, cycle) if cycle and public else None
    if cycle is None or current is None:
        raise NotFound("Hasil belum diterbitkan.")
    if version is None or version == current.version:
        return cycle, current, current
    old = db.scalar(
        select(Decree).where(
            Decree.cycle_id == cycle.id,
            Decree.version == version,
            Decree.status == DecreeStatus.SUPERSEDED,
        )
    )
    if old is None:
        raise NotFound("Versi SK tidak ditemukan.")
    return cycle, old, current


def public_rows(db: Session, decree: Decree) -> list[dict[str, Any]]:
    """The published table: category, rank, body, score, qualification (display order)."""
    rs = db.get(ResultSet, decree.result_set_id)
    assert rs is not None
    cycle = db.get(Cycle, decree.cycle_id)
    assert cycle is not None
    cats = hist.category_names(db, cycle)
    rows = db.execute(
        select(ResultRow, Body.name)
        .join(Body, Body.id == ResultRow.body_id)
        .where(ResultRow.result_set_id == rs.id)
        .order_by(
            ResultRow.category_code,
            ResultRow.rank.is_(None),
            ResultRow.rank,
            ResultRow.published.desc(),
            Body.name,
        )
    )
    return [
        {
            "category_code": r.category_code,
            "category": cats.get(r.category_code, r.category_code),
            "rank": r.rank,
            "shares_rank": r.shares_rank,
            "body_id": r.body_id,
            "body": name,
            "score": r.published,
            "qualification": r.qualification or "Tidak dinilai",
        }
        for r, name in rows
    ]


def cycle_context(
    db: Session, cycle: Cycle, decree: Decree, current: Decree, *, q: str, kategori: str
) -> dict[str, Any]:
    """Everything the public cycle page shows: table, counts, shares, charts, recognitions."""
    rows = public_rows(db, decree)
    categories = sorted({(r["category_code"], r["category"]) for r in rows})
    in_category = [r for r in rows if not kategori or r["category_code"] == kategori]
    counts = Counter(r["qualification"] for r in in_category)
    rs = db.get(ResultSet, decree.result_set_id)
    order = [b[0] for b in (rs.rules.get("bands", []) if rs else [])] + ["Tidak dinilai"]
    by_band = [(name, counts[name]) for name in order if counts[name]]
    scored = [r["score"] for r in in_category if r["score"] is not None]
    bins = [(f"{lo}–{lo + 9},99" if lo < 90 else "90–100", 0) for lo in range(0, 100, 10)]
    hist_counts = Counter(min(int(s // 10), 9) for s in scored)
    bins = [(label, hist_counts[i]) for i, (label, _) in enumerate(bins)]
    means = [
        (name, _mean([r["score"] for r in rows if r["category_code"] == code and r["score"]]))
        for code, name in categories
    ]
    shown = [
        r
        for r in rows
        if (not kategori or r["category_code"] == kategori)
        and (not q.strip() or q.strip().casefold() in r["body"].casefold())
    ]
    amended = db.get(Decree, current.amends_id) if current.amends_id else None
    names = {r["body_id"]: r["body"] for r in rows}
    recognitions = [
        (names.get(rec.body_id, ""), rec)
        for rec in cycle_recognitions(
            hist.commission_cycle_years(db, cycle.organisation_id),
            hist.commission_history(db, cycle.organisation_id),
            cycle.year,
        )
        if rec.body_id in names
    ]
    ctx = {
        "cycle": cycle,
        "org": db.get(Organisation, cycle.organisation_id),
        "decree": decree,
        "current": current,
        "amended": amended,
        "rows": shown,
        "total": len(in_category),
        "categories": categories,
        "by_band": by_band,
        "recognitions": recognitions,
        "q": q,
        "kategori": kategori,
        "chart_bands": bar_chart("Jumlah badan publik per kualifikasi", by_band),
        "chart_dist": bar_chart("Sebaran nilai", bins),
        "chart_cats": bar_chart("Rata-rata nilai per kategori", means),
    }
    return ctx


@router.get("/hasil", name="portal.index")
def portal_index(request: Request, db: Session = Depends(get_db, scope="function")) -> Response:
    return public_page(request, db, "portal/index.html", lambda: {"cycles": public_cycles(db)})


@router.get("/hasil/{cycle_id}", name="portal.cycle")
def portal_cycle(
    request: Request,
    cycle_id: int,
    q: str = "",
    kategori: str = "",
    versi: int | None = None,
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    def build() -> dict[str, Any]:
        cycle, decree, current = _public(db, cycle_id, versi)
        return cycle_context(db, cycle, decree, current, q=q, kategori=kategori)

    return public_page(request, db, "portal/cycle.html", build)


def _mean(values: list[Any]) -> Decimal:
    if not values:
        return Decimal(0)
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))


def csv_cell(value: object) -> str:
    """A cell safe to open in a spreadsheet (formula injection escaped)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _open_rows(db: Session, decree: Decree) -> list[dict[str, Any]]:
    cycle = db.get(Cycle, decree.cycle_id)
    assert cycle is not None
    return [
        {
            "year": cycle.year,
            "cycle": cycle.name,
            "decree_version": decree.version,
            "sk_number": decree.sk_number,
            "sk_date": decree.sk_date.isoformat() if decree.sk_date else None,
            "category": r["category"],
            "rank": r["rank"],
            "body": r["body"],
            "score": None if r["score"] is None else format(r["score"], "f"),
            "qualification": r["qualification"],
        }
        for r in public_rows(db, decree)
    ]


@router.get("/hasil/{cycle_id}/data.csv", name="portal.csv")
def portal_csv(
    cycle_id: int, versi: int | None = None, db: Session = Depends(get_db, scope="function")
) -> Response:
    _, decree, _ = _public(db, cycle_id, versi)
    rows = _open_rows(db, decree)
    out = io.StringIO()
    writer = csv.writer(out)
    fields = ["year", "cycle", "decree_version", "sk_number", "sk_date", "category", "rank"]
    fields += ["body", "score", "qualification"]
    writer.writerow(fields)
    for r in rows:
        writer.writerow([csv_cell(r[f]) for f in fields])
    headers = {"Content-Disposition": f'attachment; filename="hasil-{cycle_id}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/hasil/{cycle_id}/data.json", name="portal.json")
def portal_json(
    cycle_id: int, versi: int | None = None, db: Session = Depends(get_db, scope="function")
) -> Response:
    _, decree, _ = _public(db, cycle_id, versi)
    body = json.dumps({"results": _open_rows(db, decree)}, ensure_ascii=False)
    return Response(body, media_type="application/json")


@router.get("/hasil/badan/{body_id}", name="portal.body")
def portal_body(
    request: Request, body_id: int, db: Session = Depends(get_db, scope="function")
) -> Response:
    body = db.get(Body, body_id)
    if body is None or not is_public_org(db.get(Organisation, body.organisation_id)):
        raise NotFound("Badan publik tidak ditemukan.")
    records = hist.body_history(db, body)
    if not records:
        raise NotFound("Belum ada hasil terbit untuk badan publik ini.")
    years = hist.commission_cycle_years(db, body.organisation_id)
    recognitions = [
        rec
        for r in records
        for rec in body_recognitions(years, records, r.year, RecognitionRules())
    ]
    points = [(r.year, r.score) for r in records if r.score is not None]
    ctx = {
        "body": body,
        "org": db.get(Organisation, body.organisation_id),
        "records": list(reversed(records)),
        "recognitions": list(reversed(recognitions)),
        "chart": line_chart(f"Nilai {body.name} per tahun", points),
    }
    return render(request, "portal/body.html", ctx)
