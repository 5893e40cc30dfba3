from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.errors import NotFound, ValidationFailed
from app.jobs.models import Job
from app.jobs.service import (
    HANDLERS,
    PREPARED,
    get_job_for_actor,
    job_handler,
    run_job,
    start_job,
)
from app.outbox.models import OutboxMessage
from app.outbox.service import deliver_pending, queue_email
from app.outbox.tasks import deliver_outbox
from tests.factories import Factory


@pytest.fixture
def kinds() -> Any:
    added: list[str] = []

    def register(kind: str, fn: Any) -> None:
        job_handler(kind)(fn)
        added.append(kind)

    yield register
    for k in added:
        HANDLERS.pop(k, None)


def _run(db: Session, kind: str) -> Job:
    job = start_job(db, kind=kind, title="uji", params={}, organisation_id=None, created_by_id=None)
    db.flush()
    run_job(job.id)
    db.expire_all()
    found = db.get(Job, job.id)
    assert found is not None
    return found


def test_a_job_reports_progress_and_its_result(db: Session, kinds: Any) -> None:
    def work(s: Session, job: Job, progress: Any) -> dict[str, Any]:
        progress(1, 2, "setengah")
        return {"ok": True}

    kinds("test.ok", work)
    job = _run(db, "test.ok")
    assert job.status == "done" and job.result == {"ok": True} and job.percent == 100
    assert job.progress == 1 and job.total == 2


def test_a_domain_error_fails_the_job_with_its_message(db: Session, kinds: Any) -> None:
    def work(s: Session, job: Job, progress: Any) -> dict[str, Any]:
        raise ValidationFailed("Data tidak lengkap.")

    kinds("test.domain", work)
    job = _run(db, "test.domain")
    assert job.status == "failed" and job.message == "Data tidak lengkap."


def test_an_unexpected_error_fails_the_job_without_leaking_details(db: Session, kinds: Any) -> None:
    def work(s: Session, job: Job, progress: Any) -> dict[str, Any]:
        raise RuntimeError("rahasia internal")

    kinds("test.crash", work)
    job = _run(db, "test.crash")
    assert job.status == "failed" and "rahasia" not in job.message
    assert job.percent == 0


def test_finished_jobs_are_not_run_twice(db: Session, kinds: Any) -> None:
    calls: list[int] = []

    def work(s: Session, job: Job, progress: Any) -> dict[str, Any]:
        calls.append(1)
        return {}

    kinds("test.once", work)
    job = _run(db, "test.once")
    run_job(job.id)
    run_job("no-such-job")
    assert calls == [1]


def test_a_job_the_queue_cannot_take_is_failed_with_a_message_not_left_queued(
    db: Session, kinds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from app.jobs import service

    kinds("test.queued", lambda s, job, progress: {})
    job = start_job(
        db, kind="test.queued", title="uji", params={}, organisation_id=None, created_by_id=None
    )
    db.flush()

    def redis_down(job_id: str) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(service, "run_job", redis_down)
    service._enqueue(job.id)  # what start_job runs once the request has committed
    db.expire_all()
    found = db.get(Job, job.id)
    assert found is not None
    assert found.status == "failed" and found.message == service.QUEUE_DOWN
    monkeypatch.undo()
    run_job(job.id)  # started again once the queue is back: a failed job may run again
    db.expire_all()
    assert db.get(Job, job.id).status == "done"  # type: ignore[union-attr]


def test_unknown_job_kinds_are_a_programming_error(db: Session) -> None:
    with pytest.raises(ValueError):
        start_job(db, kind="nope", title="", params={}, organisation_id=None, created_by_id=None)


def test_jobs_are_visible_to_their_starter_and_the_sekretariat_only(
    db: Session, factory: Factory, kinds: Any
) -> None:
    org = factory.commission()
    starter = factory.user(org, Role.VERIFIKATOR)
    job = start_job(
        db,
        kind="bodies.export",
        title="x",
        params={},
        organisation_id=org.id,
        created_by_id=starter.id,
    )
    assert get_job_for_actor(db, factory.actor(starter), job.id)
    assert get_job_for_actor(db, factory.actor(factory.user(org, Role.SEKRETARIAT)), job.id)
    with pytest.raises(NotFound):
        get_job_for_actor(db, factory.actor(factory.user(org, Role.JURI)), job.id)
    with pytest.raises(NotFound):
        get_job_for_actor(db, factory.actor(starter), "missing")


def test_the_outbox_queues_once_per_key_and_delivers(db: Session) -> None:
    assert queue_email(db, kind="k", to="a@b.id", subject="s", body="b", dedupe_key="x:1")
    assert queue_email(db, kind="k", to="a@b.id", subject="s", body="b", dedupe_key="x:1") is None
    assert deliver_pending(db) == 1
    msg = db.scalars(select(OutboxMessage)).one()
    assert msg.status == "sent" and msg.attempts == 1 and msg.sent_at is not None
    assert deliver_pending(db) == 0


def test_the_periodic_task_delivers_the_outbox(db: Session) -> None:
    queue_email(db, kind="k", to="c@d.id", subject="s", body="b")
    db.flush()
    assert deliver_outbox.call_local() == 1


@pytest.fixture
def sqlite_file(tmp_path: Any) -> Iterator[Engine]:
    """A migrated SQLite file used the way a running server uses it: every session on its own
    connection (the test database shares one connection, which hides lock waits)."""
    from alembic import command
    from alembic.config import Config

    from app.config import PROJECT_ROOT
    from app.db import SessionLocal, get_engine, make_engine, set_engine

    eng = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    before = get_engine()
    set_engine(eng)
    SessionLocal.configure(bind=eng)
    try:
        yield eng
    finally:
        SessionLocal.configure(bind=before)
        set_engine(before)
        eng.dispose()


def _start(kind: str) -> str:
    from app.db import SessionLocal

    with SessionLocal.begin() as s:  # committed: the job runs once this block ends
        return start_job(
            s, kind=kind, title="uji", params={"n": 2}, organisation_id=None, created_by_id=None
        ).id


def test_a_writing_job_that_reports_progress_finishes_on_sqlite(sqlite_file: Engine) -> None:
    """On SQLite a handler that reads, reports progress (another connection commits) and then
    writes used to fail: its read snapshot could not become a write ("database is locked"). A
    handler declared as writing holds the write lock from its start instead."""
    from app.db import SessionLocal

    def work(s: Session, job: Job, progress: Any) -> dict[str, Any]:
        progress(0, 2, "mulai")
        s.add(Job(id="ditulis-oleh-pekerjaan", kind="test.other", title="x", params={}))
        s.flush()
        progress(1, 2, "setengah")
        return {"ok": True}

    job_handler("test.writes", writes=True)(work)
    try:
        job_id = _start("test.writes")
    finally:
        HANDLERS.pop("test.writes")
    with SessionLocal() as s:
        job = s.get(Job, job_id)
        assert job is not None
        assert (job.status, job.result, job.message) == ("done", {"ok": True}, "")
        assert s.get(Job, "ditulis-oleh-pekerjaan") is not None


def test_a_job_prepares_outside_its_transaction_with_live_progress(sqlite_file: Engine) -> None:
    """`prepare` runs before the handler's transaction: its progress is visible to others
    while it works, and the handler gets what it prepared."""
    from app.db import SessionLocal

    seen: list[tuple[int, int]] = []

    def prepare(params: dict[str, Any], progress: Any) -> list[int]:
        for n in range(1, params["n"] + 1):
            progress(n, params["n"], "")
            with SessionLocal() as other:  # what a polling page sees meanwhile
                row = other.scalars(select(Job).where(Job.kind == "test.prepared")).one()
                seen.append((row.progress, row.total))
        return [10, 20]

    def work(s: Session, job: Job, progress: Any) -> dict[str, Any]:
        s.add(Job(id="hasil-persiapan", kind="test.other", title="x", params={}))
        return {"sum": sum(s.info[PREPARED])}

    job_handler("test.prepared", writes=True, prepare=prepare)(work)
    try:
        job_id = _start("test.prepared")
    finally:
        HANDLERS.pop("test.prepared")
    assert seen == [(1, 2), (2, 2)]
    with SessionLocal() as s:
        job = s.get(Job, job_id)
        assert job is not None and (job.status, job.result) == ("done", {"sum": 30})
