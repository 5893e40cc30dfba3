"""Certificate templates as data: per award type a title and a body text with `{merge_field}`
placeholders; validation with plain-language errors, and filling them for one certificate."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.certificates.rules import AwardKind, CertificateData, fmt_date_id, fmt_score
from app.errors import ValidationFailed

# The merge fields a template may use, with what each one prints (shown to template editors).
MERGE_FIELDS: dict[str, str] = {
    "body": "nama badan publik",
    "category": "kategori",
    "qualification": "kualifikasi (mis. Informatif)",
    "score": "nilai akhir, mis. 94,74",
    "rank": "peringkat dalam kategori",
    "year": "tahun monev",
    "decree_number": "nomor SK hasil monev",
    "place": "tempat penetapan",
    "date": "tanggal, mis. 17 Desember 2024",
    "signatory_name": "nama penanda tangan",
    "signatory_title": "jabatan penanda tangan",
    "award_title": "nama penghargaan",
    "commission": "nama komisi informasi",
}

MAX_TITLE_CHARS = 160
MAX_BODY_TEXT_CHARS = 700


@dataclass(frozen=True)
class CertificateTemplate:
    """The words of one award type's certificate; `{field}` placeholders are merge fields."""

    kind: AwardKind
    title: str
    body_text: str


_DECREE = "berdasarkan Keputusan {commission} Nomor {decree_number}."
_MONEV = "Monitoring dan Evaluasi Keterbukaan Informasi Publik Tahun {year}"

DEFAULT_TEMPLATES: dict[AwardKind, CertificateTemplate] = {
    AwardKind.PERINGKAT: CertificateTemplate(
        kind=AwardKind.PERINGKAT,
        title="Peringkat {rank} Kategori {category}",
        body_text=(
            "sebagai Badan Publik dengan kualifikasi {qualification} dan nilai {score} "
            f"dalam {_MONEV}, {_DECREE}"
        ),
    ),
    AwardKind.INDICATOR: CertificateTemplate(
        kind=AwardKind.INDICATOR,
        title="{award_title}",
        body_text=(
            "atas capaian terbaik pada indikator ini di antara Badan Publik kategori "
            f"{{category}} dalam {_MONEV}, {_DECREE}"
        ),
    ),
    AwardKind.SPECIAL: CertificateTemplate(
        kind=AwardKind.SPECIAL,
        title="{award_title}",
        body_text=(
            "atas dedikasi dan komitmen dalam mewujudkan keterbukaan informasi publik "
            f"pada {_MONEV}, {_DECREE}"
        ),
    ),
    AwardKind.INFORMATIF: CertificateTemplate(
        kind=AwardKind.INFORMATIF,
        title="Badan Publik {qualification}",
        body_text=(
            "atas capaian kualifikasi {qualification} dengan nilai {score} pada kategori "
            f"{{category}} dalam {_MONEV}, {_DECREE}"
        ),
    ),
}


def _allowed_list() -> str:
    return ", ".join("{" + name + "}" for name in MERGE_FIELDS)


def placeholders(text: str) -> list[str]:
    """The merge fields used in `text`, in order; ValueError when the braces are malformed."""
    names: list[str] = []
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"{{{name}}} tidak boleh memakai format khusus")
        names.append(name)
    return names


def _text_errors(text: str, label: str, limit: int) -> str | None:
    if not text.strip():
        return f"{label} wajib diisi."
    if len(text) > limit:
        return f"{label} terlalu panjang (lebih dari {limit} karakter)."
    try:
        names = placeholders(text)
    except ValueError as exc:
        return (
            f"{label} memuat kurung kurawal yang salah ({exc}). Tulis kolom isian sebagai "
            "{nama_kolom}; untuk kurung kurawal biasa tulis {{ atau }}."
        )
    unknown = sorted({n for n in names if n not in MERGE_FIELDS})
    if unknown:
        shown = ", ".join("{" + n + "}" for n in unknown)
        return f"Kolom isian tidak dikenal: {shown}. Kolom yang tersedia: {_allowed_list()}."
    return None


def template_errors(template: CertificateTemplate) -> dict[str, str]:
    """Problems of a template by form field (`title`, `body_text`); empty when it is usable."""
    errors: dict[str, str] = {}
    for field, label, limit in (
        ("title", "Judul penghargaan", MAX_TITLE_CHARS),
        ("body_text", "Teks piagam", MAX_BODY_TEXT_CHARS),
    ):
        problem = _text_errors(getattr(template, field), label, limit)
        if problem:
            errors[field] = problem
    return errors


def validate_template(template: CertificateTemplate) -> None:
    """Raise ValidationFailed naming the bad placeholders and listing the allowed ones."""
    errors = template_errors(template)
    if errors:
        raise ValidationFailed(" ".join(errors.values()), field_errors=errors)


def merge_values(cert: CertificateData, commission: str) -> dict[str, str]:
    """The printed text of every merge field for one certificate."""
    return {
        "body": cert.body,
        "category": cert.category,
        "qualification": cert.qualification,
        "score": fmt_score(cert.score),
        "rank": "" if cert.rank is None else str(cert.rank),
        "year": str(cert.year),
        "decree_number": cert.decree_number,
        "place": cert.place,
        "date": fmt_date_id(cert.issued_on),
        "signatory_name": cert.signatory_name,
        "signatory_title": cert.signatory_title,
        "award_title": cert.award_title,
        "commission": commission,
    }


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with its placeholders replaced (the template must have been validated)."""
    return text.format_map(values)


@dataclass(frozen=True)
class FilledTemplate:
    title: str
    body_text: str


def fill_template(
    template: CertificateTemplate, cert: CertificateData, commission: str
) -> FilledTemplate:
    """The title and body text of one certificate; ValidationFailed if a used field is empty."""
    values = merge_values(cert, commission)
    used = placeholders(template.title) + placeholders(template.body_text)
    empty = sorted({n for n in used if not values[n].strip()})
    if empty:
        shown = ", ".join("{" + n + "}" for n in empty)
        raise ValidationFailed(
            f"Piagam {cert.serial} ({cert.body}): templat '{AwardKind(template.kind).value}' "
            f"memakai {shown}, tetapi datanya kosong untuk penghargaan ini."
        )
    return FilledTemplate(fill(template.title, values), fill(template.body_text, values))


def check_templates(
    templates: Mapping[AwardKind, CertificateTemplate], kinds: Sequence[AwardKind]
) -> None:
    """Every template is valid and every award kind in a batch has one."""
    missing = sorted({k.value for k in kinds if k not in templates})
    if missing:
        raise ValidationFailed("Templat piagam belum ada untuk jenis: " + ", ".join(missing) + ".")
    for kind in sorted(set(kinds)):
        try:
            validate_template(templates[kind])
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"Templat '{kind.value}': {exc.message}", field_errors=exc.field_errors
            ) from None
