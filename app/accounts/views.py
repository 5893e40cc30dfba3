"""Pages: log in and out, password reset and change, API tokens, switching commission."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import User, UserSession
from app.accounts.rules import Actor
from app.config import get_settings
from app.errors import DomainError, Forbidden, TooManyRequests, ValidationFailed
from app.orgs.service import get_organisation
from app.web.deps import SESSION_COOKIE, client_ip, current_actor, get_db, load_actor
from app.web.templating import redirect, render

router = APIRouter()


def _pending(request: Request) -> bool:
    sess = getattr(request.state, "user_session", None)
    return bool(sess and sess.needs_second_factor)


def _safe_next(nxt: str) -> str:
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else "/beranda"


@router.get("/masuk", name="accounts.login")
def login_page(
    request: Request, next: str = "/beranda", actor: Actor | None = Depends(load_actor)
) -> Response:
    if actor is not None:
        return redirect(_safe_next(next))
    if _pending(request):
        return redirect(f"/masuk/kode?next={quote(_safe_next(next))}")
    return render(request, "accounts/login.html", {"next": _safe_next(next)})


@router.post("/masuk", name="accounts.login_post")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/beranda"),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        user = service.authenticate(db, email, password, client_ip(request))
    except DomainError as exc:
        status = 429 if isinstance(exc, TooManyRequests) else 401
        return render(
            request,
            "accounts/login.html",
            {"error": exc.message, "form": {"email": email}, "next": _safe_next(next)},
            status_code=status,
        )
    new = service.start_session(
        db,
        user,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        old_token=request.cookies.get(SESSION_COOKIE),
    )
    if new.session.needs_second_factor:
        response = redirect(f"/masuk/kode?next={quote(_safe_next(next))}")
    else:
        response = redirect(_safe_next(next), f"Selamat datang, {user.full_name}.")
    s = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        httponly=True,
        samesite="lax",
        secure=s.cookie_secure,
        path="/",
        max_age=s.session_absolute_hours * 3600,
    )
    return response


@router.post("/keluar", name="accounts.logout")
def logout(request: Request, db: Session = Depends(get_db, scope="function")) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, token)
    response = redirect("/masuk", "Anda telah keluar.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lupa-sandi", name="accounts.forgot")
def forgot_page(request: Request) -> Response:
    return render(request, "accounts/forgot.html")


@router.post("/lupa-sandi", name="accounts.forgot_post")
def forgot(
    request: Request, email: str = Form(""), db: Session = Depends(get_db, scope="function")
) -> Response:
    service.request_password_reset(db, email)
    return redirect(
        "/masuk",
        "Jika email tersebut terdaftar, tautan atur ulang kata sandi "
        "telah dikirim. Periksa kotak masuk Anda.",
    )


@router.get("/atur-sandi/{token}", name="accounts.reset")
def reset_page(
    request: Request, token: str, db: Session = Depends(get_db, scope="function")
) -> Response:
    valid = service.check_reset_token(db, token)
    return render(
        request,
        "accounts/reset.html",
        {"token": token, "valid": valid},
        status_code=200 if valid else 400,
    )


@router.post("/atur-sandi/{token}", name="accounts.reset_post")
def reset(
    request: Request,
    token: str,
    password: str = Form(""),
    password2: str = Form(""),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if password != password2:
        return render(
            request,
            "accounts/reset.html",
            {
                "token": token,
                "valid": True,
                "errors": {"password2": "Kedua kata sandi tidak sama."},
            },
            status_code=422,
        )
    try:
        service.reset_password(db, token, password)
    except ValidationFailed as exc:
        return render(
            request,
            "accounts/reset.html",
            {
                "token": token,
                "valid": service.check_reset_token(db, token),
                "error": exc.message,
                "errors": exc.field_errors,
            },
            status_code=422,
        )
    return redirect("/masuk", "Kata sandi telah disimpan. Silakan masuk.")


def _profile_ctx(db: Session, actor: Actor) -> dict[str, object]:
    return {
        "tokens": service.list_api_tokens(db, actor),
        "grants": service.active_grants(db, actor.user_id),
        "my_orgs": [get_organisation(db, i) for i in sorted(actor.organisation_ids)],
    }


@router.get("/akun", name="accounts.profile")
def profile(
    request: Request,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return render(request, "accounts/profile.html", _profile_ctx(db, actor))


@router.post("/akun/kata-sandi", name="accounts.change_password")
def change_password(
    request: Request,
    current_password: str = Form(""),
    password: str = Form(""),
    password2: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    user = request.state.user if hasattr(request.state, "user") else None
    errors: dict[str, str] = {}
    error = ""
    if user is None:
        error = "Ubah kata sandi hanya dari sesi peramban."
    elif password != password2:
        errors = {"password2": "Kedua kata sandi tidak sama."}
        error = "Kedua kata sandi tidak sama."
    else:
        try:
            service.change_password(db, user, current_password, password)
        except ValidationFailed as exc:
            error, errors = exc.message, exc.field_errors
    if error:
        return render(
            request,
            "accounts/profile.html",
            {**_profile_ctx(db, actor), "pw_error": error, "errors": errors},
            status_code=422,
        )
    return redirect("/akun", "Kata sandi berhasil diubah.")


@router.post("/akun/token-api", name="accounts.token_create")
def token_create(
    request: Request,
    name: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        tok, raw = service.create_api_token(db, actor, name)
    except ValidationFailed as exc:
        return render(
            request,
            "accounts/profile.html",
            {**_profile_ctx(db, actor), "token_error": exc.message, "form": {"name": name}},
            status_code=422,
        )
    return render(
        request,
        "accounts/profile.html",
        {**_profile_ctx(db, actor), "new_token": raw, "new_token_name": tok.name},
    )


@router.post("/akun/token-api/{token_id}/cabut", name="accounts.token_revoke")
def token_revoke(
    token_id: int,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    service.revoke_api_token(db, actor, token_id)
    return redirect("/akun", "Token API telah dicabut.")


@router.post("/akun/komisi", name="accounts.switch_org")
def switch_org(
    request: Request,
    organisation_id: int = Form(0),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    sess: UserSession | None = getattr(request.state, "user_session", None)
    if sess is not None:
        service.switch_organisation(db, sess, request.state.user, organisation_id)
    return redirect("/beranda", "Komisi aktif diganti.")


@router.get("/masuk/kode", name="accounts.second_factor")
def second_factor_page(
    request: Request, next: str = "/beranda", actor: Actor | None = Depends(load_actor)
) -> Response:
    if actor is not None:
        return redirect(_safe_next(next))
    if not _pending(request):
        return redirect("/masuk")
    return render(request, "accounts/second_factor.html", {"next": _safe_next(next)})


@router.post("/masuk/kode", name="accounts.second_factor_post")
def second_factor(
    request: Request,
    code: str = Form(""),
    next: str = Form("/beranda"),
    actor: Actor | None = Depends(load_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not _pending(request):
        return redirect("/masuk")
    user = request.state.user
    try:
        service.complete_second_factor(db, request.state.user_session, user, code)
    except (ValidationFailed, TooManyRequests) as exc:
        return render(
            request,
            "accounts/second_factor.html",
            {"next": _safe_next(next), "error": exc.message},
            status_code=exc.status_code,
        )
    return redirect(_safe_next(next), f"Selamat datang, {user.full_name}.")


@router.post("/akun/2fa/mulai", name="accounts.totp_begin")
def totp_begin(
    request: Request,
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    uri = service.begin_totp_setup(db, _browser_user(request))
    return render(
        request,
        "accounts/profile.html",
        {**_profile_ctx(db, actor), "totp_uri": uri, "totp_secret": request.state.user.totp_secret},
    )


@router.post("/akun/2fa/aktifkan", name="accounts.totp_confirm")
def totp_confirm(
    request: Request,
    code: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    user = _browser_user(request)
    try:
        service.confirm_totp(db, user, code)
    except ValidationFailed as exc:
        uri = service.totp_uri(user) if user.totp_secret else None
        return render(
            request,
            "accounts/profile.html",
            {
                **_profile_ctx(db, actor),
                "totp_uri": uri,
                "totp_secret": user.totp_secret,
                "totp_error": exc.message,
            },
            status_code=422,
        )
    return redirect(
        "/akun", "Verifikasi dua langkah aktif. Kode dari aplikasi diminta setiap masuk."
    )


@router.post("/akun/2fa/matikan", name="accounts.totp_disable")
def totp_disable(
    request: Request,
    password: str = Form(""),
    actor: Actor = Depends(current_actor),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    try:
        service.disable_totp(db, _browser_user(request), password)
    except ValidationFailed as exc:
        return render(
            request,
            "accounts/profile.html",
            {**_profile_ctx(db, actor), "totp_error": exc.message},
            status_code=422,
        )
    return redirect("/akun", "Verifikasi dua langkah dimatikan.")


def _browser_user(request: Request) -> User:
    user: User | None = getattr(request.state, "user", None)
    if user is None:
        raise Forbidden("Pengaturan ini hanya dari sesi peramban, bukan token API.")
    return user
