"""Snapshot at 80x24 of the report pack on the reports screen (demo data, frozen clock).

Accept changes only after looking at the SVG: ``pytest tests/snapshots/test_snap_report_pack.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

from drp_tui.ui.screens.reports import ReportsScreen
from tests.snapshots.test_snap_screens import SIZE, opened
from tests.ui.conftest import demo_template, make_app  # noqa: F401  (fixtures)


class TestReportPack:
    def test_pack(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: ReportsScreen(), "p")
        assert snap_compare(make_app("osman"), terminal_size=SIZE, run_before=run)
