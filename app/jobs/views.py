"""Pages that follow a background job: progress bar (htmx polling) and download."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.config import get_settings
from app.errors import NotFound
from app.jobs.service import get_job_for_actor
from app.web.deps import current_actor, get_db
from app.web.templating import render

router = APIRouter()


@router.get("/pekerjaan/{job_id}", name="jobs.detail")
def job_page(
    request: Request,
    job_id: str,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    job = get_job_for_actor(db, actor, job_id)
    return render(request, "jobs/detail.html", {"job": job})


@router.get("/pekerjaan/{job_id}/status", name="jobs.status")
def job_status(
    request: Request,
    job_id: str,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    job = get_job_for_actor(db, actor, job_id)
    return render(request, "jobs/_status.html", {"job": job})


@router.get("/pekerjaan/{job_id}/unduh", name="jobs.download")
def job_download(
    job_id: str,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    job = get_job_for_actor(db, actor, job_id)
    name = (job.result or {}).get("file")
    if job.status != "done" or not name:
        raise NotFound("Berkas hasil belum tersedia.")
    path = get_settings().var_dir / "jobs" / job.id / name
    if not path.is_file():
        raise NotFound("Berkas hasil tidak ditemukan.")
    return FileResponse(
        path,
        filename=name,
        headers={"X-Content-Type-Options": "nosniff"},
        content_disposition_type="attachment",
    )


class JobOut(BaseModel):
    id: str
    kind: str
    status: str
    progress: int
    total: int
    percent: int
    message: str


@router.get("/api/v1/jobs/{job_id}", response_model=JobOut, tags=["jobs"])
def job_api(
    job_id: str,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> JobOut:
    job = get_job_for_actor(db, actor, job_id)
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        total=job.total,
        percent=job.percent,
        message=job.message,
    )
