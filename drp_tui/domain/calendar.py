"""Working days: weekends, UK bank holidays and local closure days.

A working day is Monday to Friday that is not a bank holiday of the configured
UK nation (from the ``holidays`` package, ``GB`` with subdivision ENG, WLS,
SCT or NIR) and not a local closure day set by the admin.

"Within N working days" of an event on day D is due at the end of the Nth
working day *after* D: D itself never counts, whether or not it is a working
day.  So with D = Thursday 24 Dec 2026 and N = 2 in England the days are
24 Dec (not counted), 25 Fri (Christmas Day), 26 Sat, 27 Sun, 28 Mon (Boxing
Day (observed)), 29 Tue (working day 1), 30 Wed (working day 2): due 30 Dec.

All dates here are plain London calendar dates; converting instants to London
dates is :mod:`drp_tui.domain.timeutil`'s job.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

NATIONS: tuple[str, ...] = ("ENG", "WLS", "SCT", "NIR")
NATION_NAMES: Mapping[str, str] = {
    "ENG": "England",
    "WLS": "Wales",
    "SCT": "Scotland",
    "NIR": "Northern Ireland",
}
LOCAL_CLOSURE = "Local closure"

_WEEKEND = {5: "Saturday", 6: "Sunday"}

HolidaySource = Callable[[str, int], Mapping[date, str]]
"""Where bank holidays come from: ``(nation, year) -> {date: name}`` for that year's days."""
_UK_CLASS: list[Any] = []  # the United Kingdom's holiday class, once loaded


def _uk_holidays(subdiv: str, year: int) -> Any:
    """The bank holidays of one UK nation for one year (the ``holidays`` package's ``GB``).

    Only the United Kingdom's module is loaded: ``holidays.country_holidays("GB")`` first
    imports every country's calendars (``holidays.countries``), most of a second at start-up.
    Falls back to it if that module is not where this version of the package keeps it.
    """
    if not _UK_CLASS:
        _UK_CLASS.append(_load_uk_class())
    return _UK_CLASS[0](subdiv=subdiv, years=year)


def _load_uk_class() -> Any:
    import importlib.util
    import sys

    import holidays

    loaded = sys.modules.get("holidays.countries.united_kingdom")
    if loaded is not None:
        return loaded.UnitedKingdom
    path = Path(holidays.__file__).parent / "countries" / "united_kingdom.py"
    spec = importlib.util.spec_from_file_location("drp_tui._holidays_united_kingdom", path)
    if spec is not None and spec.loader is not None and path.is_file():
        try:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.UnitedKingdom
        except (ImportError, AttributeError):
            pass
    return lambda subdiv, years: holidays.country_holidays("GB", subdiv=subdiv, years=years)


def package_holidays(nation: str, year: int) -> dict[date, str]:
    """The bank holidays of ``nation`` in ``year``, from the ``holidays`` package: {date: name}
    (two holidays on one day are joined with "; "). The default :data:`HolidaySource`; the one
    source of bank holidays (a cache outside the domain may keep its answers)."""
    bank = _uk_holidays(nation, year)
    return {d: "; ".join(bank.get_list(d)) for d in sorted(bank) if d.year == year}


_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueExplanation:
    """How a due date was reached: every day after ``start`` up to ``due``.

    ``counted`` holds the working days counted (``counted[-1] == due`` when
    ``n >= 1``); ``skipped`` holds each day passed over, with the reason.
    With ``n == 0`` both are empty and ``due == start``.
    """

    start: date
    n: int
    due: date
    counted: tuple[date, ...]
    skipped: tuple[tuple[date, str], ...]

    def days(self) -> tuple[tuple[date, int | None, str | None], ...]:
        """Each day after ``start`` up to ``due`` in order, as
        ``(day, working_day_number, None)`` or ``(day, None, reason)``."""
        rows: list[tuple[date, int | None, str | None]] = [
            (d, i, None) for i, d in enumerate(self.counted, start=1)
        ]
        rows.extend((d, None, why) for d, why in self.skipped)
        rows.sort(key=lambda row: row[0])
        return tuple(rows)

    def lines(self) -> tuple[str, ...]:
        """One line a day: ``2026-12-29  working day 1`` or
        ``2026-12-26  skipped: Saturday``."""
        out: list[str] = []
        for d, number, why in self.days():
            if number is not None:
                out.append(f"{d.isoformat()}  working day {number}")
            else:
                out.append(f"{d.isoformat()}  skipped: {why}")
        return tuple(out)


def _check_date(value: object, what: str = "date") -> date:
    # datetime is a subclass of date; a datetime here is almost always a bug
    # (which day is it in London?), so refuse it rather than guess.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return n


class WorkingCalendar:
    """Which days are working days for one nation plus local closures.

    Immutable after construction.  Holiday look-ups are computed once per
    year (lazily) and kept, so repeated calls are cheap; safe to share
    between threads (a race only computes the same year twice).
    """

    __slots__ = ("_nation", "_closures", "_reasons", "_working", "_source")
    _nation: str
    _source: HolidaySource
    _closures: dict[date, str]
    _reasons: dict[int, dict[date, str]]  # year -> {date: why}
    _working: dict[int, tuple[int, ...]]  # year -> ordinals of working days

    def __init__(
        self,
        nation: str = "ENG",
        closures: Iterable[date] | Mapping[date, str] = (),
        *,
        holidays: HolidaySource | None = None,
    ) -> None:
        """``holidays``: where the bank holidays come from (default :func:`package_holidays`);
        it must give the package's answers (a cache of them), so it is not part of equality."""
        if nation not in NATIONS:
            raise ValueError(f"nation must be one of {', '.join(NATIONS)}, not {nation!r}")
        named: dict[date, str] = {}
        if isinstance(closures, Mapping):
            items: Iterable[tuple[Any, Any]] = closures.items()
        else:
            items = ((d, None) for d in closures)
        for d, name in items:
            _check_date(d, "a closure day")
            if name is not None and not isinstance(name, str):
                raise TypeError(f"closure name for {d} must be a str, not {type(name).__name__}")
            name = (name or "").strip()
            named[d] = f"{LOCAL_CLOSURE}: {name}" if name else LOCAL_CLOSURE
        object.__setattr__(self, "_nation", nation)
        object.__setattr__(self, "_source", holidays or package_holidays)
        object.__setattr__(self, "_closures", dict(sorted(named.items())))
        # year -> {date: name} for every bank holiday and closure (any weekday)
        object.__setattr__(self, "_reasons", {})
        # year -> sorted tuple of the ordinals of that year's working days
        object.__setattr__(self, "_working", {})

    # -- immutability ---------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("WorkingCalendar is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("WorkingCalendar is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkingCalendar):
            return NotImplemented
        return self._nation == other._nation and self._closures == other._closures

    def __hash__(self) -> int:
        return hash((self._nation, tuple(self._closures.items())))

    def __repr__(self) -> str:
        return f"WorkingCalendar(nation={self._nation!r}, closures={len(self._closures)})"

    @property
    def nation(self) -> str:
        return self._nation

    @property
    def holiday_source(self) -> HolidaySource:
        """Where this calendar's bank holidays come from (pass it on to a calendar made from this one)."""
        return self._source

    @property
    def closures(self) -> Mapping[date, str]:
        """Local closure days and their reasons (a copy)."""
        return dict(self._closures)

    # -- per-year caches --------------------------------------------------

    def _year_reasons(self, year: int) -> dict[date, str]:
        cached = self._reasons.get(year)
        if cached is not None:
            return cached
        reasons: dict[date, str] = {}
        for d, name in self._source(self._nation, year).items():
            if d.year == year:
                reasons[d] = name
        for d, why in self._closures.items():
            if d.year == year and d not in reasons:
                reasons[d] = why
        self._reasons[year] = reasons
        return reasons

    def _year_working(self, year: int) -> tuple[int, ...]:
        cached = self._working.get(year)
        if cached is not None:
            return cached
        if not date.min.year <= year <= date.max.year:
            raise OverflowError(
                f"working days beyond {date.min.isoformat()}..{date.max.isoformat()} are not supported"
            )
        reasons = self._year_reasons(year)
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        days = tuple(
            o
            for o in range(first, last + 1)
            if o % 7 not in (6, 0)  # ordinal % 7: 1=Mon ... 6=Sat, 0=Sun
            and date.fromordinal(o) not in reasons
        )
        self._working[year] = days
        return days

    # -- single days --------------------------------------------------------

    def why_not_working(self, d: date) -> str | None:
        """Why ``d`` is not a working day, or None if it is one.

        Weekend first ("Saturday", "Sunday"), then the bank holiday's name
        ("Christmas Day", "Boxing Day (observed)"), then a local closure
        ("Local closure" or "Local closure: <name>").
        """
        _check_date(d)
        weekend = _WEEKEND.get(d.weekday())
        if weekend is not None:
            return weekend
        return self._year_reasons(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        _check_date(d)
        if d.weekday() >= 5:
            return False
        return d not in self._year_reasons(d.year)

    def holiday_name(self, d: date) -> str | None:
        """The bank holiday or closure on ``d`` (even at a weekend), else None."""
        _check_date(d)
        return self._year_reasons(d.year).get(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        return self.subtract_working_days(d, 1)

    # -- counting -------------------------------------------------------------

    def add_working_days(self, d: date, n: int) -> date:
        """The Nth working day after ``d`` (``d`` itself never counts).

        ``n == 0`` returns ``d`` unchanged; ``n < 0`` raises ValueError.
        Raises OverflowError past 9999-12-31.
        """
        _check_date(d)
        n = _check_n(n)
        if n == 0:
            return d
        year = d.year
        days = self._year_working(year)
        i = bisect_right(days, d.toordinal())
        while True:
            remaining = len(days) - i
            if n <= remaining:
                return date.fromordinal(days[i + n - 1])
            n -= remaining
            year += 1
            days = self._year_working(year)
            i = 0

    def subtract_working_days(self, d: date, n: int) -> date:
        """The Nth working day before ``d`` (``d`` itself never counts).

        ``n == 0`` returns ``d``.  For any working day ``w`` and ``n >= 1``,
        ``add_working_days(subtract_working_days(w, n), n) == w``.
        """
        _check_date(d)
        n = _check_n(n)
        if n == 0:
            return d
        year = d.year
        days = self._year_working(year)
        i = bisect_left(days, d.toordinal())  # days[:i] are before d
        while True:
            if n <= i:
                return date.fromordinal(days[i - n])
            n -= i
            year -= 1
            days = self._year_working(year)
            i = len(days)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]; 0 if end <= start.

        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        _check_date(start, "start")
        _check_date(end, "end")
        if end <= start:
            return 0
        s, e = start.toordinal(), end.toordinal()
        total = 0
        for year in range(start.year, end.year + 1):
            days = self._year_working(year)
            lo = bisect_right(days, s) if year == start.year else 0
            hi = bisect_right(days, e) if year == end.year else len(days)
            total += hi - lo
        return total

    def explain(self, d: date, n: int) -> DueExplanation:
        """Every day after ``d`` up to the due date, counted or skipped (and why)."""
        due = self.add_working_days(d, n)
        counted: list[date] = []
        skipped: list[tuple[date, str]] = []
        day = d
        while day < due:
            day += _ONE_DAY
            why = self.why_not_working(day)
            if why is None:
                counted.append(day)
            else:
                skipped.append((day, why))
        return DueExplanation(start=d, n=n, due=due, counted=tuple(counted), skipped=tuple(skipped))

    def due_at(self, event: datetime, n: int) -> datetime:
        """When "within ``n`` working days" of ``event`` ends, as aware UTC:
        the end of the Nth working day after the event's London date."""
        from drp_tui.domain.timeutil import end_of_london_day_utc, london_date

        return end_of_london_day_utc(self.add_working_days(london_date(event), n))
