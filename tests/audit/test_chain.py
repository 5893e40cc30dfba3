import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.rules import GENESIS
from app.audit.service import record, seal, timeline, verify_chain
from tests.factories import Factory


def bypass_guard(db: Session) -> None:
    """Act as an attacker with superuser rights who switches the append-only trigger off."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL session_replication_role = replica"))


def test_records_chain_to_each_other_and_verify(db: Session) -> None:
    a = record(
        db,
        actor_user_id=None,
        organisation_id=None,
        action="x.one",
        object_type="x",
        object_id=1,
        after={"score": "94.74"},
    )
    b = record(
        db,
        actor_user_id=None,
        organisation_id=None,
        action="x.two",
        object_type="x",
        object_id=1,
        before={"score": "94.74"},
        after={"score": "98.31"},
    )
    assert a.hash is None  # chained when the transaction commits or reads the trail
    seal(db)
    assert b.prev_hash == a.hash
    report = verify_chain(db)
    assert report.ok and report.checked >= 2
    assert [e.action for e in timeline(db, "x", 1)] == ["x.one", "x.two"]


def test_the_first_record_starts_from_genesis(db: Session) -> None:
    first = db.query(AuditEvent).order_by(AuditEvent.id).first()
    if first is None:
        first = record(
            db, actor_user_id=None, organisation_id=None, action="a", object_type="x", object_id=1
        )
        seal(db)
    assert first.prev_hash == GENESIS


def test_verification_finds_the_first_rewritten_record(db: Session, factory: Factory) -> None:
    factory.commission()
    ev = record(
        db,
        actor_user_id=None,
        organisation_id=None,
        action="score.set",
        object_type="x",
        object_id=2,
        after={"score": "92.31"},
    )
    record(
        db,
        actor_user_id=None,
        organisation_id=None,
        action="score.set",
        object_type="x",
        object_id=2,
        after={"score": "93.00"},
    )
    seal(db)
    bypass_guard(db)
    db.execute(
        update(AuditEvent)
        .where(AuditEvent.id == ev.id)
        .values(after={"score": "98.31"})
        .execution_options(synchronize_session=False)
    )
    db.expire_all()
    report = verify_chain(db)
    assert not report.ok and report.broken_at == ev.id


def test_verification_finds_a_deleted_record(db: Session) -> None:
    record(db, actor_user_id=None, organisation_id=None, action="a", object_type="x", object_id=3)
    mid = record(
        db, actor_user_id=None, organisation_id=None, action="b", object_type="x", object_id=3
    )
    last = record(
        db, actor_user_id=None, organisation_id=None, action="c", object_type="x", object_id=3
    )
    seal(db)
    bypass_guard(db)
    db.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": mid.id})
    db.expire_all()
    assert verify_chain(db).broken_at == last.id


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"],
)
def test_postgresql_refuses_to_rewrite_the_audit_trail(db: Session, statement: str) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL")
    record(db, actor_user_id=None, organisation_id=None, action="a", object_type="x", object_id=9)
    seal(db)
    nested = db.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
    nested.rollback()


def _note(db: Session, action: str) -> None:
    record(
        db, actor_user_id=None, organisation_id=None, action=action, object_type="y", object_id=1
    )


def test_reading_the_trail_in_the_same_transaction_sees_its_records_chained(db: Session) -> None:
    _note(db, "y.one")
    _note(db, "y.two")
    events = timeline(db, "y", 1)  # a read of the trail chains what is waiting first
    assert [e.action for e in events] == ["y.one", "y.two"]
    assert events[1].prev_hash == events[0].hash and events[0].id < events[1].id
    assert verify_chain(db).ok


def test_records_inside_a_rolled_back_savepoint_are_forgotten(db: Session) -> None:
    _note(db, "y.kept")
    nested = db.begin_nested()
    _note(db, "y.undone")
    nested.rollback()
    with db.begin_nested():
        _note(db, "y.released")
    assert [e.action for e in timeline(db, "y", 1)] == ["y.kept", "y.released"]


def test_a_commit_chains_and_stores_the_records(db: Session) -> None:
    nested = db.begin_nested()
    _note(db, "y.committed")
    db.commit()  # the app's commit: in tests a savepoint release inside the test's transaction
    assert nested.is_active is False
    stored = db.scalars(select(AuditEvent).where(AuditEvent.action == "y.committed")).one()
    assert stored.hash and verify_chain(db).ok


def test_a_record_chained_inside_a_rolled_back_savepoint_is_not_lost(db: Session) -> None:
    _note(db, "y.before")  # made in the outer transaction
    nested = db.begin_nested()
    _note(db, "y.inside")
    assert [e.action for e in timeline(db, "y", 1)] == ["y.before", "y.inside"]  # chained here
    nested.rollback()  # takes the inserted rows with it: y.before must wait again, y.inside not
    assert [e.action for e in timeline(db, "y", 1)] == ["y.before"]
    assert verify_chain(db).ok
