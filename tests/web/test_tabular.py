import pytest

from app.errors import ValidationFailed
from app.imports.tabular import escape_formula, read_table


def test_semicolon_csv_with_bom_and_blank_lines_is_read() -> None:
    data = "\ufeffName;Category\nKota A;pemkab_pemkot\n;\n".encode()
    t = read_table("x.csv", data, required=["name", "category"])
    assert t.headers == ["name", "category"] and t.rows == [
        (2, {"name": "Kota A", "category": "pemkab_pemkot"})
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name\n" + b"a\n" * 30, "lebih dari 10 baris"),
        ("name\n" + "x" * 5001 + "\n", "terlalu panjang"),
        (b"name\x00\n", "bukan CSV"),
        (b"", "kosong"),
        (b'name\n"unterminated\n', None),
    ],
)
def test_bad_tables_are_refused_with_a_reason(data: bytes | str, message: str | None) -> None:
    raw = data.encode() if isinstance(data, str) else data
    if message is None:
        read_table("x.csv", raw, required=["name"], max_rows=10)  # csv tolerates it
        return
    with pytest.raises(ValidationFailed, match=message):
        read_table("x.csv", raw, required=["name"], max_rows=10)


def test_xlsx_row_limit_and_header_only() -> None:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["name"])
    for i in range(12):
        ws.append([f"b{i}"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed, match="lebih dari 10"):
        read_table("x.xlsx", buf.getvalue(), required=["name"], max_rows=10)
    empty = Workbook()
    buf2 = io.BytesIO()
    empty.save(buf2)
    with pytest.raises(ValidationFailed, match="judul kolom"):
        read_table("x.xlsx", buf2.getvalue(), required=["name"])


@pytest.mark.parametrize(
    ("value", "out"),
    [("=1+1", "'=1+1"), ("+62", "'+62"), ("-", "'-"), ("@x", "'@x"), ("Kota", "Kota"), (5, 5)],
)
def test_exported_cells_cannot_become_formulas(value: object, out: object) -> None:
    assert escape_formula(value) == out
