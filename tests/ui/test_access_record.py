"""Reads are recorded: opening a dispute, a history, the children list or the reports leaves
one ``read`` event (who, when, what: ids and references only), once per opening, not per refresh."""

from __future__ import annotations

import json
from typing import Any

from drp_tui.store import models as m
from drp_tui.ui.screens.children import ChildrenScreen
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.history import HistoryScreen
from drp_tui.ui.screens.reports import ReportsScreen
from drp_tui.ui.widgets.caseload_table import CaseloadTable
from tests.conftest import FROZEN_NOW
from tests.ui.screens_helpers import pilot_test, push, settle


def reads() -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == "read").order_by(m.Event.id))


def names() -> list[str]:
    return [c.name for c in m.Child.select(m.Child.name)] + [s.name for s in m.Staff.select(m.Staff.name)]


def assert_no_names(e: m.Event) -> None:
    for name in names():
        assert name not in e.summary and name not in e.after, (name, e.summary)


@pilot_test
async def test_opening_a_dispute_from_the_caseload_records_one_read(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CaseloadTable)
        target = table.rows_shown[0].id
        before = len(reads())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        d = m.Dispute.get_by_id(target)
        assert d.reference in str(app.screen.title) or app.screen.dispute_id == target
        got = reads()[before:]
        assert len(got) == 1
        e = got[0]
        assert (e.actor_id, e.dispute_id, e.child_id) == (app.desk.user.id, target, d.child_id)
        assert e.at == FROZEN_NOW
        assert d.reference in e.summary and json.loads(e.after) == {"view": "dispute"}
        assert_no_names(e)
        # a refresh (another session's change) reloads the screen without another record
        app.screen.refresh_data()
        await settle(pilot)
        assert len(reads()) == before + 1


@pilot_test
async def test_a_dispute_nobody_showed_you_is_refused_and_not_recorded_as_read(make_app: Any) -> None:
    app = make_app("cpatel")
    me = m.Staff.get(m.Staff.username == "cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        hidden = next(d for d in m.Dispute.select() if d.raised_by_id != me.id and not app.desk.can_see(d.id))
        before = len(reads())
        await app.push_screen(DisputeScreen(hidden.id))
        await settle(pilot)
        assert len(reads()) == before


@pilot_test
async def test_a_child_history_records_the_child_not_each_dispute(make_app: Any) -> None:
    app = make_app("cpatel")
    me = m.Staff.get(m.Staff.username == "cpatel")
    child = max(m.Child.select().where(m.Child.chair == me.id), key=lambda c: c.disputes.count())
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(reads())
        screen = await push(app, pilot, HistoryScreen(child_id=child.id))
        assert child.case_number in str(screen.query_one("#history-title").content)
        got = reads()[before:]
        assert [(e.child_id, e.dispute_id, e.actor_id) for e in got] == [(child.id, None, me.id)]
        assert json.loads(got[0].after) == {"view": "child history"}
        assert_no_names(got[0])
        # reads never show in the history itself
        assert all(e.kind != "read" for e in screen.data.events)


@pilot_test
async def test_a_dispute_history_is_recorded(make_app: Any) -> None:
    app = make_app("cpatel")
    me = m.Staff.get(m.Staff.username == "cpatel")
    d = m.Dispute.select().where(m.Dispute.raised_by == me.id).order_by(m.Dispute.id).first()
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(reads())
        await push(app, pilot, HistoryScreen(dispute_id=d.id))
        got = reads()[before:]
        assert [(e.dispute_id, json.loads(e.after)["view"]) for e in got] == [(d.id, "dispute history")]


@pilot_test
async def test_the_children_list_is_recorded_once(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(reads())
        screen = await push(app, pilot, ChildrenScreen())
        assert screen.query_one("DataTable").row_count > 0
        got = reads()[before:]
        assert len(got) == 1 and json.loads(got[0].after) == {"view": "children list"}
        assert got[0].child_id is None and got[0].dispute_id is None
        assert_no_names(got[0])
        screen.refresh_data()
        await settle(pilot)
        assert len(reads()) == before + 1


@pilot_test
async def test_reports_are_recorded_for_oversight_and_a_refusal_is_not_a_read(make_app: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(reads())
        screen = await push(app, pilot, ReportsScreen())
        assert screen.report is not None
        got = reads()[before:]
        assert [(e.actor_id, json.loads(e.after)["view"]) for e in got] == [(app.desk.user.id, "reports")]


@pilot_test
async def test_reports_refused_to_a_chair_leave_no_read(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        before = len(reads())
        screen = await push(app, pilot, ReportsScreen())
        assert screen.report is None
        assert len(reads()) == before


@pilot_test
async def test_each_visit_to_the_children_mode_is_one_read_a_dialog_on_top_is_not(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = len(reads())
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ChildrenScreen)
        assert len(reads()) == before + 1
        await pilot.press("question_mark")  # help on top, then back: still the same visit
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChildrenScreen)
        assert len(reads()) == before + 1
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        got = reads()[before:]
        assert [json.loads(e.after)["view"] for e in got] == ["children list", "children list"]
        assert all(e.actor_id == app.desk.user.id for e in got)


@pilot_test
async def test_the_reports_mode_is_recorded_for_oversight(make_app: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = len(reads())
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen) and app.screen.report is not None
        got = reads()[before:]
        assert [json.loads(e.after)["view"] for e in got] == ["reports"]


@pilot_test
async def test_oversight_sees_who_looked_at_a_child(make_app: Any) -> None:
    app = make_app("osman")
    me = m.Staff.get(m.Staff.username == "cpatel")
    child = max(m.Child.select().where(m.Child.chair == me.id), key=lambda c: c.disputes.count())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chair_ctx = app.desk.ctx().as_actor(me.id)
        from drp_tui.services import access

        access.record_read(chair_ctx, "child history", child_id=child.id)  # the chair looked earlier
        screen = await push(app, pilot, HistoryScreen(child_id=child.id))
        await pilot.press("a")
        await settle(pilot)
        table = screen.query_one("#access-table")
        assert screen.query_one("#history-tabs").active == "access" and table.has_focus
        who = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert who[:2] == ["osman", "cpatel"]  # newest first: this very look is on the record


@pilot_test
async def test_a_chair_has_no_who_looked_tab(make_app: Any) -> None:
    app = make_app("cpatel")
    me = m.Staff.get(m.Staff.username == "cpatel")
    child = max(m.Child.select().where(m.Child.chair == me.id), key=lambda c: c.disputes.count())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(child_id=child.id))
        assert not screen.query("#access-table")
        assert screen.check_action("tab", ("access",)) is False
        await pilot.press("a")
        assert screen.query_one("#history-tabs").active == "timeline"
