"""Use-cases of evidence: store a checked upload, find files for an actor, check links."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.config import get_settings
from app.db import open_session, utcnow
from app.errors import Forbidden, NotFound, ValidationFailed
from app.evidence import rules
from app.evidence.links import LinkResult, check_link
from app.evidence.models import EvidenceBlob, EvidenceFile, LinkCheck
from app.evidence.rules import UploadPolicy
from app.evidence.storage import Storage, StorageError, blob_key, get_storage
from app.evidence.upload import StagedUpload
from app.internal.models import LinkedEvidence
from app.jobs.models import Job
from app.jobs.service import PREPARED, Progress, job_handler, start_job

MAX_LINKS_PER_CHECK = 50


@contextmanager
def transaction(*, write: bool) -> Iterator[Session]:
    """A short transaction of its own, for handlers that must not hold one while streaming."""
    db = open_session(write=write)
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def default_policy() -> UploadPolicy:
    """The body-level upload policy from the settings (SAQ items pass their own)."""
    s = get_settings()
    keys = s.evidence_type_keys or rules.PDF_ONLY
    return UploadPolicy(
        allowed=keys, max_bytes=s.evidence_max_bytes, max_parts=s.evidence_max_parts
    )


def item_policy(allowed: tuple[str, ...], max_bytes: int) -> UploadPolicy:
    """The policy of one SAQ item: its allowlist (e.g. rules.PDF_ONLY, rules.PHOTO) and size."""
    s = get_settings()
    return UploadPolicy(allowed=allowed, max_bytes=max_bytes, max_parts=s.evidence_max_parts)


# --- loaders ------------------------------------------------------------------------------


def _body_or_404(db: Session, body_id: int) -> Body:
    body = db.get(Body, body_id)
    if body is None:
        raise NotFound("Badan publik tidak ditemukan.")
    return body


def _may_read(actor: Actor, body: Body) -> bool:
    return rules.can_read_body_evidence(actor, body.id, body.organisation_id, body.parent_id)


def get_body_for_evidence(db: Session, actor: Actor, body_id: int) -> Body:
    """A body whose evidence the actor may see (its people, its PPID utama, the sekretariat)."""
    body = _body_or_404(db, body_id)
    if not _may_read(actor, body):
        raise NotFound("Badan publik tidak ditemukan.")
    return body


def get_body_for_upload(db: Session, actor: Actor, body_id: int) -> Body:
    """A body the actor may add evidence to: its own operators and atasan PPID only."""
    body = _body_or_404(db, body_id)
    if body.organisation_id == actor.organisation_id and rules.can_upload_for_body(actor, body.id):
        if not body.is_active:
            raise Forbidden("Badan publik ini tidak aktif; data dukung tidak dapat ditambah.")
        return body
    if _may_read(actor, body):
        raise Forbidden(
            "Hanya operator atau atasan PPID badan publik ini yang dapat menambah data dukung."
        )
    raise NotFound("Badan publik tidak ditemukan.")


def get_evidence_file_for_actor(db: Session, actor: Actor, file_id: int) -> EvidenceFile:
    """A file the actor may download; anyone else (another body or commission) gets 404."""
    ef = db.get(EvidenceFile, file_id)
    if ef is None:
        raise NotFound("Berkas tidak ditemukan.")
    body = db.get(Body, ef.body_id)
    if body is None or body.organisation_id != ef.organisation_id:
        raise NotFound("Berkas tidak ditemukan.")
    if not (_may_read(actor, body) or _may_read_linked(db, actor, ef)):
        raise NotFound("Berkas tidak ditemukan.")
    return ef


def _may_read_linked(db: Session, actor: Actor, ef: EvidenceFile) -> bool:
    """A unit's internal evidence linked into a body's SAQ is readable by that body's readers."""
    for body_id in db.scalars(
        select(LinkedEvidence.body_id).where(LinkedEvidence.evidence_file_id == ef.id)
    ):
        linking = db.get(Body, body_id)
        if linking is not None and _may_read(actor, linking):
            return True
    return False


def list_files(db: Session, body: Body, *, include_old: bool = True) -> list[EvidenceFile]:
    """A body's files, newest first (older versions last when kept)."""
    stmt = select(EvidenceFile).where(EvidenceFile.body_id == body.id)
    if not include_old:
        stmt = stmt.where(EvidenceFile.superseded_by_id.is_(None))
    return list(
        db.scalars(
            stmt.order_by(EvidenceFile.superseded_by_id.is_not(None), EvidenceFile.id.desc())
        )
    )


# --- storing ------------------------------------------------------------------------------


def store_blob(staged: StagedUpload) -> None:
    """Put the staged bytes into storage unless they are there already; no database access.

    Call it BEFORE the transaction that records the file (as `flow.upload` does), so that the
    fsync or the S3 transfer does not happen while the transaction holds its locks. An object
    whose transaction then fails stays unreferenced and unreachable (nothing reads by hash).
    """
    key = blob_key(staged.sha256)
    if not staged.storage.exists(key):  # the same bytes are stored once per installation
        staged.storage.put_file(key, staged.path)
    staged.is_stored = True


def _ensure_blob(db: Session, staged: StagedUpload) -> None:
    if not staged.is_stored:
        store_blob(staged)
    # The row lock orders this upload against a retention purge of the same bytes
    # (`app.evidence.retention.purge` checks for live references under the same lock).
    blob = db.execute(
        select(EvidenceBlob).where(EvidenceBlob.sha256 == staged.sha256).with_for_update()
    ).scalar_one_or_none()
    if blob is None:
        try:
            with db.begin_nested():
                db.add(EvidenceBlob(sha256=staged.sha256, size=staged.size, created_at=utcnow()))
        except IntegrityError:  # the same bytes arrived in a concurrent upload
            if db.get(EvidenceBlob, staged.sha256) is None:
                raise
    elif blob.purged_at is not None:  # the retention purge removed these bytes: store again
        key = blob_key(staged.sha256)
        if not staged.storage.exists(key):
            if not staged.path.exists():  # moved into the store, then purged meanwhile
                raise StorageError("blob purged while this upload was stored; upload again")
            staged.storage.put_file(key, staged.path)
        blob.purged_at = None


def save_evidence(
    db: Session,
    actor: Actor,
    body: Body,
    staged: StagedUpload,
    *,
    cycle_id: int | None = None,
    item_id: int | None = None,
    replaces: EvidenceFile | None = None,
) -> EvidenceFile:
    """Store a checked upload as a file of `body` (optionally a new version of `replaces`).

    The caller has loaded `body` with `get_body_for_upload` and checked the stage/deadline of
    the cycle it attaches to. The staged temp file is consumed or removed either way.
    """
    try:
        if not rules.can_upload_for_body(actor, body.id):
            raise Forbidden("Anda tidak dapat menambah data dukung badan publik ini.")
        if replaces is not None and (
            replaces.body_id != body.id or replaces.superseded_by_id is not None
        ):
            raise ValidationFailed(
                "Berkas yang hendak diganti bukan versi terbaru milik badan publik ini.",
                field_errors={"replaces_id": "Tidak valid."},
            )
        _ensure_blob(db, staged)
        if replaces is not None and cycle_id is None and item_id is None:
            cycle_id, item_id = replaces.cycle_id, replaces.item_id
        ef = EvidenceFile(
            organisation_id=body.organisation_id,
            body_id=body.id,
            blob_sha256=staged.sha256,
            original_name=staged.filename[:255],
            content_type=staged.kind.content_type,
            size=staged.size,
            uploaded_by_id=actor.user_id,
            uploaded_at=utcnow(),
            cycle_id=cycle_id,
            item_id=item_id,
        )
        db.add(ef)
        db.flush()
        if replaces is not None:
            replaces.superseded_by_id = ef.id
        record(
            db,
            actor_user_id=actor.user_id,
            organisation_id=body.organisation_id,
            action="evidence.uploaded",
            object_type="evidence_file",
            object_id=ef.id,
            before={"replaces_id": replaces.id} if replaces is not None else None,
            after=_snapshot(ef),
        )
        return ef
    finally:
        staged.discard()


def _snapshot(ef: EvidenceFile) -> dict[str, Any]:
    return {
        "body_id": ef.body_id,
        "name": ef.original_name,
        "size": ef.size,
        "sha256": ef.blob_sha256,
        "content_type": ef.content_type,
        "cycle_id": ef.cycle_id,
        "item_id": ef.item_id,
    }


def parse_replaces(db: Session, body: Body, raw: str) -> EvidenceFile | None:
    """The file an upload replaces, from the optional `replaces_id` form field."""
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(
            "Berkas yang hendak diganti tidak valid.", field_errors={"replaces_id": "Tidak valid."}
        )
    ef = db.get(EvidenceFile, int(raw))
    if ef is None or ef.body_id != body.id:
        raise ValidationFailed(
            "Berkas yang hendak diganti tidak ditemukan pada badan publik ini.",
            field_errors={"replaces_id": "Tidak ditemukan."},
        )
    return ef


def blob_chunks(ef: EvidenceFile, storage: Storage | None = None) -> Iterator[bytes]:
    """The bytes of a file the caller has authorised (via `get_evidence_file_for_actor`)."""
    return (storage or get_storage()).iter_chunks(blob_key(ef.blob_sha256))


# --- links --------------------------------------------------------------------------------


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def clean_urls(raw: list[str]) -> list[str]:
    """Refuse the whole list (naming each bad link) unless every link may be checked."""
    s = get_settings()
    urls = list(dict.fromkeys(u.strip() for u in raw if u.strip()))
    if not urls:
        raise ValidationFailed("Masukkan minimal satu tautan.", field_errors={"urls": "Wajib."})
    if len(urls) > MAX_LINKS_PER_CHECK:
        raise ValidationFailed(
            f"Paling banyak {MAX_LINKS_PER_CHECK} tautan per pemeriksaan.",
            field_errors={"urls": "Terlalu banyak."},
        )
    errors = {
        u: p
        for u in urls
        if (p := rules.url_problem(u, allow_private=s.evidence_links_allow_private))
    }
    if errors:
        first = next(iter(errors.items()))
        raise ValidationFailed(
            f"Tautan ditolak: {first[0][:120]} — {first[1]}"
            + (f" (dan {len(errors) - 1} tautan lain)" if len(errors) > 1 else ""),
            field_errors={f"urls[{urls.index(u)}]": p for u, p in errors.items()},
        )
    return urls


def request_link_check(
    db: Session,
    actor: Actor | None,
    body: Body,
    raw_urls: list[str],
    *,
    cycle_id: int | None = None,
    item_id: int | None = None,
) -> Job:
    """Queue a check of a body's evidence links (by its people, or by the system if no actor)."""
    if actor is not None and not (
        rules.can_upload_for_body(actor, body.id)
        or (actor.organisation_id == body.organisation_id and actor.has(Role.SEKRETARIAT))
    ):
        raise Forbidden("Anda tidak dapat memeriksa tautan badan publik ini.")
    urls = clean_urls(raw_urls)
    job = start_job(
        db,
        kind="evidence.check_links",
        title=f"Pemeriksaan {len(urls)} tautan data dukung",
        params={
            "body_id": body.id,
            "urls": urls,
            "cycle_id": cycle_id,
            "item_id": item_id,
            "requested_by_id": actor.user_id if actor else None,
        },
        organisation_id=body.organisation_id,
        created_by_id=actor.user_id if actor else None,
    )
    record(
        db,
        actor_user_id=actor.user_id if actor else None,
        organisation_id=body.organisation_id,
        action="evidence.links_check_requested",
        object_type="body",
        object_id=body.id,
        after={"job_id": job.id, "urls": urls, "cycle_id": cycle_id, "item_id": item_id},
    )
    return job


def fetch_links(
    params: dict[str, Any], progress: Progress
) -> list[tuple[str, LinkResult, datetime]]:
    """Check each link of a link-check job (network only: no transaction is open meanwhile)."""
    urls: list[str] = list(params["urls"])
    found: list[tuple[str, LinkResult, datetime]] = []
    for n, url in enumerate(urls, start=1):
        found.append((url, check_link(url), utcnow()))
        progress(n, len(urls), f"{n} dari {len(urls)} tautan diperiksa")
    return found


@job_handler("evidence.check_links", writes=True, prepare=fetch_links)
def check_links_job(db: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Record what checking each link of the job found."""
    params = job.params
    body = _body_or_404(db, int(params["body_id"]))
    found: list[tuple[str, LinkResult, datetime]] = db.info[PREPARED]
    counts = {"ok": 0, "broken": 0, "refused": 0}
    for url, result, checked_at in found:
        db.add(
            LinkCheck(
                organisation_id=body.organisation_id,
                body_id=body.id,
                cycle_id=params.get("cycle_id"),
                item_id=params.get("item_id"),
                url=url,
                url_hash=_url_hash(url),
                status=result.status,
                problem=result.problem,
                message=result.message[:500],
                http_status=result.http_status,
                content_type=result.content_type[:200],
                final_url=result.final_url[:2000],
                job_id=job.id,
                requested_by_id=params.get("requested_by_id"),
                checked_at=checked_at,
            )
        )
        counts[result.status] = counts.get(result.status, 0) + 1
    db.flush()
    return {"checked": len(found), **counts}


def latest_link_checks(
    db: Session, body: Body, *, cycle_id: int | None = None, only_problems: bool = False
) -> list[LinkCheck]:
    """The newest check of each link of a body (a cycle's links when `cycle_id` is given)."""
    newest = select(func.max(LinkCheck.id)).where(LinkCheck.body_id == body.id)
    if cycle_id is not None:
        newest = newest.where(LinkCheck.cycle_id == cycle_id)
    newest = newest.group_by(LinkCheck.url_hash)
    stmt = select(LinkCheck).where(LinkCheck.id.in_(newest))
    if only_problems:
        stmt = stmt.where(LinkCheck.status != rules.OK)
    # Problems first (False sorts before True), then by address.
    return list(db.scalars(stmt.order_by(LinkCheck.status == rules.OK, LinkCheck.url)))


def latest_link_check(db: Session, body: Body, url: str) -> LinkCheck | None:
    """The newest check of one link of a body, or None before its first check."""
    return db.scalar(
        select(LinkCheck)
        .where(LinkCheck.body_id == body.id, LinkCheck.url_hash == _url_hash(url.strip()))
        .order_by(LinkCheck.id.desc())
        .limit(1)
    )
