"""Reading the audit trail: field changes (pure), the commission's trail and one object's
timeline (service and pages), each commission seeing only its own records."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit import rules, service
from app.audit.service import record, seal
from tests.factories import Factory, login

# --- rules --------------------------------------------------------------------------------


def test_changes_list_only_what_differs_in_a_stable_order() -> None:
    got = rules.changes(
        {"status": "draft", "name": "SAQ", "old": 1}, {"status": "open", "name": "SAQ", "new": 2}
    )
    assert [(c.field, c.before, c.after) for c in got] == [
        ("status", "draft", "open"),
        ("new", None, 2),
        ("old", 1, None),
    ]
    assert got[1].added and got[2].removed and not got[0].added


def test_a_creation_or_a_deletion_lists_every_field() -> None:
    assert [c.field for c in rules.changes(None, {"a": 1, "b": 2})] == ["a", "b"]
    assert [c.field for c in rules.changes({"a": 1}, None)] == ["a"]


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)
records = st.dictionaries(st.sampled_from("abcdef"), values, max_size=6)


@given(records, records)
def test_applying_the_changes_turns_before_into_after(
    before: dict[str, object], after: dict[str, object]
) -> None:
    state = dict(before)
    for c in rules.changes(before, after):
        if c.after is None:
            state.pop(c.field, None)
        else:
            state[c.field] = c.after
    assert {k: v for k, v in state.items() if v is not None} == {
        k: v for k, v in after.items() if v is not None
    }


def test_values_are_shown_short_and_in_indonesian() -> None:
    assert rules.show_value(None) == "—"
    assert rules.show_value(True) == "ya" and rules.show_value(False) == "tidak"
    assert rules.show_value({"skor": "94.74"}) == '{"skor": "94.74"}'
    assert rules.show_value("x" * 300).endswith("…") and len(rules.show_value("x" * 300)) == 200
    assert rules.object_label("cycle") == "Siklus"
    assert rules.object_label("new_thing") == "New thing"


# --- service and pages --------------------------------------------------------------------


def _events(db: Session, org_id: int, other_org_id: int, user_id: int) -> None:
    for n in range(3):
        record(
            db,
            actor_user_id=user_id,
            organisation_id=org_id,
            action="cycle.updated",
            object_type="cycle",
            object_id=7,
            before={"name": f"Monev {n}"},
            after={"name": f"Monev {n + 1}"},
        )
    record(
        db,
        actor_user_id=None,
        organisation_id=org_id,
        action="body.created",
        object_type="body",
        object_id=9,
        after={"name": "Dinas Kominfo"},
    )
    record(
        db,
        actor_user_id=None,
        organisation_id=other_org_id,
        action="cycle.updated",
        object_type="cycle",
        object_id=7,
        after={"name": "Rahasia komisi lain"},
    )
    seal(db)


def test_the_trail_is_the_commissions_own_newest_first_and_filterable(
    db: Session, factory: Factory
) -> None:
    org, other = factory.commission(), factory.commission()
    sek = factory.user(org, Role.SEKRETARIAT, full_name="Sri Sekretariat")
    _events(db, org.id, other.id, sek.id)
    trail = service.organisation_timeline(db, org.id)
    assert [e.event.action for e in trail][:2] == ["body.created", "cycle.updated"]
    assert all(e.event.organisation_id == org.id for e in trail)
    cycle_only = service.organisation_timeline(db, org.id, object_type="cycle", object_id="7")
    assert len(cycle_only) == 3 and cycle_only[0].actor_name == "Sri Sekretariat"
    assert cycle_only[0].changes[0].after == "Monev 3"
    assert service.organisation_timeline(db, org.id, action="body.")[0].actor_name == "Sistem"
    assert service.organisation_timeline(db, org.id, action="%") == []  # no wildcard leaks
    page = service.organisation_timeline(db, org.id, limit=2)
    older = service.organisation_timeline(db, org.id, before_id=page[-1].event.id, limit=2)
    assert [e.event.id for e in older] and max(e.event.id for e in older) < page[-1].event.id
    assert "body" in service.object_types(db, org.id)


def test_the_pages_show_changes_and_hide_other_commissions(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org, other = factory.commission(), factory.commission()
    sek = factory.user(org, Role.SEKRETARIAT, full_name="Sri Sekretariat")
    _events(db, org.id, other.id, sek.id)
    login(client, db, sek)
    page = client.get("/riwayat")
    assert page.status_code == 200
    assert "Dinas Kominfo" in page.text and "Rahasia komisi lain" not in page.text
    timeline = client.get("/riwayat/cycle/7")
    assert timeline.status_code == 200
    text = timeline.text
    assert text.index("Monev 1") < text.index("Monev 3")  # oldest first
    assert "Sri Sekretariat" in text and "Rahasia komisi lain" not in text
    assert client.get("/riwayat/cycle/999").status_code == 404
    filtered = client.get("/riwayat", params={"jenis": "body", "sebelum": "99999999999999999999"})
    assert filtered.status_code == 200 and "Monev 3" not in filtered.text


def test_an_operator_cannot_read_the_trail(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    op = factory.user(org, Role.OPERATOR, body=factory.body(org))
    login(client, db, op)
    assert client.get("/riwayat").status_code == 403
