"""Reports for oversight: numbers, themes, teams, timeliness, and the supervision list.

Pushed by the app (constructed with no arguments). Everything is computed by
:mod:`drp_tui.services.reports` in one worker; this screen only lays it out.
Three tabs: Numbers (``n``), Outstanding (``o``, open disputes worst first;
Enter opens one, ``h`` shows its history) and the report pack (``p``: the annual report's
figures for an April-to-March year, with bar charts drawn in block characters; ``,`` and
``.`` show the year before or after; ``drp report`` writes the same as a file).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, cast

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from drp_tui.crash import user_message
from drp_tui.domain.model import Role
from drp_tui.domain.timeutil import format_date, format_london, london_date
from drp_tui.services import report_pack, reports
from drp_tui.services.errors import DomainError
from drp_tui.ui.screens.mode import ModeScreen
from drp_tui.ui.screens.history_widgets import StateTable, short_day
from drp_tui.ui.plain import is_plain
from drp_tui.ui.widgets.bars import bar_chart, fit
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp

_TICK = timedelta(microseconds=1)  # end-of-day deadlines are stored as 00:00 the next day

REPORTS_BINDINGS: list[Binding] = [
    Binding("escape", "back", "Back", id="reports.back"),
    Binding("n", "tab('numbers')", "Numbers", show=False, id="reports.numbers",
            tooltip="Counts, themes, teams, timeliness"),
    Binding("o", "tab('outstanding')", "Outstanding", show=False, id="reports.outstanding",
            tooltip="Open disputes for supervision, worst first"),
    Binding("p", "tab('pack')", "Pack", show=False, id="reports.pack",
            tooltip="The report pack for a year, with charts"),
    Binding("comma", "pack_year(-1)", "Year before", id="reports.pack_earlier",
            tooltip="The report pack for the year before"),
    Binding("full_stop", "pack_year(1)", "Year after", id="reports.pack_later",
            tooltip="The report pack for the year after"),
    Binding("h", "history", "History", id="reports.history", tooltip="History of the highlighted dispute"),
    Binding("ctrl+r", "reload", "Reload", show=False, id="reports.reload"),
]


def _table(title: str, *headers: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False, expand=False)
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=i > 0)
    return table


def counts_table(title: str, items: tuple[reports.Count, ...], total: int) -> Table:
    table = _table(title, "", "Number", "%")
    for c in items:
        pct = f"{round(100 * c.count / total)}" if total else "-"
        table.add_row(Text(visible(c.label)), str(c.count), pct)
    if not items:
        table.add_row(Text("none"), "-", "-")
    return table


def teams_table(items: tuple[reports.TeamCount, ...]) -> Table:
    table = _table("By team (the child's team)", "Team", "All", "Open", "Overdue", "Closed")
    for t in items:
        table.add_row(Text(visible(t.team)), str(t.total), str(t.open), str(t.overdue), str(t.closed))
    if not items:
        table.add_row(Text("none"), "-", "-", "-", "-")
    return table


def timeliness_text(t: reports.Timeliness) -> Text:
    text = Text(end="")
    text.append("Timeliness of responses\n", style="bold")
    pct = f" ({t.on_time_percent}% on time)" if t.on_time_percent is not None else ""
    text.append(f"Responses received: {t.answered}; on time {t.on_time}, late {t.late}{pct}\n")
    m = t.median_working_days
    median = "-" if m is None else f"{m:g} working day{'' if m == 1 else 's'}"
    text.append(f"Median time to respond: {median}\n")
    text.append(f"Awaiting a response: {t.awaiting}, of which overdue {t.awaiting_overdue}\n")
    text.append(f"Passed over without a response: {t.unanswered}")
    if t.no_timescale:
        text.append(f"\nAnswered with no timescale set: {t.no_timescale}")
    return text


PACK_SECTIONS = ("month", "stage", "resolved", "timeliness", "resolution", "themes", "teams", "cafcass", "year")


def shows_table(s: report_pack.Section) -> bool:
    """A section's table is shown beside its chart when the chart leaves figures out."""
    c = s.chart
    if c is None or not c.labels:
        return True
    shown = 1 + len(c.series) + (1 if s.headers[-1] == "%" else 0)
    return len(s.rows) != len(c.labels) or len(s.headers) > shown


def section_text(s: report_pack.Section, width: int, *, plain: bool = False) -> Text:
    """One section of the pack: its title, its bars, then its table where the bars leave figures out."""
    text = Text(end="")
    text.append(s.title, style="bold")
    if s.chart is not None and s.chart.labels:
        text.append("\n")
        text.append(bar_chart(s.chart, width, plain=plain))
    if shows_table(s):
        label_w = min(44, max([cell_len(visible(str(r[0]))) for r in s.rows] + [len(s.headers[0]), 6]))
        cols = [max(len(h), *(len(_cell(r[i])) for r in s.rows)) if s.rows else len(h)
                for i, h in enumerate(s.headers) if i]
        text.append("\n")
        text.append(fit(s.headers[0], label_w), style="bold")
        for h, w in zip(s.headers[1:], cols, strict=True):
            text.append("  " + h.rjust(w), style="bold")
        for row in s.rows:
            text.append("\n" + fit(str(row[0]), label_w))
            for value, w in zip(row[1:], cols, strict=True):
                text.append("  " + _cell(value).rjust(w))
        if not s.rows:
            text.append("\nnone")
    if s.note:
        text.append("\n" + visible(s.note), style="italic")
    return text


def _cell(value: report_pack.Cell) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


class ReportsScreen(ModeScreen):
    CSS_PATH = "../tcss/screens.tcss"
    BINDINGS = REPORTS_BINDINGS
    TITLE = "Reports"

    def __init__(self) -> None:
        super().__init__()
        self.report: reports.Report | None = None
        self.pack: report_pack.Pack | None = None
        self.pack_period: tuple[date, date] | None = None  # None: the year of today, once loaded

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Reports", id="reports-title", classes="screen-title")
        with TabbedContent(initial="numbers", id="reports-tabs"):
            with TabPane("Numbers (n)", id="numbers"):
                with VerticalScroll(id="report-numbers"):
                    with Horizontal(classes="report-section", id="report-row1"):
                        yield Static("", id="report-status", classes="report-half")
                        yield Static("", id="report-stage", classes="report-half")
                    yield Static("", id="report-timeliness", classes="report-section")
                    yield Static("", id="report-team", classes="report-section")
                    yield Static("", id="report-category", classes="report-section")
            with TabPane("Outstanding (o)", id="outstanding"):
                yield StateTable(id="outstanding-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Pack (p)", id="pack"):
                yield Static("", id="pack-period")
                with VerticalScroll(id="report-pack"):
                    for key in PACK_SECTIONS:
                        yield Static("", id=f"pack-{key}", classes="report-section")
        yield Static("", id="reports-detail", classes="detail")
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one("#outstanding-table", StateTable)
        for label, key, width in (("State", "state", 9), ("Reference", "ref", 13), ("Child", "child", 12),
                                  ("Chair", "chair", 12), ("Stage", "stage", 11), ("Due", "due", 9)):
            table.add_column(label, key=key, width=width)
        self.query_one("#report-numbers", VerticalScroll).focus()
        self.watch(self.app, "theme", self._recolour, init=False)
        self.refresh_data()

    def _recolour(self, _theme: str) -> None:
        if self.report is not None:
            self.call_after_refresh(self._show, self.report)

    # --- the access record: one read each time the reports are opened (not per refresh) ----
    _read_mode: str | None = None

    def on_screen_resume(self) -> None:
        desk = self.desk_app.desk
        if self._read_mode is None and desk.role in (Role.OVERSIGHT, Role.ADMIN):  # a refusal is no read
            self._read_mode = self.app.current_mode
            self._record_opening()

    def on_screen_suspend(self) -> None:
        if self.app.current_mode != self._read_mode:  # left for another mode (not a dialog on top)
            self._read_mode = None

    @work(thread=True, group="reports-read", exit_on_error=False)
    def _record_opening(self) -> None:
        self.desk_app.desk.record_read("reports")

    # --- loading ----------------------------------------------------------------------
    def refresh_data(self) -> None:
        self._load()
        if self.pack_period is not None:
            self._load_pack(self.pack_period)

    def _this_year(self) -> tuple[date, date]:
        return report_pack.financial_year(london_date(self.desk_app.desk.clock.now()))

    @work(thread=True, exclusive=True, group="reports-pack", exit_on_error=False)
    def _load_pack(self, period: tuple[date, date]) -> None:
        try:
            result = self.desk_app.desk.call(report_pack.pack_for, *period)
        except DomainError as err:
            self.app.call_from_thread(self._pack_refused, err)
            return
        self.app.call_from_thread(self._show_pack, result)

    def _pack_refused(self, err: DomainError) -> None:
        if self.is_attached:
            self.query_one("#pack-period", Static).update(safe_text(f"{err.title}: {err.message}"))

    def _show_pack(self, p: report_pack.Pack) -> None:
        if not self.is_attached or (p.date_from, p.date_to) != self.pack_period:
            return
        self.pack = p
        self.query_one("#pack-period", Static).update(Text(
            f"{report_pack.period_text(p.date_from, p.date_to)} · {p.total} raised · , year before  . year after",
            no_wrap=True, overflow="ellipsis", end=""))
        self._draw_pack()

    def _draw_pack(self) -> None:
        if self.pack is None:
            return
        shown = self.query_one("#report-pack", VerticalScroll).size.width  # 0 while another tab is shown
        width = max(40, (shown or self.size.width - 2) - 4)
        for s in report_pack.sections(self.pack):
            self.query_one(f"#pack-{s.key}", Static).update(section_text(s, width, plain=is_plain(self)))

    def on_resize(self) -> None:
        if self.pack is not None:
            self.call_after_refresh(self._draw_pack)

    @work(thread=True, exclusive=True, group="reports-load", exit_on_error=False)
    def _load(self) -> None:
        desk = self.desk_app.desk
        try:
            result = desk.call(reports.report_for)
        except DomainError as err:
            self.app.call_from_thread(self._refused, err)
            return
        self.app.call_from_thread(self._show, result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.notify(user_message(err), title="Reports",
                        severity="error", markup=False)

    def _refused(self, err: DomainError) -> None:
        if self.is_attached:
            self.query_one("#reports-title", Static).update(safe_text(f"Reports · {err.title}: {err.message}"))

    def _show(self, r: reports.Report) -> None:
        if not self.is_attached:
            return
        self.report = r
        title = f"Reports · {r.total} disputes, {r.open} open · as at {format_london(r.generated_at)}"
        self.query_one("#reports-title", Static).update(Text(title, no_wrap=True, end=""))
        self.query_one("#report-status", Static).update(counts_table("By status", r.by_status, r.total))
        self.query_one("#report-stage", Static).update(counts_table("By stage reached", r.by_stage, r.total))
        self.query_one("#report-timeliness", Static).update(timeliness_text(r.timeliness))
        self.query_one("#report-team", Static).update(teams_table(r.by_team))
        self.query_one("#report-category", Static).update(
            counts_table("By category of concern (themes)", r.by_category, r.total))
        table = self.query_one("#outstanding-table", StateTable)
        row = table.cursor_row
        table.clear()
        for o in r.outstanding:
            table.add_row(
                table.state_text(o.status.label if o.state.value == "none" else o.state.label, o.state, symbol=False),
                safe_text(o.reference, width=13), safe_text(o.child_name, width=12),
                safe_text(o.chair_name, width=12), safe_text(o.stage_label, width=11),
                Text(short_day(o.next_due_at - _TICK) if o.next_due_at else ""),
                key=str(o.dispute_id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        self._detail()

    # --- what is highlighted -------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        return self.query_one("#reports-tabs", TabbedContent).active or "numbers"

    @property
    def current(self) -> reports.Outstanding | None:
        r, table = self.report, self.query_one("#outstanding-table", StateTable)
        if r is None or not r.outstanding or not 0 <= table.cursor_row < len(r.outstanding):
            return None
        return r.outstanding[table.cursor_row]

    @on(DataTable.RowHighlighted)
    @on(TabbedContent.TabActivated)
    def _moved(self) -> None:
        self._detail()
        if self.active_tab == "pack" and self.pack_period is None:  # the pack is read when first shown
            self.pack_period = self._this_year()
            self.query_one("#pack-period", Static).update(Text(
                f"{report_pack.period_text(*self.pack_period)} · loading …", no_wrap=True, end=""))
            self._load_pack(self.pack_period)
        self.refresh_bindings()

    def _detail(self) -> None:
        detail = self.query_one("#reports-detail", Static)
        detail.display = self.active_tab == "outstanding"
        o = self.current if self.active_tab == "outstanding" else None
        if o is None:
            detail.update(Text("Nothing outstanding."))
            return
        text = Text(end="")
        text.append(f"{visible(o.reference)} · {visible(o.child_name)} · {visible(o.team_name)}", style="bold")
        due = ""
        if o.next_due_at is not None:
            due = f" · next: {o.next_due_kind} due by the end of {format_date(o.next_due_at - _TICK)}"
        with_whom = f" · with {visible(o.with_whom)}" if o.with_whom else ""
        text.append(f"\n{o.status.label}{with_whom}{due} · chair {visible(o.chair_name)}"
                    f" · open {o.working_days_open} working days")
        detail.update(text)

    # --- keys -----------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_tab(self, tab: str) -> None:
        self.query_one("#reports-tabs", TabbedContent).active = tab
        if tab == "outstanding":
            self.query_one("#outstanding-table", StateTable).focus()
        elif tab == "pack":
            self.query_one("#report-pack", VerticalScroll).focus()
        else:
            self.query_one("#report-numbers", VerticalScroll).focus()

    def action_reload(self) -> None:
        self.refresh_data()

    def action_pack_year(self, step: int) -> None:
        if self.active_tab != "pack":
            return
        start, _end = self.pack_period or self._this_year()
        self.pack_period = report_pack.financial_year(date(start.year + step, 4, 1))
        self.query_one("#pack-period", Static).update(Text(
            f"{report_pack.period_text(*self.pack_period)} · loading …", no_wrap=True, end=""))
        self._load_pack(self.pack_period)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pack_year":
            return self.is_mounted and self.active_tab == "pack"
        return True

    def action_history(self) -> None:
        o = self.current if self.active_tab == "outstanding" else None
        if o is None:
            self.notify("Highlight a dispute in the outstanding list (o) first.", severity="warning")
            return
        self.desk_app.open_history(dispute_id=o.dispute_id)

    @on(DataTable.RowSelected, "#outstanding-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        o = self.current
        if o is not None:
            self.desk_app.open_dispute(o.dispute_id)

