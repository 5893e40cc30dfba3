"""What an app process does once when it starts serving."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import get_settings
from app.main import create_app


@pytest.mark.parametrize("freeze", [True, False])
def test_the_start_up_heap_is_frozen_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch, freeze: bool
) -> None:
    monkeypatch.setattr(get_settings(), "gc_freeze", freeze)
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app()) as client:
            frozen = gc.get_freeze_count()
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
    if freeze:
        # the modules, routes and clients of the process: far more than a request leaves behind
        assert frozen > 100_000
    else:
        assert frozen == 0


def test_every_template_compiles_when_a_process_starts() -> None:
    from app.web.templating import compile_templates, env

    count = compile_templates()
    assert count == len(env.list_templates(extensions=["html", "txt"])) > 100
    assert env.cache is not None and len(env.cache) >= count


def test_a_process_opens_its_connections_before_its_first_request(engine: Engine) -> None:
    from app.db import open_connections

    opened = open_connections(3)
    if engine.dialect.name == "sqlite":
        assert opened == 0  # one file, nothing to connect to
    else:
        assert opened in (0, 3)  # 0: earlier tests left them in the pool
        assert engine.pool.checkedin() >= 3  # type: ignore[attr-defined]
        assert open_connections(3) == 0  # nothing to do for a warm pool


def test_a_database_not_reachable_yet_does_not_stop_the_start(
    caplog: pytest.LogCaptureFixture, engine: Engine
) -> None:
    from app.db import get_engine, make_engine, open_connections, set_engine

    set_engine(
        make_engine(
            "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2}
        )
    )
    try:
        assert open_connections(2) == 0
    finally:
        get_engine().dispose()
        set_engine(engine)
    assert "could not open database connections yet" in caplog.text
