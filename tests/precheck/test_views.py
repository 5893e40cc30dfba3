"""Pre-check through HTTP: suggestions beside the evidence on the verification sheet, the
verifier's Benar/Abaikan, re-check, and the sekretariat's report and settings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.jobs.models import Job
from app.precheck import rules
from app.precheck.models import PrecheckSetting, Suggestion
from app.verification.service import assign_verifier
from tests.factories import Factory, form, login
from tests.precheck import pdfs
from tests.precheck.conftest import Attach, run
from tests.verification.helpers import World


@pytest.fixture
def pw(factory: Factory, db: Session, vw: World, attach: Attach) -> World:
    """Body 0: a blank PDF on the DIP item and a corrupt one on the study item, examined;
    verifier 0 assigned to it."""
    body = vw.bodies[0]
    attach(body, vw.items["1.2"], pdfs.blank_pdf(), "sk-dip.pdf")
    attach(body, vw.items["2.1.3"], pdfs.corrupt_pdf(), "kajian.pdf")
    run(db, vw, body)
    assign_verifier(db, vw.sek, vw.cycle, body_id=body.id, verifier_id=vw.verifiers[0].id)
    vw.users["outsider"] = factory.user(factory.commission(), Role.SEKRETARIAT)
    return vw


def _sheet(w: World) -> str:
    return f"/verifikasi/{w.cycle.id}/badan/{w.bodies[0].id}"


def _suggestion(db: Session) -> Suggestion:
    return db.scalars(select(Suggestion)).one()


def test_the_verifier_sees_suggestions_beside_the_evidence_and_dismisses_one(
    client: TestClient, db: Session, pw: World
) -> None:
    login(client, db, pw.verifiers[0])
    page = client.get(_sheet(pw))
    assert page.status_code == 200
    assert "Saran pra-periksa" in page.text and "tidak memuat teks" in page.text
    assert "tidak dapat diperiksa" in page.text  # the corrupt file, marked, not blocking
    assert "2 halaman" in page.text
    s = _suggestion(db)
    assert s.kind == rules.NO_TEXT
    r = client.post(f"{_sheet(pw)}/saran/{s.id}", data=form(decision="dismissed"))
    assert r.status_code == 303 and r.headers["location"].endswith(f"#butir-{s.item_id}")
    db.refresh(s)
    assert s.status == "dismissed" and s.decided_by_id == pw.verifiers[0].id
    assert "diabaikan" in client.get(_sheet(pw)).text


def test_a_decision_without_a_choice_is_refused_with_a_message(
    client: TestClient, db: Session, pw: World
) -> None:
    login(client, db, pw.verifiers[0])
    s = _suggestion(db)
    r = client.post(f"{_sheet(pw)}/saran/{s.id}", data=form(decision="mungkin"))
    assert r.status_code == 422 and "Benar" in r.text and "Abaikan" in r.text
    db.refresh(s)
    assert s.status == "open"


@pytest.mark.parametrize("who", ["other_verifier", "sekretariat", "outsider", "operator"])
def test_only_the_assigned_verifier_may_decide(
    client: TestClient, db: Session, factory: Factory, pw: World, who: str
) -> None:
    users = {"other_verifier": pw.verifiers[1], **pw.users}
    login(client, db, users[who])
    s = _suggestion(db)
    r = client.post(f"{_sheet(pw)}/saran/{s.id}", data=form(decision="accepted"))
    assert r.status_code in (403, 404)
    db.refresh(s)
    assert s.status == "open"


def test_the_sheet_shows_no_decision_buttons_to_overseers(
    client: TestClient, db: Session, pw: World
) -> None:
    login(client, db, pw.users["sekretariat"])
    page = client.get(_sheet(pw))
    assert "tidak memuat teks" in page.text and 'value="dismissed"' not in page.text


def test_a_recheck_runs_the_examination_again(
    client: TestClient, db: Session, pw: World, attach: Attach
) -> None:
    attach(pw.bodies[0], pw.items["1.1"], pdfs.travel_report(pw.cycle.year - 9))
    login(client, db, pw.verifiers[0])
    r = client.post(f"{_sheet(pw)}/pra-periksa", data=form())
    assert r.status_code == 303
    job = db.scalars(select(Job).where(Job.kind == "precheck.examine")).one()
    db.refresh(job)
    assert job.status == "done", job.message
    found = {s.kind for s in db.scalars(select(Suggestion))}
    assert found == {rules.NO_TEXT, rules.OLD_YEAR, rules.OFF_TOPIC}


def test_a_recheck_before_submission_is_refused(
    client: TestClient, db: Session, factory: Factory, pw: World
) -> None:
    from tests.verification.helpers import add_body

    fresh = add_body(factory, db, pw.cycle)
    login(client, db, pw.users["sekretariat"])
    r = client.post(f"/verifikasi/{pw.cycle.id}/badan/{fresh.id}/pra-periksa", data=form())
    assert r.status_code == 409 and "belum mengirim" in r.text


def test_the_sekretariat_reads_the_report_and_changes_the_settings(
    client: TestClient, db: Session, pw: World
) -> None:
    s = _suggestion(db)
    s.status = "accepted"
    db.flush()
    login(client, db, pw.users["sekretariat"])
    url = f"/siklus/{pw.cycle.id}/pra-periksa"
    page = client.get(url)
    assert page.status_code == 200
    assert "100,00 %" in page.text and pw.bodies[0].name in page.text
    r = client.post(
        f"{url}/pengaturan",
        data=form(max_age_years="2", min_text_chars="20", item_max_age="2.1.3 = 5"),
    )
    assert r.status_code == 303
    saved = db.get(PrecheckSetting, pw.cycle.id)
    assert saved is not None and saved.item_max_age == {"2.1.3": 5}
    assert "2.1.3 = 5" in client.get(url).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_age_years": "dua", "min_text_chars": "20"}, "Isi angka bulat"),
        ({"max_age_years": "2", "min_text_chars": "20", "item_max_age": "2.1.3"}, "kode = "),
    ],
)
def test_bad_settings_are_refused_and_typed_values_kept(
    client: TestClient, db: Session, pw: World, data: dict[str, str], message: str
) -> None:
    login(client, db, pw.users["sekretariat"])
    r = client.post(f"/siklus/{pw.cycle.id}/pra-periksa/pengaturan", data=form(**data))
    assert r.status_code == 422 and message in r.text
    assert data.get("item_max_age", data["max_age_years"]) in r.text
    assert db.get(PrecheckSetting, pw.cycle.id) is None


def test_who_may_read_the_report(client: TestClient, db: Session, pw: World) -> None:
    url = f"/siklus/{pw.cycle.id}/pra-periksa"
    for who, ok in (("komisioner", True), ("operator", False), ("outsider", False)):
        login(client, db, pw.users[who])
        assert (client.get(url).status_code == 200) is ok, who
    login(client, db, pw.verifiers[0])
    assert client.get(url).status_code == 403
    login(client, db, pw.users["komisioner"])
    r = client.post(f"{url}/pengaturan", data=form(max_age_years="1", min_text_chars="5"))
    assert r.status_code == 403
