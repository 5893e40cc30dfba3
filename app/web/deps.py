"""Who is asking: session cookie or bearer token, resolved once per request."""

from __future__ import annotations

import asyncio
import secrets
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.accounts import service as accounts
from app.accounts.rules import Actor
from app.config import get_settings
from app.db import get_db as _plain_get_db
from app.db import open_session, opening_blocks
from app.errors import Forbidden, NotAuthenticated
from app.jobs.service import run_deferred
from app.orgs.models import Organisation, OrgInfo

SESSION_COOKIE = "monev_session"
CSRF_COOKIE = "monev_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


# One process runs Python on one core at a time (the GIL): beyond a few requests working at
# once, more only wait for each other. Measured with scripts/bench/load on 2 cores: 25 slots a
# process gave a page p95 of 2.7 s, 10 gave 1.7 s, 4–6 gave 1.5–1.9 s (see the README).
DEFAULT_REQUEST_SLOTS = 6


def request_slots() -> int:
    """How many requests of this process may hold a database session at once: the setting, or
    DEFAULT_REQUEST_SLOTS, never more than the pool can serve with 5 connections to spare."""
    s = get_settings()
    spare = max(1, s.database_pool_size + s.database_max_overflow - 5)
    return min(s.database_request_slots or DEFAULT_REQUEST_SLOTS, spare)


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    sem = _slots.get(loop)
    if sem is None:
        sem = _slots[loop] = asyncio.Semaphore(request_slots())
    return sem


def _finish(db: Session) -> None:
    """Commit, run what waited for the commit, and end the session (one trip to a thread)."""
    try:
        db.commit()
        run_deferred(db)
    finally:
        db.close()


def _discard(db: Session) -> None:
    try:
        db.rollback()
    finally:
        db.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request (state-changing requests take SQLite's write lock up front).

    A request first waits for one of the process's slots, in the event loop: without them a
    burst of requests would each take a connection in the auth step and then wait for a worker
    thread, while the threads waited for connections (a deadlock broken only by the pool's
    30 s timeout). With fewer slots than connections and threads, a request that holds a
    session always gets both. A session is opened in the event loop unless opening it waits
    for a lock (SQLite's write lock), and ended with one trip to a worker thread.
    """
    async with _slot():
        write = request.method not in SAFE_METHODS
        if opening_blocks(write=write):
            db = await run_in_threadpool(open_session, write=write)
        else:
            db = open_session(write=write)
        db.info["defer_after_commit"] = True
        try:
            yield db
        except BaseException:
            with anyio.CancelScope(shield=True):  # a client gone away still rolls back
                await run_in_threadpool(_discard, db)
            raise
        else:
            with anyio.CancelScope(shield=True):  # the commit, once begun, ends in this task
                await run_in_threadpool(_finish, db)


_ = _plain_get_db  # scripts and jobs use the plain one


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def load_actor(request: Request, db: Session = Depends(get_db, scope="function")) -> Actor | None:
    """Resolve the session cookie (pages) or bearer token (API) into an actor, once."""
    if hasattr(request.state, "actor"):
        return request.state.actor  # type: ignore[no-any-return]
    actor: Actor | None = None
    orgs: dict[int, Organisation] = {}
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found = accounts.resolve_api_token(db, auth[7:].strip())
        if found is None:
            raise NotAuthenticated("Token API tidak valid atau sudah dicabut.")
        user, tok = found
        actor = accounts.build_actor(db, user, tok.organisation_id, organisations=orgs)
        request.state.via_token = True
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            found_s = accounts.resolve_session(db, token)
            if found_s is not None:
                user, sess = found_s
                request.state.user_session = sess
                request.state.user = user
                if not sess.needs_second_factor:
                    actor = accounts.build_actor(db, user, sess.organisation_id, organisations=orgs)
    request.state.actor = actor
    org = None
    if actor and actor.organisation_id:  # an admin may act where they hold no grant
        org = orgs.get(actor.organisation_id) or db.get(Organisation, actor.organisation_id)
    request.state.organisation = OrgInfo.of(org) if org else None
    # The session's identity map holds objects weakly: kept here, the actor's commission stays
    # in it for the request, so `cycle.organisation` and `db.get` find it without a query.
    db.info["actor_organisation"] = org
    return actor


# The dependencies below only look at the actor: `async def` runs them in the event loop, where
# a plain `def` would cost each request a trip to a worker thread per dependency.


def require_actor(actor: Actor | None) -> Actor:
    """The logged-in actor; anonymous requests are sent to the login page (or get a 401)."""
    if actor is None:
        raise NotAuthenticated("Silakan masuk terlebih dahulu.")
    return actor


async def current_actor(actor: Actor | None = Depends(load_actor)) -> Actor:
    """The logged-in actor; anonymous requests are sent to the login page (or get a 401)."""
    return require_actor(actor)


async def org_actor(actor: Actor = Depends(current_actor)) -> Actor:
    """An actor acting inside an organisation (not only a platform admin without one)."""
    if actor.organisation_id is None:
        raise Forbidden("Akun Anda belum memiliki peran di komisi mana pun.")
    return actor


async def csrf_protect(request: Request) -> AsyncIterator[None]:
    """Every state-changing request carries the CSRF token (form field or X-CSRF-Token header).

    A form parsed here for its token is closed when the request ends (its uploaded files are
    temporary files).
    """
    if request.method in SAFE_METHODS or request.headers.get(
        "authorization", ""
    ).lower().startswith(
        "bearer "
    ):  # a bearer token carries no ambient credentials: another site cannot forge it
        yield
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    ctype = request.headers.get("content-type", "")
    form = None
    if not sent and (
        ctype.startswith("application/x-www-form-urlencoded")
        or ctype.startswith("multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else ""
    try:
        if not expected or not sent or not secrets.compare_digest(expected, sent):
            raise Forbidden(
                "Formulir kedaluwarsa atau tidak sah (token CSRF tidak cocok). "
                "Muat ulang halaman lalu coba lagi; data Anda belum disimpan."
            )
        yield
    finally:
        if form is not None:
            await form.close()


def role_actor(*roles: str) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency admitting only actors holding one of `roles` (checked before the body)."""

    async def dep(actor: Actor = Depends(org_actor)) -> Actor:
        if not (actor.is_admin or actor.has(*roles)):
            raise Forbidden("Peran Anda tidak mengizinkan tindakan ini.")
        return actor

    return dep


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields, read in the event loop, for handlers whose fields are
    named at run time (a rating per criterion, a verdict per item): the handler itself stays a
    plain function, run in a worker thread, so its database calls never block the event loop."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def posted_form(request: Request) -> FormData:
    """The whole posted form (lists, files), read in the event loop (see `form_fields`)."""
    return await request.form()
