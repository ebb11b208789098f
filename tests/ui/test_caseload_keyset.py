"""The caseload's keyset paging when the view is not counted yet: End reads the last rows
backwards ("the last N rows of many"), the count then places them, and PageUp from there
reads the rows before them."""

from __future__ import annotations

from typing import Any

from drp_tui.store.queries import caseload_page
from drp_tui.ui.screens.caseload import LAST, CaseloadScreen
from tests.ui.desk_helpers import column, desk_test, settle


def status(app: Any) -> str:
    return str(app.screen.query_one("#status").render())


@desk_test
async def test_end_before_the_count_shows_the_last_rows_and_pageup_the_rows_before(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 13)) as pilot:  # 7 rows a page
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseloadScreen)
        size, total = screen.page_size, screen.total_rows
        assert total and total > 2 * size
        q = screen.caseload_query()
        every = [r.reference for r in caseload_page(q, 0, total)]
        counted = screen._count
        screen._count = lambda q: None  # (the background count held back)
        screen._counts.clear()
        screen._stale_counts.clear()
        screen.total_rows = None
        await pilot.press("end")
        await settle(pilot)
        assert screen.page_offset == LAST and f"the last {size} rows of many" in status(app)
        assert column(app, "reference") == every[-size:]
        await pilot.press("pageup")  # placed by counting then: the page before the last rows
        await settle(pilot)
        assert screen.page_offset == total - 2 * size
        assert column(app, "reference") == every[-2 * size:-size]
        await pilot.press("pagedown")  # and back, found from that page's last row
        await settle(pilot)
        assert column(app, "reference") == every[-size:]
        screen._count = counted
        await pilot.press("end")
        await settle(pilot)
        last = (total - 1) // size * size
        assert screen.page_offset == last and column(app, "reference") == every[last:]
        assert f"rows {last + 1}–{total} of {total}" in status(app)
