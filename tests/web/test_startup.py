"""What an app process does once when it starts serving."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app


@pytest.mark.parametrize("freeze", [True, False])
def test_the_start_up_heap_is_frozen_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch, freeze: bool
) -> None:
    monkeypatch.setattr(get_settings(), "gc_freeze", freeze)
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app()) as client:
            frozen = gc.get_freeze_count()
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
    if freeze:
        # the modules, routes and clients of the process: far more than a request leaves behind
        assert frozen > 100_000
    else:
        assert frozen == 0
