"""The bank-holiday table the desk reads is the ``holidays`` package's, year by year."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from drp_tui.domain import bank_holidays, calendar
from drp_tui.domain.calendar import NATIONS, WorkingCalendar

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_is_what_the_package_says_for_every_nation_and_year() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "bank_holidays.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_year_outside_the_table_asks_the_package() -> None:
    assert bank_holidays.LAST + 1 not in bank_holidays.DAYS["ENG"]
    later = calendar._bank_days("ENG", bank_holidays.LAST + 1)
    assert date(bank_holidays.LAST + 1, 12, 25) in later
    assert later[date(bank_holidays.LAST + 1, 12, 25)] == "Christmas Day"


def test_the_calendar_reads_the_table_without_loading_the_package() -> None:
    code = ("import sys\nfrom datetime import date\nfrom drp_tui.domain.calendar import WorkingCalendar\n"
            "c = WorkingCalendar('SCT')\nprint(c.holiday_name(date(2026, 11, 30)), c.is_working_day(date(2026, 12, 28)),"
            " any(m == 'holidays' or m.startswith('holidays.') for m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "Saint Andrew's Day False False", out.stderr
    # the module's documented example: 25 Dec and Boxing Day (observed, Mon 28) are passed over
    assert WorkingCalendar("ENG").add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)
    for nation in NATIONS:
        assert not WorkingCalendar(nation).is_working_day(date(2026, 12, 25))
