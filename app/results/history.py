"""Past results imported from outside the system (the shape of `history.csv`), and every
body's year-over-year history (imports plus the system's own published decrees).

Imported rows are never ranked by us (an empty rank stays empty); a missing qualification is
derived from the score with the bands given for the import. Unknown commissions or bodies,
impossible scores and unknown qualifications are row-level errors and nothing is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.bodies.models import Body
from app.cycles.models import Cycle, CycleCategory
from app.cycles.rules import DEFAULT_BANDS, TWO_PLACES, Band, qualify
from app.errors import ValidationFailed
from app.orgs.models import Organisation
from app.results.models import Decree, DecreeStatus, HistoryResult, ResultRow
from app.results.rules import HistoryRecord

COLUMNS = ["commission", "year", "body", "category", "score", "qualification", "rank", "note"]


@dataclass(frozen=True)
class HistoryLine:
    organisation_id: int
    body_id: int
    year: int
    category_code: str
    score: Decimal | None
    qualification: str
    rank: int | None
    note: str


def check_history_rows(
    db: Session,
    rows: Sequence[tuple[int, dict[str, str]]],
    *,
    bands: Sequence[Band] = DEFAULT_BANDS,
    only_commission: str | None = None,
) -> tuple[list[HistoryLine], list[str]]:
    """(line number, row) → history lines, or plain-language row-level errors."""
    orgs = {o.short_name.casefold(): o for o in db.scalars(select(Organisation))}
    names = {b.name for b in bands}
    bodies: dict[tuple[int, str], int] = {
        (b.organisation_id, b.name.casefold()): b.id
        for b in db.scalars(
            select(Body).where(Body.organisation_id.in_([o.id for o in orgs.values()]))
        )
    }
    lines: list[HistoryLine] = []
    errors: list[str] = []
    seen: set[tuple[int, int, int]] = set()
    for n, row in rows:
        commission = row.get("commission", "").strip()
        if only_commission and commission.casefold() != only_commission.casefold():
            continue
        problems: list[str] = []
        org = orgs.get(commission.casefold())
        if org is None:
            problems.append(f"komisi {commission!r} tidak dikenal")
        year_text = row.get("year", "").strip()
        year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
        if year is None:
            problems.append(f"tahun {year_text!r} tidak valid")
        body_name = row.get("body", "").strip()
        body_id = bodies.get((org.id, body_name.casefold())) if org else None
        if org is not None and body_id is None:
            problems.append(f"badan publik {body_name!r} tidak terdaftar di {org.short_name}")
        score: Decimal | None = None
        score_text = row.get("score", "").strip().replace(",", ".")
        if score_text:
            try:
                score = Decimal(score_text)
            except InvalidOperation:
                score = None
            if (
                score is None
                or not score.is_finite()
                or not Decimal(0) <= score <= Decimal(100)
                or score != score.quantize(TWO_PLACES)
            ):
                problems.append(f"nilai {row.get('score')!r} tidak mungkin (0–100, 2 desimal)")
                score = None
        qualification = row.get("qualification", "").strip()
        if not qualification and score is not None:
            qualification = qualify(score, bands)
        elif not qualification and not problems:
            problems.append("kualifikasi kosong dan nilai juga kosong")
        elif qualification and qualification not in names:
            problems.append(f"kualifikasi {qualification!r} tidak dikenal")
        rank_text = row.get("rank", "").strip()
        rank = int(rank_text) if rank_text.isdigit() and int(rank_text) > 0 else None
        if rank_text and rank is None:
            problems.append(f"peringkat {rank_text!r} tidak valid")
        if org and body_id and year and (org.id, body_id, year) in seen:
            problems.append("baris ganda untuk badan publik dan tahun yang sama")
        if problems:
            errors.append(f"Baris {n}: " + "; ".join(problems) + ".")
            continue
        assert org is not None and body_id is not None and year is not None
        seen.add((org.id, body_id, year))
        lines.append(
            HistoryLine(
                org.id,
                body_id,
                year,
                row.get("category", "").strip(),
                score,
                qualification,
                rank,
                row.get("note", "").strip(),
            )
        )
    return lines, errors


def import_history(
    db: Session,
    rows: Sequence[tuple[int, dict[str, str]]],
    *,
    actor_user_id: int | None,
    bands: Sequence[Band] = DEFAULT_BANDS,
    only_commission: str | None = None,
) -> int:
    """Import (or update, idempotently) past results: all rows or none."""
    lines, errors = check_history_rows(db, rows, bands=bands, only_commission=only_commission)
    if errors:
        raise ValidationFailed("Tidak ada yang diimpor: " + " ".join(errors[:30]))
    existing = {
        (h.organisation_id, h.body_id, h.year): h for h in db.scalars(select(HistoryResult))
    }
    for line in lines:
        h = existing.get((line.organisation_id, line.body_id, line.year))
        if h is None:
            h = HistoryResult(
                organisation_id=line.organisation_id, body_id=line.body_id, year=line.year
            )
            db.add(h)
        h.category_code = line.category_code
        h.score = line.score
        h.qualification = line.qualification
        h.rank = line.rank
        h.note = line.note
        h.imported_by_id = actor_user_id
    db.flush()
    for org_id in sorted({line.organisation_id for line in lines}):
        record(
            db,
            actor_user_id=actor_user_id,
            organisation_id=org_id,
            action="results.history_imported",
            object_type="organisation",
            object_id=org_id,
            after={"rows": sum(1 for line in lines if line.organisation_id == org_id)},
        )
    return len(lines)


def body_history(db: Session, body: Body) -> list[HistoryRecord]:
    """The body's published results per year: imports, overridden by the system's own decrees."""
    by_year: dict[int, HistoryRecord] = {
        h.year: HistoryRecord(body.id, h.year, h.qualification, h.score, h.category_code or None)
        for h in db.scalars(select(HistoryResult).where(HistoryResult.body_id == body.id))
    }
    from app.results.service import public_decree

    for cycle in db.scalars(select(Cycle).where(Cycle.organisation_id == body.organisation_id)):
        decree = public_decree(db, cycle)
        if decree is None:
            continue
        row = db.scalar(
            select(ResultRow).where(
                ResultRow.result_set_id == decree.result_set_id, ResultRow.body_id == body.id
            )
        )
        if row is not None and row.qualification is not None:
            by_year[cycle.year] = HistoryRecord(
                body.id, cycle.year, row.qualification, row.published, row.category_code
            )
    return [by_year[y] for y in sorted(by_year)]


def commission_history(db: Session, organisation_id: int) -> list[HistoryRecord]:
    """Every body's published results of a commission (imports, overridden by decrees)."""
    from app.results.service import public_decree

    found: dict[tuple[int, int], HistoryRecord] = {
        (h.body_id, h.year): HistoryRecord(
            h.body_id, h.year, h.qualification, h.score, h.category_code or None
        )
        for h in db.scalars(
            select(HistoryResult).where(HistoryResult.organisation_id == organisation_id)
        )
    }
    for cycle in db.scalars(select(Cycle).where(Cycle.organisation_id == organisation_id)):
        decree = public_decree(db, cycle)
        if decree is None:
            continue
        rows = db.execute(
            select(
                ResultRow.body_id,
                ResultRow.qualification,
                ResultRow.published,
                ResultRow.category_code,
            ).where(ResultRow.result_set_id == decree.result_set_id)
        )
        for body_id, qualification, published, category in rows:
            if qualification is not None:
                found[(body_id, cycle.year)] = HistoryRecord(
                    body_id, cycle.year, qualification, published, category
                )
    return list(found.values())


def commission_cycle_years(db: Session, organisation_id: int) -> list[int]:
    """The years in which the commission held a cycle (with published or imported results)."""
    years = set(
        db.scalars(
            select(HistoryResult.year).where(HistoryResult.organisation_id == organisation_id)
        )
    )
    years |= set(
        db.scalars(
            select(Cycle.year)
            .join(Decree, Decree.cycle_id == Cycle.id)
            .where(
                Cycle.organisation_id == organisation_id,
                Decree.status == DecreeStatus.PUBLISHED,
            )
        )
    )
    return sorted(years)


def category_names(db: Session, cycle: Cycle) -> dict[str, str]:
    return {
        c.code: c.name
        for c in db.scalars(select(CycleCategory).where(CycleCategory.cycle_id == cycle.id))
    }
