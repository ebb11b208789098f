"""Idle lock: after N minutes without input (by the desk clock), nothing personal on show."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from drp_tui.services.context import Ctx
from drp_tui.services.drafts import my_drafts
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.lock import LockScreen
from tests.ui.desk_helpers import PASSWORD, child_names, desk_test, raw, screen_text, settle


class FormWithText(Screen[None]):
    """Stands in for a form holding text nobody has saved yet."""

    def __init__(self, dispute_id: int) -> None:
        super().__init__()
        self.dispute_id = dispute_id

    def compose(self) -> ComposeResult:
        yield Static("Concern: the plan has drifted for Ruby")

    def unsaved_draft(self) -> dict[str, object]:
        return {"concern": "the plan has drifted", "wanted": "a date for the next review"}


def assert_nothing_personal(app: Any) -> None:
    text = screen_text(app)
    for name in child_names(app):
        assert name not in text, name
    assert "DRP-2026" not in text and "inbox" not in text
    assert isinstance(app.screen, LockScreen)
    assert not app.screen.query(CaseloadScreen)
    for widget in app.screen.walk_children():
        rendered = str(widget.render()) if hasattr(widget, "render") else ""
        for name in child_names(app):
            assert name not in rendered
    svg = app.export_screenshot()
    for name in child_names(app):
        assert name not in svg
    assert len(app._notifications) == 0, [n.message for n in app._notifications]  # toasts cleared


async def unlock(pilot: Any, password: str = PASSWORD) -> None:
    app = pilot.app
    app.screen.query_one("#lock-password").value = password
    app.screen.query_one("#lock-password").focus()
    await pilot.press("enter")
    await settle(pilot)


@desk_test
async def test_locks_after_the_idle_minutes_by_the_desk_clock(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.notify("DRP-2026-0004 sent about Kai Nettleby")
        app.desk.clock.advance(minutes=4, seconds=59)
        assert app.check_idle_lock() is False
        app.desk.clock.advance(seconds=1)
        assert app.check_idle_lock() is True
        await settle(pilot)
        assert app.locked
        assert_nothing_personal(app)
        assert "The desk is locked" in screen_text(app)


@desk_test
async def test_a_key_press_restarts_the_idle_time(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.desk.clock.advance(minutes=4)
        await pilot.press("down")
        app.desk.clock.advance(minutes=4)
        assert app.check_idle_lock() is False
        app.desk.clock.advance(minutes=1)
        assert app.check_idle_lock() is True
        await settle(pilot)


@desk_test
async def test_no_idle_lock_when_configured_off(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.desk.clock.advance(hours=5)
        assert app.check_idle_lock() is False


@desk_test
async def test_ctrl_l_locks_now_and_hides_every_screen(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(FormWithText(4))
        await settle(pilot)
        assert "Ruby" in screen_text(app)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.locked
        assert_nothing_personal(app)


@desk_test
async def test_desk_keys_and_palette_are_off_while_locked(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        for key in ("f2", "f3", "f4", "ctrl+p", "escape", "ctrl+o"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LockScreen), key
            assert app.locked
        app.data_changed()  # another session wrote: nothing reloads behind the lock
        app.tick()
        await settle(pilot)
        assert_nothing_personal(app)


@desk_test
async def test_unlock_with_the_same_password_brings_the_screens_back(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = FormWithText(4)
        app.push_screen(form)
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await unlock(pilot, "wrong")
        assert app.locked and "Unknown user name or wrong password." in app.screen.shown_message
        await unlock(pilot)
        assert not app.locked
        assert app.current_mode == "caseload" and app.screen is form
        assert "Chloe Patel" in screen_text(app)
        with raw(app) as con:
            assert con.execute("SELECT count(*) FROM draft").fetchone() == (0,)


@desk_test
async def test_someone_else_signs_in_and_the_first_sessions_text_is_kept_as_a_draft(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.desk.user
        old_caseload = app.screen
        app.push_screen(FormWithText(4))
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("ctrl+n")
        assert app.screen.query_one("#lock-username").has_focus
        app.screen.query_one("#lock-username").value = "jokafor"
        await unlock(pilot)
        assert not app.locked and app.desk.user.username == "jokafor"
        assert app.current_mode == "caseload"
        assert isinstance(app.screen, CaseloadScreen) and app.screen is not old_caseload
        assert not [s for s in app.screen_stack if isinstance(s, FormWithText)]
        assert "James Okafor" in screen_text(app) and "Chloe Patel" not in screen_text(app)
        ctx = Ctx(first.id, app.desk.policy, app.desk.calendar, app.desk.clock)
        kept = my_drafts(ctx)
        assert len(kept) == 1
        assert kept[0].dispute_id == 4 and kept[0].payload["concern"] == "the plan has drifted"
        assert "jokafor signed in" in kept[0].reason
        other = Ctx(app.desk.user.id, app.desk.policy, app.desk.calendar, app.desk.clock)
        assert my_drafts(other) == []


@desk_test
async def test_changes_while_locked_show_after_unlock(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("ctrl+l")
        await settle(pilot)
        generation = screen._generation
        app.data_changed()
        await settle(pilot)
        assert screen._generation == generation
        await unlock(pilot)
        assert screen._generation > generation  # reloaded once unlocked
