"""Broadcasts: the sekretariat writes once, previews, confirms; then one e-mail per recipient."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.notifications.models import Broadcast
from app.notifications.rules import (
    PREVIEW_SAMPLES,
    BodyContact,
    BroadcastRenderError,
    OperatorContact,
    Recipient,
    Recipients,
    check_broadcast,
    render_broadcast,
    resolve_recipients,
)
from app.notifications.service import notify
from app.orgs.models import Organisation
from app.orgs.service import categories
from app.outbox.service import queue_email

AUDIENCES = {"all": "Semua badan publik aktif", "categories": "Badan publik kategori terpilih"}


def require_sekretariat(actor: Actor) -> None:
    if not actor.has(Role.SEKRETARIAT) or actor.organisation_id is None:
        raise Forbidden("Siaran hanya dapat dibuat oleh sekretariat komisi.")


def get_broadcast_for_actor(db: Session, actor: Actor, broadcast_id: int) -> Broadcast:
    require_sekretariat(actor)
    b = db.get(Broadcast, broadcast_id)
    if b is None or b.organisation_id != actor.organisation_id:
        raise NotFound("Siaran tidak ditemukan.")
    return b


def list_broadcasts(db: Session, actor: Actor) -> list[Broadcast]:
    require_sekretariat(actor)
    return list(
        db.scalars(
            select(Broadcast)
            .where(Broadcast.organisation_id == actor.organisation_id)
            .order_by(Broadcast.id.desc())
            .limit(100)
        )
    )


def _snapshot(b: Broadcast) -> dict[str, Any]:
    return {
        "subject": b.subject,
        "body": b.body,
        "audience": b.audience,
        "category_codes": list(b.category_codes),
    }


def save_draft(
    db: Session,
    actor: Actor,
    *,
    subject: str,
    body: str,
    audience: str,
    category_codes: list[str],
    broadcast: Broadcast | None = None,
) -> Broadcast:
    """Create or change a draft broadcast after checking its text and its audience."""
    require_sekretariat(actor)
    assert actor.organisation_id is not None
    if broadcast is not None and broadcast.status != "draft":
        raise InvalidTransition("Siaran ini sudah dikirim dan tidak dapat diubah.")
    errors = check_broadcast(subject, body)
    known = {c.code for c in categories(db, actor.organisation_id)}
    codes = sorted({c for c in category_codes if c})
    if audience not in AUDIENCES:
        errors["audience"] = "Pilih penerima."
    elif audience == "categories":
        if not codes:
            errors["category_codes"] = "Pilih paling sedikit satu kategori."
        elif set(codes) - known:
            errors["category_codes"] = "Kategori tidak dikenal: " + ", ".join(
                sorted(set(codes) - known)
            )
    if errors:
        raise ValidationFailed("Periksa kembali isian siaran.", field_errors=errors)
    if audience == "all":
        codes = []
    now = utcnow()
    if broadcast is None:
        broadcast = Broadcast(
            organisation_id=actor.organisation_id, created_by_id=actor.user_id, created_at=now
        )
        db.add(broadcast)
        before = None
    else:
        before = _snapshot(broadcast)
    broadcast.subject, broadcast.body = subject.strip(), body.strip()
    broadcast.audience, broadcast.category_codes = audience, codes
    broadcast.updated_at = now
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=broadcast.organisation_id,
        action="broadcast.created" if before is None else "broadcast.updated",
        object_type="broadcast",
        object_id=broadcast.id,
        before=before,
        after=_snapshot(broadcast),
    )
    return broadcast


def recipients_of(db: Session, broadcast: Broadcast) -> Recipients:
    """The recipients as of now: active bodies of the audience, their operators' addresses."""
    stmt = select(Body).where(Body.organisation_id == broadcast.organisation_id, Body.is_active)
    if broadcast.audience == "categories":
        stmt = stmt.where(Body.default_category_code.in_(broadcast.category_codes))
    names = {c.code: c.name for c in categories(db, broadcast.organisation_id)}
    bodies = [
        BodyContact(
            id=b.id,
            name=b.name,
            category=names.get(b.default_category_code or "", "—"),
            email=b.email,
            ppid_email=b.ppid_email,
        )
        for b in db.scalars(stmt.order_by(Body.name, Body.id))
    ]
    operators = [
        OperatorContact(body_id=g.body_id or 0, user_id=u.id, full_name=u.full_name, email=u.email)
        for g, u in db.execute(
            select(RoleGrant, User)
            .join(User, User.id == RoleGrant.user_id)
            .join(Body, Body.id == RoleGrant.body_id)
            .where(
                Body.organisation_id == broadcast.organisation_id,
                RoleGrant.role == Role.OPERATOR,
                RoleGrant.revoked_at.is_(None),
                User.is_active,
            )
            .order_by(User.full_name, User.id)
        ).all()
    ]
    return resolve_recipients(bodies, operators)


def _context(org: Organisation, r: Recipient) -> dict[str, str]:
    return {
        "body_name": r.body_name,
        "recipient_name": r.name,
        "category": r.category,
        "commission": org.name,
        "login_url": get_settings().base_url.rstrip("/") + "/masuk",
    }


@dataclass
class Sample:
    recipient: Recipient
    subject: str
    body: str


@dataclass
class Preview:
    broadcast: Broadcast
    recipients: Recipients
    samples: list[Sample] = field(default_factory=list)
    error: str = ""

    @property
    def count(self) -> int:
        return len(self.recipients.recipients)


def preview(db: Session, actor: Actor, broadcast: Broadcast) -> Preview:
    """A few messages rendered exactly as they will be sent, and how many there will be."""
    require_sekretariat(actor)
    org = db.get(Organisation, broadcast.organisation_id)
    assert org is not None
    out = Preview(broadcast=broadcast, recipients=recipients_of(db, broadcast))
    try:
        for r in out.recipients.recipients[:PREVIEW_SAMPLES]:
            subject, body = render_broadcast(broadcast.subject, broadcast.body, _context(org, r))
            out.samples.append(Sample(r, subject, body))
    except BroadcastRenderError as exc:
        out.error = exc.message
    return out


def send_broadcast(db: Session, actor: Actor, broadcast: Broadcast, *, expected_count: int) -> int:
    """Confirm a previewed broadcast: one outbox message per recipient; the number queued.

    Refused when the recipients changed since the preview (the count differs), so what was
    reviewed is what goes out; refused as a whole when any message cannot be rendered.
    """
    require_sekretariat(actor)
    if broadcast.status != "draft":
        raise InvalidTransition("Siaran ini sudah dikirim.")
    org = db.get(Organisation, broadcast.organisation_id)
    assert org is not None
    found = recipients_of(db, broadcast)
    if not found.recipients:
        raise ValidationFailed("Tidak ada penerima dengan alamat email; tidak ada yang dikirim.")
    if len(found.recipients) != expected_count:
        raise Conflict(
            f"Jumlah penerima berubah sejak pratinjau ({expected_count} → "
            f"{len(found.recipients)}). Periksa pratinjau yang baru, lalu kirim lagi."
        )
    rendered: list[tuple[Recipient, str, str]] = []
    for r in found.recipients:
        try:
            subject, body = render_broadcast(broadcast.subject, broadcast.body, _context(org, r))
        except BroadcastRenderError as exc:
            raise ValidationFailed(
                f"Pesan untuk {r.body_name} tidak dapat dibuat: {exc.message} Tidak ada yang "
                "dikirim."
            ) from exc
        rendered.append((r, subject, body))
    now = utcnow()
    # Two people pressing "Kirim" at once: only the first one sends.
    res = db.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == "draft")
        .values(status="sent", sent_at=now, sent_by_id=actor.user_id, recipient_count=len(rendered))
        .execution_options(synchronize_session=False)
    )
    if getattr(res, "rowcount", 0) != 1:
        raise Conflict("Siaran ini baru saja dikirim oleh orang lain.")
    db.refresh(broadcast)
    for r, subject, body in rendered:
        queue_email(
            db,
            kind="broadcast",
            to=r.address,
            template="broadcast",
            context={"subject": subject, "content": body, "commission": org.name},
            organisation_id=org.id,
            user_id=r.user_id,
            dedupe_key=f"broadcast:{broadcast.id}:{r.body_id}:{r.address.lower()}",
        )
        if r.user_id is not None:
            notify(
                db,
                [r.user_id],
                kind="broadcast",
                title=subject,
                body=body,
                organisation_id=org.id,
            )
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=org.id,
        action="broadcast.sent",
        object_type="broadcast",
        object_id=broadcast.id,
        after={
            "recipients": len(rendered),
            "invalid_addresses": len(found.invalid),
            "bodies_without_address": len(found.without_address),
        },
    )
    return len(rendered)
