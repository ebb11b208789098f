"""Helpers for the desk's pilot tests: wait for workers, read the screen as text."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from drp_tui.services.demo import DEMO_PASSWORD

PASSWORD = DEMO_PASSWORD


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let messages run and every worker finish (no sleeping), and every typed-ahead key land."""
    for _ in range(200):  # keys held back by the app's OrderedKeys until the previous one settled
        if not getattr(pilot.app, "keys_pending", 0):
            break
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
    for _ in range(rounds):
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # work superseded in an exclusive group: the newer one is waited for next
            await pilot.pause()
    await pilot.wait_for_scheduled_animations()  # a tab's underline slides: draw where it stops
    await pilot.pause()


def screen_text(app: Any) -> str:
    """Every character on the terminal as it is drawn now."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def table_rows(app: Any) -> list[list[str]]:
    """The caseload table's cells as plain text, row by row."""
    from drp_tui.ui.widgets.caseload_table import CaseloadTable

    table = app.screen.query_one(CaseloadTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def column(app: Any, key: str) -> list[str]:
    from drp_tui.ui.widgets.caseload_table import CaseloadTable

    table = app.screen.query_one(CaseloadTable)
    index = table.column_keys.index(key)
    return [row[index] for row in table_rows(app)]


def raw(app: Any) -> sqlite3.Connection:
    """A second connection to the desk's database, as another session would have."""
    return sqlite3.connect(app.desk.setup.db_target, timeout=15, isolation_level=None)


def child_names(app: Any) -> list[str]:
    with raw(app) as con:
        return [r[0] for r in con.execute("SELECT name FROM child")]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


async def sign_in(pilot: Pilot[Any], username: str, password: str = PASSWORD) -> None:
    app = pilot.app
    app.screen.query_one("#username").value = username
    app.screen.query_one("#password").value = password
    app.screen.query_one("#password").focus()
    await pilot.press("enter")
    await settle(pilot)


def desk_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test under asyncio (the project has no async pytest plugin)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper
