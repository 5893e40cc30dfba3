"""Alembic environment: the URL comes from the app's settings (or `-x url=...`)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

import app.models  # noqa: F401  (fills the metadata)
from app.config import get_settings
from app.db import Base, UTCDateTime, make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    x = context.get_x_argument(as_dictionary=True)
    return x.get("url") or get_settings().effective_database_url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our UTC timestamp type as a plain timezone-aware DateTime in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may start at once: only one migrates, the others wait.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727000)")
        context.run_migrations()


def _is_plain_check() -> bool:
    """`alembic check` with no database named: it compares the models with the migrations."""
    import os

    cmd = getattr(config.cmd_opts, "cmd", None)
    named = os.environ.get("DATABASE_URL") or context.get_x_argument(as_dictionary=True).get("url")
    return bool(cmd) and cmd[0].__name__ == "check" and not named


def _check_on_scratch() -> None:
    """Migrate a throw-away SQLite database to head (in a process of its own) and compare the
    models with it, so the check does not depend on how far `var/monev.db` happens to be."""
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'check.db'}"
        subprocess.run(  # noqa: S603 (our own interpreter and alembic, fixed arguments)
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(config.config_file_name),
                "upgrade",
                "head",
            ],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        engine = make_engine(url)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    if _is_plain_check():
        _check_on_scratch()
        return
    url = _url()
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
