"""Bimtek: guidance and example documents per item, sessions and attendance."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.internal import bimtek
from tests.factories import Factory, form, login
from tests.internal.world import InternalWorld, build
from tests.verification.helpers import items_of


@pytest.fixture
def w(db: Session, factory: Factory) -> InternalWorld:
    return build(factory, db)


def test_examples_and_attendance_are_published_by_the_owner(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    lead = w.outside(factory, w.lead)
    item = items_of(db, w.icycle)["1.2"]
    bimtek.add_example(
        db,
        lead,
        w.monev,
        w.icycle,
        item_id=item.id,
        title="Contoh SK DIP",
        url="https://ppid.example.go.id/sk-dip.pdf",
    )
    guide = {g.code: g for g in bimtek.guidance(db, w.monev, w.icycle)}
    assert guide["1.2"].guidance == "Unggah SK DIP."
    assert [e.title for e in guide["1.2"].examples] == ["Contoh SK DIP"]
    session = bimtek.add_session(db, lead, w.monev, title="Bimtek SAQ", held_on="2025-08-01")
    first, second = (w.mirror(db, u) for u in w.units[:2])
    bimtek.record_attendance(db, lead, w.monev, session.id, body_id=first.id, name="Ani")
    bimtek.record_attendance(db, lead, w.monev, session.id, body_id=second.id, name="Budi")
    with pytest.raises(Conflict):
        bimtek.record_attendance(db, lead, w.monev, session.id, body_id=first.id, name="Ani")
    # A unit reads the guidance and sees only its own people's attendance.
    unit = w.inside(factory, w.unit_ops[0])
    assert bimtek.get_monev_for_reader(db, unit, w.monev.id) is w.monev
    assert bimtek.sessions(db, w.monev, unit)[0].attendance == [(w.units[0].name, "Ani")]
    assert len(bimtek.sessions(db, w.monev, lead)[0].attendance) == 2


def test_bad_bimtek_input_is_refused_clearly(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    lead = w.outside(factory, w.lead)
    item = items_of(db, w.icycle)["1.2"]
    with pytest.raises(ValidationFailed) as exc:
        bimtek.add_example(db, lead, w.monev, w.icycle, item_id=item.id, title="", url="ftp://x")
    assert set(exc.value.field_errors) == {"title", "url"}
    with pytest.raises(NotFound):
        other = items_of(db, w.ccycle)["1.2"]
        bimtek.add_example(
            db, lead, w.monev, w.icycle, item_id=other.id, title="x", url="https://a.id"
        )
    with pytest.raises(ValidationFailed) as exc:
        bimtek.add_session(db, lead, w.monev, title="Bimtek", held_on="1 Agustus")
    assert "held_on" in exc.value.field_errors
    session = bimtek.add_session(db, lead, w.monev, title="Bimtek", held_on="2025-08-01")
    with pytest.raises(ValidationFailed):
        bimtek.record_attendance(db, lead, w.monev, session.id, body_id=w.units[0].id, name="A")
    with pytest.raises(Forbidden):
        bimtek.add_session(
            db, w.inside(factory, w.unit_ops[0]), w.monev, title="x", held_on="2025-08-01"
        )


def test_the_bimtek_page_for_owner_and_unit(
    client: TestClient, db: Session, factory: Factory, w: InternalWorld
) -> None:
    login(client, db, w.lead)
    url = f"/monev-internal/{w.monev.id}/bimtek"
    r = client.post(url + "/sesi", data=form(title="Bimtek SAQ", held_on="kemarin"))
    assert r.status_code == 422 and "Tanggal tidak valid" in r.text
    ok = client.post(url + "/sesi", data=form(title="Bimtek SAQ", held_on="2025-08-01"))
    assert ok.status_code == 303
    page = client.get(url)
    assert page.status_code == 200 and "Bimtek SAQ" in page.text and "Catat hadir" in page.text
    login(client, db, w.unit_ops[0])
    assert client.get(url).status_code == 404  # acting in the commission, not the internal org
    switched = client.post("/akun/komisi", data=form(organisation_id=w.iorg.id))
    assert switched.status_code == 303
    assert "Baca panduan bimtek" in client.get("/monev-internal").text
    page = client.get(url)
    assert page.status_code == 200 and "Bimtek SAQ" in page.text
    assert "Catat hadir" not in page.text
    refused = client.post(url + "/sesi", data=form(title="x", held_on="2025-08-02"))
    assert refused.status_code == 404
