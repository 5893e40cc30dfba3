"""Render domain and HTTP errors as an Indonesian page or an RFC 9457 JSON problem."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DomainError, NotAuthenticated
from app.web.templating import render

log = logging.getLogger("monev.errors")

HTTP_TITLES = {
    400: "Permintaan tidak valid",
    401: "Perlu masuk",
    403: "Akses ditolak",
    404: "Halaman tidak ditemukan",
    405: "Metode tidak diizinkan",
    413: "Berkas terlalu besar",
    422: "Data tidak valid",
    429: "Terlalu banyak permintaan",
    500: "Terjadi kesalahan pada server",
    503: "Layanan sedang tidak tersedia",
}
HTTP_DETAILS = {
    404: "Alamat yang Anda buka tidak ada atau tidak dapat Anda akses.",
    405: "Metode permintaan ini tidak didukung untuk alamat tersebut.",
    500: "Maaf, terjadi kesalahan. Tim kami telah dicatat; data yang sudah tersimpan tetap aman.",
    503: "Basis data sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi.",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, title: str, detail: str, errors: dict[str, str] | None = None) -> Response:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def error_response(
    request: Request, status: int, title: str, detail: str, errors: dict[str, str] | None = None
) -> Response:
    if is_api(request):
        return problem(status, title, detail, errors)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail, "field_errors": errors},
        status_code=status,
    )


MAX_ID = 2**63 - 1  # the largest integer either database stores


def number_out_of_range(request: Request) -> Response:
    """A number too large for the database: an id in the path names nothing (404), any other
    number is invalid input (422)."""
    if any(
        isinstance(v, str) and v.isdigit() and int(v) > MAX_ID for v in request.path_params.values()
    ):
        return error_response(request, 404, HTTP_TITLES[404], HTTP_DETAILS[404])
    return error_response(
        request, 422, HTTP_TITLES[422], "Angka yang dikirim terlalu besar untuk disimpan."
    )


def install_error_handlers(app: FastAPI) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, NotAuthenticated) and not is_api(request) and request.method == "GET":
            nxt = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            return RedirectResponse(f"/masuk?next={nxt}", status_code=303)
        return error_response(request, exc.status_code, exc.title, exc.message, exc.field_errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        title = HTTP_TITLES.get(status, "Kesalahan")
        detail = HTTP_DETAILS.get(status) or (exc.detail if isinstance(exc.detail, str) else title)
        return error_response(request, status, title, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = {".".join(str(p) for p in e["loc"][1:]) or "body": _msg(e) for e in exc.errors()}
        return error_response(
            request, 422, HTTP_TITLES[422], "Beberapa isian tidak valid atau belum diisi.", errors
        )

    # A database error is answered here, inside the app, rather than by the catch-all below:
    # Starlette re-raises what reaches the catch-all after answering, and the server then drops
    # the client's keep-alive connection — a 503 must leave the client able to retry.
    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            log.warning("database unreachable on %s %s: %s", request.method, request.url.path, exc)
            return error_response(request, 503, HTTP_TITLES[503], HTTP_DETAILS[503])
        if isinstance(exc, DataError) and "out of range" in str(exc.orig):  # PostgreSQL
            return number_out_of_range(request)
        if isinstance(exc, DataError) and "NUL (0x00)" in str(exc.orig):  # PostgreSQL
            return error_response(
                request, 422, HTTP_TITLES[422], "Teks tidak boleh memuat karakter NUL (\\0)."
            )
        return await unexpected(request, exc)

    # With REDIS_URL, logins (their throttling counters) and starting jobs need Redis: the
    # message names it without calling it the queue (a login does not queue anything).
    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def redis_error(request: Request, exc: Exception) -> Response:
        log.warning("redis unreachable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(
            request,
            503,
            HTTP_TITLES[503],
            "Layanan pendukung (Redis) sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi.",
        )

    @app.exception_handler(OverflowError)  # SQLite refuses integers beyond 64 bits this way
    async def overflow(request: Request, exc: OverflowError) -> Response:
        return number_out_of_range(request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, HTTP_TITLES[500], HTTP_DETAILS[500])


def _msg(err: object) -> str:
    kind = err.get("type", "") if isinstance(err, dict) else ""
    return {
        "missing": "Wajib diisi.",
        "int_parsing": "Harus berupa bilangan bulat.",
        "decimal_parsing": "Harus berupa angka.",
        "string_too_long": "Terlalu panjang.",
        "string_too_short": "Terlalu pendek.",
    }.get(kind, "Isian tidak valid.")
