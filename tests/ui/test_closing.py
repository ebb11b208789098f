"""Quitting does not wait for background reads: the desk's reminders and count are given up quietly."""

from __future__ import annotations

from typing import Any

import pytest

from drp_tui.store import db as store_db
from tests.ui.desk_helpers import desk_test, raw, settle


@desk_test
async def test_reminders_given_up_at_close_say_nothing_and_write_nothing(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app("cpatel")

    def reminders(delete: bool = False) -> int:
        with raw(app) as con:
            if delete:  # so that they are due again
                con.execute("DELETE FROM notification WHERE kind = 'reminder'")
            return int(con.execute("SELECT count(*) FROM notification WHERE kind = 'reminder'").fetchone()[0])

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reminders(delete=True)
        app.remind_now()
        await settle(pilot)
        assert reminders() > 0  # an open desk writes them
        reminders(delete=True)
        monkeypatch.setattr(store_db, "INTERRUPT_STEPS", 1)  # the demo's reads are short: stop at the first step
        app.desk.close()
        app.remind_now()
        await settle(pilot)
        assert [n.message for n in app._notifications] == []  # no "Something went wrong"
        assert reminders() == 0


@desk_test
async def test_quitting_closes_the_desk(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.desk.closing.is_set()
        app.exit()
        assert app.desk.closing.is_set()
