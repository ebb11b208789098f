"""Snapshots at 80x24 on the demo data (frozen clock): children, inbox, history, compliment, reports.

Accept changes only after looking at the SVGs: ``pytest tests/snapshots/test_snap_screens.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import TextArea

from drp_tui.store import models as m
from drp_tui.ui.screens.children import ChildrenScreen
from drp_tui.ui.screens.compliment import ComplimentScreen
from drp_tui.ui.screens.history import HistoryScreen
from drp_tui.ui.screens.inbox import InboxScreen
from drp_tui.ui.screens.reports import ReportsScreen
from tests.ui.conftest import demo_template, make_app  # noqa: F401  (fixtures)
from tests.ui.screens_helpers import settle
from tests.ui.test_history import christmas_dispute, climbed

SIZE = (80, 24)


def opened(make: Callable[[Any], Screen[Any]], *keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """run_before: wait for the sign-in, push the screen, wait for its data, press ``keys``."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(make(pilot.app))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if keys:  # a key's effect (a tab switch, a reload) may post further messages: let them land too
            await settle(pilot, rounds=6)

    return run_before


def a_child() -> int:
    chair = m.Staff.get(m.Staff.username == "cpatel")
    return int(m.Child.select().where((m.Child.chair == chair.id) & m.Child.social_worker.is_null(False))
               .order_by(m.Child.id).first().id)


class TestChildren:
    def test_chair(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=opened(lambda a: ChildrenScreen()))

    def test_filtered(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: ChildrenScreen(), "slash", *"quarley", "down")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)

    def test_oversight_read_only(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("osman"), terminal_size=SIZE, run_before=opened(lambda a: ChildrenScreen()))


class TestInbox:
    def test_team_manager(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("dwhitlow"), terminal_size=SIZE, run_before=opened(lambda a: InboxScreen()))

    def test_after_acknowledge_and_all_read(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: InboxScreen(), "down", "a", "A")
        assert snap_compare(make_app("dwhitlow"), terminal_size=SIZE, run_before=run)


class TestHistory:
    def test_timeline(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: HistoryScreen(dispute_id=climbed().id))
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)

    def test_stages(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: HistoryScreen(dispute_id=climbed().id), "s")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)

    def test_explain_christmas(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: HistoryScreen(dispute_id=christmas_dispute(a)), "s", "e")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)

    def test_clocks(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: HistoryScreen(dispute_id=christmas_dispute(a)), "c")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)

    def test_child(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: HistoryScreen(child_id=climbed().child_id), "s")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)


class TestCompliment:
    def test_typed(self, snap_compare: Any, make_app: Any) -> None:
        async def run(pilot: Pilot[Any]) -> None:
            await opened(lambda a: ComplimentScreen(a_child()))(pilot)
            pilot.app.screen.query_one(TextArea).text = "Thorough life story work; the child knows why.\n[b]as typed[/b]"
            await settle(pilot)

        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)

    def test_empty_is_refused(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: ComplimentScreen(a_child()), "ctrl+s")
        assert snap_compare(make_app("cpatel"), terminal_size=SIZE, run_before=run)


class TestReports:
    def test_numbers(self, snap_compare: Any, make_app: Any) -> None:
        assert snap_compare(make_app("osman"), terminal_size=SIZE, run_before=opened(lambda a: ReportsScreen()))

    def test_outstanding(self, snap_compare: Any, make_app: Any) -> None:
        run = opened(lambda a: ReportsScreen(), "o")
        assert snap_compare(make_app("osman"), terminal_size=SIZE, run_before=run)
