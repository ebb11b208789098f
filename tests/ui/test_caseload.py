"""The caseload: views, filter, sort, paging, opening, colours by time, live refresh, user text."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from drp_tui.domain.model import DueState
from drp_tui.domain.timeutil import start_of_london_day_utc
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.widgets.caseload_table import STATE_CLASS, CaseloadTable, columns_for
from tests.ui.desk_helpers import column, desk_test, raw, screen_text, settle, table_rows


def status(app: Any) -> str:
    return str(app.screen.query_one("#status").render())


def layouts_of(widget: Any) -> list[bool]:
    """Whether each refresh of ``widget`` from now on asks for a new layout, in order."""
    layouts: list[bool] = []
    refresh = widget.refresh

    def counted(*regions: Any, layout: bool = False, **kwargs: Any) -> Any:
        layouts.append(layout)
        return refresh(*regions, layout=layout, **kwargs)

    widget.refresh = counted
    return layouts


def caseload(app: Any) -> CaseloadScreen:
    assert isinstance(app.screen, CaseloadScreen)
    return app.screen


# --- the first screen -------------------------------------------------------------------------------
@desk_test
async def test_first_screen_shows_overdue_and_due_today_rows(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        states = column(app, "state")
        assert any("OVERDUE" in s for s in states) and any("due today" in s for s in states)
        assert states[0].startswith("!! OVERDUE")  # worst first: sorted by due date
        text = screen_text(app)
        assert "rows 1–" in text and "[1 Mine]" in text
        assert caseload(app).query_one(CaseloadTable).has_focus


@desk_test
async def test_each_row_is_coloured_by_its_state(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = caseload(app).query_one(CaseloadTable)
        overdue = table.get_component_rich_style(STATE_CLASS[DueState.OVERDUE], partial=True)
        today = table.get_component_rich_style(STATE_CLASS[DueState.DUE_TODAY], partial=True)
        assert overdue.color != today.color
        for i, state in enumerate(table.states):
            cell = table.get_row_at(i)[0]
            assert cell.style == table.get_component_rich_style(STATE_CLASS[state], partial=True)
            word = state.label if state is not DueState.NONE else table.rows_shown[i].status.label
            assert word in cell.plain  # the word too, for NO_COLOR


# --- views ----------------------------------------------------------------------------------------------
@desk_test
async def test_view_keys_switch_the_tab(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = caseload(app)
        mine = screen.total_rows
        await pilot.press("4")
        await settle(pilot)
        assert screen.view_name == "overdue" and "[4 Overdue]" in screen_text(app)
        assert screen.total_rows and all("OVERDUE" in s for s in column(app, "state"))
        await pilot.press("6")
        await settle(pilot)
        with raw(app) as con:
            (every,) = con.execute("SELECT count(*) FROM dispute").fetchone()
            (hers,) = con.execute("SELECT count(*) FROM dispute d JOIN child c ON c.id = d.child_id "
                                  "WHERE d.raised_by_id = 3 OR c.chair_id = 3").fetchone()
        # "all" = every dispute she may see: her own children's, not other chairs' (store.visibility)
        assert screen.view_name == "all" and screen.total_rows == hers and hers < every
        await pilot.press("5")
        await settle(pilot)
        with raw(app) as con:
            (closed,) = con.execute("SELECT count(*) FROM dispute WHERE raised_by_id = 3 AND status IN "
                                    "('resolved', 'cafcass', 'withdrawn')").fetchone()
        assert screen.view_name == "resolved" and screen.total_rows == closed
        await pilot.press("2")
        await settle(pilot)
        with raw(app) as con:  # responses awaiting her decision (the issue: "Awaiting me" was empty)
            (deciding,) = con.execute("SELECT count(*) FROM dispute WHERE raised_by_id = 3 AND status IN "
                                      "('responded', 'negotiating')").fetchone()
        assert screen.view_name == "awaiting" and screen.total_rows == deciding > 0
        assert {r.status.value for r in screen.query_one(CaseloadTable).rows_shown} <= {"responded", "negotiating"}
        await pilot.press("]")
        await settle(pilot)
        assert screen.view_name == "team" and screen.total_rows
        await pilot.press("[", "[")
        await settle(pilot)
        assert screen.view_name == "mine" and screen.total_rows == mine


@desk_test
async def test_a_responder_starts_on_awaiting_me(make_app: Any) -> None:
    app = make_app("dwhitlow")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = caseload(app)
        assert screen.view_name == "awaiting" and screen.total_rows
        with raw(app) as con:  # sent to them and unanswered, or further actions agreed with them
            waiting = {r[0] for r in con.execute(
                "SELECT d.id FROM dispute d WHERE (d.responder_id = ? AND d.status = 'sent') OR (d.status = "
                "'negotiating' AND d.id IN (SELECT dispute_id FROM stage_record WHERE responder_id = ?))",
                (app.desk.user.id, app.desk.user.id))}
        assert {row.id for row in screen.query_one(CaseloadTable).rows_shown} <= waiting
        assert screen.total_rows == len(waiting)
        await pilot.press("3")
        await settle(pilot)
        assert screen.total_rows  # the team view: children of their own team


@desk_test
async def test_oversight_team_view_covers_every_team(make_app: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = caseload(app)
        assert screen.view_name == "team"
        with raw(app) as con:
            (open_,) = con.execute("SELECT count(*) FROM dispute WHERE status NOT IN "
                                   "('resolved', 'cafcass', 'withdrawn')").fetchone()
        assert screen.total_rows == open_


# --- filter and sort ------------------------------------------------------------------------------------
@desk_test
async def test_filter_on_enter(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.screen.query_one("#filter").has_focus
        for ch in "quarley":
            await pilot.press(ch)
        await pilot.press("enter")
        await settle(pilot)
        children = column(app, "child")
        assert children and all("Quarley" in c for c in children)
        assert caseload(app).query_one(CaseloadTable).has_focus
        assert "of 3" in status(app) or f"of {len(children)}" in status(app)


@desk_test
async def test_filter_as_you_type_waits_for_a_pause(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = caseload(app)
        screen.FILTER_DELAY = 3600  # the quiet moment is the test's to call (flush_filter), never the wall clock's
        generation = screen._generation
        await pilot.press("slash", "D", "R", "P", "-", "2", "0", "2", "6", "-", "0", "0", "0", "4")
        await pilot.pause()
        assert screen._generation == generation  # no query per keystroke
        assert screen._filter_timer is not None  # one pending, after a quiet moment
        screen.flush_filter()  # what the timer does when the typing stops
        await settle(pilot)
        assert column(app, "reference") == ["DRP-2026-0004"]
        assert screen._generation == generation + 1
        await pilot.press("escape")
        assert screen.query_one(CaseloadTable).has_focus
        app.screen.query_one("#filter").value = "zzz-no-such"
        screen.flush_filter()
        await settle(pilot)
        assert table_rows(app) == [] and "no disputes matching 'zzz-no-such'" in status(app)


@desk_test
async def test_sort_cycles(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        refs = column(app, "reference")
        assert caseload(app).sort_key == "reference" and refs == sorted(refs)
        await pilot.press("o")
        await settle(pilot)
        kids = column(app, "child")
        assert kids == sorted(kids)
        await pilot.press("o", "o")
        await settle(pilot)
        assert caseload(app).sort_key == "due"


# --- paging -----------------------------------------------------------------------------------------------
@desk_test
async def test_only_the_visible_page_is_loaded_and_keys_page(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 13)) as pilot:  # 7 rows a page (and the row detail line)
        await settle(pilot)
        screen = caseload(app)
        size, total = screen.page_size, screen.total_rows
        assert size == 7 and total and total > 2 * size
        assert len(table_rows(app)) == size
        assert f"rows 1–7 of {total}" in status(app)
        first_page = column(app, "reference")
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.page_offset == size and f"rows 8–14 of {total}" in status(app)
        assert not set(first_page) & set(column(app, "reference"))
        await pilot.press("pageup")
        await settle(pilot)
        assert screen.page_offset == 0 and column(app, "reference") == first_page
        for _ in range(size - 1):
            await pilot.press("down")
        await settle(pilot)
        assert screen.page_offset == 0
        await pilot.press("down")  # past the end of the page: the next page, cursor on its first row
        await settle(pilot)
        table = screen.query_one(CaseloadTable)
        assert screen.page_offset == size and table.cursor_row == 0
        await pilot.press("up")  # and back: the previous page, cursor on its last row
        await settle(pilot)
        assert screen.page_offset == 0 and table.cursor_row == size - 1
        await pilot.press("end")
        await settle(pilot)
        last = (total - 1) // size * size
        assert screen.page_offset == last and f"of {total}" in status(app)
        assert len(table_rows(app)) == total - last
        await pilot.press("pagedown")  # nothing after the last page: stays
        await settle(pilot)
        assert screen.page_offset == last
        await pilot.press("home")
        await settle(pilot)
        assert screen.page_offset == 0 and table.cursor_row == 0


@desk_test
async def test_the_status_line_lays_the_screen_out_only_when_its_width_changes(make_app: Any) -> None:
    """A page down from "rows 11–15 of 17" to "rows 16–17 of 17" keeps the status line's width: it is
    drawn anew without laying the screen out again; Home narrows it ("rows 1–5"): then it is laid
    out, as wide as its words."""
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 11)) as pilot:  # 5 rows a page
        await settle(pilot)
        screen = caseload(app)
        assert screen.page_size == 5 and screen.total_rows == 17
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert "rows 11–15 of 17" in screen_text(app)
        line = screen.query_one("#status")
        layouts = layouts_of(line)
        await pilot.press("pagedown")
        await settle(pilot)
        assert "rows 16–17 of 17 · o sort: due date" in screen_text(app)  # on screen
        assert layouts and not any(layouts)
        layouts.clear()
        await pilot.press("home")
        await settle(pilot)
        words = "rows 1–5 of 17 · o sort: due date "
        assert words in screen_text(app) and any(layouts)
        assert line.size.width == len(words)


@desk_test
async def test_a_view_key_stops_the_count_it_gives_up_at_once_and_lays_nothing_out_for_its_bar(make_app: Any) -> None:
    """The key's page does not share the machine with a count no one will see: the count's worker is
    cancelled and its read stopped then (``Desk.stop_unwanted_reads``), not at its next check. The
    view bar's line is drawn anew, the screen not laid out again for it (it is the screen's width)."""
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = caseload(app)
        held = threading.Event()
        counting = screen.run_worker(held.wait, thread=True, group="caseload-count",
                                     exit_on_error=False)  # (a count still running)
        stops: list[bool] = []
        desk = app.desk
        stop = desk.stop_unwanted_reads
        desk.stop_unwanted_reads = lambda: (stops.append(counting.is_cancelled), stop())[1]
        layouts = layouts_of(screen.query_one("#views"))
        try:
            await pilot.press("6")
        finally:
            held.set()
        await settle(pilot)
        assert stops == [True]  # stopped once the worker was cancelled, by the key
        assert "[6 All]" in screen_text(app) and layouts and not any(layouts)


# --- opening ------------------------------------------------------------------------------------------------
@desk_test
async def test_enter_opens_the_dispute_under_the_cursor(make_app: Any) -> None:
    app = make_app("cpatel")
    opened: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_dispute = opened.append
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        table = caseload(app).query_one(CaseloadTable)
        assert opened == [table.rows_shown[2].id]


@desk_test
async def test_enter_pushes_the_dispute_screen_and_escape_returns(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not home
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home


# --- live ----------------------------------------------------------------------------------------------------
@desk_test
async def test_due_today_turns_overdue_after_midnight_without_a_key(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        today = [r for r, s in zip(column(app, "reference"), column(app, "state"), strict=True) if "due today" in s]
        assert today
        app.desk.clock.set(start_of_london_day_utc(app.desk.clock.now().date() + timedelta(days=1))
                           + timedelta(minutes=1))
        app.tick()
        await pilot.pause()
        now_states = dict(zip(column(app, "reference"), column(app, "state"), strict=True))
        for ref in today:
            assert "OVERDUE" in now_states[ref]


@desk_test
async def test_another_session_changing_the_database_updates_the_caseload(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.poll_now()  # the watch's first look
        await settle(pilot)
        rows = dict(zip(column(app, "reference"), column(app, "state"), strict=True))
        target = next(r for r, s in rows.items() if "on track" in s)

        def other_session() -> None:
            with raw(app) as con:
                con.execute("UPDATE dispute SET next_due_at = '2026-11-02 00:00:00' WHERE reference = ?", (target,))

        thread = threading.Thread(target=other_session)
        thread.start()
        thread.join()
        await app.poll_now()
        await settle(pilot)
        rows = dict(zip(column(app, "reference"), column(app, "state"), strict=True))
        assert "OVERDUE" in rows[target]
        assert column(app, "reference")[0] == target  # earliest due now: first


@desk_test
async def test_nothing_reloads_when_nothing_changed(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.poll_now()
        await settle(pilot)
        screen = caseload(app)
        generation = screen._generation
        assert await app.poll_now() is False
        app.tick()
        await settle(pilot)
        assert screen._generation == generation  # no query: the tick only recolours


# --- user text --------------------------------------------------------------------------------------------------
@desk_test
async def test_child_names_are_shown_as_typed_never_as_markup_or_escapes(make_app: Any) -> None:
    app = make_app("cpatel")
    with raw(app) as con:
        ids = [r[0] for r in con.execute("SELECT child_id FROM dispute WHERE raised_by_id = 3 "
                                          "AND status = 'sent' ORDER BY next_due_at LIMIT 2")]
        con.execute("UPDATE child SET name = ? WHERE id = ?", ("[bold]X[/]", ids[0]))
        con.execute("UPDATE child SET name = ? WHERE id = ?", ("\x1b[31mEvil", ids[1]))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        children = column(app, "child")
        assert "[bold]X[/]" in children
        assert "\u241b[31mEvil" in children  # ␛ shown, not sent to the terminal
        text = screen_text(app)
        assert "[bold]X[/]" in text and "\x1b" not in text
        svg = app.export_screenshot()
        assert "\x1b" not in svg


def test_columns_fit_the_terminal() -> None:
    for width in (80, 100, 120, 160):
        assert sum(c.width + 2 for c in columns_for(width)) <= width
    assert [c.key for c in columns_for(80)][:4] == ["state", "reference", "child", "due"]
    assert len(columns_for(130)) == 8


@desk_test
async def test_no_color_still_shows_every_state(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        text = screen_text(app)
        for word in ("!! OVERDUE", "!  due today", ">  due soon", "on track"):
            assert word in text, word


@desk_test
async def test_at_80_columns_due_says_what_and_the_detail_line_says_with_whom(make_app: Any) -> None:
    """Issue 11: the Due column mixed response deadlines, actions and negotiation windows without
    saying which, and "With whom" was hidden at 80 columns."""
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = caseload(app)
        rows = screen.query_one(CaseloadTable).rows_shown
        assert "with" not in screen.query_one(CaseloadTable).column_keys  # no room for the column ...
        kinds = {"response": "response ", "action": "action ", "negotiation": "negotiation "}
        for row, due in zip(rows, column(app, "due"), strict=True):
            if row.next_due_kind in kinds:
                assert due.startswith(kinds[row.next_due_kind]), (row.reference, due)
        assert {r.next_due_kind for r in rows} >= {"response", "action"}
        table = screen.query_one(CaseloadTable)
        with_whom = next(i for i, r in enumerate(rows) if r.with_whom)
        table.move_cursor(row=with_whom)
        await settle(pilot)
        detail = str(screen.query_one("#row-detail").render())  # ... so the highlighted row says it
        row = rows[with_whom]
        assert detail.startswith(f"{row.reference} · due: ") and f"with {row.with_whom}" in detail
        with raw(app) as con:
            (name,) = con.execute("SELECT s.name FROM dispute d JOIN staff s ON s.id = d.responder_id "
                                  "WHERE d.reference = ?", (row.reference,)).fetchone()
        assert name == row.with_whom


@desk_test
async def test_the_table_has_the_keys_from_the_start_and_the_filter_never_had_them(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from drp_tui.ui.screens.caseload import FilterInput

    focused: list[str] = []
    set_focus = CaseloadScreen.set_focus

    def kept(screen: CaseloadScreen, widget: Any, *args: Any, **kwargs: Any) -> Any:
        if widget is not None and widget is not screen.focused:
            focused.append(type(widget).__name__)
        return set_focus(screen, widget, *args, **kwargs)

    monkeypatch.setattr(CaseloadScreen, "set_focus", kept)
    app = make_app("cpatel")  # home: the caseload
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen.focused, CaseloadTable)
        assert focused == ["CaseloadTable"]  # (Textual's own first choice was the filter, which lost it at once)
        await pilot.press("slash")  # the filter still takes the keys when asked
        await settle(pilot)
        assert isinstance(app.screen.focused, FilterInput)
