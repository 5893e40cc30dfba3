"""A juror scoring a body has its submission at hand: SAQ per indicator (declared and verified),
evidence names and links, other component scores; a conflicted juror does not see it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.conflicts import service as conflicts
from app.db import utcnow
from app.evidence.models import EvidenceBlob, EvidenceFile, LinkCheck
from app.panels.models import PanelSlot
from app.panels.summary import submission_summary
from app.questionnaires.models import Item, Questionnaire
from app.results.models import ComponentScore
from app.submissions.models import Answer
from tests.factories import login
from tests.panels.conftest import World, ready
from tests.results.helpers import submit


def _scheduled(db: Session, w: World) -> int:
    """The first body in room A, with a submitted SAQ, evidence, a link and a visitasi score."""
    body = w.bodies[0]
    start = utcnow() + timedelta(hours=1)
    db.add(
        PanelSlot(
            cycle_id=w.cycle.id,
            panel_id=w.rooms[0].id,
            body_id=body.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=35),
        )
    )
    submit(db, w.cycle, body.id, {"1.2": 0})
    dip = db.scalars(
        select(Item)
        .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
        .where(Questionnaire.cycle_id == w.cycle.id, Item.code == "1.2")
    ).one()
    # The body declared "Ya" for 1.2; the verifier rejected it.
    db.execute(
        update(Answer)
        .where(Answer.body_id == body.id, Answer.item_id == dip.id)
        .values(declared_credit_scaled=10_000)
    )
    db.add(EvidenceBlob(sha256="a" * 64, size=2048))
    db.flush()
    db.add(
        EvidenceFile(
            organisation_id=w.org.id,
            body_id=body.id,
            blob_sha256="a" * 64,
            original_name="SK DIP 2025.pdf",
            content_type="application/pdf",
            size=2048,
            cycle_id=w.cycle.id,
            item_id=dip.id,
        )
    )
    db.add(
        LinkCheck(
            organisation_id=w.org.id,
            body_id=body.id,
            cycle_id=w.cycle.id,
            url="https://ppid.contoh.go.id/dip",
            url_hash="b" * 64,
            status="broken",
            problem="not_found",
        )
    )
    db.add(
        ComponentScore(
            organisation_id=w.org.id,
            cycle_id=w.cycle.id,
            body_id=body.id,
            component_code="visitasi",
            score=Decimal("88.5"),
            source="entered",
        )
    )
    db.flush()
    return body.id


def test_the_summary_has_declared_and_verified_saq_per_indicator(db: Session, world: World) -> None:
    body_id = _scheduled(db, world)
    summary = submission_summary(db, world.cycle, world.bodies[0])
    assert summary.submitted
    assert [(i.code, i.declared, i.verified) for i in summary.indicators] == [
        ("1", Decimal("40.0000000000"), Decimal("26.6666666666")),
        ("2", Decimal("60.0000000000"), Decimal("60.0000000000")),
    ]
    assert summary.declared_total == Decimal(100)
    assert summary.verified_total == Decimal("86.6666666666")
    assert [(f.name, f.item_code) for f in summary.files] == [("SK DIP 2025.pdf", "1.2")]
    assert [link.url for link in summary.links] == ["https://ppid.contoh.go.id/dip"]
    assert summary.components == [("visitasi", Decimal("88.500000"), "entered")]
    other = submission_summary(db, world.cycle, world.bodies[1])
    assert not other.submitted and other.indicators == [] and other.files == []
    assert body_id == world.bodies[0].id


def test_the_juror_sees_the_summary_on_the_scoring_page(
    client: TestClient, db: Session, world: World
) -> None:
    body_id = _scheduled(db, world)
    ready(db, world, world.jurors[1], world.rooms[0])
    db.commit()
    login(client, db, world.jurors[1])
    page = client.get(f"/panel/{world.rooms[0].id}/badan/{body_id}")
    assert page.status_code == 200
    text = page.text
    assert "Ringkasan isian badan publik" in text
    assert "Kualitas Informasi" in text and "26,67" in text and "40,00" in text
    assert "86,67" in text and "100,00" in text
    assert "SK DIP 2025.pdf" in text and "https://ppid.contoh.go.id/dip" in text
    assert "tautan bermasalah" in text and "88,50" in text
    assert "/evidence/" not in text  # names only: jurors do not download the files


def test_a_conflicted_juror_does_not_see_the_submission(
    client: TestClient, db: Session, world: World
) -> None:
    body_id = _scheduled(db, world)
    juror = ready(db, world, world.jurors[2], world.rooms[0])
    conflicts.declare_affiliation(
        db, juror, kind="former_employer", name="Mantan staf", body_id=body_id
    )
    db.commit()
    login(client, db, world.jurors[2])
    page = client.get(f"/panel/{world.rooms[0].id}/badan/{body_id}")
    assert page.status_code == 200
    assert "Ringkasan isian" not in page.text and "SK DIP 2025.pdf" not in page.text
    assert "mendeklarasikan afiliasi" in page.text
