"""Pure rules of certificates (piagam): the data of one certificate, formatting, ceremony order,
serial numbers and verification addresses. No database, no drawing."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from urllib.parse import quote

from app.cycles.rules import publish_round
from app.web.format import fmt_decimal


class AwardKind(StrEnum):
    """The award types that have their own certificate template."""

    PERINGKAT = "peringkat"  # rank 1–3 of a category
    INDICATOR = "indikator"  # best of one indicator, e.g. "Kualitas Informasi Terbaik"
    SPECIAL = "khusus"  # named special prizes: terfavorit, best leader, …
    INFORMATIF = "informatif"  # every body qualified Informatif


AWARD_KIND_LABELS: dict[AwardKind, str] = {
    AwardKind.PERINGKAT: "Peringkat 1–3 per kategori",
    AwardKind.INDICATOR: "Terbaik per indikator",
    AwardKind.SPECIAL: "Penghargaan khusus",
    AwardKind.INFORMATIF: "Badan publik Informatif",
}

# Within one body, the awards are called in this order.
_KIND_ORDER: dict[AwardKind, int] = {kind: i for i, kind in enumerate(AwardKind)}

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate: a snapshot taken when it is issued."""

    serial: str
    kind: AwardKind
    award_title: str  # "Peringkat 1", "Kualitas Informasi Terbaik", "Badan Publik Informatif"
    body: str
    category: str
    qualification: str
    score: Decimal | None  # the published (rounded) final score
    rank: int | None  # the body's rank within its category
    year: int
    decree_number: str  # the SK that fixed the results (or the amending SK)
    place: str
    issued_on: date
    signatory_name: str
    signatory_title: str
    category_order: int = 0  # position of the category in the cycle's list


def fmt_score(score: Decimal | None) -> str:
    """`Decimal("94.74")` → `94,74` (published rounding, decimal comma); empty when unknown."""
    if score is None:
        return ""
    return fmt_decimal(publish_round(score))


def fmt_date_id(day: date) -> str:
    """`17 Desember 2024`: the Indonesian long date printed on certificates."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def ceremony_key(cert: CertificateData) -> tuple[int, str, int, int, str, str, str]:
    """Sort key of the ceremony: by category, then the body's rank, then the award."""
    rank = cert.rank if cert.rank is not None else 1_000_000
    return (
        cert.category_order,
        cert.category,
        rank,
        _KIND_ORDER[cert.kind],
        cert.award_title,
        cert.body,
        cert.serial,
    )


def ceremony_order(certs: Iterable[CertificateData]) -> list[CertificateData]:
    """Certificates in the order the awards are called (and printed)."""
    return sorted(certs, key=ceremony_key)


def duplicate_serials(certs: Sequence[CertificateData]) -> list[str]:
    """Serials that occur more than once (a batch must not print two certificates alike)."""
    seen: set[str] = set()
    dupes: set[str] = set()
    for cert in certs:
        (dupes if cert.serial in seen else seen).add(cert.serial)
    return sorted(dupes)


# Crockford base32: no I, L, O, U, so a serial read aloud or typed is hard to get wrong.
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_RANDOM_CHARS = 8
_SERIAL_RE = re.compile(r"^(\d{4})-([0-9A-HJKMNP-TV-Z]{8})$")
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_serial(year: int) -> str:
    """A fresh random serial such as `2024-7K3M9QXD` (40 random bits; uniqueness is kept by the
    database, which retries on the rare collision)."""
    token = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_RANDOM_CHARS))
    return f"{year:04d}-{token}"


def normalise_serial(text: str) -> str | None:
    """A serial as typed or scanned, in canonical form; None when it cannot be a serial."""
    cleaned = text.strip().upper().replace(" ", "")
    if "-" in cleaned:
        year, _, token = cleaned.partition("-")
        cleaned = f"{year}-{token.translate(_CONFUSABLE)}"
    return cleaned if _SERIAL_RE.match(cleaned) else None


def verification_url(base_url: str, serial: str) -> str:
    """The public page that confirms a certificate: `{base_url}/piagam/{serial}`."""
    return f"{base_url.rstrip('/')}/piagam/{quote(serial, safe='')}"
