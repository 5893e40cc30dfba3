"""Who is asking: session cookie or bearer token, resolved once per request."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.rules import Actor
from app.db import get_db as _plain_get_db
from app.db import open_session
from app.errors import Forbidden, NotAuthenticated
from app.jobs.service import run_deferred
from app.orgs.models import Organisation, OrgInfo

SESSION_COOKIE = "monev_session"
CSRF_COOKIE = "monev_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request (state-changing requests take SQLite's write lock up front)."""
    db = open_session(write=request.method not in SAFE_METHODS)
    db.info["defer_after_commit"] = True
    try:
        yield db
        db.commit()
        run_deferred(db)
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


_ = _plain_get_db  # scripts and jobs use the plain one


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def load_actor(request: Request, db: Session = Depends(get_db, scope="function")) -> Actor | None:
    """Resolve the session cookie (pages) or bearer token (API) into an actor, once."""
    if hasattr(request.state, "actor"):
        return request.state.actor  # type: ignore[no-any-return]
    actor: Actor | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found = accounts.resolve_api_token(db, auth[7:].strip())
        if found is None:
            raise NotAuthenticated("Token API tidak valid atau sudah dicabut.")
        user, tok = found
        actor = accounts.build_actor(db, user, tok.organisation_id)
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
                    actor = accounts.build_actor(db, user, sess.organisation_id)
    request.state.actor = actor
    org = db.get(Organisation, actor.organisation_id) if actor and actor.organisation_id else None
    request.state.organisation = OrgInfo.of(org) if org else None
    return actor


def current_actor(actor: Actor | None = Depends(load_actor)) -> Actor:
    """The logged-in actor; anonymous requests are sent to the login page (or get a 401)."""
    if actor is None:
        raise NotAuthenticated("Silakan masuk terlebih dahulu.")
    return actor


def org_actor(actor: Actor = Depends(current_actor)) -> Actor:
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


def role_actor(*roles: str) -> Callable[[Actor], Actor]:
    """A dependency admitting only actors holding one of `roles` (checked before the body)."""

    def dep(actor: Actor = Depends(org_actor)) -> Actor:
        if not (actor.is_admin or actor.has(*roles)):
            raise Forbidden("Peran Anda tidak mengizinkan tindakan ini.")
        return actor

    return dep
