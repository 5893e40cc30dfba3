"""Commission pages of the results: compute, diff, decrees, shortlist, component scores, and
"how my score was computed" for staff and (once published) for the body itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.cycles.access import can_manage, get_cycle_for_actor, organisation_of
from app.cycles.models import Cycle
from app.cycles.rules import to_utc
from app.cycles.scoring import get_scoring_config
from app.errors import RECOVERABLE, Forbidden, NotFound, ValidationFailed
from app.imports.tabular import read_table
from app.results import exports, service
from app.results.models import ResultSet
from app.results.publication import publication_blockers
from app.results.rules import RowChange, award_rules
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()

BASIS_LABELS = {
    "weighted": "Jumlah berbobot komponen",
    "saq_only": "Tidak masuk nominasi: nilai akhir = nilai SAQ",
    "weighted_missing_zero": "Tidak masuk nominasi: komponen yang tidak diikuti bernilai 0",
    "non_submitter_zero": "Tidak mengirim SAQ: Tidak Informatif dengan nilai 0",
    "not_assessed": "Tidak mengirim SAQ: tidak dinilai",
}
DECREE_LABELS = {
    "draft": "Draf",
    "approved": "Disetujui pleno",
    "published": "Terbit",
    "superseded": "Digantikan",
}


def _staff_cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not service.can_see_results(actor, cycle):
        raise Forbidden("Halaman hasil hanya untuk sekretariat dan komisioner.")
    return cycle


def _overview(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    sets = service.list_result_sets(db, cycle)
    decrees = service.list_decrees(db, cycle)
    latest = sets[0] if sets else None
    changes: tuple[RowChange, ...] = ()
    if latest is not None:
        rows = service.as_published_rows(service.stored_rows(db, latest))
        changes = service.diff_against_published(db, cycle, rows)
    return {
        "cycle": cycle,
        "tz": organisation_of(db, cycle).timezone,
        "sets": sets,
        "latest": latest,
        "decrees": decrees,
        "published": service.current_decree(db, cycle),
        "changes": changes,
        "names": service._body_names(db, [c.body_id for c in changes]),
        "blockers": publication_blockers(db, cycle),
        "manage": can_manage(actor, cycle),
        "approve": actor.is_admin or actor.has("komisioner"),
        "decree_labels": DECREE_LABELS,
    }


@router.get("/siklus/{cycle_id}/hasil", name="results.overview")
def results_overview(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "results/overview.html", _overview(db, actor, cycle))


@router.post("/siklus/{cycle_id}/hasil/hitung", name="results.compute")
def results_compute(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        rs = service.compute_and_store(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "results/overview.html", _overview(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/hasil/{rs.id}", f"Perhitungan versi {rs.number} disimpan.")


@router.get("/siklus/{cycle_id}/hasil/{set_id}", name="results.set")
def results_set(
    request: Request,
    cycle_id: int,
    set_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    rs = service.get_result_set(db, cycle, set_id)
    rows = service.stored_rows(db, rs)
    changes = service.diff_against_published(db, cycle, service.as_published_rows(rows))
    ctx = {
        **_overview(db, actor, cycle),
        "rs": rs,
        "rows": rows,
        "changes": changes,
        "names": service._body_names(db, [r.body_id for r in rows]),
        "basis_labels": BASIS_LABELS,
    }
    return render(request, "results/set.html", ctx)


@router.post("/siklus/{cycle_id}/hasil/{set_id}/sk", name="results.draft_decree")
def results_draft_decree(
    request: Request,
    cycle_id: int,
    set_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    rs = service.get_result_set(db, cycle, set_id)
    try:
        decree = service.draft_decree(db, actor, cycle, rs, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_overview(db, actor, cycle), "form": {"reason": reason}}
        return render_form_error(request, "results/overview.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/hasil", f"Draf SK versi {decree.version} dibuat.")


@router.post("/siklus/{cycle_id}/sk/{decree_id}/setujui", name="results.approve")
def results_approve(
    request: Request,
    cycle_id: int,
    decree_id: int,
    sk_number: str = Form(""),
    sk_date: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    decree = service.get_decree(db, cycle, decree_id)
    try:
        service.approve_decree(db, actor, cycle, decree, sk_number=sk_number, sk_date=sk_date)
    except RECOVERABLE as exc:
        db.rollback()
        form = {"sk_number": sk_number, "sk_date": sk_date}
        return render_form_error(
            request, "results/overview.html", {**_overview(db, actor, cycle), "form": form}, exc
        )
    return redirect(f"/siklus/{cycle.id}/hasil", "SK disetujui dalam rapat pleno.")


@router.post("/siklus/{cycle_id}/sk/{decree_id}/terbitkan", name="results.publish")
def results_publish(
    request: Request,
    cycle_id: int,
    decree_id: int,
    embargo_until: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    decree = service.get_decree(db, cycle, decree_id)
    tz = organisation_of(db, cycle).timezone
    try:
        try:
            until = to_utc(embargo_until, tz) if embargo_until.strip() else None
        except ValueError as exc:
            raise ValidationFailed(str(exc), field_errors={"embargo_until": str(exc)}) from None
        service.publish_decree(db, actor, cycle, decree, embargo_until=until)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_overview(db, actor, cycle), "form": {"embargo_until": embargo_until}}
        return render_form_error(request, "results/overview.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/hasil", "Hasil diterbitkan.")


@router.post("/siklus/{cycle_id}/sk/{decree_id}/batal", name="results.cancel")
def results_cancel(
    request: Request,
    cycle_id: int,
    decree_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    decree = service.get_decree(db, cycle, decree_id)
    try:
        service.cancel_decree(db, actor, cycle, decree)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "results/overview.html", _overview(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/hasil", "Draf SK dibatalkan.")


@router.get("/siklus/{cycle_id}/hasil/badan/{body_id}", name="results.body")
def results_body(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    row, rs, decree = service.body_result(db, actor, cycle, body_id)
    config = get_scoring_config(db, cycle)
    ctx = {
        "cycle": cycle,
        "row": row,
        "rs": rs,
        "decree": decree,
        "name": service._body_names(db, [body_id]).get(body_id, ""),
        "component_names": {c.code: c.name for c in config.components},
        "basis_labels": BASIS_LABELS,
        "staff": service.can_see_results(actor, cycle),
    }
    return render(request, "results/body.html", ctx)


# --- shortlist ---------------------------------------------------------------------------------


def _shortlist_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "rule": get_scoring_config(db, cycle).shortlist,
        "lines": service.shortlist_preview(db, cycle),
        "published": service.shortlisted_body_ids(db, cycle),
        "approve": actor.is_admin or actor.has("komisioner"),
    }


@router.get("/siklus/{cycle_id}/nominasi", name="results.shortlist")
def results_shortlist(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "results/shortlist.html", _shortlist_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/nominasi", name="results.shortlist_publish")
def results_shortlist_publish(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        count = service.publish_shortlist(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_shortlist_ctx(db, actor, cycle), "error": exc.message}
        return render(request, "results/shortlist.html", ctx, status_code=422)
    return redirect(f"/siklus/{cycle.id}/nominasi", f"{count} badan publik masuk nominasi.")


# --- component scores --------------------------------------------------------------------------


def _components_ctx(db: Session, cycle: Cycle) -> dict[str, Any]:
    scores = service._component_scores(db, cycle)
    config = get_scoring_config(db, cycle)
    return {
        "cycle": cycle,
        "components": [c for c in config.components if c.code != "saq"],
        "scores": scores,
        "names": service._body_names(db, scores),
    }


@router.get("/siklus/{cycle_id}/komponen", name="results.components")
def results_components(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "results/components.html", _components_ctx(db, cycle))


@router.post("/siklus/{cycle_id}/komponen", name="results.components_import")
def results_components_import(
    request: Request,
    cycle_id: int,
    file: UploadFile | None = None,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    data = file.file.read() if file is not None else b""
    try:
        service.require_sekretariat_of(actor, cycle)
        table = read_table(
            (file.filename or "") if file else "", data, required=["body", "component", "score"]
        )
        count = service.save_component_scores(
            db, actor, cycle, [row for _, row in table.rows], source="imported"
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_components_ctx(db, cycle), "error": exc.message}
        return render(request, "results/components.html", ctx, status_code=422)
    return redirect(f"/siklus/{cycle.id}/komponen", f"{count} nilai komponen disimpan.")


# --- awards ------------------------------------------------------------------------------------


def _awards_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    awards = service.award_list(db, cycle)
    decree = service.current_decree(db, cycle)
    rows = service.stored_rows(db, db.get(ResultSet, decree.result_set_id)) if decree else []  # type: ignore[arg-type]
    return {
        "cycle": cycle,
        "awards": awards,
        "decree": decree,
        "reviewed": service.awards_reviewed(db, cycle),
        "special_names": award_rules(get_scoring_config(db, cycle))[1],
        "names": service._body_names(db, [r.body_id for r in rows]),
        "manage": can_manage(actor, cycle),
        "approve": actor.is_admin or actor.has("komisioner"),
    }


@router.get("/siklus/{cycle_id}/penghargaan", name="results.awards")
def results_awards(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "results/awards.html", _awards_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/penghargaan/khusus", name="results.special_award")
def results_special_award(
    request: Request,
    cycle_id: int,
    body_id: str = Form(""),
    name: str = Form(""),
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        service.require_sekretariat_of(actor, cycle)
        bid = int(body_id) if body_id.isdigit() else 0
        service.grant_special_award(db, actor, cycle, body_id=bid, name=name, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_awards_ctx(db, actor, cycle), "error": exc.message, "errors": exc.field_errors}
        return render(request, "results/awards.html", ctx, status_code=422)
    return redirect(f"/siklus/{cycle.id}/penghargaan", f"Penghargaan {name} diberikan.")


@router.post("/siklus/{cycle_id}/penghargaan/tinjau", name="results.review_awards")
def results_review_awards(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        service.review_awards(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_awards_ctx(db, actor, cycle), "error": exc.message}
        return render(request, "results/awards.html", ctx, status_code=422)
    return redirect(f"/siklus/{cycle.id}/penghargaan", "Daftar penghargaan ditinjau.")


# --- exports -----------------------------------------------------------------------------------


@router.get("/siklus/{cycle_id}/hasil/{set_id}/ekspor.{fmt}", name="results.export")
def results_export(
    cycle_id: int,
    set_id: int,
    fmt: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    rs = service.get_result_set(db, cycle, set_id)
    rows = exports.export_rows(db, rs)
    if fmt == "csv":
        data, media = exports.to_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data, media = exports.to_xlsx(rows), XLSX
    else:
        raise NotFound("Format ekspor tidak dikenal (csv atau xlsx).")
    name = f"hasil-{cycle.id}-versi-{rs.number}.{fmt}"
    return Response(data, media_type=media, headers=_attachment(name))


@router.get("/siklus/{cycle_id}/sk/{decree_id}/{kind}.pdf", name="results.decree_pdf")
def results_decree_pdf(
    cycle_id: int,
    decree_id: int,
    kind: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    decree = service.get_decree(db, cycle, decree_id)
    rs = service.get_result_set(db, cycle, decree.result_set_id)
    rows = exports.export_rows(db, rs)
    org = organisation_of(db, cycle)
    if kind == "lampiran":
        data = exports.decree_attachment_pdf(org, cycle, decree, rows)
    elif kind == "berita-acara":
        data = exports.berita_acara_pdf(org, cycle, decree, rs, rows)
    else:
        raise NotFound("Dokumen tidak dikenal (lampiran atau berita-acara).")
    name = f"{kind}-sk-{cycle.id}-v{decree.version}.pdf"
    return Response(data, media_type="application/pdf", headers=_attachment(name))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
