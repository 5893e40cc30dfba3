"""Read uploaded CSV or XLSX tables into rows of text, with clear errors for bad files."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from app.errors import ValidationFailed

MAX_CELL_CHARS = 5000


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line number, row)


def _clean_header(h: object) -> str:
    return str(h or "").strip().lower().replace(" ", "_")


def read_table(filename: str, data: bytes, *, required: list[str], max_rows: int = 20_000) -> Table:
    """Parse CSV (UTF-8, comma or semicolon) or XLSX; refuse the file as a whole when unreadable."""
    if not data:
        raise ValidationFailed("Berkas kosong.")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        raw_rows = _read_xlsx(data, max_rows)
    else:
        raw_rows = _read_csv(data, max_rows)
    if not raw_rows:
        raise ValidationFailed("Berkas tidak memiliki baris judul kolom.")
    headers = [_clean_header(h) for h in raw_rows[0]]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ValidationFailed(
            "Kolom wajib tidak ada: "
            + ", ".join(missing)
            + ". Kolom yang ditemukan: "
            + ", ".join(h for h in headers if h)
            + "."
        )
    table = Table(headers=headers)
    for i, raw in enumerate(raw_rows[1:], start=2):
        cells = ["" if c is None else str(c).strip() for c in raw]
        if not any(cells):
            continue
        for c in cells:
            if len(c) > MAX_CELL_CHARS:
                raise ValidationFailed(
                    f"Baris {i}: isi sel terlalu panjang (lebih dari {MAX_CELL_CHARS} karakter)."
                )
        row = {h: (cells[j] if j < len(cells) else "") for j, h in enumerate(headers) if h}
        table.rows.append((i, row))
    return table


def _read_csv(data: bytes, max_rows: int) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "Berkas CSV harus ber-encoding UTF-8. Simpan ulang dari spreadsheet sebagai "
            "'CSV UTF-8'."
        ) from None
    if "\x00" in text:
        raise ValidationFailed("Berkas bukan CSV teks yang valid.")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > max_rows + 1:
                raise ValidationFailed(f"Berkas terlalu besar: lebih dari {max_rows} baris.")
    except csv.Error as exc:
        raise ValidationFailed(f"Berkas CSV rusak: {exc}.") from None
    return rows


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed("Berkas XLSX rusak atau bukan XLSX.") from None
    ws = wb.worksheets[0]
    rows: list[list[str]] = []
    for row in ws.iter_rows(values_only=True):
        rows.append(["" if v is None else str(v) for v in row])
        if len(rows) > max_rows + 1:
            wb.close()
            raise ValidationFailed(f"Berkas terlalu besar: lebih dari {max_rows} baris.")
    wb.close()
    return rows


def escape_formula(value: object) -> object:
    """Neutralise spreadsheet formulas in exported cells (`=`, `+`, `-`, `@`)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
