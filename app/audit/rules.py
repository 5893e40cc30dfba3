"""Hash chain of audit records, and reading them back as a timeline; pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
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


# --- reading the trail ----------------------------------------------------------------------

OBJECT_LABELS: dict[str, str] = {
    "cycle": "Siklus",
    "questionnaire": "Kuesioner",
    "body": "Badan publik",
    "submission": "SAQ badan publik",
    "answer": "Jawaban butir",
    "evidence_file": "Berkas data dukung",
    "result_set": "Perhitungan hasil",
    "decree": "SK hasil",
    "component_score": "Nilai komponen",
    "panel": "Panel presentasi",
    "certificate": "Piagam",
    "user": "Pengguna",
    "organisation": "Komisi",
    "broadcast": "Siaran e-mail",
    "helpdesk_thread": "Pertanyaan helpdesk",
}


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Change:
    """One field of a recorded change: what it was and what it became."""

    field: str
    before: Any
    after: Any

    @property
    def added(self) -> bool:
        return self.before is None and self.after is not None

    @property
    def removed(self) -> bool:
        return self.after is None and self.before is not None


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields that differ between a record's before and after, in a stable order
    (the after's order, then fields only in before); unchanged fields are left out."""
    b, a = before or {}, after or {}
    keys = list(a) + [k for k in b if k not in a]
    return [Change(k, b.get(k), a.get(k)) for k in keys if b.get(k) != a.get(k)]


def show_value(value: Any, limit: int = 200) -> str:
    """A recorded value as a short line of text for the timeline."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
