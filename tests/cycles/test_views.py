from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Role
from app.audit.service import timeline
from app.cycles import categories, schedule, scoring
from app.cycles.models import Cycle
from app.orgs.models import Organisation
from app.questionnaires import service as questionnaires
from tests.factories import Factory, form, login


def sek(factory: Factory, org: Organisation) -> User:
    return factory.user(org, Role.SEKRETARIAT)


def operator_of_first_target(
    factory: Factory, db: Session, org: Organisation, cycle: Cycle
) -> User:
    body = categories.list_targets(db, cycle)[0]
    return factory.user(org, Role.OPERATOR, body=body)


# --- list and create ---------------------------------------------------------------------------


def test_the_sekretariat_lists_cycles_and_can_start_one(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, name="Monev KIP 2025")
    factory.cycle(factory.commission(), name="Monev Komisi Lain")
    login(client, db, sek(factory, org))
    r = client.get("/siklus")
    assert r.status_code == 200
    assert "Monev KIP 2025" in r.text and f"/siklus/{cycle.id}" in r.text
    assert "Monev Komisi Lain" not in r.text
    assert 'href="/siklus/baru"' in r.text


def test_a_komisioner_reads_but_does_not_create(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, factory.user(org, Role.KOMISIONER))
    r = client.get("/siklus")
    assert r.status_code == 200 and 'href="/siklus/baru"' not in r.text
    assert client.get(f"/siklus/{cycle.id}").status_code == 200
    r = client.post("/siklus/baru", data=form(name="X", year="2026"))
    assert r.status_code == 403
    assert client.post(f"/siklus/{cycle.id}/buka", data=form()).status_code == 403


def test_an_operator_has_no_cycle_list(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    login(client, db, factory.user(org, Role.OPERATOR, body=factory.body(org)))
    assert client.get("/siklus").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient) -> None:
    r = client.get("/siklus")
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk")


def test_a_new_cycle_is_created_from_the_catalogue_through_the_form(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    factory.body(org, category="pemkab_pemkot")
    login(client, db, sek(factory, org))
    assert client.get("/siklus/baru").status_code == 200
    r = client.post(
        "/siklus/baru", data=form(name="Monev KIP 2026", year="2026", source_id="", fill="1")
    )
    assert r.status_code == 303
    db.expire_all()
    cycle = db.query(Cycle).filter_by(organisation_id=org.id, name="Monev KIP 2026").one()
    assert r.headers["location"] == f"/siklus/{cycle.id}"
    page = client.get(r.headers["location"])
    assert "Yang masih kurang sebelum siklus dapat dibuka" in page.text
    assert "Siklus belum memiliki kuesioner: impor atau susun satu." in page.text
    assert "disabled" in page.text.split("Buka siklus</button>")[0].rsplit("<button", 1)[1]


def test_a_bad_new_cycle_keeps_what_was_typed(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    login(client, db, sek(factory, org))
    r = client.post("/siklus/baru", data=form(name="Monev Ku", year="dua ribu", source_id=""))
    assert r.status_code == 422
    assert 'value="Monev Ku"' in r.text and "Tahun harus antara 2000 dan 2100." in r.text


def test_last_years_cycle_is_cloned_through_the_form(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    source = factory.cycle(org, name="Monev KIP 2025")
    login(client, db, sek(factory, org))
    assert f'value="{source.id}" checked' in client.get(f"/siklus/baru?dari={source.id}").text
    r = client.post(
        "/siklus/baru", data=form(name="Monev KIP 2026", year="2026", source_id=str(source.id))
    )
    assert r.status_code == 303
    db.expire_all()
    clone = db.query(Cycle).filter_by(name="Monev KIP 2026").one()
    assert clone.cloned_from_id == source.id
    assert len(questionnaires.list_questionnaires(db, clone)) == 1


def test_another_commission_cannot_clone_or_see_a_cycle(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    other = factory.commission()
    login(client, db, sek(factory, other))
    assert client.get(f"/siklus/{cycle.id}").status_code == 404
    r = client.post("/siklus/baru", data=form(name="Curian", year="2026", source_id=str(cycle.id)))
    assert r.status_code == 404
    assert client.post(f"/siklus/{cycle.id}/buka", data=form()).status_code == 404


# --- overview, opening, body view --------------------------------------------------------------


def test_a_complete_cycle_is_opened_from_its_overview(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    page = client.get(f"/siklus/{cycle.id}")
    assert "Siap dibuka" in page.text
    assert 'data-countdown="' in page.text
    r = client.post(f"/siklus/{cycle.id}/buka", data=form())
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Cycle, cycle.id).is_open  # type: ignore[union-attr]
    assert "dibuka" in client.get(r.headers["location"]).text


def test_opening_an_incomplete_cycle_explains_why(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    login(client, db, sek(factory, org))
    r = client.post(f"/siklus/{cycle.id}/buka", data=form())
    assert r.status_code == 422
    assert "Siklus belum dapat dibuka" in r.text
    db.expire_all()
    assert not db.get(Cycle, cycle.id).is_open  # type: ignore[union-attr]


def test_a_body_sees_its_questionnaire_once_the_cycle_is_open(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    operator = operator_of_first_target(factory, db, org, cycle)
    body = categories.list_targets(db, cycle)[0]
    login(client, db, operator)
    assert client.get(f"/siklus/{cycle.id}/badan/{body.id}").status_code == 404  # still a draft
    from app.cycles import service as cycles
    from app.cycles.access import system_actor

    cycles.open_cycle(db, system_actor(org.id), cycle)
    r = client.get(f"/siklus/{cycle.id}")
    assert r.status_code == 303 and r.headers["location"] == f"/siklus/{cycle.id}/badan/{body.id}"
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "DIP ditetapkan" in page.text and "Kajian yang dipublikasikan" in page.text
    assert "Laporan keuangan diaudit" not in page.text  # only for opd_pemprov
    assert "Tahap berjalan" in page.text and "data-countdown" in page.text
    assert "maks. 2 MB per berkas" in page.text
    assert client.get(f"/siklus/{cycle.id}/tahap").status_code == 404
    assert client.get(f"/siklus/{cycle.id}/aturan").status_code == 404
    other_body = categories.list_targets(db, cycle)[1]
    assert client.get(f"/siklus/{cycle.id}/badan/{other_body.id}").status_code == 404


def test_the_home_page_loads_the_cycle_panel_with_extensions(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    operator = operator_of_first_target(factory, db, org, cycle)
    body = categories.list_targets(db, cycle)[0]
    saq = schedule.get_stage(db, cycle, "saq")
    assert saq is not None and saq.closes_at is not None
    from app.cycles.access import system_actor

    schedule.add_extension(
        db,
        system_actor(org.id),
        cycle,
        stage_code="saq",
        closes=schedule.to_local_input(saq.closes_at + timedelta(days=5), org.timezone),
        reason="Banjir di kantor PPID",
        decision_ref="Pleno 9/2025",
        body_id=body.id,
    )
    login(client, db, operator)
    assert 'hx-get="/beranda/siklus"' in client.get("/beranda").text
    panel = client.get("/beranda/siklus")
    assert panel.status_code == 200
    assert cycle.name in panel.text and body.name in panel.text
    assert "Banjir di kantor PPID" in panel.text and "Pleno 9/2025" in panel.text
    assert "data-countdown" in panel.text
    page = client.get(f"/siklus/{cycle.id}/badan/{body.id}")
    assert "diperpanjang sampai" in page.text


def test_the_sekretariat_home_links_to_cycles(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    assert 'href="/siklus"' in client.get("/beranda").text
    assert cycle.name in client.get("/beranda/siklus").text


# --- stages and extensions ---------------------------------------------------------------------


def test_stages_are_saved_in_the_commission_zone(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission(timezone="Asia/Jayapura")
    cycle = factory.cycle(org, ready=False)
    login(client, db, sek(factory, org))
    assert "WIT" in client.get(f"/siklus/{cycle.id}/tahap").text
    data = form(
        **{
            "saq-selected": "1",
            "saq-position": "1",
            "saq-opens": "2025-09-01T08:00",
            "saq-closes": "2025-09-19T23:59",
        }
    )
    r = client.post(f"/siklus/{cycle.id}/tahap", data=data)
    assert r.status_code == 303
    db.expire_all()
    (saq,) = schedule.stages_of(db, cycle)
    assert saq.closes_at == datetime(2025, 9, 19, 14, 59, tzinfo=UTC)
    assert 'value="2025-09-19T23:59"' in client.get(f"/siklus/{cycle.id}/tahap").text


def test_a_wrong_schedule_is_shown_back_with_its_reason(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    login(client, db, sek(factory, org))
    data = form(
        **{
            "saq-selected": "1",
            "saq-position": "2",
            "verification-selected": "1",
            "verification-position": "1",
            "saq-opens": "2025-09-01T08:00",
        }
    )
    r = client.post(f"/siklus/{cycle.id}/tahap", data=data)
    assert r.status_code == 422
    assert "Tahap SAQ harus sebelum tahap Verifikasi." in r.text
    assert 'value="2025-09-01T08:00"' in r.text
    db.expire_all()
    assert "verification" in [s.code for s in schedule.stages_of(db, cycle)]  # unchanged default


def test_an_extension_is_recorded_and_revoked_through_the_page(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    cat = categories.categories_of(db, cycle)[0]
    login(client, db, sek(factory, org))
    data = form(
        stage_code="saq",
        target=f"kategori:{cat.id}",
        closes="2099-01-01T23:59",
        reason="Gangguan server",
        decision_ref="Pleno 1/2025",
    )
    assert client.post(f"/siklus/{cycle.id}/perpanjangan", data=data).status_code == 303
    page = client.get(f"/siklus/{cycle.id}/tahap")
    assert "Gangguan server" in page.text and f"Kategori {cat.name}" in page.text
    (ext,) = schedule.list_extensions(db, cycle)
    r = client.post(f"/siklus/{cycle.id}/perpanjangan/{ext.id}/batal", data=form())
    assert r.status_code == 303
    db.expire_all()
    assert schedule.list_extensions(db, cycle)[0].revoked_at is not None


def test_a_bad_extension_keeps_the_form(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    login(client, db, sek(factory, org))
    data = form(stage_code="saq", target="", closes="", reason="Alasan saya", decision_ref="")
    r = client.post(f"/siklus/{cycle.id}/perpanjangan", data=data)
    assert r.status_code == 422
    assert "Alasan saya" in r.text and "Tuliskan nomor/rujukan keputusan rapat pleno." in r.text


def test_a_komisioner_cannot_extend(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    login(client, db, factory.user(org, Role.KOMISIONER))
    data = form(
        stage_code="saq", target="", closes="2099-01-01T00:00", reason="x", decision_ref="y"
    )
    assert client.post(f"/siklus/{cycle.id}/perpanjangan", data=data).status_code == 403


# --- categories and targets --------------------------------------------------------------------


def test_categories_are_managed_through_the_pages(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    assert client.get(f"/siklus/{cycle.id}/kategori").status_code == 200
    r = client.post(f"/siklus/{cycle.id}/kategori", data=form(code="desa", name="Pemerintah Desa"))
    assert r.status_code == 303
    db.expire_all()
    desa = next(c for c in categories.categories_of(db, cycle) if c.code == "desa")
    assert r.headers["location"] == f"/siklus/{cycle.id}/kategori/{desa.id}"
    again = client.post(f"/siklus/{cycle.id}/kategori", data=form(code="desa", name="Lagi"))
    assert again.status_code == 422 and "Kode sudah ada di siklus ini." in again.text
    r = client.post(
        f"/siklus/{cycle.id}/kategori/{desa.id}", data=form(name="Desa", questionnaire_id="")
    )
    assert r.status_code == 303
    assert (
        client.post(f"/siklus/{cycle.id}/kategori/{desa.id}/hapus", data=form()).status_code == 303
    )
    pemkab = categories.categories_of(db, cycle)[0]
    r = client.post(f"/siklus/{cycle.id}/kategori/{pemkab.id}/hapus", data=form())
    assert r.status_code == 409 and "masih memiliki badan publik sasaran" in r.text


def test_targets_are_added_moved_and_removed(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    pemkab, opd = categories.categories_of(db, cycle)
    newcomer = factory.body(org, name="Pemerintah Kota Baru", category="pemkab_pemkot")
    login(client, db, sek(factory, org))
    page = client.get(f"/siklus/{cycle.id}/kategori/{pemkab.id}")
    assert "Pemerintah Kota Baru" in page.text  # a candidate
    r = client.post(
        f"/siklus/{cycle.id}/sasaran",
        data=form(body_id=str(newcomer.id), category_id=str(pemkab.id), back=str(pemkab.id)),
    )
    assert r.status_code == 303
    r = client.post(
        f"/siklus/{cycle.id}/sasaran",
        data=form(body_id=str(newcomer.id), category_id=str(opd.id), back=str(pemkab.id)),
    )
    assert r.status_code == 303
    db.expire_all()
    assert schedule.category_of_body(db, cycle, newcomer.id) == opd
    r = client.post(f"/siklus/{cycle.id}/sasaran/{newcomer.id}/hapus", data=form(back=str(opd.id)))
    assert r.status_code == 303 and r.headers["location"].endswith(f"/kategori/{opd.id}")
    assert schedule.category_of_body(db, cycle, newcomer.id) is None
    r = client.post(f"/siklus/{cycle.id}/kategori/{pemkab.id}/isi-bawaan", data=form())
    assert r.status_code == 303
    assert schedule.category_of_body(db, cycle, newcomer.id) == pemkab


def test_a_unit_cannot_become_a_target(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    cat = categories.categories_of(db, cycle)[0]
    parent = categories.list_targets(db, cycle)[0]
    unit = factory.body(org, category=None, parent_id=parent.id)
    login(client, db, sek(factory, org))
    r = client.post(
        f"/siklus/{cycle.id}/sasaran",
        data=form(body_id=str(unit.id), category_id=str(cat.id), back=str(cat.id)),
    )
    assert r.status_code == 422 and "unit PPID pelaksana" in r.text


# --- scoring rules -----------------------------------------------------------------------------


def rules_form(**over: str) -> dict[str, str]:
    base = {
        "comp-0-code": "saq",
        "comp-0-name": "SAQ",
        "comp-0-weight": "80",
        "comp-1-code": "presentation",
        "comp-1-name": "Presentasi",
        "comp-1-weight": "20",
        "band-0-name": "Informatif",
        "band-0-min": "90",
        "band-1-name": "Menuju Informatif",
        "band-1-min": "80",
        "band-2-name": "Cukup Informatif",
        "band-2-min": "60",
        "band-3-name": "Kurang Informatif",
        "band-3-min": "40",
        "band-4-name": "Tidak Informatif",
        "band-4-min": "0",
        "shortlist_threshold": "65",
        "shortlist_inclusive": "1",
        "shortlist_top_n": "5",
        "shortlist_combine": "and",
        "non_shortlisted": "weighted_missing_zero",
        "non_submitter": "not_assessed",
        "tie-0": "indicator:2",
        "tie-1": "shared",
        "award-0-kind": "band",
        "award-0-name": "Informatif",
        "award-0-band": "Informatif",
        "award-1-kind": "best_indicator",
        "award-1-name": "Jenis Informasi Terbaik",
        "award-1-indicator": "2",
        "award-1-per_category": "1",
    }
    return {**base, **over}


def test_rules_are_edited_through_the_form(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    page = client.get(f"/siklus/{cycle.id}/aturan")
    assert page.status_code == 200 and 'value="70"' in page.text
    r = client.post(f"/siklus/{cycle.id}/aturan", data=form(**rules_form()))
    assert r.status_code == 303
    db.expire_all()
    config = scoring.get_scoring_config(db, db.get(Cycle, cycle.id))  # type: ignore[arg-type]
    assert [(c.code, c.weight) for c in config.components] == [("saq", 80), ("presentation", 20)]
    assert config.shortlist.describe() == "SAQ ≥ 65 dan 5 besar per kategori"
    assert not config.shortlisted_rank_first
    assert [str(t) for t in config.tie_breaks] == ["indicator:2", "shared"]
    assert config.awards[1].per_category and config.awards[1].indicator_code == "2"
    assert timeline(db, "cycle", cycle.id)[-1].action == "cycle.rules_saved"


def test_bad_rules_come_back_with_the_reason_and_the_typed_values(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    r = client.post(
        f"/siklus/{cycle.id}/aturan",
        data=form(**rules_form(**{"comp-1-weight": "10", "band-4-min": "5"})),
    )
    assert r.status_code == 422
    assert "Jumlah bobot komponen harus 100 (sekarang 90)." in r.text
    assert "Kualifikasi terendah harus mulai dari 0 agar tidak ada celah." in r.text
    assert 'value="10"' in r.text
    r = client.post(
        f"/siklus/{cycle.id}/aturan", data=form(**rules_form(shortlist_threshold="enam puluh"))
    )
    assert r.status_code == 422 and "Harus angka" in r.text
    db.expire_all()
    assert scoring.get_scoring_config(db, db.get(Cycle, cycle.id)).components[0].weight == 70  # type: ignore[arg-type]


def test_a_komisioner_sees_the_rules_read_only(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, factory.user(org, Role.KOMISIONER))
    page = client.get(f"/siklus/{cycle.id}/aturan")
    assert page.status_code == 200 and "Simpan aturan" not in page.text
    assert client.post(f"/siklus/{cycle.id}/aturan", data=form(**rules_form())).status_code == 403
