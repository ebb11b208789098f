"""Bank holidays kept between starts (drp_tui/holiday_cache.py): the package's answers, never stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from drp_tui.domain.calendar import NATIONS, WorkingCalendar, package_holidays
from drp_tui.holiday_cache import FILE_NAME, HolidayCache, cache_dir, cached_holidays, package_key

YEARS = (2000, 2012, 2021, 2022, 2026, 2027, 2032)


class Counting:
    """The package as the source, counting the questions it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def __call__(self, nation: str, year: int) -> dict[date, str]:
        self.asked.append((nation, year))
        return package_holidays(nation, year)


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_cached_answers_are_the_packages_for_every_nation_and_year(tmp_path: Path) -> None:
    first = HolidayCache(tmp_path / "c", "v1")
    for nation in NATIONS:
        for year in YEARS:
            assert dict(first(nation, year)) == package_holidays(nation, year)
    assert files(tmp_path / "c") == [FILE_NAME]
    source = Counting()
    again = HolidayCache(tmp_path / "c", "v1", source)  # a later start: everything from the file
    for nation in NATIONS:
        for year in YEARS:
            assert dict(again(nation, year)) == package_holidays(nation, year)
    assert source.asked == []
    # and a calendar on it decides as one on the package
    cal, plain = WorkingCalendar("SCT", holidays=again), WorkingCalendar("SCT")
    assert cal == plain
    assert cal.add_working_days(date(2026, 12, 24), 5) == plain.add_working_days(date(2026, 12, 24), 5)
    assert cal.holiday_name(date(2027, 1, 4)) == plain.holiday_name(date(2027, 1, 4))
    assert cal.explain(date(2026, 12, 24), 4) == plain.explain(date(2026, 12, 24), 4)


def test_a_miss_works_out_the_years_around_it_once_and_writes_them(tmp_path: Path) -> None:
    source = Counting()
    cache = HolidayCache(tmp_path, "v1", source)
    cache("ENG", 2026)
    assert source.asked == [("ENG", y) for y in range(2024, 2029)]
    cache("ENG", 2027)
    cache("ENG", 2024)
    assert len(source.asked) == 5
    stored = json.loads((tmp_path / FILE_NAME).read_text())
    assert stored["holidays"] == "v1"
    assert stored["years"]["ENG:2026"]["2026-12-28"] == "Boxing Day (observed)"


def test_another_package_version_works_everything_out_again(tmp_path: Path) -> None:
    HolidayCache(tmp_path, "0.109|100|1")("WLS", 2026)
    (tmp_path / FILE_NAME).write_text((tmp_path / FILE_NAME).read_text().replace(
        "Christmas Day", "Stale Day"))
    stale = Counting()
    assert HolidayCache(tmp_path, "0.109|100|1", stale)("WLS", 2026)[date(2026, 12, 25)] == "Stale Day"
    source = Counting()
    upgraded = HolidayCache(tmp_path, "0.110|100|1", source)
    assert dict(upgraded("WLS", 2026)) == package_holidays("WLS", 2026)
    assert ("WLS", 2026) in source.asked
    assert json.loads((tmp_path / FILE_NAME).read_text())["holidays"] == "0.110|100|1"


@pytest.mark.parametrize("content", [
    "{not json",
    "",
    "[1, 2]",
    json.dumps({"format": 1, "holidays": "v1", "years": {"ENG:2026": {"2026-12-25": 5}}}),
    json.dumps({"format": 1, "holidays": "v1", "years": {"XYZ:2026": {}}}),
    json.dumps({"format": 1, "holidays": "v1", "years": {"ENG:2026": {"2025-12-25": "Christmas Day"}}}),
    json.dumps({"format": 1, "holidays": "v1", "years": {"ENG:2026": {"not a date": "x"}}}),
    json.dumps({"format": 1, "holidays": "v1", "years": []}),
    json.dumps({"format": 99, "holidays": "v1", "years": {}}),
    json.dumps({"something": "else entirely"}),
])
def test_a_corrupt_or_foreign_file_is_ignored_and_rewritten(tmp_path: Path, content: str) -> None:
    tmp_path = tmp_path / "c"
    tmp_path.mkdir()
    (tmp_path / FILE_NAME).write_text(content)
    source = Counting()
    cache = HolidayCache(tmp_path, "v1", source)
    assert dict(cache("ENG", 2026)) == package_holidays("ENG", 2026)
    assert ("ENG", 2026) in source.asked
    stored = json.loads((tmp_path / FILE_NAME).read_text())
    assert stored["format"] == 1 and stored["holidays"] == "v1" and "ENG:2026" in stored["years"]
    assert files(tmp_path) == [FILE_NAME]


def test_an_unwritable_cache_folder_still_answers_from_the_package(tmp_path: Path) -> None:
    tmp_path = tmp_path / "c"
    tmp_path.mkdir()
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    cache = HolidayCache(blocked / "drp-tui", "v1")  # its parent is a file: nothing can be written
    assert dict(cache("NIR", 2026)) == package_holidays("NIR", 2026)
    assert files(tmp_path) == ["file-not-folder"]
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            assert dict(HolidayCache(ro, "v1")("ENG", 2030)) == package_holidays("ENG", 2030)
            assert files(ro) == []
        finally:
            ro.chmod(0o700)


def test_no_package_key_means_no_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text(json.dumps({"format": 1, "holidays": None, "years": {}}))
    cache = HolidayCache(tmp_path, None)
    assert dict(cache("ENG", 2026)) == package_holidays("ENG", 2026)
    assert json.loads((tmp_path / FILE_NAME).read_text())["years"] == {}


def test_the_session_cache_lives_in_the_user_cache_folder_and_names_the_installed_package(
        tmp_path: Path) -> None:
    import holidays

    key = package_key()
    assert key is not None and key.startswith(f"{holidays.__version__}|")
    assert cache_dir() == tmp_path / "home" / ".cache" / "drp-tui"  # the tests' own HOME
    source = cached_holidays()
    assert dict(source("ENG", 2026)) == package_holidays("ENG", 2026)
    assert files(tmp_path / "home") == [".cache", ".cache/drp-tui", f".cache/drp-tui/{FILE_NAME}"]


def test_a_start_with_the_file_does_not_load_the_package(tmp_path: Path) -> None:
    HolidayCache(tmp_path, package_key())("ENG", 2026)
    out = subprocess.run([sys.executable, "-c", (
        "import sys\n"
        "from pathlib import Path\n"
        "from datetime import date\n"
        "from drp_tui.domain.calendar import WorkingCalendar\n"
        "from drp_tui.holiday_cache import HolidayCache, package_key\n"
        f"cal = WorkingCalendar('ENG', holidays=HolidayCache(Path({str(tmp_path)!r}), package_key()))\n"
        "print(cal.add_working_days(date(2026, 12, 24), 1), 'holidays' in sys.modules)\n")],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2026-12-29", "False"]


def test_load_setup_gives_the_session_calendar_the_cache(tmp_path: Path) -> None:
    import argparse

    from drp_tui.bootstrap import load_setup
    from drp_tui.holiday_cache import HolidayCache as Cache

    setup = load_setup(argparse.Namespace(config=None, db=None), open_db=False)
    assert isinstance(setup.calendar.holiday_source, Cache)
    assert setup.calendar.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert (tmp_path / "home" / ".cache" / "drp-tui" / FILE_NAME).is_file()
