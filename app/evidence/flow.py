"""The upload and download flows shared by the JSON API and the pages.

An upload may take minutes; no database connection (nor SQLite's write lock) is held while
its bytes arrive. So these handlers do not use the request-wide session: they authorise in one
short transaction, stream without any, and store in a second short transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.rules import Actor
from app.errors import DomainError, Gone, NotFound
from app.evidence import rules, service
from app.evidence.models import EvidenceFile
from app.evidence.rules import UploadPolicy
from app.evidence.storage import BlobNotFound, StorageError, StorageFull
from app.evidence.upload import StagedUpload, receive
from app.web.deps import load_actor, require_actor

log = logging.getLogger("monev.evidence")

STORAGE_DOWN = (
    "Penyimpanan berkas sedang tidak dapat dihubungi; berkas Anda belum tersimpan. "
    "Coba lagi beberapa saat lagi."
)


STORAGE_FULL = (
    "Ruang penyimpanan berkas di server penuh; berkas Anda belum tersimpan dan data yang sudah "
    "tersimpan tidak berubah. Sekretariat komisi sudah dapat melihat masalah ini di log; coba "
    "lagi nanti."
)


class StorageUnavailable(DomainError):
    status_code = 503
    title = "Penyimpanan tidak tersedia"


class StorageExhausted(DomainError):
    status_code = 507
    title = "Ruang penyimpanan penuh"


def storage_failure(exc: StorageError) -> DomainError:
    """The error a user sees when the storage failed (logged for the operators)."""
    log.error("evidence storage failed: %s", exc)
    if isinstance(exc, StorageFull):
        return StorageExhausted(STORAGE_FULL)
    return StorageUnavailable(STORAGE_DOWN)


@dataclass(frozen=True)
class Stored:
    id: int
    body_id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    replaces_id: int | None


def actor_in(request: Request, db: Session) -> Actor:
    """The request's actor, resolved in a short transaction of the handler's own."""
    return require_actor(load_actor(request, db))


def _authorise(request: Request, body_id: int) -> Actor:
    with service.transaction(write=True) as db:
        actor = actor_in(request, db)
        service.get_body_for_upload(db, actor, body_id)
        return actor


def _store(
    actor: Actor,
    body_id: int,
    staged: StagedUpload,
    cycle_id: int | None,
    item_id: int | None,
) -> Stored:
    try:
        service.store_blob(staged)  # outside the transaction: no lock held during the fsync
        with service.transaction(write=True) as db:
            body = service.get_body_for_upload(db, actor, body_id)
            replaces = service.parse_replaces(db, body, staged.fields.get("replaces_id", ""))
            ef = service.save_evidence(
                db, actor, body, staged, cycle_id=cycle_id, item_id=item_id, replaces=replaces
            )
            return Stored(
                ef.id,
                ef.body_id,
                ef.original_name,
                ef.content_type,
                ef.size,
                ef.blob_sha256,
                replaces.id if replaces else None,
            )
    except StorageError as exc:
        raise storage_failure(exc) from exc
    finally:
        staged.discard()


async def upload(
    request: Request,
    body_id: int,
    policy: UploadPolicy | None = None,
    *,
    cycle_id: int | None = None,
    item_id: int | None = None,
) -> Stored:
    """Authorise, receive (streamed, limited, content-checked) and store one evidence file.

    The SAQ workspace calls this from its own item endpoint with the item's policy
    (`service.item_policy(...)`) and ids, after checking the cycle's stage and deadline.
    """
    try:
        actor = await run_in_threadpool(_authorise, request, body_id)
        staged = await receive(request, policy or service.default_policy())
    except StorageError as exc:
        raise storage_failure(exc) from exc
    finally:
        await close_parsed_form(request)
    return await run_in_threadpool(_store, actor, body_id, staged, cycle_id, item_id)


async def close_parsed_form(request: Request) -> None:
    """Close the spooled files of a form the CSRF check parsed (the fallback path), if any."""
    parsed = getattr(request, "_form", None)  # Starlette's cache of request.form()
    if parsed is not None:
        await parsed.close()


def raise_if_purged(ef: EvidenceFile) -> None:
    """A file whose bytes the retention purge removed answers 410 with the reason."""
    if ef.purged_at is not None:
        raise Gone(
            f"Isi berkas {ef.original_name} telah dihapus pada {ef.purged_at:%d-%m-%Y} sesuai "
            "aturan retensi data dukung; catatannya tetap tersimpan."
        )


def download(request: Request, file_id: int) -> StreamingResponse:
    """Stream a file to an actor allowed to see it, as an attachment the browser won't sniff."""
    with service.transaction(write=False) as db:
        actor = actor_in(request, db)
        ef: EvidenceFile = service.get_evidence_file_for_actor(db, actor, file_id)
        raise_if_purged(ef)
        try:
            chunks = service.blob_chunks(ef)
        except BlobNotFound as exc:
            log.error("evidence file %s: blob %s missing from storage", ef.id, ef.blob_sha256)
            raise NotFound(
                "Isi berkas ini tidak ditemukan di penyimpanan. Hubungi sekretariat komisi."
            ) from exc
        except StorageError as exc:
            raise storage_failure(exc) from exc
        headers = {
            "Content-Disposition": rules.content_disposition(ef.original_name),
            "Content-Length": str(ef.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-cache",
        }
        return StreamingResponse(chunks, media_type=ef.content_type, headers=headers)
