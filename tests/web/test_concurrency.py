"""Requests never hold a database session while they wait for the event loop or a thread.

Under load (scripts/bench/load) two faults froze whole app processes until the pool's 30 s
timeout: handlers declared `async` ran their database calls on the event loop (one waiting for
a row lock held by a request that needed the loop to commit), and a burst of requests took every
connection in the auth step and then waited for a worker thread, while the threads waited for
connections. These tests keep both from coming back.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Connection

from app.config import get_settings
from app.web import deps


def _dependencies(dependant):  # type: ignore[no-untyped-def]
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def test_no_async_handler_holds_a_database_session(app_instance) -> None:  # type: ignore[no-untyped-def]
    offenders = [
        route.path
        for route in app_instance.routes
        if isinstance(route, APIRoute)
        and inspect.iscoroutinefunction(route.endpoint)
        and deps.get_db in set(_dependencies(route.dependant))
    ]
    assert offenders == [], "make these plain functions (form fields: Depends(form_fields))"


def test_the_slots_leave_connections_for_uploads_and_jobs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "database_pool_size", 10)
    monkeypatch.setattr(settings, "database_max_overflow", 20)
    monkeypatch.setattr(settings, "database_request_slots", 0)
    assert deps.request_slots() == deps.DEFAULT_REQUEST_SLOTS == 6
    monkeypatch.setattr(settings, "database_request_slots", 4)
    assert deps.request_slots() == 4
    monkeypatch.setattr(settings, "database_request_slots", 40)  # more than the pool can serve
    assert deps.request_slots() == 25
    monkeypatch.setattr(settings, "database_request_slots", 0)
    monkeypatch.setattr(settings, "database_pool_size", 2)
    monkeypatch.setattr(settings, "database_max_overflow", 0)
    assert deps.request_slots() == 1


def test_requests_beyond_the_slots_wait_in_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, connection: Connection
) -> None:
    """With one slot, sessions are handed out one at a time, in order, and all are served."""
    monkeypatch.setattr(get_settings(), "database_request_slots", 1)

    class FakeRequest:
        method = "GET"

    held: list[int] = []
    most = 0

    async def one(n: int) -> None:
        nonlocal most
        gen = deps.get_db(FakeRequest())  # type: ignore[arg-type]
        db = await gen.__anext__()
        held.append(n)
        most = max(most, len(held))
        await asyncio.sleep(0.01)
        held.remove(n)
        with pytest.raises(StopAsyncIteration):
            await gen.__anext__()
        assert db is not None

    async def main() -> None:
        await asyncio.gather(*(one(n) for n in range(8)))

    asyncio.run(main())
    assert most == 1 and held == []
