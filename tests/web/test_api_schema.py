"""schemathesis against `/openapi.json`: generated requests to every JSON API operation, made
by an authenticated sekretariat (bearer token) of a commission with a cycle and bodies, must
never end in a server error, and what the API answers must match the schema it declares.

Every example runs inside the test's rolled-back transaction (see tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.rules import Role
from app.main import create_app
from tests.factories import Factory

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
# Streamed uploads are exercised with real files in tests/evidence; random multipart bodies
# would only test the parser's refusals again, slowly.
SKIP_OPERATIONS = {("POST", "/api/v1/bodies/{body_id}/evidence")}


@pytest.fixture
def bearer(db: Session, factory: Factory) -> dict[str, str]:
    org = factory.commission()
    factory.cycle(org)
    user = factory.user(org, Role.SEKRETARIAT)
    _, raw = accounts.create_api_token(db, factory.actor(user, org), "schemathesis")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_matches_its_schema(
    case: Any, bearer: dict[str, str], connection: Any
) -> None:
    if (case.method, case.path) in SKIP_OPERATIONS:
        pytest.skip("streamed upload: tested with real files in tests/evidence")
    case.call_and_validate(headers=bearer, checks=CHECKS)


# --- what the generated requests found, pinned down -----------------------------------------


def test_an_id_beyond_64_bits_is_not_found_not_a_crash(client: Any, bearer: dict[str, str]) -> None:
    r = client.get("/api/v1/cycles/9223372036854775808/stages/current", headers=bearer)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_text_with_a_nul_character_never_crashes_the_api(
    client: Any, bearer: dict[str, str]
) -> None:
    r = client.post("/api/v1/bodies", json={"name": "Dinas\x00Uji"}, headers=bearer)
    # PostgreSQL cannot store NUL in text: a clear 422; SQLite stores it like any character.
    assert r.status_code in (201, 422), r.text
    if r.status_code == 422:
        assert "NUL" in r.json()["detail"]


def test_the_published_document_describes_the_api_only(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["paths"] and all(p.startswith("/api/") for p in doc["paths"])
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
