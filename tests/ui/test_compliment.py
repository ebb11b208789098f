"""Compliments: to whom, send, what the database holds, and the recipients' inboxes."""

from __future__ import annotations

from typing import Any

from textual.widgets import TextArea

from drp_tui.store import models as m
from drp_tui.ui.screens.compliment import ComplimentScreen
from drp_tui.ui.screens.inbox import InboxScreen
from tests.ui.screens_helpers import pilot_test, push, rendered, settle, table_cells


def a_child(chair: str = "cpatel") -> m.Child:
    """One of the chair's children with a social worker (and so a team manager)."""
    who = m.Staff.get(m.Staff.username == chair)
    return (m.Child.select().where((m.Child.chair == who.id) & m.Child.social_worker.is_null(False))
            .order_by(m.Child.id).first())


def team_manager(child: m.Child) -> m.Staff:
    return m.TeamRole.get((m.TeamRole.team == child.team_id) & (m.TeamRole.level == "team_manager")).staff


def not_reminders() -> int:
    return m.Notification.select().where(m.Notification.kind != "reminder").count()


@pilot_test
async def test_shows_to_whom_it_goes(make_app: Any) -> None:
    app = make_app("cpatel")
    child = a_child()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ComplimentScreen(child.id))
        to = rendered(screen, "#compliment-to")
        assert child.social_worker.name in to and team_manager(child).name in to
        assert "(Team Manager)" in to
        assert child.name in rendered(screen, "#compliment-title")
        assert app.focused is screen.query_one(TextArea)


@pilot_test
async def test_send_reaches_social_worker_and_team_manager(make_app: Any) -> None:
    app = make_app("cpatel")
    child = a_child()
    sw, tm = child.social_worker, team_manager(child)
    before = not_reminders()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ComplimentScreen(child.id))
        for ch in "Thorough":
            await pilot.press(ch)
        screen.query_one(TextArea).insert(" [bold]life story[/] work \x1b[31m with the child.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not screen  # closed after sending
        (c,) = list(m.Compliment.select().where(m.Compliment.child == child.id))
        assert c.text == "Thorough [bold]life story[/] work [31m with the child."  # control codes dropped
        assert (c.sender.username, c.practitioner_id, c.manager_id) == ("cpatel", sw.id, tm.id)
        sent = list(m.Notification.select().where(m.Notification.compliment == c.id))
        assert sorted(n.recipient_id for n in sent) == sorted([sw.id, tm.id])
        assert all(n.kind == "compliment" and n.read_at is None for n in sent)
        assert not_reminders() == before + 2  # nobody else was told
        # the social worker signs in at this desk and finds it in their inbox, as typed
        app.desk.sign_in_demo(sw.username)
        inbox = await push(app, pilot, InboxScreen())
        first = inbox.items[0]
        assert first.kind == "compliment" and first.read_at is None
        assert table_cells(inbox, "#inbox-table")[0][:2] == ["NEW", "compliment"]
        detail = rendered(inbox, "#inbox-detail")
        assert "Compliment from Chloe Patel" in detail
        assert "[bold]life story[/] work [31m with the child." in detail


@pilot_test
async def test_team_manager_sees_it_too(make_app: Any) -> None:
    app = make_app("cpatel")
    child = a_child()
    tm = team_manager(child)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ComplimentScreen(child.id))
        screen.query_one(TextArea).text = "Swift, well-planned transition."
        await pilot.press("ctrl+s")
        await settle(pilot)
        app.desk.sign_in_demo(tm.username)
        inbox = await push(app, pilot, InboxScreen())
        compliments = [n for n in inbox.items if n.kind == "compliment" and n.read_at is None]
        assert compliments and "Swift, well-planned transition." in inbox.compliments[compliments[0].id]


@pilot_test
async def test_empty_text_names_the_field_and_sends_nothing(make_app: Any) -> None:
    app = make_app("cpatel")
    child = a_child()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ComplimentScreen(child.id))
        screen.query_one(TextArea).text = "   \n  "
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "compliment: is required" in rendered(screen, "#compliment-error")
        assert m.Compliment.select().where(m.Compliment.child == child.id).count() == 0
        assert app.focused is screen.query_one(TextArea)
        # fix it and send: the message goes
        screen.query_one(TextArea).text = "Good preparation for the review."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert m.Compliment.select().where(m.Compliment.child == child.id).count() == 1


@pilot_test
async def test_not_offered_where_the_procedure_has_none(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")
    child = a_child()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ComplimentScreen(child.id))
        assert "no compliments form" in rendered(screen, "#compliment-error")
        screen.query_one(TextArea).text = "Well done."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert m.Compliment.select().count() == 0


@pilot_test
async def test_oversight_cannot_send(make_app: Any) -> None:
    app = make_app("osman")
    child = a_child()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ComplimentScreen(child.id))
        assert "Only a chair" in rendered(screen, "#compliment-error")
        screen.query_one(TextArea).text = "Well done."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert m.Compliment.select().where(m.Compliment.sender == app.desk.user.id).count() == 0
