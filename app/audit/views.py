"""The audit trail in the UI: a commission's recent changes and the timeline of one object."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit import rules, service
from app.errors import NotFound
from app.submissions.service import get_workspace
from app.web.deps import current_actor, get_db, role_actor
from app.web.templating import render

router = APIRouter()
overseer = role_actor(Role.SEKRETARIAT, Role.KOMISIONER)


@router.get("/riwayat", name="audit.trail")
def trail_page(
    request: Request,
    jenis: str = "",
    objek: str = "",
    aksi: str = "",
    sebelum: str = "",
    actor: Actor = Depends(overseer),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    org_id = actor.organisation_id
    assert org_id is not None
    before_id = int(sebelum) if sebelum.isdigit() and len(sebelum) < 19 else None
    entries = service.organisation_timeline(
        db,
        org_id,
        object_type=jenis[:60],
        object_id=objek.strip()[:60],
        action=aksi.strip()[:80],
        before_id=before_id,
    )
    more = len(entries) == service.PAGE_SIZE
    return render(
        request,
        "audit/trail.html",
        {
            "entries": entries,
            "types": service.object_types(db, org_id),
            "filters": {"jenis": jenis, "objek": objek, "aksi": aksi},
            "next_before": entries[-1].event.id if more else None,
            "object_label": rules.object_label,
            "show": rules.show_value,
        },
    )


@router.get("/riwayat/{object_type}/{object_id}", name="audit.object")
def object_timeline_page(
    request: Request,
    object_type: str,
    object_id: str,
    actor: Actor = Depends(overseer),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    org_id = actor.organisation_id
    assert org_id is not None
    entries = service.organisation_timeline(
        db, org_id, object_type=object_type[:60], object_id=object_id[:60], limit=500
    )
    if not entries:  # nothing of this object in the actor's commission (or no such object)
        raise NotFound("Tidak ada riwayat untuk objek ini di komisi Anda.")
    entries.reverse()  # a timeline reads oldest first
    return render(
        request,
        "audit/object.html",
        {
            "entries": entries,
            "object_type": object_type,
            "object_id": object_id,
            "label": rules.object_label(object_type),
            "show": rules.show_value,
        },
    )


@router.get("/siklus/{cycle_id}/badan/{body_id}/saq/riwayat", name="audit.submission")
def submission_timeline_page(
    request: Request,
    cycle_id: int,
    body_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    ws = get_workspace(db, actor, cycle_id, body_id)  # the body's people or its sekretariat
    entries = service.submission_timeline(db, ws.cycle.organisation_id, ws.cycle.id, ws.body.id)
    return render(
        request,
        "audit/submission.html",
        {"entries": entries, "cycle": ws.cycle, "body": ws.body, "show": rules.show_value},
    )
