"""Helpdesk: a body asks its commission, the sekretariat answers; good answers become FAQ."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import BODY_ROLES, Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.helpdesk.models import FaqEntry, HelpdeskMessage, HelpdeskThread
from app.notifications.service import notify_body, notify_role
from app.orgs.models import Organisation

STATUS_LABELS = {"open": "menunggu jawaban", "answered": "dijawab", "closed": "selesai"}
ITEM_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,39}$")
MAX_SUBJECT, MAX_MESSAGE, MAX_QUESTION, MAX_ANSWER = 200, 5000, 300, 10_000


def is_commission_side(actor: Actor, organisation_id: int) -> bool:
    return actor.has(Role.SEKRETARIAT) and actor.organisation_id == organisation_id


def can_use_helpdesk(actor: Actor) -> bool:
    return actor.has(Role.SEKRETARIAT) or bool(actor.body_roles)


def asking_bodies(db: Session, actor: Actor) -> list[Body]:
    """The bodies the actor may ask for (operator or atasan PPID of, in this commission)."""
    ids = [b for b, roles in actor.body_roles.items() if roles & BODY_ROLES]
    if not ids:
        return []
    return list(db.scalars(select(Body).where(Body.id.in_(ids)).order_by(Body.name)))


def get_thread_for_actor(db: Session, actor: Actor, thread_id: int) -> HelpdeskThread:
    """A thread is visible to its body's people and its commission's sekretariat only."""
    t = db.get(HelpdeskThread, thread_id)
    if t is None:
        raise NotFound("Pertanyaan tidak ditemukan.")
    if is_commission_side(actor, t.organisation_id) or actor.acts_for_body(t.body_id):
        return t
    raise NotFound("Pertanyaan tidak ditemukan.")


@dataclass
class ThreadRow:
    thread: HelpdeskThread
    body_name: str
    messages: int


def list_threads(db: Session, actor: Actor, *, status: str = "") -> list[ThreadRow]:
    """The sekretariat sees its commission's threads; a body's people their body's threads."""
    if not can_use_helpdesk(actor):
        raise Forbidden("Bantuan hanya untuk badan publik dan sekretariat komisi.")
    count = (
        select(func.count())
        .where(HelpdeskMessage.thread_id == HelpdeskThread.id)
        .correlate(HelpdeskThread)
        .scalar_subquery()
    )
    stmt = select(HelpdeskThread, Body.name, count).join(Body, Body.id == HelpdeskThread.body_id)
    if actor.has(Role.SEKRETARIAT):
        stmt = stmt.where(HelpdeskThread.organisation_id == actor.organisation_id)
    else:
        stmt = stmt.where(HelpdeskThread.body_id.in_(list(actor.body_ids)))
    if status in STATUS_LABELS:
        stmt = stmt.where(HelpdeskThread.status == status)
    rows = db.execute(stmt.order_by(HelpdeskThread.last_message_at.desc()).limit(200)).all()
    return [ThreadRow(t, name, n) for t, name, n in rows]


def messages_of(db: Session, thread: HelpdeskThread) -> list[HelpdeskMessage]:
    return list(
        db.scalars(
            select(HelpdeskMessage)
            .where(HelpdeskMessage.thread_id == thread.id)
            .order_by(HelpdeskMessage.created_at, HelpdeskMessage.id)
        )
    )


def _check_text(errors: dict[str, str], name: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        errors[name] = "Wajib diisi."
    elif len(value) > limit:
        errors[name] = f"Terlalu panjang (maks. {limit} karakter)."
    return value


def ask(
    db: Session,
    actor: Actor,
    *,
    body_id: int,
    subject: str,
    message: str,
    item_code: str = "",
) -> HelpdeskThread:
    """A body's operator or atasan PPID asks the commission; the sekretariat is notified."""
    body = db.get(Body, body_id) if body_id else None
    if body is None or not actor.acts_for_body(body.id, *BODY_ROLES):
        raise ValidationFailed(
            "Pilih badan publik Anda.", field_errors={"body_id": "Pilih badan publik Anda."}
        )
    errors: dict[str, str] = {}
    subject = _check_text(errors, "subject", subject, MAX_SUBJECT)
    message = _check_text(errors, "message", message, MAX_MESSAGE)
    code = item_code.strip() or None
    if code and not ITEM_CODE_RE.match(code):
        errors["item_code"] = "Kode butir berupa angka dan titik, mis. 2.3.4.0."
    if errors:
        raise ValidationFailed("Periksa kembali pertanyaan Anda.", field_errors=errors)
    now = utcnow()
    thread = HelpdeskThread(
        organisation_id=body.organisation_id,
        body_id=body.id,
        created_by_id=actor.user_id,
        subject=subject,
        item_code=code,
        status="open",
        created_at=now,
        last_message_at=now,
    )
    db.add(thread)
    db.flush()
    db.add(
        HelpdeskMessage(thread_id=thread.id, author_id=actor.user_id, body=message, created_at=now)
    )
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=thread.organisation_id,
        action="helpdesk.asked",
        object_type="helpdesk_thread",
        object_id=thread.id,
        after={"body_id": body.id, "subject": subject, "item_code": code},
    )
    notify_role(
        db,
        thread.organisation_id,
        Role.SEKRETARIAT,
        kind="helpdesk.asked",
        title=f"Pertanyaan baru dari {body.name}: {subject}",
        body=message[:500],
        link=f"/bantuan/{thread.id}",
        exclude_user_id=actor.user_id,
    )
    return thread


def reply(db: Session, actor: Actor, thread: HelpdeskThread, *, message: str) -> HelpdeskMessage:
    """Add to a thread; the other side is notified. A body's reply reopens a closed thread."""
    commission = is_commission_side(actor, thread.organisation_id)
    if not commission and not actor.acts_for_body(thread.body_id, *BODY_ROLES):
        raise NotFound("Pertanyaan tidak ditemukan.")
    errors: dict[str, str] = {}
    message = _check_text(errors, "message", message, MAX_MESSAGE)
    if errors:
        raise ValidationFailed("Tulis pesan terlebih dahulu.", field_errors=errors)
    now = utcnow()
    msg = HelpdeskMessage(
        thread_id=thread.id,
        author_id=actor.user_id,
        is_from_commission=commission,
        body=message,
        created_at=now,
    )
    db.add(msg)
    before = thread.status
    thread.status = "answered" if commission else "open"
    thread.last_message_at = now
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=thread.organisation_id,
        action="helpdesk.answered" if commission else "helpdesk.replied",
        object_type="helpdesk_thread",
        object_id=thread.id,
        before={"status": before},
        after={"status": thread.status, "message_id": msg.id},
    )
    link = f"/bantuan/{thread.id}"
    if commission:
        notify_body(
            db,
            thread.body_id,
            organisation_id=thread.organisation_id,
            kind="helpdesk.answered",
            title=f"Komisi menjawab: {thread.subject}",
            body=message[:500],
            link=link,
            exclude_user_id=actor.user_id,
        )
    else:
        notify_role(
            db,
            thread.organisation_id,
            Role.SEKRETARIAT,
            kind="helpdesk.replied",
            title=f"Tanggapan baru: {thread.subject}",
            body=message[:500],
            link=link,
            exclude_user_id=actor.user_id,
        )
    return msg


def close_thread(db: Session, actor: Actor, thread: HelpdeskThread) -> None:
    """Mark a question settled (either side); a later reply from the body reopens it."""
    if not (
        is_commission_side(actor, thread.organisation_id)
        or actor.acts_for_body(thread.body_id, *BODY_ROLES)
    ):
        raise NotFound("Pertanyaan tidak ditemukan.")
    if thread.status == "closed":
        raise InvalidTransition("Pertanyaan ini sudah selesai.")
    before = thread.status
    thread.status = "closed"
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=thread.organisation_id,
        action="helpdesk.closed",
        object_type="helpdesk_thread",
        object_id=thread.id,
        before={"status": before},
        after={"status": "closed"},
    )


# --- FAQ ----------------------------------------------------------------------------------------


def require_sekretariat(actor: Actor) -> None:
    if not actor.has(Role.SEKRETARIAT) or actor.organisation_id is None:
        raise Forbidden("FAQ dikelola oleh sekretariat komisi.")


def list_faq_for_staff(db: Session, actor: Actor) -> list[FaqEntry]:
    require_sekretariat(actor)
    return list(
        db.scalars(
            select(FaqEntry)
            .where(FaqEntry.organisation_id == actor.organisation_id)
            .order_by(FaqEntry.sort_order, FaqEntry.id)
        )
    )


def get_faq_for_actor(db: Session, actor: Actor, faq_id: int) -> FaqEntry:
    require_sekretariat(actor)
    entry = db.get(FaqEntry, faq_id)
    if entry is None or entry.organisation_id != actor.organisation_id:
        raise NotFound("Entri FAQ tidak ditemukan.")
    return entry


def _faq_snapshot(e: FaqEntry) -> dict[str, Any]:
    return {
        "question": e.question,
        "answer": e.answer,
        "is_published": e.is_published,
        "sort_order": e.sort_order,
    }


def save_faq(
    db: Session,
    actor: Actor,
    *,
    question: str,
    answer: str,
    is_published: bool,
    sort_order: int = 0,
    item_code: str = "",
    entry: FaqEntry | None = None,
    source_thread: HelpdeskThread | None = None,
) -> FaqEntry:
    """Write or change an FAQ entry of the actor's commission (published ones are public)."""
    require_sekretariat(actor)
    assert actor.organisation_id is not None
    if source_thread is not None and source_thread.organisation_id != actor.organisation_id:
        raise NotFound("Pertanyaan tidak ditemukan.")
    errors: dict[str, str] = {}
    question = _check_text(errors, "question", question, MAX_QUESTION)
    answer = _check_text(errors, "answer", answer, MAX_ANSWER)
    code = item_code.strip() or None
    if code and not ITEM_CODE_RE.match(code):
        errors["item_code"] = "Kode butir berupa angka dan titik, mis. 2.3.4.0."
    if errors:
        raise ValidationFailed("Periksa kembali isian FAQ.", field_errors=errors)
    now = utcnow()
    before = _faq_snapshot(entry) if entry else None
    if entry is None:
        entry = FaqEntry(
            organisation_id=actor.organisation_id,
            created_by_id=actor.user_id,
            source_thread_id=source_thread.id if source_thread else None,
            created_at=now,
        )
        db.add(entry)
    entry.question, entry.answer, entry.item_code = question, answer, code
    entry.is_published, entry.sort_order, entry.updated_at = is_published, sort_order, now
    db.flush()
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=entry.organisation_id,
        action="faq.created" if before is None else "faq.updated",
        object_type="faq_entry",
        object_id=entry.id,
        before=before,
        after=_faq_snapshot(entry),
    )
    return entry


def faq_draft_from_thread(db: Session, thread: HelpdeskThread) -> dict[str, str]:
    """Question and answer to start an FAQ entry from: the first question, the last answer."""
    msgs = messages_of(db, thread)
    question = next((m.body for m in msgs if not m.is_from_commission), thread.subject)
    answer = next((m.body for m in reversed(msgs) if m.is_from_commission), "")
    return {
        "question": " ".join(question.split())[:MAX_QUESTION],
        "answer": answer,
        "item_code": thread.item_code or "",
    }


def public_faq(db: Session, slug: str) -> tuple[Organisation, list[FaqEntry]]:
    """A commission's published FAQ, for everyone (no login)."""
    org = db.scalar(select(Organisation).where(Organisation.slug == slug, Organisation.is_active))
    if org is None:
        raise NotFound("Komisi tidak ditemukan.")
    entries = db.scalars(
        select(FaqEntry)
        .where(FaqEntry.organisation_id == org.id, FaqEntry.is_published)
        .order_by(FaqEntry.sort_order, FaqEntry.id)
    ).all()
    return org, list(entries)
