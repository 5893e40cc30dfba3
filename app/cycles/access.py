"""Who may see and change a cycle: the one loader every page and service goes through."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.cycles.models import Cycle, CycleTarget
from app.errors import Forbidden, NotFound
from app.orgs.models import Organisation


def actor_id(actor: Actor) -> int | None:
    """The acting user's id for records; None for the command line's system actor (id 0)."""
    return actor.user_id or None


def system_actor(organisation_id: int) -> Actor:
    """The command line and the demo seed act as the platform itself inside one commission."""
    return Actor(
        user_id=0, email="", full_name="sistem", is_admin=True, organisation_id=organisation_id
    )


def is_staff_of(actor: Actor, organisation_id: int) -> bool:
    """Commission staff (any staff role, or the platform admin) acting in that commission."""
    return actor.organisation_id == organisation_id and (actor.is_admin or actor.is_staff)


def can_manage(actor: Actor, cycle: Cycle) -> bool:
    """The sekretariat (or the platform admin) of the cycle's commission."""
    return actor.organisation_id == cycle.organisation_id and (
        actor.is_admin or actor.has(Role.SEKRETARIAT)
    )


def require_manager(actor: Actor, cycle: Cycle) -> None:
    if not can_manage(actor, cycle):
        raise Forbidden("Hanya sekretariat komisi yang dapat mengubah siklus monev.")


def require_sekretariat(actor: Actor) -> int:
    """The actor's commission, when the actor is its sekretariat (or the platform admin)."""
    if actor.organisation_id is None or not (actor.is_admin or actor.has(Role.SEKRETARIAT)):
        raise Forbidden("Hanya sekretariat komisi yang dapat membuat siklus monev.")
    return actor.organisation_id


def actor_target_body_ids(db: Session, actor: Actor, cycle: Cycle) -> set[int]:
    """The bodies the actor speaks for that are targets of the cycle."""
    if not actor.body_ids:
        return set()
    return set(
        db.scalars(
            select(CycleTarget.body_id).where(
                CycleTarget.cycle_id == cycle.id, CycleTarget.body_id.in_(actor.body_ids)
            )
        )
    )


def get_cycle_for_actor(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    """Load a cycle the actor may see: staff of its commission, or a target body once it is open.

    Anything else (another commission, a draft cycle for a body) is NotFound.
    """
    cycle = db.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound("Siklus monev tidak ditemukan.")
    if is_staff_of(actor, cycle.organisation_id):
        return cycle
    if cycle.is_open and actor_target_body_ids(db, actor, cycle):
        return cycle
    raise NotFound("Siklus monev tidak ditemukan.")


def organisation_of(db: Session, cycle: Cycle) -> Organisation:
    """The cycle's commission (kept on the cycle object once loaded)."""
    org = cycle.organisation
    if org is None:  # a cycle not flushed yet: relationships are not loaded on pending objects
        org = db.get(Organisation, cycle.organisation_id)
    assert org is not None
    return org


def get_cycle_for_staff(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    """A cycle for the staff pages of its own commission; anyone else gets NotFound."""
    cycle = get_cycle_for_actor(db, actor, cycle_id)
    if not is_staff_of(actor, cycle.organisation_id):
        raise NotFound("Siklus monev tidak ditemukan.")
    return cycle
