"""Idle lock: after N minutes without input (by the desk clock), nothing personal on show."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from drp_tui.services.auth import GENERIC, PIN_WRONG, current_os_login
from drp_tui.services.context import Ctx
from drp_tui.services.drafts import my_drafts
from drp_tui.services.passwords import hash_password
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.lock import LockScreen
from drp_tui.ui.screens.login import LoginScreen
from drp_tui.ui.screens.pin import SetPinScreen
from tests.ui.desk_helpers import PASSWORD, child_names, desk_test, raw, screen_text, settle, sign_in


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
        for key in ("f2", "f3", "f4", "ctrl+p", "escape"):
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
        assert app.locked and GENERIC in app.screen.shown_message
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


# --- events, sign-out from the lock, failed attempts told -----------------------------------

def kinds(app: Any) -> list[str]:
    with raw(app) as con:
        return [r[0] for r in con.execute("SELECT kind FROM event ORDER BY id")]


@desk_test
async def test_lock_and_unlock_are_in_the_audit_trail(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await unlock(pilot)
        assert not app.locked
        assert kinds(app)[-2:] == ["locked", "unlocked"]
        with raw(app) as con:
            summary = con.execute("SELECT summary FROM event WHERE kind = 'locked'").fetchone()[0]
        assert summary == "Desk locked (ctrl+l)"


@desk_test
async def test_sign_out_from_the_lock_keeps_the_text_as_a_draft(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        owner = app.desk.user
        app.push_screen(FormWithText(4))
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "ctrl+o" in screen_text(app) or "Sign out" in screen_text(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.desk.user is None and not app.locked
        assert isinstance(app.screen, LoginScreen)
        assert "Ruby" not in screen_text(app)
        kept = my_drafts(Ctx(owner.id, app.desk.policy, app.desk.calendar, app.desk.clock))
        assert [d.payload["concern"] for d in kept] == ["the plan has drifted"]
        assert kinds(app)[-1] == "signed_out"


@desk_test
async def test_failed_attempts_are_told_at_the_next_sign_in_once(make_app: Any) -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        for _ in range(2):
            await sign_in(pilot, "cpatel", "not-her-password")
        assert app.desk.user is None
        app.desk.clock.advance(minutes=30)
        await sign_in(pilot, "cpatel")
        assert app.current_mode == "caseload"
        await settle(pilot)
        notices = [n.message for n in app._notifications]
        assert notices == ["2 failed sign-in attempts since your last sign-in, last at Mon 23 Nov 2026 10:00."]
        assert "2 failed sign-in attempts" in " ".join(screen_text(app).split())  # the toast, on screen
        with raw(app) as con:
            assert con.execute("SELECT failed_logins FROM staff WHERE username = 'cpatel'").fetchone() == (0,)
        app.clear_notifications()
        await pilot.press("ctrl+l")
        await settle(pilot)
        await unlock(pilot)
        assert not app.locked and [n.message for n in app._notifications] == []  # told once


# --- auth = "os": the lock needs the PIN --------------------------------------------------------

PIN = "462913"


def os_app(make_app: Any, pin: str | None = PIN) -> Any:
    app = make_app(None, auth="os")
    with raw(app) as con:
        con.execute("UPDATE staff SET os_login = ?, unlock_pin_hash = ? WHERE username = 'cpatel'",
                    (current_os_login(), hash_password(pin, n=2**10) if pin else ""))
    return app


async def type_pin(pilot: Any, pin: str) -> None:
    field = pilot.app.screen.query_one("#lock-password")
    field.value = pin
    field.focus()
    await pilot.press("enter")
    await settle(pilot)


@desk_test
async def test_os_auth_first_sign_in_asks_for_an_unlock_pin(make_app: Any) -> None:
    app = os_app(make_app, pin=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetPinScreen) and app.current_mode == "gate"
        assert "Set your unlock PIN" in screen_text(app) and "Chloe" not in screen_text(app)
        app.screen.query_one("#pin").value = "4629"
        app.screen.query_one("#pin-confirm").value = "4629"
        app.screen.query_one("#pin-confirm").focus()
        for key in ("f2", "ctrl+l"):  # no desk, no lock, before the PIN is set
            await pilot.press(key)
            assert isinstance(app.screen, SetPinScreen), key
        app.desk.clock.advance(minutes=10)
        assert app.check_idle_lock() is False  # nothing to hide yet, and no PIN to unlock with
        await pilot.press("enter")
        await settle(pilot)
        assert "PIN: at least 6 characters or digits" in screen_text(app)
        assert isinstance(app.screen, SetPinScreen)
        app.screen.query_one("#pin").value = PIN
        app.screen.query_one("#pin-confirm").value = PIN[::-1]
        app.screen.query_one("#pin-confirm").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Confirm PIN: the two PINs differ" in app.screen.shown_message
        with raw(app) as con:
            assert con.execute("SELECT unlock_pin_hash FROM staff WHERE username = 'cpatel'").fetchone() == ("",)
        app.screen.query_one("#pin").value = PIN
        app.screen.query_one("#pin-confirm").value = PIN
        app.screen.query_one("#pin-confirm").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "caseload" and isinstance(app.screen, CaseloadScreen)
        with raw(app) as con:
            stored = con.execute("SELECT unlock_pin_hash FROM staff WHERE username = 'cpatel'").fetchone()[0]
        assert stored.startswith("scrypt$") and PIN not in stored
        assert kinds(app)[-1] == "unlock_pin_set"


@desk_test
async def test_os_auth_lock_needs_the_pin_a_bare_enter_does_nothing(make_app: Any) -> None:
    app = os_app(make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_mode == "caseload"
        form = FormWithText(4)
        app.push_screen(form)
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert_nothing_personal(app)
        text = screen_text(app)
        assert "Unlock PIN" in text and "Someone else" not in text
        await pilot.press("ctrl+n")  # nobody else can sign in here under OS sign-in
        await settle(pilot)
        assert not app.screen.query("#lock-username")
        await pilot.press("enter")  # a bare Enter
        await settle(pilot)
        assert app.locked and isinstance(app.screen, LockScreen)
        assert "PIN: enter your unlock PIN" in screen_text(app)
        await type_pin(pilot, "000000")
        assert app.locked and PIN_WRONG in screen_text(app)
        assert app.screen.query_one("#lock-password").value == ""
        await type_pin(pilot, PIN)
        assert not app.locked and app.screen is form
        assert kinds(app)[-3:] == ["locked", "unlock_failed", "unlocked"]


@desk_test
async def test_os_auth_sign_out_from_the_lock_closes_the_desk_keeping_drafts(make_app: Any) -> None:
    app = os_app(make_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        owner = app.desk.user
        app.push_screen(FormWithText(4))
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.desk.user is None
    assert app.return_code == 0  # closed: a new sign-in means starting the desk again
    kept = my_drafts(Ctx(owner.id, app.desk.policy, app.desk.calendar, app.desk.clock))
    assert [d.payload["concern"] for d in kept] == ["the plan has drifted"]
    assert kinds(app)[-1] == "signed_out"
