"""A sample award list (KI Jatim) for template previews, the benchmark and tests, until the
results domain supplies real award lists.

Facts: Pemerintah Kota Mojokerto ranked 1st of the Pemkab/Pemkot category in 2024 (98,56) and won
Kualitas Informasi Terbaik, Sarana dan Prasarana Terbaik and Terfavorit (in 2023); Pemerintah Kota
Pasuruan was 7th with 94,74 in 2024, its first Informatif after years of Tidak Informatif. The
other scores and ranks, the decree number and the signatory are illustrative.
"""

from __future__ import annotations

import io
import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app.certificates.images import PreparedImage, prepare_image
from app.certificates.layout import FONT_DIR
from app.certificates.render import Issuer
from app.certificates.rules import SERIAL_ALPHABET, AwardKind, CertificateData

COMMISSION = "Komisi Informasi Provinsi Jawa Timur"
YEAR = 2024
DECREE = "188/12/KPTS/KI-PROV.JATIM/XII/2024"
PLACE = "Surabaya"
ISSUED_ON = date(2024, 12, 17)
SIGNATORY_NAME = "Nama Ketua Komisi (contoh)"
SIGNATORY_TITLE = "Ketua Komisi Informasi Provinsi Jawa Timur"
SAMPLE_BASE_URL = "https://monev.kip.example.id"

CATEGORIES = (
    "Pemerintah Kabupaten/Kota",
    "OPD Pemerintah Provinsi",
    "Instansi Vertikal",
    "Badan Usaha Milik Daerah",
    "Pemerintah Desa",
)

# (category index, body, score, rank, extra awards as (kind, title))
_RESULTS: list[tuple[int, str, str, int, list[tuple[AwardKind, str]]]] = [
    (
        0,
        "Pemerintah Kota Mojokerto",
        "98.56",
        1,
        [
            (AwardKind.INDICATOR, "Kualitas Informasi Terbaik"),
            (AwardKind.INDICATOR, "Sarana dan Prasarana Terbaik"),
            (AwardKind.SPECIAL, "Badan Publik Terfavorit"),
        ],
    ),
    (0, "Pemerintah Kabupaten Banyuwangi", "97.88", 2, []),
    (0, "Pemerintah Kabupaten Gresik", "97.12", 3, []),
    (0, "Pemerintah Kabupaten Jombang", "96.40", 4, []),
    (0, "Pemerintah Kabupaten Bojonegoro", "95.87", 5, []),
    (0, "Pemerintah Kabupaten Blitar", "95.02", 6, []),
    (0, "Pemerintah Kota Pasuruan", "94.74", 7, []),
    (
        1,
        "Dinas Komunikasi dan Informatika Provinsi Jawa Timur",
        "97.35",
        1,
        [(AwardKind.INDICATOR, "Digitalisasi Terbaik")],
    ),
    (1, "RSUD Dr. Soetomo", "96.10", 2, []),
    (1, "Sekretariat DPRD Provinsi Jawa Timur", "94.05", 3, []),
    (1, "Dinas Lingkungan Hidup Provinsi Jawa Timur", "91.30", 4, []),
    (2, "Kantor Wilayah Kementerian Agama Provinsi Jawa Timur", "96.77", 1, []),
    (2, "BPS Provinsi Jawa Timur", "95.60", 2, []),
    (2, "KPU Provinsi Jawa Timur", "93.15", 3, []),
    (3, "PT Bank Pembangunan Daerah Jawa Timur", "95.12", 1, []),
    (3, "PDAM Surya Sembada Kota Surabaya", "92.48", 2, []),
    (3, "PT Petrogas Jatim Utama", "88.20", 3, []),
    (4, "Desa Sumbergondo, Kab. Malang", "93.66", 1, []),
    (4, "Desa Kemiren, Kab. Banyuwangi", "90.41", 2, []),
    (4, "Desa Sekapuk, Kab. Gresik", "86.90", 3, []),
]


def _qualification(score: Decimal) -> str:
    if score >= 90:
        return "Informatif"
    return "Menuju Informatif" if score >= 80 else "Cukup Informatif"


def sample_serial(index: int) -> str:
    """A deterministic serial in the real format (`2024-XXXXXXXX`) for sample number `index`."""
    value = (index * 2_654_435_761 + 97_531) % (32**8)
    token = ""
    for _ in range(8):
        value, digit = divmod(value, 32)
        token = SERIAL_ALPHABET[digit] + token
    return f"{YEAR}-{token}"


def sample_award_list() -> list[CertificateData]:
    """The KI Jatim sample: top 3 per category, thematic prizes, and every Informatif body."""
    certs: list[CertificateData] = []

    def add(cat: int, body: str, score: Decimal, rank: int, kind: AwardKind, title: str) -> None:
        certs.append(
            CertificateData(
                serial=sample_serial(len(certs)),
                kind=kind,
                award_title=title,
                body=body,
                category=CATEGORIES[cat],
                qualification=_qualification(score),
                score=score,
                rank=rank,
                year=YEAR,
                decree_number=DECREE,
                place=PLACE,
                issued_on=ISSUED_ON,
                signatory_name=SIGNATORY_NAME,
                signatory_title=SIGNATORY_TITLE,
                category_order=cat,
            )
        )

    # Listed the way a results export would list them (by award type), not in ceremony order.
    for cat, body, raw, rank, _extra in _RESULTS:
        if Decimal(raw) >= 90:
            add(cat, body, Decimal(raw), rank, AwardKind.INFORMATIF, "Badan Publik Informatif")
    for cat, body, raw, rank, extra in _RESULTS:
        for kind, title in extra:
            add(cat, body, Decimal(raw), rank, kind, title)
    for cat, body, raw, rank, _extra in _RESULTS:
        if rank <= 3:
            add(cat, body, Decimal(raw), rank, AwardKind.PERINGKAT, f"Peringkat {rank}")
    return certs


def sample_batch(n: int) -> list[CertificateData]:
    """`n` certificates cycling through the sample list, each with its own serial."""
    base = sample_award_list()
    out: list[CertificateData] = []
    for i in range(n):
        out.append(replace(base[i % len(base)], serial=sample_serial(i)))
    return out


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def sample_logo_png() -> bytes:
    """A stand-in commission emblem (a real commission uploads its own logo)."""
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, 392, 392), fill=(27, 58, 107, 255), outline=(176, 141, 46, 255), width=18)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSerif-Bold.ttf"), 170)
    draw.text((200, 205), "KI", font=font, fill=(255, 255, 255, 255), anchor="mm")
    return _png(img)


@lru_cache(maxsize=1)
def sample_signature_png() -> bytes:
    """A stand-in handwritten signature on a transparent background."""
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = [
        (40 + t * 5.2, 110 - 45 * math.sin(t / 7.0) * math.cos(t / 23.0) - t * 0.25)
        for t in range(100)
    ]
    draw.line(points, fill=(20, 30, 90, 255), width=6, joint="curve")
    draw.line([(60, 160), (520, 140)], fill=(20, 30, 90, 255), width=4)
    return _png(img)


def sample_issuer(base_url: str = SAMPLE_BASE_URL) -> Issuer:
    """KI Jatim as the issuer, with the stand-in logo and signature."""
    logo: PreparedImage = prepare_image(sample_logo_png(), field="logo", label="Logo")
    signature = prepare_image(
        sample_signature_png(), field="signature", label="Gambar tanda tangan"
    )
    return Issuer(commission=COMMISSION, base_url=base_url, logo=logo, signature=signature)
