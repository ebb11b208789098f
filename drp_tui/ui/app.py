"""DrpApp: modes, global keys, the palette. Small: screens do the work.

Contract the screens rely on (keep it stable):
- ``app.desk``: the :class:`~drp_tui.ui.desk.Desk` (signed-in user, service calls).
- ``app.open_dispute(id)``, ``app.open_raise(child_id)``, ``app.open_history(dispute_id=, child_id=)``,
  ``app.open_compliment(child_id)``: push those screens.
- ``app.data_changed()``: call after this session wrote something; every screen
  that defines ``refresh_data()`` is asked to reload (also done when another
  session commits, and on the clock tick for colours).
"""

from __future__ import annotations

from textual.app import App

from drp_tui.bootstrap import Setup
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import Clock
from drp_tui.ui.desk import Desk


class DrpApp(App[int]):
    TITLE = "drp"

    def __init__(self, setup: Setup, *, policy: Policy | None = None, sign_in_as: str | None = None,
                 clock: Clock | None = None) -> None:
        super().__init__()
        self.desk = Desk(setup, policy, clock)
        self.sign_in_as = sign_in_as

    def open_dispute(self, dispute_id: int) -> None:
        from drp_tui.ui.screens.dispute import DisputeScreen

        self.push_screen(DisputeScreen(dispute_id))

    def open_raise(self, child_id: int) -> None:
        from drp_tui.ui.screens.raise_form import RaiseScreen

        self.push_screen(RaiseScreen(child_id))

    def open_history(self, dispute_id: int | None = None, child_id: int | None = None) -> None:
        from drp_tui.ui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen(dispute_id=dispute_id, child_id=child_id))

    def open_compliment(self, child_id: int) -> None:
        from drp_tui.ui.screens.compliment import ComplimentScreen

        self.push_screen(ComplimentScreen(child_id))

    def data_changed(self) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if callable(refresh):
                refresh()
