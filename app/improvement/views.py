"""Pages of the improvement loop: recommendations, carry-forward, calibration and trends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.cycles.access import can_manage, get_cycle_for_actor, organisation_of, require_manager
from app.cycles.models import Cycle
from app.errors import RECOVERABLE, Forbidden, NotFound, ValidationFailed
from app.evidence import service as evidence
from app.evidence.storage import BlobNotFound
from app.improvement import calibration, carry, pdf, service
from app.results.service import current_decree
from app.submissions import service as submissions
from app.verification.service import can_oversee
from app.web.deps import form_fields, get_db, org_actor, posted_form
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


# --- recommendations ---------------------------------------------------------------------------


def _list_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "rows": service.list_recommendations(db, cycle),
        "published": current_decree(db, cycle) is not None,
        "manage": can_manage(actor, cycle),
        "status_labels": service.STATUS_LABELS,
    }


@router.get("/siklus/{cycle_id}/rekomendasi", name="improvement.recommendations")
def recommendations(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_commission(db, actor, cycle_id)
    return render(request, "improvement/recommendations.html", _list_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/rekomendasi/buat", name="improvement.generate")
def generate(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_commission(db, actor, cycle_id)
    try:
        n = service.generate_recommendations(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = _list_ctx(db, actor, cycle)
        return render_form_error(request, "improvement/recommendations.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/rekomendasi", f"{n} draf rekomendasi disusun.")


def _rec_ctx(db: Session, actor: Actor, view: service.RecommendationView) -> dict[str, Any]:
    return {
        "view": view,
        "cycle": view.cycle,
        "staff": can_oversee(actor, view.cycle),
        "manage": can_manage(actor, view.cycle) and view.rec.status == "draft",
        "reasons": service.REASON_LABELS,
        "status_labels": service.STATUS_LABELS,
        "tz": organisation_of(db, view.cycle).timezone,
    }


@router.get("/siklus/{cycle_id}/rekomendasi/{body_id}", name="improvement.recommendation")
def recommendation(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    view = service.get_recommendation(db, actor, cycle_id, body_id)
    return render(request, "improvement/recommendation.html", _rec_ctx(db, actor, view))


@router.post("/siklus/{cycle_id}/rekomendasi/{body_id}", name="improvement.edit")
def edit(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: dict[str, str] = Depends(form_fields),
) -> Response:
    view = service.get_recommendation(db, actor, cycle_id, body_id)
    advice = {
        int(k.removeprefix("advice_")): v
        for k, v in form.items()
        if k.startswith("advice_") and k.removeprefix("advice_").isdigit()
    }
    try:
        service.edit_recommendation(db, actor, view, summary=form.get("summary", ""), advice=advice)
    except RECOVERABLE as exc:
        db.rollback()
        view = service.get_recommendation(db, actor, cycle_id, body_id)
        ctx = {**_rec_ctx(db, actor, view), "form": form}
        return render_form_error(request, "improvement/recommendation.html", ctx, exc)
    return redirect(f"/siklus/{cycle_id}/rekomendasi/{body_id}", "Rekomendasi disimpan.")


@router.post("/siklus/{cycle_id}/rekomendasi/{body_id}/setujui", name="improvement.approve")
def approve(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    view = service.get_recommendation(db, actor, cycle_id, body_id)
    try:
        service.approve_recommendation(db, actor, view)
    except RECOVERABLE as exc:
        db.rollback()
        view = service.get_recommendation(db, actor, cycle_id, body_id)
        ctx = _rec_ctx(db, actor, view)
        return render_form_error(request, "improvement/recommendation.html", ctx, exc)
    return redirect(
        f"/siklus/{cycle_id}/rekomendasi/{body_id}", "Rekomendasi disetujui dan dikirim."
    )


@router.get(
    "/siklus/{cycle_id}/rekomendasi/{body_id}/rekomendasi.pdf",
    name="improvement.recommendation_pdf",
)
def recommendation_pdf(
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    view = service.get_recommendation(db, actor, cycle_id, body_id)
    data = pdf.render_recommendation(view, organisation_of(db, view.cycle).timezone)
    name = f"rekomendasi-{view.cycle.year}-{view.body.id}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- carry forward: the sekretariat's settings -------------------------------------------------


def _carry_ctx(db: Session, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "previous": service.previous_cycle(db, cycle),
        "lines": carry.setting_lines(db, cycle),
        "policy_labels": carry.POLICY_LABELS,
    }


def _manager_cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not can_manage(actor, cycle):
        raise Forbidden("Hanya sekretariat komisi yang mengatur pemakaian bukti tahun lalu.")
    return cycle


@router.get("/siklus/{cycle_id}/bawa-bukti", name="improvement.carry_settings")
def carry_settings(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _manager_cycle(db, actor, cycle_id)
    return render(request, "improvement/carry_settings.html", _carry_ctx(db, cycle))


@router.post("/siklus/{cycle_id}/bawa-bukti", name="improvement.carry_settings_save")
def carry_settings_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    posted: FormData = Depends(posted_form),
) -> Response:
    cycle = _manager_cycle(db, actor, cycle_id)
    raw = posted.getlist("allow")
    try:
        ids = {int(str(v)) for v in raw}
        allowed, renew = carry.set_policies(db, actor, cycle, ids)
    except ValueError:
        bad = ValidationFailed("Pilihan butir tidak sah.")
        ctx = _carry_ctx(db, cycle)
        return render_form_error(request, "improvement/carry_settings.html", ctx, bad)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "improvement/carry_settings.html", _carry_ctx(db, cycle), exc
        )
    return redirect(
        f"/siklus/{cycle.id}/bawa-bukti",
        f"Disimpan: {allowed} butir boleh memakai bukti tahun lalu, {renew} wajib bukti baru.",
    )


# --- carry forward and last year's advice: the body's side -------------------------------------


def _improve_ctx(db: Session, ws: submissions.Workspace) -> dict[str, Any]:
    return {
        "ws": ws,
        "cycle": ws.cycle,
        "previous": service.previous_cycle(db, ws.cycle),
        "lines": carry.carry_plan(db, ws.cycle, ws.body.id),
        "advice": service.last_year_advice(db, ws.cycle, ws.body.id),
        "reasons": service.REASON_LABELS,
        "tz": ws.tz,
    }


@router.get("/siklus/{cycle_id}/badan/{body_id}/saq/perbaikan", name="improvement.body_page")
def body_page(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = submissions.get_workspace(db, actor, cycle_id, body_id)
    return render(request, "improvement/body.html", _improve_ctx(db, ws))


@router.post(
    "/siklus/{cycle_id}/badan/{body_id}/saq/butir/{item_id}/bawa", name="improvement.carry_forward"
)
def carry_forward(
    request: Request,
    cycle_id: int,
    body_id: int,
    item_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = submissions.get_workspace(db, actor, cycle_id, body_id)
    try:
        done = carry.carry_forward(db, actor, ws, item_id)
    except RECOVERABLE as exc:
        db.rollback()
        ws = submissions.get_workspace(db, actor, cycle_id, body_id)
        return render_form_error(request, "improvement/body.html", _improve_ctx(db, ws), exc)
    return redirect(
        f"/siklus/{cycle_id}/badan/{body_id}/saq/perbaikan#item-{item_id}",
        f"{len(done)} bukti tahun lalu dibawa; jawab butirnya dan bukti akan diverifikasi ulang.",
    )


# --- calibration -------------------------------------------------------------------------------


def _calibration_ctx(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    threshold: Decimal = calibration.DEFAULT_THRESHOLD,
    min_pairs: int = calibration.DEFAULT_MIN_PAIRS,
) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "manage": can_manage(actor, cycle),
        "decide": calibration.can_decide(actor, cycle),
        "me": actor.user_id,
        **calibration.report_context(db, cycle, threshold, min_pairs),
    }


@router.get("/siklus/{cycle_id}/kalibrasi", name="improvement.calibration")
def calibration_page(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_commission(db, actor, cycle_id)
    q = request.query_params
    try:
        threshold, min_pairs = calibration.parse_flag_settings(q.get("selisih"), q.get("minimal"))
    except ValidationFailed as exc:
        ctx = {**_calibration_ctx(db, actor, cycle), "form": dict(q)}
        return render_form_error(request, "improvement/calibration.html", ctx, exc)
    ctx = _calibration_ctx(db, actor, cycle, threshold, min_pairs)
    return render(request, "improvement/calibration.html", ctx)


@router.post("/siklus/{cycle_id}/kalibrasi/sampel", name="improvement.calibration_sample")
def calibration_sample(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = service.get_cycle_for_commission(db, actor, cycle_id)
    require_manager(actor, cycle)  # before reading the form: refuse first, validate second
    try:
        n = calibration.draw_sample(
            db, actor, cycle, calibration.parse_percent(form.get("percent", ""))
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_calibration_ctx(db, actor, cycle), "form": form}
        return render_form_error(request, "improvement/calibration.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/kalibrasi", f"{n} butir dikirim untuk verifikasi ganda.")


@router.post(
    "/siklus/{cycle_id}/kalibrasi/{sample_id}/keputusan", name="improvement.calibration_decide"
)
def calibration_decide(
    request: Request,
    cycle_id: int,
    sample_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = service.get_cycle_for_commission(db, actor, cycle_id)
    try:
        calibration.decide(
            db,
            actor,
            cycle,
            sample_id,
            verdict=form.get("verdict", ""),
            note=form.get("note", ""),
            verified_option=form.get("verified_option"),
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_calibration_ctx(db, actor, cycle), "form": form, "sample_id": sample_id}
        return render_form_error(request, "improvement/calibration.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/kalibrasi", "Keputusan disimpan sebagai putusan akhir.")


def _verifier_cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if actor.organisation_id != cycle.organisation_id or not actor.has("verifikator"):
        raise Forbidden("Halaman ini untuk verifikator komisi.")
    return cycle


def _tasks_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "tasks": calibration.my_tasks(db, actor, cycle),
        "verdict_labels": calibration.VERDICT_LABELS,
    }


@router.get("/siklus/{cycle_id}/kalibrasi/tugas", name="improvement.calibration_tasks")
def calibration_tasks(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _verifier_cycle(db, actor, cycle_id)
    return render(request, "improvement/calibration_tasks.html", _tasks_ctx(db, actor, cycle))


@router.post(
    "/siklus/{cycle_id}/kalibrasi/{sample_id}/putusan", name="improvement.calibration_verdict"
)
def calibration_verdict(
    request: Request,
    cycle_id: int,
    sample_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = _verifier_cycle(db, actor, cycle_id)
    try:
        calibration.give_second_verdict(
            db,
            actor,
            cycle,
            sample_id,
            verdict=form.get("verdict", ""),
            note=form.get("note", ""),
            verified_option=form.get("verified_option"),
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_tasks_ctx(db, actor, cycle), "form": form, "sample_id": sample_id}
        return render_form_error(request, "improvement/calibration_tasks.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/kalibrasi/tugas", "Putusan kedua disimpan.")


@router.get(
    "/siklus/{cycle_id}/kalibrasi/{sample_id}/berkas/{file_id}",
    name="improvement.calibration_file",
)
def calibration_file(
    cycle_id: int,
    sample_id: int,
    file_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """A sampled item's evidence shown to its second verifier (sandboxed, never sniffed)."""
    cycle = _verifier_cycle(db, actor, cycle_id)
    ef = calibration.blind_file(db, actor, cycle, sample_id, file_id)
    try:
        data = b"".join(evidence.blob_chunks(ef))
    except BlobNotFound as exc:
        raise NotFound("Isi berkas ini tidak ditemukan di penyimpanan.") from exc
    return Response(
        data,
        media_type=ef.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-cache",
        },
    )


# --- trends ------------------------------------------------------------------------------------


@router.get("/siklus/{cycle_id}/tren", name="improvement.trends")
def trends(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_commission(db, actor, cycle_id)
    return render(request, "improvement/trends.html", service.trend_context(db, cycle))
