"""Nothing leaks: a disabled account's open desk locks; admin sees no child; the palette
offers only the desk's commands; a crash shows a reference, never personal data;
user text shows as typed."""

from __future__ import annotations

from typing import Any

from drp_tui.ui.live import DISABLED
from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.lock import LockScreen
from tests.ui.desk_helpers import child_names, desk_test, raw, screen_text, settle


@desk_test
async def test_a_disabled_accounts_open_desk_locks_at_the_next_poll(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.poll_now()
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        names = child_names(app)
        assert any(n in screen_text(app) for n in names)  # the caseload is on show
        with raw(app) as con:  # an administrator disables the account from another session
            con.execute("UPDATE staff SET active = 0 WHERE username = 'cpatel'")
        await app.poll_now()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        text = screen_text(app)
        assert "Your account is disabled" in text
        assert not any(n in text for n in names)
        with raw(app) as con:  # the account is still disabled in the database; nothing was written for it
            assert con.execute("SELECT active FROM staff WHERE username = 'cpatel'").fetchone() == (0,)
        assert DISABLED in app.screen.shown_message


@desk_test
async def test_admins_children_and_caseload_show_no_child(make_app: Any) -> None:
    app = make_app("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = child_names(app)
        assert names
        text = screen_text(app)
        assert "no disputes" in text
        assert not any(n in text for n in names)
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "children"
        text = screen_text(app)
        assert not any(n in text for n in names)
        assert app.screen.query_one("#children-table").row_count == 0
        with raw(app) as con:
            case_numbers = [r[0] for r in con.execute("SELECT case_number FROM child")]
        assert not any(c in text for c in case_numbers)
