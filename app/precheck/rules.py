"""Pure rules of the evidence pre-check: what a document's text, a file's reuse and a link's
page suggest to the verifier. Suggestions only: a person decides."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

# Suggestion kinds (one precision figure each).
NO_TEXT = "no_text"
IMAGE_ONLY = "image_only"
OLD_YEAR = "old_year"
OFF_TOPIC = "off_topic"
DUPLICATE_ITEM = "duplicate_item"
DUPLICATE_BODY = "duplicate_body"
LINK_WALL = "link_wall"
LINK_CHANGED = "link_changed"
KINDS = (
    NO_TEXT,
    IMAGE_ONLY,
    OLD_YEAR,
    OFF_TOPIC,
    DUPLICATE_ITEM,
    DUPLICATE_BODY,
    LINK_WALL,
    LINK_CHANGED,
)
KIND_LABELS = {
    NO_TEXT: "PDF kosong (tanpa teks)",
    IMAGE_ONLY: "PDF hanya gambar/pindaian",
    OLD_YEAR: "Tahun dokumen terlalu lama",
    OFF_TOPIC: "Tidak menyebut isi butir",
    DUPLICATE_ITEM: "Berkas sama untuk butir lain",
    DUPLICATE_BODY: "Berkas sama dengan badan publik lain",
    LINK_WALL: "Tautan meminta login/izin akses",
    LINK_CHANGED: "Halaman tautan berubah sejak dikirim",
}
LINK_WALL_PROBLEMS = ("login_page", "access_wall")

# Decisions on a suggestion.
OPEN = "open"
ACCEPTED = "accepted"
DISMISSED = "dismissed"
DECISIONS = (ACCEPTED, DISMISSED)

SIMILARITY = 0.85  # a document word this close to a keyword word counts as that word
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "dan",
        "atau",
        "yang",
        "di",
        "ke",
        "dari",
        "untuk",
        "dengan",
        "pada",
        "dalam",
        "oleh",
        "serta",
        "secara",
        "tahun",
        "berjalan",
        "sebelumnya",
        "setiap",
        "telah",
        "sudah",
        "ada",
        "tersedia",
        "diumumkan",
        "ditetapkan",
        "beserta",
        "tentang",
        "kepada",
        "bagi",
        "the",
        "of",
        "a",
        "an",
    ]
)


@dataclass(frozen=True)
class Policy:
    """A cycle's pre-check settings: how old a document may be, how little text is blank."""

    cycle_year: int
    max_age_years: int = 1
    item_max_age: Mapping[str, int] | None = None  # item code → years, overrides the default
    min_text_chars: int = 40

    def oldest_year(self, item_code: str) -> int:
        years = (self.item_max_age or {}).get(item_code, self.max_age_years)
        return self.cycle_year - years


@dataclass(frozen=True)
class ItemInfo:
    """What the rules need to know of a questionnaire item."""

    id: int
    code: str
    text: str
    keywords: tuple[str, ...] = ()
    group_id: int | None = None


@dataclass(frozen=True)
class DocFacts:
    """What the text extraction found in one PDF."""

    pages: int
    text: str
    image_pages: int = 0


@dataclass(frozen=True)
class Finding:
    """One suggestion the rules make: its kind and a one-line reason for the verifier."""

    kind: str
    reason: str


def normalise(text: str) -> str:
    """Lower-case ASCII words separated by single spaces (accents and punctuation dropped)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(_WORD.findall(plain.lower()))


def words(text: str) -> list[str]:
    return normalise(text).split()


def years_in(text: str) -> list[int]:
    """The four-digit years (1950–2099) written in a text, in order."""
    return [int(y) for y in _YEAR.findall(text)]


def latest_year(text: str, cycle_year: int) -> int | None:
    """The most recent year the document mentions, ignoring years after the cycle's next."""
    found = [y for y in years_in(text) if y <= cycle_year + 1]
    return max(found) if found else None


def _word_close(word: str, vocabulary: set[str]) -> bool:
    if word in vocabulary:
        return True
    if len(word) < 5:  # short words (PPID, DIP, SK) must match exactly
        return False
    for other in vocabulary:
        # Typos and suffixes (-nya, -kan) change a word's end; a different start is another
        # word ("formasi" is not "informasi").
        if abs(len(other) - len(word)) > 3 or other[:3] != word[:3]:
            continue
        if other.startswith(word) or SequenceMatcher(None, word, other).ratio() >= SIMILARITY:
            return True
    return False


def keyword_found(keyword: str, text_norm: str, vocabulary: set[str]) -> bool:
    """A keyword is found as a phrase, or when each of its words is (nearly) in the text."""
    kw = normalise(keyword)
    if not kw:
        return False
    if f" {kw} " in f" {text_norm} ":
        return True
    return all(_word_close(w, vocabulary) for w in kw.split())


def content_words(text: str) -> list[str]:
    """The words of an item's question that carry meaning (no stopwords, no short words)."""
    return list(dict.fromkeys(w for w in words(text) if len(w) > 3 and w not in _STOPWORDS))


def relevance(item: ItemInfo, text: str) -> tuple[list[str], list[str]]:
    """(keywords found, keywords missing); the item's question words stand in for keywords."""
    norm = normalise(text)
    vocabulary = set(norm.split())
    expected = list(item.keywords) or content_words(item.text)
    found = [k for k in expected if keyword_found(k, norm, vocabulary)]
    return found, [k for k in expected if k not in found]


def examine_document(item: ItemInfo, facts: DocFacts, policy: Policy) -> list[Finding]:
    """Suggestions about one PDF given as evidence of one item."""
    text = facts.text.strip()
    if len(normalise(text).replace(" ", "")) < policy.min_text_chars:
        if facts.image_pages:
            return [
                Finding(
                    IMAGE_ONLY,
                    f"PDF {facts.pages} halaman hanya berisi gambar/pindaian tanpa teks yang "
                    "dapat dibaca; periksa isinya secara manual.",
                )
            ]
        return [Finding(NO_TEXT, f"PDF {facts.pages} halaman tidak memuat teks (tampak kosong).")]
    out: list[Finding] = []
    oldest = policy.oldest_year(item.code)
    newest = latest_year(text, policy.cycle_year)
    if newest is not None and newest < oldest:
        out.append(
            Finding(
                OLD_YEAR,
                f"Tahun terbaru yang disebut dokumen {newest}; siklus ini meminta dokumen "
                f"tahun {oldest} atau sesudahnya.",
            )
        )
    found, missing = relevance(item, text)
    if missing and not found:
        shown = ", ".join(f"“{k}”" for k in missing[:4])
        out.append(Finding(OFF_TOPIC, f"Dokumen tidak menyebut {shown} yang diminta butir ini."))
    return out


def items_related(a: ItemInfo, b: ItemInfo) -> bool:
    """Items that may share one document: same group, or a shared expected keyword."""
    if a.group_id is not None and a.group_id == b.group_id:
        return True
    ka = {normalise(k) for k in a.keywords}
    kb = {normalise(k) for k in b.keywords}
    return bool(ka & kb - {""})


def unrelated_reuse(
    uses: Mapping[str, Sequence[ItemInfo]],
) -> dict[tuple[str, int], list[ItemInfo]]:
    """(sha256, item id) → the unrelated other items the same file was also given for."""
    out: dict[tuple[str, int], list[ItemInfo]] = {}
    for sha, items in uses.items():
        unique = list({i.id: i for i in items}.values())
        for item in unique:
            others = [o for o in unique if o.id != item.id and not items_related(item, o)]
            if others:
                out[(sha, item.id)] = others
    return out


def duplicate_item_finding(others: Sequence[ItemInfo]) -> Finding:
    codes = ", ".join(o.code for o in others[:5])
    return Finding(
        DUPLICATE_ITEM,
        f"Berkas yang sama juga dipakai untuk butir lain yang tidak terkait: {codes}.",
    )


def duplicate_body_finding(body_names: Iterable[str]) -> Finding:
    names = sorted(set(body_names))
    shown = ", ".join(names[:3]) + (f" dan {len(names) - 3} lainnya" if len(names) > 3 else "")
    return Finding(DUPLICATE_BODY, f"Berkas yang persis sama juga diunggah oleh {shown}.")


_SCRIPT = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")
_SPACE = re.compile(rb"\s+")


def page_fingerprint(content_type: str, body: bytes) -> str:
    """A hash of what a reader sees on a page: for HTML, the text without tags and scripts."""
    data = body
    if "html" in content_type.lower():
        data = _SPACE.sub(b" ", _TAG.sub(b" ", _SCRIPT.sub(b" ", body))).strip()
    return hashlib.sha256(data).hexdigest()


def link_findings(problem: str, message: str) -> list[Finding]:
    """A link the checker found ending at a login or 'request access' page."""
    if problem in LINK_WALL_PROBLEMS:
        return [Finding(LINK_WALL, message or KIND_LABELS[LINK_WALL])]
    return []


def link_changed(baseline: str, current: str) -> Finding | None:
    """The page now differs from what it showed when the SAQ was sent."""
    if baseline and current and baseline != current:
        return Finding(
            LINK_CHANGED, "Isi halaman tautan berubah sejak SAQ dikirim; periksa versi terkininya."
        )
    return None


def precision(accepted: int, dismissed: int) -> Decimal | None:
    """accepted ÷ (accepted + dismissed); None before any decision."""
    decided = accepted + dismissed
    if decided == 0:
        return None
    return Decimal(accepted) / Decimal(decided)


def parse_item_ages(raw: str) -> tuple[dict[str, int], list[str]]:
    """Per-item overrides written one per line as `kode = tahun` → (overrides, error lines)."""
    out: dict[str, int] = {}
    errors: list[str] = []
    for n, line in enumerate(raw.splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        code, sep, years = text.partition("=")
        if not sep or not code.strip() or not years.strip().isdigit() or int(years) > 50:
            errors.append(f"baris {n}: “{text[:40]}”")
            continue
        out[code.strip()] = int(years)
    return out, errors


def format_item_ages(ages: Mapping[str, int]) -> str:
    return "\n".join(f"{code} = {years}" for code, years in sorted(ages.items()))
