"""Pages of a monev cycle: list, create/clone, overview, stages, categories, rules, body view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.bodies.service import get_body_for_actor
from app.cycles import categories, forms, schedule, scoring
from app.cycles import service as cycles
from app.cycles.access import (
    actor_target_body_ids,
    can_manage,
    get_cycle_for_actor,
    get_cycle_for_staff,
    is_staff_of,
    organisation_of,
    require_manager,
    require_sekretariat,
)
from app.cycles.models import Cycle
from app.cycles.rules import (
    AWARD_LABELS,
    NON_SHORTLISTED_LABELS,
    NON_SUBMITTER_LABELS,
    STAGE_CODES,
    STAGE_HELP,
    STAGE_LABELS,
)
from app.errors import RECOVERABLE, DomainError, NotFound
from app.questionnaires import service as questionnaires
from app.questionnaires.rules import ANSWER_TYPES, EVIDENCE_KINDS
from app.web.deps import get_db, org_actor, posted_form
from app.web.templating import redirect, render, render_form_error

router = APIRouter()

LABELS = {
    "stages": STAGE_LABELS,
    "stage_help": STAGE_HELP,
    "answer_types": ANSWER_TYPES,
    "evidence": EVIDENCE_KINDS,
    "non_shortlisted": NON_SHORTLISTED_LABELS,
    "non_submitter": NON_SUBMITTER_LABELS,
    "awards": AWARD_LABELS,
}


def cycle_page(db: Session, actor: Actor, cycle: Cycle, tab: str) -> dict[str, Any]:
    """What every page of a cycle shows: its header, current stage and tabs."""
    org = organisation_of(db, cycle)
    return {
        "cycle": cycle,
        "tab": tab,
        "tz": org.timezone,
        "tz_label": org.tz_label,
        "manage": can_manage(actor, cycle),
        "frozen": questionnaires.is_frozen(db, cycle),
        "moment": schedule.current_stage(db, cycle),
        "labels": LABELS,
    }


# --- list, create, clone -----------------------------------------------------------------------


@router.get("/siklus", name="cycles.list")
def cycles_list(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    items = [(c, schedule.current_stage(db, c)) for c in cycles.list_cycles(db, actor)]
    return render(request, "cycles/list.html", {"items": items, "labels": LABELS})


@router.get("/siklus/baru", name="cycles.new")
def cycles_new(
    request: Request,
    dari: int = 0,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    require_sekretariat(actor)
    sources = cycles.list_cycles(db, actor)
    form = {"source_id": str(dari or (sources[0].id if sources else "")), "fill": "1"}
    return render(request, "cycles/new.html", {"sources": sources, "form": form})


@router.post("/siklus/baru", name="cycles.create")
def cycles_create(
    request: Request,
    name: str = Form(""),
    year: str = Form(""),
    source_id: str = Form(""),
    fill: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    form = {"name": name, "year": year, "source_id": source_id, "fill": fill}
    try:
        if source_id.isdigit():
            source = get_cycle_for_actor(db, actor, int(source_id))
            cycle = cycles.clone_cycle(db, actor, source, name=name, year=year)
            note = f"Siklus {cycle.name} dibuat dari {source.name}. Periksa tanggal tahapnya."
        else:
            cycle = cycles.create_cycle(
                db, actor, name=name, year=year, fill_from_catalogue=fill == "1"
            )
            note = f"Siklus {cycle.name} dibuat. Lengkapi yang masih kurang di bawah."
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {"sources": cycles.list_cycles(db, actor), "form": form}
        return render_form_error(request, "cycles/new.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}", note)


# --- overview and opening ----------------------------------------------------------------------


def _overview(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    config = scoring.get_scoring_config(db, cycle)
    qs = [
        (q, questionnaires.item_count(db, q), questionnaires.categories_served(db, q))
        for q in questionnaires.list_questionnaires(db, cycle)
    ]
    return {
        **cycle_page(db, actor, cycle, "ringkasan"),
        "stages": schedule.stages_of(db, cycle),
        "category_rows": categories.category_rows(db, cycle),
        "questionnaires": qs,
        "config": config,
        "readiness": cycles.readiness(db, cycle),
    }


@router.get("/siklus/{cycle_id}", name="cycles.detail")
def cycles_detail(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not is_staff_of(actor, cycle.organisation_id):
        body_id = min(actor_target_body_ids(db, actor, cycle))
        return redirect(f"/siklus/{cycle.id}/badan/{body_id}")
    return render(request, "cycles/detail.html", _overview(db, actor, cycle))


@router.post("/siklus/{cycle_id}/ubah", name="cycles.update")
def cycles_update(
    request: Request,
    cycle_id: int,
    name: str = Form(""),
    year: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    try:
        cycles.update_cycle(db, actor, cycle, name=name, year=year)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_overview(db, actor, cycle), "form": {"name": name, "year": year}}
        return render_form_error(request, "cycles/detail.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}", "Nama dan tahun siklus disimpan.")


@router.post("/siklus/{cycle_id}/buka", name="cycles.open")
def cycles_open(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    try:
        cycles.open_cycle(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, "cycles/detail.html", _overview(db, actor, cycle), exc)
    return redirect(
        f"/siklus/{cycle.id}",
        f"Siklus {cycle.name} dibuka. Badan publik sasaran kini melihat jadwal dan kuesionernya.",
    )


# --- stages and extensions ---------------------------------------------------------------------


def _stages(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    codes = {s.id: s.code for s in schedule.stages_of(db, cycle)}
    extensions = [
        (e, schedule.extension_target_name(db, e), codes.get(e.stage_id, ""))
        for e in schedule.list_extensions(db, cycle)
    ]
    return {
        **cycle_page(db, actor, cycle, "tahap"),
        "rows": schedule.planner_rows(db, cycle),
        "stages": schedule.stages_of(db, cycle),
        "extensions": extensions,
        "category_list": categories.categories_of(db, cycle),
        "targets": categories.list_targets(db, cycle),
        "ext_form": {},
    }


@router.get("/siklus/{cycle_id}/tahap", name="cycles.stages")
def cycles_stages(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not is_staff_of(actor, cycle.organisation_id):
        raise NotFound("Halaman tidak ditemukan.")
    return render(request, "cycles/stages.html", _stages(db, actor, cycle))


@router.post("/siklus/{cycle_id}/tahap", name="cycles.stages_save")
def cycles_stages_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    posted: FormData = Depends(posted_form),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    data = {k: str(v) for k, v in posted.items()}
    entries = forms.stages_from_form(data, list(STAGE_CODES))
    try:
        schedule.save_stages(db, actor, cycle, entries)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_stages(db, actor, cycle), "rows": sorted(entries, key=_typed_order)}
        return render_form_error(request, "cycles/stages.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/tahap", "Jadwal tahap disimpan.")


def _typed_order(e: schedule.StageEntry) -> tuple[int, int]:
    pos = e.position.strip()
    return (0 if e.selected else 1, int(pos) if pos.isdigit() else 999)


@router.post("/siklus/{cycle_id}/perpanjangan", name="cycles.extend")
def cycles_extend(
    request: Request,
    cycle_id: int,
    stage_code: str = Form(""),
    target: str = Form(""),
    closes: str = Form(""),
    reason: str = Form(""),
    decision_ref: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    kind, _, ident = target.partition(":")
    ref = int(ident) if ident.isdigit() else None
    try:
        schedule.add_extension(
            db,
            actor,
            cycle,
            stage_code=stage_code,
            closes=closes,
            reason=reason,
            decision_ref=decision_ref,
            category_id=ref if kind == "kategori" else None,
            body_id=ref if kind == "badan" else None,
        )
    except RECOVERABLE as exc:
        db.rollback()
        typed = {"stage_code": stage_code, "target": target, "closes": closes}
        ctx = {
            **_stages(db, actor, cycle),
            "ext_form": {**typed, "reason": reason, "decision_ref": decision_ref},
        }
        return render_form_error(request, "cycles/stages.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/tahap#perpanjangan", "Perpanjangan batas waktu dicatat.")


@router.post("/siklus/{cycle_id}/perpanjangan/{extension_id}/batal", name="cycles.unextend")
def cycles_unextend(
    cycle_id: int,
    extension_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    schedule.revoke_extension(db, actor, cycle, extension_id)
    return redirect(f"/siklus/{cycle.id}/tahap#perpanjangan", "Perpanjangan dibatalkan.")


# --- categories and target bodies --------------------------------------------------------------


def _categories(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    return {
        **cycle_page(db, actor, cycle, "kategori"),
        "category_rows": categories.category_rows(db, cycle),
        "questionnaire_list": questionnaires.list_questionnaires(db, cycle),
    }


@router.get("/siklus/{cycle_id}/kategori", name="cycles.categories")
def cycles_categories(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return render(request, "cycles/categories.html", _categories(db, actor, cycle))


@router.post("/siklus/{cycle_id}/kategori", name="cycles.category_add")
def cycles_category_add(
    request: Request,
    cycle_id: int,
    code: str = Form(""),
    name: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    try:
        cat = categories.add_category(db, actor, cycle, code=code, name=name)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_categories(db, actor, cycle), "form": {"code": code, "name": name}}
        return render_form_error(request, "cycles/categories.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/kategori/{cat.id}", f"Kategori {cat.name} ditambahkan.")


@router.post("/siklus/{cycle_id}/kategori/katalog", name="cycles.category_catalogue")
def cycles_category_catalogue(
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    n = categories.add_catalogue_categories(db, actor, cycle)
    return redirect(
        f"/siklus/{cycle.id}/kategori", f"{n} kategori dari katalog komisi ditambahkan."
    )


@router.post("/siklus/{cycle_id}/kategori/{category_id}", name="cycles.category_update")
def cycles_category_update(
    request: Request,
    cycle_id: int,
    category_id: int,
    name: str = Form(""),
    questionnaire_id: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    qid = int(questionnaire_id) if questionnaire_id.isdigit() else None
    try:
        cat = categories.update_category(
            db, actor, cycle, category_id, name=name, questionnaire_id=qid
        )
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "cycles/categories.html", _categories(db, actor, cycle), exc
        )
    return redirect(f"/siklus/{cycle.id}/kategori", f"Kategori {cat.name} disimpan.")


@router.post("/siklus/{cycle_id}/kategori/{category_id}/hapus", name="cycles.category_remove")
def cycles_category_remove(
    request: Request,
    cycle_id: int,
    category_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    try:
        categories.remove_category(db, actor, cycle, category_id)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "cycles/categories.html", _categories(db, actor, cycle), exc
        )
    return redirect(f"/siklus/{cycle.id}/kategori", "Kategori dihapus.")


def _targets(db: Session, actor: Actor, cycle: Cycle, category_id: int) -> dict[str, Any]:
    cat = categories.get_category(db, cycle, category_id)
    return {
        **cycle_page(db, actor, cycle, "kategori"),
        "category": cat,
        "targets": categories.list_targets(db, cycle, cat),
        "candidates": categories.candidate_bodies(db, cycle),
        "category_list": categories.categories_of(db, cycle),
    }


@router.get("/siklus/{cycle_id}/kategori/{category_id}", name="cycles.category")
def cycles_category(
    request: Request,
    cycle_id: int,
    category_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return render(request, "cycles/targets.html", _targets(db, actor, cycle, category_id))


@router.post("/siklus/{cycle_id}/kategori/{category_id}/isi-bawaan", name="cycles.targets_fill")
def cycles_targets_fill(
    cycle_id: int,
    category_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    n = categories.add_default_targets(db, actor, cycle, category_id)
    return redirect(f"/siklus/{cycle.id}/kategori/{category_id}", f"{n} badan publik ditambahkan.")


@router.post("/siklus/{cycle_id}/sasaran", name="cycles.target_set")
def cycles_target_set(
    request: Request,
    cycle_id: int,
    body_id: str = Form(""),
    category_id: str = Form(""),
    back: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    back_id = int(back) if back.isdigit() else 0
    try:
        cat_id = int(category_id) if category_id.isdigit() else 0
        categories.set_target(db, actor, cycle, body_id=int(body_id or 0), category_id=cat_id)
    except (DomainError, ValueError) as exc:
        db.rollback()
        err = exc if isinstance(exc, DomainError) else DomainError("Pilih badan publik.")
        ctx = _targets(db, actor, cycle, back_id or int(category_id or 0))
        return render_form_error(request, "cycles/targets.html", ctx, err)
    return redirect(f"/siklus/{cycle.id}/kategori/{back_id or cat_id}", "Sasaran disimpan.")


@router.post("/siklus/{cycle_id}/sasaran/{body_id}/hapus", name="cycles.target_remove")
def cycles_target_remove(
    cycle_id: int,
    body_id: int,
    back: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    categories.remove_target(db, actor, cycle, body_id=body_id)
    where = (
        f"/siklus/{cycle.id}/kategori/{back}" if back.isdigit() else f"/siklus/{cycle.id}/kategori"
    )
    return redirect(where, "Badan publik dikeluarkan dari sasaran siklus ini.")


# --- scoring rules -----------------------------------------------------------------------------


def _rules(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    config = scoring.get_scoring_config(db, cycle)
    indicators: dict[str, str] = {}
    for q in questionnaires.list_questionnaires(db, cycle):
        for ind in questionnaires.load_spec(db, q).indicators:
            indicators.setdefault(ind.code, ind.name)
    return {
        **cycle_page(db, actor, cycle, "aturan"),
        "config": config,
        "form": forms.scoring_to_form(config),
        "indicators": indicators,
        "rows": {
            "components": range(forms.COMPONENT_ROWS),
            "bands": range(forms.BAND_ROWS),
            "ties": range(forms.TIE_ROWS),
            "awards": range(forms.AWARD_ROWS),
        },
    }


@router.get("/siklus/{cycle_id}/aturan", name="cycles.rules")
def cycles_rules(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return render(request, "cycles/rules.html", _rules(db, actor, cycle))


@router.post("/siklus/{cycle_id}/aturan", name="cycles.rules_save")
def cycles_rules_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    posted: FormData = Depends(posted_form),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    require_manager(actor, cycle)  # rights before parsing: no validation details for outsiders
    data = {k: str(v) for k, v in posted.items() if k != "csrf_token"}
    try:
        scoring.save_scoring_config(db, actor, cycle, forms.scoring_from_form(data))
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_rules(db, actor, cycle), "form": data}
        return render_form_error(request, "cycles/rules.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/aturan", "Aturan penilaian disimpan.")


# --- what a body sees --------------------------------------------------------------------------


@router.get("/siklus/{cycle_id}/badan/{body_id}", name="cycles.body")
def cycles_body(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    body = get_body_for_actor(db, actor, body_id)
    category = schedule.category_of_body(db, cycle, body.id)
    if category is None:
        raise NotFound("Badan publik ini bukan sasaran siklus tersebut.")
    panel = cycles.body_panel(db, cycle, body, category)
    return render(
        request,
        "cycles/body.html",
        {
            **cycle_page(db, actor, cycle, "badan"),
            "body": body,
            "category": category,
            "panel": panel,
            "stages": schedule.stages_of(db, cycle),
            "bq": questionnaires.questionnaire_for_body(db, cycle, body.id),
        },
    )


@router.get("/beranda/siklus", name="cycles.home_panel")
def cycles_home_panel(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """The part of the home page about cycles (loaded by htmx into /beranda)."""
    return render(
        request,
        "cycles/_home.html",
        {
            "body_panels": cycles.body_panels(db, actor),
            "staff_panels": cycles.staff_panels(db, actor),
            "labels": LABELS,
        },
    )
