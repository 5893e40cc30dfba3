"""Dashboards: the funnel matches the database, drill-down, exports, the reminder setting,
a body's next action (rules and home panel), and who may see what."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Role
from app.bodies.models import Body, BodyRegistration
from app.cycles import categories
from app.cycles.access import system_actor
from app.cycles.models import Cycle, CycleTarget
from app.dashboards import service
from app.dashboards.rules import STATUSES, BodyState, FunnelRow, next_action, share, total_row
from app.errors import Forbidden, NotFound, ValidationFailed
from app.orgs.models import Organisation
from app.panels import service as panels
from app.panels.models import PanelResult
from app.questionnaires.service import questionnaire_for_body
from app.results import service as results
from app.results.models import ResultRow, ShortlistEntry
from app.submissions.models import Answer, Submission
from app.verification.models import Appeal
from tests.factories import Factory, form, login
from tests.results.helpers import open_stage_now

NOW = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
CLOSE = NOW + timedelta(days=3)


# --- rules ---------------------------------------------------------------------------------------


def _state(**kw: object) -> BodyState:
    base: dict[str, object] = {
        "stage": "saq",
        "stage_closes_at": CLOSE,
        "upcoming": None,
        "upcoming_opens_at": None,
        "submission_status": "draft",
        "answered": 3,
        "total_items": 8,
    }
    return BodyState(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "text", "deadline"),
    [
        ({"stage": "registration"}, "Lengkapi profil", CLOSE),
        ({"submission_status": None, "answered": 0}, "Mulai mengisi SAQ", CLOSE),
        ({}, "Lengkapi 5 butir SAQ", CLOSE),
        ({"answered": 8}, "Periksa jawaban, lalu kirim SAQ", CLOSE),
        ({"broken_links": 2}, "Perbaiki 2 tautan bukti", CLOSE),
        ({"submission_status": "awaiting_approval"}, "Atasan PPID perlu menyetujui", CLOSE),
        ({"submission_status": "submitted"}, "SAQ sudah dikirim", None),
        ({"stage": "verification", "submission_status": None}, "SAQ tidak dikirim", None),
        ({"stage": "appeal", "submission_status": "submitted"}, "Ajukan sanggahan", CLOSE),
        (
            {"stage": "presentation", "shortlisted": True, "presentation_at": NOW},
            "Siapkan presentasi",
            NOW,
        ),
        (
            {"stage": None, "stage_closes_at": None, "upcoming": "saq", "upcoming_opens_at": CLOSE},
            "Tunggu tahap SAQ",
            CLOSE,
        ),
        ({"stage": None, "stage_closes_at": None}, "Tidak ada tindakan", None),
    ],
)
def test_the_next_action_follows_stage_and_progress(
    kw: dict[str, object], text: str, deadline: datetime | None
) -> None:
    action = next_action(_state(**kw), NOW)
    assert action.text.startswith(text) and action.deadline == deadline


def test_the_last_day_is_urgent() -> None:
    assert not next_action(_state(), NOW).urgent
    assert next_action(_state(), CLOSE - timedelta(hours=5)).urgent


def test_the_total_row_sums_the_categories() -> None:
    a = FunnelRow(1, "A", dict.fromkeys(STATUSES, 2), 1)
    b = FunnelRow(2, "B", dict.fromkeys(STATUSES, 3), 0)
    total = total_row([a, b])
    assert total.counts["submitted"] == 5 and total.counts["appealed"] == 5
    assert total.pending_registrations == 1
    assert share(1, 4) == "25 %" and share(None, 4) == "" and share(1, 0) == ""


# --- the funnel against the database -------------------------------------------------------------


def _answers(db: Session, cycle: Cycle, sub: Submission, verdicts: list[str]) -> list[Answer]:
    bq = questionnaire_for_body(db, cycle, sub.body_id)
    assert bq is not None
    pairs = [(i, ind) for ind in bq.spec.indicators for i in ind.items]
    answers = [
        Answer(
            submission_id=sub.id,
            cycle_id=cycle.id,
            body_id=sub.body_id,
            item_id=item.id,
            indicator_id=ind.id,
            declared="ya",
            verdict=verdict,
        )
        for (item, ind), verdict in zip(pairs, verdicts, strict=False)
    ]
    db.add_all(answers)
    db.flush()
    return answers


def _sub(db: Session, cycle: Cycle, body: Body, status: str) -> Submission:
    sub = Submission(
        organisation_id=cycle.organisation_id, cycle_id=cycle.id, body_id=body.id, status=status
    )
    db.add(sub)
    db.flush()
    return sub


def test_an_answer_counts_as_given_by_the_same_rule_in_python_and_in_sql(
    db: Session, factory: Factory
) -> None:
    """The SAQ page counts the answers it loaded (`is_answered`), other pages count in the
    database (`answered_condition`): a body's panel must show the same number on both."""
    from sqlalchemy import func

    from app.dashboards.body import answered_condition, is_answered

    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    cat = categories.categories_of(db, cycle)[0]
    cases = [(None, ""), (None, " "), (None, "teks"), ("ya", ""), ("Tidak", "teks")]
    answers = []
    for n, (declared, text) in enumerate(cases):  # a body each: one answer per case
        body = factory.body(org, f"Badan Hitung {n}")
        categories.set_target(db, system_actor(org.id), cycle, body_id=body.id, category_id=cat.id)
        (a,) = _answers(db, cycle, _sub(db, cycle, body, "draft"), ["pending"])
        a.declared, a.text_value = declared, text
        answers.append(a)
    db.flush()
    for a in answers:
        in_sql = db.scalar(
            select(func.count()).select_from(Answer).where(Answer.id == a.id, answered_condition())
        )
        assert is_answered(a) == bool(in_sql), (a.declared, a.text_value)
    assert [is_answered(a) for a in answers] == [False, True, True, True, True]


def _busy_cycle(db: Session, factory: Factory) -> tuple[Organisation, Cycle, list[Body]]:
    """Bodies in every status: an active operator, an invited one, drafts with and without
    answers, submitted and fully or partly verified, shortlisted, scored, published."""
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    cats = categories.categories_of(db, cycle)
    sa = system_actor(org.id)
    extra = []
    for i in range(4):
        b = factory.body(org, f"Badan Dasbor {i}")
        categories.set_target(db, sa, cycle, body_id=b.id, category_id=cats[i % 2].id)
        extra.append(b)
    a, b, c, d = extra
    # Results are published first (before anyone submitted), so every target has a row.
    kom = factory.actor(factory.user(org, Role.KOMISIONER))
    rs = results.compute_and_store(db, sa, cycle)
    decree = results.draft_decree(db, sa, cycle, rs)
    results.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    open_stage_now(db, cycle)
    results.publish_decree(db, kom, cycle, decree)
    factory.user(org, Role.OPERATOR, body=a, password="kata-sandi-panjang")
    factory.user(org, Role.OPERATOR, body=b)  # invited, no password yet
    _answers(db, cycle, _sub(db, cycle, a, "draft"), ["pending"])
    _sub(db, cycle, b, "draft")  # started, nothing answered
    rejected = _answers(db, cycle, _sub(db, cycle, c, "submitted"), ["accepted", "rejected"])[1]
    db.add(  # the body appeals its rejected item
        Appeal(
            organisation_id=org.id,
            cycle_id=cycle.id,
            body_id=c.id,
            answer_id=rejected.id,
            item_id=rejected.item_id,
            reason="Bukti sudah diunggah",
        )
    )
    _answers(db, cycle, _sub(db, cycle, d, "submitted"), ["accepted", "pending"])
    db.add(
        ShortlistEntry(
            organisation_id=org.id, cycle_id=cycle.id, body_id=c.id, published_saq=Decimal("80")
        )
    )
    panel = panels.create_panel(db, sa, cycle, name="Ruang A")
    db.add(PanelResult(panel_id=panel.id, cycle_id=cycle.id, body_id=c.id, score=Decimal("85")))
    db.add(
        BodyRegistration(
            organisation_id=org.id,
            cycle_id=cycle.id,
            cycle_category_id=cats[0].id,
            body_name="Menunggu",
            respondent_name="R",
            respondent_email="r@x.id",
        )
    )
    db.flush()
    return org, cycle, extra


def _expected(db: Session, cycle: Cycle) -> dict[int, Counter[str]]:
    """The funnel counted the long way, object by object."""
    targets = db.scalars(select(CycleTarget).where(CycleTarget.cycle_id == cycle.id)).all()
    subs = {s.body_id: s for s in db.scalars(select(Submission))}
    decree = results.current_decree(db, cycle)
    published = (
        {
            r.body_id
            for r in db.scalars(
                select(ResultRow).where(ResultRow.result_set_id == decree.result_set_id)
            )
        }
        if decree
        else set()
    )
    shortlisted = {e.body_id for e in db.scalars(select(ShortlistEntry))}
    appealed = {a.body_id for a in db.scalars(select(Appeal))}
    scored = {r.body_id for r in db.scalars(select(PanelResult))}
    out: dict[int, Counter[str]] = {}
    for t in targets:
        c = out.setdefault(t.cycle_category_id, Counter())
        c["registered"] += 1
        grants = db.scalars(
            select(RoleGrant).where(
                RoleGrant.body_id == t.body_id,
                RoleGrant.role == "operator",
                RoleGrant.revoked_at.is_(None),
            )
        ).all()
        if any((u := db.get(User, g.user_id)) and u.password_hash and u.is_active for g in grants):
            c["activated"] += 1
        sub = subs.get(t.body_id)
        answers = (
            db.scalars(select(Answer).where(Answer.submission_id == sub.id)).all() if sub else []
        )
        if sub and sub.status != "submitted" and any(a.declared or a.text_value for a in answers):
            c["filling"] += 1
        if sub and sub.status == "submitted":
            c["submitted"] += 1
            if answers and all(a.verdict != "pending" for a in answers):
                c["verified"] += 1
        c["appealed"] += t.body_id in appealed
        c["shortlisted"] += t.body_id in shortlisted
        c["scored"] += t.body_id in scored
        c["published"] += t.body_id in published
    return out


def test_the_funnel_matches_the_database(db: Session, factory: Factory) -> None:
    org, cycle, _ = _busy_cycle(db, factory)
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    rows = service.funnel(db, sek, cycle)
    expected = _expected(db, cycle)
    assert len(rows) == 2
    for row in rows:
        assert row.category_id is not None
        want = expected[row.category_id]
        for key in STATUSES:
            assert row.counts[key] == want[key], (row.category, key)
    total = total_row(rows)
    assert total.counts == {
        "registered": 6,
        "activated": 1,
        "filling": 1,
        "submitted": 2,
        "verified": 1,
        "appealed": 1,
        "shortlisted": 1,
        "scored": 1,
        "published": total.counts["published"],
    }
    assert total.counts["published"] == sum(e["published"] for e in expected.values()) > 0
    assert rows[0].pending_registrations == 1


def test_a_cell_lists_its_bodies_paginated_in_the_database(db: Session, factory: Factory) -> None:
    org, cycle, (_a, _b, c, d) = _busy_cycle(db, factory)
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    page = service.bodies_in(db, sek, cycle, status="submitted")
    assert [r.body.name for r in page.items] == [c.name, d.name]
    first = service.bodies_in(db, sek, cycle, status="registered", per_page=4)
    second = service.bodies_in(db, sek, cycle, status="registered", page=2, per_page=4)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (6, 2, 4, 2)
    cat = db.get(CycleTarget, db.scalar(select(CycleTarget.id).where(CycleTarget.body_id == c.id)))
    assert cat is not None
    in_cat = service.bodies_in(
        db, sek, cycle, status="submitted", category_id=cat.cycle_category_id
    )
    assert [r.body.id for r in in_cat.items] == [c.id]
    assert [r.body.id for r in service.bodies_in(db, sek, cycle, status="appealed").items] == [c.id]
    published = service.bodies_in(db, sek, cycle, status="published", per_page=50)
    counted = total_row(service.funnel(db, sek, cycle)).counts["published"]
    assert published.total == len(published.items) == counted > 0
    with pytest.raises(NotFound):
        service.bodies_in(db, sek, cycle, status="ditolak")


def test_only_the_commissions_sekretariat_and_komisioner_read_it(
    db: Session, factory: Factory
) -> None:
    org, other = factory.commission(), factory.commission()
    cycle = factory.cycle(org, is_open=True)
    for who in (
        factory.user(org, Role.JURI),
        factory.user(org, Role.VERIFIKATOR),
        factory.user(other, Role.SEKRETARIAT),
    ):
        with pytest.raises(Forbidden):
            service.funnel(db, factory.actor(who), cycle)
    assert service.funnel(db, factory.actor(factory.user(org, Role.KOMISIONER)), cycle)


def test_the_reminder_days_are_checked_and_audited(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    for bad in ("0", "61", "tujuh", ""):
        with pytest.raises(ValidationFailed):
            service.set_reminder_days(db, sek, cycle, bad)
    assert cycle.reminder_days_before == 7
    service.set_reminder_days(db, sek, cycle, " 10 ")
    assert cycle.reminder_days_before == 10
    with pytest.raises(Forbidden):
        service.set_reminder_days(db, factory.actor(factory.user(org, Role.KOMISIONER)), cycle, "3")


def test_juror_progress_counts_done_and_owed(db: Session, factory: Factory) -> None:
    org = factory.commission()
    cycle, bodies = factory.presentation_cycle(org, bodies=2)
    sa = system_actor(org.id)
    panels.use_default_rubric(db, sa, cycle)
    panel = panels.create_panel(db, sa, cycle, name="Ruang B")
    juror = factory.user(org, Role.JURI)
    panels.add_juror(db, sa, panel, cycle, user_id=juror.id, is_chair=True)
    from app.panels.models import PanelScore, PanelSlot

    for i, body in enumerate(bodies):
        start = datetime.now(UTC) + timedelta(hours=i)
        db.add(
            PanelSlot(
                cycle_id=cycle.id,
                panel_id=panel.id,
                body_id=body.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
            )
        )
    db.add(
        PanelScore(panel_id=panel.id, body_id=bodies[0].id, juror_id=juror.id, status="submitted")
    )
    db.flush()
    sek = factory.actor(factory.user(org, Role.SEKRETARIAT))
    (row,) = service.juror_progress(db, sek, cycle)
    assert (row.panel, row.juror, row.done, row.owed, row.conflicted) == (
        "Ruang B",
        juror.full_name,
        1,
        2,
        0,
    )


# --- pages ---------------------------------------------------------------------------------------


def test_the_dashboard_page_shows_counts_charts_and_drill_down_links(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org, cycle, _ = _busy_cycle(db, factory)
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.get(f"/siklus/{cycle.id}/dasbor")
    assert r.status_code == 200
    assert "<svg" in r.text and "Kemajuan juri" in r.text
    assert f"/siklus/{cycle.id}/dasbor/badan?status=submitted" in r.text
    drill = client.get(f"/siklus/{cycle.id}/dasbor/badan?status=submitted")
    assert drill.status_code == 200 and "Badan Dasbor 2" in drill.text
    assert "Badan Dasbor 0" not in drill.text
    assert client.get(f"/siklus/{cycle.id}/dasbor/badan?status=salah").status_code == 404


def test_the_exports_carry_the_same_numbers(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org, cycle, _ = _busy_cycle(db, factory)
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    r = client.get(f"/siklus/{cycle.id}/dasbor/ekspor.csv")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:5] == ["Kategori", "Terdaftar", "Akun aktif", "Sedang mengisi", "Mengirim SAQ"]
    assert rows[-1][0] == "Semua kategori" and rows[-1][1:5] == ["6", "1", "1", "2"]
    assert rows[-1][6] == "1"  # one body appealed
    x = client.get(f"/siklus/{cycle.id}/dasbor/ekspor.xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == cycle.name and values[-1][:5] == ["Semua kategori", 6, 1, 1, 2]
    assert client.get(f"/siklus/{cycle.id}/dasbor/ekspor.pdf").status_code == 404


def test_the_reminder_setting_form_keeps_bad_input(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    login(client, db, factory.user(org, Role.SEKRETARIAT))
    bad = client.post(f"/siklus/{cycle.id}/dasbor/pengingat", data=form(reminder_days_before="99"))
    assert bad.status_code == 422 and 'value="99"' in bad.text and "Angka 1–60." in bad.text
    ok = client.post(
        f"/siklus/{cycle.id}/dasbor/pengingat",
        data=form(reminder_days_before="5"),
        follow_redirects=False,
    )
    assert ok.status_code == 303
    db.refresh(cycle)
    assert cycle.reminder_days_before == 5


def test_outsiders_and_wrong_roles_get_no_dashboard(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org, other = factory.commission(), factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    for user, code in (
        (factory.user(other, Role.SEKRETARIAT), 404),
        (factory.user(org, Role.OPERATOR, body=body), 404),
        (factory.user(org, Role.JURI), 403),
    ):
        login(client, db, user)
        assert client.get(f"/siklus/{cycle.id}/dasbor").status_code == code
        assert client.get(f"/siklus/{cycle.id}/dasbor/ekspor.csv").status_code == code
    login(client, db, factory.user(org, Role.KOMISIONER))
    assert client.get(f"/siklus/{cycle.id}/dasbor").status_code == 200
    r = client.post(f"/siklus/{cycle.id}/dasbor/pengingat", data=form(reminder_days_before="3"))
    assert r.status_code == 403


def test_the_body_home_panel_shows_the_next_action(
    client: TestClient, db: Session, factory: Factory
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    login(client, db, factory.user(org, Role.OPERATOR, body=body))
    r = client.get("/beranda/siklus")
    assert r.status_code == 200
    assert "Langkah berikutnya:" in r.text and "Mulai mengisi SAQ" in r.text
    page = client.get(f"/siklus/{cycle.id}/badan/{body.id}")
    assert "Mulai mengisi SAQ" in page.text
