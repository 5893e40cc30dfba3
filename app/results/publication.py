"""Publication blockers: other domains register checks that keep results from being published.

A blocker takes `(db, cycle)` and returns plain-language reasons (empty = nothing blocks). The
panels domain registers "panels not locked", appeals register "open appeals", and so on:

    from app.results.publication import register_publication_blocker

    @register_publication_blocker
    def unlocked_panels(db: Session, cycle: Cycle) -> list[str]: ...

Publishing a decree (and the shortlist) is refused while any blocker returns a reason.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.cycles.models import Cycle

PublicationBlocker = Callable[[Session, Cycle], list[str]]
_BLOCKERS: list[PublicationBlocker] = []


def register_publication_blocker(blocker: PublicationBlocker) -> PublicationBlocker:
    """Add a check run before every publication (idempotent; usable as a decorator)."""
    if blocker not in _BLOCKERS:
        _BLOCKERS.append(blocker)
    return blocker


def unregister_publication_blocker(blocker: PublicationBlocker) -> None:
    """Remove a check (tests)."""
    if blocker in _BLOCKERS:
        _BLOCKERS.remove(blocker)


def publication_blockers(db: Session, cycle: Cycle) -> list[str]:
    """Every reason the cycle's results cannot be published now (empty = may publish)."""
    reasons: list[str] = []
    for blocker in list(_BLOCKERS):
        reasons.extend(blocker(db, cycle))
    return reasons
