"""Pages of the presentation stage: set-up (sekretariat), juror scoring, chair's lock and live
session, the schedule and its exports, and each body's own slot."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Actor, Role
from app.conflicts.service import active_affiliations, conflicted_body_ids
from app.cycles.access import can_manage, get_cycle_for_actor, is_staff_of, organisation_of
from app.cycles.models import Cycle
from app.cycles.views import cycle_page
from app.errors import RECOVERABLE, Forbidden, NotFound
from app.panels import schedule
from app.panels import service as panels
from app.panels.models import Panel, ScoreStatus
from app.panels.rules import AGGREGATION_LABELS
from app.panels.summary import submission_summary
from app.web.deps import form_fields, get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


def _staff_cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not is_staff_of(actor, cycle.organisation_id):
        raise NotFound("Siklus monev tidak ditemukan.")
    return cycle


def _setup(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    jurors = db.execute(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.organisation_id == cycle.organisation_id,
            RoleGrant.role == Role.JURI,
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(User.full_name)
    ).scalars()
    settings = panels.get_settings(db, cycle)
    return {
        **cycle_page(db, actor, cycle, "presentasi"),
        "prules": settings,
        "rubric": panels.rubric_of(db, cycle),
        "panel_rows": [(p, panels.members_of(db, p)) for p in panels.panels_of(db, cycle)],
        "jurors": list(jurors),
        "methods": AGGREGATION_LABELS,
        "shortlist_count": len(panels.shortlisted(db, cycle)),
    }


@router.get("/siklus/{cycle_id}/presentasi", name="panels.setup")
def setup_page(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    return render(request, "panels/setup.html", _setup(db, actor, cycle))


@router.post("/siklus/{cycle_id}/presentasi/aturan", name="panels.settings")
def settings_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        panels.save_settings(db, actor, cycle, data)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "panels/setup.html", {**_setup(db, actor, cycle), "form": data}, exc
        )
    return redirect(f"/siklus/{cycle.id}/presentasi", "Aturan presentasi disimpan.")


@router.post("/siklus/{cycle_id}/presentasi/rubrik", name="panels.criterion_save")
def criterion_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        panels.save_criterion(
            db,
            actor,
            cycle,
            code=data.get("code", ""),
            name=data.get("name", ""),
            weight=data.get("weight", ""),
            scale_min=data.get("scale_min", "1"),
            scale_max=data.get("scale_max", "5"),
            descriptors=data.get("descriptors", ""),
            comment_required=bool(data.get("comment_required")),
            position=data.get("position", "0"),
        )
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "panels/setup.html", {**_setup(db, actor, cycle), "form": data}, exc
        )
    return redirect(f"/siklus/{cycle.id}/presentasi#rubrik", "Kriteria rubrik disimpan.")


@router.post("/siklus/{cycle_id}/presentasi/rubrik/bawaan", name="panels.rubric_default")
def rubric_default(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        panels.use_default_rubric(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "panels/setup.html", _setup(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/presentasi#rubrik", "Rubrik bawaan dipakai.")


@router.post(
    "/siklus/{cycle_id}/presentasi/rubrik/{criterion_id}/hapus", name="panels.criterion_delete"
)
def criterion_delete(
    request: Request,
    cycle_id: int,
    criterion_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    try:
        panels.delete_criterion(db, actor, cycle, criterion_id)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "panels/setup.html", _setup(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/presentasi#rubrik", "Kriteria dihapus.")


@router.post("/siklus/{cycle_id}/presentasi/panel", name="panels.create")
def panel_create(
    request: Request,
    cycle_id: int,
    name: str = Form(""),
    location: str = Form(""),
    meeting_url: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _staff_cycle(db, actor, cycle_id)
    form = {"name": name, "location": location, "meeting_url": meeting_url}
    try:
        panel = panels.create_panel(
            db, actor, cycle, name=name, location=location, meeting_url=meeting_url
        )
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "panels/setup.html", {**_setup(db, actor, cycle), "form": form}, exc
        )
    return redirect(f"/siklus/{cycle.id}/presentasi#panel", f"Panel {panel.name} dibuat.")


def _managed_panel(db: Session, actor: Actor, panel_id: int) -> tuple[Panel, Cycle]:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    if not can_manage(actor, cycle):
        raise Forbidden("Hanya sekretariat komisi yang mengatur panel.")
    return panel, cycle


@router.post("/panel/{panel_id}/juri", name="panels.add_juror")
def juror_add(
    request: Request,
    panel_id: int,
    user_id: str = Form(""),
    is_chair: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = _managed_panel(db, actor, panel_id)
    try:
        panels.add_juror(db, actor, panel, cycle, user_id=user_id, is_chair=bool(is_chair))
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "panels/setup.html", _setup(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/presentasi#panel", "Juri ditambahkan ke panel.")


@router.post("/panel/{panel_id}/juri/{user_id}/hapus", name="panels.remove_juror")
def juror_remove(
    request: Request,
    panel_id: int,
    user_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = _managed_panel(db, actor, panel_id)
    try:
        panels.remove_juror(db, actor, panel, cycle, user_id=user_id)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "panels/setup.html", _setup(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/presentasi#panel", "Juri dikeluarkan dari panel.")


@router.post("/panel/{panel_id}/ketua", name="panels.set_chair")
def chair_set(
    request: Request,
    panel_id: int,
    user_id: int = Form(0),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = _managed_panel(db, actor, panel_id)
    try:
        panels.set_chair(db, actor, panel, cycle, user_id=user_id)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "panels/setup.html", _setup(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/presentasi#panel", "Ketua panel ditetapkan.")


# --- juror ---------------------------------------------------------------------------------------


@router.get("/juri", name="panels.mine")
def my_panels(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not actor.has(Role.JURI):
        raise Forbidden("Halaman ini untuk juri.")
    return render(request, "panels/mine.html", {"rows": panels.my_panels(db, actor)})


def _panel_ctx(db: Session, actor: Actor, panel: Panel, cycle: Cycle) -> dict[str, Any]:
    member = panels.membership(db, panel, actor.user_id)
    slots = panels.slots_of(db, panel)
    settings = panels.get_settings(db, cycle)
    mine = {s.body_id: s for s in panels.panel_scores(db, panel) if s.juror_id == actor.user_id}
    chair = member is not None and member.is_chair and member.is_ready
    manage = can_manage(actor, cycle)
    see_all = manage or panel.is_locked or not settings.hide_co_scores
    ctx: dict[str, Any] = {
        "panel": panel,
        "cycle": cycle,
        "member": member,
        "chair": chair,
        "manage": manage,
        "prules": settings,
        "slots": slots,
        "mine": mine,
        "conflicted": conflicted_body_ids(db, actor.user_id, {b.id for _, b in slots}),
        "affiliations": active_affiliations(db, actor.user_id),
        "members": panels.members_of(db, panel),
        "tz": organisation_of(db, cycle).timezone,
        "results": {r.body_id: r for r in panels.results_of(db, panel)},
        "see_all": see_all,
    }
    if chair or manage:
        ctx["progress"] = panels.progress(db, panel)
        ctx["aggregate"] = panels.aggregate(db, panel, cycle)
    if see_all:
        ctx["all_scores"] = panels.panel_scores(db, panel)
        ctx["names"] = {u.id: u.full_name for _, u in ctx["members"]}
    return ctx


@router.get("/panel/{panel_id}", name="panels.detail")
def panel_detail(
    request: Request,
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    return render(request, "panels/panel.html", _panel_ctx(db, actor, panel, cycle))


@router.post("/panel/{panel_id}/pakta", name="panels.pact")
def pact_accept(
    request: Request,
    panel_id: int,
    agree: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        panels.accept_pact(db, actor, panel, agree=bool(agree))
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "panels/panel.html", _panel_ctx(db, actor, panel, cycle), exc
        )
    return redirect(f"/panel/{panel.id}", "Pakta integritas disetujui. Deklarasikan afiliasi Anda.")


@router.post("/panel/{panel_id}/deklarasi", name="panels.declare")
def declaration_confirm(
    request: Request,
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        panels.confirm_declaration(db, actor, panel)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "panels/panel.html", _panel_ctx(db, actor, panel, cycle), exc
        )
    return redirect(f"/panel/{panel.id}", "Deklarasi konflik kepentingan dikonfirmasi.")


def _score_ctx(
    db: Session, actor: Actor, panel: Panel, cycle: Cycle, body_id: int
) -> dict[str, Any]:
    panels.require_ready(db, actor, panel)
    body = next((b for _, b in panels.slots_of(db, panel) if b.id == body_id), None)
    if body is None:
        raise NotFound("Badan publik ini tidak dinilai oleh panel ini.")
    score = panels.get_score(db, panel, body_id, actor.user_id)
    entry = next((e for e, b in panels.shortlisted(db, cycle) if b.id == body_id), None)
    conflicted = bool(conflicted_body_ids(db, actor.user_id, {body_id}))
    return {
        "panel": panel,
        "cycle": cycle,
        "body": body,
        "entry": entry,
        "rubric": panels.rubric_of(db, cycle),
        "score": score,
        "conflicted": conflicted,
        # A conflicted juror abstains and has no need to read the body's submission.
        "summary": None if conflicted else submission_summary(db, cycle, body),
        "form": {
            **{f"rating_{k}": str(v) for k, v in (score.ratings if score else {}).items()},
            **{f"comment_{k}": v for k, v in (score.comments if score else {}).items()},
            "comment": score.comment if score else "",
        },
        "final": score is not None and score.status != ScoreStatus.DRAFT,
    }


@router.get("/panel/{panel_id}/badan/{body_id}", name="panels.score_form")
def score_form(
    request: Request,
    panel_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    return render(request, "panels/score.html", _score_ctx(db, actor, panel, cycle, body_id))


@router.post("/panel/{panel_id}/badan/{body_id}", name="panels.score_save")
def score_save(
    request: Request,
    panel_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    typed = panels.ScoreInput(
        ratings={k[7:]: v for k, v in data.items() if k.startswith("rating_")},
        comments={k[8:]: v for k, v in data.items() if k.startswith("comment_")},
        comment=data.get("comment", ""),
    )
    submit = data.get("action") == "submit"
    try:
        panels.save_score(db, actor, panel, body_id, typed, submit=submit)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_score_ctx(db, actor, panel, cycle, body_id), "form": data}
        return render_form_error(request, "panels/score.html", ctx, exc)
    if submit:
        return redirect(f"/panel/{panel.id}", "Nilai dikirim. Terima kasih.")
    return redirect(f"/panel/{panel.id}/badan/{body_id}", "Draf nilai disimpan.")


@router.post("/panel/{panel_id}/badan/{body_id}/abstain", name="panels.abstain")
def score_abstain(
    request: Request,
    panel_id: int,
    body_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        panels.abstain(db, actor, panel, body_id, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_score_ctx(db, actor, panel, cycle, body_id), "form": {"reason": reason}}
        return render_form_error(request, "panels/score.html", ctx, exc)
    return redirect(f"/panel/{panel.id}", "Abstain dicatat.")


@router.post("/panel/{panel_id}/kunci", name="panels.lock")
def panel_lock(
    request: Request,
    panel_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = panels.get_panel_for_actor(db, actor, panel_id)
    try:
        panels.lock_panel(db, actor, panel)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "panels/panel.html", _panel_ctx(db, actor, panel, cycle), exc
        )
    return redirect(f"/panel/{panel.id}", "Panel dikunci. Nilai presentasi diteruskan ke hasil.")


@router.post("/panel/{panel_id}/koreksi", name="panels.correct")
def score_correct(
    request: Request,
    panel_id: int,
    body_id: int = Form(0),
    new_score: str = Form(""),
    reason: str = Form(""),
    decision_ref: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    panel, cycle = _managed_panel(db, actor, panel_id)
    form = {
        "body_id": body_id,
        "new_score": new_score,
        "reason": reason,
        "decision_ref": decision_ref,
    }
    try:
        panels.correct_score(
            db, actor, panel, body_id, new_score=new_score, reason=reason, decision_ref=decision_ref
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_panel_ctx(db, actor, panel, cycle), "form": form}
        return render_form_error(request, "panels/panel.html", ctx, exc)
    return redirect(f"/panel/{panel.id}", "Koreksi nilai dicatat.")


# --- body ----------------------------------------------------------------------------------------


@router.get("/beranda/presentasi", name="panels.home_panel")
def home_panel(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """The part of the home page about presentations: a body's slot, a juror's panels."""
    juror_rows = panels.my_panels(db, actor) if actor.has(Role.JURI) else []
    return render(
        request,
        "panels/_home.html",
        {"body_slots": schedule.body_slots(db, actor), "juror_rows": juror_rows},
    )
