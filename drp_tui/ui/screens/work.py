"""My work (home): what needs the signed-in person now, worst first.

The first screen after sign-in. Each row says what to do (the verb of a move the person
may make now), on which dispute, what is due and when, and with whom; overdue first.
The list comes from ``Desk.my_work`` (the move function and the deadline rule judge each
dispute; this screen decides nothing). Enter opens the dispute's form, where the move is
offered; the caseload (F2) keeps the full lists.

Every row carries its state as a word and symbol (``!! OVERDUE``), not colour alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, cast

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowKey
from textual.worker import Worker, WorkerState

from drp_tui.crash import user_message
from drp_tui.domain.model import DueState
from drp_tui.domain.timeutil import london_date
from drp_tui.services.work import WorkItem
from drp_tui.ui.screens.mode import ModeScreen
from drp_tui.ui.plain import is_plain
from drp_tui.ui.widgets.caseload_table import due_text, short_date
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp
    from drp_tui.ui.desk import Desk

WORK_BINDINGS: list[BindingType] = [
    Binding("enter", "select_cursor", "Open", key_display="⏎", id="work.open",
            tooltip="Open the dispute to do what the row says"),
    Binding("ctrl+r", "reload", "Reload", show=False, id="work.reload", tooltip="Read the list again"),
]

STATE_CLASS = {
    DueState.OVERDUE: "work--overdue", DueState.DUE_TODAY: "work--due-today", DueState.DUE_SOON: "work--due-soon",
    DueState.ON_TRACK: "work--on-track", DueState.PAUSED: "work--paused", DueState.DONE: "work--on-track",
    DueState.NONE: "work--waiting",
}
STATE_WORDS = {DueState.NONE: "waiting"}  # no clock of its own, but it waits on you
FIXED = {"state": 11, "dispute": 15, "with": 14}  # "what" takes the rest of the width


@dataclass(frozen=True)
class ReadAhead:
    """My work's list, read on the sign-in's thread (``read_ahead``)."""

    staff_id: int
    items: tuple[WorkItem, ...]
    today: date


def read_ahead(desk: Desk, height: int) -> ReadAhead | None:
    """My work's list for the person just signed in, read on the sign-in's own thread before the
    screen is built (``SessionMixin.read_ahead_home``), so the screen shows it at its first paint
    (read by the screen, it waited for the screen's building and then shared the interpreter with it)."""
    user = desk.user
    if user is None:
        return None
    return ReadAhead(user.id, tuple(desk.my_work()), london_date(desk.clock.now()))


def due_line(item: WorkItem, today: date) -> str:
    """What is due and when: ``response due Mon 30 Nov``, ``your decision since Thu 26 Nov``."""
    if item.due_at is not None:
        return f"{item.due_word} {due_text(item.due_at, today)}"
    if item.since is not None:
        return f"{item.due_word} since {short_date(item.since, today)}"
    return item.due_word


class Shown:
    """What the cells of one showing of the list share: the day, the width of "what", plain mode
    (one line a row) and each state's style."""

    __slots__ = ("one_line", "styles", "today", "what")

    def __init__(self, today: date, what: int, one_line: bool) -> None:
        self.today, self.what, self.one_line = today, what, one_line
        self.styles: dict[DueState, Style] = {}

    def text(self, item: WorkItem, column: str) -> Text:
        """The cell of ``item`` in ``column`` ("what", "dispute" or "with"), in its state's style."""
        style = self.styles[item.state]
        reference = fit(item.reference, item.short_reference, FIXED["dispute"])
        if self.one_line:  # plain mode: one item per line (the rest in the line below the list)
            if column == "what":
                return safe_text(f"{item.verb}: {due_line(item, self.today)}", style, width=self.what)
            if column == "dispute":
                return safe_text(reference, style, width=FIXED["dispute"])
            return safe_text(item.with_whom or "-", style, width=FIXED["with"])
        if column == "what":
            return two(item.verb, due_line(item, self.today), self.what, style)
        if column == "dispute":
            return two(reference, item.child_name, FIXED["dispute"], style)
        return two(item.with_whom or "-", fit(item.stage_label, item.stage_short, FIXED["with"]), FIXED["with"], style)


class WorkCell:
    """A cell of the list, made into its ``Text`` only when it is drawn (Rich's ``__rich__``).

    The table holds every row (up to 200 disputes' worth) and the screen shows about ten: made
    at once, the rows' text held about 0.3 MB for as long as the list was shown, the larger part
    of what My work added to a desk's peak memory. ``str`` gives the cell's text."""

    __slots__ = ("column", "item", "shown")

    def __init__(self, item: WorkItem, column: str, shown: Shown) -> None:
        self.item, self.column, self.shown = item, column, shown

    def __rich__(self) -> Text:
        return self.shown.text(self.item, self.column)

    def __str__(self) -> str:
        return self.__rich__().plain


class WorkTable(DeskTable[Text | WorkCell]):
    """Two lines a row: what to do and what is due; which dispute; with whom, at which stage."""

    BINDINGS = WORK_BINDINGS
    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | set(STATE_CLASS.values())
    DEFAULT_CSS = """
    WorkTable { height: 1fr; width: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; }
    WorkTable > .work--overdue { color: $overdue; text-style: bold; }
    WorkTable > .work--due-today { color: $due-today; text-style: bold; }
    WorkTable > .work--waiting { text-style: bold; }
    WorkTable > .work--due-soon { color: $due-soon; }
    WorkTable > .work--paused { color: $paused; text-style: italic; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1)
        self.items: list[WorkItem] = []
        self.today = date.min

    def show(self, items: Sequence[WorkItem], width: int) -> None:
        keep = self.current
        self.items = list(items)
        self.clear(columns=True)
        what = max(20, width - sum(FIXED.values()) - 2 * 4 - 3)  # (room for the scroll bar)
        self.add_column("State", key="state", width=FIXED["state"])
        self.add_column("What to do · what is due", key="what", width=what)
        self.add_column("Dispute · child", key="dispute", width=FIXED["dispute"])
        self.add_column("With whom", key="with", width=FIXED["with"])
        shown = Shown(self.today, what, is_plain(self))
        states: dict[DueState, Text] = {}  # (each state's cell: one, shared by its rows)
        for item in self.items:
            if item.state not in states:
                style = shown.styles[item.state] = self.get_component_rich_style(STATE_CLASS[item.state], partial=True)
                word = STATE_WORDS.get(item.state, item.state.label)
                symbol = item.state.symbol.strip() if item.state is not DueState.NONE else "*"
                states[item.state] = safe_text(f"{symbol} {word}", style, width=FIXED["state"])
            self.add_row(states[item.state], WorkCell(item, "what", shown), WorkCell(item, "dispute", shown),
                         WorkCell(item, "with", shown), key=f"{item.dispute_id}:{item.move.value}",
                         height=1 if shown.one_line else 2)
        if keep is not None:
            for i, item in enumerate(self.items):
                if (item.dispute_id, item.move) == (keep.dispute_id, keep.move):
                    self.move_cursor(row=i, animate=False)
                    break

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Nothing to measure: every column's width is set (``show``), and every row's height.
        (Measuring would make every row's text, which its cells make only when drawn.)"""
        DataTable._update_dimensions(self, ())  # (the table's size)

    @property
    def current(self) -> WorkItem | None:
        if not self.items or not 0 <= self.cursor_row < len(self.items):
            return None
        return self.items[self.cursor_row]


def fit(full: str, short: str, width: int) -> str:
    """The full text where it fits, else the profile's short one for narrow screens (if it has one)."""
    return short if short and len(full) > width else full


def two(first: str, second: str, width: int, style: object) -> Text:
    """Two lines of a cell, each cut to ``width`` (user text: never markup)."""
    top = safe_text(first, style, width=width)  # type: ignore[arg-type]
    below = safe_text(second, width=width)
    return Text.assemble(top, "\n", below, no_wrap=True, end="")


class WorkScreen(ModeScreen):
    """Home: the signed-in person's work, worst first."""

    TITLE = "My work"
    DEFAULT_CSS = """
    WorkScreen #work-title { height: 1; padding: 0 1; text-style: bold; background: $boost; }
    WorkScreen #work-detail { display: none; height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        self.stale = False  # data or time moved while another screen was on show

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        user = self.desk_app.desk.user
        ahead = self.desk_app.take_read_ahead()
        if isinstance(ahead, ReadAhead) and user is not None and ahead.staff_id == user.id:
            self.call_next(self._show, list(ahead.items), ahead.today)  # read ahead: shown after on_mount
        else:
            self._load()  # the list is read while the screen is built, not after it is mounted
        yield DeskHeader()
        yield Static("My work", id="work-title")
        yield WorkTable(id="work-table")
        yield Static("", id="work-detail")  # plain mode: the highlighted row in full, in words
        yield DeskFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(WorkTable).focus()

    def refresh_data(self) -> None:
        """Another session (or this one) changed data: reload if on show, else when next shown."""
        self._reload_when_shown()

    def clock_tick(self) -> None:
        """Time passed: states and what is overdue change with it."""
        self._reload_when_shown()

    def _reload_when_shown(self) -> None:
        if self.is_current:
            self._load()
        else:
            self.stale = True  # no database work for a list no one sees: on_screen_resume reloads it

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self._load()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="work", name="my-work", exit_on_error=False)
    def _load(self) -> None:
        desk = self.desk_app.desk
        if desk.user is None:
            return
        items = desk.my_work()
        # (through the screen's own queue: shown after its on_mount, even when read while it was built)
        self.app.call_from_thread(self.call_next, self._show, items, london_date(desk.clock.now()))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "work" and event.state is WorkerState.ERROR and event.worker.error is not None:
            self.query_one("#work-title", Static).update(
                Text(f"My work: could not load ({user_message(event.worker.error)}) · r to retry", end=""))

    def _show(self, items: list[WorkItem], today: date) -> None:
        if not self.is_attached:
            return
        table = self.query_one(WorkTable)
        table.today = today
        table.show(items, self.app.size.width)
        first = not self.loaded
        self.loaded = True
        self.query_one("#work-title", Static).update(title(items, enter="Enter" if is_plain(self) else "⏎"))
        if first:  # the home screen's first list is on screen: the sign-in's reminders may run now
            # (after this screen's next paint: the app's own queue could hold it past a later one)
            self.call_after_refresh(self.desk_app.first_page_shown)

    def on_resize(self) -> None:
        table = self.query_one(WorkTable)
        if self.loaded:
            table.show(table.items, self.app.size.width)

    @on(DataTable.RowHighlighted, "#work-table")
    def _highlighted(self) -> None:
        item = self.query_one(WorkTable).current
        detail = self.query_one("#work-detail", Static)
        detail.update(Text("") if item is None else detail_line(item, self.query_one(WorkTable).today))

    @on(DataTable.RowSelected, "#work-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        item = self.query_one(WorkTable).current
        if item is not None:
            self.desk_app.open_dispute(item.dispute_id)


def detail_line(item: WorkItem, today: date) -> Text:
    """The highlighted row in words, for plain mode: ``Check an action is done: action due Fri 16 Oct.
    DRP-2026-0018, Ivy Quarley, Stage 4 DRP, with Imran Sethi. Overdue.`` (user text: never markup)."""
    word = STATE_WORDS.get(item.state, item.state.label)
    parts = [f"{item.verb}: {due_line(item, today)}.", f"{item.reference}, {item.child_name}, {item.stage_label}"
             + (f", with {item.with_whom}." if item.with_whom else "."), f"{word[:1].upper()}{word[1:]}."]
    return Text(visible(" ".join(parts)), end="")  # wraps: the whole row, however narrow the screen


def title(items: Sequence[WorkItem], enter: str = "⏎") -> Text:
    """``My work · 5 things need you · 2 overdue`` (or that nothing does)."""
    if not items:
        return Text("My work · nothing needs you now · F2 for the caseload", no_wrap=True, end="")
    overdue = sum(1 for i in items if i.state is DueState.OVERDUE)
    n = len(items)
    text = f"My work · {n} thing{'s need' if n != 1 else ' needs'} you"
    if overdue:
        text += f" · {overdue} overdue"
    return Text(text + f" · {enter} open", no_wrap=True, end="")
