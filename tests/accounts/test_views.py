from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import ApiToken, User
from app.accounts.rules import Role
from app.outbox.models import OutboxMessage
from app.web.deps import CSRF_COOKIE, SESSION_COOKIE
from tests.factories import CSRF, Factory, form, login, set_cookie

PW = "kata-sandi-yang-panjang"


def _csrf(client: TestClient) -> TestClient:
    set_cookie(client, CSRF_COOKIE, CSRF)
    return client


def test_login_page_sets_a_csrf_cookie_and_explains_itself(client: TestClient) -> None:
    r = client.get("/masuk")
    assert r.status_code == 200
    assert "Masuk ke Monev KIP" in r.text
    assert CSRF_COOKIE in r.cookies
    assert "httponly" in r.headers["set-cookie"].lower()


def test_login_with_the_right_password_starts_a_secure_session(
    client: TestClient, factory: Factory
) -> None:
    u = factory.user(password=PW)
    r = _csrf(client).post("/masuk", data=form(email=u.email, password=PW, next="/akun"))
    assert r.status_code == 303 and r.headers["location"] == "/akun"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/akun").status_code == 200


def test_login_never_redirects_off_site(client: TestClient, factory: Factory) -> None:
    u = factory.user(password=PW)
    r = _csrf(client).post("/masuk", data=form(email=u.email, password=PW, next="//evil.example/x"))
    assert r.headers["location"] == "/beranda"


def test_a_wrong_password_gets_a_clear_message_and_no_session(
    client: TestClient, factory: Factory
) -> None:
    u = factory.user(password=PW)
    r = _csrf(client).post("/masuk", data=form(email=u.email, password="salah-salah"))
    assert r.status_code == 401
    assert "Email atau kata sandi salah" in r.text
    assert u.email in r.text  # the form keeps what was typed
    assert SESSION_COOKIE not in r.cookies


def test_repeated_failures_are_throttled(client: TestClient, factory: Factory) -> None:
    u = factory.user(password=PW)
    _csrf(client)
    for _ in range(5):
        client.post("/masuk", data=form(email=u.email, password="salah-salah"))
    r = client.post("/masuk", data=form(email=u.email, password=PW))
    assert r.status_code == 429 and "Terlalu banyak" in r.text


def test_a_missing_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, factory: Factory, db: Session
) -> None:
    u = factory.user(password=PW)
    login(client, db, u)
    r = client.post("/akun/token-api", data={"name": "tanpa-csrf"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/akun/token-api", data={"name": "salah", "csrf_token": "lain"})
    assert r.status_code == 403
    assert db.scalars(select(ApiToken)).all() == []


def test_the_login_form_itself_needs_the_csrf_token(client: TestClient, factory: Factory) -> None:
    u = factory.user(password=PW)
    r = client.post("/masuk", data={"email": u.email, "password": PW})
    assert r.status_code == 403


def test_anonymous_pages_redirect_to_login_with_next(client: TestClient) -> None:
    r = client.get("/beranda?x=1")
    assert r.status_code == 303 and r.headers["location"] == "/masuk?next=/beranda%3Fx%3D1"


def test_an_expired_session_is_treated_as_logged_out(
    client: TestClient, factory: Factory, db: Session
) -> None:
    u = factory.user()
    login(client, db, u)
    for s in db.scalars(select(service.UserSession)):
        s.expires_at = s.created_at
    db.flush()
    assert client.get("/beranda").status_code == 303
    r = client.post("/akun/token-api", data=form(name="x"))
    assert r.status_code == 401 and "masuk" in r.text.lower()


def test_logout_ends_the_session(client: TestClient, factory: Factory, db: Session) -> None:
    login(client, db, factory.user())
    assert client.post("/keluar", data=form()).status_code == 303
    assert client.get("/beranda").status_code == 303


def test_forgot_and_reset_password_round_trip(
    client: TestClient, factory: Factory, db: Session
) -> None:
    u = factory.user(password=PW)
    assert client.get("/lupa-sandi").status_code == 200
    r = _csrf(client).post("/lupa-sandi", data=form(email=u.email))
    assert r.status_code == 303
    msg = db.scalars(select(OutboxMessage)).one()
    token = msg.body_text.split("/atur-sandi/")[1].split()[0]
    assert client.get(f"/atur-sandi/{token}").status_code == 200
    r = client.post(
        f"/atur-sandi/{token}",
        data=form(password="baru-yang-panjang", password2="beda-yang-panjang"),
    )
    assert r.status_code == 422 and "tidak sama" in r.text
    r = client.post(f"/atur-sandi/{token}", data=form(password="pendek", password2="pendek"))
    assert r.status_code == 422 and "minimal 10" in r.text.lower()
    r = client.post(
        f"/atur-sandi/{token}",
        data=form(password="baru-yang-panjang", password2="baru-yang-panjang"),
    )
    assert r.status_code == 303
    assert client.get(f"/atur-sandi/{token}").status_code == 400
    assert client.get("/atur-sandi/ngawur").status_code == 400


def test_users_change_their_password(client: TestClient, factory: Factory, db: Session) -> None:
    u = factory.user(password=PW)
    login(client, db, u)
    r = client.post(
        "/akun/kata-sandi",
        data=form(
            current_password="salah", password="baru-yang-panjang", password2="baru-yang-panjang"
        ),
    )
    assert r.status_code == 422 and "lama salah" in r.text
    r = client.post(
        "/akun/kata-sandi", data=form(current_password=PW, password="a" * 12, password2="b" * 12)
    )
    assert r.status_code == 422
    r = client.post(
        "/akun/kata-sandi",
        data=form(current_password=PW, password="baru-yang-panjang", password2="baru-yang-panjang"),
    )
    assert r.status_code == 303
    db.expire_all()
    assert service.authenticate(db, u.email, "baru-yang-panjang", "ip")


def test_api_tokens_are_created_shown_once_used_and_revoked(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    u = factory.user(org, Role.SEKRETARIAT)
    login(client, db, u)
    r = client.post("/akun/token-api", data=form(name=""))
    assert r.status_code == 422
    r = client.post("/akun/token-api", data=form(name="integrasi"))
    assert r.status_code == 200
    raw = r.text.split('user-select-all">')[1].split("<")[0]
    api = TestClient(client.app)
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200 and me.json()["roles"] == ["sekretariat"]
    assert client.get("/akun").text.count(raw) == 0  # never shown again
    tok = db.scalars(select(ApiToken)).one()
    assert client.post(f"/akun/token-api/{tok.id}/cabut", data=form()).status_code == 303
    r = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_bearer_token_needs_no_csrf_for_writes(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    u = factory.user(org, Role.SEKRETARIAT)
    _, raw = service.create_api_token(db, factory.actor(u), "t")
    db.flush()
    r = client.post(
        "/api/v1/bodies", json={"name": "Kota Via API"}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert r.status_code == 201
    anon = client.post("/api/v1/bodies", json={"name": "Kota Tanpa Token"})
    assert anon.status_code == 403  # cookie-less, CSRF-less request: refused


def test_people_with_several_commissions_switch_between_them(
    client: TestClient, factory: Factory, db: Session
) -> None:
    a, b = factory.commission(), factory.commission()
    u = factory.user(a, Role.SEKRETARIAT)
    service.grant_role(db, user=u, organisation=b, role=Role.JURI)
    login(client, db, u)
    assert client.get("/api/v1/me").json()["organisation_id"] == min(a.id, b.id)
    other = max(a.id, b.id)
    assert client.post("/akun/komisi", data=form(organisation_id=other)).status_code == 303
    assert client.get("/api/v1/me").json()["organisation_id"] == other
    stranger = factory.commission()
    r = client.post("/akun/komisi", data=form(organisation_id=stranger.id))
    assert r.status_code == 403


def test_sekretariat_invites_and_manages_people(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    body = factory.body(org)
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert client.get("/pengguna").status_code == 200
    r = client.post(
        "/pengguna",
        data=form(email="op@kota.go.id", full_name="Operator Kota", role="operator", body_id=""),
    )
    assert r.status_code == 422 and "op@kota.go.id" in r.text
    r = client.post(
        "/pengguna",
        data=form(
            email="op@kota.go.id", full_name="Operator Kota", role="operator", body_id=str(body.id)
        ),
    )
    assert r.status_code == 303
    new = db.scalars(select(User).where(User.email == "op@kota.go.id")).one()
    assert client.post(f"/pengguna/{new.id}/nonaktifkan", data=form()).status_code == 303
    db.expire_all()
    assert not db.get(User, new.id).is_active  # type: ignore[union-attr]
    assert client.post(f"/pengguna/{new.id}/aktifkan", data=form()).status_code == 303
    grant = service.active_grants(db, new.id)[0]
    assert client.post(f"/pengguna/peran/{grant.id}/cabut", data=form()).status_code == 303
    assert service.active_grants(db, new.id) == []
