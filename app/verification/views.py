"""Pages of verification: the verifier's tasks and per-body sheet (htmx per item), the
sekretariat's assignment, dashboard and publication, the reviewer's confirmation, the body's
clarification thread, published result and appeals, and the berita acara / exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.cycles.access import can_manage, get_cycle_for_actor, organisation_of, require_manager
from app.cycles.models import Cycle
from app.errors import RECOVERABLE, DomainError, Forbidden, NotFound
from app.evidence import flow
from app.evidence import service as evidence
from app.evidence.models import EvidenceFile
from app.evidence.storage import BlobNotFound, StorageError
from app.precheck import service as precheck
from app.questionnaires.models import Item
from app.submissions.models import Submission
from app.submissions.service import linked_unit_files, linked_uses
from app.verification import appeals, clarifications, exports, minutes, service
from app.verification.models import AssignmentStatus
from app.web.deps import form_fields, get_db, org_actor
from app.web.templating import redirect, render, render_form_error

router = APIRouter()


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# --- verifier -----------------------------------------------------------------------------------


@router.get("/verifikasi", name="verification.tasks")
def tasks_page(
    request: Request,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Tugas verifikasi: the verifier's bodies per cycle, appeals to decide, reviews waiting."""
    if not actor.has(Role.VERIFIKATOR, Role.REVIEWER):
        raise Forbidden("Halaman ini untuk verifikator dan reviewer.")
    cycles = list(
        db.scalars(
            select(Cycle)
            .where(Cycle.organisation_id == actor.organisation_id, Cycle.status == "open")
            .order_by(Cycle.year.desc(), Cycle.id.desc())
        )
    )
    groups = [(c, service.my_tasks(db, actor, c)) for c in cycles]
    reviews = [(c, service.review_queue(db, c)) for c in cycles] if actor.has(Role.REVIEWER) else []
    return render(
        request,
        "verification/tasks.html",
        {"groups": groups, "appeals": appeals.my_appeals(db, actor), "reviews": reviews},
    )


def sheet_context(db: Session, actor: Actor, cycle: Cycle, body_id: int) -> dict[str, Any]:
    assignment = service.get_sheet_access(db, actor, cycle, body_id)
    sheet = service.load_sheet(db, cycle, body_id)
    body = sheet.body
    files: dict[int, list[EvidenceFile]] = {}
    for ef in db.scalars(
        select(EvidenceFile)
        .where(EvidenceFile.body_id == body_id, EvidenceFile.cycle_id == cycle.id)
        .order_by(EvidenceFile.id)
    ):
        if ef.item_id is not None:
            files.setdefault(ef.item_id, []).append(ef)
    for item_id, ef, _ in linked_unit_files(db, cycle.id, body_id):
        files.setdefault(item_id, []).append(ef)
    links: dict[int, list[Any]] = {}
    for check in evidence.latest_link_checks(db, body, cycle_id=cycle.id):
        if check.item_id is not None:
            links.setdefault(check.item_id, []).append(check)
    is_verifier = assignment is not None and assignment.verifier_id == actor.user_id
    return {
        "cycle": cycle,
        "sheet": sheet,
        "assignment": assignment,
        "files": files,
        "links": links,
        "can_edit": is_verifier and assignment is not None and not assignment.is_locked,
        "is_verifier": is_verifier,
        "can_manage_cycle": can_manage(actor, cycle),
        "suggestions": precheck.sheet_suggestions(db, cycle.id, body_id),
        "file_exams": precheck.file_exams(db, cycle.id, body_id),
        "can_review": bool(
            actor.has(Role.REVIEWER)
            and assignment
            and assignment.status == AssignmentStatus.SUBMITTED
            and assignment.verifier_id != actor.user_id
        ),
        "tz": organisation_of(db, cycle).timezone,
        "submitted_at": db.scalar(
            select(Submission.submitted_at).where(
                Submission.cycle_id == cycle.id, Submission.body_id == body_id
            )
        ),
        "form": {},
        "errors": {},
    }


@router.get("/verifikasi/{cycle_id}/badan/{body_id}", name="verification.sheet")
def sheet_page(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    return render(request, "verification/sheet.html", sheet_context(db, actor, cycle, body_id))


@router.post("/verifikasi/{cycle_id}/badan/{body_id}/butir/{item_id}", name="verification.verdict")
def verdict_save(
    request: Request,
    cycle_id: int,
    body_id: int,
    item_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    error: DomainError | None = None
    try:
        service.give_verdict(
            db,
            actor,
            cycle,
            body_id=body_id,
            item_id=item_id,
            verdict=data.get("verdict", ""),
            note=data.get("note", ""),
            verified_option=data.get("verified_option"),
        )
    except RECOVERABLE as exc:
        db.rollback()
        error = exc
    if _is_htmx(request):
        ctx = sheet_context(db, actor, cycle, body_id)
        line = next(ln for ln in ctx["sheet"].lines if ln.item.id == item_id)
        ctx.update(line=line, item_error=error.message if error else "", item_form=data)
        # htmx swaps 2xx only: the row shows its own error (nothing was saved).
        return render(request, "verification/_item.html", ctx)
    if error is not None:
        ctx = {**sheet_context(db, actor, cycle, body_id), "form": data}
        return render_form_error(request, "verification/sheet.html", ctx, error)
    return redirect(
        f"/verifikasi/{cycle.id}/badan/{body_id}#butir-{item_id}", "Putusan butir disimpan."
    )


@router.post(
    "/verifikasi/{cycle_id}/badan/{body_id}/klarifikasi", name="verification.clarification_ask"
)
def clarification_ask(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    try:
        clarifications.ask_clarification(
            db,
            actor,
            cycle,
            body_id=body_id,
            item_id=_int(data.get("item_id")),
            question=data.get("question", ""),
            due=data.get("due", ""),
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**sheet_context(db, actor, cycle, body_id), "form": data}
        return render_form_error(request, "verification/sheet.html", ctx, exc)
    return redirect(
        f"/verifikasi/{cycle.id}/badan/{body_id}#butir-{data.get('item_id')}",
        "Pertanyaan klarifikasi dikirim ke badan publik.",
    )


@router.post(
    "/verifikasi/{cycle_id}/klarifikasi/{clarification_id}/tutup",
    name="verification.clarification_close",
)
def clarification_close(
    request: Request,
    cycle_id: int,
    clarification_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    try:
        c = clarifications.close_clarification(db, actor, cycle, clarification_id)
    except RECOVERABLE as exc:
        db.rollback()
        return redirect(f"/verifikasi/{cycle.id}", exc.message, kind="error")
    return redirect(
        f"/verifikasi/{cycle.id}/badan/{c.body_id}#butir-{c.item_id}", "Klarifikasi ditutup."
    )


@router.get("/verifikasi/{cycle_id}", name="verification.cycle_tasks")
def cycle_tasks_redirect(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    service.get_cycle_for_verification(db, actor, cycle_id)
    return redirect("/verifikasi")


@router.post("/verifikasi/{cycle_id}/badan/{body_id}/kirim", name="verification.submit")
def submit(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    try:
        a = service.submit_verification(db, actor, cycle, body_id)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "verification/sheet.html", sheet_context(db, actor, cycle, body_id), exc
        )
    message = (
        "Verifikasi dikirim ke reviewer."
        if a.status == AssignmentStatus.SUBMITTED
        else "Verifikasi selesai dan dikunci."
    )
    return redirect(f"/verifikasi/{cycle.id}/badan/{body_id}", message)


@router.post("/verifikasi/{cycle_id}/badan/{body_id}/reviu", name="verification.review")
def review(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    try:
        service.review_verification(
            db,
            actor,
            cycle,
            body_id,
            confirm=data.get("decision") == "confirm",
            note=data.get("note", ""),
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**sheet_context(db, actor, cycle, body_id), "form": data}
        return render_form_error(request, "verification/sheet.html", ctx, exc)
    return redirect(f"/verifikasi/{cycle.id}/badan/{body_id}", "Hasil reviu disimpan.")


@router.get(
    "/verifikasi/{cycle_id}/badan/{body_id}/berita-acara.pdf", name="verification.minutes_pdf"
)
def minutes_pdf(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    service.get_sheet_access(db, actor, cycle, body_id)
    sheet = service.load_sheet(db, cycle, body_id)
    pdf = minutes.verification_minutes(db, organisation_of(db, cycle), sheet)
    return _file(pdf, "application/pdf", f"berita-acara-verifikasi-{body_id}.pdf")


@router.get("/verifikasi/{cycle_id}/badan/{body_id}/ekspor.{fmt}", name="verification.export")
def export(
    request: Request,
    cycle_id: int,
    body_id: int,
    fmt: str,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    service.get_sheet_access(db, actor, cycle, body_id)
    sheet = service.load_sheet(db, cycle, body_id)
    if fmt == "xlsx":
        return _file(
            exports.sheet_xlsx(sheet),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"verifikasi-{body_id}.xlsx",
        )
    if fmt == "pdf":
        return _file(exports.sheet_pdf(sheet), "application/pdf", f"verifikasi-{body_id}.pdf")
    raise NotFound("Format ekspor tidak dikenal.")


def _file(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _sheet_allowed(db: Session, actor: Actor, cycle_id: int, body_id: int) -> bool:
    cycle = db.get(Cycle, cycle_id)
    if cycle is None or cycle.organisation_id != actor.organisation_id:
        return False
    try:
        service.get_sheet_access(db, actor, cycle, body_id)
    except (Forbidden, NotFound):
        return False
    return True


def _verifier_may_view(db: Session, actor: Actor, file_id: int) -> EvidenceFile:
    ef = db.get(EvidenceFile, file_id)
    if ef is None or ef.cycle_id is None:
        raise NotFound("Berkas tidak ditemukan.")
    # A unit's internal evidence linked into a body's SAQ is seen where it is linked.
    uses = [(ef.cycle_id, ef.body_id)] if ef.organisation_id == actor.organisation_id else []
    uses += [(le.cycle_id, le.body_id) for le in linked_uses(db, ef.id)]
    if not any(_sheet_allowed(db, actor, cycle_id, body_id) for cycle_id, body_id in uses):
        raise NotFound("Berkas tidak ditemukan.")
    if ef.content_type != "application/pdf":
        raise NotFound("Hanya berkas PDF yang ditampilkan di peramban; unduh berkas lainnya.")
    return ef


@router.get("/verifikasi/berkas/{file_id}", name="verification.evidence_inline")
def evidence_inline(
    request: Request,
    file_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """A PDF shown inside the browser to the body's verifier (sandboxed, never sniffed)."""
    ef = _verifier_may_view(db, actor, file_id)
    try:
        data = b"".join(evidence.blob_chunks(ef))
    except BlobNotFound as exc:
        raise NotFound("Isi berkas ini tidak ditemukan di penyimpanan.") from exc
    except StorageError as exc:
        raise flow.StorageUnavailable(flow.STORAGE_DOWN) from exc
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-cache",
        },
    )


# --- sekretariat --------------------------------------------------------------------------------


def _dashboard_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "by_category": service.progress_by_category(db, cycle),
        "workload": service.workload(db, cycle),
        "reviews": service.review_queue(db, cycle),
        "open_clarifications": service.open_clarifications(db, cycle),
        "appeals": appeals.appeals_of_cycle(db, cycle),
        "can_manage": can_manage(actor, cycle),
        "form": {},
        "errors": {},
    }


def _overseer_cycle(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = service.get_cycle_for_verification(db, actor, cycle_id)
    if not service.can_oversee(actor, cycle):
        raise Forbidden("Halaman ini untuk sekretariat, komisioner, dan reviewer.")
    return cycle


@router.get("/siklus/{cycle_id}/verifikasi", name="verification.dashboard")
def dashboard(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _overseer_cycle(db, actor, cycle_id)
    return render(request, "verification/dashboard.html", _dashboard_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/verifikasi/pengaturan", name="verification.settings")
def settings_save(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = _overseer_cycle(db, actor, cycle_id)
    service.set_requires_review(db, actor, cycle, bool(data.get("requires_review")))
    return redirect(f"/siklus/{cycle.id}/verifikasi", "Pengaturan reviu disimpan.")


@router.post("/siklus/{cycle_id}/verifikasi/umumkan", name="verification.publish")
def publish(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _overseer_cycle(db, actor, cycle_id)
    try:
        n = service.publish_results(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "verification/dashboard.html", _dashboard_ctx(db, actor, cycle), exc
        )
    return redirect(
        f"/siklus/{cycle.id}/verifikasi", f"Hasil verifikasi {n} badan publik diumumkan."
    )


def _assign_ctx(db: Session, actor: Actor, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "rows": service.target_rows(db, cycle),
        "verifiers": service.verifiers_of(db, cycle),
        "workload": service.workload(db, cycle),
        "form": {},
        "errors": {},
    }


@router.get("/siklus/{cycle_id}/verifikasi/penugasan", name="verification.assignments")
def assignments_page(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _overseer_cycle(db, actor, cycle_id)
    require_manager(actor, cycle)
    return render(request, "verification/assignments.html", _assign_ctx(db, actor, cycle))


@router.post("/siklus/{cycle_id}/verifikasi/penugasan", name="verification.assign")
def assign(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    cycle = _overseer_cycle(db, actor, cycle_id)
    require_manager(actor, cycle)
    try:
        if data.get("action") == "remove":
            service.unassign(db, actor, cycle, _int(data.get("body_id")))
            message = "Penugasan dicabut."
        else:
            service.assign_verifier(
                db,
                actor,
                cycle,
                body_id=_int(data.get("body_id")),
                verifier_id=_int(data.get("verifier_id")),
            )
            message = "Verifikator ditugaskan."
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_assign_ctx(db, actor, cycle), "form": data}
        return render_form_error(request, "verification/assignments.html", ctx, exc)
    return redirect(f"/siklus/{cycle.id}/verifikasi/penugasan", message)


@router.post("/siklus/{cycle_id}/verifikasi/penugasan/otomatis", name="verification.auto_assign")
def auto_assign(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle = _overseer_cycle(db, actor, cycle_id)
    require_manager(actor, cycle)
    try:
        n, left = service.auto_assign(db, actor, cycle)
    except RECOVERABLE as exc:
        db.rollback()
        return render_form_error(
            request, "verification/assignments.html", _assign_ctx(db, actor, cycle), exc
        )
    message = f"{n} badan publik ditugaskan otomatis."
    if left:
        message += f" {len(left)} badan publik tidak dapat ditugaskan karena konflik kepentingan."
    return redirect(f"/siklus/{cycle.id}/verifikasi/penugasan", message)


# --- appeals (staff side) -------------------------------------------------------------------


def _appeal_ctx(db: Session, actor: Actor, appeal_id: int) -> dict[str, Any]:
    appeal, cycle = appeals.get_appeal(db, actor, appeal_id)
    body = db.get(Body, appeal.body_id)
    item = db.get(Item, appeal.item_id)
    rule = service.rule_item(item, "") if item else None
    return {
        "appeal": appeal,
        "cycle": cycle,
        "body": body,
        "item": item,
        "options": rule.options if rule else (),
        "evidence": db.get(EvidenceFile, appeal.evidence_file_id)
        if appeal.evidence_file_id
        else None,
        "can_decide": appeal.decider_id == actor.user_id and appeal.status == "filed",
        "is_body": actor.acts_for_body(appeal.body_id),
        "can_assign": can_manage(actor, cycle) and appeal.status == "filed",
        "verifiers": [
            u for u in service.verifiers_of(db, cycle) if u.id != appeal.original_verifier_id
        ],
        "tz": organisation_of(db, cycle).timezone,
        "form": {},
        "errors": {},
    }


@router.get("/sanggah/{appeal_id}", name="verification.appeal")
def appeal_page(
    request: Request,
    appeal_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(request, "verification/appeal.html", _appeal_ctx(db, actor, appeal_id))


@router.post("/sanggah/{appeal_id}/putusan", name="verification.appeal_decide")
def appeal_decide(
    request: Request,
    appeal_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    appeal, cycle = appeals.get_appeal(db, actor, appeal_id)
    try:
        appeals.decide_appeal(
            db,
            actor,
            appeal,
            cycle,
            decision=data.get("decision", ""),
            reason=data.get("reason", ""),
            verified_option=data.get("verified_option"),
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_appeal_ctx(db, actor, appeal_id), "form": data}
        return render_form_error(request, "verification/appeal.html", ctx, exc)
    return redirect(f"/sanggah/{appeal_id}", "Putusan sanggahan disimpan; nilai dihitung ulang.")


@router.post("/sanggah/{appeal_id}/penugasan", name="verification.appeal_assign")
def appeal_assign(
    request: Request,
    appeal_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    appeal, cycle = appeals.get_appeal(db, actor, appeal_id)
    try:
        appeals.assign_decider(db, actor, appeal, cycle, _int(data.get("decider_id")))
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_appeal_ctx(db, actor, appeal_id), "form": data}
        return render_form_error(request, "verification/appeal.html", ctx, exc)
    return redirect(f"/sanggah/{appeal_id}", "Sanggahan diteruskan ke verifikator.")


@router.get("/sanggah/{appeal_id}/berita-acara.pdf", name="verification.appeal_minutes")
def appeal_minutes(
    request: Request,
    appeal_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    appeal, cycle = appeals.get_appeal(db, actor, appeal_id)
    if appeal.status != "decided":
        raise NotFound("Berita acara tersedia setelah sanggahan diputus.")
    pdf = minutes.appeal_minutes(db, organisation_of(db, cycle), cycle, appeal)
    return _file(pdf, "application/pdf", f"berita-acara-sanggah-{appeal.id}.pdf")


# --- the body's side ----------------------------------------------------------------------------


def _body_cycle(db: Session, actor: Actor, cycle_id: int) -> tuple[Cycle, list[int]]:
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    mine = sorted(b for b in actor.body_ids)
    if not mine:
        raise Forbidden("Halaman ini untuk operator dan atasan PPID badan publik.")
    return cycle, mine


@router.get("/siklus/{cycle_id}/klarifikasi", name="verification.body_clarifications")
def body_clarifications(
    request: Request,
    cycle_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    cycle, mine = _body_cycle(db, actor, cycle_id)
    return render(request, "verification/clarifications.html", _clar_ctx(db, cycle, mine))


def _clar_ctx(db: Session, cycle: Cycle, mine: list[int]) -> dict[str, Any]:
    threads = [c for b in mine for c in clarifications.for_body(db, cycle, b)]
    items = {
        i.id: i for i in db.scalars(select(Item).where(Item.id.in_({c.item_id for c in threads})))
    }
    return {
        "cycle": cycle,
        "threads": threads,
        "items": items,
        "tz": organisation_of(db, cycle).timezone,
        "form": {},
        "errors": {},
    }


@router.post("/klarifikasi/{clarification_id}", name="verification.clarification_answer")
def clarification_answer(
    request: Request,
    clarification_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    c = clarifications.get_clarification_for_body(db, actor, clarification_id)
    try:
        clarifications.answer_clarification(db, actor, c, response=data.get("response", ""))
    except RECOVERABLE as exc:
        db.rollback()
        cycle = db.get(Cycle, c.cycle_id)
        assert cycle is not None
        ctx = {**_clar_ctx(db, cycle, sorted(actor.body_ids)), "form": data}
        return render_form_error(request, "verification/clarifications.html", ctx, exc)
    return redirect(f"/siklus/{c.cycle_id}/klarifikasi", "Jawaban klarifikasi terkirim.")


def _check_clar_upload(request: Request, clarification_id: int) -> tuple[int, int, int]:
    with evidence.transaction(write=False) as db:
        actor = flow.actor_in(request, db)
        c = clarifications.check_upload_allowed(db, actor, clarification_id)
        return c.body_id, c.cycle_id, c.item_id


def _attach_clar(request: Request, clarification_id: int, file_id: int) -> int:
    with evidence.transaction(write=True) as db:
        actor = flow.actor_in(request, db)
        return clarifications.attach_evidence(db, actor, clarification_id, file_id).cycle_id


@router.post("/klarifikasi/{clarification_id}/berkas", name="verification.clarification_upload")
async def clarification_upload(request: Request, clarification_id: int) -> Response:
    """New evidence for a clarification: a new file version (the submitted original stays)."""
    body_id, cycle_id, item_id = await run_in_threadpool(
        _check_clar_upload, request, clarification_id
    )
    try:
        stored = await flow.upload(request, body_id, cycle_id=cycle_id, item_id=item_id)
    except RECOVERABLE as exc:
        return redirect(f"/siklus/{cycle_id}/klarifikasi", exc.message, kind="error")
    await run_in_threadpool(_attach_clar, request, clarification_id, stored.id)
    return redirect(
        f"/siklus/{cycle_id}/klarifikasi", f"{stored.original_name} ditambahkan ke jawaban."
    )


def _result_ctx(db: Session, actor: Actor, cycle_id: int, body_id: int) -> dict[str, Any]:
    sheet = service.get_published_sheet(db, actor, cycle_id, body_id)
    filed = appeals.appeals_of_body(db, sheet.cycle, body_id)
    return {
        "cycle": sheet.cycle,
        "sheet": sheet,
        "appeals": {a.item_id: a for a in filed},
        "appeal_list": filed,
        "is_body": actor.acts_for_body(body_id),
        "tz": organisation_of(db, sheet.cycle).timezone,
        "form": {},
        "errors": {},
    }


@router.get("/siklus/{cycle_id}/hasil-verifikasi/{body_id}", name="verification.body_result")
def body_result(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(
        request, "verification/body_result.html", _result_ctx(db, actor, cycle_id, body_id)
    )


@router.post(
    "/siklus/{cycle_id}/hasil-verifikasi/{body_id}/sanggah", name="verification.appeal_file"
)
def appeal_file(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(org_actor),
    db: Session = Depends(get_db, scope="function"),
    data: dict[str, str] = Depends(form_fields),
) -> Response:
    ctx = _result_ctx(db, actor, cycle_id, body_id)
    try:
        appeal = appeals.file_appeal(
            db,
            actor,
            ctx["cycle"],
            body_id=body_id,
            item_id=_int(data.get("item_id")),
            reason=data.get("reason", ""),
        )
    except RECOVERABLE as exc:
        db.rollback()
        ctx = {**_result_ctx(db, actor, cycle_id, body_id), "form": data}
        return render_form_error(request, "verification/body_result.html", ctx, exc)
    return redirect(
        f"/sanggah/{appeal.id}",
        "Sanggahan diajukan. Tambahkan data dukung baru bila ada, selama masa sanggah.",
    )


def _check_appeal_upload(request: Request, appeal_id: int) -> tuple[int, int, int]:
    with evidence.transaction(write=False) as db:
        actor = flow.actor_in(request, db)
        a = appeals.check_evidence_allowed(db, actor, appeal_id)
        return a.body_id, a.cycle_id, a.item_id


def _attach_appeal(request: Request, appeal_id: int, file_id: int) -> None:
    with evidence.transaction(write=True) as db:
        actor = flow.actor_in(request, db)
        appeals.attach_evidence(db, actor, appeal_id, file_id)


@router.post("/sanggah/{appeal_id}/berkas", name="verification.appeal_upload")
async def appeal_upload(request: Request, appeal_id: int) -> Response:
    """New evidence for an appeal (a new file version; the original stays)."""
    body_id, cycle_id, item_id = await run_in_threadpool(_check_appeal_upload, request, appeal_id)
    try:
        stored = await flow.upload(request, body_id, cycle_id=cycle_id, item_id=item_id)
    except RECOVERABLE as exc:
        return redirect(f"/sanggah/{appeal_id}", exc.message, kind="error")
    await run_in_threadpool(_attach_appeal, request, appeal_id, stored.id)
    return redirect(f"/sanggah/{appeal_id}", f"{stored.original_name} ditambahkan ke sanggahan.")
