"""The caseload (home): the signed-in person's disputes, one page at a time.

Only the visible page is read (``caseload_page``: one row more than the page, to know
whether there are more), in one exclusive worker group, so a view over 100,000 disputes
opens as fast as one over 100. How many the view holds is counted after its page is on
screen ("rows 1–19 of many" until then) and kept per view and filter, so no key waits
for a count. Pages are found by keyset, not counted from the top: PageDown/PageUp (and the
cursor past either end) read the rows after the page's last row or before its first
(``CaseloadQuery.seek``), End reads the view's last rows backwards ("the last 19 rows of
many" until the count places them). The clock tick recolours the page without a query
(``clock_tick``); a change in the database (``refresh_data``) reloads just this page
(showing the previous count until the new one arrives).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from drp_tui.domain.model import DisputeRow, DueState, Role
from drp_tui.domain.reading import CaseloadQuery
from drp_tui.domain.timeutil import london_date
from drp_tui.services.errors import Abandoned
from drp_tui.ui.screens.mode import ModeScreen
from drp_tui.ui.keys import CASELOAD_BINDINGS, FILTER_BINDINGS, VIEW_KEYS, VIEW_LABELS
from drp_tui.ui.widgets.caseload_table import CaseloadTable, due_cell
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import visible
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp
    from drp_tui.ui.desk import Desk

VIEWS = tuple(VIEW_KEYS)
SORTS = ("due", "reference", "child", "stage")
SORT_LABELS = {"due": "due date", "reference": "reference", "child": "child", "stage": "stage"}
CHROME_ROWS = 6  # header, view bar, filter line, table header, the row's detail line, footer


LAST = -1  # an offset meaning "the last page"

CountKey = tuple[str, int | None, tuple[int, ...], int | None, str]


def first_view(role: Role) -> str:
    """The view the caseload opens on for a person in ``role``."""
    return {Role.RESPONDER: "awaiting", Role.OVERSIGHT: "team", Role.ADMIN: "all"}.get(role, "mine")


@dataclass(frozen=True)
class ReadAhead:
    """The home caseload's first page, read on the sign-in's thread (``read_ahead``)."""

    staff_id: int
    query: CaseloadQuery
    page_size: int
    rows: tuple[DisputeRow, ...]  # (one more than the page if there are more)
    states: tuple[DueState, ...]

    def fits(self, staff_id: int, view: str, page_size: int) -> bool:
        """Is it the page the screen would read now (the same person, view and page size)?"""
        return (self.staff_id, self.query.view, self.page_size) == (staff_id, view, page_size)


def read_ahead(desk: Desk, height: int) -> ReadAhead | None:
    """The first page of the caseload a signed-in person opens on, read on the sign-in's own
    thread just after signing in, before the screen is built (``SessionMixin.read_ahead_home``).

    Read by the screen, as it was, the page waited for the screen's building (its worker's thread
    starts once the event loop runs it) and then shared the interpreter with it: 100-120 ms for
    a read of some 15, so the screen was painted empty, then with its footer's keys, and only then
    with its rows. Read ahead, the screen shows its rows at its first paint."""
    user = desk.user
    if user is None:
        return None
    view = first_view(user.role)
    page_size = rows_for(height)
    q = view_query(desk, view, team_ids=desk.caseload_teams() if view == "team" else ())
    rows = tuple(desk.caseload_page(q, 0, page_size + 1))  # one more: are there more after this page?
    return ReadAhead(user.id, q, page_size, rows, tuple(desk.row_state(r) for r in rows[:page_size]))


def rows_for(height: int) -> int:
    """The rows of a page on a terminal ``height`` lines tall."""
    return max(1, height - CHROME_ROWS)


def view_query(desk: Desk, view: str, *, team_ids: tuple[int, ...] = (), text: str = "",
               sort: str = "due") -> CaseloadQuery:
    """The query of the caseload's view ``view`` for the signed-in person, now."""
    user = desk.user
    staff_id = user.id if user else None
    if user is not None and user.role in (Role.OVERSIGHT, Role.ADMIN) and view in ("overdue", "resolved"):
        staff_id = None  # the service manager sees the whole service
    return CaseloadQuery(view=view, staff_id=staff_id, team_ids=team_ids,
                         viewer_id=user.id if user is not None else None, text=text, now=desk.clock.now(), sort=sort)


def count_key(q: CaseloadQuery) -> CountKey:
    """What a view's size depends on (not its order)."""
    return (q.view, q.staff_id, q.team_ids, q.viewer_id, q.text)


@dataclass(frozen=True)
class Page:
    generation: int
    offset: int
    total: int | None  # None: not counted yet ("of many")
    rows: tuple[DisputeRow, ...]
    states: tuple[DueState, ...]
    cursor: int
    query: CaseloadQuery  # (its team ids filled in)


class PageLoaded(Message):
    def __init__(self, page: Page) -> None:
        super().__init__()
        self.page = page


class CountLoaded(Message):
    def __init__(self, key: CountKey, total: int) -> None:
        super().__init__()
        self.key = key
        self.total = total


class FilterInput(Input):
    BINDINGS = FILTER_BINDINGS

    def action_done(self) -> None:
        self.screen.query_one(CaseloadTable).focus()


class ViewBar(Static):
    """``1 Mine  2 Awaiting me  3 Team …`` with the current view highlighted."""

    COMPONENT_CLASSES = {"viewbar--active"}
    current = "mine"

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        self.call_after_refresh(self.show, self.current)

    def show(self, current: str) -> None:
        self.current = current
        text = Text(no_wrap=True, end="")
        for view in VIEWS:
            label = f" {VIEW_KEYS[view]} {VIEW_LABELS[view]} "
            if view == current:
                text.append(f"[{label.strip()}]", style=self.get_component_rich_style("viewbar--active"))
            else:
                text.append(label)
        self.update(text, layout=False)  # (one line, as wide as the screen, whatever it says: no new layout)


class CaseloadScreen(ModeScreen):
    BINDINGS = CASELOAD_BINDINGS
    # The table has the keys from the start: Textual's own choice, the first that can take focus, was
    # the filter, which lost it at once (each move restyles both).
    AUTO_FOCUS = "CaseloadTable"
    FILTER_DELAY = 0.3  # seconds of quiet typing before the filter runs
    TITLE = "Caseload"

    def __init__(self) -> None:
        super().__init__()
        self.view_name = "mine"
        self.sort_key = "due"
        self.filter_text = ""
        self.page_offset = 0
        self.total_rows: int | None = None
        self.page_size = 19
        self._generation = 0
        self.shown_generation = -1  # the load whose page is on screen
        self._team_ids: tuple[int, ...] | None = None
        self._filter_timer: Timer | None = None
        self._counts: dict[CountKey, int] = {}  # view size by count_key, for the data as last read
        self._stale_counts: dict[CountKey, int] = {}  # before the last change: shown until recounted
        self._first_shown = False

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        self._read_first_page()
        yield DeskHeader()
        yield ViewBar(id="views")
        with Horizontal(id="filter-line"):
            yield FilterInput(placeholder="/ to filter (reference, child, case no.)",
                              id="filter", compact=True)
            yield Static("", id="status")
        yield CaseloadTable(id="caseload-table")
        yield Static("", id="row-detail")
        yield DeskFooter(compact=True)

    def _read_first_page(self) -> None:
        """The first page: the one read ahead on the sign-in's thread (``read_ahead``) if it is this
        screen's, shown at the screen's first paint; else read while the screen is still being built
        (its widgets mounted, styled and laid out), not after: the page arrives (as a message,
        handled after on_mount) about when the screen is ready to show it."""
        user = self.desk_app.desk.user
        if user is None:
            return  # (read in on_mount)
        self.view_name = first_view(user.role)
        self.page_size = rows_for(self.app.size.height)
        self._generation += 1
        ahead = self.desk_app.take_read_ahead()
        if isinstance(ahead, ReadAhead) and ahead.fits(user.id, self.view_name, self.page_size):
            self._team_ids = ahead.query.team_ids if ahead.query.view == "team" else None
            total = self._known_end(count_key(ahead.query), 0, ahead.rows)
            self.post_message(PageLoaded(Page(self._generation, 0, total, ahead.rows[:self.page_size],
                                              ahead.states, 0, ahead.query)))
            return
        self._load(self._generation, self.caseload_query(), 0, 0)

    def on_mount(self) -> None:
        table = self.query_one(CaseloadTable)
        desk = self.desk_app.desk
        table.category_labels = {c.key: c.label for c in desk.policy.categories}
        table.today = london_date(desk.clock.now())
        self._layout(self.app.size.width, self.app.size.height)
        self.query_one(ViewBar).show(self.view_name)
        table.focus()
        if not self._generation:
            self.load()

    def on_resize(self) -> None:
        if self._layout(self.app.size.width, self.app.size.height):
            self.load(cursor="keep", seek="from" if self.page_offset else "")

    def _layout(self, width: int, height: int) -> bool:
        self.query_one(CaseloadTable).set_width(width)
        size = rows_for(height)
        changed = size != self.page_size
        self.page_size = size
        return changed

    # --- loading ------------------------------------------------------------------------------
    def caseload_query(self) -> CaseloadQuery:
        return view_query(self.desk_app.desk, self.view_name, team_ids=self._team_ids or (),
                          text=self.filter_text, sort=self.sort_key)

    def load(self, *, offset: int | None = None, cursor: str | int = "keep", seek: str = "") -> None:
        """Read one page (in a worker); ``cursor`` = keep | first | last | a row index; ``seek`` =
        after | before | from the rows on show (keyset: found from them, not counted from the
        top; "from" = the page on show read again), or last (the view's last page)."""
        self._generation += 1
        table = self.query_one(CaseloadTable)
        at = {"keep": table.cursor_row, "first": 0, "last": self.page_size - 1}.get(cursor, cursor) \
            if isinstance(cursor, str) else cursor
        q = self.caseload_query()
        # A count still running (another view's, or this one's before this key) is given up: the
        # page comes first, and the count starts again once this page is on screen.
        self.workers.cancel_group(self, "caseload-count")
        self.desk_app.desk.stop_unwanted_reads()  # (its read stops now, not at its next check)
        shown = table.rows_shown
        if seek == "last" or (seek and shown):
            q = replace(q, seek=seek, seek_id=None if seek == "last" else (shown[-1] if seek == "after" else shown[0]).id)
        self._load(self._generation, q, self.page_offset if offset is None else offset, max(0, int(at)))

    @work(thread=True, exclusive=True, group="caseload", name="caseload-page", exit_on_error=False)
    def _load(self, generation: int, q: CaseloadQuery, offset: int, cursor: int) -> None:
        desk = self.desk_app.desk
        if q.view == "team" and self._team_ids is None:
            self._team_ids = self._teams()
            q = replace(q, team_ids=self._team_ids)
        key, size = count_key(q), self.page_size
        total = self._counts.get(key)
        rows = self._seek(q, key, offset, total)
        if rows is not None:
            offset, total, got = rows
            states = tuple(desk.row_state(r) for r in got)
            self.post_message(PageLoaded(Page(generation, offset, total, tuple(got), states, cursor, q)))
            return
        q = replace(q, seek="", seek_id=None)
        if offset == LAST and total is None:  # which page is last needs the count
            total = self._counted(key, q)
        if offset < 0 and offset != LAST:
            offset = 0
        if total is not None:
            offset = self._clamped(offset, total)
            rows = desk.caseload_page(q, offset, size, total=total)
        else:
            got = desk.caseload_page(q, offset, size + 1)  # one more: are there more after this page?
            if not got and offset > 0:  # past the end (the view shrank): its last page
                total = self._counted(key, q)
                offset = self._clamped(offset, total)
                got = desk.caseload_page(q, offset, size, total=total)
            else:
                total = self._known_end(key, offset, got)
            rows = got[:size]
        states = tuple(desk.row_state(r) for r in rows)
        self.post_message(PageLoaded(Page(generation, offset, total, tuple(rows), states, cursor, q)))

    def _known_end(self, key: CountKey, offset: int, got: Sequence[DisputeRow]) -> int | None:
        """The view's size if ``got`` (a page read with one row more than it shows) holds the view's
        end: known without counting, and kept; else None."""
        if len(got) > self.page_size:
            return None
        total = self._counts[key] = offset + len(got)
        return total

    def _seek(self, q: CaseloadQuery, key: CountKey, offset: int,
              total: int | None) -> tuple[int, int | None, list[DisputeRow]] | None:
        """The page by keyset (``q.seek``): (its offset, the view's size if known, its rows), or
        None to read it by offset instead (the row it was read from is gone, or the top is reached)."""
        desk, size = self.desk_app.desk, self.page_size
        if q.seek == "last":  # End: the last rows, read backwards (no count needed)
            if total is not None:
                offset = self._clamped(LAST, total)
                return offset, total, desk.caseload_page(q, 0, total - offset) if total > offset else []
            rows = desk.caseload_page(q, 0, size)
            if len(rows) < size:  # all of it fits on one page: counted as read
                total = self._counts[key] = len(rows)
                return 0, total, rows
            return LAST, None, rows
        if q.seek in ("after", "from"):
            if offset == LAST:  # (a page from the last one before it was counted: nothing after it)
                return None
            got = desk.caseload_page(q, offset, size + 1)  # one more: are there more after this page?
            if not got:
                return None
            if total is None:
                total = self._known_end(key, offset, got)
            return offset, total, got[:size]
        if q.seek == "before":
            if offset < 0:  # before the last page, read before it was counted: where it is needs the count
                total = self._counted(key, q) if total is None else total
                offset = max(0, total - 2 * size)  # (that last page is a whole page)
            got = desk.caseload_page(q, offset, size)
            if len(got) < size or offset <= 0:
                return None  # the top: the first page, by offset
            return offset, total, got
        return None

    @work(thread=True, exclusive=True, group="caseload-count", name="caseload-count", exit_on_error=False)
    def _count(self, q: CaseloadQuery) -> None:
        """The view's size, once its page is on screen (no key waits for it: keygate.BACKGROUND_GROUPS);
        its read stops when the worker is cancelled (the next key's load)."""
        key, worker = count_key(q), get_current_worker()
        try:
            total = self._counted(key, q, unwanted=lambda: worker.is_cancelled)
        except Abandoned:
            return  # (given up: a later page starts it again)
        if not worker.is_cancelled:
            self.post_message(CountLoaded(key, total))

    def _count_when_drawn(self, q: CaseloadQuery, generation: int) -> None:
        """Start counting the page's view, unless another load has started since it was shown."""
        if generation == self._generation:
            self._count(q)

    def _counted(self, key: CountKey, q: CaseloadQuery, unwanted: Callable[[], bool] | None = None) -> int:
        total = self._counts[key] = self.desk_app.desk.caseload_count(q, unwanted=unwanted)
        return total

    def _clamped(self, offset: int, total: int) -> int:
        last = (max(total, 1) - 1) // self.page_size * self.page_size
        return last if offset == LAST else max(0, min(offset, last))

    def _teams(self) -> tuple[int, ...]:
        """Teams for the "team" view: a responder's own; a chair's children's; everyone's for oversight."""
        desk = self.desk_app.desk
        return desk.caseload_teams() if desk.user is not None else ()

    @on(PageLoaded)
    def _apply(self, message: PageLoaded) -> None:
        page = message.page
        if page.generation != self._generation:
            return  # a newer load is on its way
        self.page_offset = page.offset
        self.total_rows = page.total if page.total is not None else self._stale_counts.get(self._key())
        if page.offset == LAST and self.total_rows is not None:  # the last rows, and a count to place them
            self.page_offset = max(0, self.total_rows - len(page.rows))
        self.shown_generation = page.generation
        table = self.query_one(CaseloadTable)
        table.today = london_date(self.desk_app.desk.clock.now())
        table.show_page(page.rows, page.states, cursor=page.cursor)
        self._show_status()
        self._show_detail()
        if page.total is None:  # counted once the page is drawn (the count shares the interpreter)
            self.call_after_refresh(self._count_when_drawn, page.query, page.generation)
        if not self._first_shown:
            self._first_shown = True
            # (after this screen's next paint: the app's own queue could hold it past a later one)
            self.call_after_refresh(self.desk_app.first_page_shown)

    @on(CountLoaded)
    def _counted_now(self, message: CountLoaded) -> None:
        if message.key == self._key():
            self.total_rows = message.total
            if self.page_offset == LAST:  # the last rows, read before they were counted: now placed
                self.page_offset = max(0, message.total - len(self.query_one(CaseloadTable).rows_shown))
            self._show_status()

    def _key(self) -> CountKey:
        return count_key(replace(self.caseload_query(), team_ids=self._team_ids or ()))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load (the database did not answer) is said on the status line, not a crash."""
        if event.worker.group == "caseload" and event.state is WorkerState.ERROR:
            error = event.worker.error
            self._say(Text(f"could not load ({type(error).__name__}) · r to retry ", end=""))

    def _show_status(self) -> None:
        total = self.total_rows
        shown = len(self.query_one(CaseloadTable).rows_shown)
        if total is None and self.page_offset == LAST:
            status = f"the last {shown:,} rows of many"
        elif total is None:
            status = f"rows {self.page_offset + 1:,}–{self.page_offset + shown:,} of many"
        elif total == 0:
            where = f" matching '{visible(self.filter_text)}'" if self.filter_text else ""
            status = f"no disputes{where}"
            if self.desk_app.desk.role is Role.ADMIN:
                status = "no disputes: admin sees no case content"
        else:
            status = f"rows {self.page_offset + 1:,}–{self.page_offset + shown:,} of {total:,}"
        self._say(Text(f"{status} · o sort: {SORT_LABELS[self.sort_key]} ", end=""))

    def _say(self, status: Text) -> None:
        """Put ``status`` on the status line. The line is as wide as its words, so the screen is
        laid out again only when it is not that wide already (a page down keeps its width:
        "rows 19–36 of 3,988")."""
        line = self.query_one("#status", Static)
        line.update(status, layout=line.size.width != status.cell_len)

    # --- the app asks ---------------------------------------------------------------------------
    def refresh_data(self) -> None:
        """The database changed (this or another session): reload this page only (the counts
        are read again; the old ones are shown until then). The first page is read from the top
        again; a later one from its first row (keyset), so it costs no more than the first."""
        self._stale_counts, self._counts = {**self._stale_counts, **self._counts}, {}
        self.load(cursor="keep", seek="from" if self.page_offset else "")

    def clock_tick(self) -> None:
        """Time passed: recolour the rows on show from the clock, without a query."""
        desk = self.desk_app.desk
        table = self.query_one(CaseloadTable)
        table.today = london_date(desk.clock.now())
        table.recolour([desk.row_state(r) for r in table.rows_shown])
        self._counts = {k: n for k, n in self._counts.items() if k[0] != "overdue"}  # "overdue" moves with time

    # --- keys ---------------------------------------------------------------------------------
    def action_view(self, view: str) -> None:
        if view not in VIEWS or view == self.view_name:
            return
        self.view_name = view
        self.query_one(ViewBar).show(view)
        self.load(offset=0, cursor="first")

    def action_next_view(self) -> None:
        self.action_view(VIEWS[(VIEWS.index(self.view_name) + 1) % len(VIEWS)])

    def action_prev_view(self) -> None:
        self.action_view(VIEWS[(VIEWS.index(self.view_name) - 1) % len(VIEWS)])

    def action_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self.load(offset=0, cursor="first")

    def action_filter(self) -> None:
        self.query_one(FilterInput).focus()

    def action_reload(self) -> None:
        self._team_ids = None  # teams are read once per screen; r reads them again
        self.refresh_data()

    @on(Input.Changed, "#filter")
    def _typed(self, event: Input.Changed) -> None:
        """Filter as you type: wait for a quiet moment (``FILTER_DELAY``), then one query."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(self.FILTER_DELAY, self.flush_filter)

    def flush_filter(self) -> None:
        """Run the pending filter now (the timer calls this; so can a test)."""
        self.apply_filter(self.query_one(FilterInput).value)

    @on(Input.Submitted, "#filter")
    def _submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value)
        self.query_one(CaseloadTable).focus()

    def apply_filter(self, value: str) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        value = value.strip()
        if value != self.filter_text:
            self.filter_text = value
            self.load(offset=0, cursor="first")

    @on(CaseloadTable.PageRequest)
    def _page(self, request: CaseloadTable.PageRequest) -> None:
        total, size, table = self.total_rows, self.page_size, self.query_one(CaseloadTable)
        shown = len(table.rows_shown)
        at_end = self.page_offset == LAST  # the last rows, not counted yet
        if at_end:
            last = LAST
        elif total is None:  # not counted yet: the page says whether more follow (a full page may)
            last = self.page_offset + (size if shown >= size else 0)
        else:
            last = max((max(total, 1) - 1) // size * size, self.page_offset)
        if request.to:
            target = 0 if request.to == "first" else (LAST if total is None else last)
        elif at_end:
            target = LAST if request.step > 0 else LAST - 1
        else:
            target = self.page_offset + request.step * size
        if (target == self.page_offset or (not at_end and target != LAST and (target < 0 or target > last))
                or (at_end and request.step > 0)):
            if request.cursor == "keep" and table.row_count:  # PageUp on page 1 / PageDown on the last
                table.move_cursor(row=0 if request.step < 0 else table.row_count - 1)
            elif request.to and table.row_count:
                table.move_cursor(row=0 if request.to == "first" else table.row_count - 1)
            return
        if request.to:  # Home: the first page; End: the last rows, read backwards
            self.load(offset=0 if request.to == "first" else LAST, cursor=request.cursor,
                      seek="" if request.to == "first" else "last")
        else:  # the page next to this one, found from its first or last row (keyset)
            self.load(offset=target, cursor=request.cursor, seek="after" if request.step > 0 else "before")

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted row in words, whatever columns fit: what is due and when, with whom, the stage."""
        row = self.current_row
        line = self.query_one("#row-detail", Static)
        if row is None:
            line.update("", layout=False)  # (the line's size is its own, whatever it says)
            return
        due = due_cell(row, london_date(self.desk_app.desk.clock.now()))
        parts = [row.reference, f"due: {due}" if due else row.status.label,
                 f"with {row.with_whom}" if row.with_whom else "", row.stage_label]
        line.update(Text(" · ".join(p for p in parts if p), no_wrap=True, end="", overflow="ellipsis"), layout=False)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.desk_app.open_dispute(int(event.row_key.value))

    @property
    def current_row(self) -> DisputeRow | None:
        table = self.query_one(CaseloadTable)
        rows = table.rows_shown
        return rows[table.cursor_row] if rows and 0 <= table.cursor_row < len(rows) else None
