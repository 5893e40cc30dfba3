"""In-app notifications and a person's e-mail preferences.

Other domains call `notify(db, user_ids, kind=…, title=…)` (or `notify_body` /
`notify_role` to reach a body's people or a commission's role holders) when something happens
that someone must see: a clarification asked, an appeal decided, a slot scheduled, results
published.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import BODY_ROLES, Actor
from app.audit.service import record
from app.db import utcnow
from app.errors import NotFound
from app.notifications.models import Notification, NotificationPreference
from app.notifications.rules import safe_link
from app.outbox.service import insert_once


def notify(
    db: Session,
    user_ids: Iterable[int],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    organisation_id: int | None = None,
) -> int:
    """Give each person (once, however often listed) a notification; the number created.

    `link` must be a path inside the application (e.g. `/bantuan/12`).
    """
    link = safe_link(link)
    ids = sorted(set(user_ids))
    now = utcnow()
    db.add_all(
        Notification(
            user_id=uid,
            organisation_id=organisation_id,
            kind=kind[:60],
            title=" ".join(title.split())[:200],
            body=body,
            link=link,
            created_at=now,
        )
        for uid in ids
    )
    db.flush()
    return len(ids)


def body_people(db: Session, body_id: int, roles: Iterable[str] = BODY_ROLES) -> list[int]:
    """Active people holding a role (by default: operator or atasan PPID) for a body."""
    return list(
        db.scalars(
            select(RoleGrant.user_id)
            .join(User, User.id == RoleGrant.user_id)
            .where(
                RoleGrant.body_id == body_id,
                RoleGrant.role.in_(list(roles)),
                RoleGrant.revoked_at.is_(None),
                User.is_active,
            )
            .distinct()
        )
    )


def role_holders(db: Session, organisation_id: int, role: str) -> list[int]:
    """Active people holding `role` in a commission (e.g. its sekretariat)."""
    return list(
        db.scalars(
            select(RoleGrant.user_id)
            .join(User, User.id == RoleGrant.user_id)
            .where(
                RoleGrant.organisation_id == organisation_id,
                RoleGrant.role == role,
                RoleGrant.revoked_at.is_(None),
                User.is_active,
            )
            .distinct()
        )
    )


def notify_body(
    db: Session,
    body_id: int,
    *,
    organisation_id: int,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    exclude_user_id: int | None = None,
) -> int:
    """Notify every operator and atasan PPID of a body."""
    ids = [u for u in body_people(db, body_id) if u != exclude_user_id]
    return notify(
        db, ids, kind=kind, title=title, body=body, link=link, organisation_id=organisation_id
    )


def notify_role(
    db: Session,
    organisation_id: int,
    role: str,
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    exclude_user_id: int | None = None,
) -> int:
    """Notify everyone holding `role` in a commission."""
    ids = [u for u in role_holders(db, organisation_id, role) if u != exclude_user_id]
    return notify(
        db, ids, kind=kind, title=title, body=body, link=link, organisation_id=organisation_id
    )


# --- the person's own list ----------------------------------------------------------------------


def unread_count(db: Session, actor: Actor) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass
class NotificationPage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_notifications(
    db: Session, actor: Actor, *, page: int = 1, per_page: int = 30
) -> NotificationPage:
    """The actor's own notifications, newest first."""
    mine = Notification.user_id == actor.user_id
    total, unread = db.execute(
        select(func.count(), func.count().filter(Notification.read_at.is_(None))).where(mine)
    ).one()
    page = max(1, page)
    return NotificationPage(
        recent_notifications(db, actor, offset=(page - 1) * per_page, limit=per_page),
        total,
        unread,
        page,
        per_page,
    )


def recent_notifications(
    db: Session, actor: Actor, *, limit: int, offset: int = 0
) -> list[Notification]:
    """The actor's newest notifications (no counts: the SAQ page shows the last five)."""
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == actor.user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def get_notification_for_owner(db: Session, actor: Actor, notification_id: int) -> Notification:
    """A notification is visible to its recipient only."""
    n = db.get(Notification, notification_id)
    if n is None or n.user_id != actor.user_id:
        raise NotFound("Notifikasi tidak ditemukan.")
    return n


def mark_read(db: Session, actor: Actor, n: Notification, *, now: datetime | None = None) -> None:
    if n.user_id != actor.user_id:
        raise NotFound("Notifikasi tidak ditemukan.")
    if n.read_at is None:
        n.read_at = now or utcnow()
        db.flush()


def mark_all_read(db: Session, actor: Actor, *, now: datetime | None = None) -> int:
    res = db.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


# --- preferences --------------------------------------------------------------------------------


def opted_out_of_optional(db: Session, user_id: int) -> bool:
    return bool(
        db.scalar(
            select(NotificationPreference.optional_reminders_opt_out).where(
                NotificationPreference.user_id == user_id
            )
        )
    )


def set_optional_reminders(db: Session, actor: Actor, *, enabled: bool) -> None:
    """Switch optional reminder e-mail on or off for oneself (mandatory mail always comes)."""
    now = utcnow()
    insert_once(
        db,
        NotificationPreference,
        {"user_id": actor.user_id, "optional_reminders_opt_out": False, "updated_at": now},
    )
    pref = db.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == actor.user_id)
    ).one()
    before = pref.optional_reminders_opt_out
    pref.optional_reminders_opt_out = not enabled
    pref.updated_at = now
    db.flush()
    if before != pref.optional_reminders_opt_out:
        record(
            db,
            actor_user_id=actor.user_id,
            organisation_id=None,
            action="user.reminder_preference_changed",
            object_type="user",
            object_id=actor.user_id,
            before={"optional_reminders_opt_out": before},
            after={"optional_reminders_opt_out": pref.optional_reminders_opt_out},
        )
