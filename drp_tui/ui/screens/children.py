"""Children: the chair's children (or a team's, read-only), to raise, look back or compliment.

A mode of the app (constructed with no arguments). The list is read once in a
worker; ``/`` filters it in memory as you type (case number, name, legal status,
social worker, team, siblings). ``r`` raises a dispute from the highlighted child
(the raise form lets the chair tick siblings), ``h`` shows the child's history,
``c`` sends a compliment (only where the procedure has compliments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from drp_tui.crash import user_message
from drp_tui.domain.model import Role
from drp_tui.services import reads
from drp_tui.ui.screens.mode import ModeScreen
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.domain.views import ChildView
    from drp_tui.ui.app import DrpApp

CSS_PATH = "../tcss/screens.tcss"

CHILDREN_BINDINGS: list[Binding] = [
    Binding("slash", "filter", "Filter", key_display="/", id="children.filter",
            tooltip="Filter by case number, name, legal status, social worker or sibling"),
    Binding("r", "raise_dispute", "Raise", id="children.raise",
            tooltip="Raise a dispute for the highlighted child (tick siblings on the form)"),
    Binding("h", "history", "History", id="children.history", tooltip="Every dispute of the highlighted child"),
    Binding("c", "compliment", "Compliment", id="children.compliment",
            tooltip="Send a compliment to the child's social worker and team manager"),
    Binding("ctrl+r", "reload", "Reload", show=False, id="children.reload"),
]


@dataclass(frozen=True)
class ChildRow:
    child: ChildView
    open_disputes: int
    siblings: tuple[str, ...]  # the other children of the sibling group

    def haystack(self) -> str:
        c = self.child
        return " ".join((c.case_number, c.name, c.legal_status, c.social_worker_name, c.team_name,
                         *self.siblings)).lower()


@dataclass(frozen=True)
class ChildrenData:
    rows: tuple[ChildRow, ...]
    read_only: bool


class ChildFilter(Input):
    BINDINGS = [Binding("down,enter", "done", "To the list", show=False, id="children.filter_done")]

    def action_done(self) -> None:
        self.screen.query_one("#children-table", DataTable).focus()


class ChildrenScreen(ModeScreen):
    CSS_PATH = CSS_PATH
    BINDINGS = CHILDREN_BINDINGS
    TITLE = "Children"

    def __init__(self) -> None:
        super().__init__()
        self.data: ChildrenData | None = None
        self.text = ""

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Children", id="children-title", classes="screen-title")
        yield ChildFilter(placeholder="/ to filter: name, case number, social worker, sibling",
                          id="children-filter", compact=True)
        table: DataTable[Text | str] = DeskTable(id="children-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="children-detail", classes="detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one("#children-table", DataTable)
        table.add_column("Case no.", key="case", width=8)
        table.add_column("Name", key="name", width=20)
        table.add_column("Status", key="status", width=6)
        table.add_column("Social worker", key="sw", width=14)
        table.add_column("Siblings", key="siblings", width=12)
        table.add_column("Open", key="open", width=4)
        table.focus()
        self.refresh_data()

    # --- the access record: one read each time the list is opened (not per refresh) ----
    _read_mode: str | None = None

    def on_screen_resume(self) -> None:
        if self._read_mode is None and self.desk_app.desk.user is not None:
            self._read_mode = self.app.current_mode
            self._record_opening()

    def on_screen_suspend(self) -> None:
        if self.app.current_mode != self._read_mode:  # left for another mode (not a dialog on top)
            self._read_mode = None

    @work(thread=True, group="children-read", exit_on_error=False)
    def _record_opening(self) -> None:
        self.desk_app.desk.record_read("children list")

    # --- loading --------------------------------------------------------------------
    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="children-load", exit_on_error=False)
    def _load(self) -> None:
        user = self.desk_app.desk.user
        if user is None:
            return
        lines = self.desk_app.desk.call(reads.children)  # only the children this person may see
        rows = tuple(ChildRow(x.child, x.open_disputes, x.siblings) for x in lines)
        self.app.call_from_thread(self._show, ChildrenData(rows, user.role is not Role.CHAIR))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.notify(user_message(err), title=getattr(err, "title", "Could not load"),
                        severity="error", markup=False)

    def _show(self, data: ChildrenData) -> None:
        if not self.is_attached:
            return
        self.data = data
        self._fill()

    def visible_rows(self) -> list[ChildRow]:
        if self.data is None:
            return []
        words = self.text.lower().split()
        return [r for r in self.data.rows if all(w in r.haystack() for w in words)]

    def _fill(self) -> None:
        table = self.query_one("#children-table", DataTable)
        keep = self.current_child
        table.clear()
        rows = self.visible_rows()
        for r in rows:
            c = r.child
            table.add_row(
                safe_text(c.case_number, width=8), safe_text(c.name, width=20),
                safe_text(c.legal_status, width=6), safe_text(c.social_worker_name or "none", width=14),
                safe_text(", ".join(n.split(" ")[0] for n in r.siblings), width=12),
                Text(str(r.open_disputes) if r.open_disputes else "-", justify="right"),
                key=str(c.id))
        if keep is not None:
            for i, r in enumerate(rows):
                if r.child.id == keep.id:
                    table.move_cursor(row=i, animate=False)
                    break
        self._title(len(rows))
        self._detail()

    def _title(self, shown: int) -> None:
        data = self.data
        total = len(data.rows) if data else 0
        who = "Team children (read-only)" if data and data.read_only else "My children"
        count = f"{total}" if shown == total else f"{shown} of {total}"
        text = Text(f"{who} · {count}", no_wrap=True, end="")
        if self.text:
            text.append(" matching ")
            text.append(visible(self.text))
        self.query_one("#children-title", Static).update(text)

    @on(DataTable.RowHighlighted, "#children-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        row = self.current_row
        detail = self.query_one("#children-detail", Static)
        if row is None:
            if self.desk_app.desk.role is Role.ADMIN:
                detail.update(Text("An administrator manages accounts and teams and sees no child's details."))
                return
            detail.update(Text("No children to show." if not self.text else "No child matches the filter."))
            return
        c = row.child
        text = Text(no_wrap=False, end="")
        text.append(visible(c.name), style="bold")
        text.append(f" ({visible(c.case_number)}) · {visible(c.legal_status)} · {visible(c.team_name)} · "
                    f"social worker: {visible(c.social_worker_name) or 'none allocated'}")
        text.append(" · siblings: " + (", ".join(visible(n) for n in row.siblings) if row.siblings else "none"))
        n = row.open_disputes
        text.append(f" · {n} open dispute{'s' if n != 1 else ''}")
        detail.update(text)

    # --- what is highlighted ---------------------------------------------------------
    @property
    def current_row(self) -> ChildRow | None:
        table = self.query_one("#children-table", DataTable)
        rows = self.visible_rows()
        if not rows or not 0 <= table.cursor_row < len(rows) or table.row_count != len(rows):
            return None
        return rows[table.cursor_row]

    @property
    def current_child(self) -> ChildView | None:
        row = self.current_row
        return row.child if row else None

    def _need_child(self) -> ChildView | None:
        child = self.current_child
        if child is None:
            self.notify("Highlight a child first.", severity="warning")
        return child

    # --- keys -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        desk = self.desk_app.desk
        if action == "raise_dispute":
            return desk.role is Role.CHAIR
        if action == "compliment":
            return desk.role is Role.CHAIR and desk.policy.rules.compliments
        return True

    def action_filter(self) -> None:
        self.query_one("#children-filter", Input).focus()

    def action_reload(self) -> None:
        self.refresh_data()

    def action_raise_dispute(self) -> None:
        child = self._need_child()
        if child is not None:
            self.desk_app.open_raise(child.id)

    def action_history(self) -> None:
        child = self._need_child()
        if child is not None:
            self.desk_app.open_history(child_id=child.id)

    def action_compliment(self) -> None:
        child = self._need_child()
        if child is not None:
            self.desk_app.open_compliment(child.id)

    @on(Input.Changed, "#children-filter")
    def _typed(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        self._fill()

    @on(DataTable.RowSelected, "#children-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_history()
