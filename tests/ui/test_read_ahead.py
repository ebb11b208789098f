"""The home caseload's first page is read on the sign-in's thread, before its screen is built.

So the screen shows its rows at its first paint: read by the screen, the page waited for the
screen's building and then shared the interpreter with it (``caseload.read_ahead``). A page read
ahead that is not the screen's (another size) is not shown: the screen reads its own."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from drp_tui.ui.screens import caseload
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.widgets.caseload_table import CaseloadTable
from tests.ui.desk_helpers import desk_test, raw, settle, sign_in

OPEN = ("draft", "sent", "responded", "negotiating")


def recorded(calls: list[tuple[str, str]], name: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append((name, threading.current_thread().name))
        return fn(*args, **kwargs)
    return wrapper


def the_chairs_first_page(app: Any, username: str, size: int) -> list[str]:
    """The chair's open disputes by due date (no deadline last), as another session reads them."""
    with raw(app) as con:
        rows = con.execute(
            "SELECT d.reference FROM dispute d JOIN staff s ON s.id = d.raised_by_id WHERE s.username = ?"
            f" AND d.status IN ({', '.join('?' * len(OPEN))}) ORDER BY d.next_due_at IS NULL, d.next_due_at, d.id",
            (username, *OPEN)).fetchall()
    return [r[0] for r in rows[:size]]


def shown(app: Any) -> list[str]:
    return [row.reference for row in app.screen.query_one(CaseloadTable).rows_shown]


@desk_test
async def test_the_first_page_is_read_once_on_the_sign_ins_thread_before_the_screen_is_built(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app("cpatel")  # home: the caseload
    calls: list[tuple[str, str]] = []
    for name in ("sign_in_demo", "caseload_page"):
        monkeypatch.setattr(app.desk, name, recorded(calls, name, getattr(app.desk, name)))
    monkeypatch.setattr(CaseloadScreen, "compose", recorded(calls, "screen built", CaseloadScreen.compose))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [name for name, _ in calls][:3] == ["sign_in_demo", "caseload_page", "screen built"]
        first_page = [thread for name, thread in calls if name == "caseload_page"][0]
        assert first_page == calls[0][1] != threading.current_thread().name  # the sign-in's own thread
        screen = app.screen
        assert isinstance(screen, CaseloadScreen) and screen.shown_generation == screen._generation
        assert shown(app) == the_chairs_first_page(app, "cpatel", screen.page_size)  # the page, as stored
        assert app.take_read_ahead() is None  # taken by the screen: a later one reads its own


@desk_test
async def test_a_page_read_ahead_that_is_not_the_screens_is_not_shown(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    original = caseload.read_ahead

    def another_size(desk: Any, height: int) -> Any:  # (as if the terminal was resized meanwhile)
        ahead = original(desk, height)
        return replace(ahead, page_size=ahead.page_size - 5, rows=ahead.rows[:ahead.page_size - 4])

    monkeypatch.setattr(caseload, "read_ahead", another_size)
    app = make_app("cpatel")
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(app.desk, "caseload_page", recorded(calls, "caseload_page", app.desk.caseload_page))
    monkeypatch.setattr(CaseloadScreen, "compose", recorded(calls, "screen built", CaseloadScreen.compose))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        # read ahead, then by the screen itself (then again as the live watch sees the start's reminders)
        assert [name for name, _ in calls][:3] == ["caseload_page", "screen built", "caseload_page"]
        assert len(shown(app)) > 13  # not the 13 rows read ahead
        assert shown(app) == the_chairs_first_page(app, "cpatel", screen.page_size)


@desk_test
async def test_signing_in_at_the_log_in_screen_reads_the_first_page_ahead_too(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(None)  # the log-in screen
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(app.desk, "caseload_page", recorded(calls, "caseload_page", app.desk.caseload_page))
    monkeypatch.setattr(CaseloadScreen, "compose", recorded(calls, "screen built", CaseloadScreen.compose))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert calls == []  # nothing read before anyone signs in
        await sign_in(pilot, "cpatel")
        assert [name for name, _ in calls][:2] == ["caseload_page", "screen built"]
        assert calls[0][1] != threading.current_thread().name  # on the sign-in's worker thread
        assert shown(app) == the_chairs_first_page(app, "cpatel", app.screen.page_size)


@desk_test
async def test_my_work_as_home_is_read_ahead_too(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from drp_tui.ui.screens.work import WorkScreen, WorkTable

    app = make_app("cpatel", home="work")
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(app.desk, "my_work", recorded(calls, "my_work", app.desk.my_work))
    monkeypatch.setattr(WorkScreen, "compose", recorded(calls, "screen built", WorkScreen.compose))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [name for name, _ in calls][:2] == ["my_work", "screen built"]
        assert calls[0][1] != threading.current_thread().name  # on the sign-in's thread
        assert isinstance(app.screen, WorkScreen) and app.screen.loaded
        items = app.screen.query_one(WorkTable).items
        assert items and [i.reference for i in items] == [i.reference for i in app.desk.my_work()]
        assert app.take_read_ahead() is None
