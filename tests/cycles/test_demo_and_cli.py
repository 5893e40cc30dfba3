import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.cli import main
from app.cycles import categories, schedule
from app.cycles import service as cycles
from app.cycles.models import Cycle
from app.db import utcnow
from app.demo.seed import DATA, JATIM_CYCLE, demo_user, seed
from app.orgs.models import Organisation
from app.orgs.service import get_by_slug_or_name
from app.questionnaires import service as questionnaires
from tests.factories import SMALL_QUESTIONNAIRE, Factory


def jatim_cycle(db: Session) -> tuple[Organisation, Cycle]:
    org = get_by_slug_or_name(db, "ki-jatim")
    assert org is not None
    cycle = db.scalar(
        select(Cycle).where(Cycle.organisation_id == org.id, Cycle.name == JATIM_CYCLE)
    )
    assert cycle is not None
    return org, cycle


def test_the_demo_has_a_kijatim_cycle_in_its_saq_stage(db: Session) -> None:
    seed(db)
    _org, cycle = jatim_cycle(db)
    assert cycle.is_open and cycle.year == 2025
    moment = schedule.current_stage(db, cycle)
    assert moment.current is not None and moment.current.code == "saq"
    later = [s for s in schedule.stages_of(db, cycle) if s.code not in ("registration", "saq")]
    now = utcnow()
    assert later and all(s.opens_at is not None and s.opens_at > now for s in later)
    assert questionnaires.is_frozen(db, cycle)
    assert cycles.readiness(db, cycle).problems == []
    with (DATA / "bodies.csv").open(encoding="utf-8") as fh:
        expected = {
            r["name"]
            for r in csv.DictReader(fh)
            if r["commission"] == "KI Jatim" and not r["parent"]
        }
    assert {b.name for b in categories.list_targets(db, cycle)} == expected
    codes = [c.code for c in categories.categories_of(db, cycle)]
    assert codes == ["pemkab_pemkot", "opd_pemprov", "instansi_vertikal", "bumd", "desa"]
    (q,) = questionnaires.list_questionnaires(db, cycle)
    spec = questionnaires.load_spec(db, q)
    assert [i.weight for i in spec.indicators] == [10, 40, 10, 10, 10, 20]
    assert [i.name for i in spec.indicators][-1] == "Digitalisasi"
    assert 70 <= len(spec.items) <= 80
    per_category = {c: len(spec.for_category(c).items) for c in codes}
    assert per_category["desa"] < per_category["pemkab_pemkot"]
    assert per_category["bumd"] < per_category["pemkab_pemkot"]


def test_the_demo_operator_sees_the_questionnaire_and_desa_see_their_extension(
    db: Session,
) -> None:
    seed(db)
    seed(db)  # idempotent: nothing is added twice
    assert len(db.scalars(select(Cycle).where(Cycle.name == JATIM_CYCLE)).all()) == 1
    org, cycle = jatim_cycle(db)
    user = demo_user(db, "operator.kota-pasuruan")
    assert user is not None
    actor = accounts.build_actor(db, user, org.id)
    # The completed 2024 cycle is listed too (after the 2025 one).
    panel, *_older = cycles.body_panels(db, actor)
    assert (
        panel.cycle.id == cycle.id and panel.moment.current and panel.moment.current.code == "saq"
    )
    assert panel.extensions == []
    bq = questionnaires.questionnaire_for_body(db, cycle, panel.body.id)
    assert bq is not None and bq.category_code == "pemkab_pemkot"
    desa = next(c for c in categories.categories_of(db, cycle) if c.code == "desa")
    village = categories.list_targets(db, cycle, desa)[0]
    saq = schedule.get_stage(db, cycle, "saq")
    window = schedule.stage_window(db, cycle, "saq", body_id=village.id)
    assert saq is not None and saq.closes_at is not None and window.closes_at > saq.closes_at


def test_the_cli_imports_a_questionnaire_all_or_nothing(
    factory: Factory, db: Session, tmp_path: Path
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    good = tmp_path / "kuesioner-desa.csv"
    good.write_text(SMALL_QUESTIONNAIRE, encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(
        main, ["import-questionnaire", str(good), "--commission", org.slug, "--cycle", cycle.name]
    )
    assert r.exit_code == 0, r.output
    assert "5 butir diimpor" in r.output
    assert [q.name for q in questionnaires.list_questionnaires(db, cycle)] == [
        "Kuesioner uji",
        "kuesioner-desa",
    ]
    bad = tmp_path / "salah.csv"
    bad.write_text(
        SMALL_QUESTIONNAIRE.replace(",all,Unggah SK DIP.", ",kementerian,Unggah SK DIP."),
        encoding="utf-8",
    )
    r = runner.invoke(
        main, ["import-questionnaire", str(bad), "--commission", org.slug, "--cycle", str(cycle.id)]
    )
    assert r.exit_code == 1
    assert "baris 4: Kategori tidak dikenal: kementerian" in r.output
    assert len(questionnaires.list_questionnaires(db, cycle)) == 2
    r = runner.invoke(
        main, ["import-questionnaire", str(good), "--commission", org.slug, "--cycle", "Tidak Ada"]
    )
    assert r.exit_code == 1 and "tidak ditemukan" in r.output


def test_the_cli_replaces_an_unfrozen_questionnaire(
    factory: Factory, db: Session, tmp_path: Path
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    f = tmp_path / "baru.csv"
    f.write_text(
        "\n".join(SMALL_QUESTIONNAIRE.splitlines()[:4]).replace(",40,", ",100,") + "\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        main,
        [
            "import-questionnaire",
            str(f),
            "--commission",
            org.slug,
            "--cycle",
            cycle.name,
            "--replace",
            "Kuesioner uji",
        ],
    )
    assert r.exit_code == 0, r.output
    (q,) = questionnaires.list_questionnaires(db, cycle)
    db.expire_all()
    assert questionnaires.item_count(db, q) == 2


def test_the_cli_clones_a_cycle(factory: Factory, db: Session) -> None:
    org = factory.commission()
    source = factory.cycle(org, name="Monev KIP 2025")
    runner = CliRunner()
    args = [
        "clone-cycle",
        "--commission",
        org.slug,
        "--from",
        "Monev KIP 2025",
        "--name",
        "Monev KIP 2026",
        "--year",
        "2026",
    ]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    clone = db.scalar(select(Cycle).where(Cycle.name == "Monev KIP 2026"))
    assert clone is not None and clone.cloned_from_id == source.id and clone.year == 2026
    r = runner.invoke(main, args)
    assert r.exit_code == 1 and "Nama siklus sudah dipakai" in r.output
