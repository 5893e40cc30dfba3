from app.bodies.rules import BodyRow, check_body_rows


def _row(
    line: int,
    name: str,
    category: str = "pemkab_pemkot",
    parent: str = "",
    email: str = "",
    website: str = "",
) -> BodyRow:
    return BodyRow(
        line=line, name=name, category=category, parent=parent, email=email, website=website
    )


def _check(rows: list[BodyRow], existing: set[str] | None = None) -> list[BodyRow]:
    return check_body_rows(
        rows, category_codes={"pemkab_pemkot", "desa"}, existing_names=existing or set()
    )


def test_valid_rows_have_no_errors_and_know_whether_they_create_or_update() -> None:
    rows = _check(
        [_row(2, "Kota A"), _row(3, "Dinas X", category="", parent="Kota A"), _row(4, "Kota B")],
        existing={"Kota B"},
    )
    assert [r.errors for r in rows] == [[], [], []]
    assert [r.action for r in rows] == ["baru", "baru", "perbarui"]


def test_each_kind_of_bad_row_is_explained() -> None:
    rows = _check(
        [
            _row(2, ""),
            _row(3, "Kota A", category="kerajaan"),
            _row(4, "Kota A"),
            _row(5, "Dinas", category="", parent="Tidak Ada"),
            _row(6, "Unit", category=""),
            _row(7, "Kota C", email="bukan-email"),
            _row(8, "Kota D", website="ftp://x"),
            _row(9, "Diri", parent="Diri"),
            _row(10, "x" * 251),
        ]
    )
    msgs = [" ".join(r.errors) for r in rows]
    assert "wajib" in msgs[0]
    assert "Kategori tidak dikenal" in msgs[1]
    assert "ganda" in msgs[2] and "baris 3" in msgs[2]
    assert "Induk tidak ditemukan" in msgs[3]
    assert "induk" in msgs[4]
    assert "Email tidak valid" in msgs[5]
    assert "http" in msgs[6]
    assert "induknya sendiri" in msgs[7]
    assert "terlalu panjang" in msgs[8]


def test_a_parent_may_already_exist_in_the_registry() -> None:
    rows = _check([_row(2, "Dinas", category="", parent="Kota Lama")], existing={"Kota Lama"})
    assert rows[0].errors == []
