import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.rules import Role
from app.errors import TooManyRequests, ValidationFailed
from tests.factories import CSRF, Factory, form, login, set_cookie

PW = "kata-sandi-yang-panjang"


def _enable(db: Session, user: service.User) -> pyotp.TOTP:
    service.begin_totp_setup(db, user)
    assert user.totp_secret
    totp = pyotp.TOTP(user.totp_secret)
    service.confirm_totp(db, user, totp.now())
    return totp


def test_setup_needs_a_correct_code_before_it_is_active(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    uri = service.begin_totp_setup(db, u)
    assert uri.startswith("otpauth://totp/") and "Monev%20KIP" in uri
    assert not u.has_second_factor
    with pytest.raises(ValidationFailed):
        service.confirm_totp(db, u, "000000")
    assert not u.has_second_factor
    service.confirm_totp(db, u, pyotp.TOTP(u.totp_secret or "").now())
    assert u.has_second_factor
    with pytest.raises(ValidationFailed):
        service.begin_totp_setup(db, u)


def test_confirming_without_a_setup_is_explained(factory: Factory, db: Session) -> None:
    with pytest.raises(ValidationFailed, match="Mulai"):
        service.confirm_totp(db, factory.user(), "123456")


def test_wrong_codes_are_throttled(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    totp = _enable(db, u)
    sess = service.start_session(db, u, ip="x", user_agent="y", old_token=None).session
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            service.complete_second_factor(db, sess, u, "000000")
    with pytest.raises(TooManyRequests):
        service.complete_second_factor(db, sess, u, totp.now())
    assert sess.needs_second_factor


def test_disabling_needs_the_password(factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    _enable(db, u)
    with pytest.raises(ValidationFailed):
        service.disable_totp(db, u, "salah")
    service.disable_totp(db, u, PW)
    assert not u.has_second_factor and u.totp_secret is None


def test_login_with_a_second_factor_asks_for_the_code(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    u = factory.user(org, Role.VERIFIKATOR, password=PW)
    totp = _enable(db, u)
    db.flush()
    set_cookie(client, "monev_csrf", CSRF)
    r = client.post("/masuk", data=form(email=u.email, password=PW, next="/akun"))
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk/kode")
    assert client.get("/beranda").status_code == 303  # not logged in yet
    assert client.get("/masuk").headers["location"].startswith("/masuk/kode")
    assert client.get("/masuk/kode").status_code == 200
    r = client.post("/masuk/kode", data=form(code="000000", next="/akun"))
    assert r.status_code == 422 and "salah" in r.text
    r = client.post("/masuk/kode", data=form(code=totp.now(), next="/akun"))
    assert r.status_code == 303 and r.headers["location"] == "/akun"
    assert client.get("/beranda").status_code == 200
    assert client.get("/masuk/kode").headers["location"] == "/beranda"


def test_the_code_page_without_a_pending_login_goes_back_to_login(client: TestClient) -> None:
    assert client.get("/masuk/kode").headers["location"] == "/masuk"
    set_cookie(client, "monev_csrf", CSRF)
    assert client.post("/masuk/kode", data=form(code="1")).headers["location"] == "/masuk"


def test_staff_set_up_and_switch_off_the_second_factor_in_the_browser(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    u = factory.user(org, Role.JURI, password=PW)
    login(client, db, u)
    assert "Siapkan verifikasi dua langkah" in client.get("/akun").text
    r = client.post("/akun/2fa/mulai", data=form())
    assert r.status_code == 200 and "otpauth://" in r.text
    r = client.post("/akun/2fa/aktifkan", data=form(code="000000"))
    assert r.status_code == 422 and "otpauth://" in r.text
    db.expire_all()
    code = pyotp.TOTP(db.get(service.User, u.id).totp_secret or "").now()  # type: ignore[union-attr]
    assert client.post("/akun/2fa/aktifkan", data=form(code=code)).status_code == 303
    assert "Aktif" in client.get("/akun").text
    assert client.post("/akun/2fa/matikan", data=form(password="salah")).status_code == 422
    assert client.post("/akun/2fa/matikan", data=form(password=PW)).status_code == 303
    db.expire_all()
    assert not db.get(service.User, u.id).has_second_factor  # type: ignore[union-attr]
