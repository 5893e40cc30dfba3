"""Pages of evidence: a body's files and links, the non-JS upload fallback, the download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts.rules import Actor
from app.bodies.models import Body
from app.errors import DomainError
from app.evidence import flow, rules, service
from app.web.deps import current_actor, get_db, posted_form
from app.web.templating import redirect, render

router = APIRouter()


def _page_context(db: Session, actor: Actor, body: Body) -> dict[str, Any]:
    policy = service.default_policy()
    return {
        "body": body,
        "files": service.list_files(db, body),
        "links": service.latest_link_checks(db, body),
        "can_upload": rules.can_upload_for_body(actor, body.id) and body.is_active,
        "accept": ",".join(
            f"{rules.KINDS[k].extension},{rules.KINDS[k].content_type}"
            for k in policy.allowed
            if rules.KINDS[k].extension
        ),
        "kinds_label": " atau ".join(rules.KINDS[k].label for k in policy.allowed),
        "max_size": rules.format_size(policy.max_bytes),
        "max_bytes": policy.max_bytes,
        "fmt_size": rules.format_size,
    }


@router.get("/badan-publik/{body_id}/data-dukung", name="evidence.page")
def evidence_page(
    request: Request,
    body_id: int,
    diunggah: int | None = None,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    body = service.get_body_for_evidence(db, actor, body_id)
    ctx = _page_context(db, actor, body)
    ctx["just_uploaded"] = next((f for f in ctx["files"] if f.id == diunggah), None)
    return render(request, "evidence/files.html", ctx)


@router.post("/badan-publik/{body_id}/data-dukung", name="evidence.upload_form")
async def evidence_upload_form(request: Request, body_id: int) -> Response:
    """The upload without JavaScript (the page's script posts to the JSON API instead)."""
    try:
        stored = await flow.upload(request, body_id)
    except DomainError as exc:
        if exc.status_code in (401, 404):
            raise
        return await run_in_threadpool(_render_upload_error, request, body_id, exc)
    return redirect(
        f"/badan-publik/{body_id}/data-dukung?diunggah={stored.id}",
        f"{stored.original_name} berhasil diunggah.",
    )


def _render_upload_error(request: Request, body_id: int, exc: DomainError) -> Response:
    with service.transaction(write=False) as db:
        actor = flow.actor_in(request, db)
        body = service.get_body_for_evidence(db, actor, body_id)
        ctx = _page_context(db, actor, body)
        ctx.update(upload_error=exc.message, errors=exc.field_errors)
        return render(request, "evidence/files.html", ctx, status_code=exc.status_code)


@router.post("/badan-publik/{body_id}/tautan", name="evidence.check_links")
def evidence_check_links(
    request: Request,
    body_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
    form: FormData = Depends(posted_form),
) -> Response:
    text = str(form.get("urls", ""))
    body = service.get_body_for_evidence(db, actor, body_id)
    try:
        job = service.request_link_check(db, actor, body, text.splitlines())
    except DomainError as exc:
        db.rollback()
        ctx = _page_context(db, actor, body)
        ctx.update(form={"urls": text}, errors=exc.field_errors, link_error=exc.message)
        return render(request, "evidence/files.html", ctx, status_code=exc.status_code)
    n = len(job.params["urls"])
    return redirect(
        f"/badan-publik/{body_id}/data-dukung#tautan",
        f"Pemeriksaan {n} tautan dimulai; hasilnya tampil di daftar tautan dalam beberapa saat.",
    )


@router.get("/evidence/{file_id}", name="evidence.download")
def evidence_download(request: Request, file_id: int) -> Response:
    return flow.download(request, file_id)
