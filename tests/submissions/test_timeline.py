"""A body's own SAQ timeline: its edits, submission and reopening, oldest first; people
outside the body appear as the commission; other bodies' records never show."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.audit.service import submission_timeline
from app.submissions import service, workflow
from tests.factories import login
from tests.submissions.conftest import World


def _history(db: Session, w: World) -> None:
    first = w.item("1.1")
    ws = w.ws("operator")
    service.save_answer(db, w.actor("operator"), ws, first, value="Bulanan", version=0)
    other = w.ws("other_operator", w.other_body)
    other_item = next(it.id for it in other.bq.spec.items)
    service.save_answer(
        db, w.actor("other_operator"), other, other_item, value=None, text="x", version=0
    )
    workflow.submit_saq(db, w.actor("operator"), w.ws("operator"))
    workflow.reopen_submission(db, w.actor("sekretariat"), w.ws("sekretariat"), "Salah unggah")


def test_the_body_sees_its_own_history_with_the_commission_unnamed(db: Session, w: World) -> None:
    _history(db, w)
    entries = submission_timeline(db, w.org.id, w.cycle.id, w.body.id)
    actions = [e.event.action for e in entries]
    assert actions[0] == "submission.answer_saved"
    assert "submission.submitted" in actions and "submission.reopened" in actions
    assert actions.index("submission.submitted") < actions.index("submission.reopened")
    by_action = {e.event.action: e for e in entries}
    operator = w.users["operator"].full_name
    assert by_action["submission.answer_saved"].actor_name == operator
    assert by_action["submission.reopened"].actor_name == "Komisi Informasi"
    assert all(e.event.organisation_id == w.org.id for e in entries)
    other = submission_timeline(db, w.org.id, w.cycle.id, w.other_body.id)
    assert [e.event.action for e in other] == ["submission.answer_saved"]
    assert submission_timeline(db, w.org.id, w.cycle.id, w.unit.id) == []


def test_the_page_is_for_the_body_and_its_sekretariat_only(
    client: TestClient, db: Session, w: World
) -> None:
    _history(db, w)
    url = f"/siklus/{w.cycle.id}/badan/{w.body.id}/saq/riwayat"
    login(client, db, w.users["operator"])
    page = client.get(url)
    assert page.status_code == 200 and "Salah unggah" in page.text
    assert "Komisi Informasi" in page.text
    assert w.users["sekretariat"].full_name not in page.text
    login(client, db, w.users["sekretariat"])
    assert client.get(url).status_code == 200
    for outsider in ("other_operator", "juri", "outsider"):
        login(client, db, w.users[outsider])
        assert client.get(url).status_code in (403, 404), outsider
