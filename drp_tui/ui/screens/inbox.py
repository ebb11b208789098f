"""Inbox: the signed-in person's notifications, newest first.

A mode of the app (constructed with no arguments). Unread rows are bold and
marked ``NEW`` (not colour alone); acknowledged rows say ``ack``. Enter opens the
dispute and marks the item read, ``a`` acknowledges it, ``A`` marks everything
read. Every write runs in a worker, then asks the app to refresh (the header's
unread count follows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from drp_tui.ui.screens.mode import ModeScreen
from drp_tui.ui.keys import LIST_BINDINGS
from drp_tui.crash import user_message
from drp_tui.domain.timeutil import format_date, format_london, to_london
from drp_tui.services import inbox
from drp_tui.services import reads
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.domain.views import NotificationView
    from drp_tui.ui.app import DrpApp

KIND_LABELS = {
    "request": "request",
    "response": "response",
    "info": "for info",
    "decision": "decision",
    "approval": "approval",
    "compliment": "compliment",
    "reminder": "reminder",
}

INBOX_BINDINGS: list[Binding] = [
    Binding("enter", "open", "Open", key_display="⏎", id="inbox.open",
            tooltip="Open the dispute and mark the item read"),
    Binding("a", "acknowledge", "Acknowledge", id="inbox.acknowledge",
            tooltip="Acknowledge the highlighted item (also marks it read)"),
    Binding("A,shift+a", "mark_all_read", "All read", key_display="A", id="inbox.all_read",
            tooltip="Mark every item read"),
    Binding("h", "history", "History", id="inbox.history", tooltip="History of the item's dispute"),
    Binding("ctrl+r", "reload", "Reload", show=False, id="inbox.reload"),
]


COLUMNS = (("", "mark"), ("Kind", "kind"), ("Reference", "ref"), ("When", "when"), ("Text", "text"))
FIXED_WIDTHS = (4, 10, 13, 16)  # the text column takes the rest of the width


def short_when(at: datetime) -> str:
    """``Mon 23 Nov 14:05`` in London (the year is in the detail line below the list)."""
    local = to_london(at)
    return f"{format_date(local.date())[:-5]} {local:%H:%M}"


def without_reference(text: str, reference: str) -> str:
    """The text less a leading copy of the reference (it has its own column)."""
    if reference and text.startswith(reference):
        rest = text[len(reference):].lstrip(":").lstrip()
        return rest or text
    return text


def para(value: str) -> str:
    """Several lines of user text: each line made safe, the line breaks kept."""
    return "\n".join(visible(line.replace("\t", "    ")) for line in value.splitlines())


def marker(n: NotificationView) -> Text:
    """``NEW`` (bold) for unread, ``ack`` once acknowledged, ``read`` otherwise."""
    if n.read_at is None:
        return Text("NEW", style="bold")
    if n.acknowledged_at is not None:
        return Text("ack")
    return Text("read")


class InboxTable(DeskTable[Text], inherit_bindings=False):
    """The inbox grid; Enter is the screen's (open and mark read)."""

    BINDINGS = [*(b for b in DataTable.BINDINGS if not (isinstance(b, Binding) and b.key == "enter")), *LIST_BINDINGS]


@dataclass(frozen=True)
class InboxData:
    items: tuple[NotificationView, ...]
    compliments: dict[int, str]  # notification id -> the compliment's text


class InboxScreen(ModeScreen):
    CSS_PATH = "../tcss/screens.tcss"
    BINDINGS = INBOX_BINDINGS
    TITLE = "Inbox"

    def __init__(self) -> None:
        super().__init__()
        self.items: tuple[NotificationView, ...] = ()
        self.compliments: dict[int, str] = {}

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Inbox", id="inbox-title", classes="screen-title")
        yield InboxTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="inbox-detail", classes="detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one(InboxTable)
        table.focus()
        self.refresh_data()

    # --- loading --------------------------------------------------------------------
    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="inbox-load", exit_on_error=False)
    def _load(self) -> None:
        user = self.desk_app.desk.user
        if user is None:
            return
        items, texts = self.desk_app.desk.call(reads.inbox)
        data = InboxData(tuple(items), texts)
        self.app.call_from_thread(self._show, data)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.notify(user_message(err), title=getattr(err, "title", "Inbox"),
                        severity="error", markup=False)

    def _show(self, data: InboxData) -> None:
        if not self.is_attached:
            return
        keep = self.current
        self.items = data.items
        self.compliments = data.compliments
        self._fill()
        table = self.query_one(InboxTable)
        if keep is not None:
            for i, n in enumerate(data.items):
                if n.id == keep.id:
                    table.move_cursor(row=i, animate=False)
                    break
        unread = sum(1 for n in data.items if n.read_at is None)
        title = Text(f"Inbox · {len(data.items)} item{'s' if len(data.items) != 1 else ''} · {unread} unread",
                     no_wrap=True, end="")
        self.query_one("#inbox-title", Static).update(title)
        self._detail()

    def _fill(self) -> None:
        table = self.query_one(InboxTable)
        row = table.cursor_row
        table.clear(columns=True)
        text_width = max(16, self.app.size.width - sum(FIXED_WIDTHS) - 2 * (len(FIXED_WIDTHS) + 1) - 2)
        for (label, key), width in zip(COLUMNS, FIXED_WIDTHS + (text_width,), strict=True):
            table.add_column(label, key=key, width=width)
        for n in self.items:
            style = "bold" if n.read_at is None else ""
            table.add_row(
                marker(n),
                Text(KIND_LABELS.get(n.kind, n.kind), style=style),
                safe_text(n.reference or "-", style=style, width=13),
                Text(short_when(n.created_at), style=style),
                safe_text(without_reference(n.text, n.reference), style=style, width=text_width),
                key=str(n.id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def on_resize(self) -> None:
        if self.items:
            self._fill()

    @on(DataTable.RowHighlighted, "#inbox-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        n = self.current
        detail = self.query_one("#inbox-detail", Static)
        if n is None:
            detail.update(Text("Nothing in your inbox."))
            return
        text = Text(end="")
        text.append(f"{KIND_LABELS.get(n.kind, n.kind)} · {format_london(n.created_at)}", style="bold")
        if n.reference:
            text.append(" · " + visible(n.reference))
        if n.read_at is not None:
            text.append(f" · read {format_london(n.read_at)}")
        if n.acknowledged_at is not None:
            text.append(f" · acknowledged {format_london(n.acknowledged_at)}")
        text.append("\n" + visible(n.text))
        if n.id in self.compliments:
            text.append("\n“" + para(self.compliments[n.id]) + "”")
        detail.update(text)

    @property
    def current(self) -> NotificationView | None:
        table = self.query_one(InboxTable)
        if not self.items or table.row_count != len(self.items) or not 0 <= table.cursor_row < len(self.items):
            return None
        return self.items[table.cursor_row]

    # --- writes ---------------------------------------------------------------------
    @work(thread=True, group="inbox-write", exit_on_error=False)
    def _write(self, service: Callable[..., Any], *args: Any) -> None:
        self.desk_app.desk.call(service, *args)
        self.app.call_from_thread(self.desk_app.data_changed)

    # --- keys -------------------------------------------------------------------------
    def action_open(self) -> None:
        n = self.current
        if n is None:
            return
        if n.read_at is None:
            self._write(inbox.mark_read, n.id)
        if n.dispute_id is not None:
            self.desk_app.open_dispute(n.dispute_id)
        else:
            self.notify("This item is not about a dispute; it is marked read.", title=KIND_LABELS.get(n.kind, n.kind))

    @on(DataTable.RowSelected, "#inbox-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_acknowledge(self) -> None:
        n = self.current
        if n is None:
            return
        if n.acknowledged_at is not None:
            self.notify("Already acknowledged.")
            return
        self._write(inbox.acknowledge, n.id)

    def action_mark_all_read(self) -> None:
        if not any(n.read_at is None for n in self.items):
            self.notify("Nothing unread.")
            return
        self._write(inbox.mark_all_read)

    def action_history(self) -> None:
        n = self.current
        if n is None or n.dispute_id is None:
            self.notify("This item is not about a dispute.", severity="warning")
            return
        self.desk_app.open_history(dispute_id=n.dispute_id)

    def action_reload(self) -> None:
        self.refresh_data()
