"""A short-lived cache of the public result pages (the most visited pages of the award season).

A page is rendered once per publication state and served from this process's memory for
`TTL_S` seconds: the key holds the page's address and a stamp of every decree's publication
state (read with one small query per request), so publishing, amending or an embargo passing
shows at once; other edits seen on these pages (a body's name) show within `TTL_S` (once a
page has expired, one request renders it again while the others are served the expired copy,
so a busy page is not rendered by every visitor at once). The CSRF
token of the page layout is punched in per visitor; pages with a flash message and searches
are never cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import utcnow
from app.results.models import Decree
from app.web.templating import FLASH_COOKIE, render, templates

TTL_S = 30.0
MAX_PAGES = 128  # a big category table is ~300 kB: at most a few tens of MB
_HOLE = "__monev_csrf_hole__"


@dataclass(frozen=True)
class _Page:
    html: str
    expires: float


_pages: OrderedDict[tuple[Any, ...], _Page] = OrderedDict()
_lock = threading.Lock()
_refreshing: set[tuple[Any, ...]] = set()  # keys whose expired page one request is rendering


def publication_stamp(db: Session) -> tuple[Any, ...]:
    """What every public page depends on: decrees published, superseded and past embargo."""
    now = utcnow()
    visible = case((Decree.public_at(now), 1), else_=0)
    row = db.execute(
        select(
            func.count(Decree.id),
            func.max(Decree.id),
            func.max(Decree.published_at),
            func.max(Decree.superseded_at),
            func.sum(visible),
        )
    ).one()
    return tuple(row)


def public_page(
    request: Request, db: Session, name: str, build: Callable[[], dict[str, Any]]
) -> Response:
    """The page `name` with the context `build()` makes, from the cache when it is fresh."""
    if request.cookies.get(FLASH_COOKIE) or request.query_params.get("q"):
        return render(request, name, build())  # a message for one visitor, a one-off search
    key = (
        str(db.get_bind().engine.url),
        str(request.base_url),  # the layout's url_for links are absolute
        request.url.path,
        request.url.query,
        publication_stamp(db),
    )
    now = time.monotonic()
    with _lock:
        page = _pages.get(key)
        refresh = page is None or page.expires <= now
        if refresh and page is not None:  # expired, same publication state
            if key in _refreshing:
                refresh = False  # another request is rendering it: serve this one meanwhile
            else:
                _refreshing.add(key)
    if refresh:
        try:
            page = _render(request, name, build, now)
            with _lock:
                _pages[key] = page
                _pages.move_to_end(key)
                while len(_pages) > MAX_PAGES:
                    _pages.popitem(last=False)
        finally:
            with _lock:
                _refreshing.discard(key)
    assert page is not None
    token = str(escape(getattr(request.state, "csrf_token", "")))  # it comes from a cookie
    return HTMLResponse(page.html.replace(_HOLE, token))


def _render(request: Request, name: str, build: Callable[[], dict[str, Any]], now: float) -> _Page:
    ctx = build()  # raises NotFound and the like before anything is kept
    html = templates.get_template(name).render(
        {
            "request": request,
            "actor": None,
            "organisation": None,
            "form": {},
            "errors": {},
            "flashes": [],
            **ctx,
            "csrf_token": _HOLE,
            "settings": get_settings(),
        }
    )
    return _Page(html, now + TTL_S)


def clear() -> None:
    with _lock:
        _pages.clear()
