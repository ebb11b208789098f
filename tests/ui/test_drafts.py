"""Typed text is never lost: drafts come back to their owner, and every way out keeps the text.

Pilot tests at 80x24 on the demo data (frozen clock); each checks the screen and the database.
"""

from __future__ import annotations

import json
import re
import os
import signal
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from drp_tui.domain.model import Status
from drp_tui.services import drafts
from drp_tui.store import models as m
from drp_tui.ui.screens.dialogs import ConfirmDialog
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.drafts import ChoiceDialog, DraftsScreen
from drp_tui.ui.screens.lock import LockScreen
from drp_tui.ui.screens.login import LoginScreen
from drp_tui.ui.screens.raise_form import RaiseScreen
from drp_tui.ui.widgets.form_fields import ActionsEditor, Tick
from tests.ui.desk_helpers import PASSWORD
from tests.ui.test_dispute_form import ctx_as, fields, keys, open_form, pick, run, screen_text, settle, staff
from tests.ui.test_raise import a_child, open_raise

ROWS = [["Book the family visit", "Social Worker", "2026-12-01"],
        ["Share the updated plan", "Team Manager", "2026-12-04"]]


def drafts_shown(app: Any) -> int:
    """The drafts count in the header (0 when it shows none)."""
    top = screen_text(app).split("\n")[0]
    found = re.search(r"(\d+) drafts?\b|\bdrafts (\d+)", top)
    return int(found.group(1) or found.group(2)) if found else 0


def draft_rows(username: str) -> list[m.Draft]:
    return list(m.Draft.select().where(m.Draft.owner == staff(username).id).order_by(m.Draft.id))


async def sign_in_at_login(pilot: Pilot[Any], username: str) -> None:
    app = pilot.app
    assert isinstance(app.screen, LoginScreen)
    app.screen.query_one("#username").value = username
    app.screen.query_one("#password").value = PASSWORD
    app.screen.query_one("#password").focus()
    await keys(pilot, "enter")


async def sign_in_at_lock(pilot: Pilot[Any], username: str) -> None:
    app = pilot.app
    assert isinstance(app.screen, LockScreen)
    await keys(pilot, "ctrl+n")
    app.screen.query_one("#lock-username").value = username
    app.screen.query_one("#lock-password").value = PASSWORD
    app.screen.query_one("#lock-password").focus()
    await keys(pilot, "enter")


async def open_with_offer(pilot: Pilot[Any], screen: Any) -> ChoiceDialog:
    pilot.app.push_screen(screen)
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ChoiceDialog), type(dialog)
    assert "Your draft of this form" in screen_text(pilot.app)
    return dialog


def type_response(form: DisputeScreen) -> None:
    fields(form)["response"].set_raw("We will book the visit.\nAnd [b]share[/b] the plan.")
    editor = form.query_one(ActionsEditor)
    editor.set_rows([tuple(r) for r in ROWS])  # type: ignore[misc]


def test_sign_out_keeps_the_response_and_its_smart_rows_which_come_back_and_go_once_recorded(make_app: Any) -> None:
    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        type_response(form)
        await settle(pilot)
        typed = form.unsaved_draft()
        assert typed is not None and typed["actions"] == [tuple(r) for r in ROWS]
        await keys(pilot, "ctrl+o")
        assert isinstance(app.screen, LoginScreen)
        (row,) = draft_rows("dwhitlow")
        assert row.dispute_id == did and row.child_id is None and row.reason == "signed out"
        assert json.loads(row.payload) == {"response": typed["response"], "actions": ROWS}

        await sign_in_at_login(pilot, "dwhitlow")
        assert drafts_shown(app) == 1  # the header counts them
        dialog = await open_with_offer(pilot, DisputeScreen(did))
        assert "2 SMART actions, response" in dialog.question  # (payload keys sorted)
        await keys(pilot, "r")
        form = app.screen
        assert isinstance(form, DisputeScreen) and app.screen is not dialog
        assert fields(form)["response"].raw == typed["response"]
        assert form.query_one(ActionsEditor).rows() == [tuple(r) for r in ROWS]
        assert "Your draft is back" in screen_text(app)
        assert len(draft_rows("dwhitlow")) == 1  # still a draft until it is saved

        form.query_one("#dispute-body").focus()  # out of the field: letter keys are commands
        await keys(pilot, "r")  # record and send (ctrl+s would only keep it as a draft)
        assert isinstance(app.screen, ConfirmDialog)
        await keys(pilot, "y")
        d = m.Dispute.get_by_id(did)
        assert d.status != Status.SENT.value
        assert draft_rows("dwhitlow") == []
        assert m.Event.select().where(m.Event.kind == "draft_removed").count() == 1
        assert drafts_shown(app) == 0

    run(app, body)


def test_idle_lock_hand_over_keeps_the_raise_form_for_its_owner_only(make_app: Any) -> None:
    app = make_app("cpatel", idle_lock_minutes=5)

    async def body(pilot: Pilot[Any]) -> None:
        child = a_child(linked=True)
        form = await open_raise(pilot, child.id)
        fields(form)["concern"].set_raw("Family time has stopped since October.")
        fields(form)["category"].set_raw("care_plan")
        tick = form.query(Tick).first()
        tick.value = True
        typed = form.unsaved_draft()
        assert typed and typed[tick.id or ""] is True
        app.desk.clock.advance(minutes=6)
        assert app.check_idle_lock() is True
        await settle(pilot)
        await sign_in_at_lock(pilot, "jokafor")
        assert app.desk.user.username == "jokafor"
        (row,) = draft_rows("cpatel")
        assert row.child_id == child.id and row.dispute_id is None and "jokafor signed in" in row.reason
        assert drafts.my_drafts(ctx_as(app, "jokafor")) == []
        assert drafts_shown(app) == 0  # not in jokafor's header
        await keys(pilot, "ctrl+o")
        await sign_in_at_login(pilot, "cpatel")
        await open_with_offer(pilot, RaiseScreen(child.id))
        await keys(pilot, "r")
        form = app.screen
        assert isinstance(form, RaiseScreen)
        assert fields(form)["concern"].raw == "Family time has stopped since October."
        assert fields(form)["category"].raw == "care_plan"
        assert form.query_one(f"#{tick.id}", Tick).value is True
        assert form.unsaved_draft() == typed

    run(app, body)


def test_switch_user_keeps_the_dispute_text_later_and_then_discard(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        fields(form)["chair_wanted"].set_raw("A date for the next review")
        await keys(pilot, "ctrl+l")
        await sign_in_at_lock(pilot, "jokafor")
        (row,) = draft_rows("cpatel")
        assert json.loads(row.payload) == {"chair_wanted": "A date for the next review"}
        await keys(pilot, "ctrl+o")
        await sign_in_at_login(pilot, "cpatel")
        await open_with_offer(pilot, DisputeScreen(did))
        await keys(pilot, "l")  # later: the form shows the database, the draft stays
        form = app.screen
        assert isinstance(form, DisputeScreen) and form.unsaved_draft() is None
        assert "Your draft is kept" in screen_text(app) and len(draft_rows("cpatel")) == 1
        await keys(pilot, "escape", "escape")
        await open_with_offer(pilot, DisputeScreen(did))
        await keys(pilot, "d")
        assert draft_rows("cpatel") == []
        assert isinstance(app.screen, DisputeScreen) and app.screen.unsaved_draft() is None
        ev = m.Event.select().order_by(m.Event.id.desc()).first()
        assert ev.kind == "draft_removed" and ev.actor_id == staff("cpatel").id

    run(app, body)


def test_the_drafts_list_opens_and_discards_with_a_confirmation(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        child = a_child()
        ctx = ctx_as(app, "cpatel")
        drafts.save_draft(ctx, did, {"chair_concern": "Kept text"}, "signed out")
        drafts.save_draft(ctx, None, {"concern": "Raise text"}, "signed out", child_id=child.id)
        drafts.save_draft(ctx_as(app, "jokafor"), None, {"concern": "Not Chloe's"}, "signed out", child_id=child.id)
        app.refresh_drafts()
        await settle(pilot)
        assert drafts_shown(app) == 2
        await keys(pilot, "f6")
        assert isinstance(app.screen, DraftsScreen)
        text = screen_text(app)
        assert m.Dispute.get_by_id(did).reference in text and child.name in text and "Not Chloe" not in text
        await keys(pilot, "d")
        assert isinstance(app.screen, ChoiceDialog) or "Discard" in screen_text(app)
        await keys(pilot, "n")  # kept
        assert len(draft_rows("cpatel")) == 2
        await keys(pilot, "d", "y")
        assert len(draft_rows("cpatel")) == 1 and len(draft_rows("jokafor")) == 1
        assert "Draft discarded." in screen_text(app) and drafts_shown(app) == 1
        await keys(pilot, "enter")  # opens the remaining one's form, which offers it
        assert isinstance(app.screen, ChoiceDialog)
        await keys(pilot, "r")
        assert isinstance(app.screen, (DisputeScreen, RaiseScreen))

    run(app, body)


def test_ctrl_q_with_unsaved_text_asks_cancel_stays_save_keeps_a_draft_and_exits(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        fields(form)["chair_wanted"].set_raw("Typed, not saved")
        await keys(pilot, "ctrl+q")
        assert isinstance(app.screen, ChoiceDialog) and "Save draft, quit (s)" in screen_text(app)
        assert "Cancel (c)" in screen_text(app)
        stacked = len(app.screen_stack)
        await keys(pilot, "ctrl+q")  # asked once, not twice
        assert len(app.screen_stack) == stacked
        await keys(pilot, "c")
        assert app.screen is form and app.is_running and draft_rows("cpatel") == []
        await keys(pilot, "ctrl+q", "s")
        assert app.return_code == 0
        (row,) = draft_rows("cpatel")
        assert row.dispute_id == did and row.reason == "saved when quitting"

    run(app, body)


def test_ctrl_q_without_unsaved_text_quits_at_once(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        await keys(pilot, "ctrl+q")
        assert app.return_code == 0 and draft_rows("cpatel") == []

    run(app, body)


def test_the_palette_has_one_quit_which_asks_and_discard_quits_without_a_draft(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        fields(form)["chair_wanted"].set_raw("Typed, not saved")
        await keys(pilot, "ctrl+p", *"quit")
        await settle(pilot)
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        titles = [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]
        assert [t for t in titles if t.strip().lower().startswith("quit")] == ["Quit"], titles
        await keys(pilot, "enter")
        assert isinstance(app.screen, ChoiceDialog)
        await keys(pilot, "d")
        assert app.return_code == 0 and draft_rows("cpatel") == []

    run(app, body)


def test_quit_at_the_lock_screen_keeps_the_owners_text_without_asking(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        fields(form)["chair_wanted"].set_raw("Typed before the lock")
        await keys(pilot, "ctrl+l")
        assert isinstance(app.screen, LockScreen)
        await keys(pilot, "ctrl+q")
        assert app.return_code == 0
        (row,) = draft_rows("cpatel")
        assert json.loads(row.payload) == {"chair_wanted": "Typed before the lock"}
        assert row.reason == "quit at the lock screen"

    run(app, body)


def _signal_test(make_app: Any, sig: signal.Signals, reason: str) -> None:
    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        type_response(form)
        await settle(pilot)
        assert [s for s, _ in app._signals_installed] == [signal.SIGHUP, signal.SIGTERM]
        os.kill(os.getpid(), sig)
        for _ in range(20):
            await pilot.pause()
            if app._exit_renderables is not None or app.return_code is not None:
                break
        assert app.return_code == 0
        (row,) = draft_rows("dwhitlow")
        assert row.dispute_id == did and row.reason == reason
        assert json.loads(row.payload)["actions"] == ROWS

    run(app, body)
    assert app._signals_installed == []  # handed back on the way out
    assert signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler) or callable(signal.getsignal(sig))


def test_sighup_keeps_every_open_forms_text_and_exits_cleanly(make_app: Any) -> None:
    _signal_test(make_app, signal.SIGHUP, "connection dropped (SIGHUP)")


def test_sigterm_keeps_every_open_forms_text_and_exits_cleanly(make_app: Any) -> None:
    _signal_test(make_app, signal.SIGTERM, "desk stopped (SIGTERM)")


def test_over_long_text_is_refused_at_input_naming_the_field(make_app: Any) -> None:
    from drp_tui.domain.forms import MAX_SHORT, MAX_TEXT

    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        box = fields(form)["response"]
        area = box.editor
        area.focus()
        area.text = "x" * (MAX_TEXT - 1)  # type: ignore[attr-defined]
        area.move_cursor((0, MAX_TEXT - 1))  # type: ignore[attr-defined]
        await keys(pilot, "y")
        assert len(box.raw) == MAX_TEXT
        await keys(pilot, "z")
        assert len(box.raw) == MAX_TEXT and box.raw.endswith("y")
        assert f"{box.spec.label}: at most 20,000 characters" in str(box.query_one(".ef-error").render())
        assert box.query_one(".ef-error").render() and box.has_class("-error")
        app.copy_to_clipboard("pasted text")
        await keys(pilot, "ctrl+v")
        assert len(box.raw) == MAX_TEXT
        who = form.query_one(ActionsEditor).query(Input)[1]
        who.focus()
        await settle(pilot)
        who.value = "w" * MAX_SHORT
        who.cursor_position = MAX_SHORT
        await keys(pilot, "q")
        assert who.value == "w" * MAX_SHORT
        assert "who: at most 200 characters" in str(form.query_one(ActionsEditor).query_one(".ef-error").render())
        assert m.Draft.select().count() == 0

    run(app, body)


def test_a_restored_draft_closed_with_discard_is_removed(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        drafts.save_draft(ctx_as(app, "cpatel"), did, {"chair_wanted": "Restored then dropped"}, "signed out")
        await open_with_offer(pilot, DisputeScreen(did))
        await keys(pilot, "r")
        form = app.screen
        assert isinstance(form, DisputeScreen) and fields(form)["chair_wanted"].raw == "Restored then dropped"
        await keys(pilot, "escape")
        assert isinstance(app.screen, ChoiceDialog) or "Discard" in screen_text(app)
        await keys(pilot, "y")
        await settle(pilot)
        assert app.screen is not form and draft_rows("cpatel") == []
        ev = m.Event.select().order_by(m.Event.id.desc()).first()
        assert ev.kind == "draft_removed" and "discarded on closing" in ev.summary

    run(app, body)


def test_a_worker_whose_result_comes_as_the_desk_ends_stops_waiting_so_the_process_can_end(make_app: Any) -> None:
    """SIGHUP stops the event loop; a worker that had just queued its result must not wait for ever,
    or the process (which joins its worker threads on the way out) never ends."""
    import asyncio
    import threading

    app = make_app()
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever)
    runner.start()
    gate, queued = threading.Event(), threading.Event()
    loop.call_soon_threadsafe(gate.wait)  # the loop is busy: what is queued now runs after it
    app._loop = loop
    outcome: list[object] = []

    def worker() -> None:
        queued.set()
        try:
            outcome.append(app.call_from_thread(lambda: "shown"))
        except RuntimeError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert queued.wait(5)
    while not loop._ready:  # type: ignore[attr-defined]  # the worker's callback is queued behind the busy one
        thread.join(0.01)
    loop.call_soon_threadsafe(loop.stop)  # the desk ends before the callback runs
    gate.set()
    runner.join(5)
    thread.join(5 + app.CALLBACK_POLL)
    try:
        assert not thread.is_alive(), "the worker still waits for a desk that has ended"
        assert isinstance(outcome[0], RuntimeError) and "ended" in str(outcome[0])
    finally:
        loop.close()
