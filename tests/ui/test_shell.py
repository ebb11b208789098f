"""The desk shell: sign-in, modes, help, palette, header, theme, back."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from drp_tui.services.auth import GENERIC, current_os_login
from drp_tui.services.passwords import hash_password
from drp_tui.ui.app import DrpApp
from drp_tui.ui.commands import DeskCommands, ScreenCommands
from drp_tui.ui.keys import APP_BINDINGS, CASELOAD_BINDINGS
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.help import HelpScreen, PlaceholderScreen
from drp_tui.ui.screens.login import LoginScreen
from tests.ui.desk_helpers import PASSWORD, desk_test, raw, screen_text, settle, sign_in


# --- signing in ---------------------------------------------------------------------------
@desk_test
async def test_log_in_screen_then_sign_in(make_app: Any) -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        text = screen_text(app)
        assert "Dispute Resolution Process" in text and "User name" in text
        assert app.screen.query_one("#password").password  # masked
        await sign_in(pilot, "cpatel")
        assert app.desk.user is not None and app.desk.user.username == "cpatel"
        assert app.current_mode == "caseload"
        assert isinstance(app.screen, CaseloadScreen)
        assert "Chloe Patel (IRO)" in screen_text(app)


@desk_test
async def test_log_in_screen_shows_no_personal_data(make_app: Any) -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        with raw(app) as con:
            names = [r[0] for r in con.execute("SELECT name FROM child UNION SELECT name FROM staff")]
        assert not [n for n in names if n in text]
        assert "DRP-2026" not in text and "inbox" not in text


@desk_test
async def test_wrong_password_says_so_and_clears_both_boxes(make_app: Any) -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = []
        for name in ("cpatel", "not-it cpatel"):  # a real account, then user-name text that may be a password
            await sign_in(pilot, name, "not-it")
            assert isinstance(app.screen, LoginScreen)
            assert app.desk.user is None
            assert "User name or password not recognised" in screen_text(app)
            assert app.screen.query_one("#password").value == ""
            assert app.screen.query_one("#username").value == ""  # never keeps what may be a password
            assert app.screen.query_one("#username").has_focus
            assert name not in screen_text(app)
            seen.append(screen_text(app))
        assert seen[0] == seen[1]  # the screen does not tell whether the account exists


@desk_test
async def test_failures_slow_down_but_never_lock_the_account(make_app: Any) -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await sign_in(pilot, "cpatel", "wrong")
        assert app.screen.shown_message == GENERIC
        await sign_in(pilot, "cpatel", PASSWORD)  # even the right password waits its turn
        assert app.desk.user is None
        assert "Wait 1 second before trying again." in screen_text(app)
        app.desk.clock.advance(seconds=1)
        await sign_in(pilot, "cpatel", PASSWORD)
        assert app.desk.user is not None and app.current_mode == "caseload"
        with raw(app) as con:
            assert con.execute("SELECT failed_logins, locked_until FROM staff WHERE username = 'cpatel'"
                               ).fetchone() == (0, None)


@desk_test
async def test_os_login_signs_in_without_a_password(make_app: Any) -> None:
    app = make_app(None, auth="os")
    with raw(app) as con:
        con.execute("UPDATE staff SET os_login = ?, unlock_pin_hash = ? WHERE username = 'jokafor'",
                    (current_os_login(), hash_password("462913", n=2**10)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.desk.user is not None and app.desk.user.username == "jokafor"
        assert app.current_mode == "caseload"


@desk_test
async def test_os_login_without_a_linked_account_explains(make_app: Any) -> None:
    app = make_app(None, auth="os")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "No staff account is linked" in app.screen.shown_message


@desk_test
async def test_demo_sign_in_opens_the_caseload(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)


@desk_test
async def test_unknown_demo_user_lands_on_the_log_in_screen(make_app: Any) -> None:
    app = make_app("nobody")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "Could not open the desk as 'nobody'" in app.screen.shown_message


@desk_test
async def test_desk_keys_do_nothing_before_sign_in(make_app: Any) -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("f2", "f4", "ctrl+p", "escape", "ctrl+l"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen), key


# --- modes ------------------------------------------------------------------------------------
@pytest.fixture
def placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Children and Inbox as if their modules were not built yet."""
    monkeypatch.setitem(sys.modules, "drp_tui.ui.screens.children", None)
    monkeypatch.setitem(sys.modules, "drp_tui.ui.screens.inbox", None)


@desk_test
async def test_modes_switch_by_function_keys(make_app: Any, placeholders: None) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        caseload = app.screen
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "children"
        assert isinstance(app.screen, PlaceholderScreen)
        assert "Children: not built yet." in screen_text(app)
        await pilot.press("f4")
        await settle(pilot)
        assert app.current_mode == "inbox"
        assert "Inbox: not built yet." in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "caseload" and app.screen is caseload


@desk_test
async def test_the_real_children_and_inbox_screens_open(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, mode in (("f3", "children"), ("f4", "inbox")):
            await pilot.press(key)
            await settle(pilot)
            assert app.current_mode == mode
            assert "Chloe Patel" in screen_text(app)  # the header is on every screen


@desk_test
async def test_escape_goes_back_and_stops_at_the_base(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        base = app.screen
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is base
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is base


@desk_test
async def test_open_dispute_with_the_screen_missing_shows_a_placeholder(make_app: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "drp_tui.ui.screens.dispute", None)
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_dispute(1)
        await settle(pilot)
        assert isinstance(app.screen, PlaceholderScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)


# --- help and palette ------------------------------------------------------------------------------
@desk_test
async def test_help_lists_every_key_of_the_desk_and_the_screen(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys")
        listed = {str(table.get_row_at(i)[1]).split(" — ")[0] for i in range(table.row_count)}
        sections = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert {"THIS SCREEN: CASELOAD", "EVERYWHERE", "Go to", "Move and open"} <= sections
        rows = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert rows.index("THIS SCREEN: CASELOAD") < rows.index("EVERYWHERE")  # this screen's keys first
        assert not any("Screen" in r or "VerticalScroll" in r or r.startswith("— ") for r in rows)  # no class names
        for binding in [*APP_BINDINGS, *CASELOAD_BINDINGS]:
            assert binding.description in listed, binding.id
        assert {"Open", "Next page", "Previous page"} <= listed  # the table's own keys
        assert "EDITING KEYS" not in sections and not any("cursor left" in x.lower() for x in listed)  # on request only
        await pilot.press("e")
        await settle(pilot)
        listed = {str(table.get_row_at(i)[1]).split(" — ")[0] for i in range(table.row_count)}
        assert "EDITING KEYS" in {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert any("cursor left" in x.lower() for x in listed)


@desk_test
async def test_palette_offers_desk_and_screen_commands(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        desk = [name for name, _cb, _help in DeskCommands(app.screen).commands()]
        assert {"Go to Caseload", "Go to Children", "Go to Inbox", "Lock now", "Sign out", "Quit"} <= set(desk)
        assert any("16-colour" in name for name in desk)
        here = [name for name, _cb, _help in ScreenCommands(app.screen).commands()]
        for wanted in ("Filter", "Sort", "Overdue", "Open", "Next page"):
            assert any(name.startswith(wanted + " (") for name in here), wanted


@desk_test
async def test_palette_runs_a_screen_command(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for ch in "overdue":
            await pilot.press(ch)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        assert app.screen.view_name == "overdue"


@desk_test
async def test_palette_locks_the_desk(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for ch in "lock now":
            await pilot.press(ch if ch != " " else "space")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.locked


# --- header, theme ----------------------------------------------------------------------------------
@desk_test
async def test_header_shows_process_person_unread_and_london_time(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first = screen_text(app).splitlines()[0]
        assert "Dispute Resolution Process" in first and "Chloe Patel (IRO)" in first
        assert f"inbox {app.unread} unread" in first and app.unread and app.unread > 0
        assert "Mon 23 Nov 2026 10:00" in first
        app.desk.clock.advance(minutes=7)
        app.tick()
        await settle(pilot)
        assert "Mon 23 Nov 2026 10:07" in screen_text(app).splitlines()[0]


@desk_test
async def test_unread_count_follows_the_database(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.poll_now()  # the watch's first look
        await settle(pilot)
        before = app.unread
        assert before is not None
        with raw(app) as con:
            con.execute("INSERT INTO notification (recipient_id, kind, text, created_at) "
                        "VALUES (3, 'info', 'hello', '2026-11-23 10:00:00')")
        await app.poll_now()
        await settle(pilot)
        assert app.unread == before + 1
        assert f"inbox {before + 1}" in screen_text(app).splitlines()[0]


@desk_test
async def test_reminders_reach_the_inbox_at_sign_in(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with raw(app) as con:
            (n,) = con.execute("SELECT count(*) FROM notification WHERE recipient_id = 3 AND kind = 'reminder' "
                               "AND dedupe IS NOT NULL").fetchone()
        assert n > 0


@desk_test
async def test_theme_toggles_to_16_colours_and_back(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.theme
        await pilot.press("ctrl+t")
        assert app.theme == DrpApp.ANSI_THEME
        await pilot.press("ctrl+t")
        assert app.theme == first


@desk_test
async def test_theme_from_the_environment(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRP_THEME", "drp-16")
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "drp-16"


@desk_test
async def test_sign_out_returns_to_the_log_in_screen(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.desk.user is None
        assert "Chloe" not in screen_text(app)
        await sign_in(pilot, "jokafor")
        assert "James Okafor" in screen_text(app)


@desk_test
async def test_reports_are_for_oversight_only(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.current_mode == "caseload"
        assert "Go to Reports" not in [n for n, _c, _h in DeskCommands(app.screen).commands()]


@desk_test
async def test_oversight_opens_reports_with_f5(make_app: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.current_mode == "reports"
        assert "Olu Osman" in screen_text(app)
        assert "Go to Reports" in [n for n, _c, _h in DeskCommands(app.screen).commands()]
