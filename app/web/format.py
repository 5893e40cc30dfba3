"""Indonesian formatting of numbers, dates and times for pages (pure)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from app.orgs.models import TIMEZONES


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
        value = value.astimezone(ZoneInfo(tz)).date()
    return format_date(value, format="d MMMM y", locale="id")


def fmt_datetime(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    """`17 Desember 2024 14.30 WIB`."""
    if value is None:
        return "–"
    local = value.astimezone(ZoneInfo(tz))
    text = format_datetime(local, format="d MMMM y HH.mm", locale="id")
    return f"{text} {TIMEZONES.get(tz, tz)}"
