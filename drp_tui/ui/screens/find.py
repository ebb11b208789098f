"""Find anything (ctrl+f, from any screen): a child or a dispute by name, case number or reference,
among those the signed-in person may see (the read rule, through ``Desk.find``).

Type at least two characters; the list follows as you type (children first, then disputes,
a few of each). Down or Enter goes to the list; Enter on a dispute opens its form, on a child
its history (where the disputes about it are). Escape closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from drp_tui.crash import user_message
from drp_tui.domain.views import Found
from drp_tui.services.errors import DomainError
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.text import safe_text

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp


class FindScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="find.close"),
        Binding("down", "to_list", "To the list", show=False, id="find.to_list"),
    ]
    DEFAULT_CSS = """
    FindScreen { align: center middle; }
    FindScreen > Vertical { width: 76; max-width: 100%; height: 20; max-height: 100%;
                            border: round $primary; background: $surface; padding: 0 1; }
    FindScreen #find-title { text-style: bold; }
    FindScreen #find-message { color: $text-muted; height: 1; }
    FindScreen DataTable { height: 1fr; }
    """
    TITLE = "Find"

    def __init__(self) -> None:
        super().__init__()
        self.found = Found((), ())
        self.keys: list[tuple[str, int]] = []  # ("dispute" | "child", id) per row

    @property
    def drp(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Find a child or a dispute", id="find-title")
            yield Input(placeholder="name, case number or reference", id="find-input", max_length=64)
            yield Static("Type at least two characters.", id="find-message")
            table: DataTable[Any] = DeskTable(id="find-table", cursor_type="row", zebra_stripes=True)
            table.add_column("", width=8)
            table.add_column("Reference / case", width=16)
            table.add_column("Child", width=22)
            table.add_column("Stage / team", width=20)
            yield table

    def on_mount(self) -> None:
        self.query_one("#find-input", Input).focus()

    @on(Input.Changed, "#find-input")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#find-input")
    def _submitted(self) -> None:
        self.action_to_list()

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def _search(self, text: str) -> None:
        try:
            found = self.drp.desk.find(text)
        except DomainError as err:
            self.app.call_from_thread(self._say, err.message)
            return
        except Exception as err:  # a fault: said in words, never a traceback with values
            self.app.call_from_thread(self._say, user_message(err))
            return
        self.app.call_from_thread(self._show, text, found)

    def _say(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#find-message", Static).update(safe_text(text))

    def _show(self, text: str, found: Found) -> None:
        if not self.is_attached or self.query_one("#find-input", Input).value != text:
            return  # a newer keystroke's search follows
        self.found = found
        table = self.query_one("#find-table", DeskTable)
        table.clear()
        self.keys = []
        for c in found.children:
            table.add_row(Text("child"), safe_text(c.case_number, width=16), safe_text(c.name, width=22),
                          safe_text(c.team_name, width=20))
            self.keys.append(("child", c.id))
        for d in found.disputes:
            table.add_row(Text("dispute"), safe_text(d.reference, width=16), safe_text(d.child_name, width=22),
                          safe_text(d.stage_label or d.stage_key, width=20))
            self.keys.append(("dispute", d.id))
        n = len(self.keys)
        if len(" ".join(text.split())) < 2:
            self._say("Type at least two characters.")
        elif not n:
            self._say("Nothing you may see matches.")
        else:
            self._say(f"{len(found.children)} child(ren), {len(found.disputes)} dispute(s): Enter opens")

    def action_to_list(self) -> None:
        table = self.query_one("#find-table", DeskTable)
        if table.row_count:
            table.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected, "#find-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        i = event.cursor_row
        if not 0 <= i < len(self.keys):
            return
        kind, ident = self.keys[i]
        self.dismiss(None)
        if kind == "dispute":
            self.drp.open_dispute(ident)
        else:
            self.drp.open_history(child_id=ident)
