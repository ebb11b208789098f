"""Keys terminal people know and dates as UK staff type them.

- dates: DD/MM/YYYY (and D/M/YYYY) in the form and in a dialog, checked in the database;
  a day the calendar lacks is refused at its field;
- ``j``/``k`` move the cursor in the desk's tables (and ``k`` no longer does anything else there);
- ``q`` closes the screen like Escape, at home quits (asking about unsaved text), but is typed
  into a text field that has focus;
- ``L``/``C``/``I``/``R``: the F2–F5 screens without function keys; ``H`` (or F7) home, my work.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from drp_tui.domain.model import Status
from drp_tui.domain.timeutil import end_of_london_day_utc, utc
from drp_tui.store import models as m
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.dialogs import FormDialog
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.drafts import ChoiceDialog
from drp_tui.ui.screens.history import HistoryScreen
from drp_tui.ui.widgets.caseload_table import CaseloadTable
from tests.ui.test_dispute_form import fields, keys, message, open_form, pick, run, settle
from tests.ui.test_workflows import fill_dialog, record


# --- dates --------------------------------------------------------------------------------------------
def test_a_uk_date_is_saved_from_the_form_and_shown_back_day_first(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        before = m.Dispute.get_by_id(did)
        form = await open_form(pilot, did)
        box = fields(form)["issue_arose"]
        shown = before.issue_arose
        assert box.raw == f"{shown.day:02d}/{shown.month:02d}/{shown.year}"  # filled day first
        assert isinstance(box.editor, Input) and box.editor.placeholder == "DD/MM/YYYY"
        box.set_raw("31/02/2026")
        await keys(pilot, "ctrl+s")
        assert "Date the issue arose: '31/02/2026' is not a day of the calendar (DD/MM/YYYY)" in message(form)
        assert "Date the issue arose" in str(box.query_one(".ef-error").render())
        assert m.Dispute.get_by_id(did).version == before.version  # nothing saved
        box.set_raw("9/11/2026")
        await keys(pilot, "ctrl+s")
        after = m.Dispute.get_by_id(did)
        assert after.issue_arose == date(2026, 11, 9) and after.version == before.version + 1

    run(app, body)


def test_a_uk_date_in_a_dialog_reaches_the_database(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, overdue=False, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        await keys(pilot, "x")
        dialog = await fill_dialog(pilot, until="31/02/2026", benefit_to_the_child="Specialist assessment due.")
        assert pilot.app.screen is dialog
        assert "Extend the response to: '31/02/2026' is not a day of the calendar" in str(
            fields(dialog)["until"].query_one(".ef-error").render())
        assert record(did).extension_until is None
        await fill_dialog(pilot, until="4/12/2026")
        assert utc(record(did).extension_until) == end_of_london_day_utc(date(2026, 12, 4))
        assert "Extension agreed to Fri 4 Dec 2026." in message(form)
        await settle(pilot)
        # the form's Extension line shows the day agreed (it showed the day after: Sat 5 Dec)
        shown = [str(w.render()) for w in form.query("Static.ro")]
        (line,) = [s for s in shown if s.startswith("Extension")]
        assert "to Fri 4 Dec 2026" in line and "Sat 5 Dec" not in line, line

    run(app, body)


def test_a_two_digit_year_is_refused_in_a_dialog(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        await open_form(pilot, did)
        await keys(pilot, "t")  # record a conversation: its date is typed
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        assert fields(dialog)["held_date"].raw == "23/11/2026"  # today, day first
        await fill_dialog(pilot, with_whom="Dana", held_date="23/11/26", how="phone", what_was_agreed="Call back.")
        assert pilot.app.screen is dialog
        assert "Date: '23/11/26' has a two-digit year" in str(fields(dialog)["held_date"].query_one(".ef-error").render())
        assert not m.Conversation.select().where(m.Conversation.dispute == did).exists()

    run(app, body)


# --- j / k ----------------------------------------------------------------------------------------------
def test_j_and_k_move_the_cursor_in_the_tables(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        table = app.screen.query_one(CaseloadTable)
        assert table.has_focus and table.cursor_row == 0 and table.row_count > 2
        await keys(pilot, "j", "j")
        assert table.cursor_row == 2
        await keys(pilot, "k")
        assert table.cursor_row == 1
        await keys(pilot, "C")  # the children, without F3
        children = app.screen.query_one("#children-table", DataTable)
        children.focus()
        start = children.cursor_row
        await keys(pilot, "j")
        assert children.cursor_row == start + 1
        await keys(pilot, "k")
        assert children.cursor_row == start
        history = HistoryScreen(dispute_id=pick(Status.SENT, stage="informal", overdue=True,
                                                now=app.desk.clock.now()))
        app.push_screen(history)
        await settle(pilot)
        events = history.query_one("#events-table", DataTable)
        assert events.has_focus and events.row_count > 1
        await keys(pilot, "j", "k", "j")
        assert events.cursor_row == 1
        assert history.query_one("#history-tabs").active == "timeline"  # k is no longer a tab key here
        await keys(pilot, "c")
        assert history.query_one("#history-tabs").active == "clocks"

    run(app, body)


# --- q --------------------------------------------------------------------------------------------------
def test_q_closes_the_form_but_is_typed_into_a_text_field(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, pick(Status.DRAFT, stage="informal"))
        editor = fields(form)["chair_wanted"].editor
        assert isinstance(editor, TextArea)
        editor.focus()
        await keys(pilot, "q")
        assert app.screen is form and "q" in editor.text  # typed, not a key
        concern = fields(form)["issue_arose"].editor
        assert isinstance(concern, Input)
        concern.focus()
        await keys(pilot, "q")
        assert app.screen is form and concern.value.endswith("q")
        editor.text = editor.text.replace("q", "", 1)
        fields(form)["issue_arose"].set_raw(fields(form)["issue_arose"].raw[:-1])
        await keys(pilot, "escape")  # leave the field: letters are keys again
        assert app.screen is form
        await keys(pilot, "q")
        assert isinstance(app.screen, CaseloadScreen) and app.is_running

    run(app, body)


def test_q_in_the_filter_is_typed_and_q_at_home_quits(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "slash", "q")
        assert app.screen.query_one("#filter", Input).value == "q" and app.is_running
        await keys(pilot, "escape")
        assert app.screen.query_one(CaseloadTable).has_focus
        await keys(pilot, "q")
        assert app.return_code == 0

    run(app, body)


def test_q_goes_home_from_another_mode_and_asks_at_home_when_text_is_unsaved(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "I")  # the inbox, without F4
        assert app.current_mode == "inbox"
        await keys(pilot, "q")
        assert app.current_mode == "caseload" and isinstance(app.screen, CaseloadScreen)
        await keys(pilot, "C")
        app.push_screen(DisputeScreen(pick(Status.DRAFT, stage="informal")))  # a form open in the children
        await settle(pilot)
        fields(app.screen)["chair_wanted"].set_raw("Typed, not saved")
        await keys(pilot, "L")  # the caseload's letter (H is home: my work)
        assert app.current_mode == "caseload"
        await keys(pilot, "q")
        assert isinstance(app.screen, ChoiceDialog) and app.is_running
        await keys(pilot, "q")  # q cancels the question, like Escape
        assert isinstance(app.screen, CaseloadScreen) and app.is_running

    run(app, body)


# --- letters for F2–F5 --------------------------------------------------------------------------------------
def test_letters_open_the_function_key_screens(make_app: Any) -> None:
    app = make_app("osman")

    async def body(pilot: Pilot[Any]) -> None:
        for letter, mode in (("C", "children"), ("I", "inbox"), ("R", "reports"), ("L", "caseload"),
                             ("shift+i", "inbox"), ("H", "work"), ("shift+l", "caseload"), ("shift+h", "work"),
                             ("f7", "work")):
            await keys(pilot, letter)
            assert app.current_mode == mode, letter

    run(app, body)


def test_reports_letter_is_for_oversight_only(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "R")
        assert app.current_mode == "caseload"

    run(app, body)
