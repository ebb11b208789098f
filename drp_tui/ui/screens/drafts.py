"""Drafts: the offer when a form with a kept draft opens, the list of one's drafts, the quit question.

- :class:`ChoiceDialog`: three (or more) answers, each with a letter; Escape gives the last.
- :func:`offer_question`: the question a form asks when its owner has a draft of it
  (restore / discard / later).
- :class:`DraftsScreen` (F6 or "Drafts" in the palette): the signed-in person's drafts,
  newest first; Enter opens the form (which then offers the draft), ``d`` discards one
  (after a confirmation). Reads and the discard run in thread workers through the desk.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Static

from drp_tui.domain.timeutil import format_london
from drp_tui.services import drafts
from drp_tui.services.drafts import DraftView
from drp_tui.ui.screens.dialogs import DIALOG_CSS, ConfirmDialog
from drp_tui.ui.widgets.form_fields import plain, visible
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp

RESTORE, DISCARD, LATER = "restore", "discard", "later"


class ChoiceDialog(ModalScreen[str]):
    """A question with a few answers: ``choices`` = (value, label, key); Escape answers the last."""

    DEFAULT_CSS = DIALOG_CSS.replace("ConfirmDialog", "ChoiceDialog")
    BINDINGS = [Binding("escape,q", "cancel", "Cancel", key_display="Esc", id="dialog.cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str, str]], *, title: str = "Please choose") -> None:
        super().__init__()
        self.question, self.choices, self.title_text = question, choices, title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Static(plain(self.question), id="question")
            with Horizontal(classes="dialog-buttons"):
                for n, (value, label, key) in enumerate(self.choices):
                    yield Button(Content(f"{label} ({key})"), id=f"choice-{value}", compact=True,
                                 variant="primary" if n == 0 else "default")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def on_key(self, event: Any) -> None:
        for value, _label, key in self.choices:
            if event.key == key:
                event.stop()
                self.dismiss(value)
                return

    def action_cancel(self) -> None:
        self.dismiss(self.choices[-1][0])

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))


def describe(view: DraftView) -> str:
    """Which fields a draft holds, in words (no text of it: a dialog may be seen over a shoulder)."""
    names = []
    for key, value in view.payload.items():
        if key == "actions" and isinstance(value, list):
            rows = [r for r in value if any(str(x).strip() for x in r)]
            names.append(f"{len(rows)} SMART action{'s' if len(rows) != 1 else ''}")
        elif key.startswith("sib-"):
            continue
        else:
            names.append(key.removeprefix("chair_").replace("_", " "))
    return ", ".join(names) or "ticks"


def offer_question(view: DraftView) -> ChoiceDialog:
    when = format_london(view.saved_at)
    why = f" ({view.reason})" if view.reason else ""
    return ChoiceDialog(f"You have unsaved text in this form, kept as a draft on {when}{why}: {describe(view)}.\n"
                        "Restore it into the form, discard it, or decide later (it stays in your drafts, F6)?",
                        [(RESTORE, "Restore", "r"), (DISCARD, "Discard", "d"), (LATER, "Later", "l")],
                        title="Your draft of this form")


class DraftsScreen(Screen[None]):
    """The signed-in person's drafts."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="drafts.open"),
        Binding("d", "discard", "Discard", id="drafts.discard"),
        Binding("escape", "close", "Close", id="drafts.close"),
    ]
    DEFAULT_CSS = """
    DraftsScreen #drafts-title { text-style: bold; padding: 0 1; }
    DraftsScreen #drafts-message { padding: 0 1; color: $text-muted; }
    DraftsScreen DataTable { height: 1fr; }
    """
    TITLE = "Drafts"

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[DraftView] = []
        self._note = ""

    @property
    def drp(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Content("My drafts: unsaved text kept for me"), id="drafts-title")
        yield Static("", id="drafts-message")
        table: DataTable[Any] = DeskTable(id="drafts-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Form", "Kept", "Why", "Fields")
        yield table
        yield DeskFooter()

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="drafts-load", exit_on_error=False)
    def _load(self) -> None:
        found = self.drp.desk.call(drafts.my_drafts)
        self.app.call_from_thread(self._show, found)

    def _show(self, found: list[DraftView]) -> None:
        self.drafts = found
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for d in found:
            table.add_row(Text(visible(d.title)), format_london(d.saved_at), Text(visible(d.reason)),
                          Text(visible(describe(d))), key=str(d.id))
        if found:
            table.move_cursor(row=min(max(row, 0), len(found) - 1))
        self.say(self._note or ("Enter opens the form (it offers the draft back); d discards one." if found
                          else "You have no drafts."))
        self.drp.set_draft_count(len(found))
        table.focus()

    def say(self, message: str) -> None:
        self.query_one("#drafts-message", Static).update(plain(message))

    def current(self) -> DraftView | None:
        table = self.query_one(DataTable)
        if not self.drafts or table.cursor_row < 0 or table.cursor_row >= len(self.drafts):
            return None
        return self.drafts[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        self._note = ""
        d = self.current()
        if d is None:
            return
        if d.dispute_id is not None:
            self.drp.open_dispute(d.dispute_id)
        elif d.child_id is not None:
            self.drp.open_raise(d.child_id)

    def action_discard(self) -> None:
        self._note = ""
        d = self.current()
        if d is None:
            return
        self.app.push_screen(ConfirmDialog(f"Discard your draft of {d.title} ({describe(d)})? The text is gone for good.",
                                           title="Discard a draft", yes="Discard", no="Keep it"),
                             callback=partial(self._discard_answer, d.id))

    def _discard_answer(self, draft_id: int, yes: bool | None) -> None:
        if yes:
            self._discard(draft_id)

    @work(thread=True, group="drafts-write", exit_on_error=False)
    def _discard(self, draft_id: int) -> None:
        try:
            self.drp.desk.call(drafts.remove_draft, draft_id, "discarded from the drafts list")
        except Exception as exc:  # noqa: BLE001 - shown to the person
            self.app.call_from_thread(self.say, getattr(exc, "message", str(exc)))
            return
        self.app.call_from_thread(self._discarded)

    def _discarded(self) -> None:
        self._note = "Draft discarded."
        self._load()

    def action_close(self) -> None:
        self.dismiss(None)
