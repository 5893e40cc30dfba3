"""Hash chain of audit records; pure."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """Values as they are stored in JSON columns (decimals and dates become strings)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def chain_hash(
    *,
    prev_hash: str,
    at: datetime,
    actor_user_id: int | None,
    organisation_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    request_id: str,
) -> str:
    """sha256 over a canonical rendering of the record and the previous hash."""
    payload = {
        "prev": prev_hash,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor_user_id,
        "org": organisation_id,
        "action": action,
        "type": object_type,
        "id": object_id,
        "before": before,
        "after": after,
        "req": request_id,
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()
