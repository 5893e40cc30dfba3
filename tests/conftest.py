"""Test set-up: a database built by the migrations, each test in a rolled-back transaction.

TEST_DATABASE_URL (PostgreSQL) runs the suite there in a throw-away database; without it the
suite runs on a temporary SQLite file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="monev-test-"))
os.environ.update(
    ENVIRONMENT="test",
    HUEY_IMMEDIATE="1",
    # The suite starts thousands of apps in one process: frozen start-up heaps would never be
    # collected (tests/web/test_startup.py turns it on to check it).
    GC_FREEZE="0",
    VAR_DIR=str(_TMP / "var"),
    SECRET_KEY="test-secret-key-0123456789",
    DATABASE_URL="",
    REDIS_URL="",
    BASE_URL="http://testserver",
)

import pytest  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from sqlalchemy import Connection, Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.config import PROJECT_ROOT  # noqa: E402
from app.db import SessionLocal, make_engine, set_engine  # noqa: E402
from app.main import create_app  # noqa: E402  (imports every domain: job handlers register)
from tests.factories import Factory  # noqa: E402
from tests.servers import RedisServer  # noqa: E402

pytest_plugins: list[str] = []

# No timing in tests: a shared 2-core CI machine can be slow at any moment, and a property test
# must fail on a counterexample, not on a busy neighbour.
settings.register_profile("monev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("monev")


def _database_url() -> tuple[str, str | None]:
    pg = os.environ.get("TEST_DATABASE_URL", "")
    if pg:
        from scripts.pg_scratch import create

        url = create(pg, prefix="monev_test")
        return url, url
    return f"sqlite:///{_TMP / 'test.db'}", None


def pytest_report_header() -> str:
    pg = os.environ.get("TEST_DATABASE_URL", "")
    return f"monev database: {'PostgreSQL' if pg else 'SQLite'}"


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    url, scratch = _database_url()
    eng = make_engine(url)
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    set_engine(eng)
    yield eng
    eng.dispose()
    if scratch:
        from scripts.pg_scratch import drop

        drop(scratch)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One outer transaction per test; everything the app commits is a savepoint inside it."""
    conn = engine.connect()
    outer = conn.begin()
    SessionLocal.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        SessionLocal.configure(bind=engine)
        SessionLocal.kw.pop("join_transaction_mode", None)  # back to the default
        if outer.is_active:
            outer.rollback()
        conn.close()


_setup_sessions: list[Session] = []


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    session = SessionLocal()
    _setup_sessions.append(session)
    try:
        yield session
    finally:
        _setup_sessions.remove(session)
        session.close()


def _as_if_committed(_request: object) -> None:
    """Before a test's request, its own set-up is stored as if committed: audit records wait
    in a session until its commit (see app.audit.service), and a test never commits."""
    from app.audit.service import seal

    for session in _setup_sessions:
        seal(session)


@pytest.fixture
def factory(db: Session) -> Factory:
    return Factory(db)


@pytest.fixture(scope="session")
def app_instance():  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture
def client(app_instance, connection: Connection) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app_instance, follow_redirects=False) as c:
        c.event_hooks["request"].append(_as_if_committed)
        yield c


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private Redis server for the tests of what REDIS_URL moves there (started on first
    use; its database 0 is emptied by the tests that use it)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()
