"""Declaring affiliations and checking conflicts; other domains call `has_conflict`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.bodies.models import Body
from app.conflicts.models import Affiliation
from app.conflicts.rules import AFFILIATION_KINDS, is_conflicted
from app.db import memo, utcnow
from app.errors import Forbidden, NotFound, ValidationFailed


def active_affiliations(db: Session, user_id: int) -> list[Affiliation]:
    """The user's affiliations that are not withdrawn, oldest first."""
    return list(
        db.scalars(
            select(Affiliation)
            .where(Affiliation.user_id == user_id, Affiliation.revoked_at.is_(None))
            .order_by(Affiliation.id)
        )
    )


def _parents(db: Session, body_ids: set[int]) -> dict[int, int | None]:
    if not body_ids:
        return {}
    rows = db.execute(select(Body.id, Body.parent_id).where(Body.id.in_(body_ids)))
    return {bid: parent for bid, parent in rows}


# Asked on every verdict and panel score: built once per process (~0.1 ms each time otherwise).
_AFFILIATED_BODIES = select(Affiliation.user_id, Affiliation.body_id).where(
    Affiliation.user_id.in_(bindparam("user_ids", expanding=True)),
    Affiliation.revoked_at.is_(None),
    Affiliation.body_id.is_not(None),
)


def conflicts_of(db: Session, user_ids: Iterable[int], body_ids: set[int]) -> dict[int, set[int]]:
    """Per user (of `user_ids`), which of `body_ids` the user may not judge, by the users'
    declared affiliations; two queries whatever the number of users. Users with no conflict
    among `body_ids` are left out."""
    users = set(user_ids)
    if not users or not body_ids:
        return {}
    linked: dict[int, set[int]] = {}
    for user_id, body_id in db.execute(_AFFILIATED_BODIES, {"user_ids": list(users)}):
        if body_id is not None:
            linked.setdefault(user_id, set()).add(body_id)
    if not linked:
        return {}
    parent_of = _parents(db, set().union(*linked.values()) | body_ids)
    out: dict[int, set[int]] = {}
    for user_id, affiliated in linked.items():
        found = {b for b in body_ids if is_conflicted(affiliated, b, parent_of)}
        if found:
            out[user_id] = found
    return out


def conflicted_body_ids(db: Session, user_id: int, body_ids: set[int]) -> set[int]:
    """Which of `body_ids` the user may not judge, by the user's declared affiliations."""
    return conflicts_of(db, (user_id,), body_ids).get(user_id, set())


def has_conflict(db: Session, user_id: int, body_id: int) -> bool:
    """True when the user declared an affiliation with the body or its parent body (read once
    per request: see `memo`)."""
    return memo(
        db,
        ("conflict", user_id, body_id),
        lambda: body_id in conflicted_body_ids(db, user_id, {body_id}),
    )


def declare_affiliation(
    db: Session,
    actor: Actor,
    *,
    kind: str,
    name: str,
    body_id: int | str | None = None,
    note: str = "",
) -> Affiliation:
    """Record an affiliation the acting user declares in their commission."""
    if actor.organisation_id is None or not actor.is_staff:
        raise Forbidden(
            "Hanya anggota komisi (juri, verifikator, staf) yang mendeklarasikan afiliasi."
        )
    errors: dict[str, str] = {}
    if kind not in AFFILIATION_KINDS:
        errors["kind"] = "Pilih jenis afiliasi."
    name = (name or "").strip()
    linked: int | None = None
    if body_id not in (None, ""):
        try:
            linked = int(body_id)
        except ValueError:
            errors["body_id"] = "Badan publik tidak dikenal."
        else:
            body = db.get(Body, linked)
            if body is None or body.organisation_id != actor.organisation_id:
                errors["body_id"] = "Badan publik tidak dikenal."
            elif not name:
                name = body.name
    if not name:
        errors["name"] = "Tulis nama instansi."
    elif len(name) > 250:
        errors["name"] = "Nama instansi paling banyak 250 karakter."
    if errors:
        raise ValidationFailed("Periksa kembali isian afiliasi.", field_errors=errors)
    aff = Affiliation(
        organisation_id=actor.organisation_id,
        user_id=actor.user_id,
        kind=kind,
        name=name,
        body_id=linked,
        note=(note or "").strip()[:2000],
    )
    db.add(aff)
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        action="conflicts.declare",
        object_type="affiliation",
        object_id=aff.id,
        after={"kind": kind, "name": name, "body_id": linked},
    )
    return aff


def withdraw_affiliation(db: Session, actor: Actor, affiliation_id: int) -> Affiliation:
    """Withdraw one of the acting user's own affiliations (kept for the record)."""
    aff = db.get(Affiliation, affiliation_id)
    if aff is None or aff.user_id != actor.user_id or aff.revoked_at is not None:
        raise NotFound("Afiliasi tidak ditemukan.")
    aff.revoked_at = utcnow()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=aff.organisation_id,
        action="conflicts.withdraw",
        object_type="affiliation",
        object_id=aff.id,
        before={"kind": aff.kind, "name": aff.name, "body_id": aff.body_id},
    )
    return aff
