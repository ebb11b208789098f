"""Snapshots of the desk shell on the demo data at the frozen clock (Mon 23 Nov 2026 10:00 London).

Accept changes only after looking at the SVGs (snapshot_report.html):
``pytest tests/snapshots/test_snap_shell.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from tests.ui import conftest as ui_fixtures
from tests.ui.desk_helpers import settle

SMALL = (80, 24)
demo_template = ui_fixtures.demo_template  # the UI tests' fixtures, here too
make_app = ui_fixtures.make_app


def keys(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """run_before: wait for sign-in and the first page, then press ``pressed`` one by one."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


class TestLogin:
    def test_login(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app(None), terminal_size=SMALL, run_before=keys())


class TestCaseload:
    def test_mine(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=SMALL, run_before=keys())

    def test_overdue_tab(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=SMALL, run_before=keys("4"))

    def test_wide(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=(120, 40), run_before=keys())

    def test_16_colours(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=SMALL, run_before=keys("ctrl+t"))


class TestHelp:
    def test_help(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=SMALL, run_before=keys("f1"))


class TestLock:
    def test_lock(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=SMALL, run_before=keys("ctrl+l"))


class TestHome:
    """My work, the first screen after sign-in (``home = "work"``, the installed default)."""

    def test_chair(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel", home="work"), terminal_size=SMALL, run_before=keys())

    def test_manager(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("dwhitlow", home="work"), terminal_size=SMALL, run_before=keys())

    def test_chair_16_colours(self, snap_compare: Any, make_app: Any) -> None:
        """drp-16: the terminal's own colours; urgent rows in bright red and yellow, and bold."""
        assert snap_compare(make_app("cpatel", home="work"), terminal_size=SMALL, run_before=keys("ctrl+t"))

    def test_chair_no_color(self, snap_compare: Any, make_app: Any, monkeypatch: Any) -> None:
        """NO_COLOR: overdue rows bold and underlined, due today bold, the cursor row reverse."""
        monkeypatch.setenv("NO_COLOR", "1")
        assert snap_compare(make_app("cpatel", home="work"), terminal_size=SMALL, run_before=keys())

    def test_chair_plain(self, snap_compare: Any, make_app: Any) -> None:
        """Plain mode (drp --plain): no box drawing, no glyphs; keys in words."""
        assert snap_compare(make_app("cpatel", home="work", plain=True), terminal_size=SMALL, run_before=keys())

    def test_oversight(self, snap_compare: Any, make_app: Any) -> None:
        from tests.ui.test_work import escalate_as_chair

        app = make_app("osman", home="work")
        escalate_as_chair("DRP-2026-0014", "stage_2")  # a request for oversight's agreement
        assert snap_compare(app, terminal_size=SMALL, run_before=keys())
