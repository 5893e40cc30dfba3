"""Every route × persona: generated from the app's route table, so a new route without an
access rule here fails the suite. Owners pass the authorisation check, outsiders (another
commission or body) and wrong roles are refused (403/404), anonymous visitors are sent to log in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.rules import Role
from app.bodies.models import Body
from app.helpdesk.models import FaqEntry, HelpdeskThread
from app.jobs.service import run_job, start_job
from app.notifications.models import Broadcast, Notification
from app.orgs.models import Organisation
from app.outbox.service import queue_email
from tests.factories import CSRF, Factory, login, set_cookie


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


def build_world(factory: Factory, db: Session) -> World:
    w = World()
    a, b = factory.commission(), factory.commission()
    body = factory.body(a)
    other_body = factory.body(b)
    w.users = {
        "sekretariat": factory.user(a, Role.SEKRETARIAT),
        "komisioner": factory.user(a, Role.KOMISIONER),
        "verifikator": factory.user(a, Role.VERIFIKATOR),
        "juri": factory.user(a, Role.JURI),
        "operator": factory.user(a, Role.OPERATOR, body=body),
        "outsider": factory.user(b, Role.SEKRETARIAT),
        "admin": factory.user(is_admin=True),
        "panitia": factory.user(a, Role.PANITIA),
    }
    sek = factory.actor(w.users["sekretariat"])
    tok, _ = accounts.create_api_token(db, sek, "t")
    job = start_job(
        db,
        kind="bodies.export",
        title="x",
        params={},
        organisation_id=a.id,
        created_by_id=sek.user_id,
    )
    db.flush()
    run_job(job.id)  # the queue runs immediately in tests
    grant = accounts.active_grants(db, w.users["verifikator"].id)[0]
    w.ids = {
        "body_id": body.id,
        "other_body_id": other_body.id,
        "job_id": job.id,
        "token_id": tok.id,
        "grant_id": grant.id,
        "user_id": factory.user(a, Role.REVIEWER).id,
        "batch_id": "00000000-0000-0000-0000-000000000000",
        "token": "tidak-ada",
    }
    _add_cycle(factory, db, w, a, body)
    w.ids.update(_notification_world(db, a, body, w.users))
    _add_results(factory, db, w, a)
    _add_panel(factory, db, w, a, body)
    _add_registration(db, w, a)
    _add_verification(factory, db, w, a, body)
    _add_submission(factory, db, w, a, body)
    _add_certificate(db, w, a, body)
    _add_improvement(factory, db, w, a, body)
    _add_precheck(db, w, a, body)
    _add_internal(factory, db, w, a, body)
    db.flush()
    return w


def _add_improvement(factory: Factory, db: Session, w: World, org: Any, body: Any) -> None:
    """The published cycle's recommendations (the operator's body's approved) and a blind
    calibration sample of the body's item for the verifikator persona."""
    from app.cycles.access import system_actor
    from app.cycles.models import Cycle
    from app.improvement import service as improvement
    from app.improvement.models import CalibrationSample
    from app.submissions.models import Answer

    cycle = db.get(Cycle, w.ids["cycle_id"])
    assert cycle is not None
    sa = system_actor(org.id)
    improvement.generate_recommendations(db, sa, cycle)
    view = improvement.get_recommendation(db, sa, cycle.id, body.id)
    improvement.approve_recommendation(db, sa, view)
    answer = db.scalar(
        select(Answer).where(
            Answer.cycle_id == cycle.id,
            Answer.body_id == body.id,
            Answer.item_id == w.ids["node_id"],
        )
    )
    assert answer is not None
    first = factory.user(org, Role.VERIFIKATOR)
    sample = CalibrationSample(
        organisation_id=org.id,
        cycle_id=cycle.id,
        body_id=body.id,
        answer_id=answer.id,
        item_id=answer.item_id,
        indicator_code="1",
        first_verifier_id=first.id,
        first_verdict="accepted",
        second_verifier_id=w.users["verifikator"].id,
    )
    db.add(sample)
    db.flush()
    w.ids["sample_id"] = sample.id


def _add_precheck(db: Session, w: World, org: Any, body: Any) -> None:
    """A pre-check suggestion on the verified body's item (the verifikator persona's body)."""
    from app.precheck.models import Suggestion

    s = Suggestion(
        organisation_id=org.id,
        cycle_id=w.ids["cycle_id"],
        body_id=body.id,
        item_id=w.ids["item_id"],
        kind="no_text",
        subject=f"file:{w.ids['file_id']}",
        evidence_file_id=w.ids["file_id"],
        reason="PDF 1 halaman tidak memuat teks (tampak kosong).",
    )
    db.add(s)
    db.flush()
    w.ids["suggestion_id"] = s.id


def _add_internal(factory: Factory, db: Session, w: World, org: Any, body: Any) -> None:
    """The operator's body runs an internal monev of its one unit (with its own operator),
    with an internal cycle copied from commission A's open cycle; not shared."""
    from app.internal import bimtek
    from app.internal import service as internal

    unit = factory.body(org, "Unit Internal Uji", parent_id=body.id)
    w.users["unit_operator"] = factory.user(org, Role.OPERATOR, body=unit)
    owner = factory.actor(w.users["operator"], org)
    monev = internal.start_internal_monev(db, owner, body.id)
    cycle = internal.create_internal_cycle(db, owner, monev, name="Monev Internal Uji", year=2025)
    session = bimtek.add_session(db, owner, monev, title="Bimtek", held_on="2025-08-01")
    w.ids.update(monev_id=monev.id, internal_cycle_id=cycle.id, bimtek_id=session.id)


def _add_registration(db: Session, w: World, org: Any) -> None:
    """A pending self-registration for commission A's open cycle."""
    from app.bodies.models import BodyRegistration

    reg = BodyRegistration(
        organisation_id=org.id,
        cycle_id=w.ids["cycle_id"],
        cycle_category_id=w.ids["category_id"],
        body_name="Badan Mendaftar",
        respondent_name="Responden",
        respondent_email="responden@daftar.example.id",
        password_hash="x",
    )
    db.add(reg)
    db.flush()
    w.ids["registration_id"] = reg.id


def _add_verification(factory: Factory, db: Session, w: World, org: Any, body: Any) -> None:
    """The operator's body submitted its SAQ; the verifikator persona verifies it (published),
    asked a clarification, and decided an appeal another verifier's verdict led to."""
    from app.cycles.models import Cycle
    from app.db import utcnow
    from app.evidence.models import EvidenceFile
    from app.verification.models import Appeal, Assignment, Clarification
    from app.verification.service import assign_verifier
    from tests.verification.helpers import submit_saq

    cycle = db.get(Cycle, w.ids["cycle_id"])
    assert cycle is not None
    sub = submit_saq(db, cycle, body)
    from app.cycles.access import system_actor

    a = assign_verifier(
        db, system_actor(org.id), cycle, body_id=body.id, verifier_id=w.users["verifikator"].id
    )
    assert isinstance(a, Assignment)
    a.published_at = utcnow()
    answer = sub_answer(db, sub.id, w.ids["node_id"])
    other = factory.user(org, Role.VERIFIKATOR)
    clar = Clarification(
        organisation_id=org.id,
        cycle_id=cycle.id,
        body_id=body.id,
        answer_id=answer,
        item_id=w.ids["node_id"],
        question="?",
        due_at=utcnow() + timedelta(days=3),
    )
    appeal = Appeal(
        organisation_id=org.id,
        cycle_id=cycle.id,
        body_id=body.id,
        answer_id=answer,
        item_id=w.ids["node_id"],
        reason="r",
        original_verifier_id=other.id,
        decider_id=w.users["verifikator"].id,
        status="decided",
        decision="accepted",
        decision_reason="ok",
        score_before="50",
        score_after="60",
        decided_at=utcnow(),
    )
    db.add_all([clar, appeal])
    db.flush()
    ef = db.scalars(select(EvidenceFile).where(EvidenceFile.body_id == body.id)).first()
    assert ef is not None
    w.ids.update(
        clarification_id=clar.id, appeal_id=appeal.id, file_id=ef.id, item_id=w.ids["node_id"]
    )


def sub_answer(db: Session, submission_id: int, item_id: int) -> int:
    from app.submissions.models import Answer

    found = db.scalar(
        select(Answer.id).where(Answer.submission_id == submission_id, Answer.item_id == item_id)
    )
    assert found is not None
    return found


def _add_submission(factory: Factory, db: Session, w: World, org: Any, body: Any) -> None:
    """The operator's body's SAQ: an atasan PPID persona, a file and a link on the item."""
    from app.evidence.models import EvidenceBlob, EvidenceFile
    from app.submissions.models import AnswerLink

    w.users["atasan"] = factory.user(org, Role.ATASAN_PPID, body=body)
    db.add(EvidenceBlob(sha256="a" * 64, size=3))
    ef = EvidenceFile(
        organisation_id=org.id,
        body_id=body.id,
        blob_sha256="a" * 64,
        original_name="SK.pdf",
        content_type="application/pdf",
        size=3,
        cycle_id=w.ids["cycle_id"],
        item_id=w.ids["node_id"],
    )
    link = AnswerLink(
        cycle_id=w.ids["cycle_id"],
        body_id=body.id,
        item_id=w.ids["node_id"],
        url="https://contoh.go.id/profil",
    )
    db.add_all([ef, link])
    db.flush()
    w.ids.update(item_id=w.ids["node_id"], file_id=ef.id, link_id=link.id)


def _add_certificate(db: Session, w: World, org: Any, body: Any) -> None:
    """An issued certificate of the operator's body under the published decree."""
    from datetime import date

    from app.certificates.models import Certificate
    from app.certificates.rules import AwardKind, CertificateData, new_serial
    from app.certificates.service import snapshot

    data = CertificateData(
        serial=new_serial(2025),
        kind=AwardKind.INFORMATIF,
        award_title="Badan Publik Informatif",
        body=body.name,
        category="Kategori uji",
        qualification="Informatif",
        score=None,
        rank=1,
        year=2025,
        decree_number="SK/1",
        place="Kota Uji",
        issued_on=date(2025, 12, 17),
        signatory_name="Ketua",
        signatory_title="Ketua Komisi",
    )
    cert = Certificate(
        organisation_id=org.id,
        cycle_id=w.ids["cycle_id"],
        serial=data.serial,
        body_id=body.id,
        decree_id=w.ids["decree_id"],
        kind=data.kind.value,
        award_key="informatif",
        award_title=data.award_title,
        data=snapshot(data),
    )
    db.add(cert)
    db.flush()
    w.ids.update(certificate_id=cert.id, serial=cert.serial)


def _add_results(factory: Factory, db: Session, w: World, org: Any) -> None:
    """A computed, approved and published result of commission A's cycle."""
    from app.cycles.access import system_actor
    from app.cycles.models import Cycle
    from app.results import service as results
    from tests.results.helpers import open_stage_now

    cycle = db.get(Cycle, w.ids["cycle_id"])
    assert cycle is not None
    open_stage_now(db, cycle)
    kom = factory.actor(w.users["komisioner"])
    rs = results.compute_and_store(db, system_actor(org.id), cycle)
    decree = results.draft_decree(db, system_actor(org.id), cycle, rs)
    results.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    results.publish_decree(db, kom, cycle, decree)
    w.ids.update(set_id=rs.id, decree_id=decree.id)


def _add_panel(factory: Factory, db: Session, w: World, org: Any, body: Any) -> None:
    """A presentation panel of the open cycle: the juri persona is its ready chair, the
    operator's body is shortlisted and scheduled in it, the juri declared an affiliation."""
    from datetime import timedelta
    from decimal import Decimal

    from app.conflicts import service as conflicts
    from app.cycles.access import system_actor
    from app.cycles.models import Cycle
    from app.db import utcnow
    from app.panels import service as panels
    from app.panels.models import PanelSlot
    from app.results.models import ShortlistEntry

    cycle = db.get(Cycle, w.ids["cycle_id"])
    assert cycle is not None
    sa = system_actor(org.id)
    panels.use_default_rubric(db, sa, cycle)
    panel = panels.create_panel(db, sa, cycle, name="Ruang A")
    panels.add_juror(db, sa, panel, cycle, user_id=w.users["juri"].id, is_chair=True)
    juri = factory.actor(w.users["juri"], org)
    panels.accept_pact(db, juri, panel, agree=True)
    panels.confirm_declaration(db, juri, panel)
    aff = conflicts.declare_affiliation(db, juri, kind="other", name="Universitas Uji")
    db.add(
        ShortlistEntry(
            organisation_id=org.id,
            cycle_id=cycle.id,
            body_id=body.id,
            published_saq=Decimal("70.00"),
        )
    )
    start = utcnow() + timedelta(days=30)
    slot = PanelSlot(
        cycle_id=cycle.id,
        panel_id=panel.id,
        body_id=body.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=35),
    )
    db.add(slot)
    db.flush()
    crit = panels.rubric_of(db, cycle)[0]
    w.ids.update(
        panel_id=panel.id,
        slot_id=slot.id,
        criterion_id=crit.id,
        affiliation_id=aff.id,
        juror_user_id=w.users["juri"].id,
    )


def _add_cycle(factory: Factory, db: Session, w: World, org: Any, body: Any) -> None:
    """An open cycle of commission A with the operator's body as a target, an extension,
    a questionnaire item, and a cycle of commission B for outsider checks."""
    from sqlalchemy import select

    from app.cycles import categories, schedule
    from app.cycles.access import system_actor
    from app.cycles.models import CycleCategory
    from app.questionnaires.models import Item, Questionnaire

    cycle = factory.cycle(org, is_open=True)
    actor = system_actor(org.id)
    cat = db.scalars(select(CycleCategory).where(CycleCategory.cycle_id == cycle.id)).first()
    assert cat is not None
    categories.set_target(db, actor, cycle, body_id=body.id, category_id=cat.id)
    ext = schedule.add_extension(
        db,
        actor,
        cycle,
        stage_code="saq",
        closes="2099-12-31T23:59",
        reason="uji",
        decision_ref="SK 1",
        category_id=cat.id,
    )
    q = db.scalars(select(Questionnaire).where(Questionnaire.cycle_id == cycle.id)).one()
    item = db.scalars(select(Item).where(Item.questionnaire_id == q.id)).first()
    assert item is not None
    w.ids.update(
        cycle_id=cycle.id,
        category_id=cat.id,
        extension_id=ext.id,
        questionnaire_id=q.id,
        node_id=item.id,
        slug="butir",
    )


def _notification_world(
    db: Session, org: Organisation, body: Body, users: dict[str, Any]
) -> dict[str, Any]:
    """A notification for the operator, a thread of their body, an FAQ entry, a draft
    broadcast and a failed outbox message, all in commission `a`."""
    note = Notification(user_id=users["operator"].id, kind="k", title="t", link="/beranda")
    thread = HelpdeskThread(organisation_id=org.id, body_id=body.id, subject="Pertanyaan")
    faq = FaqEntry(organisation_id=org.id, question="q", answer="a")
    broadcast = Broadcast(organisation_id=org.id, subject="s", body="b")
    db.add_all([note, thread, faq, broadcast])
    msg = queue_email(db, kind="k", to="salah", subject="s", body="b", organisation_id=org.id)
    db.flush()
    assert msg is not None
    return {
        "notification_id": note.id,
        "thread_id": thread.id,
        "faq_id": faq.id,
        "broadcast_id": broadcast.id,
        "message_id": msg.id,
        "slug": org.slug,
    }


@dataclass(frozen=True)
class Rule:
    """Who may pass the route's authorisation, and who must be refused."""

    allowed: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()
    public: bool = False
    params: Callable[[World], dict[str, Any]] = lambda w: {}


STAFF_DENIED = ("juri", "operator", "verifikator")
OWN_BODY = lambda w: {"body_id": w.ids["body_id"]}
USER = lambda w: {"user_id": w.ids["user_id"]}
NOTE = lambda w: {"notification_id": w.ids["notification_id"]}
BCAST = lambda w: {"broadcast_id": w.ids["broadcast_id"]}
MSG = lambda w: {"message_id": w.ids["message_id"]}
THREAD = lambda w: {"thread_id": w.ids["thread_id"]}

POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/"): Rule(public=True),
    ("GET", "/healthz"): Rule(public=True),
    ("GET", "/masuk"): Rule(public=True),
    ("POST", "/masuk"): Rule(public=True),
    ("POST", "/keluar"): Rule(public=True),
    ("GET", "/lupa-sandi"): Rule(public=True),
    ("POST", "/lupa-sandi"): Rule(public=True),
    ("GET", "/atur-sandi/{token}"): Rule(public=True, params=lambda w: {"token": "x"}),
    ("POST", "/atur-sandi/{token}"): Rule(public=True, params=lambda w: {"token": "x"}),
    ("GET", "/masuk/kode"): Rule(public=True),
    ("POST", "/masuk/kode"): Rule(public=True),
    ("POST", "/akun/2fa/mulai"): Rule(allowed=("sekretariat", "juri")),
    ("POST", "/akun/2fa/aktifkan"): Rule(allowed=("sekretariat",)),
    ("POST", "/akun/2fa/matikan"): Rule(allowed=("sekretariat",)),
    ("GET", "/beranda"): Rule(allowed=("sekretariat", "operator", "juri", "admin")),
    ("GET", "/akun"): Rule(allowed=("sekretariat", "operator", "admin")),
    ("POST", "/akun/kata-sandi"): Rule(allowed=("sekretariat", "operator")),
    ("POST", "/akun/token-api"): Rule(allowed=("sekretariat", "operator")),
    ("POST", "/akun/token-api/{token_id}/cabut"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "juri"),
        params=lambda w: {"token_id": w.ids["token_id"]},
    ),
    ("POST", "/akun/komisi"): Rule(allowed=("sekretariat",)),
    ("GET", "/api/v1/me"): Rule(allowed=("sekretariat", "operator", "admin")),
    ("GET", "/riwayat"): Rule(
        allowed=("sekretariat", "komisioner"), denied=("juri", "verifikator", "operator")
    ),
    ("GET", "/siklus/{cycle_id}/badan/{body_id}/saq/riwayat"): Rule(
        allowed=("sekretariat", "operator"),
        denied=("komisioner", "juri", "verifikator", "outsider"),
        params=lambda w: {"cycle_id": w.ids["cycle_id"], "body_id": w.ids["body_id"]},
    ),
    ("GET", "/riwayat/{object_type}/{object_id}"): Rule(
        allowed=("sekretariat", "komisioner"),
        denied=("juri", "verifikator", "operator", "outsider"),
        params=lambda w: {"object_type": "cycle", "object_id": w.ids["cycle_id"]},
    ),
    ("GET", "/pengguna"): Rule(allowed=("sekretariat",), denied=(*STAFF_DENIED, "komisioner")),
    ("POST", "/pengguna"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("POST", "/pengguna/peran/{grant_id}/cabut"): Rule(
        allowed=("sekretariat",),
        denied=(*STAFF_DENIED, "outsider"),
        params=lambda w: {"grant_id": w.ids["grant_id"]},
    ),
    ("POST", "/pengguna/{user_id}/nonaktifkan"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider"), params=USER
    ),
    ("POST", "/pengguna/{user_id}/aktifkan"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider"), params=USER
    ),
    ("GET", "/badan-publik"): Rule(allowed=("sekretariat", "komisioner"), denied=STAFF_DENIED),
    ("GET", "/badan-publik/baru"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("POST", "/badan-publik/baru"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("GET", "/badan-publik/impor"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("POST", "/badan-publik/impor"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("POST", "/badan-publik/impor/{batch_id}/terapkan"): Rule(
        denied=STAFF_DENIED, params=lambda w: {"batch_id": w.ids["batch_id"]}
    ),
    ("POST", "/badan-publik/ekspor"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("GET", "/badan-publik/{body_id}"): Rule(
        allowed=("sekretariat", "komisioner", "operator"),
        denied=("outsider", "juri", "verifikator"),
        params=OWN_BODY,
    ),
    ("GET", "/badan-publik/{body_id}/ubah"): Rule(
        allowed=("sekretariat", "operator"),
        denied=("outsider", "juri", "komisioner"),
        params=OWN_BODY,
    ),
    ("POST", "/badan-publik/{body_id}/ubah"): Rule(
        allowed=("sekretariat", "operator"),
        denied=("outsider", "juri", "komisioner"),
        params=OWN_BODY,
    ),
    ("POST", "/badan-publik/{body_id}/alihkan-akun"): Rule(
        denied=("outsider", "juri", "operator", "komisioner"), params=OWN_BODY
    ),
    ("GET", "/api/v1/bodies"): Rule(allowed=("sekretariat", "komisioner"), denied=STAFF_DENIED),
    ("POST", "/api/v1/bodies"): Rule(allowed=("sekretariat",), denied=STAFF_DENIED),
    ("GET", "/api/v1/bodies/{body_id}"): Rule(
        allowed=("sekretariat", "operator"), denied=("outsider", "juri"), params=OWN_BODY
    ),
    ("PATCH", "/api/v1/bodies/{body_id}"): Rule(
        allowed=("sekretariat", "operator"),
        denied=("outsider", "juri", "komisioner"),
        params=OWN_BODY,
    ),
    ("GET", "/admin/komisi"): Rule(allowed=("admin",), denied=("sekretariat", "operator")),
    ("POST", "/admin/komisi"): Rule(allowed=("admin",), denied=("sekretariat", "operator")),
    ("GET", "/pekerjaan/{job_id}"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "juri", "operator"),
        params=lambda w: {"job_id": w.ids["job_id"]},
    ),
    ("GET", "/pekerjaan/{job_id}/status"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "juri"),
        params=lambda w: {"job_id": w.ids["job_id"]},
    ),
    ("GET", "/pekerjaan/{job_id}/unduh"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "juri"),
        params=lambda w: {"job_id": w.ids["job_id"]},
    ),
    ("GET", "/api/v1/jobs/{job_id}"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "juri"),
        params=lambda w: {"job_id": w.ids["job_id"]},
    ),
    # notifications, broadcasts, outbox, helpdesk, view as body (issue 12)
    ("GET", "/notifikasi"): Rule(allowed=("sekretariat", "operator", "juri", "admin")),
    ("GET", "/notifikasi/jumlah"): Rule(public=True),
    ("POST", "/notifikasi/baca-semua"): Rule(allowed=("operator", "juri")),
    ("POST", "/notifikasi/{notification_id}/baca"): Rule(
        allowed=("operator",), denied=("sekretariat", "outsider", "juri"), params=NOTE
    ),
    ("GET", "/akun/notifikasi"): Rule(allowed=("sekretariat", "operator", "admin")),
    ("POST", "/akun/notifikasi"): Rule(allowed=("sekretariat", "operator")),
    ("GET", "/siaran"): Rule(allowed=("sekretariat",), denied=(*STAFF_DENIED, "komisioner")),
    ("POST", "/siaran"): Rule(allowed=("sekretariat",), denied=(*STAFF_DENIED, "komisioner")),
    ("GET", "/siaran/{broadcast_id}"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider", "komisioner"), params=BCAST
    ),
    ("POST", "/siaran/{broadcast_id}/ubah"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider", "komisioner"), params=BCAST
    ),
    ("POST", "/siaran/{broadcast_id}/kirim"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider", "komisioner"), params=BCAST
    ),
    ("GET", "/kotak-keluar"): Rule(
        allowed=("sekretariat", "admin"), denied=(*STAFF_DENIED, "komisioner")
    ),
    ("GET", "/kotak-keluar/{message_id}"): Rule(
        allowed=("sekretariat", "admin"), denied=(*STAFF_DENIED, "outsider"), params=MSG
    ),
    ("POST", "/kotak-keluar/{message_id}/ubah"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider"), params=MSG
    ),
    ("POST", "/kotak-keluar/{message_id}/kirim-ulang"): Rule(
        allowed=("sekretariat",), denied=(*STAFF_DENIED, "outsider"), params=MSG
    ),
    ("GET", "/bantuan"): Rule(
        allowed=("sekretariat", "operator"), denied=("juri", "verifikator", "komisioner")
    ),
    ("POST", "/bantuan"): Rule(allowed=("operator",), denied=("sekretariat", "juri")),
    ("GET", "/bantuan/faq"): Rule(
        allowed=("sekretariat",), denied=("operator", "juri", "komisioner")
    ),
    ("POST", "/bantuan/faq"): Rule(allowed=("sekretariat",), denied=("operator", "juri")),
    ("POST", "/bantuan/faq/{faq_id}"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "operator", "juri"),
        params=lambda w: {"faq_id": w.ids["faq_id"]},
    ),
    ("GET", "/bantuan/{thread_id}"): Rule(
        allowed=("sekretariat", "operator"),
        denied=("outsider", "juri", "komisioner"),
        params=THREAD,
    ),
    ("POST", "/bantuan/{thread_id}/balas"): Rule(
        allowed=("sekretariat", "operator"), denied=("outsider", "juri"), params=THREAD
    ),
    ("POST", "/bantuan/{thread_id}/selesai"): Rule(
        allowed=("sekretariat", "operator"), denied=("outsider", "juri"), params=THREAD
    ),
    ("POST", "/bantuan/{thread_id}/faq"): Rule(
        allowed=("sekretariat",), denied=("outsider", "operator", "juri"), params=THREAD
    ),
    ("GET", "/faq/{slug}"): Rule(public=True, params=lambda w: {"slug": w.ids["slug"]}),
    ("GET", "/lihat-sebagai/{body_id}"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "operator", "komisioner", "juri"),
        params=OWN_BODY,
    ),
    ("GET", "/lihat-sebagai/{body_id}/profil"): Rule(
        allowed=("sekretariat",),
        denied=("outsider", "operator", "komisioner", "juri"),
        params=OWN_BODY,
    ),
}

STAFF = ("sekretariat", "komisioner", "verifikator", "juri")
CYC = lambda w: {"cycle_id": w.ids["cycle_id"]}
CYC_BODY = lambda w: {"cycle_id": w.ids["cycle_id"], "body_id": w.ids["body_id"]}
CYC_CAT = lambda w: {"cycle_id": w.ids["cycle_id"], "category_id": w.ids["category_id"]}
CYC_EXT = lambda w: {"cycle_id": w.ids["cycle_id"], "extension_id": w.ids["extension_id"]}
QN = lambda w: {"questionnaire_id": w.ids["questionnaire_id"]}
QN_NODE = lambda w: {
    "questionnaire_id": w.ids["questionnaire_id"],
    "slug": "butir",
    "node_id": w.ids["node_id"],
}
MANAGE = Rule(
    allowed=("sekretariat",), denied=("komisioner", "juri", "operator", "outsider"), params=CYC
)
STAFF_READ = Rule(allowed=STAFF, denied=("operator", "outsider"), params=CYC)

POLICY.update(
    {
        ("GET", "/siklus"): Rule(allowed=STAFF, denied=("operator",)),
        ("GET", "/siklus/baru"): Rule(
            allowed=("sekretariat",), denied=("komisioner", "juri", "operator")
        ),
        ("POST", "/siklus/baru"): Rule(
            allowed=("sekretariat",), denied=("komisioner", "juri", "operator")
        ),
        ("GET", "/siklus/{cycle_id}"): Rule(allowed=STAFF, denied=("outsider",), params=CYC),
        ("POST", "/siklus/{cycle_id}/ubah"): MANAGE,
        ("POST", "/siklus/{cycle_id}/buka"): MANAGE,
        ("GET", "/siklus/{cycle_id}/tahap"): STAFF_READ,
        ("POST", "/siklus/{cycle_id}/tahap"): MANAGE,
        ("POST", "/siklus/{cycle_id}/perpanjangan"): MANAGE,
        ("POST", "/siklus/{cycle_id}/perpanjangan/{extension_id}/batal"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_EXT,
        ),
        ("GET", "/siklus/{cycle_id}/kategori"): STAFF_READ,
        ("POST", "/siklus/{cycle_id}/kategori"): MANAGE,
        ("POST", "/siklus/{cycle_id}/kategori/katalog"): MANAGE,
        ("POST", "/siklus/{cycle_id}/kategori/{category_id}"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_CAT,
        ),
        ("POST", "/siklus/{cycle_id}/kategori/{category_id}/hapus"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_CAT,
        ),
        ("GET", "/siklus/{cycle_id}/kategori/{category_id}"): Rule(
            allowed=STAFF, denied=("operator", "outsider"), params=CYC_CAT
        ),
        ("POST", "/siklus/{cycle_id}/kategori/{category_id}/isi-bawaan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_CAT,
        ),
        ("POST", "/siklus/{cycle_id}/sasaran"): Rule(
            denied=("juri", "operator", "outsider"), params=CYC
        ),
        ("POST", "/siklus/{cycle_id}/sasaran/{body_id}/hapus"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_BODY,
        ),
        ("GET", "/siklus/{cycle_id}/aturan"): STAFF_READ,
        ("POST", "/siklus/{cycle_id}/aturan"): MANAGE,
        ("GET", "/siklus/{cycle_id}/badan/{body_id}"): Rule(
            allowed=("sekretariat", "komisioner", "operator"),
            denied=("juri", "outsider"),
            params=CYC_BODY,
        ),
        ("GET", "/beranda/siklus"): Rule(allowed=("sekretariat", "operator", "juri")),
        ("GET", "/api/v1/cycles"): Rule(allowed=STAFF, denied=("operator",)),
        ("POST", "/api/v1/cycles"): Rule(
            allowed=("sekretariat",), denied=("komisioner", "juri", "operator")
        ),
        ("GET", "/api/v1/cycles/{cycle_id}"): Rule(
            allowed=(*STAFF, "operator"), denied=("outsider",), params=CYC
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/readiness"): STAFF_READ,
        ("POST", "/api/v1/cycles/{cycle_id}/open"): MANAGE,
        ("GET", "/api/v1/cycles/{cycle_id}/stages"): Rule(
            allowed=(*STAFF, "operator"), denied=("outsider",), params=CYC
        ),
        ("PUT", "/api/v1/cycles/{cycle_id}/stages"): MANAGE,
        ("GET", "/api/v1/cycles/{cycle_id}/stages/current"): Rule(
            allowed=(*STAFF, "operator"), denied=("outsider",), params=CYC
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/extensions"): STAFF_READ,
        ("POST", "/api/v1/cycles/{cycle_id}/extensions"): MANAGE,
        ("DELETE", "/api/v1/cycles/{cycle_id}/extensions/{extension_id}"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_EXT,
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/categories"): STAFF_READ,
        ("POST", "/api/v1/cycles/{cycle_id}/categories"): MANAGE,
        ("PUT", "/api/v1/cycles/{cycle_id}/targets"): MANAGE,
        ("DELETE", "/api/v1/cycles/{cycle_id}/targets/{body_id}"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_BODY,
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/rules"): STAFF_READ,
        ("PUT", "/api/v1/cycles/{cycle_id}/rules"): MANAGE,
        ("GET", "/api/v1/cycles/{cycle_id}/questionnaires"): STAFF_READ,
        ("GET", "/siklus/{cycle_id}/kuesioner"): STAFF_READ,
        ("POST", "/siklus/{cycle_id}/kuesioner/baru"): MANAGE,
        ("POST", "/siklus/{cycle_id}/kuesioner/impor"): MANAGE,
        ("POST", "/siklus/{cycle_id}/kuesioner/impor/{batch_id}/terapkan"): Rule(
            denied=("komisioner", "juri", "operator", "outsider"),
            params=lambda w: {"cycle_id": w.ids["cycle_id"], "batch_id": w.ids["batch_id"]},
        ),
        ("GET", "/kuesioner/contoh.csv"): Rule(allowed=("sekretariat", "operator")),
        ("GET", "/kuesioner/{questionnaire_id}"): Rule(
            allowed=STAFF, denied=("operator", "outsider"), params=QN
        ),
        ("GET", "/kuesioner/{questionnaire_id}/ekspor.xlsx"): Rule(
            allowed=STAFF, denied=("operator", "outsider"), params=QN
        ),
        ("POST", "/kuesioner/{questionnaire_id}/ubah-nama"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=QN,
        ),
        ("POST", "/kuesioner/{questionnaire_id}/hapus"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=QN,
        ),
        ("GET", "/kuesioner/{questionnaire_id}/versi"): Rule(
            allowed=STAFF, denied=("operator", "outsider"), params=QN
        ),
        ("GET", "/kuesioner/{questionnaire_id}/{slug}/baru"): Rule(
            allowed=STAFF,
            denied=("operator", "outsider"),
            params=lambda w: {"questionnaire_id": w.ids["questionnaire_id"], "slug": "butir"},
        ),
        ("GET", "/kuesioner/{questionnaire_id}/{slug}/{node_id}"): Rule(
            allowed=STAFF, denied=("operator", "outsider"), params=QN_NODE
        ),
        ("POST", "/kuesioner/{questionnaire_id}/{slug}/simpan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=lambda w: {"questionnaire_id": w.ids["questionnaire_id"], "slug": "butir"},
        ),
        ("POST", "/kuesioner/{questionnaire_id}/{slug}/{node_id}/hapus"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=QN_NODE,
        ),
        ("POST", "/kuesioner/{questionnaire_id}/butir/{node_id}/pulihkan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=QN_NODE,
        ),
        ("GET", "/api/v1/questionnaires/{questionnaire_id}"): Rule(
            allowed=STAFF, denied=("operator", "outsider"), params=QN
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/bodies/{body_id}/questionnaire"): Rule(
            allowed=("sekretariat", "komisioner", "operator"),
            denied=("juri", "outsider"),
            params=CYC_BODY,
        ),
    }
)

RESULTS_READ = Rule(
    allowed=("sekretariat", "komisioner"),
    denied=("juri", "verifikator", "operator", "outsider"),
    params=CYC,
)
SEK_ONLY = Rule(
    allowed=("sekretariat",), denied=("komisioner", "juri", "operator", "outsider"), params=CYC
)
KOM_ONLY = Rule(
    allowed=("komisioner",), denied=("sekretariat", "juri", "operator", "outsider"), params=CYC
)
CYC_SET = lambda w: {"cycle_id": w.ids["cycle_id"], "set_id": w.ids["set_id"]}
CYC_DECREE = lambda w: {"cycle_id": w.ids["cycle_id"], "decree_id": w.ids["decree_id"]}
POLICY.update(
    {
        ("GET", "/siklus/{cycle_id}/hasil"): RESULTS_READ,
        ("POST", "/siklus/{cycle_id}/hasil/hitung"): SEK_ONLY,
        ("GET", "/siklus/{cycle_id}/hasil/{set_id}"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("juri", "verifikator", "operator", "outsider"),
            params=CYC_SET,
        ),
        ("POST", "/siklus/{cycle_id}/hasil/{set_id}/sk"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_SET,
        ),
        ("POST", "/siklus/{cycle_id}/sk/{decree_id}/setujui"): Rule(
            allowed=("komisioner",),
            denied=("sekretariat", "juri", "operator", "outsider"),
            params=CYC_DECREE,
        ),
        ("POST", "/siklus/{cycle_id}/sk/{decree_id}/terbitkan"): Rule(
            allowed=("komisioner",),
            denied=("sekretariat", "juri", "operator", "outsider"),
            params=CYC_DECREE,
        ),
        ("POST", "/siklus/{cycle_id}/sk/{decree_id}/batal"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_DECREE,
        ),
        ("GET", "/siklus/{cycle_id}/hasil/badan/{body_id}"): Rule(
            allowed=("sekretariat", "komisioner", "operator"),
            denied=("juri", "verifikator", "outsider"),
            params=CYC_BODY,
        ),
        ("GET", "/siklus/{cycle_id}/nominasi"): RESULTS_READ,
        ("POST", "/siklus/{cycle_id}/nominasi"): KOM_ONLY,
        ("GET", "/siklus/{cycle_id}/komponen"): RESULTS_READ,
        ("POST", "/siklus/{cycle_id}/komponen"): SEK_ONLY,
        ("GET", "/siklus/{cycle_id}/hasil/{set_id}/ekspor.{fmt}"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("juri", "verifikator", "operator", "outsider"),
            params=lambda w: {**CYC_SET(w), "fmt": "xlsx"},
        ),
        ("GET", "/siklus/{cycle_id}/sk/{decree_id}/{kind}.pdf"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("juri", "verifikator", "operator", "outsider"),
            params=lambda w: {**CYC_DECREE(w), "kind": "lampiran"},
        ),
        ("GET", "/siklus/{cycle_id}/penghargaan"): RESULTS_READ,
        ("POST", "/siklus/{cycle_id}/penghargaan/khusus"): SEK_ONLY,
        ("POST", "/siklus/{cycle_id}/penghargaan/tinjau"): KOM_ONLY,
        ("GET", "/hasil"): Rule(public=True),
        ("GET", "/hasil/{cycle_id}"): Rule(public=True, params=CYC),
        ("GET", "/hasil/{cycle_id}/data.csv"): Rule(public=True, params=CYC),
        ("GET", "/hasil/{cycle_id}/data.json"): Rule(public=True, params=CYC),
        ("GET", "/hasil/badan/{body_id}"): Rule(public=True, params=OWN_BODY),
        ("GET", "/api/v1/cycles/{cycle_id}/result-sets"): RESULTS_READ,
        ("POST", "/api/v1/cycles/{cycle_id}/result-sets"): SEK_ONLY,
        ("GET", "/api/v1/cycles/{cycle_id}/result-sets/{set_id}"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("juri", "verifikator", "operator", "outsider"),
            params=CYC_SET,
        ),
        ("POST", "/api/v1/cycles/{cycle_id}/result-sets/{set_id}/decrees"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_SET,
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/decrees"): RESULTS_READ,
        ("GET", "/api/v1/public/cycles/{cycle_id}/results"): Rule(public=True, params=CYC),
    }
)
PANEL = lambda w: {"panel_id": w.ids["panel_id"]}
PANEL_BODY = lambda w: {"panel_id": w.ids["panel_id"], "body_id": w.ids["body_id"]}
PANEL_MANAGE = Rule(
    allowed=("sekretariat",),
    denied=("komisioner", "juri", "verifikator", "operator", "outsider"),
    params=PANEL,
)
JUROR_ONLY = Rule(
    allowed=("juri",),
    denied=("sekretariat", "verifikator", "operator", "outsider"),
    params=PANEL_BODY,
)
CHAIR_OR_MANAGER = Rule(
    allowed=("juri", "sekretariat"),
    denied=("komisioner", "verifikator", "operator", "outsider"),
    params=PANEL,
)
POLICY.update(
    {
        ("GET", "/siklus/{cycle_id}/presentasi"): STAFF_READ,
        ("POST", "/siklus/{cycle_id}/presentasi/aturan"): MANAGE,
        ("POST", "/siklus/{cycle_id}/presentasi/rubrik"): MANAGE,
        ("POST", "/siklus/{cycle_id}/presentasi/rubrik/bawaan"): MANAGE,
        ("POST", "/siklus/{cycle_id}/presentasi/rubrik/{criterion_id}/hapus"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=lambda w: {"cycle_id": w.ids["cycle_id"], "criterion_id": w.ids["criterion_id"]},
        ),
        ("POST", "/siklus/{cycle_id}/presentasi/panel"): MANAGE,
        ("POST", "/panel/{panel_id}/juri"): PANEL_MANAGE,
        ("POST", "/panel/{panel_id}/juri/{user_id}/hapus"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "verifikator", "operator", "outsider"),
            params=lambda w: {"panel_id": w.ids["panel_id"], "user_id": w.ids["juror_user_id"]},
        ),
        ("POST", "/panel/{panel_id}/ketua"): PANEL_MANAGE,
        ("POST", "/panel/{panel_id}/koreksi"): PANEL_MANAGE,
        ("GET", "/juri"): Rule(allowed=("juri",), denied=("sekretariat", "operator")),
        ("GET", "/panel/{panel_id}"): Rule(
            allowed=("sekretariat", "komisioner", "juri"),
            denied=("verifikator", "operator", "outsider"),
            params=PANEL,
        ),
        ("POST", "/panel/{panel_id}/pakta"): Rule(
            allowed=("juri",),
            denied=("sekretariat", "verifikator", "operator", "outsider"),
            params=PANEL,
        ),
        ("POST", "/panel/{panel_id}/deklarasi"): Rule(
            allowed=("juri",),
            denied=("sekretariat", "verifikator", "operator", "outsider"),
            params=PANEL,
        ),
        ("GET", "/panel/{panel_id}/badan/{body_id}"): JUROR_ONLY,
        ("POST", "/panel/{panel_id}/badan/{body_id}"): JUROR_ONLY,
        ("POST", "/panel/{panel_id}/badan/{body_id}/abstain"): JUROR_ONLY,
        ("POST", "/panel/{panel_id}/kunci"): Rule(
            allowed=("juri",),
            denied=("sekretariat", "komisioner", "verifikator", "operator", "outsider"),
            params=PANEL,
        ),
        ("GET", "/beranda/presentasi"): Rule(allowed=("sekretariat", "operator", "juri")),
        ("GET", "/siklus/{cycle_id}/jadwal"): STAFF_READ,
        ("GET", "/siklus/{cycle_id}/jadwal.pdf"): STAFF_READ,
        ("GET", "/siklus/{cycle_id}/jadwal.xlsx"): STAFF_READ,
        ("GET", "/siklus/{cycle_id}/jadwal.ics"): STAFF_READ,
        ("POST", "/siklus/{cycle_id}/jadwal/otomatis"): MANAGE,
        ("POST", "/siklus/{cycle_id}/jadwal/{slot_id}/pindah"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=lambda w: {"cycle_id": w.ids["cycle_id"], "slot_id": w.ids["slot_id"]},
        ),
        ("GET", "/panel/{panel_id}/langsung"): CHAIR_OR_MANAGER,
        ("GET", "/panel/{panel_id}/langsung/status"): CHAIR_OR_MANAGER,
        ("POST", "/panel/{panel_id}/langsung/mulai"): CHAIR_OR_MANAGER,
        ("POST", "/panel/{panel_id}/langsung/selesai"): CHAIR_OR_MANAGER,
        ("POST", "/panel/{panel_id}/langsung/{slot_id}/hadir"): Rule(
            allowed=("juri", "sekretariat"),
            denied=("komisioner", "verifikator", "operator", "outsider"),
            params=lambda w: {"panel_id": w.ids["panel_id"], "slot_id": w.ids["slot_id"]},
        ),
        ("GET", "/siklus/{cycle_id}/visitasi"): STAFF_READ,
        ("GET", "/api/v1/cycles/{cycle_id}/panels"): STAFF_READ,
        ("GET", "/api/v1/panels/{panel_id}/results"): Rule(
            allowed=("sekretariat", "komisioner", "juri"),
            denied=("verifikator", "operator", "outsider"),
            params=PANEL,
        ),
        ("POST", "/siklus/{cycle_id}/visitasi/{body_id}"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("juri", "verifikator", "operator", "outsider"),
            params=CYC_BODY,
        ),
        ("GET", "/konflik"): Rule(
            allowed=("juri", "sekretariat", "verifikator"), denied=("operator",)
        ),
        ("POST", "/konflik"): Rule(allowed=("juri", "verifikator"), denied=("operator",)),
        ("POST", "/konflik/{affiliation_id}/cabut"): Rule(
            allowed=("juri",),
            denied=("sekretariat", "verifikator", "operator", "outsider"),
            params=lambda w: {"affiliation_id": w.ids["affiliation_id"]},
        ),
    }
)

EVIDENCE_DENIED = ("komisioner", "juri", "verifikator", "outsider")
POLICY.update(
    {
        ("POST", "/api/v1/bodies/{body_id}/evidence"): Rule(
            denied=("sekretariat", *EVIDENCE_DENIED), params=OWN_BODY
        ),
        ("GET", "/api/v1/bodies/{body_id}/evidence"): Rule(
            allowed=("sekretariat", "operator"), denied=EVIDENCE_DENIED, params=OWN_BODY
        ),
        ("POST", "/api/v1/bodies/{body_id}/links/check"): Rule(
            allowed=("sekretariat", "operator"), denied=EVIDENCE_DENIED, params=OWN_BODY
        ),
        ("GET", "/api/v1/bodies/{body_id}/links"): Rule(
            allowed=("sekretariat", "operator"), denied=EVIDENCE_DENIED, params=OWN_BODY
        ),
        ("GET", "/badan-publik/{body_id}/data-dukung"): Rule(
            allowed=("sekretariat", "operator"), denied=EVIDENCE_DENIED, params=OWN_BODY
        ),
        ("POST", "/badan-publik/{body_id}/data-dukung"): Rule(
            allowed=("operator",), denied=("sekretariat", *EVIDENCE_DENIED), params=OWN_BODY
        ),
        ("POST", "/badan-publik/{body_id}/tautan"): Rule(
            allowed=("sekretariat", "operator"), denied=EVIDENCE_DENIED, params=OWN_BODY
        ),
        ("GET", "/evidence/{file_id}"): Rule(
            denied=("sekretariat", "operator", "outsider"), params=lambda w: {"file_id": 999999}
        ),
    }
)

# registration of bodies (issue 5) and the cycle dashboard (issue 12)
CYC_REG = lambda w: {"cycle_id": w.ids["cycle_id"], "registration_id": w.ids["registration_id"]}
DASHBOARD_READ = Rule(
    allowed=("sekretariat", "komisioner"),
    denied=("juri", "verifikator", "operator", "outsider"),
    params=CYC,
)
POLICY.update(
    {
        ("GET", "/daftar/{cycle_id}"): Rule(public=True, params=CYC),
        ("POST", "/daftar/{cycle_id}"): Rule(public=True, params=CYC),
        ("GET", "/siklus/{cycle_id}/pendaftaran"): MANAGE,
        ("POST", "/siklus/{cycle_id}/pendaftaran/{registration_id}/aktifkan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_REG,
        ),
        ("POST", "/siklus/{cycle_id}/pendaftaran/{registration_id}/tolak"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC_REG,
        ),
        ("POST", "/siklus/{cycle_id}/undangan"): MANAGE,
        ("POST", "/badan-publik/{body_id}/rekan"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "komisioner", "juri", "outsider"),
            params=OWN_BODY,
        ),
        ("GET", "/siklus/{cycle_id}/dasbor"): DASHBOARD_READ,
        ("GET", "/siklus/{cycle_id}/dasbor/badan"): DASHBOARD_READ,
        ("GET", "/siklus/{cycle_id}/dasbor/ekspor.{fmt}"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("juri", "verifikator", "operator", "outsider"),
            params=lambda w: {**CYC(w), "fmt": "csv"},
        ),
        ("POST", "/siklus/{cycle_id}/dasbor/pengingat"): MANAGE,
    }
)

CYC_B = CYC_BODY
CYC_B_ITEM = lambda w: {**CYC_BODY(w), "item_id": w.ids["item_id"]}
APPEAL = lambda w: {"appeal_id": w.ids["appeal_id"]}
CLAR = lambda w: {"clarification_id": w.ids["clarification_id"]}
VERIFIER_WRITE = Rule(
    allowed=("verifikator",),
    denied=("sekretariat", "komisioner", "juri", "operator", "outsider"),
    params=CYC_B,
)
SHEET_READ = Rule(
    allowed=("verifikator", "sekretariat", "komisioner"),
    denied=("juri", "operator", "outsider"),
    params=CYC_B,
)
VER_MANAGE = Rule(
    allowed=("sekretariat",),
    denied=("komisioner", "verifikator", "juri", "operator", "outsider"),
    params=CYC,
)
POLICY.update(
    {
        ("GET", "/verifikasi"): Rule(
            allowed=("verifikator",), denied=("sekretariat", "juri", "operator")
        ),
        ("GET", "/verifikasi/{cycle_id}"): Rule(
            allowed=("verifikator", "sekretariat", "komisioner"),
            denied=("juri", "operator", "outsider"),
            params=CYC,
        ),
        ("GET", "/verifikasi/{cycle_id}/badan/{body_id}"): SHEET_READ,
        ("POST", "/verifikasi/{cycle_id}/badan/{body_id}/butir/{item_id}"): Rule(
            allowed=VERIFIER_WRITE.allowed, denied=VERIFIER_WRITE.denied, params=CYC_B_ITEM
        ),
        ("POST", "/verifikasi/{cycle_id}/badan/{body_id}/klarifikasi"): VERIFIER_WRITE,
        ("POST", "/verifikasi/{cycle_id}/klarifikasi/{clarification_id}/tutup"): Rule(
            allowed=("verifikator",),
            denied=("sekretariat", "juri", "operator", "outsider"),
            params=lambda w: {**CYC(w), **CLAR(w)},
        ),
        ("POST", "/verifikasi/{cycle_id}/badan/{body_id}/kirim"): VERIFIER_WRITE,
        ("POST", "/verifikasi/{cycle_id}/badan/{body_id}/reviu"): Rule(
            denied=("sekretariat", "verifikator", "juri", "operator", "outsider"), params=CYC_B
        ),
        ("GET", "/verifikasi/{cycle_id}/badan/{body_id}/berita-acara.pdf"): SHEET_READ,
        ("GET", "/verifikasi/{cycle_id}/badan/{body_id}/ekspor.{fmt}"): Rule(
            allowed=SHEET_READ.allowed,
            denied=SHEET_READ.denied,
            params=lambda w: {**CYC_B(w), "fmt": "xlsx"},
        ),
        # Allowed personas are tested in tests/verification (the blob needs a storage).
        ("GET", "/verifikasi/berkas/{file_id}"): Rule(
            denied=("juri", "operator", "outsider"), params=lambda w: {"file_id": w.ids["file_id"]}
        ),
        ("GET", "/siklus/{cycle_id}/verifikasi"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("verifikator", "juri", "operator", "outsider"),
            params=CYC,
        ),
        ("POST", "/siklus/{cycle_id}/verifikasi/pengaturan"): VER_MANAGE,
        ("POST", "/siklus/{cycle_id}/verifikasi/umumkan"): VER_MANAGE,
        ("GET", "/siklus/{cycle_id}/verifikasi/penugasan"): VER_MANAGE,
        ("POST", "/siklus/{cycle_id}/verifikasi/penugasan"): VER_MANAGE,
        ("POST", "/siklus/{cycle_id}/verifikasi/penugasan/otomatis"): VER_MANAGE,
        ("GET", "/sanggah/{appeal_id}"): Rule(
            allowed=("sekretariat", "komisioner", "operator", "verifikator"),
            denied=("juri", "outsider"),
            params=APPEAL,
        ),
        ("GET", "/sanggah/{appeal_id}/berita-acara.pdf"): Rule(
            allowed=("sekretariat", "komisioner", "operator", "verifikator"),
            denied=("juri", "outsider"),
            params=APPEAL,
        ),
        ("POST", "/sanggah/{appeal_id}/putusan"): Rule(
            allowed=("verifikator",),
            denied=("sekretariat", "komisioner", "juri", "operator", "outsider"),
            params=APPEAL,
        ),
        ("POST", "/sanggah/{appeal_id}/penugasan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "verifikator", "juri", "operator", "outsider"),
            params=APPEAL,
        ),
        ("POST", "/sanggah/{appeal_id}/berkas"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "verifikator", "juri", "outsider"),
            params=APPEAL,
        ),
        ("GET", "/siklus/{cycle_id}/klarifikasi"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "verifikator", "juri", "outsider"),
            params=CYC,
        ),
        ("POST", "/klarifikasi/{clarification_id}"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "verifikator", "juri", "outsider"),
            params=CLAR,
        ),
        ("POST", "/klarifikasi/{clarification_id}/berkas"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "verifikator", "juri", "outsider"),
            params=CLAR,
        ),
        ("GET", "/siklus/{cycle_id}/hasil-verifikasi/{body_id}"): Rule(
            allowed=("operator", "sekretariat", "komisioner"),
            denied=("juri", "outsider"),
            params=CYC_B,
        ),
        ("POST", "/siklus/{cycle_id}/hasil-verifikasi/{body_id}/sanggah"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "verifikator", "juri", "outsider"),
            params=CYC_B,
        ),
        ("GET", "/api/v1/cycles/{cycle_id}/verification/bodies/{body_id}"): SHEET_READ,
        ("PUT", "/api/v1/cycles/{cycle_id}/verification/bodies/{body_id}/items/{item_id}"): Rule(
            allowed=VERIFIER_WRITE.allowed, denied=VERIFIER_WRITE.denied, params=CYC_B_ITEM
        ),
    }
)

SAQ = "/siklus/{cycle_id}/badan/{body_id}/saq"
SAQ_ITEM = lambda w: {**CYC_BODY(w), "item_id": w.ids["item_id"]}
SAQ_DENIED = ("outsider", "juri", "komisioner", "verifikator")
SAQ_FILL = Rule(allowed=("operator",), denied=("sekretariat", *SAQ_DENIED), params=SAQ_ITEM)
SAQ_READ = Rule(allowed=("operator", "sekretariat"), denied=SAQ_DENIED, params=CYC_BODY)
SAQ_ATASAN = Rule(
    allowed=("atasan",), denied=("operator", "sekretariat", *SAQ_DENIED), params=CYC_BODY
)
POLICY.update(
    {
        ("GET", SAQ): SAQ_READ,
        ("POST", SAQ + "/butir/{item_id}"): SAQ_FILL,
        ("POST", SAQ + "/butir/{item_id}/berkas"): SAQ_FILL,
        ("POST", SAQ + "/butir/{item_id}/berkas/{file_id}/lepas"): Rule(
            allowed=("operator",),
            denied=("sekretariat", *SAQ_DENIED),
            params=lambda w: {**SAQ_ITEM(w), "file_id": w.ids["file_id"]},
        ),
        ("POST", SAQ + "/butir/{item_id}/tautan"): SAQ_FILL,
        ("POST", SAQ + "/butir/{item_id}/tautan/{link_id}/hapus"): Rule(
            allowed=("operator",),
            denied=("sekretariat", *SAQ_DENIED),
            params=lambda w: {**SAQ_ITEM(w), "link_id": w.ids["link_id"]},
        ),
        ("POST", SAQ + "/tugas"): Rule(
            allowed=("operator", "atasan"), denied=("sekretariat", *SAQ_DENIED), params=CYC_BODY
        ),
        ("GET", SAQ + "/kirim"): SAQ_READ,
        ("POST", SAQ + "/kirim"): Rule(
            allowed=("operator", "atasan"), denied=("sekretariat", *SAQ_DENIED), params=CYC_BODY
        ),
        ("POST", SAQ + "/setujui"): SAQ_ATASAN,
        ("POST", SAQ + "/kembalikan"): SAQ_ATASAN,
        ("POST", SAQ + "/buka-kembali"): Rule(
            allowed=("sekretariat",), denied=("operator", "atasan", *SAQ_DENIED), params=CYC_BODY
        ),
        ("GET", SAQ + "/tanda-terima.pdf"): SAQ_READ,
        ("GET", SAQ + "/data-dukung.zip"): SAQ_READ,
        ("GET", "/saq/tugas-saya"): Rule(allowed=("operator", "sekretariat", "juri")),
        ("GET", "/siklus/{cycle_id}/saq"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "juri", "operator", "outsider"),
            params=CYC,
        ),
        ("POST", "/siklus/{cycle_id}/saq/pengaturan"): MANAGE,
        ("GET", "/api/v1/cycles/{cycle_id}/bodies/{body_id}/answers"): SAQ_READ,
        ("PUT", "/api/v1/cycles/{cycle_id}/bodies/{body_id}/answers/{item_id}"): SAQ_FILL,
    }
)

CERT_READ = Rule(
    allowed=("sekretariat", "panitia"),
    denied=("komisioner", "juri", "verifikator", "operator", "outsider"),
    params=CYC,
)
CERT_MANAGE = Rule(
    allowed=("sekretariat",),
    denied=("panitia", "komisioner", "juri", "operator", "outsider"),
    params=CYC,
)
CERT = lambda w: {"cycle_id": w.ids["cycle_id"], "certificate_id": w.ids["certificate_id"]}
KIND = lambda w: {"cycle_id": w.ids["cycle_id"], "kind": "khusus"}
POLICY.update(
    {
        ("GET", "/siklus/{cycle_id}/piagam"): CERT_READ,
        ("POST", "/siklus/{cycle_id}/piagam/pengaturan"): CERT_MANAGE,
        ("POST", "/siklus/{cycle_id}/piagam/templat/{kind}"): Rule(
            allowed=CERT_MANAGE.allowed, denied=CERT_MANAGE.denied, params=KIND
        ),
        ("GET", "/siklus/{cycle_id}/piagam/templat/{kind}/pratinjau"): Rule(
            allowed=CERT_READ.allowed, denied=CERT_READ.denied, params=KIND
        ),
        ("POST", "/siklus/{cycle_id}/piagam/templat/{kind}/pratinjau"): Rule(
            allowed=CERT_READ.allowed, denied=CERT_READ.denied, params=KIND
        ),
        ("POST", "/siklus/{cycle_id}/piagam/terbitkan"): CERT_MANAGE,
        ("POST", "/siklus/{cycle_id}/piagam/{certificate_id}/cabut"): Rule(
            allowed=CERT_MANAGE.allowed, denied=CERT_MANAGE.denied, params=CERT
        ),
        ("POST", "/siklus/{cycle_id}/piagam/{certificate_id}/terbitkan-ulang"): Rule(
            allowed=CERT_MANAGE.allowed, denied=CERT_MANAGE.denied, params=CERT
        ),
        ("GET", "/siklus/{cycle_id}/piagam/{certificate_id}/unduh"): Rule(
            allowed=CERT_READ.allowed, denied=CERT_READ.denied, params=CERT
        ),
        ("POST", "/siklus/{cycle_id}/piagam/cetak"): CERT_READ,
        ("GET", "/siklus/{cycle_id}/piagam/susunan-acara.{fmt}"): Rule(
            allowed=CERT_READ.allowed,
            denied=CERT_READ.denied,
            params=lambda w: {"cycle_id": w.ids["cycle_id"], "fmt": "pdf"},
        ),
        # Public: anyone scanning a certificate's QR code (the page itself hides unpublished
        # results behind the same 404 as an unknown serial).
        ("GET", "/piagam/{serial}"): Rule(
            public=True, params=lambda w: {"serial": w.ids["serial"]}
        ),
    }
)

# Internal monev: the PPID utama's own people (the operator persona's body) only; commission
# staff see nothing of it while it is not shared, nor do its units or other commissions.
INTERNAL_DENIED = ("sekretariat", "komisioner", "verifikator", "juri", "outsider", "unit_operator")
MONEV = lambda w: {"monev_id": w.ids["monev_id"]}
POLICY.update(
    {
        ("GET", "/monev-internal"): Rule(allowed=("operator", "sekretariat", "unit_operator")),
        ("POST", "/monev-internal/mulai/{body_id}"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=OWN_BODY
        ),
        ("GET", "/monev-internal/{monev_id}"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        ("POST", "/monev-internal/{monev_id}/berbagi"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        ("POST", "/monev-internal/{monev_id}/siklus"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        ("GET", "/monev-internal/{monev_id}/siklus/{cycle_id}/kesiapan"): Rule(
            allowed=("operator",),
            denied=INTERNAL_DENIED,
            params=lambda w: {
                "monev_id": w.ids["monev_id"],
                "cycle_id": w.ids["internal_cycle_id"],
            },
        ),
        ("POST", "/monev-internal/{monev_id}/tautan"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        # Bimtek guidance is read by the units too, once they act in the internal organisation
        # (their sessions start in the commission, where it is a 404 like for everyone else).
        ("GET", "/monev-internal/{monev_id}/bimtek"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        ("POST", "/monev-internal/{monev_id}/bimtek/contoh"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        ("POST", "/monev-internal/{monev_id}/bimtek/sesi"): Rule(
            allowed=("operator",), denied=INTERNAL_DENIED, params=MONEV
        ),
        ("POST", "/monev-internal/{monev_id}/bimtek/sesi/{session_id}/hadir"): Rule(
            allowed=("operator",),
            denied=INTERNAL_DENIED,
            params=lambda w: {"monev_id": w.ids["monev_id"], "session_id": w.ids["bimtek_id"]},
        ),
    }
)


IMP_READ = Rule(
    allowed=("sekretariat", "komisioner"),
    denied=("verifikator", "juri", "operator", "outsider"),
    params=CYC,
)
IMP_MANAGE = Rule(
    allowed=("sekretariat",),
    denied=("komisioner", "verifikator", "juri", "operator", "outsider"),
    params=CYC,
)
IMP_BODY_READ = Rule(
    allowed=("sekretariat", "komisioner", "operator"),
    denied=("verifikator", "juri", "outsider"),
    params=CYC_BODY,
)
IMP_BODY_MANAGE = Rule(
    allowed=("sekretariat",),
    denied=("komisioner", "operator", "juri", "outsider"),
    params=CYC_BODY,
)
SAMPLE = lambda w: {"cycle_id": w.ids["cycle_id"], "sample_id": w.ids["sample_id"]}
POLICY.update(
    {
        ("GET", "/siklus/{cycle_id}/rekomendasi"): IMP_READ,
        ("POST", "/siklus/{cycle_id}/rekomendasi/buat"): IMP_MANAGE,
        ("GET", "/siklus/{cycle_id}/rekomendasi/{body_id}"): IMP_BODY_READ,
        ("POST", "/siklus/{cycle_id}/rekomendasi/{body_id}"): IMP_BODY_MANAGE,
        ("POST", "/siklus/{cycle_id}/rekomendasi/{body_id}/setujui"): IMP_BODY_MANAGE,
        ("GET", "/siklus/{cycle_id}/rekomendasi/{body_id}/rekomendasi.pdf"): IMP_BODY_READ,
        ("GET", "/siklus/{cycle_id}/bawa-bukti"): IMP_MANAGE,
        ("POST", "/siklus/{cycle_id}/bawa-bukti"): IMP_MANAGE,
        ("GET", "/siklus/{cycle_id}/badan/{body_id}/saq/perbaikan"): Rule(
            allowed=("sekretariat", "operator", "atasan"),
            denied=("komisioner", "verifikator", "juri", "outsider"),
            params=CYC_BODY,
        ),
        ("POST", "/siklus/{cycle_id}/badan/{body_id}/saq/butir/{item_id}/bawa"): Rule(
            allowed=("operator",),
            denied=("sekretariat", "komisioner", "verifikator", "juri", "outsider"),
            params=lambda w: {**CYC_BODY(w), "item_id": w.ids["node_id"]},
        ),
        ("GET", "/siklus/{cycle_id}/kalibrasi"): IMP_READ,
        ("POST", "/siklus/{cycle_id}/kalibrasi/sampel"): IMP_MANAGE,
        ("GET", "/siklus/{cycle_id}/kalibrasi/tugas"): Rule(
            allowed=("verifikator",),
            denied=("sekretariat", "komisioner", "juri", "operator", "outsider"),
            params=CYC,
        ),
        ("POST", "/siklus/{cycle_id}/kalibrasi/{sample_id}/putusan"): Rule(
            allowed=("verifikator",),
            denied=("sekretariat", "komisioner", "juri", "operator", "outsider"),
            params=SAMPLE,
        ),
        ("POST", "/siklus/{cycle_id}/kalibrasi/{sample_id}/keputusan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "verifikator", "juri", "operator", "outsider"),
            params=SAMPLE,
        ),
        # Readable by the sample's second verifier only; the world's file has no stored bytes.
        ("GET", "/siklus/{cycle_id}/kalibrasi/{sample_id}/berkas/{file_id}"): Rule(
            denied=("sekretariat", "komisioner", "juri", "operator", "outsider"),
            params=lambda w: {**SAMPLE(w), "file_id": w.ids["file_id"]},
        ),
        ("GET", "/siklus/{cycle_id}/tren"): IMP_READ,
    }
)


PRECHECK_DENIED = ("outsider", "operator", "juri")
POLICY.update(
    {
        ("POST", "/verifikasi/{cycle_id}/badan/{body_id}/saran/{suggestion_id}"): Rule(
            allowed=("verifikator",),
            denied=("sekretariat", "komisioner", *PRECHECK_DENIED),
            params=lambda w: {**CYC_BODY(w), "suggestion_id": w.ids["suggestion_id"]},
        ),
        ("POST", "/verifikasi/{cycle_id}/badan/{body_id}/pra-periksa"): Rule(
            allowed=("verifikator", "sekretariat"),
            denied=("komisioner", *PRECHECK_DENIED),
            params=CYC_BODY,
        ),
        ("GET", "/siklus/{cycle_id}/pra-periksa"): Rule(
            allowed=("sekretariat", "komisioner"),
            denied=("verifikator", *PRECHECK_DENIED),
            params=CYC,
        ),
        ("POST", "/siklus/{cycle_id}/pra-periksa/pengaturan"): Rule(
            allowed=("sekretariat",),
            denied=("komisioner", "verifikator", *PRECHECK_DENIED),
            params=CYC,
        ),
    }
)


EXEMPT_PREFIXES = ("/static", "/openapi.json", "/api/docs")


def _walk(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.extend((m, prefix + route.path) for m in sorted(route.methods - {"HEAD"}))
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers lazily
            out.extend(_walk(route.original_router.routes, prefix + route.include_context.prefix))
    return out


def app_routes() -> list[tuple[str, str]]:
    from app.main import create_app

    return _walk(create_app().routes)


ROUTES = app_routes()


def test_every_route_has_an_access_rule() -> None:
    missing = [r for r in ROUTES if r not in POLICY and not r[1].startswith(EXEMPT_PREFIXES)]
    assert not missing, f"routes without an access rule in {__file__}: {missing}"
    stale = [r for r in POLICY if r not in ROUTES]
    assert not stale, f"access rules for routes that no longer exist: {stale}"


def _call(client: TestClient, method: str, path: str) -> int:
    headers = {"X-CSRF-Token": CSRF}
    if method == "GET":
        return client.get(path).status_code
    if path.startswith("/api/"):
        return client.request(method, path, json={}, headers=headers).status_code
    return client.request(method, path, data={"csrf_token": CSRF}).status_code


@pytest.mark.parametrize(("method", "path"), [r for r in POLICY if not POLICY[r].public])
def test_anonymous_visitors_are_asked_to_log_in(
    client: TestClient, factory: Factory, db: Session, method: str, path: str
) -> None:
    w = build_world(factory, db)
    set_cookie(client, "monev_csrf", CSRF)
    status = _call(client, method, path.format(**POLICY[(method, path)].params(w)))
    assert status in (303, 401), status


@pytest.mark.parametrize(("method", "path"), list(POLICY))
def test_owners_pass_and_others_are_refused(
    client: TestClient, factory: Factory, db: Session, method: str, path: str
) -> None:
    rule = POLICY[(method, path)]
    w = build_world(factory, db)
    url = path.format(**rule.params(w))
    for persona in rule.allowed:
        login(client, db, w.users[persona])
        status = _call(client, method, url)
        assert status not in (401, 403, 404), (persona, status)
    for persona in rule.denied:
        login(client, db, w.users[persona])
        status = _call(client, method, url)
        assert status in (403, 404), (persona, status)
