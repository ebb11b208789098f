"""Pieces of the history screen: the state-coloured table, the explanation dialog, short dates."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from drp_tui.domain.model import DueState
from drp_tui.domain.timeutil import london_date
from drp_tui.ui.screens.history_lines import Explanation
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.tables import DeskTable

CSS_PATH = "../tcss/screens.tcss"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(d: date | datetime | None) -> str:
    """``24 Dec 26``: compact, unambiguous, English month names whatever the locale."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = london_date(d)
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year % 100:02d}"


class StateTable(DeskTable[Text]):
    """A DataTable whose cells can be styled by deadline state (theme colours, from screens.tcss)."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "state--overdue", "state--due-today", "state--due-soon", "state--on-track",
        "state--paused", "state--late", "state--done", "state--none",
    }

    def state_text(self, word: str, state: DueState, symbol: bool = True) -> Text:
        style = self.get_component_rich_style(f"state--{state.value.replace('_', '-')}", partial=True)
        return Text(f"{state.symbol} {word}" if symbol else word, style=style, no_wrap=True, end="")


class ExplainDialog(ModalScreen[None]):
    """How a date was worked out: one line a day, counted or skipped (with the reason)."""

    CSS_PATH = CSS_PATH
    BINDINGS = [Binding("escape,enter,e,q", "close", "Close", key_display="Esc", id="explain.close")]

    def __init__(self, explanation: Explanation) -> None:
        super().__init__()
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        ex = self.explanation
        with Vertical():
            yield Static(safe_text(ex.title), classes="dialog-title")
            for line in ex.intro:
                yield Static(Text(visible(line)))
            with VerticalScroll(id="explain-days"):
                yield Static(Text("\n".join(ex.lines)) if ex.lines else Text("No days to count."),
                             id="explain-lines")
            yield Static(Text("Esc or Enter to close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
