import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.bodies import service
from app.bodies.models import Body
from app.errors import Forbidden, NotFound, ValidationFailed
from tests.factories import Factory

CSV = (
    "commission,category,name,parent,email\n"
    "{org},pemkab_pemkot,Pemerintah Kota Alpha,,ppid@alpha.go.id\n"
    "{org},,Dinas Kominfo Alpha,Pemerintah Kota Alpha,kominfo@alpha.go.id\n"
    "{org},opd_pemprov,Dinas Pendidikan Provinsi,,\n"
)


def _sek(factory: Factory):  # type: ignore[no-untyped-def]
    org = factory.commission()
    return org, factory.actor(factory.user(org, Role.SEKRETARIAT))


def test_import_previews_then_applies_all_rows(factory: Factory, db: Session) -> None:
    org, sek = _sek(factory)
    data = CSV.format(org=org.short_name).encode()
    preview = service.preview_body_import(db, sek, "b.csv", data, org)
    assert preview.ok and preview.batch_id
    assert service.apply_body_import(db, sek, preview.batch_id) == 3
    unit = db.scalars(select(Body).where(Body.name == "Dinas Kominfo Alpha")).one()
    parent = db.scalars(select(Body).where(Body.name == "Pemerintah Kota Alpha")).one()
    assert unit.parent_id == parent.id and unit.default_category_code is None
    with pytest.raises(ValidationFailed):
        service.apply_body_import(db, sek, preview.batch_id)  # not twice


def test_import_with_one_bad_row_imports_nothing(factory: Factory, db: Session) -> None:
    org, sek = _sek(factory)
    data = (CSV.format(org=org.short_name) + f"{org.short_name},kerajaan,Kerajaan X,,\n").encode()
    preview = service.preview_body_import(db, sek, "b.csv", data, org)
    assert not preview.ok and preview.batch_id is None and preview.error_count == 1
    assert db.scalars(select(Body).where(Body.organisation_id == org.id)).all() == []


def test_import_refuses_rows_of_another_commission(factory: Factory, db: Session) -> None:
    org, sek = _sek(factory)
    data = CSV.format(org="KI Lain").encode()
    preview = service.preview_body_import(db, sek, "b.csv", data, org)
    assert preview.error_count == 3
    assert "komisi lain" in preview.rows[0].errors[0]


def test_import_updates_existing_bodies_by_name(factory: Factory, db: Session) -> None:
    org, sek = _sek(factory)
    b = factory.body(org, "Pemerintah Kota Alpha")
    data = CSV.format(org=org.short_name).encode()
    preview = service.preview_body_import(db, sek, "b.csv", data, org)
    assert preview.rows[0].action == "perbarui"
    service.apply_body_import(db, sek, preview.batch_id or "")
    db.refresh(b)
    assert b.email == "ppid@alpha.go.id"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "kosong"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"nama,kategori\nA,B\n", "Kolom wajib tidak ada"),
        (b"PK\x03\x04garbage", "XLSX rusak"),
    ],
)
def test_malformed_files_are_refused_as_a_whole(
    factory: Factory, db: Session, data: bytes, message: str
) -> None:
    org, sek = _sek(factory)
    with pytest.raises(ValidationFailed, match=message):
        service.preview_body_import(db, sek, "b.csv", data, org)


def test_xlsx_files_import_like_csv(factory: Factory, db: Session) -> None:
    import io

    from openpyxl import Workbook

    org, sek = _sek(factory)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Name", "Category", "Parent", "Email"])
    ws.append(["Pemerintah Kota Beta", "pemkab_pemkot", None, "a@beta.go.id"])
    buf = io.BytesIO()
    wb.save(buf)
    preview = service.preview_body_import(db, sek, "b.xlsx", buf.getvalue(), org)
    assert preview.ok and preview.rows[0].name == "Pemerintah Kota Beta"


def test_only_the_sekretariat_imports(factory: Factory, db: Session) -> None:
    org = factory.commission()
    ver = factory.actor(factory.user(org, Role.VERIFIKATOR))
    with pytest.raises(Forbidden):
        service.preview_body_import(db, ver, "b.csv", b"x", org)
    _other_org, other_sek = _sek(factory)
    with pytest.raises(Forbidden):
        service.preview_body_import(db, other_sek, "b.csv", b"x", org)


def test_bodies_are_invisible_across_commissions(factory: Factory, db: Session) -> None:
    _org_a, sek_a = _sek(factory)
    org_b = factory.commission()
    body_b = factory.body(org_b)
    with pytest.raises(NotFound):
        service.get_body_for_actor(db, sek_a, body_b.id)
    assert service.list_bodies(db, sek_a).total == 0


def test_operators_see_their_body_and_its_units_only(factory: Factory, db: Session) -> None:
    org = factory.commission()
    city = factory.body(org)
    unit = factory.body(org, parent_id=city.id, category=None)
    other = factory.body(org)
    op = factory.actor(factory.user(org, Role.OPERATOR, body=city))
    assert service.get_body_for_actor(db, op, city.id).id == city.id
    assert service.get_body_for_actor(db, op, unit.id).id == unit.id
    with pytest.raises(NotFound):
        service.get_body_for_actor(db, op, other.id)
    with pytest.raises(Forbidden):
        service.list_bodies(db, op)


def test_operators_edit_contact_data_but_not_name_or_category(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    body = factory.body(org, "Pemerintah Kota Gamma")
    op = factory.actor(factory.user(org, Role.OPERATOR, body=body))
    service.update_body(
        db,
        op,
        body,
        {"name": "Nama Baru", "default_category_code": "x", "website": "https://gamma.go.id"},
    )
    assert body.name == "Pemerintah Kota Gamma" and body.default_category_code == "pemkab_pemkot"
    assert body.website == "https://gamma.go.id"
    with pytest.raises(ValidationFailed):
        service.update_body(db, op, body, {"website": "gamma.go.id"})
    stranger = factory.actor(factory.user(org, Role.JURI))
    with pytest.raises(Forbidden):
        service.update_body(db, stranger, body, {"website": "https://x.id"})


def test_sekretariat_edits_everything_and_checks_the_hierarchy(
    factory: Factory, db: Session
) -> None:
    org, sek = _sek(factory)
    city = factory.body(org, "Kota Delta")
    unit = factory.body(org, "Dinas Delta", parent_id=city.id, category=None)
    other = factory.body(org, "Kota Epsilon")
    service.update_body(
        db, sek, other, {"name": "Kota Epsilon Baru", "default_category_code": "opd_pemprov"}
    )
    assert other.name == "Kota Epsilon Baru"
    for bad in (
        {"parent_id": str(unit.id)},
        {"name": "Kota Delta"},
        {"default_category_code": "kerajaan"},
        {"parent_id": str(other.id)},
    ):
        with pytest.raises(ValidationFailed):
            service.update_body(db, sek, other, bad)
        db.refresh(other)
    created = service.create_body(
        db, sek, {"name": "Dinas Baru", "parent_id": str(city.id), "default_category_code": ""}
    )
    assert created.parent_id == city.id
    ver = factory.actor(factory.user(org, Role.VERIFIKATOR))
    with pytest.raises(Forbidden):
        service.create_body(db, ver, {"name": "X"})


def test_list_filters_and_paginates_in_the_database(factory: Factory, db: Session) -> None:
    org, sek = _sek(factory)
    for i in range(7):
        factory.body(org, f"Kota Zeta {i}")
    factory.body(org, "Dinas Provinsi", category="opd_pemprov")
    page = service.list_bodies(db, sek, q="zeta", page=2, per_page=5)
    assert page.total == 7 and len(page.items) == 2 and page.pages == 2
    assert service.list_bodies(db, sek, category="opd_pemprov").total == 1
