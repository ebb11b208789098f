"""First sign-in with a one-time set-up code: typed as the password, then a password of one's own."""

from __future__ import annotations

from typing import Any

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import imports
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.ui.screens.first_password import ChoosePasswordScreen
from tests.conftest import FROZEN_NOW
from tests.ui.desk_helpers import desk_test, raw, screen_text, settle, sign_in

NEW_PASSWORD = "Lantern-Harbour-7"


def new_account(app: Any) -> str:
    ctx = InstallationAdmin(None, load_builtin("mosaic-iro"), WorkingCalendar("ENG"),  # type: ignore[arg-type]
                            FrozenClock(FROZEN_NOW), os_user="opsadmin")
    return imports.add_user_with_setup_code(ctx, "nnew", "Nia New", "chair", team="Independent Reviewing Service")


@desk_test
async def test_the_set_up_code_leads_to_choose_your_password_then_the_desk(make_app: Any) -> None:
    app = make_app(None)
    code = new_account(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "nnew", code)
        assert isinstance(app.screen, ChoosePasswordScreen)
        assert "Choose your password" in screen_text(app) and app.current_mode != "caseload"
        # two different passwords: refused, said, nothing saved
        app.screen.query_one("#new-password").value = NEW_PASSWORD
        app.screen.query_one("#new-password-confirm").value = NEW_PASSWORD + "x"
        await pilot.click("#set-password")
        await settle(pilot)
        assert isinstance(app.screen, ChoosePasswordScreen)
        assert "the two passwords differ" in app.screen.shown_message
        app.screen.query_one("#new-password").value = NEW_PASSWORD
        app.screen.query_one("#new-password-confirm").value = NEW_PASSWORD
        await pilot.click("#set-password")
        await settle(pilot)
        assert app.current_mode == "caseload" and app.desk.user.username == "nnew"
        assert not app.desk.needs_password
    with raw(app) as con:
        row = con.execute("SELECT password_hash, setup_code_hash FROM staff WHERE username = 'nnew'").fetchone()
        assert row[0].startswith("scrypt$") and row[1] == ""
        kinds = [r[0] for r in con.execute(
            "SELECT kind FROM event WHERE actor_id = (SELECT id FROM staff WHERE username = 'nnew') ORDER BY id")]
    assert kinds == ["signed_in", "password_chosen"]


@desk_test
async def test_a_wrong_code_is_refused_like_a_wrong_password(make_app: Any) -> None:
    app = make_app(None)
    new_account(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "nnew", "AAAA-BBBB-CCCC")
        assert app.desk.user is None and not isinstance(app.screen, ChoosePasswordScreen)
        assert "not recognised" in app.screen.shown_message
