"""The caseload grid: one page of disputes, each row coloured by its deadline state.

The table holds only the rows of the visible page; moving past either end, PageUp,
PageDown, Home and End post :class:`CaseloadTable.PageRequest` up to the screen,
which loads the page from the database (in a worker) and hands it back with
:meth:`show_page`. Colours come from the component classes below, styled in
``app.tcss`` with theme variables; every row also carries the state word and
symbol, so 16-colour and NO_COLOR terminals lose nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from drp_tui.domain.model import DisputeRow, DueState
from drp_tui.domain.timeutil import to_london
from drp_tui.ui.keys import TABLE_BINDINGS
from drp_tui.ui.widgets.text import safe_text
from drp_tui.ui.widgets.tables import DeskTable

STATE_CLASS = {
    DueState.OVERDUE: "caseload--overdue",
    DueState.DUE_TODAY: "caseload--due-today",
    DueState.DUE_SOON: "caseload--due-soon",
    DueState.ON_TRACK: "caseload--on-track",
    DueState.PAUSED: "caseload--paused",
    DueState.LATE: "caseload--late",
    DueState.DONE: "caseload--done",
    DueState.NONE: "caseload--none",
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    priority: int  # columns with the highest numbers go first when the terminal is narrow


COLUMNS = (
    Column("state", "State", 12, 0),
    Column("reference", "Reference", 13, 0),
    Column("child", "Child", 15, 0),
    Column("due", "Due", 17, 0),
    Column("stage", "Stage", 12, 1),
    Column("with", "With whom", 14, 2),
    Column("category", "Category", 16, 4),
    Column("sent", "Sent", 10, 3),
)


GROW = {"category": 16, "child": 8, "with": 6, "stage": 10}  # room to grow into on wide terminals


def columns_for(width: int) -> list[Column]:
    """The columns that fit ``width`` cells (each column has one cell of padding either side)."""
    cols = list(COLUMNS)
    while sum(c.width + 2 for c in cols) > width and any(c.priority for c in cols):
        cols.remove(max(cols, key=lambda c: c.priority))
    spare = width - sum(c.width + 2 for c in cols) - 1
    for key, most in GROW.items():
        for i, c in enumerate(cols):
            if c.key == key and spare > 0:
                more = min(most, spare)
                cols[i] = replace(c, width=c.width + more)
                spare -= more
    return cols


def short_date(at: datetime | None, today: date) -> str:
    if at is None:
        return ""
    d = to_london(at).date()
    return f"{d:%a} {d.day} {d:%b}" if d.year == today.year else f"{d.day} {d:%b} {d.year}"


def due_text(at: datetime | None, today: date) -> str:
    """``Wed 11 Nov`` for end-of-day deadlines (stored as 00:00 London the next day), else with the time."""
    if at is None:
        return ""
    local = to_london(at)
    if local.time() == time(0):
        return short_date(at - timedelta(microseconds=1), today)
    return f"{short_date(at, today)} {local:%H:%M}" if local.date() != today else f"today {local:%H:%M}"


# What a row's next deadline is for (its ``next_due_kind``, a kind of domain.deadlines), as the Due
# column says it: "response 30 Nov", "action 4 Dec", "negotiation 14:00".
DUE_KINDS = {"response": "response", "action": "action", "negotiation": "negotiation", "monitoring": "meeting",
             "raise": "send by", "cap": "process"}


def due_cell(row: DisputeRow, today: date) -> str:
    """What is due and when, compactly: ``response 13 Nov``, ``negotiation 14:00`` (today)."""
    if row.next_due_at is None:
        return ""
    local = to_london(row.next_due_at)
    if local.time() == time(0):  # end of the day before
        day = (row.next_due_at - timedelta(microseconds=1))
        d = to_london(day).date()
        when = f"{d.day} {d:%b}" if d.year == today.year else f"{d.day} {d:%b} {d:%y}"
    elif local.date() == today:
        when = f"{local:%H:%M}"
    else:
        when = f"{local.day} {local:%b} {local:%H:%M}"
    word = DUE_KINDS.get(row.next_due_kind, row.next_due_kind)
    return f"{word} {when}".strip()


class CaseloadTable(DeskTable[Text]):
    """A DataTable of one caseload page. Row keys are dispute ids (as strings)."""

    BINDINGS = TABLE_BINDINGS
    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | set(STATE_CLASS.values())

    @dataclass
    class PageRequest(Message):
        """Load another page: ``step`` pages on (-1, +1), or ``to`` = "first"/"last"; then put the cursor at ``cursor``."""

        step: int = 0
        to: str = ""
        cursor: str = "keep"  # keep | first | last

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1)
        self.rows_shown: list[DisputeRow] = []
        self.states: list[DueState] = []
        self.category_labels: dict[str, str] = {}
        self.today = date.min  # London today from the desk clock, set by the screen
        self._cols: list[Column] = []

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        self.call_after_refresh(self.restyle)

    def restyle(self) -> None:
        """The theme changed: redraw the rows with its colours."""
        self._fill(self.cursor_row)

    # --- layout ----------------------------------------------------------------------
    def set_width(self, width: int) -> bool:
        """Choose the columns for ``width``; True if they changed (the rows are then redrawn)."""
        cols = columns_for(width)
        if cols == self._cols:
            return False
        self._cols = cols
        self.clear(columns=True)
        for c in cols:
            self.add_column(c.label, width=c.width, key=c.key)
        self._fill(self.cursor_row)
        return True

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self._cols]

    # --- data --------------------------------------------------------------------------
    def show_page(self, rows: Sequence[DisputeRow], states: Sequence[DueState], cursor: int = 0) -> None:
        self.rows_shown = list(rows)
        self.states = list(states)
        self._fill(cursor)

    def recolour(self, states: Sequence[DueState]) -> None:
        """New states for the same rows (the clock moved): redraw without a query."""
        if list(states) != self.states:
            self.states = list(states)
            self._fill(self.cursor_row)

    def _cells(self, row: DisputeRow, state: DueState, styles: dict[DueState, Style]) -> list[Text]:
        """The row's cells, in its state's style (``styles``: each state's, read once a page)."""
        style = styles.get(state)
        if style is None:
            style = styles[state] = self.get_component_rich_style(STATE_CLASS[state], partial=True)
        values = {
            "state": f"{state.symbol} {state.label}" if state is not DueState.NONE else f"   {row.status.label}",
            "reference": row.reference,
            "child": row.child_name,
            "due": due_cell(row, self.today),
            "stage": row.stage_label,
            "with": row.with_whom,
            "category": self.category_labels.get(row.category, row.category),
            "sent": short_date(row.sent_at, self.today),
        }
        narrow = {"reference": row.short_reference, "stage": row.stage_short}  # what the profile gives for 80 columns
        return [safe_text(narrow[c.key] if narrow.get(c.key) and len(values[c.key]) > c.width else values[c.key],
                          style, width=c.width) for c in self._cols]

    def _fill(self, cursor: int) -> None:
        if not self._cols:
            return
        self.clear()
        styles: dict[DueState, Style] = {}
        for row, state in zip(self.rows_shown, self.states, strict=True):
            self.add_row(*self._cells(row, state, styles), key=str(row.id))
        if self.row_count:
            self.move_cursor(row=max(0, min(cursor, self.row_count - 1)), animate=False)

    @property
    def current_id(self) -> int | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        return self.rows_shown[self.cursor_row].id if self.cursor_row < len(self.rows_shown) else None

    # --- paging: past the ends of this page ------------------------------------------------
    def action_cursor_down(self) -> None:
        if self.row_count == 0 or self.cursor_row >= self.row_count - 1:
            self.post_message(self.PageRequest(step=1, cursor="first"))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.row_count == 0 or self.cursor_row <= 0:
            self.post_message(self.PageRequest(step=-1, cursor="last"))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        self.post_message(self.PageRequest(step=1))

    def action_page_up(self) -> None:
        self.post_message(self.PageRequest(step=-1))

    def action_scroll_top(self) -> None:
        self.post_message(self.PageRequest(to="first", cursor="first"))

    def action_scroll_bottom(self) -> None:
        self.post_message(self.PageRequest(to="last", cursor="last"))
