"""WorkingCalendar (working days, due dates) and timeutil (London time, clocks).

No wall clock: every date is passed explicitly; FrozenClock stands in for now.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drp_tui.domain.calendar import NATIONS, DueExplanation, WorkingCalendar
from drp_tui.domain.timeutil import (
    LONDON,
    Clock,
    FrozenClock,
    SystemClock,
    end_of_london_day_utc,
    format_date,
    format_london,
    london_date,
    london_today,
    start_of_london_day_utc,
    to_london,
    utc,
)

D = date.fromisoformat

CAL = {nation: WorkingCalendar(nation) for nation in NATIONS}


# --------------------------------------------------------------------------
# Due dates, table-driven: (nation, D, N, due, why)

DUE_CASES = [
    # Christmas / New Year 2025-26: 25 Thu, 26 Fri Boxing Day, 1 Jan Thu
    ("ENG", "2025-12-23", 1, "2025-12-24", "plain weekday"),
    ("ENG", "2025-12-24", 1, "2025-12-29", "Xmas Thu, Boxing Fri, weekend"),
    ("ENG", "2025-12-24", 3, "2025-12-31", "29, 30, 31"),
    ("ENG", "2025-12-24", 4, "2026-01-02", "1 Jan skipped"),
    ("ENG", "2025-12-31", 1, "2026-01-02", "New Year's Day skipped"),
    ("SCT", "2025-12-31", 1, "2026-01-05", "Scotland also has 2 Jan (Fri)"),
    ("WLS", "2025-12-31", 1, "2026-01-02", "Wales = England"),
    ("NIR", "2025-12-31", 1, "2026-01-02", "NI has no 2 Jan"),
    # Christmas / New Year 2026-27: 25 Fri, 26 Sat -> 28 Mon Boxing Day (observed)
    ("ENG", "2026-12-23", 1, "2026-12-24", "Thu before Christmas"),
    ("ENG", "2026-12-24", 1, "2026-12-29", "25 Fri, 26-27 weekend, 28 observed"),
    ("ENG", "2026-12-24", 2, "2026-12-30", ""),
    ("ENG", "2026-12-24", 3, "2026-12-31", ""),
    ("ENG", "2026-12-24", 4, "2027-01-04", "1 Jan Fri, weekend"),
    ("ENG", "2026-12-31", 1, "2027-01-04", ""),
    ("SCT", "2026-12-31", 1, "2027-01-05", "2 Jan Sat -> 4 Jan observed in Scotland"),
    ("NIR", "2026-12-24", 1, "2026-12-29", ""),
    # substitute days for both Christmas and Boxing Day (2021: 25 Sat, 26 Sun)
    ("ENG", "2021-12-24", 1, "2021-12-29", "27 and 28 both substitutes"),
    ("ENG", "2027-12-24", 1, "2027-12-29", "same again in 2027"),
    # Easter 2026: Good Friday 3 Apr, Easter Monday 6 Apr (not in Scotland)
    ("ENG", "2026-04-02", 1, "2026-04-07", "Good Friday and Easter Monday"),
    ("WLS", "2026-04-02", 1, "2026-04-07", ""),
    ("NIR", "2026-04-02", 1, "2026-04-07", ""),
    ("SCT", "2026-04-02", 1, "2026-04-06", "no Easter Monday in Scotland"),
    ("ENG", "2026-04-01", 2, "2026-04-07", "Thu counts, then the long weekend"),
    ("SCT", "2026-04-01", 2, "2026-04-06", ""),
    # Northern Ireland: St Patrick's Day (Tue 17 Mar 2026)
    ("NIR", "2026-03-16", 1, "2026-03-18", "St Patrick's Day"),
    ("ENG", "2026-03-16", 1, "2026-03-17", "not a holiday in England"),
    ("NIR", "2024-03-15", 1, "2024-03-19", "17 Mar 2024 Sun -> Mon 18 observed"),
    ("ENG", "2024-03-15", 1, "2024-03-18", ""),
    # Northern Ireland: Battle of the Boyne (12 Jul 2026 Sun -> Mon 13 observed)
    ("NIR", "2026-07-10", 1, "2026-07-14", "Boyne substitute Monday"),
    ("ENG", "2026-07-10", 1, "2026-07-13", ""),
    ("NIR", "2027-07-09", 1, "2027-07-13", "12 Jul 2027 is a Monday"),
    ("SCT", "2027-07-09", 1, "2027-07-12", ""),
    # Other bank holidays
    ("ENG", "2026-05-01", 1, "2026-05-05", "Early May bank holiday 4 May"),
    ("ENG", "2026-07-31", 1, "2026-08-03", "3 Aug is not a holiday in England"),
    ("SCT", "2026-07-31", 1, "2026-08-04", "Scotland's summer holiday 3 Aug"),
    ("ENG", "2026-08-28", 1, "2026-09-01", "Late Summer Bank Holiday 31 Aug"),
    ("SCT", "2026-08-28", 1, "2026-08-31", "not in Scotland"),
    ("SCT", "2026-11-27", 1, "2026-12-01", "St Andrew's Day Mon 30 Nov"),
    ("ENG", "2026-11-27", 1, "2026-11-30", ""),
    # D itself never counts, whatever day it is
    ("ENG", "2026-11-23", 1, "2026-11-24", "D a working day"),
    ("ENG", "2026-11-21", 1, "2026-11-23", "D a Saturday"),
    ("ENG", "2026-11-22", 1, "2026-11-23", "D a Sunday"),
    ("ENG", "2026-12-25", 1, "2026-12-29", "D a bank holiday"),
    ("ENG", "2026-11-20", 5, "2026-11-27", "a week from Friday"),
    ("ENG", "2026-11-23", 20, "2026-12-21", "four weeks"),
    # N = 0 is D itself
    ("ENG", "2026-11-23", 0, "2026-11-23", ""),
    ("ENG", "2026-12-26", 0, "2026-12-26", "even at a weekend"),
]


@pytest.mark.parametrize(("nation", "start", "n", "due", "why"), DUE_CASES)
def test_due_dates(nation: str, start: str, n: int, due: str, why: str) -> None:
    cal = CAL[nation]
    assert cal.add_working_days(D(start), n) == D(due), why
    assert cal.working_days_between(D(start), D(due)) == n


def test_due_dates_across_many_years() -> None:
    cal = CAL["ENG"]
    # 2026 (starts on a Thursday) has 261 weekdays; 8 English bank holidays fall on them:
    # 1 Jan, 3 Apr, 6 Apr, 4 May, 25 May, 31 Aug, 25 Dec, 28 Dec (Boxing Day observed).
    assert cal.working_days_between(D("2025-12-31"), D("2026-12-31")) == 253
    assert cal.add_working_days(D("2025-12-31"), 253) == D("2026-12-31")
    assert cal.add_working_days(D("2025-12-31"), 254) == D("2027-01-04")


# --------------------------------------------------------------------------
# Single days and reasons


@pytest.mark.parametrize(
    ("nation", "day", "why"),
    [
        ("ENG", "2026-12-24", None),
        ("ENG", "2026-12-25", "Christmas Day"),
        ("ENG", "2026-12-26", "Saturday"),  # weekend wins over Boxing Day
        ("ENG", "2026-12-27", "Sunday"),
        ("ENG", "2026-12-28", "Boxing Day (observed)"),
        ("ENG", "2026-04-03", "Good Friday"),
        ("ENG", "2026-04-06", "Easter Monday"),
        ("SCT", "2026-04-06", None),
        ("SCT", "2026-01-02", "New Year Holiday"),
        ("ENG", "2026-01-02", None),
        ("SCT", "2027-01-04", "New Year Holiday (observed)"),
        ("NIR", "2026-03-17", "Saint Patrick's Day"),
        ("NIR", "2026-07-13", "Battle of the Boyne (observed)"),
        ("ENG", "2026-07-13", None),
        ("WLS", "2026-08-31", "Late Summer Bank Holiday"),
        ("ENG", "2021-12-27", "Christmas Day (observed)"),
    ],
)
def test_why_not_working(nation: str, day: str, why: str | None) -> None:
    cal = CAL[nation]
    assert cal.why_not_working(D(day)) == why
    assert cal.is_working_day(D(day)) is (why is None)


def test_holiday_name_even_at_weekend() -> None:
    cal = WorkingCalendar("ENG", {D("2026-11-28"): "Office move"})
    assert cal.holiday_name(D("2026-12-26")) == "Boxing Day"
    assert cal.holiday_name(D("2026-11-28")) == "Local closure: Office move"
    assert cal.holiday_name(D("2026-12-24")) is None


def test_wales_matches_england() -> None:
    eng, wls = CAL["ENG"], CAL["WLS"]
    day = D("2020-01-01")
    while day < D("2036-01-01"):
        assert eng.why_not_working(day) == wls.why_not_working(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize("nation", NATIONS)
def test_agrees_with_holidays_package_day_by_day(nation: str) -> None:
    """An independent oracle: weekday and not in ``holidays`` for GB/<nation>."""
    import holidays

    bank = holidays.country_holidays("GB", subdiv=nation)
    cal = WorkingCalendar(nation)
    day, n = D("2019-12-31"), 0
    while day < D("2036-01-01"):
        day += timedelta(days=1)
        working = day.weekday() < 5 and day not in bank
        assert cal.is_working_day(day) is working, day
        if working:
            n += 1
            assert cal.add_working_days(D("2019-12-31"), n) == day
    assert cal.working_days_between(D("2019-12-31"), day) == n


def test_next_and_previous_working_day() -> None:
    cal = CAL["ENG"]
    assert cal.next_working_day(D("2026-12-24")) == D("2026-12-29")
    assert cal.next_working_day(D("2026-12-23")) == D("2026-12-24")
    assert cal.next_working_day(D("2026-12-26")) == D("2026-12-29")
    assert cal.previous_working_day(D("2026-12-29")) == D("2026-12-24")
    assert cal.previous_working_day(D("2027-01-04")) == D("2026-12-31")


# --------------------------------------------------------------------------
# Local closures


def test_closures_named_and_unnamed() -> None:
    named = WorkingCalendar("ENG", {D("2026-12-29"): "Christmas shutdown", D("2026-12-30"): ""})
    assert named.why_not_working(D("2026-12-29")) == "Local closure: Christmas shutdown"
    assert named.why_not_working(D("2026-12-30")) == "Local closure"
    plain = WorkingCalendar("ENG", [D("2026-12-29")])
    assert plain.why_not_working(D("2026-12-29")) == "Local closure"
    assert plain.why_not_working(D("2026-12-30")) is None


def test_closures_move_due_dates() -> None:
    shutdown = [D("2026-12-29"), D("2026-12-30"), D("2026-12-31")]
    cal = WorkingCalendar("ENG", shutdown)
    assert cal.add_working_days(D("2026-12-24"), 1) == D("2027-01-04")
    assert cal.working_days_between(D("2026-12-24"), D("2027-01-04")) == 1
    assert CAL["ENG"].add_working_days(D("2026-12-24"), 1) == D("2026-12-29")
    # a closure on D itself changes nothing: D never counts
    assert WorkingCalendar("ENG", [D("2026-11-23")]).add_working_days(D("2026-11-23"), 1) == D(
        "2026-11-24"
    )
    # a closure at a weekend or on a bank holiday: the weekend / holiday reason is shown
    both = WorkingCalendar("ENG", {D("2026-12-25"): "x", D("2026-12-26"): "y"})
    assert both.why_not_working(D("2026-12-25")) == "Christmas Day"
    assert both.why_not_working(D("2026-12-26")) == "Saturday"


def test_closures_accept_any_iterable() -> None:
    cal = WorkingCalendar("NIR", (d for d in [D("2026-06-01")]))
    assert not cal.is_working_day(D("2026-06-01"))
    assert cal.closures == {D("2026-06-01"): "Local closure"}


# --------------------------------------------------------------------------
# explain


def test_explain_christmas_2026() -> None:
    ex = CAL["ENG"].explain(D("2026-12-24"), 3)
    assert ex == DueExplanation(
        start=D("2026-12-24"),
        n=3,
        due=D("2026-12-31"),
        counted=(D("2026-12-29"), D("2026-12-30"), D("2026-12-31")),
        skipped=(
            (D("2026-12-25"), "Christmas Day"),
            (D("2026-12-26"), "Saturday"),
            (D("2026-12-27"), "Sunday"),
            (D("2026-12-28"), "Boxing Day (observed)"),
        ),
    )
    assert ex.lines() == (
        "2026-12-25  skipped: Christmas Day",
        "2026-12-26  skipped: Saturday",
        "2026-12-27  skipped: Sunday",
        "2026-12-28  skipped: Boxing Day (observed)",
        "2026-12-29  working day 1",
        "2026-12-30  working day 2",
        "2026-12-31  working day 3",
    )


def test_explain_zero_and_closure() -> None:
    assert CAL["ENG"].explain(D("2026-12-26"), 0) == DueExplanation(
        D("2026-12-26"), 0, D("2026-12-26"), (), ()
    )
    ex = WorkingCalendar("SCT", {D("2026-11-24"): "Training"}).explain(D("2026-11-27"), 2)
    assert ex.due == D("2026-12-02")
    assert ex.skipped == (
        (D("2026-11-28"), "Saturday"),
        (D("2026-11-29"), "Sunday"),
        (D("2026-11-30"), "Saint Andrew's Day"),
    )


def test_explanation_is_frozen() -> None:
    ex = CAL["ENG"].explain(D("2026-12-24"), 1)
    with pytest.raises(AttributeError):
        ex.due = D("2027-01-01")  # type: ignore[misc]


# --------------------------------------------------------------------------
# Counting helpers


def test_working_days_between_edges() -> None:
    cal = CAL["ENG"]
    assert cal.working_days_between(D("2026-12-24"), D("2026-12-24")) == 0
    assert cal.working_days_between(D("2026-12-31"), D("2026-12-24")) == 0
    assert cal.working_days_between(D("2026-12-24"), D("2026-12-28")) == 0
    assert cal.working_days_between(D("2026-12-23"), D("2026-12-24")) == 1
    assert cal.working_days_between(D("2026-11-20"), D("2026-11-27")) == 5
    # across several years
    assert cal.working_days_between(D("2020-01-01"), D("2030-01-01")) == sum(
        cal.working_days_between(D(f"{y}-01-01"), D(f"{y + 1}-01-01")) for y in range(2020, 2030)
    )


def test_subtract_working_days() -> None:
    cal = CAL["ENG"]
    assert cal.subtract_working_days(D("2026-12-31"), 3) == D("2026-12-24")
    assert cal.subtract_working_days(D("2026-12-29"), 1) == D("2026-12-24")
    assert cal.subtract_working_days(D("2027-01-04"), 1) == D("2026-12-31")
    assert cal.subtract_working_days(D("2026-12-28"), 1) == D("2026-12-24")  # from a holiday
    assert cal.subtract_working_days(D("2026-01-05"), 2) == D("2025-12-31")
    assert cal.subtract_working_days(D("2026-11-23"), 0) == D("2026-11-23")


def test_bad_arguments() -> None:
    cal = CAL["ENG"]
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(D("2026-11-23"), -1)
    with pytest.raises(ValueError, match="negative"):
        cal.subtract_working_days(D("2026-11-23"), -1)
    with pytest.raises(ValueError, match="negative"):
        cal.explain(D("2026-11-23"), -1)
    with pytest.raises(TypeError):
        cal.add_working_days(D("2026-11-23"), 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cal.add_working_days(datetime(2026, 11, 23, tzinfo=UTC), 1)
    with pytest.raises(TypeError):
        WorkingCalendar("ENG", [datetime(2026, 11, 23)])
    with pytest.raises(TypeError):
        WorkingCalendar("ENG", ["2026-11-23"])  # type: ignore[list-item]
    with pytest.raises(OverflowError):
        cal.add_working_days(D("9999-12-30"), 5)
    with pytest.raises(OverflowError):
        cal.subtract_working_days(D("0001-01-02"), 5)


@pytest.mark.parametrize("nation", ["", "GB", "eng", "England", "UK", "IRL"])
def test_unknown_nation(nation: str) -> None:
    with pytest.raises(ValueError) as info:
        WorkingCalendar(nation)
    message = str(info.value)
    for allowed in ("ENG", "WLS", "SCT", "NIR"):
        assert allowed in message


def test_immutable_and_value_semantics() -> None:
    cal = WorkingCalendar("SCT", [D("2026-06-01")])
    with pytest.raises(AttributeError):
        cal.nation = "ENG"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cal.extra = 1  # type: ignore[attr-defined]
    cal.closures[D("2026-06-02")] = "sneaky"  # a copy: no effect
    assert cal.is_working_day(D("2026-06-02"))
    assert cal == WorkingCalendar("SCT", {D("2026-06-01"): ""})
    assert cal != WorkingCalendar("ENG", [D("2026-06-01")])
    assert hash(cal) == hash(WorkingCalendar("SCT", [D("2026-06-01")]))
    assert WorkingCalendar().nation == "ENG"


def test_fast_enough_for_100k_calls() -> None:
    cal = WorkingCalendar("ENG", [D("2026-12-29")])
    base = D("2020-01-01")
    began = time.perf_counter()
    for i in range(100_000):
        d = base + timedelta(days=i % 5000)
        cal.add_working_days(d, 1 + i % 40)
        cal.is_working_day(d)
    elapsed = time.perf_counter() - began
    assert elapsed < 5.0, f"100k look-ups took {elapsed:.2f}s"


# --------------------------------------------------------------------------
# Properties

dates = st.dates(min_value=D("2020-01-01"), max_value=D("2035-12-31"))
counts = st.integers(min_value=1, max_value=40)
nations = st.sampled_from(NATIONS)
closure_sets = st.frozensets(dates, max_size=15)


@settings(max_examples=300, deadline=None)
@given(nation=nations, closures=closure_sets, d=dates, n=counts)
def test_due_properties(nation: str, closures: frozenset[date], d: date, n: int) -> None:
    cal = WorkingCalendar(nation, closures)
    due = cal.add_working_days(d, n)
    assert due > d
    assert due.weekday() < 5
    assert cal.is_working_day(due)
    assert cal.why_not_working(due) is None
    assert due not in closures
    assert cal.holiday_name(due) is None
    assert cal.working_days_between(d, due) == n
    assert cal.working_days_between(d, due - timedelta(days=1)) == n - 1
    # subtracting lands on the last working day on or before d
    back = cal.subtract_working_days(due, n)
    assert back <= d
    assert cal.is_working_day(back)
    assert cal.working_days_between(back, d) == 0
    if cal.is_working_day(d):
        assert back == d
    assert cal.add_working_days(back, n) == due
    # explain agrees with the arithmetic and covers every day exactly once
    ex = cal.explain(d, n)
    assert ex.due == due and len(ex.counted) == n and ex.counted[-1] == due
    covered = sorted([*ex.counted, *(day for day, _ in ex.skipped)])
    assert covered == [d + timedelta(days=i) for i in range(1, (due - d).days + 1)]
    assert all(why for _, why in ex.skipped)


@settings(max_examples=200, deadline=None)
@given(nation=nations, d=dates, m=st.integers(0, 40), n=st.integers(0, 40))
def test_adding_composes(nation: str, d: date, m: int, n: int) -> None:
    cal = CAL[nation]
    step = cal.add_working_days(cal.add_working_days(d, m), n)
    if m == 0:
        assert step == cal.add_working_days(d, n)
    else:
        assert step == cal.add_working_days(d, m + n)


@settings(max_examples=200, deadline=None)
@given(nation=nations, a=dates, b=dates)
def test_between_matches_day_by_day(nation: str, a: date, b: date) -> None:
    cal = CAL[nation]
    lo, hi = min(a, b), max(a, b)
    if (hi - lo).days > 800:
        hi = lo + timedelta(days=800)
    expected = sum(
        cal.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1)
    )
    assert cal.working_days_between(lo, hi) == expected
    assert cal.working_days_between(hi, lo) == 0


# --------------------------------------------------------------------------
# timeutil


def test_london_zone() -> None:
    assert str(LONDON) == "Europe/London"


def test_utc_normaliser() -> None:
    naive = datetime(2026, 7, 1, 12, 0)
    assert utc(naive) == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert utc(naive).tzinfo is UTC
    bst = datetime(2026, 7, 1, 13, 0, tzinfo=LONDON)
    assert utc(bst) == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert utc(bst).utcoffset() == timedelta(0)
    plus2 = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc(plus2).hour == 12
    with pytest.raises(TypeError):
        utc(date(2026, 7, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("instant", "london", "day"),
    [
        ("2026-06-30T23:30:00+00:00", "2026-07-01T00:30:00+01:00", "2026-07-01"),  # BST
        ("2026-12-31T23:30:00+00:00", "2026-12-31T23:30:00+00:00", "2026-12-31"),  # GMT
        ("2026-03-29T00:59:00+00:00", "2026-03-29T00:59:00+00:00", "2026-03-29"),  # before spring fwd
        ("2026-03-29T01:00:00+00:00", "2026-03-29T02:00:00+01:00", "2026-03-29"),  # after
        ("2026-10-24T23:00:00+00:00", "2026-10-25T00:00:00+01:00", "2026-10-25"),  # autumn back day
    ],
)
def test_to_london_and_london_date(instant: str, london: str, day: str) -> None:
    dt = datetime.fromisoformat(instant)
    local = to_london(dt)
    assert local.tzinfo is LONDON
    assert local.isoformat() == london
    assert london_date(dt) == D(day)


def test_london_date_of_naive_is_utc() -> None:
    assert london_date(datetime(2026, 6, 30, 23, 30)) == D("2026-07-01")
    assert london_date(datetime(2026, 12, 30, 23, 30)) == D("2026-12-30")


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2026-12-01", "2026-12-01T00:00:00+00:00", "2026-12-02T00:00:00+00:00"),  # GMT
        ("2026-07-01", "2026-06-30T23:00:00+00:00", "2026-07-01T23:00:00+00:00"),  # BST
        ("2026-03-28", "2026-03-28T00:00:00+00:00", "2026-03-29T00:00:00+00:00"),  # eve of spring fwd
        ("2026-03-29", "2026-03-29T00:00:00+00:00", "2026-03-29T23:00:00+00:00"),  # 23-hour day
        ("2026-10-25", "2026-10-24T23:00:00+00:00", "2026-10-26T00:00:00+00:00"),  # 25-hour day
    ],
)
def test_london_day_bounds(day: str, start: str, end: str) -> None:
    assert start_of_london_day_utc(D(day)).isoformat() == start
    assert end_of_london_day_utc(D(day)).isoformat() == end
    assert end_of_london_day_utc(D(day)).tzinfo is UTC
    # the last instant before the end is still that London day; the end is the next
    assert london_date(end_of_london_day_utc(D(day)) - timedelta(microseconds=1)) == D(day)
    assert london_date(end_of_london_day_utc(D(day))) == D(day) + timedelta(days=1)


def test_day_bounds_reject_datetimes() -> None:
    with pytest.raises(TypeError):
        end_of_london_day_utc(datetime(2026, 7, 1))  # type: ignore[arg-type]


def test_formatting() -> None:
    assert format_date(D("2026-11-23")) == "Mon 23 Nov 2026"
    assert format_date(D("2026-07-01")) == "Wed 1 Jul 2026"
    assert format_london(datetime(2026, 11, 23, 14, 5, tzinfo=UTC)) == "Mon 23 Nov 2026 14:05"
    assert format_london(datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "Wed 1 Jul 2026 14:05"
    assert format_london(datetime(2026, 6, 30, 23, 30)) == "Wed 1 Jul 2026 00:30"  # naive = UTC
    # a datetime given to format_date is shown as its London date
    assert format_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "Wed 1 Jul 2026"


def test_frozen_clock() -> None:
    clock = FrozenClock(datetime(2026, 12, 24, 16, 59))
    assert isinstance(clock, Clock)
    assert clock.now() == datetime(2026, 12, 24, 16, 59, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()  # does not move by itself
    assert clock.advance(minutes=2) == datetime(2026, 12, 24, 17, 1, tzinfo=UTC)
    assert clock.now() == datetime(2026, 12, 24, 17, 1, tzinfo=UTC)
    clock.advance(days=7, hours=-1)
    assert clock.now() == datetime(2026, 12, 31, 16, 1, tzinfo=UTC)
    clock.set(datetime(2026, 7, 1, 0, 30, tzinfo=LONDON))
    assert clock.now() == datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert london_today(clock) == D("2026-07-01")


def test_system_clock_is_a_clock() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    now = clock.now()  # only checks the shape, never the value
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_due_at_is_end_of_london_due_day() -> None:
    cal = CAL["ENG"]
    # 23:30 UTC on Wed 23 Dec 2026 is still 23 Dec in London (GMT): due end of Thu 24th
    assert cal.due_at(datetime(2026, 12, 23, 23, 30, tzinfo=UTC), 1) == datetime(
        2026, 12, 25, 0, 0, tzinfo=UTC
    )
    # 23:30 UTC on Tue 30 Jun 2026 is Wed 1 Jul in London (BST): due end of Thu 2 Jul, 23:00 UTC
    assert cal.due_at(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 1) == datetime(
        2026, 7, 2, 23, 0, tzinfo=UTC
    )
    assert cal.due_at(datetime(2026, 12, 24, 9, 0, tzinfo=UTC), 3) == end_of_london_day_utc(
        D("2026-12-31")
    )
