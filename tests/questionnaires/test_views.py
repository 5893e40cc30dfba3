import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Role
from app.cycles import categories
from app.cycles.models import Cycle
from app.orgs.models import Organisation
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Item, Questionnaire
from tests.factories import SMALL_QUESTIONNAIRE, Factory, form, login


def sek(factory: Factory, org: Organisation) -> User:
    return factory.user(org, Role.SEKRETARIAT)


def only(db: Session, cycle: Cycle) -> Questionnaire:
    (q,) = questionnaires.list_questionnaires(db, cycle)
    return q


def upload(client: TestClient, cycle: Cycle, text: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/siklus/{cycle.id}/kuesioner/impor",
        data=form(**fields),
        files={"file": ("kuesioner.csv", text.encode(), "text/csv")},
    )


def test_the_sekretariat_imports_a_questionnaire_with_a_preview(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    login(client, db, sek(factory, org))
    client.post(f"/siklus/{cycle.id}/kategori/katalog", data=form())
    page = client.get(f"/siklus/{cycle.id}/kuesioner")
    assert page.status_code == 200 and "Impor dari CSV/XLSX" in page.text
    r = upload(client, cycle, SMALL_QUESTIONNAIRE, name="Kuesioner 2025")
    assert r.status_code == 200
    assert "Semua 8 baris valid: 2 indikator, 1 kelompok, 5 butir." in r.text
    action = r.text.split('action="/siklus/')[-1].split('"')[0]
    assert action.endswith("/terapkan")
    r = client.post(f"/siklus/{action}", data=form(name="Kuesioner 2025", replace_id=""))
    assert r.status_code == 303
    db.expire_all()
    q = only(db, cycle)
    assert r.headers["location"] == f"/kuesioner/{q.id}"
    assert q.name == "Kuesioner 2025"
    editor_page = client.get(r.headers["location"])
    assert "Profil badan publik" in editor_page.text and "Kuesioner 2025" in editor_page.text


def test_a_file_with_errors_is_shown_row_by_row_and_nothing_is_imported(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    bad = SMALL_QUESTIONNAIRE.replace(",all,Mutu informasi.", ",desa,Mutu informasi.")
    bad = bad.replace("1.2,1,item,DIP ditetapkan,1,", "1.2,1,item,DIP ditetapkan,satu,")
    r = upload(client, cycle, bad)
    assert r.status_code == 422
    assert "Kategori tidak dikenal: desa" in r.text
    assert (
        "Bobot &#39;satu&#39; harus bilangan bulat." in r.text
        or "Bobot 'satu' harus bilangan bulat." in r.text
    )
    assert "Impor sekarang" not in r.text
    assert len(questionnaires.list_questionnaires(db, cycle)) == 1


def test_an_unreadable_file_is_refused_with_a_message(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    r = upload(client, cycle, "kode;teks\n1;A\n")
    assert r.status_code == 422 and "Kolom wajib tidak ada" in r.text


def test_other_people_cannot_import(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, factory.user(org, Role.KOMISIONER))
    page = client.get(f"/siklus/{cycle.id}/kuesioner")
    assert page.status_code == 200 and "Impor dari CSV/XLSX" not in page.text
    assert upload(client, cycle, SMALL_QUESTIONNAIRE).status_code == 403
    other = factory.commission()
    login(client, db, sek(factory, other))
    assert client.get(f"/siklus/{cycle.id}/kuesioner").status_code == 404
    assert upload(client, cycle, SMALL_QUESTIONNAIRE).status_code == 404
    assert client.get(f"/kuesioner/{only(db, cycle).id}").status_code == 404


def test_an_operator_sees_no_editor(client: TestClient, factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    login(client, db, factory.user(org, Role.OPERATOR, body=body))
    q = only(db, cycle)
    assert client.get(f"/siklus/{cycle.id}/kuesioner").status_code == 404
    assert client.get(f"/kuesioner/{q.id}").status_code == 404
    assert client.get(f"/kuesioner/{q.id}/ekspor.xlsx").status_code == 404


def test_the_export_is_an_xlsx_in_the_import_shape(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, factory.user(org, Role.KOMISIONER))
    r = client.get(f"/kuesioner/{only(db, cycle).id}/ekspor.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("code", "parent", "kind", "text", "weight")
    assert rows[1][:5] == ("1", None, "indicator", "Kualitas Informasi", 40)
    assert len(rows) == 9


def test_an_item_is_added_and_changed_in_the_editor(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    q = only(db, cycle)
    login(client, db, sek(factory, org))
    page = client.get(f"/kuesioner/{q.id}/butir/baru?induk=2.1")
    assert page.status_code == 200 and '<option value="2.1" selected>' in page.text
    data = form(
        code="2.1.9",
        parent="2.1",
        text="Foto papan informasi",
        weight="2",
        answer_type="yes_no",
        evidence="file",
        file_type=["jpg", "png"],
        applies=["opd_pemprov"],
        max_file_mb="1",
    )
    r = client.post(f"/kuesioner/{q.id}/butir/simpan", data=data)
    assert r.status_code == 303
    db.expire_all()
    item = next(i for i in questionnaires.load_tree(db, q).items if i.code == "2.1.9")
    assert item.file_types == ["jpg", "png"] and item.category_codes == ["opd_pemprov"]
    assert item.max_file_bytes == 1024 * 1024
    page = client.get(f"/kuesioner/{q.id}/butir/{item.id}")
    assert 'id="ft-jpg" checked' in page.text and 'id="ap-opd_pemprov" checked' in page.text
    r = client.post(
        f"/kuesioner/{q.id}/butir/simpan", data={**data, "node_id": str(item.id), "weight": "3"}
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Item, item.id).weight == 3  # type: ignore[union-attr]


def test_a_bad_item_comes_back_with_field_messages(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    q = only(db, cycle)
    login(client, db, sek(factory, org))
    data = form(
        code="1.1", parent="1", text="Ganda", weight="0", answer_type="choice", options="Ya|Tidak"
    )
    r = client.post(f"/kuesioner/{q.id}/butir/simpan", data=data)
    assert r.status_code == 422
    assert "Kode 1.1 ganda" in r.text and "Bobot butir harus 1" in r.text
    assert "harus berbentuk" in r.text and 'value="Ya|Tidak"' in r.text


def test_indicators_and_groups_are_built_in_the_browser(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    login(client, db, sek(factory, org))
    r = client.post(f"/siklus/{cycle.id}/kuesioner/baru", data=form(name="Kuesioner desa"))
    assert r.status_code == 303
    qid = int(r.headers["location"].rsplit("/", 1)[1])
    assert "masih kosong" in client.get(f"/kuesioner/{qid}").text
    assert client.get(f"/kuesioner/{qid}/indikator/baru").status_code == 200
    r = client.post(
        f"/kuesioner/{qid}/indikator/simpan",
        data=form(code="1", text="Kualitas Informasi", weight="100", applies_to="all"),
    )
    assert r.status_code == 303
    r = client.post(
        f"/kuesioner/{qid}/kelompok/simpan", data=form(code="1.1", parent="1", text="Berkala")
    )
    assert r.status_code == 303
    page = client.get(f"/kuesioner/{qid}")
    assert "Kualitas Informasi" in page.text and "Berkala" in page.text
    assert client.get(f"/kuesioner/{qid}/bagian/baru").status_code == 404


def test_after_the_freeze_a_change_asks_for_a_reason_and_shows_in_versions(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    q = only(db, cycle)
    item = next(i for i in questionnaires.load_tree(db, q).items if i.code == "1.2")
    login(client, db, sek(factory, org))
    page = client.get(f"/kuesioner/{q.id}/butir/{item.id}")
    assert "Alasan perubahan" in page.text
    data = form(
        code="1.2", parent="1", text="DIP ditetapkan dan diumumkan", weight="1", evidence="file"
    )
    r = client.post(f"/kuesioner/{q.id}/butir/simpan", data={**data, "node_id": str(item.id)})
    assert r.status_code == 422 and "tuliskan alasan" in r.text
    r = client.post(
        f"/kuesioner/{q.id}/butir/simpan",
        data={**data, "node_id": str(item.id), "reason": "Redaksi diperjelas"},
    )
    assert r.status_code == 303
    versions = client.get(f"/kuesioner/{q.id}/versi")
    assert "Redaksi diperjelas" in versions.text and "Versi saat tahap SAQ dibuka" in versions.text
    r = client.post(
        f"/kuesioner/{q.id}/butir/{item.id}/hapus", data=form(reason="Digabung dengan 1.1")
    )
    assert r.status_code == 303
    page = client.get(f"/kuesioner/{q.id}")
    assert "ditarik" in page.text and "Digabung dengan 1.1" in page.text
    r = client.post(f"/kuesioner/{q.id}/butir/{item.id}/pulihkan", data=form(reason="Dipakai lagi"))
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Item, item.id).removed_at is None  # type: ignore[union-attr]
    group = questionnaires.load_tree(db, q).groups[0]
    r = client.post(f"/kuesioner/{q.id}/kelompok/{group.id}/hapus", data=form(reason="x"))
    assert r.status_code == 409 and "tidak dapat dihapus" in r.text


def test_a_questionnaire_is_renamed_and_deleted_before_the_freeze(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    q = only(db, cycle)
    login(client, db, sek(factory, org))
    assert (
        client.post(f"/kuesioner/{q.id}/ubah-nama", data=form(name="Kuesioner utama")).status_code
        == 303
    )
    r = client.post(f"/kuesioner/{q.id}/ubah-nama", data=form(name=""))
    assert r.status_code == 422
    r = client.post(f"/kuesioner/{q.id}/hapus", data=form())
    assert r.status_code == 303 and r.headers["location"] == f"/siklus/{cycle.id}/kuesioner"
    db.expire_all()
    assert questionnaires.list_questionnaires(db, cycle) == []


def test_the_questionnaire_api_gives_staff_the_tree_and_a_body_its_items(
    client: TestClient, factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    q = only(db, cycle)
    pemkab, opd = categories.categories_of(db, cycle)
    body = categories.list_targets(db, cycle, opd)[0]
    login(client, db, factory.user(org, Role.KOMISIONER))
    tree = client.get(f"/api/v1/questionnaires/{q.id}").json()
    assert tree["frozen"] is True
    assert [i["weight"] for i in tree["indicators"]] == [40, 60]
    assert tree["indicators"][0]["items"][0]["options"][1] == {
        "label": "Tahunan",
        "fraction": "0.5",
    }
    login(client, db, factory.user(org, Role.OPERATOR, body=body))
    assert client.get(f"/api/v1/questionnaires/{q.id}").status_code == 404
    mine = client.get(f"/api/v1/cycles/{cycle.id}/bodies/{body.id}/questionnaire")
    assert mine.status_code == 200
    codes = [i["code"] for ind in mine.json()["questionnaire"]["indicators"] for i in ind["items"]]
    assert "2.1.2" in codes and mine.json()["category_code"] == "opd_pemprov"
    other = categories.list_targets(db, cycle, pemkab)[0]
    r = client.get(f"/api/v1/cycles/{cycle.id}/bodies/{other.id}/questionnaire")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
