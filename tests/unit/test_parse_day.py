"""``parse_day``: the one reader of a typed date (the desk's fields, its dialogs and the command line)."""

from __future__ import annotations

from datetime import date

import pytest

from drp_tui.domain.timeutil import day_text, parse_day


@pytest.mark.parametrize(("typed", "day"), [
    ("26/11/2026", date(2026, 11, 26)),
    ("4/12/2026", date(2026, 12, 4)),
    ("04/1/2026", date(2026, 1, 4)),
    ("29/02/2028", date(2028, 2, 29)),
    ("2026-11-26", date(2026, 11, 26)),
    ("  3/12/2026 ", date(2026, 12, 3)),
])
def test_uk_and_iso_dates_are_read_day_first(typed: str, day: date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize(("typed", "reason"), [
    ("31/02/2026", "not a day of the calendar"),
    ("29/02/2027", "not a day of the calendar"),
    ("12/13/2026", "not a day of the calendar"),  # month first is not read as a US date
    ("2026-02-30", "not a day of the calendar"),
    ("4/12/26", "two-digit year"),  # ambiguous: which century (or is 26 the day?)
    ("12-04-2026", "not a date"),  # day or month first cannot be told
    ("2026/12/04", "not a date"),
    ("2026-2-3", "not a date"),
    ("26 Nov 2026", "not a date"),
    ("", "not a date"),
    ("٢٦/١١/٢٠٢٦", "not a date"),  # only ASCII digits
])
def test_impossible_or_ambiguous_dates_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        parse_day(typed)
    assert "DD/MM/YYYY" in str(info.value)


def test_a_day_typed_back_reads_as_itself() -> None:
    for day in (date(2026, 1, 4), date(2026, 12, 31), date(2028, 2, 29)):
        assert day_text(day) == f"{day.day:02d}/{day.month:02d}/{day.year}"
        assert parse_day(day_text(day)) == day


def test_today_and_tomorrow_come_from_the_day_given() -> None:
    from datetime import date as _date

    from drp_tui.domain.timeutil import parse_day as _parse

    today = _date(2026, 12, 31)  # a year end: tomorrow is in the next year
    assert _parse("today", today) == today
    assert _parse(" Tomorrow ", today) == _date(2027, 1, 1)
    assert _parse("yesterday", today) == _date(2026, 12, 30)
    assert _parse("4/12/2026", today) == _date(2026, 12, 4)


def test_today_without_a_clock_is_not_a_date() -> None:
    import pytest as _pytest

    from drp_tui.domain.timeutil import parse_day as _parse

    with _pytest.raises(ValueError, match="is not a date"):
        _parse("today")
