import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.questionnaires.rules import (
    IndicatorSpec,
    ItemSpec,
    NodeRow,
    Option,
    QuestionnaireSpec,
    category_problems,
    check_rows,
    format_options,
    indicator_weight_errors,
    intersect_scopes,
    parse_options,
    parse_scope,
    to_node,
)
from tests.factories import SMALL_QUESTIONNAIRE

CATS = {"pemkab_pemkot", "opd_pemprov", "desa"}


def rows_of(text: str) -> list[NodeRow]:
    return [NodeRow.from_mapping(i, r) for i, r in enumerate(csv.DictReader(io.StringIO(text)), 2)]


HEADER = (
    "code,parent,kind,text,weight,answer_type,options,evidence,file_types,applies_to,guidance\n"
)
BASE = HEADER + "1,,indicator,Kualitas,100,,,,,all,\n"


def check_one(line: str, cats: set[str] = CATS) -> tuple[NodeRow, list[str]]:
    rows = rows_of(BASE + line)
    file_errors = check_rows(rows, cats)
    return rows[-1], file_errors


def test_the_small_questionnaire_is_valid() -> None:
    rows = rows_of(SMALL_QUESTIONNAIRE)
    assert check_rows(rows, CATS) == []
    assert [r.messages for r in rows if r.messages] == []


@pytest.mark.parametrize(
    ("line", "field", "fragment"),
    [
        ("1.1,1,item,,1,yes_no,,,,all,", "text", "Teks wajib diisi"),
        ("1.1,9,item,Ada,1,yes_no,,,,all,", "parent", "Induk '9' tidak ada"),
        ("1.1,1,item,Ada,satu,yes_no,,,,all,", "weight", "harus bilangan bulat"),
        ("1.1,1,item,Ada,0,yes_no,,,,all,", "weight", "Bobot butir harus 1"),
        ("1.1,1,item,Ada,1,esai,,,,all,", "answer_type", "tidak dikenal"),
        ("1.1,1,item,Ada,1,choice,Ya|Tidak,,,all,", "options", "harus berbentuk 'label:nilai'"),
        ("1.1,1,item,Ada,1,choice,Ya:0.5|Tidak:0,,,all,", "options", "bernilai 1"),
        ("1.1,1,item,Ada,1,yes_no,Ya:1|Tidak:0,,,all,", "options", "hanya untuk jenis jawaban"),
        ("1.1,1,item,Ada,1,yes_no,,foto,,all,", "evidence", "Jenis bukti 'foto'"),
        ("1.1,1,item,Ada,1,text_and_evidence,,,,all,", "evidence", "harus meminta bukti"),
        ("1.1,1,item,Ada,1,yes_no,,link,pdf,all,", "file_types", "hanya berlaku bila bukti"),
        ("1.1,1,item,Ada,1,yes_no,,file,exe,all,", "file_types", "tidak didukung: exe"),
        (
            "1.1,1,item,Ada,1,yes_no,,,,kementerian,",
            "applies_to",
            "Kategori tidak dikenal: kementerian",
        ),
        ("1 1,1,item,Ada,1,yes_no,,,,all,", "code", "tidak valid"),
        ("1.1,1,bagian,Ada,1,yes_no,,,,all,", "kind", "tidak dikenal"),
        ("1.1,,group,Kelompok,,,,,,all,", "parent", "Isi induk"),
        ("1.1,1,group,Kelompok,3,,,,,all,", "weight", "Kelompok tidak berbobot"),
    ],
)
def test_each_bad_cell_gets_a_plain_message_on_its_row(
    line: str, field: str, fragment: str
) -> None:
    row, _ = check_one(line)
    assert any(f == field and fragment in m for f, m in row.errors), row.errors


def test_an_unknown_category_is_an_error_even_in_a_list() -> None:
    row, _ = check_one('1.1,1,item,Ada,1,yes_no,,,,"desa,kementerian",')
    assert row.messages == [
        "Kategori tidak dikenal: kementerian (yang ada: desa, opd_pemprov, pemkab_pemkot)."
    ]


def test_an_item_cannot_apply_where_its_parent_does_not() -> None:
    text = HEADER + "1,,indicator,K,100,,,,,desa,\n1.1,1,item,Ada,1,yes_no,,,,opd_pemprov,\n"
    rows = rows_of(text)
    check_rows(rows, CATS)
    assert "padahal induknya (1) tidak" in rows[1].messages[0]


def test_duplicate_codes_and_an_item_as_parent_are_refused() -> None:
    text = BASE + "1.1,1,item,A,1,,,,,all,\n1.1,1,item,B,1,,,,,all,\n1.2,1.1,item,C,1,,,,,all,\n"
    rows = rows_of(text)
    check_rows(rows, CATS)
    assert "Kode 1.1 ganda (sama dengan baris 3)." in rows[2].messages
    assert any("adalah butir" in m for m in rows[3].messages)


def test_a_loop_of_groups_is_refused() -> None:
    text = (
        BASE + "1.1,1.2,group,A,,,,,,all,\n1.2,1.1,group,B,,,,,,all,\n1.3,1.1,item,C,1,,,,,all,\n"
    )
    rows = rows_of(text)
    check_rows(rows, CATS)
    assert any("berputar" in m for m in rows[1].messages)


def test_file_level_problems_name_the_indicator() -> None:
    text = HEADER + "1,,indicator,Kualitas,60,,,,,all,\n2,,indicator,Jenis,30,,,,,all,\n"
    text += "1.1,1,item,A,1,,,,,all,\n"
    errors = check_rows(rows_of(text), CATS)
    assert "Indikator 2 (Jenis) belum memiliki butir." in errors
    assert "Jumlah bobot indikator harus 100 (sekarang 90)." in errors


def test_an_empty_file_has_no_indicator() -> None:
    assert check_rows([], CATS) == ["Kuesioner belum memiliki indikator."]


def test_indicator_weights_must_total_100_for_each_category_they_serve() -> None:
    indicators = [(60, []), (40, ["desa"]), (40, ["opd_pemprov"])]
    assert indicator_weight_errors(indicators, CATS) == []
    bad = [(60, []), (30, ["desa"])]
    assert indicator_weight_errors(bad, CATS) == [
        "Jumlah bobot indikator untuk kategori desa harus 100 (sekarang 90)."
    ]


def test_defaults_are_filled_when_a_row_becomes_a_node() -> None:
    row, _ = check_one('1.1,1,item,Foto meja layanan,2,,,file,,"desa",')
    node = to_node(row)
    assert node.answer_type == "yes_no"
    assert node.file_types == ("pdf",)
    assert node.max_file_bytes == 2 * 1024 * 1024
    assert node.max_files == 5
    assert node.category_codes == ("desa",)
    assert node.weight == 2


def test_size_and_count_limits_and_keywords_are_read() -> None:
    row = NodeRow(
        3,
        "1.1",
        "1",
        "item",
        "Foto",
        "1",
        "yes_no",
        "",
        "file",
        "jpg,png",
        "all",
        "",
        "meja; layanan",
        "0,5",
        "3",
    )
    check_rows([*rows_of(BASE), row], CATS)
    assert row.errors == []
    node = to_node(row)
    assert node.max_file_bytes == 512 * 1024
    assert node.max_files == 3
    assert node.keywords == ("meja", "layanan")
    assert node.file_types == ("jpg", "png")


@pytest.mark.parametrize(
    ("mb", "files"), [("0", "1"), ("51", "1"), ("2", "0"), ("2", "x"), ("dua", "1")]
)
def test_size_and_count_limits_must_be_sensible(mb: str, files: str) -> None:
    row = NodeRow(
        3, "1.1", "1", "item", "Foto", "1", "yes_no", "", "file", "", "all", "", "", mb, files
    )
    check_rows([*rows_of(BASE), row], CATS)
    assert row.errors


def test_options_round_trip() -> None:
    text = "<= 1 bulan:1.0|<= 6 bulan:0.5|> 6 bulan:0"
    options = parse_options(text)
    assert options == (
        Option("<= 1 bulan", Decimal("1.0")),
        Option("<= 6 bulan", Decimal("0.5")),
        Option("> 6 bulan", Decimal(0)),
    )
    assert parse_options(format_options(options)) == options


@given(
    st.lists(
        st.tuples(
            st.text("abcdefghij <>=", min_size=1, max_size=8).map(str.strip).filter(bool),
            st.decimals(min_value=0, max_value=1, places=2),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
def test_any_valid_option_list_round_trips(pairs: list[tuple[str, Decimal]]) -> None:
    options = (*(Option(label, frac) for label, frac in pairs), Option("penuh", Decimal(1)))
    assert parse_options(format_options(options)) == options


def test_scope_all_means_every_category() -> None:
    assert parse_scope("all") == []
    assert parse_scope("") == []
    assert parse_scope("desa, bumd;desa") == ["desa", "bumd"]
    assert intersect_scopes([], ["desa", "bumd"], ["bumd"]) == frozenset({"bumd"})
    assert intersect_scopes([], []) is None


def spec() -> QuestionnaireSpec:
    items_1 = (
        ItemSpec(1, "1.1", "A", 2, "yes_no"),
        ItemSpec(2, "1.2", "B", 1, "yes_no", categories=frozenset({"opd_pemprov"})),
        ItemSpec(3, "1.3", "C", 1, "yes_no", is_removed=True),
    )
    items_2 = (ItemSpec(4, "2.1", "D", 1, "yes_no", categories=frozenset({"opd_pemprov"})),)
    return QuestionnaireSpec(
        1,
        "Q",
        1,
        (
            IndicatorSpec(10, "1", "Kualitas", 40, items=items_1),
            IndicatorSpec(11, "2", "Jenis", 60, items=items_2),
        ),
    )


def test_a_category_sees_only_its_items_and_never_withdrawn_ones() -> None:
    desa = spec().for_category("desa")
    assert [i.code for i in desa.items] == ["1.1"]
    opd = spec().for_category("opd_pemprov")
    assert [i.code for i in opd.items] == ["1.1", "1.2", "2.1"]


def test_a_category_with_an_empty_indicator_cannot_be_scored() -> None:
    assert category_problems(spec(), "opd_pemprov", "OPD") == []
    problems = category_problems(spec(), "desa", "Desa")
    assert problems == [
        "Indikator 2 (Jenis) tidak memiliki butir yang berlaku untuk kategori Desa."
    ]


def test_indicator_item_weights_sum_as_integers() -> None:
    assert spec().indicators[0].item_weight_total == 3
