"""The first screen is not drawn empty while its list is on its way (the caseload's first page,
My work's list): the drawing is held from the screen's compose until the list is applied (or its
read fails, or the screen goes, or FIRST_PAINT_WAIT passes), then the desk is drawn once, with it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from drp_tui.ui.desk import Desk
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.work import WorkScreen, WorkTable
from tests.ui.desk_helpers import column, desk_test, settle


@pytest.fixture
def held_page(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """(reading, go): the first caseload page read waits for ``go`` once it has started."""
    reading, go = threading.Event(), threading.Event()
    original = Desk.caseload_page

    def caseload_page(self: Desk, *args: Any, **kwargs: Any) -> Any:
        reading.set()
        assert go.wait(10), "the test never let the page through"
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Desk, "caseload_page", caseload_page)
    monkeypatch.setattr(CaseloadScreen, "FIRST_PAINT_WAIT", 3600)  # the test decides when the hold ends
    return reading, go


async def until(pilot: Any, event: threading.Event) -> None:
    for _ in range(500):
        if event.is_set():
            return
        await pilot.pause()
    raise AssertionError("the page read never started")


@desk_test
async def test_the_desk_is_drawn_once_the_first_page_is_there(make_app: Any, held_page: Any) -> None:
    reading, go = held_page
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, reading)
        screen = app.screen
        assert isinstance(screen, CaseloadScreen) and screen.shown_generation == -1
        assert screen._paint is not None and screen._paint.holding and app._batch_count > 0  # nothing is drawn while the page is on its way
        go.set()
        await settle(pilot)
        assert app._batch_count == 0 and screen._paint is not None and not screen._paint.holding
        assert column(app, "reference")  # drawn, with its rows


@desk_test
async def test_a_first_page_that_fails_lets_the_desk_be_drawn(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(self: Desk, *args: Any, **kwargs: Any) -> Any:
        raise OSError("disk I/O error")

    monkeypatch.setattr(Desk, "caseload_page", fails)
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app._batch_count == 0
        assert "could not load (OSError)" in str(app.screen.query_one("#status").render())


@desk_test
async def test_a_slow_first_page_does_not_hold_the_drawing_for_long(make_app: Any, held_page: Any) -> None:
    reading, go = held_page
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, reading)
        screen = app.screen
        assert isinstance(screen, CaseloadScreen) and app._batch_count > 0
        paint = screen._paint
        assert paint is not None and paint.timer is not None
        assert paint.timer._interval == 3600  # FIRST_PAINT_WAIT: what ends the hold anyway
        paint.release()  # (what that timer calls)
        assert app._batch_count == 0 and paint.timer is None
        paint.release()  # once only
        assert app._batch_count == 0
        go.set()
        await settle(pilot)
        assert app._batch_count == 0 and column(app, "reference")


@desk_test
async def test_my_work_is_drawn_once_its_list_is_there(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reading, go = threading.Event(), threading.Event()
    original = Desk.my_work

    def my_work(self: Desk) -> Any:
        reading.set()
        assert go.wait(10), "the test never let the list through"
        return original(self)

    monkeypatch.setattr(Desk, "my_work", my_work)
    monkeypatch.setattr(WorkScreen, "FIRST_PAINT_WAIT", 3600)
    app = make_app("cpatel", home="work")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, reading)
        screen = app.screen
        assert isinstance(screen, WorkScreen) and not screen.loaded
        assert screen._paint is not None and screen._paint.holding and app._batch_count > 0
        go.set()
        await settle(pilot)
        assert screen.loaded and app._batch_count == 0 and not screen._paint.holding
        assert screen.query_one(WorkTable).items  # drawn, with the chair's work


@desk_test
async def test_my_work_that_fails_lets_the_desk_be_drawn(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(self: Desk) -> Any:
        raise OSError("disk I/O error")

    monkeypatch.setattr(Desk, "my_work", fails)
    monkeypatch.setattr(WorkScreen, "FIRST_PAINT_WAIT", 3600)
    app = make_app("cpatel", home="work")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app._batch_count == 0
        assert "could not load" in str(app.screen.query_one("#work-title").render())
