"""Inbox: newest first, unread marked, Enter opens and marks read, acknowledge, mark all read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drp_tui.domain.timeutil import format_london
from drp_tui.store import models as m
from drp_tui.ui.screens.inbox import InboxScreen
from tests.ui.screens_helpers import pilot_test, push, rendered, settle, table_cells

MANAGER = "dwhitlow"  # the demo team manager: requests, for-information copies, a compliment


def mine(username: str) -> list[m.Notification]:
    who = m.Staff.get(m.Staff.username == username)
    return list(m.Notification.select().where(m.Notification.recipient == who.id)
                .order_by(m.Notification.created_at.desc(), m.Notification.id.desc()))


def row_of(screen: InboxScreen, notification_id: int) -> int:
    return [n.id for n in screen.items].index(notification_id)


@pilot_test
async def test_newest_first_with_kind_reference_and_unread_marker(make_app: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        expected = mine(MANAGER)
        assert [n.id for n in screen.items] == [n.id for n in expected]
        rows = table_cells(screen, "#inbox-table")
        assert len(rows) == len(expected)
        assert {n.kind for n in expected} >= {"request", "info", "compliment"}
        for n, row in zip(expected, rows, strict=True):
            assert row[0] == ("NEW" if n.read_at is None else "ack" if n.acknowledged_at else "read")
            assert row[2] == (n.dispute.reference if n.dispute_id else "-")
        kinds = {row[1] for row in rows}
        assert {"request", "for info", "compliment"} <= kinds
        unread = sum(1 for n in expected if n.read_at is None)
        assert f"{unread} unread" in rendered(screen, "#inbox-title")
        # the highlighted item in full below the list, with London time
        first = expected[0]
        detail = rendered(screen, "#inbox-detail")
        assert format_london(first.created_at) in detail and first.text in detail


@pilot_test
async def test_enter_opens_the_dispute_and_marks_it_read(make_app: Any, monkeypatch: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        opened: list[int] = []
        monkeypatch.setattr(app, "open_dispute", opened.append)
        target = next(n for n in mine(MANAGER) if n.kind == "request" and n.read_at is None)
        screen.query_one("#inbox-table").move_cursor(row=row_of(screen, target.id))
        before = app.unread
        await pilot.press("enter")
        await settle(pilot)
        assert opened == [target.dispute_id]
        assert m.Notification.get_by_id(target.id).read_at == app.desk.clock.now()
        assert m.Notification.get_by_id(target.id).acknowledged_at is None
        assert table_cells(screen, "#inbox-table")[row_of(screen, target.id)][0] == "read"
        assert before is not None and app.unread == before - 1  # the header's count follows


@pilot_test
async def test_enter_opens_the_real_dispute_screen(make_app: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        target = next(n for n in mine(MANAGER) if n.dispute_id is not None)
        screen.query_one("#inbox-table").move_cursor(row=row_of(screen, target.id))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not screen
        assert getattr(app.screen, "dispute_id", target.dispute_id) == target.dispute_id
        assert m.Notification.get_by_id(target.id).read_at is not None


@pilot_test
async def test_acknowledge(make_app: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        target = mine(MANAGER)[2]
        screen.query_one("#inbox-table").move_cursor(row=row_of(screen, target.id))
        await pilot.press("a")
        await settle(pilot)
        row = m.Notification.get_by_id(target.id)
        assert row.acknowledged_at == app.desk.clock.now() and row.read_at == app.desk.clock.now()
        assert table_cells(screen, "#inbox-table")[row_of(screen, target.id)][0] == "ack"
        assert "acknowledged" in rendered(screen, "#inbox-detail")
        # the cursor stays on the item after the reload
        assert screen.current is not None and screen.current.id == target.id


@pilot_test
async def test_mark_all_read(make_app: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        assert any(n.read_at is None for n in mine(MANAGER))
        await pilot.press("A")
        await settle(pilot)
        assert all(n.read_at is not None for n in mine(MANAGER))
        assert {r[0] for r in table_cells(screen, "#inbox-table")} <= {"read", "ack"}
        assert "0 unread" in rendered(screen, "#inbox-title")
        assert app.unread == 0
        # nobody else's inbox was touched
        assert any(n.read_at is None for n in mine("sworth"))


@pilot_test
async def test_reload_shows_what_another_session_sent(make_app: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        count = len(screen.items)
        me = m.Staff.get(m.Staff.username == MANAGER)
        m.Notification.create(recipient=me, kind="reminder", text="Newest of all",
                              created_at=app.desk.clock.now())
        screen.refresh_data()
        await settle(pilot)
        assert len(screen.items) == count + 1
        assert table_cells(screen, "#inbox-table")[0][4] == "Newest of all"


@pilot_test
async def test_text_is_shown_as_typed(make_app: Any) -> None:
    app = make_app(MANAGER)
    me = m.Staff.get(m.Staff.username == MANAGER)
    newest = m.Notification.create(recipient=me, kind="info", text="[bold]Evil[/] \x1b[31mred",
                                   created_at=app.desk.clock.now() + timedelta(minutes=1))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        assert screen.items[0].id == newest.id
        assert table_cells(screen, "#inbox-table")[0][4] == "[bold]Evil[/] ␛[31mred"
        detail = rendered(screen, "#inbox-detail")
        assert "[bold]Evil[/] ␛[31mred" in detail and "\x1b" not in detail


@pilot_test
async def test_is_the_apps_inbox_mode(make_app: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert [n.id for n in app.screen.items] == [n.id for n in mine(MANAGER)]


@pilot_test
async def test_enter_on_a_compliment_marks_it_read(make_app: Any, monkeypatch: Any) -> None:
    app = make_app(MANAGER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, InboxScreen())
        opened: list[int] = []
        monkeypatch.setattr(app, "open_dispute", opened.append)
        target = next(n for n in mine(MANAGER) if n.kind == "compliment")
        screen.query_one("#inbox-table").move_cursor(row=row_of(screen, target.id))
        await settle(pilot)
        assert "“" in rendered(screen, "#inbox-detail")  # the compliment itself, in full
        await pilot.press("enter")
        await settle(pilot)
        assert opened == []  # not about a dispute
        assert m.Notification.get_by_id(target.id).read_at is not None
