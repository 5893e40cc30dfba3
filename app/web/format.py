"""Indonesian formatting of numbers, dates and times for pages (pure)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel import Locale

from app.orgs.models import TIMEZONES

# Month names from Babel's CLDR data for Indonesian, read once: the patterns used here
# (`d MMMM y`, `HH.mm`) need nothing else, and Babel's formatter parsed its pattern and
# locale on every call (~7 % of the CPU of a SAQ page, which shows a date per item).
_MONTHS = Locale.parse("id").months["format"]["wide"]


def fmt_decimal(value: Decimal | int | float | None, places: int = 2) -> str:
    """`94.745` → `94,75`; thousands with a dot (`1.234,50`)."""
    if value is None:
        return "–"
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    s = f"{d:,.{places}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def fmt_int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}".replace(",", ".")


def fmt_date(value: date | datetime | None, tz: str = "Asia/Jakarta") -> str:
    """`17 Desember 2024` (a datetime is first moved into the commission's time zone)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz))
    return f"{value.day} {_MONTHS[value.month]} {value.year}"


def fmt_datetime(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    """`17 Desember 2024 14.30 WIB`."""
    if value is None:
        return "–"
    t = value.astimezone(ZoneInfo(tz))
    return (
        f"{t.day} {_MONTHS[t.month]} {t.year} {t.hour:02d}.{t.minute:02d} {TIMEZONES.get(tz, tz)}"
    )
