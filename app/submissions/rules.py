"""Pure rules of a body's SAQ: reading answers, progress, completeness, who fills what, and the
receipt manifest. No database: services pass plain data in.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.accounts.rules import Actor, Role
from app.questionnaires.rules import ItemSpec
from app.verification import rules as scoring
from app.verification.rules import NO, YES, AnswerType

MAX_TEXT = 5000
EMPTY = "empty"
MISSING_EVIDENCE = "missing_evidence"
ANSWERED = "answered"
STATUS_LABELS = {
    EMPTY: "Belum diisi",
    MISSING_EVIDENCE: "Bukti belum ada",
    ANSWERED: "Terisi",
}
NEEDS_FILE = ("file",)
NEEDS_LINK = ("link",)
NEEDS_ANY = ("file_or_link",)


# --- answers -------------------------------------------------------------------------------


def scoring_item(spec: ItemSpec, indicator_code: str) -> scoring.Item:
    """The questionnaire item as the scoring rules see it (choice fractions scaled)."""
    return scoring.Item(
        code=spec.code,
        indicator_code=indicator_code,
        weight=spec.weight,
        answer_type=AnswerType(spec.answer_type),
        options=tuple(
            scoring.ChoiceOption(o.label, int(o.fraction * scoring.FRACTION_SCALE))
            for o in spec.options
        ),
    )


@dataclass(frozen=True)
class CleanAnswer:
    """What is stored for one answer: `declared` (None = empty), the text and its raw credit."""

    declared: str | None
    text_value: str
    declared_credit_scaled: int


def clean_answer(
    spec: ItemSpec, indicator_code: str, value: str | None, text: str = ""
) -> CleanAnswer:
    """Read a posted answer for `spec`; raises ValueError with a plain message when impossible.

    yes_no takes "Ya"/"Tidak" (any case), choice an option label, text_and_evidence the text.
    An empty value clears the answer.
    """
    value = (value or "").strip()
    text = text.strip()
    item = scoring_item(spec, indicator_code)
    declared: str | None
    if item.answer_type == AnswerType.YES_NO:
        lowered = value.lower()
        declared = {"ya": YES, "tidak": NO, "": None}.get(lowered, value)
        text = ""
    elif item.answer_type == AnswerType.CHOICE:
        declared = value or None
        text = ""
    else:
        if len(text) > MAX_TEXT:
            raise ValueError(f"Uraian paling panjang {MAX_TEXT} karakter.")
        declared = text[:200] or None
    errors = scoring.answer_errors(item, scoring.Answer(spec.code, declared))
    if errors:
        raise ValueError(errors[0])
    credit = scoring.item_credit_scaled(
        item, scoring.Answer(spec.code, declared), scoring.Basis.RAW
    )
    return CleanAnswer(declared, text, credit)


# --- progress and completeness ----------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    """One item of a body's SAQ as it stands: the answer and how much evidence it has."""

    item_id: int
    code: str
    indicator_id: int
    evidence_kind: str
    declared: str | None = None
    credit_scaled: int = 0
    files: int = 0
    links: int = 0

    @property
    def is_answered(self) -> bool:
        return self.declared is not None

    @property
    def lacks_evidence(self) -> bool:
        """A credited answer ("Ya", a scoring option, a text) without the evidence it needs."""
        if not self.is_answered or self.credit_scaled <= 0:
            return False
        if self.evidence_kind in NEEDS_FILE:
            return self.files == 0
        if self.evidence_kind in NEEDS_LINK:
            return self.links == 0
        if self.evidence_kind in NEEDS_ANY:
            return self.files == 0 and self.links == 0
        return False

    @property
    def status(self) -> str:
        if not self.is_answered:
            return EMPTY
        return MISSING_EVIDENCE if self.lacks_evidence else ANSWERED


@dataclass(frozen=True)
class Progress:
    """Counts of items: all, answered (evidence complete), "Ya" lacking evidence, empty."""

    total: int = 0
    answered: int = 0
    missing_evidence: int = 0
    empty: int = 0

    @property
    def percent(self) -> int:
        """Share of items answered with their evidence, rounded down (100 only when done)."""
        return 100 * self.answered // self.total if self.total else 0

    @property
    def is_complete(self) -> bool:
        return self.answered == self.total

    def __add__(self, other: Progress) -> Progress:
        return Progress(
            self.total + other.total,
            self.answered + other.answered,
            self.missing_evidence + other.missing_evidence,
            self.empty + other.empty,
        )


def progress_of(states: Iterable[ItemState]) -> Progress:
    """Counts of the given items by status."""
    counts = {EMPTY: 0, MISSING_EVIDENCE: 0, ANSWERED: 0}
    total = 0
    for s in states:
        counts[s.status] += 1
        total += 1
    return Progress(total, counts[ANSWERED], counts[MISSING_EVIDENCE], counts[EMPTY])


def progress_by_indicator(
    indicator_ids: Sequence[int], states: Iterable[ItemState]
) -> tuple[dict[int, Progress], Progress]:
    """Per indicator (in the given order) and overall progress."""
    grouped: dict[int, list[ItemState]] = {i: [] for i in indicator_ids}
    for s in states:
        grouped.setdefault(s.indicator_id, []).append(s)
    per = {i: progress_of(grouped[i]) for i in grouped}
    overall = sum(per.values(), Progress())
    return per, overall


@dataclass(frozen=True)
class Completeness:
    """Items a body should look at before submitting (submit is still allowed: they score 0)."""

    empty: tuple[str, ...] = ()
    missing_evidence: tuple[str, ...] = ()

    @property
    def is_complete(self) -> bool:
        return not self.empty and not self.missing_evidence


def completeness(states: Iterable[ItemState]) -> Completeness:
    """Codes of empty items and of credited answers lacking the evidence they need."""
    states = list(states)
    return Completeness(
        empty=tuple(s.code for s in states if s.status == EMPTY),
        missing_evidence=tuple(s.code for s in states if s.status == MISSING_EVIDENCE),
    )


# --- team work -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentView:
    """Who an indicator was given to: a PPID pelaksana unit or a named operator of the body."""

    indicator_id: int
    unit_id: int | None = None
    user_id: int | None = None


def is_lead(actor: Actor, body_id: int, assignments: Iterable[AssignmentView]) -> bool:
    """The PPID utama team: the atasan PPID, and the body's operators not given named tasks."""
    if actor.acts_for_body(body_id, Role.ATASAN_PPID):
        return True
    if not actor.acts_for_body(body_id, Role.OPERATOR):
        return False
    return not any(a.user_id == actor.user_id for a in assignments)


def fillable_indicators(
    actor: Actor,
    body_id: int,
    indicator_ids: Iterable[int],
    assignments: Iterable[AssignmentView],
) -> set[int]:
    """The indicators the actor may fill: all for the lead, else only those given to them."""
    assignments = list(assignments)
    ids = set(indicator_ids)
    if is_lead(actor, body_id, assignments):
        return ids
    mine = {
        a.indicator_id
        for a in assignments
        if (a.user_id is not None and a.user_id == actor.user_id)
        or (a.unit_id is not None and actor.acts_for_body(a.unit_id, Role.OPERATOR))
    }
    return ids & mine


# --- receipt manifest ----------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestEntry:
    """One frozen answer: its value, text, evidence files (sha256) and links."""

    item_code: str
    declared: str | None
    text_value: str = ""
    files: tuple[tuple[str, str], ...] = ()  # (sha256, file name)
    links: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "item": self.item_code,
            "declared": self.declared,
            "text": self.text_value,
            "files": [{"sha256": h, "name": n} for h, n in sorted(self.files)],
            "links": sorted(self.links),
        }


@dataclass(frozen=True)
class Manifest:
    """The frozen SAQ of a body, canonically serialised; its sha256 goes on the receipt."""

    body_id: int
    cycle_id: int
    entries: tuple[ManifestEntry, ...] = field(default_factory=tuple)

    def canonical(self) -> bytes:
        data = {
            "body_id": self.body_id,
            "cycle_id": self.cycle_id,
            "answers": [
                e.as_dict() for e in sorted(self.entries, key=lambda e: code_key(e.item_code))
            ],
        }
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Sort `2.10` after `2.9`: numbers by value, other parts as text."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


def counts_per_indicator(
    indicators: Sequence[tuple[int, str, str]], per: Mapping[int, Progress]
) -> list[tuple[str, str, Progress]]:
    """(code, name, progress) per indicator in questionnaire order, for the receipt."""
    return [(code, name, per.get(i, Progress())) for i, code, name in indicators]


# --- evidence export -----------------------------------------------------------------------

_UNSAFE = re.compile(r"[^0-9A-Za-z._ -]+")


def archive_name(item_code: str, file_id: int, original_name: str) -> str:
    """A safe path inside the ZIP: `<item code>/<file id>-<name>` (no separators or controls)."""
    name = unicodedata.normalize("NFKD", original_name).encode("ascii", "ignore").decode()
    name = _UNSAFE.sub("_", name).strip(" .") or "berkas"
    folder = _UNSAFE.sub("_", item_code).strip(" .") or "tanpa-butir"
    return f"{folder}/{file_id}-{name[:120]}"


def next_action(
    *,
    status: str,
    overall: Progress,
    stage_open: bool,
    is_lead: bool,
    is_atasan: bool,
    is_manager: bool,
    requires_approval: bool,
) -> str:
    """The one thing the person on the page should do next, in plain words."""
    if status == "submitted":
        return "SAQ sudah terkirim. Unduh tanda terima dan simpan sebagai bukti."
    if status == "awaiting_approval":
        if is_atasan:
            return "Periksa SAQ lalu setujui pengiriman atau kembalikan ke tim dengan catatan."
        return "SAQ menunggu persetujuan atasan PPID."
    if is_manager and not is_lead:
        return "SAQ masih draf di badan publik."
    if not stage_open:
        return "Tahap SAQ tidak sedang terbuka untuk badan publik ini; jawaban tidak dapat diubah."
    if overall.empty:
        return f"Isi {overall.empty} butir yang masih kosong."
    if overall.missing_evidence:
        return f"Lengkapi bukti pada {overall.missing_evidence} butir berjawaban Ya."
    if is_lead:
        if requires_approval and not is_atasan:
            return "Semua butir terisi. Kirim SAQ kepada atasan PPID untuk disetujui."
        return "Semua butir terisi. Periksa sekali lagi, lalu kirim SAQ."
    return "Tugas Anda lengkap. PPID utama akan mengirim SAQ."
