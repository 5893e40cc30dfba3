"""Pages of the badan publik registry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.bodies import service
from app.bodies.models import Body
from app.errors import NotFound, ValidationFailed
from app.jobs.service import start_job
from app.orgs.service import categories, get_organisation
from app.web.deps import get_db, org_actor, posted_form
from app.web.templating import redirect, render

router = APIRouter(prefix="/badan-publik")

FORM_FIELDS = (
    "name",
    "default_category_code",
    "parent_id",
    "website",
    "address",
    "email",
    "phone",
    "ppid_name",
    "ppid_email",
    "ppid_phone",
)


def _parents(db: Session, actor: Actor) -> list[Body]:
    return list(
        db.scalars(
            select(Body)
            .where(Body.organisation_id == actor.organisation_id, Body.parent_id.is_(None))
            .order_by(Body.name)
        )
    )


@router.get("", name="bodies.list")
def bodies_list(
    request: Request,
    q: str = "",
    kategori: str = "",
    page: int = 1,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    result = service.list_bodies(db, actor, q=q, category=kategori, page=page)
    cats = categories(db, actor.organisation_id or 0)
    return render(
        request,
        "bodies/list.html",
        {
            "page": result,
            "q": q,
            "kategori": kategori,
            "categories": cats,
            "category_names": {c.code: c.name for c in cats},
        },
    )


@router.get("/baru", name="bodies.new")
def bodies_new(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not actor.has(Role.SEKRETARIAT):
        service.create_body(db, actor, {})  # raises Forbidden with the reason
    return render(
        request,
        "bodies/form.html",
        {
            "body": None,
            "categories": categories(db, actor.organisation_id or 0),
            "parents": _parents(db, actor),
            "staff": True,
        },
    )


@router.post("/baru", name="bodies.create")
def bodies_create(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: FormData = Depends(posted_form),
) -> Response:
    data = {f: str(form.get(f, "")) for f in FORM_FIELDS}
    try:
        body = service.create_body(db, actor, data)
    except ValidationFailed as exc:
        db.rollback()
        return render(
            request,
            "bodies/form.html",
            {
                "body": None,
                "categories": categories(db, actor.organisation_id or 0),
                "parents": _parents(db, actor),
                "staff": True,
                "form": data,
                "errors": exc.field_errors,
                "error": exc.message,
            },
            status_code=422,
        )
    return redirect(f"/badan-publik/{body.id}", f"{body.name} ditambahkan.")


@router.get("/impor", name="bodies.import")
def bodies_import_page(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    accounts.require_sekretariat(actor)
    return render(request, "bodies/import.html", {"preview": None})


@router.post("/impor", name="bodies.import_preview")
def bodies_import_preview(
    request: Request,
    file: UploadFile | None = None,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    accounts.require_sekretariat(actor)
    org = get_organisation(db, actor.organisation_id or 0)
    data = file.file.read() if file is not None else b""
    try:
        preview = service.preview_body_import(
            db, actor, file.filename or "" if file else "", data, org
        )
    except ValidationFailed as exc:
        return render(
            request, "bodies/import.html", {"preview": None, "error": exc.message}, status_code=422
        )
    return render(
        request, "bodies/import.html", {"preview": preview}, status_code=200 if preview.ok else 422
    )


@router.post("/impor/{batch_id}/terapkan", name="bodies.import_apply")
def bodies_import_apply(
    batch_id: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    n = service.apply_body_import(db, actor, batch_id)
    return redirect("/badan-publik", f"{n} baris badan publik diimpor.")


@router.post("/ekspor", name="bodies.export")
def bodies_export(
    actor: Actor = Depends(org_actor), db: Session = Depends(get_db, scope="function")
) -> Response:
    accounts.require_sekretariat(actor)
    job = start_job(
        db,
        kind="bodies.export",
        title="Ekspor daftar badan publik (XLSX)",
        params={},
        organisation_id=actor.organisation_id,
        created_by_id=actor.user_id,
    )
    return redirect(f"/pekerjaan/{job.id}", "Ekspor sedang disiapkan.")


@router.get("/{body_id}", name="bodies.detail")
def bodies_detail(
    request: Request,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = service.get_body_for_actor(db, actor, body_id)
    return render(request, "bodies/detail.html", detail_ctx(db, actor, body))


def detail_ctx(db: Session, actor: Actor, body: Body) -> dict[str, object]:
    """What the body's page shows (also when a colleague invitation on it is refused)."""
    parent = db.get(Body, body.parent_id) if body.parent_id else None
    return {
        "body": body,
        "parent": parent,
        "units": service.units_of(db, body),
        "operators": service.operators_of(db, body),
        "staff": service.can_see_registry(actor),
        "is_operator": actor.acts_for_body(body.id, Role.OPERATOR),
        "category_name": {c.code: c.name for c in categories(db, body.organisation_id)}.get(
            body.default_category_code or "", "—"
        ),
    }


@router.get("/{body_id}/ubah", name="bodies.edit")
def bodies_edit(
    request: Request,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = service.get_body_for_actor(db, actor, body_id)
    staff = actor.has(Role.SEKRETARIAT)
    if not staff and not actor.acts_for_body(body.id, Role.OPERATOR, Role.ATASAN_PPID):
        raise NotFound("Badan publik tidak ditemukan.")
    return render(
        request,
        "bodies/form.html",
        {
            "body": body,
            "categories": categories(db, body.organisation_id),
            "parents": _parents(db, actor),
            "staff": staff,
        },
    )


@router.post("/{body_id}/ubah", name="bodies.update")
def bodies_update(
    request: Request,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    form: FormData = Depends(posted_form),
) -> Response:
    body = service.get_body_for_actor(db, actor, body_id)
    data = {f: str(form[f]) for f in FORM_FIELDS if f in form}
    try:
        service.update_body(db, actor, body, data)
    except ValidationFailed as exc:
        db.rollback()
        body = service.get_body_for_actor(db, actor, body_id)
        return render(
            request,
            "bodies/form.html",
            {
                "body": body,
                "categories": categories(db, body.organisation_id),
                "parents": _parents(db, actor),
                "staff": actor.has(Role.SEKRETARIAT),
                "form": data,
                "errors": exc.field_errors,
                "error": exc.message,
            },
            status_code=422,
        )
    return redirect(f"/badan-publik/{body.id}", "Perubahan disimpan.")


@router.post("/{body_id}/alihkan-akun", name="bodies.handover")
def bodies_handover(
    request: Request,
    body_id: int,
    from_user_id: int = Form(0),
    to_email: str = Form(""),
    to_full_name: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = service.get_body_for_actor(db, actor, body_id)
    from_user = db.get(User, from_user_id)
    if from_user is None:
        raise NotFound("Pengguna asal tidak ditemukan.")
    new_user = accounts.hand_over_body_account(
        db, actor, body=body, from_user=from_user, to_email=to_email, to_full_name=to_full_name
    )
    return redirect(
        f"/badan-publik/{body.id}",
        f"Akun dialihkan ke {new_user.email}; riwayat tetap milik badan publik.",
    )
