"""The administrator's screen (F8 or M): staff, teams, children, closure days and the procedure,
through the same services as the command line; checked on screen and in the database.

Pilot tests on the demo data (frozen clock: Mon 23 Nov 2026 10:00 London), signed in as the
demo's administrator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.ui.screens.admin import AdminScreen
from drp_tui.ui.screens.dialogs import ConfirmDialog, FormDialog
from tests.ui.screens_helpers import screen_text, table_cells


def run(app: Any, body: Callable[[Pilot[Any]], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await body(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[Any]) -> None:
    """Every worker done except a dialog waiting for an answer; keys typed ahead landed."""
    app = pilot.app
    for _ in range(200):
        await pilot.pause()
        if getattr(app, "keys_pending", 0):
            continue
        io = [w for w in app.workers if w.is_running and w.group != "admin-dialog"]
        if not io:
            break
        try:
            await app.workers.wait_for_complete(io)
        except WorkerCancelled:
            pass
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def keys(pilot: Pilot[Any], *pressed: str) -> None:
    for k in pressed:
        await pilot.press(k)
        await settle(pilot)


async def type_in(pilot: Pilot[Any], text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await settle(pilot)


async def open_admin(pilot: Pilot[Any]) -> AdminScreen:
    await keys(pilot, "M")
    screen = pilot.app.screen
    assert isinstance(screen, AdminScreen), type(screen)
    return screen


def events(kind: str) -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == kind).order_by(m.Event.id))


def test_the_administrator_sees_accounts_teams_and_children_by_case_number_never_a_name(make_app: Any) -> None:
    app = make_app("admin")

    async def body(pilot: Pilot[Any]) -> None:
        screen = await open_admin(pilot)
        staff = table_cells(screen, "#admin-staff")
        assert [r[0] for r in staff] == [s.username for s in m.Staff.select().order_by(m.Staff.username)]
        await keys(pilot, "3")
        children = table_cells(screen, "#admin-children")
        assert sorted(r[0] for r in children) == sorted(c.case_number for c in m.Child.select())
        text = screen_text(app)
        names = [c.name for c in m.Child.select()]
        assert not [n for n in names if n in text]  # no child's name on the administrator's screen
        assert not [n for n in names if any(n in cell for row in children for cell in row)]
        await keys(pilot, "2")
        teams = table_cells(screen, "#admin-teams")
        chain = m.TeamRole.select().count()
        assert len([r for r in teams if r[2]]) == chain
        await keys(pilot, "5")
        assert app.desk.policy.name in screen_text(app)
        assert "Open disputes on this version" in screen_text(app)

    run(app, body)


def test_only_an_administrator_opens_it(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "M", "f8")
        assert not isinstance(app.screen, AdminScreen) and app.current_mode == "caseload"

    run(app, body)


def test_add_an_account_gives_a_set_up_code_once_and_a_taken_name_is_named(make_app: Any) -> None:
    app = make_app("admin")

    async def body(pilot: Pilot[Any]) -> None:
        screen = await open_admin(pilot)
        await keys(pilot, "a")
        assert isinstance(app.screen, FormDialog)
        await type_in(pilot, "cpatel")
        await keys(pilot, "tab")
        await type_in(pilot, "Casey Newchair")
        await keys(pilot, "ctrl+s")
        dialog = app.screen
        assert isinstance(dialog, FormDialog)  # refused: the name is taken; what was typed is kept
        assert "username: 'cpatel' is already taken" in screen_text(app)
        assert m.Staff.select().where(m.Staff.name == "Casey Newchair").count() == 0
        await keys(pilot, "end", *["backspace"] * len("cpatel"))  # the refused field has the focus
        await type_in(pilot, "cnew")
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, ConfirmDialog), screen_text(app)
        shown = screen_text(app)
        assert "One-time set-up code:" in shown
        s = m.Staff.get(m.Staff.username == "cnew")
        assert s.name == "Casey Newchair" and s.role == "chair" and s.setup_code_hash and not s.password_hash
        assert events("account_added")[-1].summary.startswith("Account cnew (chair) added by Avery Admin")
        await keys(pilot, "enter")
        assert app.screen is screen
        assert "cnew" in [r[0] for r in table_cells(screen, "#admin-staff")]
        assert "One-time set-up code" not in screen_text(app)  # shown once

    run(app, body)


def test_a_chair_with_open_disputes_is_handed_over_then_disabled(make_app: Any) -> None:
    app = make_app("admin")

    async def body(pilot: Pilot[Any]) -> None:
        screen = await open_admin(pilot)
        users = [r[0] for r in table_cells(screen, "#admin-staff")]
        table = screen.query_one("#admin-staff")
        table.move_cursor(row=users.index("cpatel"))
        await settle(pilot)
        open_ = [s.value for s in Status if s.is_open]
        chloe = m.Staff.get(m.Staff.username == "cpatel")
        mine = m.Dispute.select().where((m.Dispute.raised_by == chloe.id) & m.Dispute.status.in_(open_)).count()
        assert mine > 0
        await keys(pilot, "x")
        await type_in(pilot, "Left the service")
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, FormDialog)  # refused, said in the dialog
        assert "open" in screen_text(app).lower() and m.Staff.get_by_id(chloe.id).active
        await keys(pilot, "escape", "t")
        assert isinstance(app.screen, FormDialog)
        await keys(pilot, "ctrl+s")
        new_chair = m.Dispute.select().where(m.Dispute.status.in_(open_) & (m.Dispute.raised_by == chloe.id)).count()
        assert new_chair == 0 and "Handed over to" in screen_text(app)
        assert events("handed_over") or events("handover")
        await keys(pilot, "x")
        await type_in(pilot, "Left the service")
        await keys(pilot, "ctrl+s")
        assert not m.Staff.get_by_id(chloe.id).active
        assert "cpatel disabled" in screen_text(app)
        row = [r for r in table_cells(screen, "#admin-staff") if r[0] == "cpatel"][0]
        assert row[4] == "disabled"
        await keys(pilot, "e")
        assert m.Staff.get_by_id(chloe.id).active

    run(app, body)


def test_closure_days_are_added_audited_and_count_at_once(make_app: Any) -> None:
    app = make_app("admin")

    async def body(pilot: Pilot[Any]) -> None:
        screen = await open_admin(pilot)
        await keys(pilot, "4", "a")
        await type_in(pilot, "29/12/2026")
        await keys(pilot, "tab")
        await type_in(pilot, "Offices closed")
        await keys(pilot, "ctrl+s")
        assert app.screen is screen
        row = m.ClosureDay.get(m.ClosureDay.day == date(2026, 12, 29))
        assert row.reason == "Offices closed" and row.added_by.username == "admin"
        assert events("closure_added")[-1].summary.startswith("Closure day Tue 29 Dec 2026 added by Avery Admin")
        assert not app.desk.calendar.is_working_day(date(2026, 12, 29))  # this desk, at once
        assert table_cells(screen, "#admin-closures")[0][:2] == ["Tue 29 Dec 2026", "Offices closed"]
        await keys(pilot, "a")
        await type_in(pilot, "25/12/2026")
        await keys(pilot, "tab")
        await type_in(pilot, "Christmas")
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, FormDialog)
        assert "is not a working day already" in screen_text(app)
        await keys(pilot, "escape", "x")
        assert isinstance(app.screen, ConfirmDialog)
        await keys(pilot, "enter")
        assert not m.ClosureDay.select().exists() and events("closure_removed")
        assert app.desk.calendar.is_working_day(date(2026, 12, 29))

    run(app, body)


def test_level_holder_child_move_close_and_find(make_app: Any) -> None:
    app = make_app("admin")

    async def body(pilot: Pilot[Any]) -> None:
        screen = await open_admin(pilot)
        await keys(pilot, "2")
        tr = m.TeamRole.select().order_by(m.TeamRole.id).first()
        rows = screen.team_rows
        at = next(i for i, (t, lv) in enumerate(rows) if t.id == tr.team_id and lv == tr.level)
        screen.query_one("#admin-teams").move_cursor(row=at)
        await settle(pilot)
        spare = m.Staff.select().where(m.Staff.role == "responder").order_by(m.Staff.id.desc()).first()
        await keys(pilot, "l", "tab")
        await type_in(pilot, spare.username)
        await keys(pilot, "ctrl+s")
        assert m.TeamRole.get((m.TeamRole.team == tr.team_id) & (m.TeamRole.level == tr.level)).staff_id == spare.id
        await keys(pilot, "3", "slash")
        quiet = m.Child.select().where(~m.Child.id.in_(m.Dispute.select(m.Dispute.child))).first()
        await type_in(pilot, quiet.case_number)
        await keys(pilot, "ctrl+s")
        assert [r[0] for r in table_cells(screen, "#admin-children")] == [quiet.case_number]
        other = m.Team.select().where(m.Team.id != quiet.team_id).order_by(m.Team.id).first()
        await keys(pilot, "m")
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        from textual.widgets import Select
        dialog.query_one(Select).value = other.name
        await keys(pilot, "ctrl+s")
        assert m.Child.get_by_id(quiet.id).team_id == other.id and events("child_moved")
        await keys(pilot, "x", "ctrl+s")
        assert m.Child.get_by_id(quiet.id).closed_on == date(2026, 11, 23)
        assert table_cells(screen, "#admin-children")[0][5].startswith("closed")

    run(app, body)
