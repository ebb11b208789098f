"""Snapshots at 80x24 of the administrator's screen (F8 or A) on the demo data (frozen clock):
each tab; and of the finder (ctrl+f).

Accept changes only after looking at the SVGs: ``pytest tests/snapshots/test_snap_admin.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

from tests.snapshots.test_snap_screens import SIZE, opened
from tests.ui.conftest import demo_template, make_app  # noqa: F401  (fixtures)
from drp_tui.ui.screens.admin import AdminScreen


class TestAdmin:
    def test_staff(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("admin"), terminal_size=SIZE, run_before=opened(lambda a: AdminScreen()))

    def test_teams(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("admin"), terminal_size=SIZE, run_before=opened(lambda a: AdminScreen(), "2"))

    def test_children(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("admin"), terminal_size=SIZE, run_before=opened(lambda a: AdminScreen(), "3"))

    def test_closure_days(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("admin"), terminal_size=SIZE, run_before=opened(lambda a: AdminScreen(), "4"))

    def test_procedure(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("admin"), terminal_size=SIZE, run_before=opened(lambda a: AdminScreen(), "5"))


class TestFind:
    def test_chair_finds_by_name(self, snap_compare: Any, make_app: Any) -> None:
        from drp_tui.ui.screens.find import FindScreen

        run = opened(lambda a: FindScreen(), *"Elsw")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)
