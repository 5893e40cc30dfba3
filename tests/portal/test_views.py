"""Public portal: no login, only published non-embargoed results, open data, history."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.cycles.access import system_actor
from app.db import utcnow
from app.errors import ValidationFailed
from app.results import history, service
from tests.factories import Factory, login
from tests.results.helpers import add_target, open_stage_now, set_rules, submit, targets
from tests.sql import counting


def _published(factory: Factory, db: Session, *, embargo: bool = False):  # type: ignore[no-untyped-def]
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    open_stage_now(db, cycle)
    set_rules(db, cycle)
    ids = targets(db, cycle)
    tied = add_target(factory, db, cycle, "pemkab_pemkot")
    submit(db, cycle, ids["pemkab_pemkot"], {"1.2": 0})
    submit(db, cycle, tied, {"1.2": 0})
    submit(db, cycle, ids["opd_pemprov"])
    kom = factory.actor(factory.user(org, Role.KOMISIONER), org)
    rs = service.compute_and_store(db, system_actor(org.id), cycle)
    d = service.draft_decree(db, system_actor(org.id), cycle, rs)
    service.approve_decree(db, kom, cycle, d, sk_number="SK/1", sk_date="2025-12-01")
    until = utcnow() + timedelta(days=3) if embargo else None
    service.publish_decree(db, kom, cycle, d, embargo_until=until)
    db.commit()
    return org, cycle, ids, tied


def test_the_public_sees_rankings_counts_and_charts_without_logging_in(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _org, cycle, _ids, _tied = _published(factory, db)
    page = client.get(f"/hasil/{cycle.id}")
    assert page.status_code == 200
    assert page.text.count("86,67") >= 2  # the two tied bodies
    assert "<svg" in page.text and "Menuju Informatif" in page.text
    assert "66,67%" in page.text  # 2 of 3 bodies are Menuju Informatif
    found = client.get(f"/hasil/{cycle.id}", params={"q": "tidak ada yang cocok"})
    assert "Tidak ada badan publik yang cocok" in found.text
    assert str(cycle.id) in client.get("/hasil").text


def test_open_data_uses_decimal_dots_and_iso_dates(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _org, cycle, _ids, _tied = _published(factory, db)
    text = client.get(f"/hasil/{cycle.id}/data.csv").text
    assert "86.67" in text and "2025-12-01" in text and "86,67" not in text
    data = json.loads(client.get(f"/hasil/{cycle.id}/data.json").text)
    ranks = sorted(r["rank"] for r in data["results"] if r["score"] == "86.67")
    assert ranks == [1, 1]


def test_embargoed_and_unpublished_results_stay_hidden(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, cycle, _ids, _tied = _published(factory, db, embargo=True)
    assert client.get(f"/hasil/{cycle.id}").status_code == 404
    assert client.get(f"/hasil/{cycle.id}/data.csv").status_code == 404
    other = factory.cycle(factory.commission(), is_open=True)
    db.commit()
    assert client.get(f"/hasil/{other.id}").status_code == 404
    login(client, db, factory.user(org, Role.JURI))
    assert client.get(f"/hasil/{cycle.id}").status_code == 404


def test_a_body_page_shows_history_and_its_streak(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission(short_name="KI Uji Riwayat")
    body = factory.body(org, name="Pemerintah Kota Mojokerto")
    rows = [
        (
            2,
            {
                "commission": "KI Uji Riwayat",
                "year": "2023",
                "body": body.name,
                "score": "98.64",
                "qualification": "",
                "rank": "1",
            },
        ),
        (
            3,
            {
                "commission": "KI Uji Riwayat",
                "year": "2024",
                "body": body.name,
                "score": "98.56",
                "qualification": "Informatif",
                "rank": "",
            },
        ),
        (
            4,
            {
                "commission": "KI Uji Riwayat",
                "year": "2025",
                "body": body.name,
                "score": "99.45",
                "qualification": "",
                "rank": "",
            },
        ),
    ]
    assert history.import_history(db, rows, actor_user_id=None) == 3
    assert history.import_history(db, rows, actor_user_id=None) == 3  # idempotent
    db.commit()
    page = client.get(f"/hasil/badan/{body.id}")
    assert page.status_code == 200
    assert "Informatif 3 tahun berturut-turut (hattrick)" in page.text
    assert "99,45" in page.text and "<svg" in page.text


def test_a_history_file_with_unknown_bodies_or_impossible_scores_imports_nothing(
    db: Session, factory: Factory
) -> None:
    org = factory.commission(short_name="KI Uji Salah")
    body = factory.body(org, name="Pemerintah Kota Kupang")
    rows = [
        (
            2,
            {
                "commission": "KI Uji Salah",
                "year": "2023",
                "body": body.name,
                "score": "",
                "qualification": "Informatif",
            },
        ),
        (
            3,
            {
                "commission": "KI Uji Salah",
                "year": "2024",
                "body": "Kota Antah Berantah",
                "score": "90",
            },
        ),
        (4, {"commission": "KI Uji Salah", "year": "2024", "body": body.name, "score": "100.5"}),
    ]
    with pytest.raises(ValidationFailed) as caught:
        history.import_history(db, rows, actor_user_id=None)
    assert "Baris 3" in caught.value.message and "Baris 4" in caught.value.message
    assert "Baris 2" not in caught.value.message
    assert history.body_history(db, body) == []


def test_imported_rows_keep_an_empty_rank_and_derive_the_qualification(
    db: Session, factory: Factory
) -> None:
    org = factory.commission(short_name="KI Uji Band")
    body = factory.body(org, name="Pemerintah Kota Pasuruan")
    rows = [(2, {"commission": "KI Uji Band", "year": "2024", "body": body.name, "score": "89.99"})]
    history.import_history(db, rows, actor_user_id=None)
    (record,) = history.body_history(db, body)
    assert record.qualification == "Menuju Informatif"
    from app.results.models import HistoryResult

    assert db.query(HistoryResult).one().rank is None


def test_the_cycle_page_lists_the_most_improved_body_of_a_category(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, cycle, ids, _tied = _published(factory, db)
    from app.bodies.models import Body

    body = db.get(Body, ids["opd_pemprov"])
    assert body is not None
    rows = [
        (
            2,
            {
                "commission": org.short_name,
                "year": str(cycle.year - 1),
                "body": body.name,
                "score": "70.00",
            },
        )
    ]
    history.import_history(db, rows, actor_user_id=None)
    db.commit()
    page = client.get(f"/hasil/{cycle.id}")
    assert "Peningkatan nilai terbesar di kategorinya" in page.text and "+30,00" in page.text


def test_a_public_page_is_rendered_once_per_publication_state(
    client: TestClient, factory: Factory, db: Session
) -> None:
    from app.portal import cache

    cache.clear()
    _org, cycle, _ids, _tied = _published(factory, db)
    with counting(db.get_bind()) as counter:
        first = client.get(f"/hasil/{cycle.id}")
        built = len(counter.statements)
        counter.statements.clear()
        again = client.get(f"/hasil/{cycle.id}")
        served = len(counter.statements)
    assert first.text == again.text and "86,67" in again.text
    assert served < built and served <= 3  # the publication stamp, not the page's queries


def test_each_visitor_gets_their_own_csrf_token_escaped(
    client: TestClient, factory: Factory, db: Session
) -> None:
    from fastapi.testclient import TestClient as Client

    from app.portal import cache

    cache.clear()
    _org, cycle, _ids, _tied = _published(factory, db)
    mine = client.get(f"/hasil/{cycle.id}")
    token = client.cookies.get("monev_csrf")
    assert token and f'"X-CSRF-Token": "{token}"' in mine.text
    other = Client(client.app, follow_redirects=False, cookies={"monev_csrf": "x<b>y"})
    page = other.get(f"/hasil/{cycle.id}")
    assert token not in page.text and "x<b>y" not in page.text
    assert "x&lt;b&gt;y" in page.text  # a cookie's value is escaped like any template value


def test_an_amended_decree_shows_at_once(client: TestClient, factory: Factory, db: Session) -> None:
    from app.portal import cache

    cache.clear()
    org, cycle, _ids, _tied = _published(factory, db)
    assert "SK/1" in client.get(f"/hasil/{cycle.id}").text
    kom = factory.actor(factory.user(org, Role.KOMISIONER), org)
    rs = service.compute_and_store(db, system_actor(org.id), cycle)
    d = service.draft_decree(db, system_actor(org.id), cycle, rs, reason="Salah ketik nilai")
    service.approve_decree(db, kom, cycle, d, sk_number="SK/2", sk_date="2025-12-05")
    service.publish_decree(db, kom, cycle, d)
    db.commit()
    page = client.get(f"/hasil/{cycle.id}").text
    assert "SK/2" in page


def test_an_expired_page_is_rendered_again_by_one_request_while_others_get_the_copy(
    client: TestClient, factory: Factory, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.portal import cache

    cache.clear()
    _org, cycle, _ids, _tied = _published(factory, db)
    url = f"/hasil/{cycle.id}"
    first = client.get(url).text
    renders: list[str] = []
    real = cache._render

    def counted(*args: Any, **kw: Any) -> Any:
        renders.append(args[1])
        return real(*args, **kw)

    monkeypatch.setattr(cache, "_render", counted)
    monkeypatch.setattr(cache.time, "monotonic", lambda: 10**9)  # every kept page has expired
    (key,) = list(cache._pages)
    cache._refreshing.add(key)  # as if another request were rendering it now
    assert client.get(url).text == first and renders == []  # served the expired copy
    cache._refreshing.discard(key)
    assert client.get(url).text == first and len(renders) == 1  # rendered again, kept
    assert cache._pages[key].expires > 10**9 and not cache._refreshing


def test_the_public_rule_is_the_same_in_python_and_in_sql(factory: Factory, db: Session) -> None:
    """A decree is public once published and past any embargo: the portal's queries and the
    check of a loaded decree agree, before the embargo, after it and for a superseded one."""
    from sqlalchemy import select

    from app.portal.views import public_cycles
    from app.results.models import Decree

    _org, cycle, _ids, _tied = _published(factory, db, embargo=True)
    (decree,) = db.scalars(select(Decree).where(Decree.cycle_id == cycle.id))
    assert decree.embargo_until is not None
    for now in (utcnow(), decree.embargo_until, decree.embargo_until + timedelta(seconds=1)):
        in_sql = db.scalar(select(Decree.id).where(Decree.id == decree.id, Decree.public_at(now)))
        assert decree.is_public_at(now) == (in_sql is not None)
        assert (service.public_decree(db, cycle, now=now) is not None) == decree.is_public_at(now)
    assert not decree.is_public_at(utcnow())  # still embargoed
    assert cycle.id not in [c.id for c, _org, _d in public_cycles(db)]
    decree.status = "superseded"
    assert not decree.is_public_at(decree.embargo_until + timedelta(days=1))
