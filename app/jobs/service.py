"""Start background jobs, report their progress, and run them on the queue."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.db import SessionLocal, get_engine, utcnow
from app.errors import DomainError, NotFound
from app.jobs.models import Job
from app.jobs.queue import huey

log = logging.getLogger("monev.jobs")

Progress = Callable[[int, int, str], None]
Handler = Callable[[Session, Job, Progress], dict[str, Any]]
Prepare = Callable[[dict[str, Any], Progress], Any]
HANDLERS: dict[str, Handler] = {}
_WRITERS: set[str] = set()
_PREPARE: dict[str, Prepare] = {}
PREPARED = "job_prepared"  # key of Session.info holding what `prepare` returned


def job_handler(
    kind: str, *, writes: bool = False, prepare: Prepare | None = None
) -> Callable[[Handler], Handler]:
    """Register the function that does the work of jobs of one kind.

    `writes`: the handler writes to the database. SQLite has a single writer, so such a
    handler's transaction takes the write lock when it starts (a read snapshot could not be
    turned into a write after a progress update committed) and its progress is shown when it
    ends. `prepare(params, progress)` does the slow outside work (fetching links) before the
    handler's transaction opens, with live progress and no lock held; the handler finds its
    result in `db.info[PREPARED]`.
    """

    def deco(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if writes:
            _WRITERS.add(kind)
        if prepare is not None:
            _PREPARE[kind] = prepare
        return fn

    return deco


def after_commit(db: Session, fn: Callable[[], Any]) -> None:
    """Run `fn` once the current transaction has committed (e.g. enqueue a job it created)."""
    db.info.setdefault("after_commit", []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(db: Session) -> None:
    pending = db.info.pop("after_commit", [])
    if db.info.get("defer_after_commit"):
        # The request's session runs them once commit() has fully returned (see run_deferred):
        # a callback that opens its own session must not do so halfway through this commit.
        db.info.setdefault("committed_callbacks", []).extend(pending)
        return
    for fn in pending:
        fn()


def run_deferred(db: Session) -> None:
    """Run the callbacks of transactions that have committed on this session."""
    for fn in db.info.pop("committed_callbacks", []):
        fn()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(db: Session) -> None:
    db.info.pop("after_commit", None)


def start_job(
    db: Session,
    *,
    kind: str,
    title: str,
    params: dict[str, Any],
    organisation_id: int | None,
    created_by_id: int | None,
) -> Job:
    """Create a job row and queue it once the request's transaction has committed."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind}")
    job = Job(
        id=str(uuid.uuid4()),
        kind=kind,
        title=title,
        params=params,
        organisation_id=organisation_id,
        created_by_id=created_by_id,
    )
    db.add(job)
    db.flush()
    job_id = job.id
    after_commit(db, lambda: _enqueue(job_id))
    return job


QUEUE_DOWN = "Antrean pekerjaan tidak dapat dihubungi. Mulai lagi beberapa saat lagi."


def _enqueue(job_id: str) -> None:
    """Queue a committed job; if the queue (Redis) does not answer, the job is marked failed
    with a message saying so, instead of staying "queued" for ever."""
    try:
        run_job(job_id)
    except Exception:
        log.error("could not queue job %s:\n%s", job_id, traceback.format_exc())
        _set(job_id, status="failed", message=QUEUE_DOWN, finished_at=utcnow())


def get_job_for_actor(db: Session, actor: Actor, job_id: str) -> Job:
    """A job is visible to whoever started it and to the sekretariat of its organisation."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("Pekerjaan tidak ditemukan.")
    if job.created_by_id == actor.user_id or actor.is_admin:
        return job
    if job.organisation_id == actor.organisation_id and actor.has(Role.SEKRETARIAT):
        return job
    raise NotFound("Pekerjaan tidak ditemukan.")


def _set(job_id: str, **values: Any) -> None:
    """Write job state in its own short transaction so pages see it while the job runs."""
    with SessionLocal.begin() as s:
        s.execute(update(Job).where(Job.id == job_id).values(**values))


@huey.task()
def run_job(job_id: str) -> None:
    """Run one job by its handler, recording progress, result or failure."""
    get_engine()
    with SessionLocal.begin() as s:
        job = s.get(Job, job_id)
        if job is None or job.status not in ("queued", "failed"):
            return
        kind, params = job.kind, dict(job.params)
        handler = HANDLERS[kind]
    _set(job_id, status="running", started_at=utcnow(), message="")
    holds_lock = kind in _WRITERS and get_engine().dialect.name == "sqlite"
    in_handler = False

    def progress(done: int, total: int, message: str = "") -> None:
        if not (holds_lock and in_handler):  # would wait for the handler's own lock
            _set(job_id, progress=done, total=total, message=message)

    try:
        prepare = _PREPARE.get(kind)
        prepared = prepare(params, progress) if prepare is not None else None
        with SessionLocal.begin() as s:
            if holds_lock:
                s.connection(execution_options={"sqlite_immediate": True})
            in_handler = True
            s.info[PREPARED] = prepared
            job = s.get(Job, job_id)
            assert job is not None
            result = handler(s, job, progress)
    except DomainError as exc:
        _set(job_id, status="failed", message=exc.message, finished_at=utcnow())
        return
    except Exception:  # a job must never die silently
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        _set(
            job_id, status="failed", message="Terjadi kesalahan tak terduga.", finished_at=utcnow()
        )
        return
    _set(job_id, status="done", result=result, finished_at=utcnow())


def recent_jobs(db: Session, actor: Actor, limit: int = 20) -> list[Job]:
    return list(
        db.scalars(
            select(Job)
            .where(Job.created_by_id == actor.user_id)
            .order_by(Job.created_at.desc())
            .limit(limit)
        )
    )
