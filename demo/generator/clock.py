"""Day numbers counted from the generated world's today; each source's date formats."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from demo.generator.mess import TODAY

# Kazakhstan has used one time zone, UTC+5, since 2024-03-01: every generated
# moment falls after that, so a fixed offset is exact.
UTC_OFFSET_SECONDS = 5 * 3600
_EPOCH_OF_TODAY = (TODAY.toordinal() - date(1970, 1, 1).toordinal()) * 86400


@cache
def day_date(day: int) -> date:
    """Day 0 is TODAY, day -1 the day before."""
    return TODAY + timedelta(days=day)


@cache
def _iso_day(day: int) -> str:
    return day_date(day).isoformat()


@cache
def ru_date(day: int) -> str:
    """dd.mm.yyyy, as 1C writes dates."""
    d = day_date(day)
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


def clock_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def ru_datetime(day: int, seconds: int) -> str:
    """dd.mm.yyyy HH:MM:SS local time, 1C's date-time."""
    return f"{ru_date(day)} {clock_time(seconds)}"


def bitrix_datetime(day: int, seconds: int) -> str:
    """ISO 8601 with the portal's offset, as Bitrix24 returns DATE_CREATE."""
    return f"{_iso_day(day)}T{clock_time(seconds)}+05:00"


def bitrix_date(day: int) -> str:
    return f"{_iso_day(day)}T00:00:00+05:00"


def cdr_datetime(day: int, seconds: int) -> str:
    """YYYY-MM-DD HH:MM:SS local time, Asterisk's calldate."""
    return f"{_iso_day(day)} {clock_time(seconds)}"


def utc_iso(day: int, seconds: int) -> str:
    """The help desk's UTC timestamps: 2025-03-01T09:15:00Z."""
    seconds -= UTC_OFFSET_SECONDS
    if seconds < 0:
        day, seconds = day - 1, seconds + 86400
    return f"{_iso_day(day)}T{clock_time(seconds)}Z"


def epoch(day: int, seconds: int) -> int:
    """Unix time of a local moment, for Asterisk's uniqueid."""
    return _EPOCH_OF_TODAY + day * 86400 + seconds - UTC_OFFSET_SECONDS


def month_of(day: int) -> str:
    """YYYY-MM of a day, naming the CDR file it belongs to."""
    return _iso_day(day)[:7]


def day_of(value: date) -> int:
    return value.toordinal() - TODAY.toordinal()
