"""History: the timeline, the stages (due vs actual, working days taken) and the clocks
of one dispute, or of every dispute of one child.

Pushed by ``app.open_history(dispute_id=…, child_id=…)``. Three tabs: Timeline
(``t``), Stages (``s``), Clocks (``k``). ``e`` explains the highlighted stage's or
clock's computed date: every day counted or skipped, and why (weekend, bank
holiday, local closure). Everything is read in one worker; the explanations are
worked out there too (the calendar is pure).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from drp_tui.crash import user_message
from drp_tui.domain.deadlines import Deadline
from drp_tui.domain.model import Role
from drp_tui.domain.timeutil import format_date, format_london
from drp_tui.services import access, reads
from drp_tui.services.access import AccessEntry
from drp_tui.ui.keys import HISTORY_EXPORT_BINDINGS
from drp_tui.ui.screens.history_lines import ClockLine, Explanation, StageLine, clock_lines, stage_lines
from drp_tui.ui.screens.history_widgets import ExplainDialog, StateTable, short_day
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView, EventView
    from drp_tui.ui.app import DrpApp

CSS_PATH = "../tcss/screens.tcss"

HISTORY_BINDINGS: list[Binding] = [
    Binding("escape", "back", "Back", id="history.back"),
    Binding("e", "explain", "Explain date", id="history.explain",
            tooltip="Which days were counted or skipped (and why) for the highlighted stage or clock"),
    Binding("t", "tab('timeline')", "Timeline", show=False, id="history.timeline"),
    Binding("s", "tab('stages')", "Stages", show=False, id="history.stages"),
    Binding("c", "tab('clocks')", "Clocks", show=False, id="history.clocks"),
    Binding("o", "open", "Open", id="history.open", tooltip="Open the highlighted row's dispute"),
    Binding("a", "tab('access')", "Who looked", id="history.access",
            tooltip="Oversight: who opened this child's records, and when"),
    *HISTORY_EXPORT_BINDINGS,
]


@dataclass(frozen=True)
class HistoryData:
    title: str
    many: bool  # a child's several disputes: show references
    disputes: tuple[DisputeView, ...]
    stages: tuple[StageLine, ...]
    clocks: tuple[ClockLine, ...]
    events: tuple[EventView, ...]
    accesses: tuple[AccessEntry, ...] = ()  # a child's access record (oversight only)


class HistoryScreen(Screen[None]):
    CSS_PATH = CSS_PATH
    BINDINGS = HISTORY_BINDINGS
    TITLE = "History"

    def __init__(self, dispute_id: int | None = None, child_id: int | None = None) -> None:
        if (dispute_id is None) == (child_id is None):
            raise ValueError("give a dispute_id or a child_id")
        super().__init__()
        self.dispute_id, self.child_id = dispute_id, child_id
        self.data: HistoryData | None = None
        self.exported: tuple[str, str] | None = None  # the last bundle written: (pdf, html)

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    @property
    def shows_access(self) -> bool:
        """A child's history shows oversight who opened the child's records (UK GDPR access record)."""
        return self.child_id is not None and self.desk_app.desk.role is Role.OVERSIGHT

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tab" and parameters == ("access",):
            return self.shows_access
        return True

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("History", id="history-title", classes="screen-title")
        with TabbedContent(initial="timeline", id="history-tabs"):
            with TabPane("Timeline (t)", id="timeline"):
                yield StateTable(id="events-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Stages (s)", id="stages"):
                yield StateTable(id="stages-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Clocks (c)", id="clocks"):
                yield StateTable(id="clocks-table", cursor_type="row", zebra_stripes=True)
            if self.shows_access:
                with TabPane("Who looked (a)", id="access"):
                    yield StateTable(id="access-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="history-detail", classes="detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#events-table", StateTable).focus()
        self.watch(self.app, "theme", self._recolour, init=False)
        self.refresh_data()

    def _recolour(self, _theme: str) -> None:
        """The state colours are taken when the rows are filled: fill again in the new theme's."""
        if self.data is not None:
            self.call_after_refresh(self._show, self.data)

    # --- loading --------------------------------------------------------------------
    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="history-load", exit_on_error=False)
    def _load(self) -> None:
        desk = self.desk_app.desk
        found = desk.call(reads.history, dispute_id=self.dispute_id, child_id=self.child_id)
        views, events = found.disputes, found.events
        if not getattr(self, "_read_recorded", False):  # once per opening, not per refresh
            if self.dispute_id is not None:
                desk.record_read("dispute history", dispute_id=self.dispute_id)
            else:
                desk.record_read("child history", child_id=self.child_id)
            self._read_recorded = True
        stages, clocks = self._lines(views)
        if self.dispute_id is not None:
            v = views[0]
            title = (f"History · {v.reference} · {v.child.name} ({v.child.case_number}) · "
                     f"{v.status.label}")
        else:
            assert found.child is not None
            child = found.child
            n = len(views)
            title = f"History · {child.name} ({child.case_number}) · {n} dispute{'s' if n != 1 else ''}"
        accesses: tuple[AccessEntry, ...] = ()
        if self.shows_access and self.child_id is not None:
            accesses = tuple(desk.call(access.access_log, self.child_id))
        data = HistoryData(title, self.child_id is not None, views, stages, clocks, tuple(events), accesses)
        self.app.call_from_thread(self._show, data)

    def _lines(self, views: tuple[DisputeView, ...]) -> tuple[tuple[StageLine, ...], tuple[ClockLine, ...]]:
        """Stage and clock lines at the desk clock's now (pure: no database)."""
        desk = self.desk_app.desk
        now = desk.clock.now()
        stages: list[StageLine] = []
        clocks: list[ClockLine] = []
        for v in views:
            policy = desk.policy_of(v)
            mine = stage_lines(v, policy, desk.calendar, now, desk.due_soon_days)
            stages.extend(mine)
            clocks.extend(clock_lines(v, desk.clocks(v), mine, desk.calendar, policy))
        return tuple(stages), tuple(clocks)

    def clock_tick(self) -> None:
        """Time passed: recompute the states (awaiting, due soon, OVERDUE ...) without a query."""
        if self.data is None or not self.is_attached:
            return
        stages, clocks = self._lines(self.data.disputes)
        self.data = replace(self.data, stages=stages, clocks=clocks)
        self._fill_stages(self.data)
        self._fill_clocks(self.data)
        self._detail()

    def on_resize(self) -> None:
        if self.data is not None:
            self._fill_events(self.data)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.notify(user_message(err), title=getattr(err, "title", "History"),
                        severity="error", markup=False)

    def _show(self, data: HistoryData) -> None:
        if not self.is_attached:
            return
        self.data = data
        self.query_one("#history-title", Static).update(safe_text(data.title))
        self._fill_events(data)
        self._fill_stages(data)
        self._fill_clocks(data)
        if self.shows_access:
            self._fill_access(data)
        self._detail()

    def _columns(self, table: StateTable, columns: list[tuple[str, int | None]]) -> None:
        table.clear(columns=True)
        for label, width in columns:
            table.add_column(label, width=width)

    def _fill_events(self, data: HistoryData) -> None:
        table = self.query_one("#events-table", StateTable)
        row = table.cursor_row
        ref_w = 13 if data.many else 0
        what_w = max(20, self.app.size.width - 21 - 14 - ref_w - (8 if data.many else 6) - 3)
        cols: list[tuple[str, int | None]] = [("When", 21), ("Who", 14)]
        if data.many:
            cols.append(("Ref", 13))
        self._columns(table, cols + [("What", what_w)])
        for e in data.events:
            cells = [Text(format_london(e.at)), safe_text(e.actor_name, width=14)]
            if data.many:
                cells.append(safe_text(e.reference, width=13))
            cells.append(safe_text(e.summary, width=what_w))
            table.add_row(*cells, key=str(e.id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def _fill_stages(self, data: HistoryData) -> None:
        table = self.query_one("#stages-table", StateTable)
        row = table.cursor_row
        cols: list[tuple[str, int | None]] = [("Ref", 13)] if data.many else []
        # the width from the labels themselves: an auto width measured while the tab was hidden came out 5
        label_w = min(14 if data.many else 22, max([5, *(len(s.label) for s in data.stages)]))
        cols += [("Stage", label_w), ("Sent", 9), ("Due", 9), ("Response", 9), ("Days", 4), ("Result", 9)]
        self._columns(table, cols)
        for i, s in enumerate(data.stages):
            cells = [safe_text(s.reference, width=13)] if data.many else []
            cells += [safe_text(s.label, width=label_w), Text(short_day(s.sent_at)), Text(short_day(s.due_day)),
                      Text(short_day(s.response_at)),
                      Text("" if s.taken is None else str(s.taken), justify="right"),
                      table.state_text(s.result, s.state, symbol=False)]
            table.add_row(*cells, key=str(i))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def _fill_clocks(self, data: HistoryData) -> None:
        table = self.query_one("#clocks-table", StateTable)
        row = table.cursor_row
        cols: list[tuple[str, int | None]] = [("State", 12)]
        if data.many:
            cols.append(("Ref", 13))
        def label(d: Deadline) -> str:  # a clock met late says how late
            return f"{d.label} ({d.late})" if d.late else d.label

        clock_w = min(40, max([5, *(len(label(c.deadline)) for c in data.clocks)]))  # not auto: see _fill_stages
        cols += [("Clock", clock_w), ("Due", 16)]
        self._columns(table, cols)
        for i, c in enumerate(data.clocks):
            d = c.deadline
            cells = [table.state_text(d.state.label, d.state)]
            if data.many:
                cells.append(safe_text(c.reference, width=13))
            due = format_date(d.due.day) if d.due.day else format_london(d.due.at)
            cells += [safe_text(label(d), width=clock_w), Text(due)]
            table.add_row(*cells, key=str(i))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def _fill_access(self, data: HistoryData) -> None:
        table = self.query_one("#access-table", StateTable)
        row = table.cursor_row
        what_w = max(20, self.app.size.width - 21 - 14 - 13 - 3)
        self._columns(table, [("When", 21), ("Who", 14), ("Ref", 13), ("Opened", what_w)])
        for a in reversed(data.accesses):  # newest first
            ref = next((v.reference for v in data.disputes if v.id == a.dispute_id), "")
            table.add_row(Text(format_london(a.at)), safe_text(a.username, width=14), safe_text(ref, width=13),
                          safe_text(a.what, width=what_w), key=str(a.event_id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    # --- what is highlighted -----------------------------------------------------------
    @property
    def active_tab(self) -> str:
        return self.query_one("#history-tabs", TabbedContent).active or "timeline"

    def _row(self, table_id: str) -> int | None:
        table = self.query_one(table_id, StateTable)
        return table.cursor_row if table.row_count and 0 <= table.cursor_row < table.row_count else None

    @on(DataTable.RowHighlighted)
    @on(TabbedContent.TabActivated)
    def _moved(self) -> None:
        self._detail()

    def _detail(self) -> None:
        data, detail = self.data, self.query_one("#history-detail", Static)
        if data is None:
            return
        tab = self.active_tab
        text = Text(end="")
        if tab == "timeline" and (i := self._row("#events-table")) is not None and i < len(data.events):
            e = data.events[i]
            text.append(f"{format_london(e.at)} · {visible(e.actor_name)} · {visible(e.kind)}", style="bold")
            text.append("\n" + visible(e.summary))
        elif tab == "stages" and (i := self._row("#stages-table")) is not None and i < len(data.stages):
            s = data.stages[i]
            text.append(f"{visible(s.reference)} · {visible(s.label)}", style="bold")
            text.append("\n" + visible(s.summary) + "  (e: explain the due date)")
        elif tab == "clocks" and (i := self._row("#clocks-table")) is not None and i < len(data.clocks):
            c = data.clocks[i]
            text.append(f"{visible(c.reference)} · {visible(c.deadline.label)}", style="bold")
            text.append(f"\n{c.deadline.state.label} · due {c.due_words}  (e: explain)")
        else:
            text.append("Nothing recorded yet." if tab == "timeline" else "Nothing to show.")
        detail.update(text)

    # --- keys -------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_tab(self, tab: str) -> None:
        self.query_one("#history-tabs", TabbedContent).active = tab
        table_id = {"timeline": "#events-table", "stages": "#stages-table", "clocks": "#clocks-table",
                    "access": "#access-table"}[tab]
        self.query_one(table_id, StateTable).focus()

    def action_explain(self) -> None:
        data = self.data
        if data is None:
            return
        tab = self.active_tab
        explanation: Explanation | None = None
        if tab == "stages" and (i := self._row("#stages-table")) is not None and i < len(data.stages):
            explanation = data.stages[i].explanation
        elif tab == "clocks" and (i := self._row("#clocks-table")) is not None and i < len(data.clocks):
            explanation = data.clocks[i].explanation
        elif tab == "timeline":
            self.notify("Switch to Stages (s) or Clocks (c) and highlight a row to explain its date.")
            return
        if explanation is None:
            self.notify("Highlight a stage or a clock first.", severity="warning")
            return
        self.app.push_screen(ExplainDialog(explanation))

    def action_open(self) -> None:
        data = self.data
        if data is None:
            return
        tab = self.active_tab
        dispute_id: int | None = None
        if tab == "timeline" and (i := self._row("#events-table")) is not None and i < len(data.events):
            dispute_id = data.events[i].dispute_id
        elif tab == "stages" and (i := self._row("#stages-table")) is not None and i < len(data.stages):
            dispute_id = data.stages[i].dispute_id
        elif tab == "clocks" and (i := self._row("#clocks-table")) is not None and i < len(data.clocks):
            dispute_id = data.clocks[i].dispute_id
        if dispute_id is None:
            self.notify("No dispute on this row.", severity="warning")
            return
        self.desk_app.open_dispute(dispute_id)

    # --- the record written out: case-note text, the evidence bundle --------------------------
    def _note_target(self) -> tuple[int | None, int | None]:
        """(dispute, stage record) whose case-note text to copy: the highlighted stage on the
        Stages tab, else the whole dispute of the highlighted row (or of the screen)."""
        data = self.data
        if data is None:
            return None, None
        tab = self.active_tab
        if tab == "stages" and (i := self._row("#stages-table")) is not None and i < len(data.stages):
            line = data.stages[i]
            view = next((v for v in data.disputes if v.id == line.dispute_id), None)
            n = sum(1 for s in data.stages[:i] if s.dispute_id == line.dispute_id)
            if view is not None and n < len(view.stages):
                return line.dispute_id, view.stages[n].id
        dispute_id: int | None = None
        if tab == "timeline" and (i := self._row("#events-table")) is not None and i < len(data.events):
            dispute_id = data.events[i].dispute_id
        elif tab == "clocks" and (i := self._row("#clocks-table")) is not None and i < len(data.clocks):
            dispute_id = data.clocks[i].dispute_id
        if dispute_id is None:
            dispute_id = self.dispute_id if self.dispute_id is not None else (
                data.disputes[0].id if data.disputes else None)
        return dispute_id, None

    def action_case_note(self) -> None:
        dispute_id, stage_id = self._note_target()
        if dispute_id is None:
            self.notify("No dispute to write a case note for.", severity="warning")
            return
        self._case_note(dispute_id, stage_id)

    @work(thread=True, exclusive=True, group="history-export", exit_on_error=False)
    def _case_note(self, dispute_id: int, stage_id: int | None) -> None:
        desk = self.desk_app.desk
        notes = desk.case_notes(dispute_id, stage_id)
        reference = next((v.reference for v in (self.data.disputes if self.data else ()) if v.id == dispute_id), "")
        self.app.call_from_thread(self._show_note, reference, "\n\n".join(n.text for n in notes))

    def _show_note(self, reference: str, text: str) -> None:
        if not text:
            self.notify("Nothing recorded for this stage yet.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.app.push_screen(ExplainDialog(Explanation(
            f"Case note · {reference}",
            ("Copied to the clipboard, to paste into the child's record. If your terminal did not take it, "
             "select the text below.",),
            tuple(visible(line) for line in text.split("\n")))))

    def action_export(self) -> None:
        if self.data is None:
            return
        self.notify("Writing the evidence bundle ...", markup=False)
        self._export()

    @work(thread=True, exclusive=True, group="history-export", exit_on_error=False)
    def _export(self) -> None:
        pdf, html = self.desk_app.desk.export_bundle(dispute_id=self.dispute_id, child_id=self.child_id)
        self.app.call_from_thread(self._exported, str(pdf), str(html))

    def _exported(self, pdf: str, html: str) -> None:
        self.exported = (pdf, html)
        self.notify(f"Evidence bundle written:\n{visible(pdf)}\n{visible(html)}", title="Export", markup=False,
                    timeout=20)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id in ("stages-table", "clocks-table"):
            self.action_explain()
