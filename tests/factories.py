"""Personas and objects for tests, built through the services where it matters."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.rules import Actor
from app.bodies.models import Body
from app.orgs.models import Organisation
from app.orgs.service import create_commission, upsert_category
from app.web.deps import CSRF_COOKIE, SESSION_COOKIE

_seq = itertools.count(1)

CSRF = "test-csrf-token-0123456789abcdef"


class Factory:
    def __init__(self, db: Session) -> None:
        self.db = db

    def commission(self, short_name: str | None = None, **kw: Any) -> Organisation:
        n = next(_seq)
        org = create_commission(
            self.db,
            slug=kw.pop("slug", f"ki-test-{n}"),
            name=kw.pop("name", f"Komisi Informasi Uji {n}"),
            short_name=short_name or f"KI Uji {n}",
            **kw,
        )
        upsert_category(self.db, org.id, "pemkab_pemkot", "Pemerintah Kabupaten/Kota", 0)
        upsert_category(self.db, org.id, "opd_pemprov", "OPD Pemerintah Provinsi", 1)
        return org

    def body(self, org: Organisation, name: str | None = None, **kw: Any) -> Body:
        b = Body(
            organisation_id=org.id,
            name=name or f"Pemerintah Kota Uji {next(_seq)}",
            default_category_code=kw.pop("category", "pemkab_pemkot"),
            **kw,
        )
        self.db.add(b)
        self.db.flush()
        return b

    def user(
        self,
        org: Organisation | None = None,
        *roles: str,
        body: Body | None = None,
        password: str | None = None,
        is_admin: bool = False,
        email: str | None = None,
    ) -> User:
        n = next(_seq)
        user = accounts.create_user(
            self.db,
            email=email or f"user{n}@uji.example.id",
            full_name=f"Pengguna Uji {n}",
            password=password,
            is_admin=is_admin,
        )
        for role in roles:
            assert org is not None
            accounts.grant_role(self.db, user=user, organisation=org, role=role, body=body)
        self.db.flush()
        return user

    def actor(self, user: User, org: Organisation | None = None) -> Actor:
        return accounts.build_actor(self.db, user, org.id if org else None)


def login(client: TestClient, db: Session, user: User) -> TestClient:
    """Give the test client a logged-in session cookie for `user` and a CSRF cookie."""
    new = accounts.start_session(db, user, ip="testclient", user_agent="pytest", old_token=None)
    db.flush()
    set_cookie(client, SESSION_COOKIE, new.token)
    set_cookie(client, CSRF_COOKIE, CSRF)
    return client


def set_cookie(client: TestClient, name: str, value: str) -> None:
    """Set a cookie exactly where the server's own Set-Cookie would put it (replacing it)."""
    client.cookies.set(name, value, domain="testserver.local", path="/")


def form(**fields: Any) -> dict[str, Any]:
    """Form data with the CSRF token a logged-in test client carries."""
    return {"csrf_token": CSRF, **fields}
