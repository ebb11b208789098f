"""Time helpers: instants are stored as aware UTC and shown in Europe/London.

Working days are counted on London calendar dates, so an event at
23:30 UTC on 30 June (00:30 BST on 1 July) happened on 1 July.

The wall clock is read in exactly one place, :class:`SystemClock`; everything
else takes a :class:`Clock` so tests can use a :class:`FrozenClock`.

``zoneinfo`` uses the system time zone database (or the ``tzdata`` package
when the system has none); ``Europe/London`` must be available.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    LONDON = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError as exc:  # pragma: no cover - depends on the host
    raise RuntimeError(
        "the time zone 'Europe/London' is not available: install the system "
        "tz database (tzdata) or `pip install tzdata`"
    ) from exc

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc(dt: datetime) -> datetime:
    """``dt`` as an aware UTC datetime; a naive ``dt`` is taken to be UTC."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_london(dt_utc: datetime) -> datetime:
    """The same instant as an aware Europe/London datetime (naive = UTC)."""
    return utc(dt_utc).astimezone(LONDON)


def london_date(dt_utc: datetime) -> date:
    """The London calendar date of an instant (naive = UTC)."""
    return to_london(dt_utc).date()


def start_of_london_day_utc(d: date) -> datetime:
    """The instant the London day ``d`` begins (00:00 London), as aware UTC."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, not {type(d).__name__}")
    # Midnight always exists exactly once in London (the clocks change at 01:00/02:00).
    return datetime.combine(d, time(0), tzinfo=LONDON).astimezone(UTC)


def end_of_london_day_utc(d: date) -> datetime:
    """The instant the London day ``d`` ends, i.e. 00:00 London on the next
    day, as aware UTC.  Something due "by the end of ``d``" is overdue from
    this instant on."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, not {type(d).__name__}")
    return start_of_london_day_utc(d + timedelta(days=1))


def format_date(d: date) -> str:
    """``Mon 23 Nov 2026`` (English names whatever the locale; day not padded).

    A datetime is first converted to its London date."""
    if isinstance(d, datetime):
        d = london_date(d)
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def format_london(dt: datetime) -> str:
    """``Mon 23 Nov 2026 14:05`` in London time (naive = UTC)."""
    local = to_london(dt)
    return f"{format_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def format_due(dt: datetime) -> str:
    """A due instant as a chair reads it: ``end of Mon 30 Nov 2026`` when it is
    the end of a London day (working-day timescales), else ``Mon 30 Nov 2026 14:05``."""
    local = to_london(dt)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"end of {format_date(local.date() - timedelta(days=1))}"
    return format_london(dt)


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_UK_SHORT_YEAR = re.compile(r"\d{1,2}/\d{1,2}/\d{2}", re.ASCII)
DAY_HINT = "DD/MM/YYYY"
"""How a date is asked for on screen (``YYYY-MM-DD`` is accepted too)."""


_RELATIVE = {"today": 0, "tomorrow": 1, "yesterday": -1}


def parse_day(text: str, today: date | None = None) -> date:
    """A day as UK staff type it: ``26/11/2026`` or ``4/12/2026`` (day first, year in full),
    or ISO ``2026-11-26``; with ``today`` given (London today from the injected clock) also
    ``today``, ``tomorrow`` and ``yesterday``.

    Raises ``ValueError`` whose message is the reason a person can act on, worded to
    follow the field's name and the text typed (``Held on: '31/02/2026' is not a day of
    the calendar (DD/MM/YYYY)``; the caller shows the text safely): a day the calendar does not have (``31/02/2026``), a
    two-digit year (``4/12/26``: which century, or is it the day?), or any other shape
    (``12-04-2026``, ``2026/12/04``: day or month first cannot be told).
    """
    value = text.strip()
    if today is not None and value.lower() in _RELATIVE:  # the caller's clock says which day today is
        return today + timedelta(days=_RELATIVE[value.lower()])
    iso = _ISO_DAY.fullmatch(value)
    uk = _UK_DAY.fullmatch(value)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif uk:
        day, month, year = int(uk[1]), int(uk[2]), int(uk[3])
    elif _UK_SHORT_YEAR.fullmatch(value):
        raise ValueError(f"has a two-digit year; type the year in full ({DAY_HINT})")
    else:
        raise ValueError(f"is not a date; type it as {DAY_HINT}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"is not a day of the calendar ({DAY_HINT})") from None


def day_text(d: date) -> str:
    """A date as it is typed back into a field: ``04/12/2026`` (what :func:`parse_day` reads)."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


@runtime_checkable
class Clock(Protocol):
    """Where "now" comes from."""

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock: the only place the app reads it."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """A clock that only moves when told to (for tests and demos)."""

    def __init__(self, dt: datetime) -> None:
        self._now = utc(dt)

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> datetime:
        """Jump to ``dt`` (naive = UTC); returns the new now."""
        self._now = utc(dt)
        return self._now

    def advance(self, **timedelta_kwargs: float) -> datetime:
        """Move forward (or back) by ``timedelta(**kwargs)``; returns the new now."""
        self._now = self._now + timedelta(**timedelta_kwargs)
        return self._now

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()})"


def london_today(clock: Clock) -> date:
    """Today's date in London according to ``clock``."""
    return london_date(clock.now())
