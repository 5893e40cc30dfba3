"""Pre-check fixtures: evidence stored in a private directory, a cycle ready to verify."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.bodies.models import Body
from app.config import get_settings
from app.evidence.models import EvidenceBlob, EvidenceFile
from app.evidence.storage import Storage, blob_key, get_storage
from app.precheck.service import examine_submission
from app.questionnaires.models import Item
from tests.factories import Factory
from tests.verification.helpers import World, build

Attach = Callable[..., EvidenceFile]


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    s = get_settings()
    monkeypatch.setattr(s, "evidence_storage", "local")
    monkeypatch.setattr(s, "evidence_dir", tmp_path / "evidence")
    return get_storage()


@pytest.fixture
def vw(factory: Factory, db: Session, storage: Storage) -> World:
    """Two submitted bodies whose placeholder files are removed; DIP and study items carry
    expected keywords, as the questionnaire editor lets the sekretariat set."""
    w = build(factory, db, bodies=2)
    db.execute(delete(EvidenceFile).where(EvidenceFile.cycle_id == w.cycle.id))
    w.items["1.2"].keywords = ["Daftar Informasi Publik", "keputusan"]
    w.items["2.1.3"].keywords = ["kajian"]
    db.flush()
    return w


@pytest.fixture
def attach(db: Session, storage: Storage) -> Attach:
    """Store `data` and give it as evidence of `item` for `body` (what the SAQ upload does)."""

    def _attach(body: Body, item: Item, data: bytes, name: str = "bukti.pdf") -> EvidenceFile:
        sha = hashlib.sha256(data).hexdigest()
        if db.get(EvidenceBlob, sha) is None:
            storage.put_stream(blob_key(sha), io.BytesIO(data))
            db.add(EvidenceBlob(sha256=sha, size=len(data)))
        ef = EvidenceFile(
            organisation_id=body.organisation_id,
            body_id=body.id,
            blob_sha256=sha,
            original_name=name,
            content_type="application/pdf",
            size=len(data),
            cycle_id=item_cycle(db, item),
            item_id=item.id,
        )
        db.add(ef)
        db.flush()
        return ef

    return _attach


def item_cycle(db: Session, item: Item) -> int:
    from app.questionnaires.models import Questionnaire

    q = db.get(Questionnaire, item.questionnaire_id)
    assert q is not None and q.cycle_id is not None
    return q.cycle_id


def run(db: Session, w: World, body: Body) -> dict[str, int]:
    return examine_submission(db, w.cycle, body)
