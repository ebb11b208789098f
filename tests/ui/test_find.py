"""Find anything (ctrl+f from any screen): children and disputes by name, case number or reference,
only among those the signed-in person may see. Pilot tests on the demo data, checked against the
database."""

from __future__ import annotations

from typing import Any

from drp_tui.store import models as m
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.find import FindScreen
from drp_tui.ui.screens.history import HistoryScreen
from tests.ui.screens_helpers import pilot_test, screen_text, settle, table_cells


def staff(username: str) -> m.Staff:
    return m.Staff.get(m.Staff.username == username)


async def find(app: Any, pilot: Any, text: str) -> FindScreen:
    await settle(pilot)
    await pilot.press("ctrl+f")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, FindScreen)
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await settle(pilot)
    return screen


@pilot_test
async def test_a_chair_finds_their_child_and_its_disputes_and_opens_one(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        mine = m.Child.select().where(m.Child.chair == staff("cpatel").id).order_by(m.Child.id).first()
        part = mine.name.split()[-1][:5]
        screen = await find(app, pilot, part)
        rows = table_cells(screen, "#find-table")
        kids = [r for r in rows if r[0] == "child"]
        want = [c.case_number for c in m.Child.select().where(
            (m.Child.chair == staff("cpatel").id) & m.Child.name.contains(part) & m.Child.closed_on.is_null())]
        assert sorted(r[1] for r in kids) == sorted(want)
        disputes = [r for r in rows if r[0] == "dispute"]
        assert disputes and all(part.lower() in r[2].lower() for r in disputes)
        ref = disputes[0][1]
        await pilot.press("down")
        while screen.query_one("#find-table").cursor_row < rows.index(disputes[0]):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        assert m.Dispute.get_by_id(app.screen.dispute_id).reference == ref


@pilot_test
async def test_another_chairs_children_are_not_found_and_a_child_opens_its_history(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        theirs = m.Child.select().where(m.Child.chair == staff("jokafor").id).order_by(m.Child.id).first()
        screen = await find(app, pilot, theirs.case_number)
        assert table_cells(screen, "#find-table") == []
        assert "Nothing you may see matches" in screen_text(app)
        mine = m.Child.select().where(m.Child.chair == staff("cpatel").id).order_by(m.Child.id).first()
        inp = screen.query_one("#find-input")
        inp.value = mine.case_number
        await settle(pilot)
        rows = table_cells(screen, "#find-table")
        assert rows[0][:2] == ["child", mine.case_number]
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)


@pilot_test
async def test_an_administrator_is_told_to_use_the_admin_screen(make_app: Any) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        child = m.Child.select().first()
        await find(app, pilot, child.name[:6])
        text = screen_text(app)
        assert "Admin screen" in text and child.name not in text
