import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.config import get_settings
from app.errors import Forbidden, NotFound, ValidationFailed
from app.outbox.models import OutboxMessage
from app.outbox.service import (
    SmtpTransport,
    claim,
    deliver_one,
    deliver_pending,
    get_message_for_actor,
    list_messages,
    queue_email,
    resend_message,
    update_message,
)
from app.outbox.tasks import send_outbox_message
from tests.factories import Factory
from tests.notifications.conftest import Mailbox, use_smtp

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _broadcast(db: Session, to: str = "ppid@kotapasuruan.go.id", **kw: object) -> OutboxMessage:
    msg = queue_email(
        db,
        kind="broadcast",
        to=to,
        template="broadcast",
        context=kw.pop(
            "context",
            {
                "subject": "Undangan bimtek SAQ",
                "content": "Yth. PPID, bimtek pengisian kuesioner diadakan pekan depan.",
                "commission": "Komisi Informasi Provinsi Jawa Timur",
            },
        ),
        **kw,  # type: ignore[arg-type]
    )
    assert msg is not None
    return msg


def _reload(db: Session, msg: OutboxMessage) -> OutboxMessage:
    db.expire_all()
    found = db.get(OutboxMessage, msg.id)
    assert found is not None
    return found


def test_a_templated_message_arrives_at_the_smtp_server_in_indonesian(
    db: Session, smtp_server: Mailbox
) -> None:
    msg = _broadcast(db)
    assert deliver_pending(db, now=T0) == 1
    [got] = smtp_server.received
    assert got.rcpt_tos == ["ppid@kotapasuruan.go.id"]
    assert got.subject == "Undangan bimtek SAQ"
    assert "bimtek pengisian kuesioner" in got.text
    assert "Sekretariat Komisi Informasi Provinsi Jawa Timur" in got.text
    assert "Mohon tidak membalas email ini" in got.text
    assert got.message["Message-ID"].startswith(f"<outbox.{msg.id}.")
    assert got.message["Auto-Submitted"] == "auto-generated"
    msg = _reload(db, msg)
    assert (msg.status, msg.attempts, msg.last_error) == ("sent", 1, "")
    assert msg.sent_at == T0
    assert deliver_pending(db, now=T0 + timedelta(hours=1)) == 0
    assert len(smtp_server.received) == 1


def test_a_dedupe_key_queues_a_message_only_once(db: Session) -> None:
    first = queue_email(db, kind="k", to="a@b.id", subject="s", body="b", dedupe_key="x:1")
    again = queue_email(db, kind="k", to="a@b.id", subject="s2", body="b2", dedupe_key="x:1")
    assert first is not None and again is None
    long_key = "reminder:" + "x" * 400
    assert queue_email(db, kind="k", to="a@b.id", subject="s", body="b", dedupe_key=long_key)
    assert (
        queue_email(db, kind="k", to="a@b.id", subject="s", body="b", dedupe_key=long_key) is None
    )


def test_an_unknown_template_variable_keeps_the_message_with_a_clear_error(
    db: Session, smtp_server: Mailbox, factory: Factory
) -> None:
    org = factory.commission()
    msg = _broadcast(db, context={"subject": "Pengumuman"}, organisation_id=org.id)
    assert msg.status == "failed"
    assert "'content' is undefined" in msg.last_error and "broadcast" in msg.last_error
    assert deliver_pending(db, now=T0) == 0
    assert smtp_server.received == []
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    with pytest.raises(ValidationFailed, match="variabel yang tidak tersedia"):
        resend_message(db, sek, msg)
    update_message(
        db, sek, msg, to=msg.to_address, subject="Pengumuman", body="Isi yang diperbaiki."
    )
    resend_message(db, sek, msg)
    assert deliver_pending(db, now=T0) == 1
    [got] = smtp_server.received
    assert got.subject == "Pengumuman" and "Isi yang diperbaiki." in got.text
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "outbox_message")
    ).all()
    assert actions == ["outbox.message_updated", "outbox.message_resent"]


def test_an_invalid_address_waits_to_be_fixed_and_is_then_sent_once(
    db: Session, smtp_server: Mailbox, factory: Factory
) -> None:
    org = factory.commission()
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    msg = _broadcast(db, to="ppid kota@pasuruan", organisation_id=org.id)
    assert msg.status == "failed" and "spasi" in msg.last_error
    assert msg.body_text  # the text is kept, only the address is wrong
    with pytest.raises(ValidationFailed) as err:
        update_message(db, sek, msg, to="masih salah", subject=msg.subject, body=msg.body_text)
    assert "to_address" in err.value.field_errors
    update_message(
        db, sek, msg, to="ppid@pasuruankota.go.id", subject=msg.subject, body=msg.body_text
    )
    resend_message(db, sek, msg)
    assert deliver_pending(db, now=T0) == 1
    assert deliver_pending(db, now=T0 + timedelta(days=1)) == 0
    assert [r.rcpt_tos for r in smtp_server.received] == [["ppid@pasuruankota.go.id"]]


def test_smtp_down_retries_with_exponential_backoff_then_gives_up(
    db: Session, smtp_down: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "mail_max_attempts", 3)
    msg = _broadcast(db)
    assert deliver_pending(db, now=T0) == 1
    msg = _reload(db, msg)
    assert msg.status == "pending" and msg.attempts == 1
    assert "koneksi ditolak" in msg.last_error
    assert msg.next_attempt_at == T0 + timedelta(seconds=60)
    assert deliver_pending(db, now=T0 + timedelta(seconds=59)) == 0  # not due yet
    assert deliver_pending(db, now=T0 + timedelta(seconds=60)) == 1
    msg = _reload(db, msg)
    assert msg.attempts == 2 and msg.next_attempt_at == T0 + timedelta(seconds=180)
    assert deliver_pending(db, now=T0 + timedelta(seconds=180)) == 1
    msg = _reload(db, msg)
    assert (msg.status, msg.attempts, msg.next_attempt_at) == ("failed", 3, None)
    assert deliver_pending(db, now=T0 + timedelta(days=1)) == 0


def test_a_message_waiting_for_a_retry_goes_out_once_the_server_is_back(
    db: Session, smtp_down: int
) -> None:
    msg = _broadcast(db)
    deliver_pending(db, now=T0)
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_down)
    controller.start()
    try:
        assert deliver_pending(db, now=T0 + timedelta(minutes=1)) == 1
    finally:
        controller.stop()
    msg = _reload(db, msg)
    assert (msg.status, msg.attempts, msg.last_error) == ("sent", 2, "")
    assert len(box.received) == 1


def test_a_refused_recipient_fails_at_once_without_retrying(
    db: Session, smtp_server: Mailbox
) -> None:
    smtp_server.reject.add("hilang@kota.go.id")
    bad = _broadcast(db, to="hilang@kota.go.id")
    good = _broadcast(db, to="ada@kota.go.id")
    assert deliver_pending(db, now=T0) == 2
    bad, good = _reload(db, bad), _reload(db, good)
    assert bad.status == "failed" and bad.attempts == 1
    assert "550" in bad.last_error and "Mailbox tidak dikenal" in bad.last_error
    assert good.status == "sent"  # the shared connection survived the refusal
    assert [r.rcpt_tos for r in smtp_server.received] == [["ada@kota.go.id"]]


def test_smtp_login_uses_the_configured_account(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        from aiosmtpd.smtp import AuthResult

        box.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"rahasia-smtp", handled=False)

    from tests.notifications.conftest import free_port

    port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        use_smtp(monkeypatch, port, smtp_user="monev", smtp_password="salah")
        msg = _broadcast(db)
        deliver_pending(db, now=T0)
        msg = _reload(db, msg)
        assert msg.status == "pending" and "SMTP_USER/SMTP_PASSWORD" in msg.last_error
        monkeypatch.setattr(get_settings(), "smtp_password", "rahasia-smtp")
        assert deliver_pending(db, now=T0 + timedelta(minutes=5)) == 1
    finally:
        controller.stop()
    assert _reload(db, msg).status == "sent"
    assert box.logins[-1] == ("monev", "rahasia-smtp") and len(box.received) == 1


def test_production_without_smtp_keeps_mail_in_the_outbox(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "environment", "production")
    msg = _broadcast(db)
    deliver_pending(db, now=T0)
    msg = _reload(db, msg)
    assert msg.status == "pending" and "SMTP belum dikonfigurasi" in msg.last_error


def test_development_without_smtp_writes_mail_to_the_log(
    db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="monev.outbox")
    msg = _broadcast(db)
    assert deliver_pending(db, now=T0) == 1
    assert _reload(db, msg).status == "sent"
    assert "to=ppid@kotapasuruan.go.id" in caplog.text and "bimtek pengisian" in caplog.text


def test_a_claimed_message_cannot_be_claimed_again(db: Session, smtp_server: Mailbox) -> None:
    msg = _broadcast(db)
    env = claim(db, msg.id, now=T0)
    assert env is not None and env.attempts == 1
    assert claim(db, msg.id, now=T0) is None
    transport = SmtpTransport(get_settings())
    assert deliver_one(msg.id, now=T0, transport=transport, tx=lambda: _same(db)) is None
    transport.close()
    assert smtp_server.received == []


@contextmanager
def _same(db: Session) -> Iterator[Session]:
    yield db


def test_a_worker_that_died_mid_send_leaves_a_failed_message_that_is_never_resent(
    db: Session, smtp_server: Mailbox
) -> None:
    msg = _broadcast(db)
    assert claim(db, msg.id, now=T0) is not None  # ...and the worker dies here
    assert deliver_pending(db, now=T0 + timedelta(minutes=5)) == 0
    assert _reload(db, msg).status == "sending"
    assert deliver_pending(db, now=T0 + timedelta(minutes=16)) == 0
    msg = _reload(db, msg)
    assert msg.status == "failed" and "belum pasti terkirim" in msg.last_error
    assert smtp_server.received == []


def test_the_queue_task_sends_one_message_in_its_own_transactions(
    db: Session, smtp_server: Mailbox
) -> None:
    msg = _broadcast(db)
    db.flush()
    assert send_outbox_message.call_local(msg.id) == 1
    assert _reload(db, msg).status == "sent"
    assert send_outbox_message.call_local(msg.id) == 0
    assert len(smtp_server.received) == 1


def test_two_workers_never_send_the_same_message_twice(
    engine: Engine, smtp_server: Mailbox
) -> None:
    """Two workers with their own database connections race for one message."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    @contextmanager
    def tx() -> Iterator[Session]:
        s = factory()
        if engine.dialect.name == "sqlite":
            s.connection(execution_options={"sqlite_immediate": True})
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    with tx() as s:
        row = OutboxMessage(
            kind="test.race", to_address="balapan@kota.go.id", subject="Uji", body_text="Isi"
        )
        s.add(row)
        s.flush()
        message_id = row.id
    barrier = threading.Barrier(2)
    results: list[str | None] = []

    def worker() -> None:
        barrier.wait()
        transport = SmtpTransport(get_settings())
        try:
            results.append(deliver_one(message_id, now=T0, transport=transport, tx=tx))
        finally:
            transport.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results, key=str) == [None, "sent"]
        assert len(smtp_server.to("balapan@kota.go.id")) == 1
    finally:
        with tx() as s:
            s.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))


def test_only_the_commissions_sekretariat_sees_and_fixes_its_messages(
    db: Session, factory: Factory
) -> None:
    org, other = factory.commission(), factory.commission()
    msg = _broadcast(db, to="salah", organisation_id=org.id)
    mine = factory.actor(factory.user(org, Role.SEKRETARIAT))
    outsider = factory.actor(factory.user(other, Role.SEKRETARIAT))
    juri = factory.actor(factory.user(org, Role.JURI))
    admin = factory.actor(factory.user(is_admin=True))
    assert get_message_for_actor(db, mine, msg.id) is msg
    assert get_message_for_actor(db, admin, msg.id) is msg
    with pytest.raises(NotFound):
        get_message_for_actor(db, outsider, msg.id)
    with pytest.raises(Forbidden):
        get_message_for_actor(db, juri, msg.id)
    page = list_messages(db, mine, status="failed")
    assert [m.id for m in page.items] == [msg.id] and page.counts == {"failed": 1}
    assert list_messages(db, outsider).total == 0
    assert list_messages(db, mine, q="tidak-ada").total == 0


def test_a_message_carrying_a_secret_link_cannot_be_redirected(
    db: Session, factory: Factory
) -> None:
    org = factory.commission()
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    msg = queue_email(
        db,
        kind="password_reset",
        to="korban@kota.go.id",
        subject="Atur ulang kata sandi",
        body="Tautan rahasia",
        organisation_id=org.id,
    )
    assert msg is not None and msg.is_confidential
    msg.status = "failed"
    db.flush()
    with pytest.raises(Forbidden):
        update_message(db, sek, msg, to="penyerang@jahat.id", subject="x", body="y")
    resend_message(db, sek, msg)
    assert _reload(db, msg).to_address == "korban@kota.go.id"


def test_sent_or_waiting_messages_cannot_be_changed(db: Session, factory: Factory) -> None:
    org = factory.commission()
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    msg = _broadcast(db, organisation_id=org.id)
    with pytest.raises(ValidationFailed, match="Hanya pesan berstatus gagal"):
        resend_message(db, sek, msg)
    deliver_pending(db, now=T0)
    with pytest.raises(ValidationFailed):
        update_message(db, sek, msg, to=msg.to_address, subject="x", body="y")
