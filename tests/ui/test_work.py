"""My work (home): the first screen after sign-in lists what needs the person now, worst first.

Pilot tests on the demo data at the frozen clock (Mon 23 Nov 2026 10:00 London), with the
installed default ``home = "work"``; each checks the screen against the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import outcomes
from drp_tui.services.context import Ctx
from drp_tui.services.work import WorkItem
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.work import Shown, WorkScreen, WorkTable
from drp_tui.ui.widgets.caseload_table import CaseloadTable
from tests.conftest import FROZEN_NOW
from tests.ui.desk_helpers import desk_test, raw, screen_text, settle

SMALL = (80, 24)


def rows(app: Any) -> list[list[str]]:
    table = app.screen.query_one(WorkTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def escalate_as_chair(reference: str, stage: str) -> None:
    """cpatel escalates ``reference`` (through the service, as the desk would)."""
    from drp_tui.store import models as m

    chair = m.Staff.get(m.Staff.username == "cpatel")
    d = m.Dispute.get(m.Dispute.reference == reference)
    ctx = Ctx(chair.id, load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
    outcomes.escalate(ctx, d.id, stage)


@desk_test
async def test_chair_home_is_my_work_worst_first_and_enter_opens_the_dispute(make_app: Any) -> None:
    app = make_app("cpatel", home="work")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WorkScreen) and app.current_mode == "work"
        got = rows(app)
        text = screen_text(app)
        assert "My work · " in text and " overdue" in text
        # the worst first: every overdue row before anything else
        states = [r[0].strip() for r in got]
        first_other = next(i for i, s in enumerate(states) if "OVERDUE" not in s)
        assert first_other > 0 and all("OVERDUE" not in s for s in states[first_other:])
        chase = next(r for r in got if r[2].startswith("DRP-2026-0006"))
        assert chase[1] == "Chase or escalate\nresponse due Fri 13 Nov" and chase[3].startswith("Dana Whitlow")
        decide = next(r for r in got if r[2].startswith("DRP-2026-0009"))
        assert decide[1].startswith("Decide on the response\nyour decision since ")
        with raw(app) as con:  # the database agrees: responded, and raised by this chair
            status, chair = con.execute(
                "SELECT d.status, s.username FROM dispute d JOIN staff s ON s.id = d.raised_by_id "
                "WHERE reference = 'DRP-2026-0009'").fetchone()
        assert (status, chair) == ("responded", "cpatel")
        table = app.screen.query_one(WorkTable)
        table.move_cursor(row=[r[2].split("\n")[0] for r in got].index("DRP-2026-0006"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        with raw(app) as con:
            (ref,) = con.execute("SELECT reference FROM dispute WHERE id = ?", (app.screen.dispute_id,)).fetchone()
        assert ref == "DRP-2026-0006"


@desk_test
async def test_manager_home_lists_the_responses_awaited_from_them(make_app: Any) -> None:
    app = make_app("dwhitlow", home="work")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        got = rows(app)
        with raw(app) as con:
            waiting = {r[0] for r in con.execute(
                "SELECT d.reference FROM dispute d JOIN staff s ON s.id = d.responder_id "
                "WHERE s.username = 'dwhitlow' AND d.status = 'sent'")}
        shown = {r[2].split("\n")[0] for r in got if r[1].startswith("Respond\n")}
        assert waiting and waiting <= shown
        assert all("response due" in r[1] for r in got if r[1].startswith("Respond\n"))
        assert all(r[3].startswith("Chloe Patel") or r[3].startswith("J") or r[3].startswith("M") for r in got)


@desk_test
async def test_oversight_home_shows_a_request_for_agreement_then_f2_and_h(make_app: Any) -> None:
    app = make_app("osman", home="work")
    escalate_as_chair("DRP-2026-0014", "stage_2")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        got = rows(app)
        assert [r[:3] for r in got if r[1].startswith("Agree")] == [
            ["* waiting", "Agree: Stage 2 DRP\nagreement since Mon 23 Nov", "DRP-2026-0014\nWren Marrick"]]
        await pilot.press("f2", "2")  # the caseload's "Awaiting me" holds the request too
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen) and app.screen.view_name == "awaiting"
        assert [r.reference for r in app.screen.query_one(CaseloadTable).rows_shown] == ["DRP-2026-0014"]
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, WorkScreen)


@desk_test
async def test_q_goes_home_from_the_caseload_and_quits_at_home(make_app: Any) -> None:
    app = make_app("cpatel", home="work")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, WorkScreen)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


@desk_test
async def test_home_away_from_view_reloads_when_shown_not_on_every_change(make_app: Any) -> None:
    app = make_app("osman", home="work")
    calls: list[int] = []
    real = app.desk.my_work

    def counting() -> Any:
        calls.append(1)
        return real()

    app.desk.my_work = counting
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert not [r for r in rows(app) if r[1].startswith("Agree")] and calls == [1]
        await pilot.press("f2")
        await settle(pilot)
        escalate_as_chair("DRP-2026-0014", "stage_2")  # another session's commit, and time passing
        app.data_changed()
        app.tick()
        await settle(pilot)
        assert calls == [1]  # nothing read for a list no one sees
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, WorkScreen) and len(calls) >= 2  # (the live watch may see the commit too)
        assert [r[2] for r in rows(app) if r[1].startswith("Agree")] == ["DRP-2026-0014\nWren Marrick"]
        shown = len(calls)
        app.tick()  # on show: time passing reloads it
        await settle(pilot)
        assert len(calls) > shown


@desk_test
async def test_a_rows_text_is_made_when_it_is_drawn_not_for_every_row(make_app: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The table holds a row for every item, but a cell's text is made only when its row is drawn
    (the list may hold 200 disputes' worth; the screen shows a few)."""
    made: list[WorkItem] = []
    real = Shown.text

    def counting(self: Shown, item: WorkItem, column: str) -> Any:
        made.append(item)
        return real(self, item, column)

    monkeypatch.setattr(Shown, "text", counting)
    app = make_app("cpatel", home="work")
    async with app.run_test(size=(80, 12)) as pilot:  # (room for three rows of two lines)
        await settle(pilot)
        table = app.screen.query_one(WorkTable)
        items = table.items
        drawn = {(i.dispute_id, i.move) for i in made}
        assert table.row_count == len(items) > len(drawn) > 0
        assert drawn == {(i.dispute_id, i.move) for i in items[:len(drawn)]}  # the top rows, those on screen
        made.clear()
        table.move_cursor(row=len(items) - 1, animate=False)  # (the last row: scrolled to)
        await settle(pilot)
        assert (items[-1].dispute_id, items[-1].move) in {(i.dispute_id, i.move) for i in made}  # drawn once shown
        last = [str(cell) for cell in table.get_row_at(len(items) - 1)]
        assert last[2].split("\n") == [items[-1].reference, items[-1].child_name]
        with raw(app) as con:  # the database agrees
            (child,) = con.execute("SELECT c.name FROM dispute d JOIN child c ON c.id = d.child_id WHERE d.id = ?",
                                   (items[-1].dispute_id,)).fetchone()
        assert child == items[-1].child_name
