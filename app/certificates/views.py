"""Certificate pages: the cycle's certificate page for the sekretariat and the panitia (templates,
images, issue, revoke, reissue, bulk printing, run sheet) and the public verification page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.certificates import service
from app.certificates.images import MAX_IMAGE_BYTES
from app.certificates.models import STATUS_LABELS
from app.certificates.rules import AWARD_KIND_LABELS, AwardKind
from app.certificates.templates import MERGE_FIELDS, CertificateTemplate
from app.cycles.access import can_manage, get_cycle_for_staff
from app.cycles.models import Cycle
from app.errors import RECOVERABLE
from app.web.deps import get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()
PAGE = "certificates/index.html"


def _cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    service.require_ceremony_staff(actor, cycle)
    return cycle


def _ctx(db: Session, actor: Actor, cycle: Cycle, **extra: Any) -> dict[str, Any]:
    certs = service.list_certificates(db, cycle)
    saved = service.saved_templates(db, cycle)
    settings_row = service.print_settings(db, cycle)
    ctx: dict[str, Any] = {
        "cycle": cycle,
        "manage": can_manage(actor, cycle),
        "templates": service.templates_of(db, cycle),
        "saved": saved,
        "kind_labels": AWARD_KIND_LABELS,
        "merge_fields": MERGE_FIELDS,
        "settings_row": settings_row,
        "certs": certs,
        "data": {c.id: service.certificate_data(c) for c in certs},
        "serials": {c.id: c.serial for c in certs},
        "counts": service.status_counts(certs),
        "status_labels": STATUS_LABELS,
        "drafts": {},
    }
    ctx.update(extra)
    return ctx


@router.get("/siklus/{cycle_id}/piagam", name="certificates.index")
def certificates_index(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    return render(request, PAGE, _ctx(db, actor, cycle))


def _read_image(upload: UploadFile | None) -> bytes | None:
    if upload is None:
        return None
    # One byte over the limit is enough for prepare_image to refuse it with a clear message.
    data = upload.file.read(MAX_IMAGE_BYTES + 1)
    return data or None


@router.post("/siklus/{cycle_id}/piagam/pengaturan", name="certificates.settings")
def certificates_settings(
    request: Request,
    cycle_id: int,
    place: str = Form(""),
    issued_on: str = Form(""),
    signatory_name: str = Form(""),
    signatory_title: str = Form(""),
    logo: UploadFile | None = None,
    signature: UploadFile | None = None,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    service.require_certificate_manager(actor, cycle)
    form = {
        "place": place,
        "issued_on": issued_on,
        "signatory_name": signatory_name,
        "signatory_title": signatory_title,
    }
    try:
        service.save_print_settings(
            db,
            actor,
            cycle,
            **form,
            logo=_read_image(logo),
            signature=_read_image(signature),
        )
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, PAGE, _ctx(db, actor, cycle, form=form), exc)
    return redirect(f"/siklus/{cycle.id}/piagam", "Pengaturan piagam disimpan.")


@router.post("/siklus/{cycle_id}/piagam/templat/{kind}", name="certificates.template")
def certificates_template(
    request: Request,
    cycle_id: int,
    kind: str,
    title: str = Form(""),
    body_text: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    award_kind = service.parse_kind(kind)
    try:
        service.save_template(db, actor, cycle, award_kind, title=title, body_text=body_text)
    except RECOVERABLE as exc:
        db.rollback()
        draft = CertificateTemplate(kind=award_kind, title=title, body_text=body_text)
        ctx = _ctx(db, actor, cycle, drafts={award_kind: draft}, error_kind=award_kind)
        return render_form_error(request, PAGE, ctx, exc)
    label = AWARD_KIND_LABELS[award_kind]
    return redirect(f"/siklus/{cycle.id}/piagam", f"Templat piagam {label} disimpan.")


def _preview(
    request: Request, db: Session, actor: Actor, cycle: Cycle, kind: str, draft: dict[str, str]
) -> Response:
    award_kind = service.parse_kind(kind)
    template = None
    if draft:
        template = CertificateTemplate(
            kind=award_kind, title=draft.get("title", ""), body_text=draft.get("body_text", "")
        )
    try:
        pdf = service.preview(db, cycle, award_kind, template)
    except RECOVERABLE as exc:
        ctx = _ctx(db, actor, cycle, drafts={award_kind: template}, error_kind=award_kind)
        return render_form_error(request, PAGE, ctx, exc)
    headers = {"Content-Disposition": f'inline; filename="pratinjau-{award_kind.value}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/siklus/{cycle_id}/piagam/templat/{kind}/pratinjau", name="certificates.preview")
def certificates_preview(
    request: Request,
    cycle_id: int,
    kind: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """A sample page of the saved template, as PDF shown in the browser."""
    return _preview(request, db, actor, _cycle(db, actor, cycle_id), kind, {})


@router.post(
    "/siklus/{cycle_id}/piagam/templat/{kind}/pratinjau", name="certificates.preview_draft"
)
def certificates_preview_draft(
    request: Request,
    cycle_id: int,
    kind: str,
    title: str = Form(""),
    body_text: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """A sample page of a draft (not saved) template; nothing is stored."""
    cycle = _cycle(db, actor, cycle_id)
    return _preview(request, db, actor, cycle, kind, {"title": title, "body_text": body_text})


@router.post("/siklus/{cycle_id}/piagam/terbitkan", name="certificates.issue")
def certificates_issue(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    try:
        summary = service.issue_certificates(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, PAGE, _ctx(db, actor, cycle), exc)
    return redirect(f"/siklus/{cycle.id}/piagam", summary.message)


@router.post("/siklus/{cycle_id}/piagam/{certificate_id}/cabut", name="certificates.revoke")
def certificates_revoke(
    request: Request,
    cycle_id: int,
    certificate_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    cert = service.get_certificate(db, cycle, certificate_id)
    try:
        service.revoke_certificate(db, actor, cycle, cert, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = _ctx(db, actor, cycle, form={"reason": reason}, error_cert=certificate_id)
        return render_form_error(request, PAGE, ctx, exc)
    return redirect(f"/siklus/{cycle.id}/piagam", f"Piagam {cert.serial} dicabut.")


@router.post(
    "/siklus/{cycle_id}/piagam/{certificate_id}/terbitkan-ulang", name="certificates.reissue"
)
def certificates_reissue(
    request: Request,
    cycle_id: int,
    certificate_id: int,
    reason: str = Form(""),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    cert = service.get_certificate(db, cycle, certificate_id)
    try:
        new = service.reissue_certificate(db, actor, cycle, cert, reason=reason)
    except RECOVERABLE as exc:
        db.rollback()
        ctx = _ctx(db, actor, cycle, form={"reason": reason}, error_cert=certificate_id)
        return render_form_error(request, PAGE, ctx, exc)
    return redirect(
        f"/siklus/{cycle.id}/piagam", f"Piagam {cert.serial} digantikan oleh {new.serial}."
    )


@router.get("/siklus/{cycle_id}/piagam/{certificate_id}/unduh", name="certificates.download")
def certificates_download(
    cycle_id: int,
    certificate_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    cert = service.get_certificate(db, cycle, certificate_id)
    pdf = service.certificate_pdf(db, cycle, cert)
    headers = {"Content-Disposition": f'attachment; filename="piagam-{cert.serial}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.post("/siklus/{cycle_id}/piagam/cetak", name="certificates.print")
def certificates_print(
    request: Request,
    cycle_id: int,
    format: str = Form("pdf"),
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    try:
        job = service.start_print_job(db, actor, cycle, format)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(request, PAGE, _ctx(db, actor, cycle), exc)
    return redirect(f"/pekerjaan/{job.id}", "Pencetakan piagam dimulai.")


@router.get("/siklus/{cycle_id}/piagam/susunan-acara.{fmt}", name="certificates.run_sheet")
def certificates_run_sheet(
    cycle_id: int,
    fmt: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _cycle(db, actor, cycle_id)
    data, media = service.run_sheet(db, actor, cycle, fmt)
    name = f"susunan-acara-{cycle.year}-{cycle.id}.{fmt}"
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/piagam/{serial}", name="certificates.verify")
def certificates_verify(
    request: Request, serial: str, db: Session = Depends(get_db, scope="function")
) -> Response:
    """Public: anyone who scans a certificate's QR code sees whether it is valid."""
    found = service.public_certificate(db, serial)
    return render(
        request,
        "certificates/verify.html",
        {"cert": found, "kind_labels": AWARD_KIND_LABELS, "AwardKind": AwardKind},
    )
