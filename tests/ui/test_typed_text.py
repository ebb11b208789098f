"""Typed text is never lost on the dispute form.

- A responder can stop halfway: ctrl+s keeps a private Draft and sends nothing; recording
  and sending is a separate key that asks first.
- A dialog the service refuses (or that is closed after a refusal) shows its text again when
  it is reopened on the same form; a successful submit forgets it.
- A save that meets someone else's newer save shows theirs and yours and waits for a choice.

Pilot tests at 80x24 on the demo data (frozen clock: Mon 23 Nov 2026 10:00 London); each
checks what the screen shows and what the database holds.
"""

from __future__ import annotations

import json
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from drp_tui.domain.model import Status
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes as oc
from drp_tui.store import models as m
from drp_tui.ui.screens.compliment import ComplimentScreen
from drp_tui.ui.screens.dialogs import ConfirmDialog, ConflictDialog, FormDialog
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.widgets.form_fields import ActionsEditor
from tests.ui.test_dispute_form import ctx_as, fields, keys, message, open_form, pick, run, screen_text, settle, staff


def drafts_of(username: str) -> list[m.Draft]:
    return list(m.Draft.select().where(m.Draft.owner == staff(username).id).order_by(m.Draft.id))


def record(did: int) -> m.StageRecord:
    return m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(m.StageRecord.seq.desc()).first()


# --- 1. a responder can stop halfway -----------------------------------------------------------------

def test_responder_saves_a_draft_and_nothing_is_sent(make_app: Any) -> None:
    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        before = m.Dispute.get_by_id(did)
        form = await open_form(pilot, did)
        shown = screen_text(app)
        assert "Save draft" in shown and "Record & send" in shown
        assert form.check_action("save", ()) is False and form.check_action("save_draft", ()) is True
        fields(form)["response"].set_raw("Half of it: a visit")
        editor = form.query_one(ActionsEditor)
        for box, value in zip(editor.query(Input), ("Visit the child", "Social Worker", "2026-11-25"), strict=False):
            box.value = value
        editor.query(Input).first().focus()
        await keys(pilot, "ctrl+s")
        assert "Draft saved — not sent" in message(form) and "Chloe Patel sees nothing" in message(form)
        (draft,) = drafts_of("dwhitlow")
        payload = json.loads(draft.payload)
        assert draft.dispute_id == did and payload["response"] == "Half of it: a visit"
        assert payload["actions"][0][0] == "Visit the child"
        after = m.Dispute.get_by_id(did)
        assert (after.status, after.version) == (before.status, before.version) and record(did).response == ""
        assert fields(form)["response"].raw == "Half of it: a visit"  # still on the form, still editable
        fields(form)["response"].set_raw("Half of it: a visit on Wednesday")
        await keys(pilot, "ctrl+s")  # any number of times
        (kept,) = drafts_of("dwhitlow")  # one draft per person per form: the newer replaces the older
        assert json.loads(kept.payload)["response"] == "Half of it: a visit on Wednesday"
        assert m.Dispute.get_by_id(did).version == before.version
        await keys(pilot, "escape")  # leave the field: the hint names both keys honestly
        assert "ctrl+s saves a draft" in message(form) and "r records and sends it" in message(form)
        await keys(pilot, "escape")  # close: the text is in a draft, and not sent
        assert isinstance(app.screen, ConfirmDialog)
        assert "kept as a draft and has not been sent" in str(app.screen.query_one("#question").render())
        await keys(pilot, "n")
        await keys(pilot, "r")  # record and send: says so, and asks
        assert isinstance(app.screen, ConfirmDialog)
        question = str(app.screen.query_one("#question").render())
        assert "send it to Chloe Patel" in question and "cannot be changed afterwards" in question
        await keys(pilot, "n")
        assert "Not sent." in message(form) and m.Dispute.get_by_id(did).status == Status.SENT.value

    run(app, body)


def test_chair_save_of_own_text_is_labelled_save(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, pick(Status.DRAFT, stage="informal"))
        assert form.check_action("save", ()) is True and form.check_action("save_draft", ()) is False
        shown = screen_text(app)
        assert "^s Save" in shown and "Save draft" not in shown
        area = fields(form)["chair_wanted"].editor
        assert isinstance(area, TextArea)
        area.focus()
        await keys(pilot, "x", "escape")
        assert "ctrl+s saves them (nothing is sent until you press s)" in message(form)

    run(app, body)


# --- 2. refused dialogs keep what was typed ---------------------------------------------------------------

def test_refused_escalation_keeps_the_reason_until_it_succeeds(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        early = pick(Status.SENT, stage="informal", overdue=False, now=app.desk.clock.now())
        form = await open_form(pilot, early)
        assert form.check_action("flow", ("escalate",)) is False  # not due yet: not offered ...
        await keys(pilot, "e")
        assert app.screen is form and "is not due until" in message(form)  # ... and the key says why
        form.dismiss()
        await settle(pilot)
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        await keys(pilot, "e")
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        fields(dialog)["comment"].set_raw("No contact plan after four weeks.")
        oc.withdraw(ctx_as(app, "cpatel"), did, "Raised in error.")  # meanwhile, in another session
        await keys(pilot, "ctrl+s")  # their change is news: the dialog stays, the text kept
        assert isinstance(app.screen, FormDialog)
        await keys(pilot, "ctrl+s")  # refused: the dispute is withdrawn now
        assert app.screen is form and "is withdrawn and read-only" in message(form)
        assert m.Dispute.get_by_id(did).current_stage == "informal"
        oc.reopen(ctx_as(app, "cpatel"), did, "Withdrawn by mistake.")
        form.refresh_data()
        await settle(pilot)
        await keys(pilot, "e")  # reopened: the text is back
        again = app.screen
        assert isinstance(again, FormDialog) and again is not dialog
        assert fields(again)["comment"].raw == "No contact plan after four weeks."
        assert "No contact plan after four weeks." in screen_text(app)
        fields(again)["comment"].set_raw("No contact plan after five weeks.")
        await keys(pilot, "escape")  # closed unsent: kept as it was last typed
        await keys(pilot, "e")
        assert fields(app.screen)["comment"].raw == "No contact plan after five weeks."
        await keys(pilot, "ctrl+s")
        assert app.screen is form and m.Dispute.get_by_id(did).current_stage != "informal"
        assert not form.dialog_memory  # forgotten once accepted

    run(app, body)


def test_extension_refused_at_its_field_keeps_both_fields_then_empty_after_success(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")  # a procedure with extensions

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, overdue=False, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        assert form.check_action("flow", ("extension",)) is True
        await keys(pilot, "x")
        assert isinstance(app.screen, FormDialog), message(form)
        fields(app.screen)["until"].set_raw("2026-11-23")
        fields(app.screen)["benefit_to_the_child"].set_raw("Time to hear from the child's father.")
        await keys(pilot, "ctrl+s")  # the service refuses the date: shown at its field, text kept
        dialog = app.screen
        assert isinstance(dialog, FormDialog), message(form)
        assert "extended to: must be after" in screen_text(app)
        await keys(pilot, "escape")  # gives up after the refusal
        assert app.screen is form and record(did).extension_until is None
        await keys(pilot, "x")
        boxes = fields(app.screen)
        assert boxes["benefit_to_the_child"].raw == "Time to hear from the child's father."
        assert boxes["until"].raw == "23/11/2026"  # the same day, shown back day first
        boxes["until"].set_raw("2026-12-04")
        await keys(pilot, "ctrl+s")
        assert app.screen is form and record(did).extension_reason == "Time to hear from the child's father."
        await keys(pilot, "x")  # after success: empty
        assert fields(app.screen)["benefit_to_the_child"].raw == "" and fields(app.screen)["until"].raw == ""

    run(app, body)


def test_compliment_text_comes_back_when_reopened_until_sent(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        child = m.Child.get(m.Child.chair == staff("cpatel").id, m.Child.sibling_group.is_null())
        app.push_screen(ComplimentScreen(child.id))
        await settle(pilot)
        app.screen.query_one(TextArea).text = "Careful, patient life story work."
        await keys(pilot, "escape")
        assert not isinstance(app.screen, ComplimentScreen)
        app.push_screen(ComplimentScreen(child.id))
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "Careful, patient life story work."
        await keys(pilot, "ctrl+s")
        assert m.Compliment.select().count() >= 1
        app.push_screen(ComplimentScreen(child.id))
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == ""

    run(app, body)


# --- 3. a save conflict shows both versions ---------------------------------------------------------------

async def _conflict(pilot: Pilot[Any], app: Any) -> tuple[int, DisputeScreen, int]:
    did = pick(Status.DRAFT, stage="informal")
    form = await open_form(pilot, did)
    fields(form)["chair_wanted"].set_raw("Mine: a contact plan by Friday.")
    # Meanwhile, in another session, the section is saved with other text.
    v = m.Dispute.get_by_id(did).version
    theirs = ds.update_draft(ctx_as(app, "cpatel"), did, v, {"chair_wanted": "Theirs: a new social worker."})
    form.refresh_data()
    await settle(pilot)
    await keys(pilot, "ctrl+s")
    assert isinstance(app.screen, ConflictDialog)
    shown = screen_text(app)
    assert "Theirs (saved now): Theirs: a new social worker." in shown
    assert "Yours (not saved):  Mine: a contact plan by Friday." in shown
    assert "What the IRO wants to see" in shown  # the label of the form, from the vocabulary
    return did, form, theirs


def test_conflict_shows_both_and_a_second_save_does_not_overwrite(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did, form, theirs = await _conflict(pilot, app)
        await keys(pilot, "escape")
        assert app.screen is form and fields(form)["chair_wanted"].raw == "Mine: a contact plan by Friday."
        await keys(pilot, "ctrl+s")  # a second save asks again
        assert isinstance(app.screen, ConflictDialog)
        assert record(did).chair_wanted == "Theirs: a new social worker." and m.Dispute.get_by_id(did).version == theirs
        await keys(pilot, "m")  # keep mine: saved over theirs, on their version
        assert app.screen is form and "your text replaced" in message(form)
        assert record(did).chair_wanted == "Mine: a contact plan by Friday."
        assert m.Dispute.get_by_id(did).version == theirs + 1
        assert form.unsaved_draft() is None

    run(app, body)


def test_conflict_take_theirs_keeps_mine_as_a_draft(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did, form, theirs = await _conflict(pilot, app)
        await keys(pilot, "t")
        assert app.screen is form and fields(form)["chair_wanted"].raw == "Theirs: a new social worker."
        assert "your text is kept as a draft" in message(form)
        assert record(did).chair_wanted == "Theirs: a new social worker."
        assert m.Dispute.get_by_id(did).version == theirs
        (draft,) = drafts_of("cpatel")
        assert draft.dispute_id == did
        assert json.loads(draft.payload) == {"chair_wanted": "Mine: a contact plan by Friday."}
        assert form.unsaved_draft() is None
        await keys(pilot, "ctrl+s")
        assert "Nothing to save." in message(form)

    run(app, body)
