from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.certificates.rules import AwardKind
from app.certificates.samples import COMMISSION, sample_award_list
from app.certificates.templates import (
    DEFAULT_TEMPLATES,
    MERGE_FIELDS,
    CertificateTemplate,
    check_templates,
    fill_template,
    merge_values,
    template_errors,
    validate_template,
)
from app.errors import ValidationFailed
from tests.certificates.helpers import by_body


def _template(title: str = "{award_title}", body_text: str = "untuk {body}") -> CertificateTemplate:
    return CertificateTemplate(kind=AwardKind.SPECIAL, title=title, body_text=body_text)


def test_the_default_templates_are_valid_for_every_award_kind() -> None:
    assert set(DEFAULT_TEMPLATES) == set(AwardKind)
    for template in DEFAULT_TEMPLATES.values():
        assert template_errors(template) == {}


def test_an_unknown_merge_field_is_named_and_the_allowed_ones_are_listed() -> None:
    with pytest.raises(ValidationFailed) as err:
        validate_template(_template(body_text="kepada {nama_badan} dengan nilai {score}"))
    message = err.value.field_errors["body_text"]
    assert "{nama_badan}" in message
    assert "tidak dikenal" in message
    for name in MERGE_FIELDS:
        assert "{" + name + "}" in message
    assert "title" not in err.value.field_errors


@pytest.mark.parametrize(
    "text",
    [
        "{body.__class__}",  # attribute access must not reach Python objects
        "{body[0]}",
        "{}",
        "{0}",
    ],
)
def test_placeholders_other_than_plain_field_names_are_refused(text: str) -> None:
    errors = template_errors(_template(title=text))
    assert "tidak dikenal" in errors["title"]


@pytest.mark.parametrize("text", ["{score:.1f}", "{body!r}", "nilai {score", "nilai score}"])
def test_format_specs_and_unbalanced_braces_are_refused(text: str) -> None:
    errors = template_errors(_template(body_text=text))
    assert "kurung kurawal" in errors["body_text"]


def test_empty_and_overlong_texts_are_refused() -> None:
    errors = template_errors(_template(title="  ", body_text="x" * 701))
    assert "wajib diisi" in errors["title"]
    assert "terlalu panjang" in errors["body_text"]


def test_doubled_braces_print_literal_braces() -> None:
    cert = sample_award_list()[0]
    filled = fill_template(_template(body_text="{{catatan}} {body}"), cert, COMMISSION)
    assert filled.body_text == "{catatan} " + cert.body


def test_merge_values_print_the_published_facts() -> None:
    pasuruan = by_body(sample_award_list(), "Pemerintah Kota Pasuruan", "Badan Publik Informatif")
    values = merge_values(pasuruan, COMMISSION)
    assert set(values) == set(MERGE_FIELDS)
    assert values["score"] == "94,74"
    assert values["rank"] == "7"
    assert values["date"] == "17 Desember 2024"
    assert values["qualification"] == "Informatif"
    assert values["commission"] == "Komisi Informasi Provinsi Jawa Timur"


def test_filling_the_rank_template_for_mojokerto() -> None:
    first = by_body(sample_award_list(), "Pemerintah Kota Mojokerto", "Peringkat 1")
    filled = fill_template(DEFAULT_TEMPLATES[AwardKind.PERINGKAT], first, COMMISSION)
    assert filled.title == "Peringkat 1 Kategori Pemerintah Kabupaten/Kota"
    assert "nilai 98,56" in filled.body_text
    assert "Nomor 188/12/KPTS/KI-PROV.JATIM/XII/2024." in filled.body_text


def test_a_template_using_a_field_the_award_lacks_is_refused_clearly() -> None:
    prize = replace(sample_award_list()[0], rank=None, award_title="Pimpinan Terbaik")
    with pytest.raises(ValidationFailed) as err:
        fill_template(_template(title="Peringkat {rank}"), prize, COMMISSION)
    assert "{rank}" in err.value.message
    assert prize.serial in err.value.message


def test_a_batch_needs_a_template_for_every_award_kind() -> None:
    partial = {AwardKind.INFORMATIF: DEFAULT_TEMPLATES[AwardKind.INFORMATIF]}
    with pytest.raises(ValidationFailed, match="peringkat"):
        check_templates(partial, [AwardKind.INFORMATIF, AwardKind.PERINGKAT])


def test_a_batch_with_a_bad_template_names_the_award_kind() -> None:
    templates = {**DEFAULT_TEMPLATES, AwardKind.SPECIAL: _template(title="{judul}")}
    with pytest.raises(ValidationFailed) as err:
        check_templates(templates, [AwardKind.SPECIAL])
    assert err.value.message.startswith("Templat 'khusus'")
    assert "{judul}" in err.value.field_errors["title"]


@given(st.text(max_size=80))
def test_checking_any_text_gives_errors_or_nothing_but_never_crashes(text: str) -> None:
    errors = template_errors(_template(title=text, body_text=text))
    if not errors:
        fill_template(_template(title=text, body_text=text), sample_award_list()[0], COMMISSION)
