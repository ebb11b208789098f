"""Helpers for the children, inbox, history, compliment and reports pilot tests."""

from __future__ import annotations

import asyncio
import io
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rich.console import Console
from rich.text import Text
from textual.screen import Screen
from textual.worker import WorkerCancelled

S = TypeVar("S", bound=Screen[Any])


def pilot_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test under asyncio (the project has no async pytest plugin)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let messages run and every worker finish (no sleeping), and every typed-ahead key land."""
    for _ in range(200):  # keys held back by the app's OrderedKeys until the previous one settled
        if not getattr(pilot.app, "keys_pending", 0):
            break
        await pilot.pause()
        for worker in list(pilot.app.workers):
            try:
                await worker.wait()
            except WorkerCancelled:
                pass
    for _ in range(rounds):
        await pilot.pause()
        for worker in list(pilot.app.workers):
            try:
                await worker.wait()
            except WorkerCancelled:  # an exclusive load replaced by a newer one (waited for too)
                pass
    await pilot.wait_for_scheduled_animations()  # a tab's underline slides: draw where it stops
    await pilot.pause()


async def push(app: Any, pilot: Any, screen: S) -> S:
    """Wait for the demo sign-in, push ``screen`` and wait for its first load."""
    await settle(pilot)
    assert app.desk.signed_in
    await app.push_screen(screen)
    await settle(pilot)
    return screen


def table_cells(screen: Screen[Any], selector: str) -> list[list[str]]:
    table = screen.query_one(selector)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def rendered(screen: Screen[Any], selector: str) -> str:
    """The plain text a Static holds now (Rich tables drawn 120 wide)."""
    content = screen.query_one(selector).content
    if isinstance(content, (str, Text)):
        return str(content)
    console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


def screen_text(app: Any) -> str:
    """Every character on the terminal as drawn now."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
