"""Children screen: the chair's children, the filter, the keys into raise/history/compliment."""

from __future__ import annotations

from typing import Any

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.ui.screens.children import ChildrenScreen
from tests.ui.screens_helpers import pilot_test, push, rendered, settle, table_cells


async def open_children(app: Any, pilot: Any) -> ChildrenScreen:
    return await push(app, pilot, ChildrenScreen())


def cells(screen: ChildrenScreen) -> list[list[str]]:
    return table_cells(screen, "#children-table")


def record_calls(app: Any, monkeypatch: Any) -> list[tuple[str, Any]]:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(app, "open_raise", lambda child_id: calls.append(("raise", child_id)))
    monkeypatch.setattr(app, "open_compliment", lambda child_id: calls.append(("compliment", child_id)))
    monkeypatch.setattr(app, "open_history", lambda dispute_id=None, child_id=None: calls.append(
        ("history", child_id)))
    return calls


@pilot_test
async def test_chair_sees_own_children_with_open_counts(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        me = m.Staff.get(m.Staff.username == "cpatel")
        mine = list(m.Child.select().where(m.Child.chair == me.id).order_by(m.Child.name))
        rows = cells(screen)
        assert [r[1] for r in rows] == [c.name for c in mine]
        assert [r[0] for r in rows] == [c.case_number for c in mine]
        open_ = [s.value for s in Status if s.is_open]
        for child, row in zip(mine, rows, strict=True):
            n = m.Dispute.select().where((m.Dispute.child == child.id) & m.Dispute.status.in_(open_)).count()
            assert row[5] == (str(n) if n else "-")
        title = rendered(screen, "#children-title")
        assert f"My children · {len(mine)}" in title


@pilot_test
async def test_siblings_column_and_detail(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        data = screen.data
        assert data is not None
        with_sibs = next(i for i, r in enumerate(screen.visible_rows()) if r.siblings)
        row = screen.visible_rows()[with_sibs]
        group = [c.name for c in m.Child.select().where(
            (m.Child.sibling_group == row.child.sibling_group_id) & (m.Child.id != row.child.id))]
        assert sorted(row.siblings) == sorted(group)
        screen.query_one("#children-table").move_cursor(row=with_sibs)
        await settle(pilot)
        detail = rendered(screen, "#children-detail")
        assert "siblings: " + ", ".join(row.siblings) in detail.replace("\n", " ")


@pilot_test
async def test_filter_as_you_type(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        total = len(cells(screen))
        await pilot.press("slash")
        assert app.focused is screen.query_one("#children-filter")
        for ch in "quarley":
            await pilot.press(ch)
        await settle(pilot)
        names = [r[1] for r in cells(screen)]
        assert names and all("Quarley" in n for n in names)
        assert len(names) < total
        assert "of" in rendered(screen, "#children-title")
        await pilot.press("down")  # back to the list
        assert app.focused is screen.query_one("#children-table")
        # by social worker and case number too
        screen.query_one("#children-filter").value = "alex linton"
        await settle(pilot)
        assert all(r[3] == "Alex Linton" for r in cells(screen))
        screen.query_one("#children-filter").value = "no such child"
        await settle(pilot)
        assert cells(screen) == []
        assert "No child matches" in rendered(screen, "#children-detail")


@pilot_test
async def test_keys_raise_history_compliment(make_app: Any, monkeypatch: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        calls = record_calls(app, monkeypatch)
        await pilot.press("down", "down")
        child = screen.current_child
        assert child is not None
        await pilot.press("r", "h", "c")
        assert calls == [("raise", child.id), ("history", child.id), ("compliment", child.id)]
        await pilot.press("enter")  # Enter = the child's history
        assert calls[-1] == ("history", child.id)


@pilot_test
async def test_history_key_opens_the_real_history(make_app: Any) -> None:
    from drp_tui.ui.screens.history import HistoryScreen

    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        child = screen.current_child
        assert child is not None
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen) and app.screen.child_id == child.id


@pilot_test
async def test_oversight_sees_team_children_read_only(make_app: Any, monkeypatch: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        calls = record_calls(app, monkeypatch)
        team = m.Staff.get(m.Staff.username == "osman").team_id
        members = [s.id for s in m.Staff.select().where(m.Staff.team == team)]
        expected = m.Child.select().where((m.Child.team == team) | m.Child.chair.in_(members)).count()
        assert expected > 0 and len(cells(screen)) == expected
        assert "read-only" in rendered(screen, "#children-title")
        await pilot.press("r", "c")
        assert calls == []  # not offered to oversight
        await pilot.press("h")
        assert calls and calls[0][0] == "history"


@pilot_test
async def test_names_are_shown_as_typed(make_app: Any) -> None:
    app = make_app("cpatel")
    me = m.Staff.get(m.Staff.username == "cpatel")
    first = m.Child.select().where(m.Child.chair == me.id).order_by(m.Child.name).first()
    m.Child.update(name="[bold]Evil[/]\x1b[31m").where(m.Child.id == first.id).execute()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_children(app, pilot)
        names = [r[1] for r in cells(screen)]
        assert "[bold]Evil[/]␛[31m" in names
        screen.query_one("#children-filter").value = "evil"
        await settle(pilot)
        shown = screen.visible_rows()
        assert "[bold]Evil[/]\x1b[31m" in [r.child.name for r in shown]  # the name, or a sibling's
        assert all("Evil" in r.child.name or any("Evil" in s for s in r.siblings) for r in shown)
        detail = rendered(screen, "#children-detail")
        assert "[bold]Evil[/]" in detail and "\x1b" not in detail


@pilot_test
async def test_is_the_apps_children_mode(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ChildrenScreen)
        assert len(cells(app.screen)) == m.Child.select().where(
            m.Child.chair == app.desk.user.id).count()
