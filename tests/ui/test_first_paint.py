"""The first screen's list (the caseload's first page, My work's list) is read before the screen
is mounted (on the sign-in's thread, before the screen is built: tests/ui/test_read_ahead.py; else
while it is being built, in compose), not after, and is shown once the screen is (applied after
on_mount, whether it arrives before the screen is ready or after)."""

from __future__ import annotations

from typing import Any

import pytest

from drp_tui.ui.desk import Desk
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.work import WorkScreen, WorkTable
from tests.ui.desk_helpers import column, desk_test, settle


def record(monkeypatch: pytest.MonkeyPatch, screen_class: Any, read: str) -> list[str]:
    """What happens to ``screen_class``, in order: "asked" (its list's read, ``Desk.<read>``, started),
    "mounted"."""
    events: list[str] = []
    on_mount, reads = screen_class.on_mount, getattr(Desk, read)

    def mounted(self: Any) -> None:  # (no event argument: Textual passes one to a handler that takes it)
        events.append("mounted")
        on_mount(self)

    def asked(self: Any, *args: Any, **kwargs: Any) -> Any:
        events.append("asked")
        return reads(self, *args, **kwargs)

    monkeypatch.setattr(screen_class, "on_mount", mounted)
    monkeypatch.setattr(Desk, read, asked)
    return events


@desk_test
async def test_the_caseload_asks_for_its_first_page_before_it_is_mounted(make_app: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    events = record(monkeypatch, CaseloadScreen, "caseload_page")
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseloadScreen)
        assert events[:2] == ["asked", "mounted"]  # (later reads: the sign-in's reminders changed the data)
        assert screen.shown_generation == screen._generation and column(app, "reference")
        assert screen.page_size == 24 - 6  # (the page size from the terminal, before any layout)


@desk_test
async def test_my_work_asks_for_its_list_before_it_is_mounted_and_shows_it(make_app: Any,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events = record(monkeypatch, WorkScreen, "my_work")
    app = make_app("cpatel", home="work")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WorkScreen) and screen.loaded
        assert events[:2] == ["asked", "mounted"]
        assert screen.query_one(WorkTable).items  # shown (through the screen's own queue, after on_mount)


@desk_test
async def test_my_work_that_fails_says_so(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(self: Desk) -> Any:
        raise OSError("disk I/O error")

    monkeypatch.setattr(Desk, "my_work", fails)
    app = make_app("cpatel", home="work")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "could not load" in str(app.screen.query_one("#work-title").render())


@desk_test
async def test_a_first_caseload_page_that_fails_says_so(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(self: Desk, *args: Any, **kwargs: Any) -> Any:
        raise OSError("disk I/O error")

    monkeypatch.setattr(Desk, "caseload_page", fails)
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "could not load (OSError)" in str(app.screen.query_one("#status").render())
