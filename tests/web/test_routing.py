"""The routers may be included in any order: no route of one router can answer a request meant
for a route of another. `create_app` puts the busiest routers first (FastAPI matches a request
against them one by one), which is only safe while this holds."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Route


def _segment_overlaps(a: str, b: str) -> bool:
    """Whether two path segments can both match some text (a parameter matches any segment,
    an int parameter only digits)."""
    a_param, b_param = a.startswith("{"), b.startswith("{")
    if a_param and b_param:
        return True
    if a_param or b_param:
        literal, param = (b, a) if a_param else (a, b)
        return literal.isdigit() if param.endswith(":int}") else True
    return a == b


def paths_overlap(p: str, q: str) -> bool:
    """Whether some path matches both route templates (a `:path` parameter matches the rest)."""
    ps, qs = p.strip("/").split("/"), q.strip("/").split("/")
    for i, (a, b) in enumerate(zip(ps, qs, strict=False)):
        if a.endswith(":path}") or b.endswith(":path}"):
            return all(_segment_overlaps(x, y) for x, y in zip(ps[:i], qs[:i], strict=True))
        if not _segment_overlaps(a, b):
            return False
    return len(ps) == len(qs)


def test_overlap_rule() -> None:
    assert paths_overlap("/hasil/{cycle_id:int}", "/hasil/12")
    assert not paths_overlap("/hasil/{cycle_id:int}", "/hasil/arsip")
    assert paths_overlap("/hasil/{slug}", "/hasil/arsip")
    assert not paths_overlap("/hasil/{a}", "/hasil/{a}/unduh")
    assert paths_overlap("/berkas/{rest:path}", "/berkas/a/b/c")
    assert not paths_overlap("/panel/{id}", "/verifikasi/{id}")


def _routers(app: Any) -> list[tuple[int, list[Route]]]:
    out = []
    for index, entry in enumerate(app.router.routes):
        router = getattr(entry, "original_router", None)  # FastAPI keeps included routers lazily
        routes = router.routes if router is not None else [entry]
        out.append((index, [r for r in routes if isinstance(r, APIRoute | Route)]))
    return out


def test_no_route_of_one_router_matches_another_routers_paths(app_instance) -> None:  # type: ignore[no-untyped-def]
    clashes = []
    for (i, mine), (j, theirs) in combinations(_routers(app_instance), 2):
        for r in mine:
            for s in theirs:
                shared = (r.methods or set()) & (s.methods or set())
                if shared and paths_overlap(r.path, s.path):
                    clashes.append(
                        f"{sorted(shared)} {r.path} (router {i}) ~ {s.path} (router {j})"
                    )
    assert not clashes, clashes
