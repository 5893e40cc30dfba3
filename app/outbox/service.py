"""Put e-mail in the outbox, deliver it (SMTP, or the log in development), fix and resend it.

Delivery claims one message at a time with an atomic UPDATE (pending → sending) committed before
the SMTP conversation, and records the outcome right after it, so a message is never sent twice
even when several workers run; a worker that dies mid-send leaves the message "sending", which
the sweep turns into "failed" for a person to check (never resent automatically).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.config import Settings, get_settings
from app.db import open_session, utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.jobs.service import after_commit
from app.outbox.models import OutboxMessage
from app.outbox.rendering import RenderError, render_email
from app.outbox.rules import (
    STALE_SENDING,
    Failure,
    MailNotConfigured,
    Status,
    address_problem,
    after_failure,
    classify,
    single_line,
)

log = logging.getLogger("monev.outbox")

# Kinds whose text carries a secret link: never shown, edited or redirected by staff.
CONFIDENTIAL_PREFIXES = ("password_",)


# --- queueing -----------------------------------------------------------------------------------


def insert_once(db: Session, model: type[Any], values: dict[str, Any]) -> int | None:
    """Insert a row unless a unique constraint already holds an equal one; the new id or None.

    `INSERT … ON CONFLICT DO NOTHING` instead of check-then-insert, so two concurrent requests
    cannot both insert, and without a savepoint (which would fire the session's commit hooks).
    """
    dialect = db.get_bind().dialect.name
    ins = postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)
    stmt = ins.values(**values).on_conflict_do_nothing().returning(model.id)
    return db.execute(stmt).scalar_one_or_none()


def dedupe_digest(key: str) -> str:
    """A dedupe key that fits the column: kept as is when short, hashed when long."""
    if len(key) <= 200:
        return key
    return key[:120] + "#" + hashlib.sha256(key.encode()).hexdigest()


def queue_email(
    db: Session,
    *,
    kind: str,
    to: str,
    subject: str = "",
    body: str = "",
    template: str | None = None,
    context: dict[str, Any] | None = None,
    organisation_id: int | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    confidential: bool = False,
) -> OutboxMessage | None:
    """Write one e-mail to the outbox; it is sent after the transaction commits.

    Give either `subject` and `body`, or a `template` (`templates/email/<template>.txt`) and its
    `context` (JSON-able values). A repeated `dedupe_key` queues nothing and returns None. A bad
    address or a template that cannot be rendered does not raise: the message is stored as
    failed with the reason, for the sekretariat to fix and resend from the outbox page.
    """
    to = to.strip()
    ctx = json.loads(json.dumps(context or {}, default=str))
    status, error = Status.PENDING, ""
    if template is not None:
        try:
            rendered = render_email(template, ctx)
            subject, body = rendered.subject, rendered.body
        except RenderError as exc:
            status, error = Status.FAILED, exc.message
            subject, body = f"(templat {template} gagal dirender)", ""
    problem = address_problem(to)
    if problem and status == Status.PENDING:
        status, error = Status.FAILED, problem
    values = {
        "kind": kind,
        "to_address": to[:254],
        "subject": single_line(subject),
        "body_text": body,
        "template": template,
        "context": ctx if template else None,
        "organisation_id": organisation_id,
        "user_id": user_id,
        "dedupe_key": dedupe_digest(dedupe_key) if dedupe_key else None,
        "is_confidential": confidential or kind.startswith(CONFIDENTIAL_PREFIXES),
        "status": status,
        "last_error": error,
        "created_at": utcnow(),
    }
    new_id = insert_once(db, OutboxMessage, values)
    if new_id is None:
        return None
    msg = db.get(OutboxMessage, new_id)
    assert msg is not None
    if status == Status.PENDING:
        after_commit(db, lambda: enqueue_send(new_id))
    else:
        log.warning("outbox message %s stored as failed: %s", new_id, error)
    return msg


def enqueue_send(message_id: int) -> None:
    """Ask the worker to send one message now (the minute sweep catches it if this fails)."""
    from app.outbox.tasks import send_outbox_message

    try:
        send_outbox_message(message_id)
    except Exception:  # the queue being down must not fail the request that queued mail
        log.exception("could not enqueue outbox message %s; the sweep will send it", message_id)


# --- transports ---------------------------------------------------------------------------------


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class LogTransport:
    """Development without SMTP: the e-mail goes to the log."""

    def send(self, message: EmailMessage) -> None:
        log.info(
            "EMAIL to=%s subject=%s\n%s",
            message["To"],
            message["Subject"],
            message.get_content(),
        )

    def close(self) -> None:
        return None


class UnconfiguredTransport:
    """Production without SMTP: nothing is pretended sent; messages wait in the outbox."""

    def send(self, message: EmailMessage) -> None:
        raise MailNotConfigured("SMTP belum dikonfigurasi (SMTP_HOST kosong).")

    def close(self) -> None:
        return None


class SmtpTransport:
    """SMTP with the standard library; one connection is reused for a batch of messages."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.s
        conn: smtplib.SMTP
        if s.smtp_tls == "ssl":
            conn = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            conn.ehlo()
            if s.smtp_tls == "starttls":
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.smtp_user:
                conn.login(s.smtp_user, s.smtp_password)
        except BaseException:
            _close_quietly(conn)
            raise
        return conn

    def send(self, message: EmailMessage) -> None:
        if self.conn is None:
            self.conn = self._connect()
        try:
            self.conn.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
            raise  # the connection is still good for the next message
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            _close_quietly(self.conn)
            self.conn = None


def _close_quietly(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except Exception:
        conn.close()


def make_transport(settings: Settings | None = None) -> Transport:
    s = settings or get_settings()
    if s.smtp_host:
        return SmtpTransport(s)
    if s.is_production:
        return UnconfiguredTransport()
    return LogTransport()


# --- delivery -----------------------------------------------------------------------------------

Tx = Callable[[], AbstractContextManager[Session]]


@contextmanager
def worker_tx() -> Iterator[Session]:
    """A short transaction of its own (committed on exit), as the worker needs between steps."""
    db = open_session(write=True)
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


@dataclass(frozen=True)
class Envelope:
    """What one claimed delivery attempt sends."""

    id: int
    to: str
    subject: str
    body: str
    created_at: datetime
    claim_token: str
    attempts: int


def claim(db: Session, message_id: int, *, now: datetime) -> Envelope | None:
    """Take a due pending message for sending; None when another worker has it or it is not due."""
    token = secrets.token_hex(16)
    res = db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == Status.PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .values(
            status=Status.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(res, "rowcount", 0) != 1:
        return None
    msg = db.get(OutboxMessage, message_id, populate_existing=True)
    assert msg is not None
    return Envelope(
        id=msg.id,
        to=msg.to_address,
        subject=msg.subject,
        body=msg.body_text,
        created_at=msg.created_at,
        claim_token=token,
        attempts=msg.attempts,
    )


def build_message(env: Envelope, settings: Settings, now: datetime) -> EmailMessage:
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "monevkip.local"
    m = EmailMessage()
    m["From"] = settings.mail_from
    m["To"] = env.to
    m["Subject"] = env.subject
    m["Date"] = format_datetime(now)
    # Stable per outbox row, so receiving servers can recognise a repeat.
    m["Message-ID"] = f"<outbox.{env.id}.{env.created_at:%Y%m%d%H%M%S}@{domain}>"
    m["Auto-Submitted"] = "auto-generated"
    m.set_content(env.body)
    return m


def _record(db: Session, env: Envelope, failure: Failure | None, now: datetime) -> str:
    msg = db.get(OutboxMessage, env.id, populate_existing=True)
    if msg is None or msg.claim_token != env.claim_token or msg.status != Status.SENDING:
        return "lost"  # the sweep declared this attempt dead meanwhile; keep its verdict
    msg.claim_token = None
    if failure is None:
        msg.status, msg.sent_at, msg.last_error, msg.next_attempt_at = Status.SENT, now, "", None
        db.flush()
        return Status.SENT
    s = get_settings()
    nxt = after_failure(
        failure,
        attempts=msg.attempts,
        max_attempts=s.mail_max_attempts,
        now=now,
        base_seconds=s.mail_retry_backoff_seconds,
    )
    msg.status, msg.next_attempt_at = nxt.status, nxt.next_attempt_at
    msg.last_error = failure.message
    db.flush()
    log.warning(
        "outbox message %s attempt %s failed (%s): %s", env.id, msg.attempts, nxt.status, failure
    )
    return nxt.status


def deliver_one(
    message_id: int, *, now: datetime, transport: Transport, tx: Tx = worker_tx
) -> str | None:
    """Claim, send and record one message; None when it was not claimable."""
    with tx() as db:
        env = claim(db, message_id, now=now)
    if env is None:
        return None
    failure: Failure | None = None
    problem = address_problem(env.to)
    if problem:
        failure = Failure(problem, permanent=True)
    else:
        try:
            transport.send(build_message(env, get_settings(), now))
        except Exception as exc:
            failure = classify(exc)
    with tx() as db:
        return _record(db, env, failure, now)


def deliver_ids(
    ids: list[int],
    *,
    now: datetime | None = None,
    transport: Transport | None = None,
    tx: Tx = worker_tx,
) -> int:
    """Send the given messages (those still due); the number of attempts made."""
    transport = transport or make_transport()
    attempted = 0
    try:
        for message_id in ids:
            if deliver_one(message_id, now=now or utcnow(), transport=transport, tx=tx):
                attempted += 1
    finally:
        transport.close()
    return attempted


def _due(now: datetime, limit: int) -> Select[int]:
    return (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == Status.PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )


def fail_stale_sending(db: Session, *, now: datetime) -> int:
    """Messages a dead worker left "sending": mark failed for a person to check, never resend."""
    res = db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == Status.SENDING, OutboxMessage.claimed_at < now - STALE_SENDING
        )
        .values(
            status=Status.FAILED,
            claim_token=None,
            last_error=(
                "Pengiriman terputus (pekerja berhenti saat mengirim); belum pasti terkirim. "
                "Periksa dengan penerima sebelum mengirim ulang."
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def deliver_due(
    *,
    now: datetime | None = None,
    limit: int = 200,
    transport: Transport | None = None,
    tx: Tx = worker_tx,
) -> int:
    """The minute sweep: settle dead attempts, then send every due pending message."""
    now = now or utcnow()
    with tx() as db:
        fail_stale_sending(db, now=now)
        ids = list(db.scalars(_due(now, limit)))
    return deliver_ids(ids, now=now, transport=transport, tx=tx)


def deliver_pending(db: Session, limit: int = 100, *, now: datetime | None = None) -> int:
    """Deliver due messages inside the caller's transaction (scripts and tests)."""
    return deliver_due(now=now, limit=limit, tx=lambda: nullcontext(db))


# --- the outbox page (sekretariat) ----------------------------------------------------------


def can_manage_outbox(actor: Actor) -> bool:
    return actor.is_admin or actor.has(Role.SEKRETARIAT)


def _scope(actor: Actor) -> ColumnElement[bool]:
    """Admins see every message; the sekretariat those of its own commission."""
    if actor.is_admin:
        return true()
    return OutboxMessage.organisation_id == actor.organisation_id


def get_message_for_actor(db: Session, actor: Actor, message_id: int) -> OutboxMessage:
    if not can_manage_outbox(actor):
        raise Forbidden("Kotak keluar hanya untuk sekretariat.")
    msg = db.get(OutboxMessage, message_id)
    if msg is None or not (
        actor.is_admin or (msg.organisation_id and msg.organisation_id == actor.organisation_id)
    ):
        raise NotFound("Pesan tidak ditemukan.")
    return msg


@dataclass
class OutboxPage:
    items: list[OutboxMessage]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_messages(
    db: Session, actor: Actor, *, status: str = "", q: str = "", page: int = 1, per_page: int = 50
) -> OutboxPage:
    """The commission's outbox, newest first, with a count per status."""
    if not can_manage_outbox(actor):
        raise Forbidden("Kotak keluar hanya untuk sekretariat.")
    scope = _scope(actor)
    counts = {
        str(st): int(n)
        for st, n in db.execute(
            select(OutboxMessage.status, func.count()).where(scope).group_by(OutboxMessage.status)
        ).all()
    }
    stmt = select(OutboxMessage).where(scope)
    if status in set(Status):
        stmt = stmt.where(OutboxMessage.status == status)
    if q.strip():
        stmt = stmt.where(OutboxMessage.to_address.ilike(f"%{q.strip()}%"))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = db.scalars(
        stmt.order_by(OutboxMessage.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return OutboxPage(list(items), total, page, per_page, counts)


def _snapshot(msg: OutboxMessage) -> dict[str, Any]:
    return {
        "to_address": msg.to_address,
        "subject": msg.subject,
        "status": msg.status,
        "attempts": msg.attempts,
    }


def _change_failed(db: Session, msg: OutboxMessage, **values: Any) -> None:
    """Change a failed message, only if it is still failed (no worker ever holds a failed one)."""
    if msg.status != Status.FAILED:
        raise ValidationFailed(
            "Hanya pesan berstatus gagal yang dapat diperbaiki atau dikirim ulang; "
            "pesan yang menunggu dikirim otomatis."
        )
    res = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == msg.id, OutboxMessage.status == Status.FAILED)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(res, "rowcount", 0) != 1:
        raise Conflict("Pesan ini baru saja diubah orang lain; muat ulang halaman.")
    db.refresh(msg)


def update_message(
    db: Session, actor: Actor, msg: OutboxMessage, *, to: str, subject: str, body: str
) -> OutboxMessage:
    """Fix the address or text of a failed message (not of one carrying a secret link)."""
    if msg.is_confidential:
        raise Forbidden(
            "Pesan ini memuat tautan rahasia (mis. atur kata sandi), jadi alamat dan isinya tidak "
            "dapat diubah. Kirim ulang saja, atau minta pengguna memakai 'Lupa kata sandi'."
        )
    to, subject, body = to.strip(), single_line(subject), body.strip()
    errors: dict[str, str] = {}
    problem = address_problem(to)
    if problem:
        errors["to_address"] = problem
    if not subject:
        errors["subject"] = "Subjek wajib diisi."
    if not body:
        errors["body_text"] = "Isi pesan wajib diisi."
    if errors:
        raise ValidationFailed("Periksa kembali isian pesan.", field_errors=errors)
    before = _snapshot(msg)
    text_changed = body != msg.body_text.strip()
    _change_failed(
        db,
        msg,
        to_address=to,
        subject=subject,
        body_text=body + "\n",
        # Edited text is the sekretariat's own: a resend must not re-render the template.
        template=None if text_changed else msg.template,
    )
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=msg.organisation_id,
        action="outbox.message_updated",
        object_type="outbox_message",
        object_id=msg.id,
        before=before,
        after=_snapshot(msg),
    )
    return msg


def resend_message(db: Session, actor: Actor, msg: OutboxMessage) -> OutboxMessage:
    """Put a failed message back in line now, with a fresh count of attempts."""
    subject, body = msg.subject, msg.body_text
    if msg.template and not body.strip():
        try:
            rendered = render_email(msg.template, msg.context or {})
        except RenderError as exc:
            raise ValidationFailed(
                f"{exc.message} Perbaiki subjek dan isi pesan, lalu kirim ulang."
            ) from exc
        subject, body = rendered.subject, rendered.body
    problem = address_problem(msg.to_address)
    if problem:
        raise ValidationFailed(f"{problem} Perbaiki alamatnya terlebih dahulu.")
    if not body.strip():
        raise ValidationFailed("Isi pesan kosong; isi terlebih dahulu.")
    before = _snapshot(msg)
    _change_failed(
        db,
        msg,
        subject=subject,
        body_text=body,
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=None,
        last_error="",
    )
    record(
        db,
        actor_user_id=actor.user_id,
        organisation_id=msg.organisation_id,
        action="outbox.message_resent",
        object_type="outbox_message",
        object_id=msg.id,
        before=before,
        after=_snapshot(msg),
    )
    message_id = msg.id
    after_commit(db, lambda: enqueue_send(message_id))
    return msg
