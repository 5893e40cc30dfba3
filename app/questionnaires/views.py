"""Pages of questionnaires: list and import per cycle, the editor, export and versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.config import PROJECT_ROOT
from app.cycles.access import get_cycle_for_staff
from app.cycles.models import Cycle
from app.cycles.rules import STAGE_LABELS
from app.cycles.views import cycle_page
from app.errors import RECOVERABLE, NotFound, ValidationFailed
from app.questionnaires import editor, transfer
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Questionnaire
from app.questionnaires.rules import ANSWER_TYPES, EVIDENCE_KINDS, FILE_TYPES, KINDS
from app.web.deps import get_db, org_actor, posted_form
from app.web.templating import redirect, render

router = APIRouter()

SAMPLE_FILE = PROJECT_ROOT / "app" / "demo" / "data" / "questionnaire_2025.csv"
# URL words for node kinds
KIND_SLUGS = {"indikator": "indicator", "kelompok": "group", "butir": "item"}
SLUG_OF = {v: k for k, v in KIND_SLUGS.items()}
LABELS = {
    "kinds": KINDS,
    "answer_types": ANSWER_TYPES,
    "evidence": EVIDENCE_KINDS,
    "file_types": FILE_TYPES,
    "stages": STAGE_LABELS,
    "slug_of": SLUG_OF,
}


def _list(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    qs = [
        (q, questionnaires.item_count(db, q), questionnaires.categories_served(db, q))
        for q in questionnaires.list_questionnaires(db, cycle)
    ]
    return {
        **cycle_page(db, actor, cycle, "kuesioner"),
        "questionnaires": qs,
        "q_labels": LABELS,
        "preview": None,
    }


@router.get("/siklus/{cycle_id}/kuesioner", name="questionnaires.list")
def questionnaires_list(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    return render(request, "questionnaires/list.html", _list(db, actor, cycle))


@router.post("/siklus/{cycle_id}/kuesioner/baru", name="questionnaires.create")
def questionnaires_create(
    request: Request,
    cycle_id: int,
    name: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    try:
        q = questionnaires.create_questionnaire(db, actor, cycle, name)
    except ValidationFailed as exc:
        db.rollback()
        ctx = {**_list(db, actor, cycle), "form": {"new_name": name}, "error": exc.message}
        return render(request, "questionnaires/list.html", ctx, status_code=422)
    return redirect(f"/kuesioner/{q.id}", f"Kuesioner {q.name} dibuat; tambahkan indikatornya.")


@router.post("/siklus/{cycle_id}/kuesioner/impor", name="questionnaires.import_preview")
def questionnaires_import_preview(
    request: Request,
    cycle_id: int,
    file: UploadFile | None = None,
    name: str = Form(""),
    replace_id: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    data = file.file.read() if file is not None else b""
    form = {"name": name or f"Kuesioner {cycle.name}", "replace_id": replace_id}
    try:
        preview = transfer.preview_import(
            db, actor, cycle, (file.filename or "") if file else "", data
        )
    except ValidationFailed as exc:
        ctx = {**_list(db, actor, cycle), "form": form, "error": exc.message}
        return render(request, "questionnaires/list.html", ctx, status_code=422)
    ctx = {**_list(db, actor, cycle), "form": form, "preview": preview}
    return render(request, "questionnaires/list.html", ctx, status_code=200 if preview.ok else 422)


@router.post(
    "/siklus/{cycle_id}/kuesioner/impor/{batch_id}/terapkan", name="questionnaires.import_apply"
)
def questionnaires_import_apply(
    request: Request,
    cycle_id: int,
    batch_id: str,
    name: str = Form(""),
    replace_id: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    rid = int(replace_id) if replace_id.isdigit() else None
    try:
        q = transfer.apply_import(db, actor, cycle, batch_id, name=name, replace_id=rid)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_list(db, actor, cycle), "form": {"name": name, "replace_id": replace_id}}
        return render(
            request,
            "questionnaires/list.html",
            {**ctx, "error": exc.message},
            status_code=exc.status_code,
        )
    return redirect(f"/kuesioner/{q.id}", f"Kuesioner {q.name} diimpor.")


# --- one questionnaire -------------------------------------------------------------------------


def _editor(db: Session, actor: Actor, q: Questionnaire) -> dict[str, Any]:
    cycle = questionnaires.cycle_of(db, q)
    return {
        **cycle_page(db, actor, cycle, "kuesioner"),
        "q": q,
        "tree": questionnaires.load_tree(db, q),
        "served": questionnaires.categories_served(db, q),
        "versions": questionnaires.list_versions(db, q),
        "q_labels": LABELS,
    }


@router.get("/kuesioner/contoh.csv", name="questionnaires.sample")
def questionnaires_sample(actor: Actor = Depends(org_actor)) -> Response:
    """The demo questionnaire file: a worked example of the import shape."""
    return FileResponse(
        SAMPLE_FILE, media_type="text/csv; charset=utf-8", filename="contoh-kuesioner-saq.csv"
    )


@router.get("/kuesioner/{questionnaire_id}", name="questionnaires.detail")
def questionnaires_detail(
    request: Request,
    questionnaire_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    return render(request, "questionnaires/detail.html", _editor(db, actor, q))


@router.get("/kuesioner/{questionnaire_id}/ekspor.xlsx", name="questionnaires.export")
def questionnaires_export(
    questionnaire_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    filename = f"kuesioner-{q.id}-v{q.version}.xlsx"
    return Response(
        transfer.export_xlsx(db, q),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/kuesioner/{questionnaire_id}/ubah-nama", name="questionnaires.rename")
def questionnaires_rename(
    request: Request,
    questionnaire_id: int,
    name: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    try:
        questionnaires.rename_questionnaire(db, actor, q, name)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_editor(db, actor, q), "error": exc.message, "form": {"name": name}}
        return render(request, "questionnaires/detail.html", ctx, status_code=422)
    return redirect(f"/kuesioner/{q.id}", "Nama kuesioner disimpan.")


@router.post("/kuesioner/{questionnaire_id}/hapus", name="questionnaires.delete")
def questionnaires_delete(
    questionnaire_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    cycle_id, name = q.cycle_id, q.name
    questionnaires.delete_questionnaire(db, actor, q)
    return redirect(f"/siklus/{cycle_id}/kuesioner", f"Kuesioner {name} dihapus.")


@router.get("/kuesioner/{questionnaire_id}/versi", name="questionnaires.versions")
def questionnaires_versions(
    request: Request,
    questionnaire_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    return render(request, "questionnaires/versions.html", _editor(db, actor, q))


# --- the node editor ---------------------------------------------------------------------------


def _kind(slug: str) -> str:
    if slug not in KIND_SLUGS:
        raise NotFound("Halaman tidak ditemukan.")
    return KIND_SLUGS[slug]


def _node_ctx(
    db: Session, actor: Actor, q: Questionnaire, kind: str, node_id: int | None
) -> dict[str, Any]:
    tree = questionnaires.load_tree(db, q)
    cycle = questionnaires.cycle_of(db, q)
    parents = [(i.code, f"{i.code} {i.name}") for i in tree.indicators]
    parents += [(g.code, f"{g.code} {g.title}") for g in tree.groups]
    return {
        **_editor(db, actor, q),
        "kind": kind,
        "node_id": node_id,
        "parents": sorted(parents, key=lambda p: questionnaires.natural_key(p[0])),
        "category_codes": sorted(questionnaires.cycle_category_codes(db, cycle)),
    }


@router.get("/kuesioner/{questionnaire_id}/{slug}/baru", name="questionnaires.node_new")
def questionnaires_node_new(
    request: Request,
    questionnaire_id: int,
    slug: str,
    induk: str = "",
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    kind = _kind(slug)
    form = {
        "parent": induk,
        "applies_to": "all",
        "answer_type": "yes_no",
        "weight": "1" if kind == "item" else "",
    }
    ctx = {**_node_ctx(db, actor, q, kind, None), "form": form}
    return render(request, "questionnaires/node.html", ctx)


@router.get("/kuesioner/{questionnaire_id}/{slug}/{node_id}", name="questionnaires.node")
def questionnaires_node(
    request: Request,
    questionnaire_id: int,
    slug: str,
    node_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    kind = _kind(slug)
    node = editor.get_node(db, q, kind, node_id)
    ctx = {
        **_node_ctx(db, actor, q, kind, node_id),
        "form": editor.node_form(db, q, node),
        "node": node,
    }
    return render(request, "questionnaires/node.html", ctx)


def _node_data(form: FormData) -> dict[str, str]:
    """Form fields as text; the category and file-type checkboxes become comma lists."""
    data = {k: str(v) for k, v in form.items() if k not in ("applies", "file_type")}
    applies = [str(v) for v in form.getlist("applies")]
    if applies or "applies_to" not in data:
        data["applies_to"] = ",".join(applies) or "all"
    types = [str(v) for v in form.getlist("file_type")]
    if types or "file_types" not in data:
        data["file_types"] = ",".join(types)
    return data


@router.post("/kuesioner/{questionnaire_id}/{slug}/simpan", name="questionnaires.node_save")
def questionnaires_node_save(
    request: Request,
    questionnaire_id: int,
    slug: str,
    node_id: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    posted: FormData = Depends(posted_form),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    kind = _kind(slug)
    data = _node_data(posted)
    nid = int(node_id) if node_id.isdigit() else None
    try:
        node = editor.save_node(
            db, actor, q, kind, data, node_id=nid, reason=data.get("reason", "")
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {
            **_node_ctx(db, actor, q, kind, nid),
            "form": data,
            "errors": exc.field_errors,
            "error": exc.message,
        }
        return render(request, "questionnaires/node.html", ctx, status_code=exc.status_code)
    return redirect(f"/kuesioner/{q.id}#n-{kind}-{node.id}", f"{KINDS[kind]} {node.code} disimpan.")


@router.post(
    "/kuesioner/{questionnaire_id}/{slug}/{node_id}/hapus", name="questionnaires.node_remove"
)
def questionnaires_node_remove(
    request: Request,
    questionnaire_id: int,
    slug: str,
    node_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    kind = _kind(slug)
    try:
        editor.remove_node(db, actor, q, kind, node_id, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_editor(db, actor, q), "error": exc.message}
        return render(request, "questionnaires/detail.html", ctx, status_code=exc.status_code)
    done = (
        "ditarik (tetap tersimpan untuk jawaban yang ada)"
        if kind == "item" and questionnaires.is_frozen(db, questionnaires.cycle_of(db, q))
        else "dihapus"
    )
    return redirect(f"/kuesioner/{q.id}", f"{KINDS[kind]} {done}.")


@router.post(
    "/kuesioner/{questionnaire_id}/butir/{node_id}/pulihkan", name="questionnaires.item_restore"
)
def questionnaires_item_restore(
    request: Request,
    questionnaire_id: int,
    node_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    q = questionnaires.get_questionnaire_for_actor(db, actor, questionnaire_id)
    try:
        editor.restore_item(db, actor, q, node_id, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_editor(db, actor, q), "error": exc.message}
        return render(request, "questionnaires/detail.html", ctx, status_code=exc.status_code)
    return redirect(f"/kuesioner/{q.id}", "Butir dipulihkan.")
