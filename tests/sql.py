"""Counting the SQL statements a block of test code sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event


class Counter:
    """Counts the statements the engine sends while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.active = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active and not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            self.statements.append(statement)


@contextmanager
def counting(bind: Engine | Connection) -> Iterator[Counter]:
    """Count the SQL statements sent to `bind` inside the block (savepoints left out)."""
    counter = Counter()
    event.listen(bind, "before_cursor_execute", counter)
    counter.active = True
    try:
        yield counter
    finally:
        counter.active = False
        event.remove(bind, "before_cursor_execute", counter)
