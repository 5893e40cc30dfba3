"""Pure rules of a cycle: stages and their order, scoring configuration, bands, shortlist.

Bands are per-cycle data. A band covers scores from `min_score` (inclusive) up to the next
band's `min_score` (exclusive); the lowest band starts at 0, so bands cover 0–100 without gap
or overlap by construction once they are sorted and start at 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

K = TypeVar("K")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
TWO_PLACES = Decimal("0.01")


def publish_round(score: Decimal) -> Decimal:
    """Round half-up to 2 decimals: the published score, which decides ranks and bands."""
    return score.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Band:
    """A qualification band: `name` for published scores ≥ `min_score`."""

    name: str
    min_score: Decimal


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("Informatif", Decimal(90)),
    Band("Menuju Informatif", Decimal(80)),
    Band("Cukup Informatif", Decimal(60)),
    Band("Kurang Informatif", Decimal(40)),
    Band("Tidak Informatif", Decimal(0)),
)


def band_errors(bands: Sequence[Band]) -> list[str]:
    """Plain-language problems with a band table (empty when it covers 0–100 exactly once)."""
    errors: list[str] = []
    if not bands:
        return ["Tentukan minimal satu kualifikasi."]
    names = [b.name.strip() for b in bands]
    if any(not n for n in names):
        errors.append("Setiap kualifikasi harus bernama.")
    if len(set(names)) != len(names):
        errors.append("Nama kualifikasi tidak boleh ganda.")
    mins = [b.min_score for b in bands]
    if any(m < ZERO or m > HUNDRED for m in mins):
        errors.append("Batas bawah kualifikasi harus antara 0 dan 100.")
    if any(m != m.quantize(TWO_PLACES) for m in mins if m.is_finite()):
        errors.append("Batas bawah kualifikasi paling banyak dua desimal, seperti nilai terbit.")
    if len(set(mins)) != len(mins):
        errors.append("Dua kualifikasi memiliki batas bawah yang sama (tumpang tindih).")
    if ZERO not in mins:
        errors.append("Kualifikasi terendah harus mulai dari 0 agar tidak ada celah.")
    return errors


def qualify(published_score: Decimal, bands: Sequence[Band]) -> str:
    """The band of a published (already rounded) score."""
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if published_score >= band.min_score:
            return band.name
    raise ValueError("bands do not cover the score")


# --- stages --------------------------------------------------------------------------------------

STAGE_CODES: tuple[str, ...] = (
    "registration",
    "saq",
    "verification",
    "clarification",
    "verification_publication",
    "appeal",
    "shortlist",
    "presentation",
    "visitasi",
    "plenary",
    "publication",
    "award",
)

STAGE_LABELS: dict[str, str] = {
    "registration": "Registrasi",
    "saq": "SAQ",
    "verification": "Verifikasi",
    "clarification": "Klarifikasi",
    "verification_publication": "Pengumuman hasil verifikasi",
    "appeal": "Masa sanggah",
    "shortlist": "Penetapan nominasi",
    "presentation": "Presentasi (uji publik)",
    "visitasi": "Visitasi",
    "plenary": "Rapat pleno",
    "publication": "Pengumuman hasil",
    "award": "Penganugerahan",
}

STAGE_HELP: dict[str, str] = {
    "registration": "Badan publik mendaftar atau melengkapi profil dan akun.",
    "saq": "Badan publik mengisi kuesioner penilaian mandiri beserta buktinya.",
    "verification": "Verifikator memeriksa setiap jawaban terhadap buktinya.",
    "clarification": "Verifikator mengajukan pertanyaan klarifikasi kepada badan publik.",
    "verification_publication": "Hasil verifikasi diumumkan kepada setiap badan publik.",
    "appeal": "Badan publik mengajukan sanggahan atas hasil verifikasi.",
    "shortlist": "Komisi menetapkan badan publik yang maju ke presentasi.",
    "presentation": "Pimpinan badan publik mempresentasikan keterbukaan informasinya di panel.",
    "visitasi": "Kunjungan lapangan ke badan publik.",
    "plenary": "Rapat pleno komisi memutuskan hasil.",
    "publication": "Hasil monev diumumkan (SK).",
    "award": "Malam penganugerahan.",
}

# The main line of a cycle; stages present must keep this relative order.
_MAIN_LINE = (
    "registration",
    "saq",
    "verification",
    "verification_publication",
    "appeal",
    "shortlist",
    "presentation",
    "plenary",
    "publication",
    "award",
)


def _precedence() -> frozenset[tuple[str, str]]:
    pairs = {(a, b) for i, a in enumerate(_MAIN_LINE) for b in _MAIN_LINE[i + 1 :]}
    # Clarification runs alongside verification, before its results are published.
    cut = _MAIN_LINE.index("verification")
    pairs |= {(a, "clarification") for a in _MAIN_LINE[: cut + 1]}
    pairs |= {("clarification", b) for b in _MAIN_LINE[cut + 1 :]}
    # Visitasi may come before or after the presentation, but after the SAQ and before plenary.
    pairs |= {(a, "visitasi") for a in ("registration", "saq")}
    pairs |= {("visitasi", b) for b in ("plenary", "publication", "award")}
    return frozenset(pairs)


STAGE_PRECEDENCE = _precedence()


@dataclass(frozen=True)
class StagePlan:
    """One stage of a cycle as planned: its code and (once scheduled) its UTC window."""

    code: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @property
    def label(self) -> str:
        return STAGE_LABELS.get(self.code, self.code)

    @property
    def is_scheduled(self) -> bool:
        return self.opens_at is not None and self.closes_at is not None


def stage_label(code: str) -> str:
    return STAGE_LABELS.get(code, code)


def stage_errors(stages: Sequence[StagePlan], *, complete: bool = True) -> list[str]:
    """Plain-language problems with an ordered stage list (order, presence, dates).

    With `complete=False` (saving a plan still being drawn up) unscheduled stages are allowed.
    """
    errors: list[str] = []
    codes = [s.code for s in stages]
    unknown = [c for c in codes if c not in STAGE_LABELS]
    if unknown:
        errors.append("Tahap tidak dikenal: " + ", ".join(unknown) + ".")
    if len(set(codes)) != len(codes):
        errors.append("Setiap tahap hanya boleh dipilih satu kali.")
    if "saq" not in codes:
        errors.append("Tahap SAQ wajib ada: tanpa SAQ tidak ada yang dinilai.")
    pos = {c: i for i, c in enumerate(codes)}
    for a, b in sorted(STAGE_PRECEDENCE, key=lambda p: (pos.get(p[0], 0), pos.get(p[1], 0))):
        if a in pos and b in pos and pos[a] > pos[b]:
            errors.append(f"Tahap {stage_label(a)} harus sebelum tahap {stage_label(b)}.")
    previous: StagePlan | None = None
    for s in stages:
        if not s.is_scheduled:
            if complete:
                errors.append(f"Tahap {s.label} belum diberi waktu buka dan tutup.")
            continue
        assert s.opens_at is not None and s.closes_at is not None
        if s.closes_at <= s.opens_at:
            errors.append(f"Tahap {s.label}: waktu tutup harus setelah waktu buka.")
        if (
            previous is not None
            and previous.opens_at is not None
            and s.opens_at < previous.opens_at
        ):
            errors.append(
                f"Tahap {s.label} dibuka sebelum tahap {previous.label}; "
                "tanggal harus mengikuti urutan tahap."
            )
        previous = s
    return errors


@dataclass(frozen=True)
class StageMoment:
    """Where a cycle stands at one moment: the stage open now (if any) and the next one."""

    current: StagePlan | None
    upcoming: StagePlan | None

    @property
    def countdown_to(self) -> datetime | None:
        """The time a countdown runs to: the close of the open stage, else the next opening."""
        if self.current is not None:
            return self.current.closes_at
        if self.upcoming is not None:
            return self.upcoming.opens_at
        return None


def stage_at(stages: Sequence[StagePlan], now: datetime) -> StageMoment:
    """The stage open at `now` (the furthest one when windows overlap) and the next to open."""
    current: StagePlan | None = None
    for s in stages:
        if s.opens_at is not None and s.closes_at is not None and s.opens_at <= now < s.closes_at:
            current = s
    later = [s for s in stages if s.opens_at is not None and s.opens_at > now]
    upcoming = min(later, key=lambda s: s.opens_at or now) if later else None
    return StageMoment(current=current, upcoming=upcoming)


def effective_close(closes_at: datetime, extensions: Sequence[datetime]) -> datetime:
    """A stage's close for one body: the latest of the stage's own close and its extensions."""
    return max([closes_at, *extensions])


def to_utc(local_text: str, tz: str) -> datetime:
    """`2025-09-19T23:59` typed in the commission's time zone → an aware UTC datetime."""
    text = local_text.strip().replace(" ", "T")
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("Format waktu tidak valid (gunakan tanggal dan jam).") from None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def to_local_input(value: datetime | None, tz: str) -> str:
    """An aware datetime as the value of a `datetime-local` input in the commission's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


# --- scoring configuration ---------------------------------------------------------------------

SAQ = "saq"
COMPONENT_STAGES = {"saq": "saq", "presentation": "presentation", "visitasi": "visitasi"}
COMPONENT_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class NonShortlisted(StrEnum):
    """The final result of a body that was not shortlisted."""

    SAQ_ONLY = "saq_only"
    WEIGHTED_MISSING_ZERO = "weighted_missing_zero"


class NonSubmitter(StrEnum):
    """The result of a target body that never submitted its SAQ."""

    TIDAK_INFORMATIF = "tidak_informatif"
    NOT_ASSESSED = "not_assessed"


class Combine(StrEnum):
    OR = "or"
    AND = "and"


class AwardKind(StrEnum):
    BAND = "band"  # every body in a band (e.g. all Informatif)
    TOP_N = "top_n"  # the best N of each category
    BEST_INDICATOR = "best_indicator"  # the best body on one indicator
    SPECIAL = "special"  # a named prize given by hand


NON_SHORTLISTED_LABELS = {
    NonShortlisted.SAQ_ONLY: "Nilai akhir = nilai SAQ saja",
    NonShortlisted.WEIGHTED_MISSING_ZERO: (
        "Nilai akhir = jumlah berbobot, komponen yang tidak diikuti bernilai 0"
    ),
}
NON_SUBMITTER_LABELS = {
    NonSubmitter.TIDAK_INFORMATIF: "Tidak Informatif dengan nilai 0",
    NonSubmitter.NOT_ASSESSED: "Tidak dinilai",
}
AWARD_LABELS = {
    AwardKind.BAND: "Semua badan publik pada kualifikasi",
    AwardKind.TOP_N: "Peringkat teratas per kategori",
    AwardKind.BEST_INDICATOR: "Terbaik pada satu indikator",
    AwardKind.SPECIAL: "Penghargaan khusus (ditetapkan manual)",
}


@dataclass(frozen=True)
class Component:
    """A named part of the final score with its weight in percent (SAQ, presentation …)."""

    code: str
    name: str
    weight: int

    @property
    def stage_code(self) -> str | None:
        return COMPONENT_STAGES.get(self.code)


@dataclass(frozen=True)
class ShortlistRule:
    """Who goes on to the presentation: a threshold and/or the top N of each category.

    Compared on the published (rounded) SAQ; a tie at the top-N cut takes every tied body.
    """

    threshold: Decimal | None = None
    threshold_inclusive: bool = True
    top_n: int | None = None
    combine: Combine = Combine.OR

    @property
    def is_empty(self) -> bool:
        return self.threshold is None and self.top_n is None

    def describe(self) -> str:
        parts = []
        if self.threshold is not None:
            op = "≥" if self.threshold_inclusive else ">"
            parts.append(f"SAQ {op} {_fmt(self.threshold)}")
        if self.top_n is not None:
            parts.append(f"{self.top_n} besar per kategori")
        if not parts:
            return "Tanpa seleksi nominasi"
        joiner = " atau " if self.combine == Combine.OR else " dan "
        return joiner.join(parts)


@dataclass(frozen=True)
class TieBreak:
    """One criterion of the tie-break list: a component, an indicator, or a shared rank."""

    kind: str  # component | indicator | shared
    ref: str = ""

    @classmethod
    def parse(cls, text: str) -> TieBreak:
        kind, _, ref = text.strip().partition(":")
        return cls(kind=kind, ref=ref)

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}" if self.ref else self.kind


@dataclass(frozen=True)
class AwardRule:
    kind: AwardKind
    name: str
    band_name: str = ""
    top_n: int | None = None
    indicator_code: str = ""
    per_category: bool = True


@dataclass(frozen=True)
class ScoringConfig:
    """Every scoring rule of one cycle, as data (nothing is hard-coded elsewhere)."""

    components: tuple[Component, ...]
    bands: tuple[Band, ...]
    shortlist: ShortlistRule
    non_shortlisted: NonShortlisted = NonShortlisted.SAQ_ONLY
    shortlisted_rank_first: bool = True
    non_submitter: NonSubmitter = NonSubmitter.TIDAK_INFORMATIF
    tie_breaks: tuple[TieBreak, ...] = (TieBreak("component", SAQ), TieBreak("shared"))
    awards: tuple[AwardRule, ...] = ()

    def component(self, code: str) -> Component | None:
        return next((c for c in self.components if c.code == code), None)


DEFAULT_COMPONENTS: tuple[Component, ...] = (
    Component(SAQ, "SAQ (penilaian mandiri terverifikasi)", 70),
    Component("presentation", "Presentasi (uji publik)", 30),
)
DEFAULT_SHORTLIST = ShortlistRule(threshold=Decimal(60), top_n=3, combine=Combine.OR)
DEFAULT_AWARDS: tuple[AwardRule, ...] = (
    AwardRule(AwardKind.BAND, "Badan Publik Informatif", band_name="Informatif"),
    AwardRule(AwardKind.TOP_N, "Terbaik", top_n=3),
)
DEFAULT_CONFIG = ScoringConfig(
    components=DEFAULT_COMPONENTS,
    bands=DEFAULT_BANDS,
    shortlist=DEFAULT_SHORTLIST,
    awards=DEFAULT_AWARDS,
)


def component_errors(components: Sequence[Component]) -> list[str]:
    """Plain-language problems with score components (weights must sum to exactly 100)."""
    errors: list[str] = []
    if not components:
        return ["Tentukan minimal satu komponen nilai (mis. SAQ 100)."]
    codes = [c.code for c in components]
    if len(set(codes)) != len(codes):
        errors.append("Kode komponen nilai tidak boleh ganda.")
    for c in components:
        if not COMPONENT_CODE_RE.match(c.code):
            errors.append(
                f"Kode komponen {c.code!r} tidak valid (huruf kecil, angka, garis bawah)."
            )
        if not c.name.strip():
            errors.append(f"Komponen {c.code} harus bernama.")
        if c.weight <= 0:
            errors.append(f"Bobot komponen {c.name or c.code} harus lebih dari 0.")
    if SAQ not in codes:
        errors.append("Komponen SAQ (kode 'saq') wajib ada.")
    total = sum(c.weight for c in components)
    if total != 100:
        errors.append(f"Jumlah bobot komponen harus 100 (sekarang {total}).")
    return errors


def shortlist_errors(rule: ShortlistRule, *, has_shortlist_stage: bool) -> list[str]:
    errors: list[str] = []
    if rule.threshold is not None and not (ZERO <= rule.threshold <= HUNDRED):
        errors.append("Ambang nominasi harus antara 0 dan 100.")
    elif rule.threshold is not None and rule.threshold != rule.threshold.quantize(TWO_PLACES):
        errors.append("Ambang nominasi paling banyak dua desimal, seperti nilai terbit.")
    if rule.top_n is not None and rule.top_n < 1:
        errors.append("Jumlah peringkat teratas untuk nominasi minimal 1.")
    if rule.combine not in (Combine.OR, Combine.AND):
        errors.append("Gabungan aturan nominasi harus 'atau' atau 'dan'.")
    if has_shortlist_stage and rule.is_empty:
        errors.append(
            "Ada tahap penetapan nominasi tetapi aturannya kosong: isi ambang SAQ dan/atau "
            "jumlah peringkat teratas per kategori."
        )
    return errors


def tie_break_errors(
    tie_breaks: Sequence[TieBreak], *, component_codes: set[str], indicator_codes: set[str]
) -> list[str]:
    errors: list[str] = []
    for i, t in enumerate(tie_breaks):
        if t.kind == "component":
            if t.ref not in component_codes:
                errors.append(f"Penentu peringkat: komponen {t.ref!r} tidak ada.")
        elif t.kind == "indicator":
            if t.ref not in indicator_codes:
                errors.append(f"Penentu peringkat: indikator {t.ref!r} tidak ada di kuesioner.")
        elif t.kind == "shared":
            if i != len(tie_breaks) - 1:
                errors.append("Penentu peringkat 'peringkat bersama' harus yang terakhir.")
        else:
            errors.append(f"Penentu peringkat tidak dikenal: {t!s}.")
    if len({str(t) for t in tie_breaks}) != len(tie_breaks):
        errors.append("Penentu peringkat tidak boleh diulang.")
    return errors


def award_errors(
    awards: Sequence[AwardRule], *, band_names: set[str], indicator_codes: set[str]
) -> list[str]:
    errors: list[str] = []
    for a in awards:
        label = a.name.strip() or AWARD_LABELS.get(a.kind, str(a.kind))
        if not a.name.strip():
            errors.append("Setiap penghargaan harus bernama.")
        if a.kind == AwardKind.BAND and a.band_name not in band_names:
            errors.append(f"Penghargaan {label}: kualifikasi {a.band_name!r} tidak ada.")
        if a.kind == AwardKind.TOP_N and (a.top_n is None or a.top_n < 1):
            errors.append(f"Penghargaan {label}: jumlah peringkat teratas minimal 1.")
        if a.kind == AwardKind.BEST_INDICATOR and a.indicator_code not in indicator_codes:
            errors.append(f"Penghargaan {label}: indikator {a.indicator_code!r} tidak ada.")
    names = [a.name.strip() for a in awards]
    if len(set(names)) != len(names):
        errors.append("Nama penghargaan tidak boleh ganda.")
    return errors


def config_errors(
    config: ScoringConfig, *, stage_codes: set[str], indicator_codes: set[str]
) -> list[str]:
    """Every plain-language problem with a cycle's scoring rules (given stages, indicators)."""
    errors = component_errors(config.components)
    for c in config.components:
        if c.stage_code and c.stage_code not in stage_codes:
            errors.append(
                f"Komponen {c.name} dinilai pada tahap {stage_label(c.stage_code)}, "
                "tetapi tahap itu tidak dipilih."
            )
    errors += band_errors(config.bands)
    errors += shortlist_errors(config.shortlist, has_shortlist_stage="shortlist" in stage_codes)
    errors += tie_break_errors(
        config.tie_breaks,
        component_codes={c.code for c in config.components},
        indicator_codes=indicator_codes,
    )
    errors += award_errors(
        config.awards, band_names={b.name for b in config.bands}, indicator_codes=indicator_codes
    )
    return errors


@dataclass(frozen=True)
class ShortlistDecision:
    """One body's shortlist decision: passes or not, its rank and margin to the threshold.

    `margin` is published SAQ − threshold (negative = missed by that much; None without a
    threshold); `rank` is the competition rank in its category on the published SAQ.
    """

    key: object
    published: Decimal
    rank: int
    by_threshold: bool | None
    by_top_n: bool | None
    margin: Decimal | None
    passes: bool


def shortlist_decisions(
    scores: Mapping[K, Decimal | None], rule: ShortlistRule
) -> list[ShortlistDecision]:
    """Every scored body of ONE category with why it passes or misses, best first."""
    chosen = shortlist(scores, rule)
    published = {k: publish_round(v) for k, v in scores.items() if v is not None}
    ordered = sorted(published.items(), key=lambda kv: (-kv[1], str(kv[0])))
    decisions: list[ShortlistDecision] = []
    rank = 0
    for position, (key, value) in enumerate(ordered, start=1):
        if position == 1 or value != ordered[position - 2][1]:
            rank = position
        by_threshold = margin = None
        if rule.threshold is not None:
            margin = value - rule.threshold
            by_threshold = margin >= 0 if rule.threshold_inclusive else margin > 0
        by_top_n = None if rule.top_n is None else (rank <= rule.top_n)
        decisions.append(
            ShortlistDecision(key, value, rank, by_threshold, by_top_n, margin, key in chosen)
        )
    return decisions


def shortlist(scores: Mapping[K, Decimal | None], rule: ShortlistRule) -> set[K]:
    """The bodies of ONE category that are shortlisted under `rule`.

    Scores are SAQ scores (None = did not submit, never shortlisted); they are compared after
    publication rounding. The top N takes every body tied with the N-th. An empty rule
    shortlists every body that has a score.
    """
    published = {k: publish_round(v) for k, v in scores.items() if v is not None}
    if rule.is_empty:
        return set(published)
    by_threshold: set[K] | None = None
    if rule.threshold is not None:
        t = rule.threshold
        by_threshold = {
            k for k, v in published.items() if (v >= t if rule.threshold_inclusive else v > t)
        }
    by_rank: set[K] | None = None
    if rule.top_n is not None:
        ordered = sorted(published.values(), reverse=True)
        if len(ordered) <= rule.top_n:
            by_rank = set(published)
        else:
            cut = ordered[rule.top_n - 1]
            by_rank = {k for k, v in published.items() if v >= cut}
    if by_threshold is None:
        assert by_rank is not None
        return by_rank
    if by_rank is None:
        return by_threshold
    return by_threshold | by_rank if rule.combine == Combine.OR else by_threshold & by_rank


def _fmt(value: Decimal) -> str:
    """`60` or `62,5` (a rule summary shows no needless decimals)."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")
