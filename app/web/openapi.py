"""The published OpenAPI document describes the JSON API only (`/api/…`), not the HTML pages."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

API_PREFIX = "/api/"
_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def _reachable(schemas: dict[str, Any], roots: str) -> set[str]:
    """Names of the component schemas referenced from `roots` (JSON text), transitively."""
    seen: set[str] = set()
    todo = set(_REF.findall(roots))
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo |= set(_REF.findall(json.dumps(schemas[name])))
    return seen


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error as RFC 9457 problem details; `errors` names the invalid fields.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


def _document_problems(paths: dict[str, Any]) -> None:
    """Every error answer of the API is a problem body (FastAPI documents its own 422 shape)."""
    for operations in paths.values():
        for op in operations.values():
            responses = op.setdefault("responses", {})
            responses["422"] = {"description": "Data tidak valid", **_PROBLEM}
            responses.setdefault("4XX", {"description": "Permintaan ditolak", **_PROBLEM})


def api_only_openapi(app: FastAPI) -> dict[str, Any]:
    """Build (once) the document of the `/api/` operations and the schemas they use."""
    if app.openapi_schema is None:
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        doc["paths"] = {p: v for p, v in doc["paths"].items() if p.startswith(API_PREFIX)}
        _document_problems(doc["paths"])
        components = doc.setdefault("components", {})
        schemas = {**components.get("schemas", {}), "Problem": PROBLEM_SCHEMA}
        keep = _reachable(schemas, json.dumps(doc["paths"]))
        components["schemas"] = {k: v for k, v in schemas.items() if k in keep}
        app.openapi_schema = doc
    return app.openapi_schema


def install_api_openapi(app: FastAPI) -> None:
    app.openapi = lambda: api_only_openapi(app)  # type: ignore[method-assign]
