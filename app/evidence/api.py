"""JSON API of evidence: upload (streamed), list a body's files, check and list its links."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.evidence import flow, service
from app.evidence.models import EvidenceFile, LinkCheck
from app.web.deps import current_actor, get_db

router = APIRouter(prefix="/api/v1/bodies", tags=["evidence"])


class EvidenceFileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    body_id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime | None = None
    cycle_id: int | None = None
    item_id: int | None = None
    superseded_by_id: int | None = None
    replaces_id: int | None = None
    download_url: str

    @classmethod
    def of(cls, ef: EvidenceFile) -> EvidenceFileOut:
        return cls(
            id=ef.id,
            body_id=ef.body_id,
            original_name=ef.original_name,
            content_type=ef.content_type,
            size=ef.size,
            sha256=ef.blob_sha256,
            uploaded_at=ef.uploaded_at,
            cycle_id=ef.cycle_id,
            item_id=ef.item_id,
            superseded_by_id=ef.superseded_by_id,
            download_url=f"/evidence/{ef.id}",
        )


class LinkCheckIn(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=service.MAX_LINKS_PER_CHECK)
    cycle_id: int | None = None
    item_id: int | None = None


class LinkCheckStarted(BaseModel):
    job_id: str
    status_url: str
    urls: list[str]


class LinkCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    url: str
    status: str
    problem: str
    message: str
    http_status: int | None
    content_type: str
    final_url: str
    checked_at: datetime
    cycle_id: int | None
    item_id: int | None

    @classmethod
    def of(cls, lc: LinkCheck) -> LinkCheckOut:
        return cls.model_validate(lc)


@router.post(
    "/{body_id}/evidence",
    response_model=EvidenceFileOut,
    status_code=201,
    summary="Unggah satu berkas data dukung (multipart, isian 'file'; dialirkan)",
)
async def upload_evidence(body_id: int, request: Request) -> EvidenceFileOut:
    stored = await flow.upload(request, body_id)
    return EvidenceFileOut(
        id=stored.id,
        body_id=stored.body_id,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        replaces_id=stored.replaces_id,
        download_url=f"/evidence/{stored.id}",
    )


@router.get("/{body_id}/evidence", response_model=list[EvidenceFileOut])
def list_evidence(
    body_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[EvidenceFileOut]:
    body = service.get_body_for_evidence(db, actor, body_id)
    return [EvidenceFileOut.of(ef) for ef in service.list_files(db, body)]


def evidence_reader(
    body_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Actor:
    """Admit only people who may see the body's evidence, before the request body is parsed."""
    service.get_body_for_evidence(db, actor, body_id)
    return actor


@router.post("/{body_id}/links/check", response_model=LinkCheckStarted, status_code=202)
def check_links(
    body_id: int,
    payload: LinkCheckIn,
    actor: Actor = Depends(evidence_reader),
    db: Session = Depends(get_db, scope="function"),
) -> LinkCheckStarted:
    body = service.get_body_for_evidence(db, actor, body_id)
    job = service.request_link_check(
        db, actor, body, payload.urls, cycle_id=payload.cycle_id, item_id=payload.item_id
    )
    return LinkCheckStarted(
        job_id=job.id, status_url=f"/pekerjaan/{job.id}", urls=job.params["urls"]
    )


@router.get("/{body_id}/links", response_model=list[LinkCheckOut])
def list_links(
    body_id: int,
    cycle_id: int | None = None,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> list[LinkCheckOut]:
    body = service.get_body_for_evidence(db, actor, body_id)
    return [LinkCheckOut.of(lc) for lc in service.latest_link_checks(db, body, cycle_id=cycle_id)]
