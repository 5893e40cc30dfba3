"""Roles and the actor they make up; pure, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    SEKRETARIAT = "sekretariat"
    KOMISIONER = "komisioner"
    VERIFIKATOR = "verifikator"
    REVIEWER = "reviewer"
    JURI = "juri"
    PANITIA = "panitia"
    OPERATOR = "operator"
    ATASAN_PPID = "atasan_ppid"


ROLE_LABELS: dict[str, str] = {
    Role.SEKRETARIAT: "Sekretariat",
    Role.KOMISIONER: "Komisioner",
    Role.VERIFIKATOR: "Verifikator",
    Role.REVIEWER: "Reviewer (verifikator senior)",
    Role.JURI: "Juri / panelis",
    Role.PANITIA: "Panitia acara",
    Role.OPERATOR: "Operator badan publik",
    Role.ATASAN_PPID: "Atasan PPID",
    "admin": "Admin platform",
}

BODY_ROLES = frozenset({Role.OPERATOR, Role.ATASAN_PPID})
STAFF_ROLES = frozenset(Role) - BODY_ROLES


def role_needs_body(role: str) -> bool:
    """Operators and atasan PPID always act for one named body."""
    return role in BODY_ROLES


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which organisation, with which roles there."""

    user_id: int
    email: str
    full_name: str
    is_admin: bool = False
    organisation_id: int | None = None
    roles: frozenset[str] = frozenset()
    body_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    organisation_ids: frozenset[int] = frozenset()

    def has(self, *roles: str) -> bool:
        """True when the actor holds any of `roles` in the current organisation."""
        return any(r in self.roles for r in roles)

    @property
    def body_ids(self) -> frozenset[int]:
        return frozenset(self.body_roles)

    def acts_for_body(self, body_id: int, *roles: str) -> bool:
        """True when the actor holds one of `roles` (any body role if none given) for the body."""
        held = self.body_roles.get(body_id, frozenset())
        return bool(held) if not roles else any(r in held for r in roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)


def home_sections(actor: Actor) -> list[str]:
    """The sections a role-appropriate home page shows, in order."""
    sections: list[str] = []
    if actor.is_admin:
        sections.append("admin")
    order = [
        Role.SEKRETARIAT,
        Role.KOMISIONER,
        Role.VERIFIKATOR,
        Role.REVIEWER,
        Role.JURI,
        Role.PANITIA,
    ]
    sections += [str(r) for r in order if r in actor.roles]
    if actor.body_roles:
        sections.append("body")
    return sections
