from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.helpdesk.models import FaqEntry, HelpdeskThread
from app.notifications.models import Notification
from tests.factories import Factory, form, login


def test_an_operator_asks_and_the_sekretariat_answers_and_publishes_it_as_faq(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    body = factory.body(org, "Pemerintah Kota Pasuruan")
    op = factory.user(org, Role.OPERATOR, body=body)
    sek = factory.user(org, Role.SEKRETARIAT)
    login(client, db, op)
    page = client.get("/bantuan")
    assert page.status_code == 200 and "Belum ada pertanyaan" in page.text
    assert "Atas nama <strong>Pemerintah Kota Pasuruan</strong>" in page.text
    r = client.post(
        "/bantuan",
        data=form(
            body_id=str(body.id), subject="", message="Bukti berupa tautan?", item_code="2.3"
        ),
    )
    assert r.status_code == 422 and "Bukti berupa tautan?" in r.text
    r = client.post(
        "/bantuan",
        data=form(
            body_id=str(body.id),
            subject="Bukti tautan Google Drive",
            message="Bolehkah bukti berupa tautan Google Drive?",
            item_code="2.3.4.0",
        ),
    )
    assert r.status_code == 303
    thread = db.scalars(select(HelpdeskThread)).one()
    assert r.headers["location"] == f"/bantuan/{thread.id}"

    login(client, db, sek)
    assert "Pertanyaan baru dari Pemerintah Kota Pasuruan" in client.get("/notifikasi").text
    page = client.get(f"/bantuan/{thread.id}")
    assert page.status_code == 200 and "butir <strong>2.3.4.0</strong>" in page.text
    assert f'href="/lihat-sebagai/{body.id}"' in page.text
    assert client.post(f"/bantuan/{thread.id}/balas", data=form(message=" ")).status_code == 422
    r = client.post(
        f"/bantuan/{thread.id}/balas",
        data=form(message="Boleh, asal dapat dibuka tanpa meminta akses."),
    )
    assert r.status_code == 303
    r = client.post(
        f"/bantuan/{thread.id}/faq",
        data=form(
            question="Bolehkah bukti berupa tautan Google Drive?",
            answer="Boleh, asal dapat dibuka tanpa meminta akses.",
            is_published="1",
        ),
    )
    assert r.status_code == 303 and r.headers["location"] == "/bantuan/faq"
    assert "tautan Google Drive" in client.get("/bantuan/faq").text

    client.cookies.clear()  # the FAQ is public
    public = client.get(f"/faq/{org.slug}")
    assert public.status_code == 200 and "tanpa meminta akses" in public.text

    login(client, db, op)
    db.expire_all()
    notes = db.scalars(select(Notification.title).where(Notification.user_id == op.id)).all()
    assert notes == ["Komisi menjawab: Bukti tautan Google Drive"]
    assert "Boleh, asal dapat dibuka" in client.get(f"/bantuan/{thread.id}").text
    assert client.post(f"/bantuan/{thread.id}/selesai", data=form()).status_code == 303
    db.expire_all()
    assert thread.status == "closed"
    # FAQ management is the sekretariat's, not the body's
    assert client.get("/bantuan/faq").status_code == 403
    assert (
        client.post(f"/bantuan/{thread.id}/faq", data=form(question="q", answer="a")).status_code
        == 403
    )


def test_outsiders_get_404_for_a_thread(client: TestClient, factory: Factory, db: Session) -> None:
    org, other = factory.commission(), factory.commission()
    body = factory.body(org)
    op = factory.user(org, Role.OPERATOR, body=body)
    thread = HelpdeskThread(
        organisation_id=org.id, body_id=body.id, created_by_id=op.id, subject="Rahasia"
    )
    db.add(thread)
    db.flush()
    for outsider in (
        factory.user(org, Role.OPERATOR, body=factory.body(org)),  # another body
        factory.user(other, Role.SEKRETARIAT),  # another commission
    ):
        login(client, db, outsider)
        assert client.get(f"/bantuan/{thread.id}").status_code == 404
        assert client.post(f"/bantuan/{thread.id}/balas", data=form(message="x")).status_code == 404
        assert "Rahasia" not in client.get("/bantuan").text
    login(client, db, factory.user(org, Role.JURI))
    assert client.get("/bantuan").status_code == 403
    assert client.get(f"/bantuan/{thread.id}").status_code == 404
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert client.post("/bantuan", data=form(subject="s", message="m")).status_code == 403


def test_the_sekretariat_writes_and_unpublishes_faq_entries(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    assert "Belum ada entri FAQ" in client.get("/bantuan/faq").text
    r = client.post("/bantuan/faq", data=form(question="", answer="Jawaban tanpa pertanyaan"))
    assert r.status_code == 422 and "Jawaban tanpa pertanyaan" in r.text
    r = client.post(
        "/bantuan/faq",
        data=form(question="Kapan batas SAQ?", answer="Lihat jadwal siklus.", is_published="1"),
    )
    assert r.status_code == 303
    entry = db.scalars(select(FaqEntry)).one()
    assert "Kapan batas SAQ?" in client.get(f"/faq/{org.slug}").text
    r = client.post(f"/bantuan/faq/{entry.id}", data=form(question="Kapan batas SAQ?", answer=""))
    assert r.status_code == 422
    r = client.post(
        f"/bantuan/faq/{entry.id}",
        data=form(question="Kapan batas SAQ?", answer="Lihat jadwal siklus."),
    )
    assert r.status_code == 303
    assert "belum menerbitkan FAQ" in client.get(f"/faq/{org.slug}").text
    login(client, db, factory.user(factory.commission(), Role.SEKRETARIAT))
    assert (
        client.post(f"/bantuan/faq/{entry.id}", data=form(question="x", answer="y")).status_code
        == 404
    )
    assert client.get("/faq/tidak-ada").status_code == 404


# --- view as body ------------------------------------------------------------------------------


def test_the_sekretariat_views_a_body_read_only_and_it_is_audited(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    body = factory.body(org, "Pemerintah Kota Pasuruan", website="https://pasuruankota.go.id")
    op = factory.user(org, Role.OPERATOR, body=body)
    sek = factory.user(org, Role.SEKRETARIAT)
    db.add(HelpdeskThread(organisation_id=org.id, body_id=body.id, subject="Soal bukti"))
    db.flush()
    login(client, db, sek)
    home = client.get(f"/lihat-sebagai/{body.id}")
    assert home.status_code == 200
    assert "Tampilan sebagai Pemerintah Kota Pasuruan, hanya baca" in home.text
    assert "Badan publik saya" in home.text and "Soal bukti" in home.text
    assert f'href="/lihat-sebagai/{body.id}/profil"' in home.text
    assert "form-action 'none'" in home.headers["content-security-policy"]
    assert '<fieldset disabled class="view-as">' in home.text
    assert "Keluar" not in home.text  # the sekretariat's own session controls are not shown
    profile = client.get(f"/lihat-sebagai/{body.id}/profil")
    assert profile.status_code == 200 and "https://pasuruankota.go.id" in profile.text
    assert op.email in profile.text
    assert "form-action 'none'" in profile.headers["content-security-policy"]
    assert client.post(f"/lihat-sebagai/{body.id}", data=form()).status_code == 405
    assert client.post(f"/lihat-sebagai/{body.id}/profil", data=form()).status_code == 405
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "body.viewed_as").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_user_id, e.object_id, e.after) for e in events] == [
        (sek.id, str(body.id), {"page": "beranda"}),
        (sek.id, str(body.id), {"page": "profil"}),
    ]
    # the ordinary pages carry the normal policy
    assert "form-action 'self'" in client.get("/beranda").headers["content-security-policy"]


def test_view_as_is_for_the_bodys_own_sekretariat_only(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org, other = factory.commission(), factory.commission()
    body = factory.body(org)
    login(client, db, factory.user(other, Role.SEKRETARIAT))
    assert client.get(f"/lihat-sebagai/{body.id}").status_code == 404
    assert client.get(f"/lihat-sebagai/{body.id}/profil").status_code == 404
    login(client, db, factory.user(org, Role.OPERATOR, body=body))
    assert client.get(f"/lihat-sebagai/{body.id}").status_code == 403
    login(client, db, factory.user(org, Role.KOMISIONER))
    assert client.get(f"/lihat-sebagai/{body.id}").status_code == 403
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "body.viewed_as")).all() == []
