"""Pure rules of questionnaires: the file shape, row checks, options, category applicability.

A questionnaire file has one row per node: indicators (weights in percent of the SAQ, summing
to 100), groups (headings) and items (weights relative within their indicator). `applies_to`
is `all` or category codes of the cycle; an unknown code is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from app.questionnaires.models import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES

COLUMNS = [
    "code",
    "parent",
    "kind",
    "text",
    "weight",
    "answer_type",
    "options",
    "evidence",
    "file_types",
    "applies_to",
    "guidance",
    "keywords",
    "max_file_mb",
    "max_files",
]
REQUIRED_COLUMNS = ["code", "parent", "kind", "text", "weight"]

KINDS = {"indicator": "Indikator", "group": "Kelompok", "item": "Butir"}
ANSWER_TYPES = {
    "yes_no": "Ya/Tidak",
    "choice": "Pilihan dengan nilai per opsi",
    "text_and_evidence": "Uraian teks dan bukti",
}
EVIDENCE_KINDS = {
    "none": "Tanpa bukti",
    "file": "Unggah berkas",
    "link": "Tautan",
    "file_or_link": "Berkas atau tautan",
}
FILE_EVIDENCE = ("file", "file_or_link")
FILE_TYPES = (
    "pdf",
    "jpg",
    "jpeg",
    "png",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "csv",
    "odt",
    "ods",
    "ppt",
    "pptx",
    "mp4",
)
CODE_RE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")
MAX_FILE_MB = Decimal(50)
MAX_FILES = 20
MAX_ITEM_WEIGHT = 1000
MAX_TEXT = 2000
MAX_TITLE = 300
MB = 1024 * 1024


# --- options and small parsers -----------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """A choice answer and the credit (0–1) it earns."""

    label: str
    fraction: Decimal


def parse_options(text: str) -> tuple[Option, ...]:
    """`<= 1 bulan:1.0|> 6 bulan:0` → options; raises ValueError with a plain message."""
    options: list[Option] = []
    for part in (p.strip() for p in text.split("|")):
        if not part:
            continue
        label, sep, frac = part.rpartition(":")
        if not sep or not label.strip():
            raise ValueError(f"Opsi {part!r} harus berbentuk 'label:nilai', mis. 'Ya:1'.")
        try:
            value = Decimal(frac.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"Nilai opsi {label.strip()!r} harus angka 0–1.") from None
        if not (Decimal(0) <= value <= Decimal(1)):
            raise ValueError(f"Nilai opsi {label.strip()!r} harus antara 0 dan 1.")
        options.append(Option(label.strip(), value))
    if len(options) < 2:
        raise ValueError("Butir pilihan butuh minimal dua opsi, dipisah '|'.")
    if len({o.label for o in options}) != len(options):
        raise ValueError("Label opsi tidak boleh ganda.")
    if max(o.fraction for o in options) != Decimal(1):
        raise ValueError("Minimal satu opsi harus bernilai 1 agar butir dapat bernilai penuh.")
    return tuple(options)


def format_options(options: Iterable[Option]) -> str:
    return "|".join(f"{o.label}:{_plain(o.fraction)}" for o in options)


def options_to_json(options: Iterable[Option]) -> list[dict[str, str]]:
    return [{"label": o.label, "fraction": str(o.fraction)} for o in options]


def options_from_json(data: Iterable[dict[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(d["label"], Decimal(d["fraction"])) for d in data)


def split_list(text: str) -> list[str]:
    """Split `a, b; c` into distinct, trimmed parts (order kept)."""
    parts = [p.strip() for p in re.split(r"[,;|]", text or "")]
    return list(dict.fromkeys(p for p in parts if p))


def parse_scope(text: str) -> list[str]:
    """`all` or empty → [] (every category); else the listed category codes."""
    codes = split_list(text)
    return [] if not codes or codes == ["all"] else codes


def format_scope(codes: Sequence[str]) -> str:
    return ",".join(codes) if codes else "all"


def format_mb(nbytes: int) -> str:
    return _plain((Decimal(nbytes) / MB).quantize(Decimal("0.1")))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


# --- rows of a questionnaire file --------------------------------------------------------------


@dataclass
class NodeRow:
    """One line of a questionnaire file, or one node edited in the browser (all text)."""

    line: int
    code: str
    parent: str
    kind: str
    text: str
    weight: str = ""
    answer_type: str = ""
    options: str = ""
    evidence: str = ""
    file_types: str = ""
    applies_to: str = ""
    guidance: str = ""
    keywords: str = ""
    max_file_mb: str = ""
    max_files: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_mapping(cls, line: int, data: dict[str, str]) -> NodeRow:
        row = cls(line=line, code="", parent="", kind="", text="")
        for c in COLUMNS:
            setattr(row, c, str(data.get(c) or "").strip())
        return row

    def as_mapping(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in COLUMNS}

    @property
    def messages(self) -> list[str]:
        return [m for _, m in self.errors]

    def error(self, fld: str, message: str) -> None:
        self.errors.append((fld, message))


@dataclass(frozen=True)
class CheckedNode:
    """A valid row turned into typed values (what the service stores)."""

    code: str
    parent: str
    kind: str
    text: str
    weight: int | None
    answer_type: str
    options: tuple[Option, ...]
    evidence_kind: str
    file_types: tuple[str, ...]
    category_codes: tuple[str, ...]
    guidance: str
    keywords: tuple[str, ...]
    max_file_bytes: int
    max_files: int


def check_rows(rows: Sequence[NodeRow], category_codes: set[str]) -> list[str]:
    """Check every row (errors go on the row) and return the problems of the file as a whole."""
    codes: dict[str, NodeRow] = {}
    for r in rows:
        if r.code and r.code in codes:
            r.error("code", f"Kode {r.code} ganda (sama dengan baris {codes[r.code].line}).")
        elif r.code:
            codes[r.code] = r
    for r in rows:
        _check_row(r, codes, category_codes)
    return structure_errors(rows, category_codes)


def _check_row(r: NodeRow, codes: dict[str, NodeRow], category_codes: set[str]) -> None:
    if not r.code:
        r.error("code", "Kode wajib diisi (mis. 2.1.4).")
    elif not CODE_RE.match(r.code):
        r.error("code", f"Kode {r.code!r} tidak valid: gunakan angka/huruf dipisah titik.")
    if r.kind not in KINDS:
        r.error("kind", f"Jenis {r.kind!r} tidak dikenal: pilih indicator, group atau item.")
        return
    limit = MAX_TEXT if r.kind == "item" else MAX_TITLE
    if not r.text:
        r.error("text", "Teks wajib diisi.")
    elif len(r.text) > limit:
        r.error("text", f"Teks terlalu panjang (maks. {limit} karakter).")
    _check_parent(r, codes)
    _check_weight(r)
    _check_scope(r, codes, category_codes)
    if r.kind == "item":
        _check_item(r)
    else:
        for fld in ("answer_type", "options", "evidence", "file_types", "keywords"):
            if getattr(r, fld):
                r.error(fld, f"Kolom {fld} hanya untuk butir (item).")


def _check_parent(r: NodeRow, codes: dict[str, NodeRow]) -> None:
    if r.kind == "indicator":
        if r.parent:
            r.error("parent", "Indikator tidak memiliki induk; kosongkan kolom parent.")
        return
    if not r.parent:
        r.error("parent", "Isi induk: kode indikator atau kelompok.")
        return
    parent = codes.get(r.parent)
    if parent is None:
        r.error("parent", f"Induk {r.parent!r} tidak ada di kuesioner.")
    elif parent.kind not in ("indicator", "group"):
        r.error("parent", f"Induk {r.parent} adalah butir; induk harus indikator atau kelompok.")
    elif parent.code == r.code:
        r.error("parent", "Baris tidak boleh menjadi induknya sendiri.")
    elif r.kind == "group" and _indicator_of(r, codes) is None:
        r.error("parent", "Rantai induk kelompok berputar dan tidak berujung di indikator.")


def _indicator_of(r: NodeRow, codes: dict[str, NodeRow]) -> NodeRow | None:
    seen: set[str] = set()
    node: NodeRow | None = r
    while node is not None and node.kind != "indicator":
        if node.code in seen:
            return None
        seen.add(node.code)
        node = codes.get(node.parent)
    return node


def _check_weight(r: NodeRow) -> None:
    if r.kind == "group":
        if r.weight:
            r.error("weight", "Kelompok tidak berbobot; bobot ada pada indikator dan butir.")
        return
    if not r.weight:
        r.error("weight", "Bobot wajib diisi (bilangan bulat).")
        return
    try:
        w = int(r.weight)
    except ValueError:
        r.error("weight", f"Bobot {r.weight!r} harus bilangan bulat.")
        return
    if r.kind == "indicator" and not 1 <= w <= 100:
        r.error("weight", "Bobot indikator harus 1–100 (persen dari nilai SAQ).")
    if r.kind == "item" and not 1 <= w <= MAX_ITEM_WEIGHT:
        r.error("weight", f"Bobot butir harus 1–{MAX_ITEM_WEIGHT}.")


def _check_scope(r: NodeRow, codes: dict[str, NodeRow], category_codes: set[str]) -> None:
    scope = parse_scope(r.applies_to)
    unknown = [c for c in scope if c not in category_codes]
    if unknown:
        known = ", ".join(sorted(category_codes)) or "belum ada kategori di siklus ini"
        r.error(
            "applies_to",
            f"Kategori tidak dikenal: {', '.join(unknown)} (yang ada: {known}).",
        )
        return
    if not scope:
        return
    ancestor, allowed = _ancestor_scope(r, codes)
    if ancestor is not None and allowed is not None:
        outside = [c for c in scope if c not in allowed]
        if outside:
            r.error(
                "applies_to",
                f"Berlaku untuk {', '.join(outside)} padahal induknya ({ancestor}) tidak.",
            )


def _ancestor_scope(r: NodeRow, codes: dict[str, NodeRow]) -> tuple[str | None, set[str] | None]:
    """The nearest restricted ancestor and where all ancestors together apply (None: all)."""
    allowed: set[str] | None = None
    nearest: str | None = None
    seen: set[str] = {r.code}
    node = codes.get(r.parent) if r.parent else None
    while node is not None and node.code not in seen:
        seen.add(node.code)
        scope = parse_scope(node.applies_to)
        if scope:
            nearest = nearest or node.code
            allowed = set(scope) if allowed is None else allowed & set(scope)
        node = codes.get(node.parent) if node.parent else None
    return nearest, allowed


def _check_item(r: NodeRow) -> None:
    answer = r.answer_type or "yes_no"
    if answer not in ANSWER_TYPES:
        r.error(
            "answer_type",
            f"Jenis jawaban {answer!r} tidak dikenal: yes_no, choice, text_and_evidence.",
        )
    if answer == "choice":
        try:
            parse_options(r.options)
        except ValueError as exc:
            r.error("options", str(exc))
    elif r.options:
        r.error("options", "Opsi hanya untuk jenis jawaban choice.")
    evidence = r.evidence or "none"
    if evidence not in EVIDENCE_KINDS:
        r.error(
            "evidence",
            f"Jenis bukti {evidence!r} tidak dikenal: file, link, file_or_link atau kosong.",
        )
    elif answer == "text_and_evidence" and evidence == "none":
        r.error("evidence", "Butir teks dan bukti harus meminta bukti (file, link atau keduanya).")
    types = [t.lower().lstrip(".") for t in split_list(r.file_types)]
    if types and evidence not in FILE_EVIDENCE:
        r.error("file_types", "Jenis berkas hanya berlaku bila bukti berupa berkas.")
    bad = [t for t in types if t not in FILE_TYPES]
    if bad:
        r.error("file_types", f"Jenis berkas tidak didukung: {', '.join(bad)}.")
    if r.max_file_mb:
        try:
            mb = Decimal(r.max_file_mb.replace(",", "."))
            if not (Decimal(0) < mb <= MAX_FILE_MB):
                raise InvalidOperation
        except InvalidOperation:
            r.error(
                "max_file_mb", f"Ukuran maksimum per berkas harus angka > 0 dan ≤ {MAX_FILE_MB} MB."
            )
    if r.max_files and (not r.max_files.isdigit() or not 1 <= int(r.max_files) <= MAX_FILES):
        r.error("max_files", f"Jumlah berkas per butir harus 1–{MAX_FILES}.")


def structure_errors(rows: Sequence[NodeRow], category_codes: set[str]) -> list[str]:
    """Problems of the file as a whole: no indicators, empty indicators, weights not 100."""
    errors: list[str] = []
    indicators = [r for r in rows if r.kind == "indicator"]
    if not indicators:
        return ["Kuesioner belum memiliki indikator."]
    codes = {r.code: r for r in rows if r.code}
    with_items = set()
    for r in rows:
        if r.kind == "item":
            ind = _indicator_of(r, codes)
            if ind is not None:
                with_items.add(ind.code)
    for ind in indicators:
        if ind.code not in with_items:
            errors.append(f"Indikator {ind.code} ({ind.text}) belum memiliki butir.")
    errors += indicator_weight_errors(
        [(_int(r.weight), parse_scope(r.applies_to)) for r in indicators], category_codes
    )
    return errors


def indicator_weight_errors(
    indicators: Sequence[tuple[int, Sequence[str]]], category_codes: set[str]
) -> list[str]:
    """Indicator weights must total 100 for every category they are scoped to."""
    if all(not scope for _, scope in indicators):
        total = sum(w for w, _ in indicators)
        return [] if total == 100 else [f"Jumlah bobot indikator harus 100 (sekarang {total})."]
    # Only categories an indicator names are checked here: whether the others are served at
    # all is decided by linking categories to questionnaires (the cycle's readiness checks it).
    named = {c for _, scope in indicators for c in scope}
    errors = []
    for code in sorted(named & category_codes):
        applying = [w for w, scope in indicators if not scope or code in scope]
        if applying and sum(applying) != 100:
            errors.append(
                f"Jumlah bobot indikator untuk kategori {code} harus 100 "
                f"(sekarang {sum(applying)})."
            )
    return errors


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def to_node(r: NodeRow) -> CheckedNode:
    """Typed values of a row that passed `check_rows`."""
    evidence = r.evidence or "none"
    types = tuple(t.lower().lstrip(".") for t in split_list(r.file_types))
    if r.kind == "item" and evidence in FILE_EVIDENCE and not types:
        types = ("pdf",)
    mb = Decimal(r.max_file_mb.replace(",", ".")) if r.max_file_mb else None
    return CheckedNode(
        code=r.code,
        parent=r.parent,
        kind=r.kind,
        text=r.text,
        weight=int(r.weight) if r.weight else None,
        answer_type=(r.answer_type or "yes_no") if r.kind == "item" else "",
        options=parse_options(r.options) if r.answer_type == "choice" else (),
        evidence_kind=evidence if r.kind == "item" else "none",
        file_types=types,
        category_codes=tuple(parse_scope(r.applies_to)),
        guidance=r.guidance,
        keywords=tuple(split_list(r.keywords)),
        max_file_bytes=int(mb * MB) if mb is not None else DEFAULT_MAX_FILE_BYTES,
        max_files=int(r.max_files) if r.max_files else DEFAULT_MAX_FILES,
    )


# --- the questionnaire as data (what other domains read) ---------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """An item as a body sees it; `categories` None means every category of the cycle."""

    id: int
    code: str
    text: str
    weight: int
    answer_type: str
    options: tuple[Option, ...] = ()
    evidence_kind: str = "none"
    file_types: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_files: int = DEFAULT_MAX_FILES
    guidance: str = ""
    keywords: tuple[str, ...] = ()
    categories: frozenset[str] | None = None
    group_code: str = ""
    group_title: str = ""
    is_removed: bool = False
    indicator_id: int = 0

    def applies_to(self, category_code: str) -> bool:
        return not self.is_removed and (self.categories is None or category_code in self.categories)

    @property
    def needs_file(self) -> bool:
        return self.evidence_kind in FILE_EVIDENCE

    @property
    def max_file_mb_text(self) -> str:
        """`2` or `0,5` (megabytes, for pages)."""
        return format_mb(self.max_file_bytes).replace(".", ",")


@dataclass(frozen=True)
class IndicatorSpec:
    id: int
    code: str
    name: str
    weight: int
    guidance: str = ""
    categories: frozenset[str] | None = None
    items: tuple[ItemSpec, ...] = ()

    def applies_to(self, category_code: str) -> bool:
        return self.categories is None or category_code in self.categories

    @property
    def item_weight_total(self) -> int:
        return sum(i.weight for i in self.items if not i.is_removed)


@dataclass(frozen=True)
class QuestionnaireSpec:
    """A questionnaire as data; `for_category` keeps only what one category answers."""

    id: int
    name: str
    version: int
    indicators: tuple[IndicatorSpec, ...]

    def for_category(self, category_code: str) -> QuestionnaireSpec:
        return replace(
            self,
            indicators=tuple(
                replace(ind, items=tuple(i for i in ind.items if i.applies_to(category_code)))
                for ind in self.indicators
                if ind.applies_to(category_code)
            ),
        )

    @property
    def items(self) -> tuple[ItemSpec, ...]:
        return tuple(i for ind in self.indicators for i in ind.items)


def intersect_scopes(*scopes: Sequence[str]) -> frozenset[str] | None:
    """Where a node applies given its own scope and its parents' (empty = all categories)."""
    result: frozenset[str] | None = None
    for s in scopes:
        if s:
            result = frozenset(s) if result is None else result & frozenset(s)
    return result


def category_problems(spec: QuestionnaireSpec, category_code: str, category_name: str) -> list[str]:
    """Why `spec` cannot yet score bodies of one category (empty when it can)."""
    mine = spec.for_category(category_code)
    if not mine.indicators:
        return [f"Kuesioner {spec.name} tidak memiliki indikator untuk kategori {category_name}."]
    problems = []
    total = sum(i.weight for i in mine.indicators)
    if total != 100:
        problems.append(
            f"Bobot indikator kuesioner {spec.name} untuk kategori {category_name} berjumlah "
            f"{total}, harus 100."
        )
    for ind in mine.indicators:
        if not ind.items:
            problems.append(
                f"Indikator {ind.code} ({ind.name}) tidak memiliki butir yang berlaku untuk "
                f"kategori {category_name}."
            )
    return problems
