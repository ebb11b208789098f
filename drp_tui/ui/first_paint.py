"""A screen is not drawn empty while its first list is on its way.

At start the desk's first screen is mounted, styled and laid out while its list is read in a
worker; Textual would draw it (empty) several times meanwhile, each drawing holding the
interpreter the reader needs. :class:`HeldPaint` holds the desk's drawing (``App.batch_update``)
from the screen's compose until its list is applied, its read fails, the screen goes, or
``wait`` seconds pass; the desk is then drawn once, with the list."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from textual.screen import Screen
from textual.timer import Timer


class HeldPaint:
    def __init__(self, screen: Screen[Any], wait: float) -> None:
        self._screen = screen
        held = screen.app.batch_update()
        held.__enter__()
        self._held: AbstractContextManager[None] | None = held
        self.timer: Timer | None = screen.set_timer(wait, self.release)  # (ends the hold anyway)

    @property
    def holding(self) -> bool:
        return self._held is not None

    def release(self) -> None:
        """Draw again (once only; what comes after is a no-op)."""
        held, self._held = self._held, None
        if held is not None:
            held.__exit__(None, None, None)
            self._screen.refresh()
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
