"""A juror scores on a phone (360 px wide): pact, declaration, the body's submission summary at
hand, a refused incomplete score, a submitted score, and an abstention for a conflict.

The demo's own cycles are in the SAQ stage (2025) or completed (2024), so this module runs its
own server on a demo-seeded database to which a cycle in its presentation stage is added: the
demo's KI Jatim bodies, questionnaire and jurors (juri 1–3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.bodies.models import Body
from app.cycles import schedule, scoring
from app.cycles import service as cycles
from app.cycles.models import Cycle
from app.cycles.rules import to_local_input
from app.db import make_engine, utcnow
from app.demo.seed import DATA, demo_user, jatim_rules
from app.orgs.models import Organisation
from app.panels import service as panels
from app.panels.models import PanelSlot
from app.questionnaires import transfer
from app.results.models import ShortlistEntry
from tests.browser.conftest import CHROMIUM, Journey
from tests.results.helpers import submit
from tests.servers import Server, prepare_database, server_env

DOMAIN = "demo.monevkip.id"
BODIES = ("Pemerintah Kota Pasuruan", "Pemerintah Kota Mojokerto", "Pemerintah Kabupaten Mojokerto")


def add_presentation_cycle(url: str) -> None:
    """KI Jatim's "Uji Publik Demo": presentation open now, three shortlisted demo bodies with
    verified answers, the default rubric and one panel of juri 1 (chair), 2 and 3."""
    engine = make_engine(url)
    with Session(engine) as db, db.begin():
        org = db.scalars(select(Organisation).where(Organisation.slug == "ki-jatim")).one()
        user = demo_user(db, "sekretariat.jatim")
        assert user is not None
        sek = accounts.build_actor(db, user, org.id)
        cycle = cycles.create_cycle(db, sek, name="Uji Publik Demo", year=2026)
        now = utcnow()
        day = timedelta(days=1)
        windows = [
            ("registration", now - 40 * day, now - 30 * day),
            ("saq", now - 29 * day, now - 20 * day),
            ("verification", now - 19 * day, now - 10 * day),
            ("shortlist", now - 9 * day, now - 8 * day),
            ("presentation", now - day, now + 2 * day),
            ("plenary", now + 5 * day, now + 6 * day),
            ("publication", now + 7 * day, now + 8 * day),
        ]
        schedule.save_stages(
            db,
            sek,
            cycle,
            [
                schedule.StageEntry(
                    c,
                    True,
                    str(i),
                    to_local_input(o, org.timezone),
                    to_local_input(e, org.timezone),
                )
                for i, (c, o, e) in enumerate(windows, start=1)
            ],
        )
        with (DATA / "questionnaire_2025.csv").open("rb") as fh:
            rows = transfer.read_rows("questionnaire_2025.csv", fh.read())
        transfer.import_rows(db, cycle, rows, name="Kuesioner", actor_user_id=None)
        scoring.save_scoring_config(db, sek, cycle, jatim_rules())
        cycles.open_cycle(db, sek, cycle, now=now - 35 * day)
        _shortlist_and_panel(db, org, cycle, sek)
    engine.dispose()


def _shortlist_and_panel(db: Session, org: Organisation, cycle: Cycle, sek: Any) -> None:
    bodies = [db.scalars(select(Body).where(Body.name == n)).one() for n in BODIES]
    for n, body in enumerate(bodies):
        submit(db, cycle, body.id, {"1.1": 0, "6.2": 0} if n else {})
        db.add(
            ShortlistEntry(
                organisation_id=org.id,
                cycle_id=cycle.id,
                body_id=body.id,
                published_saq=Decimal("90.00"),
            )
        )
    panels.use_default_rubric(db, sek, cycle)
    panel = panels.create_panel(db, sek, cycle, name="Ruang Uji Publik 1", location="Aula KI Jatim")
    for n in (1, 2, 3):
        juror = demo_user(db, f"juri{n}.jatim")
        assert juror is not None
        panels.add_juror(db, sek, panel, cycle, user_id=juror.id, is_chair=n == 1)
    start = utcnow() + timedelta(hours=1)
    for n, body in enumerate(bodies):
        begins = start + timedelta(minutes=35 * n)
        db.add(
            PanelSlot(
                cycle_id=cycle.id,
                panel_id=panel.id,
                body_id=body.id,
                position=n,
                starts_at=begins,
                ends_at=begins + timedelta(minutes=35),
            )
        )
    db.flush()


@pytest.fixture(scope="module")
def juror_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: ./scripts/test installs Debian's chromium package")
    root = tmp_path_factory.mktemp("e2e-juror")
    url = f"sqlite:///{root / 'e2e.db'}"
    env = server_env(root, url)
    prepare_database(env)
    add_presentation_cycle(url)
    srv = Server(env, root / "server.log")
    yield srv.base
    srv.stop()


@pytest.fixture
def juror_phone(
    browser: Any, juror_server: str, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="id-ID", is_mobile=True, has_touch=True
    )
    j = Journey(context.new_page(), juror_server, request.node.name + "-360")
    yield j
    context.close()
    assert not j.problems, "\n".join(j.problems)


def _fits(journey: Journey) -> None:
    width = journey.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a phone ({width} px)"


def test_a_juror_scores_on_a_phone(juror_phone: Journey) -> None:
    j = juror_phone
    page = j.page
    page.on("dialog", lambda d: d.accept())  # "Catat abstain …?" confirmation
    j.login(f"juri1.jatim@{DOMAIN}")
    j.goto("/juri")
    _fits(j)
    page.get_by_role("link", name="Ruang Uji Publik 1").click()
    page.wait_for_load_state("networkidle")
    j.check("pakta")
    assert not page.get_by_text(BODIES[0]).count()  # nothing seen before the pact
    page.get_by_label("Saya menyetujui pakta integritas ini.").check()
    page.get_by_role("button", name="Setujui").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Deklarasi saya sudah lengkap").click()
    page.wait_for_load_state("networkidle")
    j.check("panel")
    _fits(j)

    row = page.locator("li.list-group-item").filter(has_text=BODIES[0])
    row.get_by_role("link", name="Nilai").click()
    page.wait_for_url(re.compile(r"/panel/\d+/badan/\d+$"))
    j.check("nilai-badan")
    _fits(j)
    summary = page.locator("details").filter(has_text="Ringkasan isian badan publik")
    assert summary.get_by_text("Kualitas Informasi").is_visible()
    assert summary.get_by_text("Terverifikasi").is_visible()

    # Sending with one criterion left empty is refused and keeps what was chosen.
    for code, level in (("komitmen", 5), ("inovasi", 4), ("strategi", 4), ("pimpinan_hadir", 5)):
        page.locator(f"label[for='r-{code}-{level}']").click()
    with j.expecting(422):
        page.get_by_role("button", name="Kirim nilai").click()
    j.check("nilai-belum-lengkap")
    assert page.get_by_text("Kualitas jawaban: pilih salah satu tingkat.").first.is_visible()
    assert page.locator("#r-komitmen-5").is_checked()
    page.locator("label[for='r-jawaban-4']").click()
    page.fill("#comment_jawaban", "Jawaban lengkap dan disertai bukti.")
    page.get_by_role("button", name="Kirim nilai").click()
    page.wait_for_url(re.compile(r"/panel/\d+$"))
    j.check("nilai-terkirim")
    assert page.get_by_text("Nilai dikirim").first.is_visible()
    assert (
        page.locator("li.list-group-item")
        .filter(has_text=BODIES[0])
        .get_by_text("terkirim")
        .is_visible()
    )

    # A conflict of interest: the juror abstains for the second body, with a reason.
    page.locator("li.list-group-item").filter(has_text=BODIES[1]).get_by_role(
        "link", name="Nilai"
    ).click()
    page.wait_for_url(re.compile(r"/panel/\d+/badan/\d+$"))
    page.fill("#reason", "Konflik kepentingan: keluarga bekerja di instansi ini.")
    page.get_by_role("button", name="Abstain").click()
    page.wait_for_url(re.compile(r"/panel/\d+$"))
    j.check("abstain")
    assert (
        page.locator("li.list-group-item")
        .filter(has_text=BODIES[1])
        .get_by_text("abstain")
        .is_visible()
    )
    _fits(j)
