"""Fast typing: every key of a burst lands in the field focused when its turn comes.

A terminal read (one SSH packet) often holds several keys. Textual forwards each to
the widget focused *when the app reads it* and runs Tab/Enter bindings only when the
key has bubbled back, so text after a Tab used to land in the previous box
(``drp_tui/ui/keygate.py`` explains the mechanism and the fix). The pty tests run
the real desk on a real pseudo-terminal and write each burst in one ``os.write``;
the pilot tests put a whole burst into the app's queue at once, as the driver's
input thread does, on a form with many fields.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from textual._xterm_parser import XTermParser
from textual.pilot import Pilot
from textual.widgets import Input

from drp_tui.store import models as m
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.lock import LockScreen
from tests.ui.desk_helpers import PASSWORD, desk_test, raw
from tests.ui.pty_burst import PtyApp
from tests.ui.test_dispute_form import fields, run, settle
from tests.ui.test_raise import a_child, disputes_of, message, open_raise

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

# Text a person might type, with spaces, punctuation and a would-be markup tag.
PAIRS = [(f"user{i}", f"pa ss[b]{i}!" if i % 2 else f"S3cret-{i}") for i in range(10)]


async def burst(pilot: Pilot[Any], text: str) -> None:
    """Everything in ``text`` parsed as one terminal read and queued to the app at once."""
    app = pilot.app
    for event in list(XTermParser().feed(text)):
        event.set_sender(app)
        app._driver.send_message(event)
    for _ in range(20000):  # bounded: each round lets queued messages run, never sleeps
        await pilot.pause()
        if not app.keys_pending and app._message_queue.empty():
            break
    assert not app.keys_pending, "keys still held back"
    await settle(pilot)


@pytest.mark.pty
@posix_only
def test_sign_in_bursts_over_a_pty_keep_each_text_in_its_own_box() -> None:
    with PtyApp("login") as app:
        assert app.report(60) == {"ready": "login"}
        for user, password in PAIRS:
            app.send(f"{user}\t{password}\r".encode())
            got = app.report()
            assert (got["user"], got["password"]) == (user, password)
            # refused: both boxes emptied, cursor back in the user name for the next burst
            assert (got["after_user"], got["after_password"], got["focused"]) == ("", "", "username")


@pytest.mark.pty
@posix_only
def test_two_input_textual_app_over_a_pty_with_ordered_keys() -> None:
    with PtyApp("bare") as app:
        assert app.report(60) == {"ready": "bare"}
        for user, password in PAIRS:
            app.send(f"{user}\t{password}\r".encode())
            assert app.report() == {"a": user, "b": password, "enter_in": "b"}


def test_a_burst_across_the_raise_form_fills_each_field_then_raises(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        child = a_child()
        before = disputes_of(child.id)
        form = await open_raise(pilot, child.id)
        boxes = fields(form)
        boxes["category"].set_raw("care_plan")
        boxes["issue_arose"].editor.focus()
        await settle(pilot)
        # date, Tab past the prefilled date raised, three long texts, ctrl+s: one read
        await burst(pilot, "2026-11-20\t\tPlan not shared [b]yet[/b].\tMissed school.\tWeekly contact.\x13")
        opened = pilot.app.screen
        assert isinstance(opened, DisputeScreen), (message(form), {k: f.raw for k, f in boxes.items()})
        assert disputes_of(child.id) == before + 1
        row = m.Dispute.get_by_id(opened.dispute_id)
        assert (str(row.issue_arose), row.raised_on.isoformat()) == ("2026-11-20", "2026-11-23")
        assert (row.concern, row.impact, row.wanted) == (
            "Plan not shared [b]yet[/b].", "Missed school.", "Weekly contact.")
        assert row.status == "draft"
        # "s" asks "Send section ...?" from a worker; the "y" typed with it answers that dialog
        await burst(pilot, "sy")
        assert pilot.app.screen is opened
        assert m.Dispute.get_by_id(row.id).status == "sent"
        assert "sent to the" in str(opened.query_one("#dispute-message").render())

    run(app, body)


def test_bursts_on_the_lock_screen_sign_in_someone_else_field_by_field(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await burst(pilot, "\x0c")  # ctrl+l
        assert app.locked and isinstance(app.screen, LockScreen)
        # ctrl+n (someone else), user name, Tab, a wrong password, Enter: one read
        await burst(pilot, "\x0ejokafor\twrong pass\r")
        lock = app.screen
        assert isinstance(lock, LockScreen) and app.locked
        assert "not recognised" in lock.shown_message
        user, password = lock.query_one("#lock-username", Input), lock.query_one("#lock-password", Input)
        assert (user.value, password.value) == ("", "") and user.has_focus
        with raw(app) as con:  # the refusal was recorded against the typed account, not a merged name
            assert con.execute("SELECT count(*) FROM staff WHERE username = 'jokafor' AND failed_logins = 1"
                               ).fetchone() == (1,)
        await burst(pilot, f"jokafor\t{PASSWORD}\r")
        assert not app.locked and app.desk.user is not None and app.desk.user.username == "jokafor"

    run(app, body)


@desk_test
async def test_a_key_waits_for_its_own_worker_only_not_one_started_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key whose binding started a worker holds the next key until that worker ends; a worker
    something else started meanwhile (the reminders after a first page, a timer's reload) is not
    waited for: the held key goes as soon as the key's own worker is done, not at the watchdog."""
    import threading

    from textual import events
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    from drp_tui.ui import keygate

    monkeypatch.setattr(keygate, "STUCK_SECONDS", 600.0)  # the watchdog would open the gate only after this
    own, other = threading.Event(), threading.Event()

    class Gate(keygate.OrderedKeys, App[None]):
        BINDINGS = [("a", "start", ""), ("b", "after", "")]

        def __init__(self) -> None:
            super().__init__()
            self.done: list[str] = []

        def compose(self) -> ComposeResult:
            yield Static("gate")

        def action_start(self) -> None:
            self.done.append("a")
            self.run_worker(own.wait, thread=True, group="own")

        def action_after(self) -> None:
            self.done.append("b")

    app = Gate()
    try:
        async with app.run_test() as pilot:
            for key in "ab":  # one terminal read: both queued at once
                event = events.Key(key, key)
                event.set_sender(app)
                app._driver.send_message(event)
            for _ in range(200):
                await pilot.pause()
                if app.done == ["a"] and app.keys_pending:
                    break
            assert app.done == ["a"] and app.keys_pending  # "b" is held while the key's worker runs
            app.run_worker(other.wait, thread=True, group="other")  # not the key's
            own.set()
            for _ in range(200):
                await pilot.pause()
                if app.done == ["a", "b"]:
                    break
            assert app.done == ["a", "b"], "the held key waited for a worker the key did not start"
            other.set()
    finally:
        own.set()
        other.set()
