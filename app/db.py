"""Database engine, declarative base and the one-transaction-per-request session."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


T = TypeVar("T")
_MEMO = "memo"


def memo(db: Session, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()` once per session until the session writes: a read that several services
    make in one request (a cycle's stages, a body's extensions) runs once. Forgotten at every
    flush, bulk write, commit and rollback, and not used while changes wait for a flush (the
    query's autoflush writes them first), so a request never reads back a stale value."""
    store: dict[tuple[Any, ...], Any] = db.info.get(_MEMO, {})
    if key in store and not (db.new or db.dirty or db.deleted):
        return store[key]  # type: ignore[no-any-return]
    value = compute()
    db.info.setdefault(_MEMO, {})[key] = value
    return value


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


for _event in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _event, _forget)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_bulk_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget(state.session)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling breaks savepoints and
    # cannot start a write transaction up front).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """Writers take the write lock at BEGIN, so a request never fails on a stale snapshot."""
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


_engine: Engine | None = None
SessionLocal = sessionmaker(expire_on_commit=False)


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    global _engine
    if _engine is None:
        from app.config import get_settings

        settings = get_settings()
        if not settings.database_url:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        url = settings.effective_database_url
        _engine = make_engine(
            url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        SessionLocal.configure(bind=_engine)
    return _engine


def open_connections(count: int) -> int:
    """Have `count` connections idle in the pool now (PostgreSQL; SQLite opens its file at
    once): a process just started then does not connect while its first requests wait. Returns
    how many were taken at once to get there (0: the pool had them). A database not reachable
    yet is no reason to stop: requests connect when they need to."""
    engine = get_engine()
    if engine.dialect.name == "sqlite" or engine.pool.checkedin() >= count:  # type: ignore[attr-defined]
        return 0
    held = []
    try:
        for _ in range(count):
            held.append(engine.connect())
    except SQLAlchemyError as exc:
        logging.getLogger(__name__).warning("could not open database connections yet: %s", exc)
    finally:
        for conn in held:
            conn.close()
    return len(held)


def set_engine(engine: Engine) -> None:
    """Point the process at another engine (tests, CLI with an explicit URL)."""
    global _engine
    _engine = engine
    SessionLocal.configure(bind=engine)


def opening_blocks(*, write: bool) -> bool:
    """Whether `open_session` may wait (for SQLite's write lock): else it touches no database."""
    return write and get_engine().dialect.name == "sqlite"


def open_session(*, write: bool) -> Session:
    """A session; on SQLite a writing one begins with the write lock held."""
    engine = get_engine()
    db = SessionLocal()
    if write and engine.dialect.name == "sqlite" and isinstance(db.bind, Engine):
        db.connection(execution_options={"sqlite_immediate": True})
    return db


def get_db() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    db = open_session(write=False)
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()
