"""Pure ASGI middleware: request id, CSRF cookie issuance, security headers."""

from __future__ import annotations

import secrets
import uuid
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.service import request_id_var
from app.config import get_settings
from app.web.deps import CSRF_COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex
        token_ctx = request_id_var.set(rid)
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header must not break the page
            cookies = SimpleCookie()
        csrf = cookies[CSRF_COOKIE].value if CSRF_COOKIE in cookies else ""
        new_csrf = not csrf
        if new_csrf:
            csrf = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = csrf
        scope["state"]["request_id"] = rid
        settings = get_settings()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("Content-Security-Policy", CSP)
                h["X-Content-Type-Options"] = "nosniff"
                h["Referrer-Policy"] = "same-origin"
                h["X-Frame-Options"] = "DENY"
                h["X-Request-ID"] = rid
                if scope.get("scheme") == "https" or settings.cookie_secure:
                    h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if new_csrf:
                    secure = "; Secure" if settings.cookie_secure else ""
                    h.append(
                        "Set-Cookie",
                        f"{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            request_id_var.reset(token_ctx)
