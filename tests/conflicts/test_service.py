"""Declaring affiliations and the shared `has_conflict` check."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.conflicts import service as conflicts
from app.errors import Forbidden, NotFound, ValidationFailed
from tests.factories import Factory


def test_a_declared_parent_government_conflicts_with_its_units(
    db: Session, factory: Factory
) -> None:
    org = factory.commission()
    parent = factory.body(org)
    unit = factory.body(org, parent_id=parent.id)
    stranger = factory.body(org)
    juror = factory.user(org, Role.JURI)
    conflicts.declare_affiliation(
        db, factory.actor(juror, org), kind="parent_government", name="", body_id=parent.id
    )
    assert conflicts.has_conflict(db, juror.id, unit.id)
    assert conflicts.has_conflict(db, juror.id, parent.id)
    assert not conflicts.has_conflict(db, juror.id, stranger.id)


def test_conflicts_of_several_users_are_each_users_own(db: Session, factory: Factory) -> None:
    org = factory.commission()
    parent = factory.body(org)
    unit = factory.body(org, parent_id=parent.id)
    other = factory.body(org)
    by_parent, by_other, by_name, none = (factory.user(org, Role.JURI) for _ in range(4))
    for user, body_id in ((by_parent, parent.id), (by_other, other.id), (by_name, None)):
        conflicts.declare_affiliation(
            db, factory.actor(user, org), kind="other", name="Universitas X", body_id=body_id
        )
    users = [u.id for u in (by_parent, by_other, by_name, none)]
    found = conflicts.conflicts_of(db, users, {parent.id, unit.id, other.id})
    assert found == {by_parent.id: {parent.id, unit.id}, by_other.id: {other.id}}
    for user_id in users:  # the same answer one user at a time
        alone = conflicts.conflicted_body_ids(db, user_id, {parent.id, unit.id, other.id})
        assert alone == found.get(user_id, set())
    assert conflicts.conflicts_of(db, users, set()) == {}


def test_a_withdrawn_affiliation_no_longer_conflicts(db: Session, factory: Factory) -> None:
    org = factory.commission()
    body = factory.body(org)
    juror = factory.user(org, Role.JURI)
    actor = factory.actor(juror, org)
    aff = conflicts.declare_affiliation(db, actor, kind="institution", name="", body_id=body.id)
    assert aff.name == body.name
    conflicts.withdraw_affiliation(db, actor, aff.id)
    assert not conflicts.has_conflict(db, juror.id, body.id)
    with pytest.raises(NotFound):
        conflicts.withdraw_affiliation(db, actor, aff.id)


def test_bad_declarations_are_refused_clearly(db: Session, factory: Factory) -> None:
    org, other = factory.commission(), factory.commission()
    foreign = factory.body(other)
    juror = factory.actor(factory.user(org, Role.JURI), org)
    with pytest.raises(ValidationFailed) as exc:
        conflicts.declare_affiliation(db, juror, kind="teman", name="", body_id=foreign.id)
    assert set(exc.value.field_errors) == {"kind", "body_id", "name"}
    operator = factory.actor(factory.user(org, Role.OPERATOR, body=factory.body(org)), org)
    with pytest.raises(Forbidden):
        conflicts.declare_affiliation(db, operator, kind="other", name="Universitas X")


def test_someone_elses_affiliation_cannot_be_withdrawn(db: Session, factory: Factory) -> None:
    org = factory.commission()
    a = factory.actor(factory.user(org, Role.JURI), org)
    b = factory.actor(factory.user(org, Role.JURI), org)
    aff = conflicts.declare_affiliation(db, a, kind="other", name="Universitas X")
    with pytest.raises(NotFound):
        conflicts.withdraw_affiliation(db, b, aff.id)
