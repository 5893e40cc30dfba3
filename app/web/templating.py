"""Jinja2 set-up, flash messages and the page renderer every view uses."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.accounts.rules import ROLE_LABELS
from app.config import PROJECT_ROOT, get_settings
from app.errors import DomainError
from app.web import format as fmt

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
env = templates.env
env.globals.update(role_labels=ROLE_LABELS)
env.filters.update(
    score=fmt.fmt_decimal,
    num=fmt.fmt_int,
    date_id=fmt.fmt_date,
    datetime_id=fmt.fmt_datetime,
)

FLASH_COOKIE = "monev_flash"


def _read_flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return []
    return [m for m in data if isinstance(m, dict)][:5] if isinstance(data, list) else []


def compile_templates() -> int:
    """Compile every page template now (~0.5 s of CPU for all), so that a process just started
    does not compile them in its first requests, under load. Returns how many there are."""
    names = env.list_templates(extensions=["html", "txt"])
    for name in names:
        env.get_template(name)
    return len(names)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """Render a page with the actor, CSRF token and pending flash messages."""
    ctx: dict[str, Any] = dict(context or {})
    state = request.state
    ctx.setdefault("actor", getattr(state, "actor", None))
    ctx.setdefault("organisation", getattr(state, "organisation", None))
    ctx.setdefault("form", {})
    ctx.setdefault("errors", {})
    ctx["csrf_token"] = getattr(state, "csrf_token", "")
    flashes = _read_flashes(request)
    ctx["flashes"] = flashes
    ctx["settings"] = get_settings()
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(url: str, message: str | None = None, kind: str = "success") -> RedirectResponse:
    """A 303 redirect carrying an optional flash message to the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        add_flash(response, message, kind)
    return response


def add_flash(response: Response, message: str, kind: str = "success") -> None:
    payload = base64.urlsafe_b64encode(
        json.dumps([{"kind": kind, "message": message}]).encode()
    ).decode()
    response.set_cookie(
        FLASH_COOKIE,
        payload,
        httponly=True,
        samesite="lax",
        path="/",
        secure=get_settings().cookie_secure,
    )


def render_form_error(
    request: Request, name: str, context: dict[str, Any], exc: DomainError
) -> Response:
    """Show a form page again with the error and what was typed (nothing of it was saved)."""
    return render(
        request,
        name,
        {**context, "error": exc.message, "errors": exc.field_errors},
        status_code=exc.status_code if exc.status_code != 400 else 422,
    )
