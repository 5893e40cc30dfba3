from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.notifications.models import Broadcast, Notification
from app.notifications.service import notify, opted_out_of_optional
from app.outbox.models import OutboxMessage
from app.outbox.service import deliver_pending, queue_email
from tests.factories import Factory, form, login
from tests.notifications.conftest import Mailbox

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


# --- in-app notifications ------------------------------------------------------------------


def test_the_owner_sees_the_unread_badge_and_marks_notifications_read(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    op = factory.user(org, Role.OPERATOR, body=factory.body(org))
    notify(
        db, [op.id], kind="clarification.asked", title="Klarifikasi butir 2.3.4.0", link="/bantuan"
    )
    notify(db, [op.id], kind="results.published", title="Hasil monev diumumkan")
    login(client, db, op)
    page = client.get("/beranda")
    assert 'hx-get="/notifikasi/jumlah"' in page.text
    badge = client.get("/notifikasi/jumlah")
    assert badge.status_code == 200 and ">2<" in badge.text and "belum dibaca" in badge.text
    r = client.get("/notifikasi")
    assert r.status_code == 200 and "Klarifikasi butir 2.3.4.0" in r.text
    assert "Tandai semua sudah dibaca (2)" in r.text
    first = db.scalars(select(Notification).where(Notification.link == "/bantuan")).one()
    r = client.post(f"/notifikasi/{first.id}/baca", data=form(open="1"))
    assert r.status_code == 303 and r.headers["location"] == "/bantuan"
    assert ">1<" in client.get("/notifikasi/jumlah").text
    r = client.post("/notifikasi/baca-semua", data=form())
    assert r.status_code == 303
    assert client.get("/notifikasi/jumlah").text.strip() == '<span id="notif-badge"></span>'
    db.expire_all()
    assert all(n.read_at for n in db.scalars(select(Notification)))


def test_another_persons_notification_is_not_found(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    owner, other = factory.user(org, Role.JURI), factory.user(org, Role.JURI)
    notify(db, [owner.id], kind="slot.scheduled", title="Jadwal presentasi Anda")
    n = db.scalars(select(Notification)).one()
    login(client, db, other)
    assert client.post(f"/notifikasi/{n.id}/baca", data=form()).status_code == 404
    assert "Jadwal presentasi Anda" not in client.get("/notifikasi").text
    assert "Belum ada notifikasi" in client.get("/notifikasi").text
    db.expire_all()
    assert db.get(Notification, n.id).read_at is None  # type: ignore[union-attr]


def test_an_anonymous_badge_request_gets_an_empty_badge_not_the_login_page(
    client: TestClient,
) -> None:
    r = client.get("/notifikasi/jumlah")
    assert r.status_code == 200 and r.text.strip() == '<span id="notif-badge"></span>'
    assert client.get("/notifikasi").status_code == 303


def test_a_person_switches_optional_reminders_off_from_the_account_page(
    client: TestClient, factory: Factory, db: Session
) -> None:
    u = factory.user(factory.commission(), Role.VERIFIKATOR)
    login(client, db, u)
    profile = client.get("/akun")
    assert 'hx-get="/akun/notifikasi"' in profile.text
    prefs = client.get("/akun/notifikasi")
    assert 'id="notif-prefs"' in prefs.text and "checked" in prefs.text
    r = client.post("/akun/notifikasi", data=form())
    assert r.status_code == 303 and r.headers["location"] == "/akun"
    assert opted_out_of_optional(db, u.id)
    assert "checked" not in client.get("/akun/notifikasi").text.split('id="notif-prefs"')[1]
    client.post("/akun/notifikasi", data=form(optional_reminders="1"))
    assert not opted_out_of_optional(db, u.id)


# --- broadcasts --------------------------------------------------------------------------------


def test_the_sekretariat_previews_and_sends_a_broadcast_that_arrives_by_smtp(
    client: TestClient, factory: Factory, db: Session, smtp_server: Mailbox
) -> None:
    org = factory.commission()
    factory.body(org, "Pemerintah Kota Pasuruan", email="kota@pasuruankota.go.id")
    factory.body(org, "Pemerintah Kota Batu", email="ppid@batukota.go.id")
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert "Belum ada siaran" in client.get("/siaran").text
    r = client.post(
        "/siaran",
        data=form(
            subject="Perpanjangan pengisian SAQ", body="Yth. PPID {{ nama }}", audience="all"
        ),
    )
    assert r.status_code == 422 and "Variabel tidak dikenal" in r.text
    assert "Yth. PPID {{ nama }}" in r.text  # what was typed is kept
    r = client.post(
        "/siaran",
        data=form(
            subject="Perpanjangan pengisian SAQ",
            body="Yth. PPID {{ body_name }}, batas pengisian SAQ diperpanjang hingga 10 Oktober.",
            audience="all",
        ),
    )
    assert r.status_code == 303
    b = db.scalars(select(Broadcast)).one()
    page = client.get(f"/siaran/{b.id}")
    assert page.status_code == 200
    assert "Yth. PPID Pemerintah Kota Batu, batas pengisian SAQ diperpanjang" in page.text
    assert "Kirim ke 2 penerima" in page.text
    assert db.scalars(select(OutboxMessage)).all() == []
    r = client.post(f"/siaran/{b.id}/kirim", data=form(expected_count="2"))
    assert r.status_code == 303
    db.expire_all()
    # sent by the queue right after the request committed (huey runs inline in tests)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "kota@pasuruankota.go.id",
        "ppid@batukota.go.id",
    ]
    assert all(r.subject == "Perpanjangan pengisian SAQ" for r in smtp_server.received)
    assert {m.status for m in db.scalars(select(OutboxMessage))} == {"sent"}
    again = client.post(f"/siaran/{b.id}/kirim", data=form(expected_count="2"))
    assert again.status_code == 409 and len(smtp_server.received) == 2
    assert "terkirim" in client.get("/siaran").text


def test_a_changed_recipient_count_shows_the_new_preview_instead_of_sending(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    factory.body(org, email="a@kota.go.id")
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    client.post("/siaran", data=form(subject="S", body="B", audience="all"))
    b = db.scalars(select(Broadcast)).one()
    factory.body(org, email="b@kota.go.id")
    r = client.post(f"/siaran/{b.id}/kirim", data=form(expected_count="1"))
    assert r.status_code == 409 and "Jumlah penerima berubah" in r.text
    assert "Kirim ke 2 penerima" in r.text
    assert db.scalars(select(OutboxMessage)).all() == []


def test_a_draft_is_edited_with_errors_shown_next_to_the_fields(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    factory.body(org, email="a@kota.go.id")
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    client.post("/siaran", data=form(subject="S", body="B", audience="all"))
    b = db.scalars(select(Broadcast)).one()
    r = client.post(f"/siaran/{b.id}/ubah", data=form(subject="S", body="B", audience="categories"))
    assert r.status_code == 422 and "Pilih paling sedikit satu kategori" in r.text
    r = client.post(
        f"/siaran/{b.id}/ubah",
        data=form(subject="S2", body="B2", audience="categories", category_codes="pemkab_pemkot"),
    )
    assert r.status_code == 303
    db.expire_all()
    assert (b.subject, b.category_codes) == ("S2", ["pemkab_pemkot"])


def test_broadcasts_are_refused_to_other_roles_and_commissions(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, other = factory.commission(), factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    client.post("/siaran", data=form(subject="S", body="B", audience="all"))
    b = db.scalars(select(Broadcast)).one()
    login(client, db, factory.user(other, Role.SEKRETARIAT))
    assert client.get(f"/siaran/{b.id}").status_code == 404
    assert client.post(f"/siaran/{b.id}/kirim", data=form(expected_count="0")).status_code == 404
    login(client, db, factory.user(org, Role.KOMISIONER))
    assert client.get("/siaran").status_code == 403
    assert client.get(f"/siaran/{b.id}").status_code == 403
    login(client, db, factory.user(org, Role.OPERATOR, body=factory.body(org)))
    assert client.post("/siaran", data=form(subject="S", body="B")).status_code == 403


# --- the outbox page ---------------------------------------------------------------------------


def test_the_sekretariat_fixes_a_failed_address_and_the_message_is_delivered(
    client: TestClient, factory: Factory, db: Session, smtp_server: Mailbox
) -> None:
    org = factory.commission()
    msg = queue_email(
        db,
        kind="broadcast",
        to="ppid@kota pasuruan.go.id",
        subject="Undangan sosialisasi",
        body="Sosialisasi monev KIP 2026.",
        organisation_id=org.id,
    )
    assert msg is not None
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    listing = client.get("/kotak-keluar?status=failed")
    assert listing.status_code == 200 and "ppid@kota pasuruan.go.id" in listing.text
    assert "Gagal (1)" in listing.text
    detail = client.get(f"/kotak-keluar/{msg.id}")
    assert "spasi" in detail.text and "Perbaiki lalu kirim ulang" in detail.text
    r = client.post(
        f"/kotak-keluar/{msg.id}/ubah",
        data=form(to_address="masih salah", subject="Undangan sosialisasi", body_text="x"),
    )
    assert r.status_code == 422 and "masih salah" in r.text
    r = client.post(
        f"/kotak-keluar/{msg.id}/ubah",
        data=form(
            to_address="ppid@pasuruankota.go.id",
            subject="Undangan sosialisasi",
            body_text="Sosialisasi monev KIP 2026.",
        ),
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(OutboxMessage, msg.id).status == "sent"  # type: ignore[union-attr]
    assert [m.rcpt_tos for m in smtp_server.received] == [["ppid@pasuruankota.go.id"]]
    assert client.post(f"/kotak-keluar/{msg.id}/kirim-ulang", data=form()).status_code == 422
    assert len(smtp_server.received) == 1


def test_a_message_that_failed_for_smtp_down_is_resent_from_the_outbox_page(
    client: TestClient, factory: Factory, db: Session, smtp_server: Mailbox
) -> None:
    org = factory.commission()
    msg = queue_email(
        db, kind="k", to="a@kota.go.id", subject="S", body="B", organisation_id=org.id
    )
    assert msg is not None
    msg.status, msg.attempts, msg.last_error = "failed", 5, "Server SMTP tidak dapat dihubungi."
    db.flush()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert "tidak dapat dihubungi" in client.get(f"/kotak-keluar/{msg.id}").text
    r = client.post(f"/kotak-keluar/{msg.id}/kirim-ulang", data=form())
    assert r.status_code == 303
    db.expire_all()
    sent = db.get(OutboxMessage, msg.id)
    assert sent is not None and (sent.status, sent.attempts) == ("sent", 1)
    assert len(smtp_server.received) == 1


def test_the_outbox_is_the_commissions_own(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, other = factory.commission(), factory.commission()
    msg = queue_email(
        db, kind="k", to="a@x.id", subject="Rahasia KI", body="B", organisation_id=org.id
    )
    deliver_pending(db, now=T0)
    assert msg is not None
    login(client, db, factory.user(other, Role.SEKRETARIAT))
    assert "Rahasia KI" not in client.get("/kotak-keluar").text
    assert client.get(f"/kotak-keluar/{msg.id}").status_code == 404
    assert client.post(f"/kotak-keluar/{msg.id}/kirim-ulang", data=form()).status_code == 404
    login(client, db, factory.user(org, Role.VERIFIKATOR))
    assert client.get("/kotak-keluar").status_code == 403
    assert client.get(f"/kotak-keluar/{msg.id}").status_code == 403
    login(client, db, factory.user(is_admin=True))
    assert "Rahasia KI" in client.get("/kotak-keluar").text


def test_a_secret_link_is_not_shown_on_the_outbox_page(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    msg = queue_email(
        db,
        kind="reminder:invitation_reminder",
        to="a@x.id",
        subject="Undangan",
        body="http://testserver/atur-sandi/RAHASIA",
        organisation_id=org.id,
        confidential=True,
    )
    assert msg is not None
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    page = client.get(f"/kotak-keluar/{msg.id}")
    assert page.status_code == 200 and "RAHASIA" not in page.text
    assert "disembunyikan" in page.text
