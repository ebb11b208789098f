"""The dispute form: what each person sees and may edit, saving, errors, conflicts, Escape.

Pilot tests on the real app over the demo data (frozen clock: Mon 23 Nov 2026 10:00
London). Each asserts what the screen shows and what the database holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input, TextArea
from textual.worker import WorkerCancelled

from drp_tui.domain.model import Status
from drp_tui.services import disputes as ds
from drp_tui.services.context import Ctx
from drp_tui.store import models as m
from drp_tui.store import queries_dispute
from drp_tui.ui.screens.dialogs import ConfirmDialog, ConflictDialog
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.widgets.form_fields import ActionsEditor, EditField

FLOWS = {"dispute-flow", "raise-flow"}
INJECTION = "[bold]x[/] [link=http://e]y[/link] \x1b[2J"
SHOWN = "[bold]x[/] [link=http://e]y[/link] [2J"  # the service drops control characters


# --- helpers (also used by test_workflows / test_raise) ----------------------------------------

def run(app: Any, body: Callable[[Pilot[Any]], Awaitable[None]], size: tuple[int, int] = (80, 24)) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            if app.desk.user is None:
                app.desk.sign_in_demo(app.sign_in_as)
            await body(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[Any], rounds: int = 200) -> None:
    """Let messages run and every worker finish, except a flow waiting at a dialog (never sleeps);
    keys typed ahead and held back by the app's OrderedKeys land first."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        if getattr(app, "keys_pending", 0):
            continue
        running = [w for w in app.workers if w.is_running]  # the desk's too (sign-in, unread count ...)
        io = [w for w in running if w.group not in FLOWS]
        if io:
            try:
                await app.workers.wait_for_complete(io)
            except WorkerCancelled:  # replaced by a newer load: go round again
                pass
            continue
        if not running or isinstance(app.screen, ModalScreen):  # only flows left, or one is asking
            break
    await pilot.wait_for_scheduled_animations()  # a tab's underline slides: draw where it stops
    await pilot.pause()


async def open_form(pilot: Pilot[Any], dispute_id: int) -> DisputeScreen:
    pilot.app.push_screen(DisputeScreen(dispute_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DisputeScreen)
    return screen


async def keys(pilot: Pilot[Any], *pressed: str) -> None:
    for key in pressed:
        await pilot.press(key)
        await settle(pilot)


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def body_text(screen: DisputeScreen) -> str:
    """Every read-only line of the form (scrolled or not)."""
    from textual.widgets import Static

    return "\n".join(str(s.render()) for s in screen.query(Static))


def fields(screen: Any) -> dict[str, EditField]:
    return {f.spec.key: f for f in screen.query(EditField)}


def staff(username: str) -> m.Staff:
    return m.Staff.get(m.Staff.username == username)


def ctx_as(app: Any, username: str) -> Ctx:
    return Ctx(staff(username).id, app.desk.policy, app.desk.calendar, app.desk.clock)


def pick(status: Status, *, stage: str | None = None, by: str = "cpatel", linked: bool = False,
         overdue: bool | None = None, now: Any = None) -> int:
    q = m.Dispute.select().where((m.Dispute.status == status.value) & (m.Dispute.raised_by == staff(by).id))
    q = q.where(m.Dispute.link_group.is_null(not linked))
    if stage:
        q = q.where(m.Dispute.current_stage == stage)
    if overdue is not None:
        q = q.where(m.Dispute.next_due_at < now) if overdue else q.where(m.Dispute.next_due_at > now)
    d = q.order_by(m.Dispute.next_due_at, m.Dispute.id).first()
    assert d is not None, f"no {status} dispute in the demo data"
    return int(d.id)


def message(screen: DisputeScreen) -> str:
    return str(screen.query_one("#dispute-message").render())


# --- tests ---------------------------------------------------------------------------------------

def test_overdue_dispute_shows_every_section_read_only_for_the_chair(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        version = m.Dispute.get_by_id(did).version
        form = await open_form(pilot, did)
        text = screen_text(app)
        assert "OVERDUE" in text and "You raised this. Next: Response to Informal DRP" in text
        titles = [str(c.title) for c in form.query("Collapsible")]
        assert [t.split(".")[0] for t in titles] == ["1", "2", "3", "4", "5", "6"]  # Mosaic: sections 1-6
        assert "sent to Dana Whitlow" in titles[1] and "OVERDUE" in titles[1]
        assert all("not reached" in t for t in titles[2:])
        # Sent: only the child's voice is still the chair's to fill.
        assert set(fields(form)) == {"child_wishes", "against_wishes", "child_informed_on", "child_informed_how"}
        assert form.check_action("send", ()) is False and form.check_action("escalate", ()) is True
        assert form.check_action("on_behalf", ()) is True and form.check_action("approve", ()) is False
        assert m.Dispute.get_by_id(did).version == version  # reading changed nothing

    run(app, body)


def test_chair_edits_a_draft_and_saves_it(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        f = fields(form)
        assert {"concern", "issue_arose", "category", "chair_concern", "chair_wanted"} <= set(f)
        area = f["chair_wanted"].editor
        assert isinstance(area, TextArea)
        area.focus()
        area.text = ""
        await keys(pilot, *"Contact plan")
        assert form.unsaved_draft() == {"chair_wanted": "Contact plan"}
        await keys(pilot, "ctrl+s")
        assert "Saved." in message(form)
        rec = m.StageRecord.get(m.StageRecord.dispute == did)
        assert rec.chair_wanted == "Contact plan"
        assert form.unsaved_draft() is None
        assert fields(form)["chair_wanted"].raw == "Contact plan"

    run(app, body)


def test_a_bad_date_is_named_at_its_field_and_nothing_is_saved(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        before = m.Dispute.get_by_id(did)
        form = await open_form(pilot, did)
        box = fields(form)["issue_arose"]
        box.set_raw("2026-13-45")
        await keys(pilot, "ctrl+s")
        assert "Date the issue arose: '2026-13-45' is not a day of the calendar (DD/MM/YYYY)" in message(form)
        assert "Date the issue arose" in str(box.query_one(".ef-error").render())
        assert app.focused is box.editor
        # The service's own check (raised before the issue arose) lands at its field too.
        box.set_raw("2026-11-20")
        fields(form)["raised_on"].set_raw("2026-11-19")
        await keys(pilot, "ctrl+s")
        assert "Date raised: cannot be before the date the issue arose" in message(form)
        assert app.focused is fields(form)["raised_on"].editor
        after = m.Dispute.get_by_id(did)
        assert (after.version, after.issue_arose, after.raised_on) == (before.version, before.issue_arose,
                                                                       before.raised_on)

    run(app, body)


def test_conflict_names_who_changed_it_and_keeps_the_typed_text(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        fields(form)["child_wishes"].set_raw("She wants to stay with her foster carers.")
        # Meanwhile the team manager records a response in their own session.
        ds.record_response(ctx_as(app, "dwhitlow"), did, "Plan updated today.",
                           [ds.ActionInput("Share the plan", "Social Worker", app.desk.clock.now().date())])
        form.refresh_data()  # the desk's data watch sees their commit: their change shows, ours stays
        await settle(pilot)
        assert "Plan updated today." in body_text(form)
        assert fields(form)["child_wishes"].raw == "She wants to stay with her foster carers."
        await keys(pilot, "ctrl+s")  # both versions, and a choice: nothing is overwritten without one
        assert isinstance(app.screen, ConflictDialog)
        shown = screen_text(app)
        assert "Changed by Dana Whitlow" in shown and "they did not change this field" in shown
        assert "Yours (not saved):  She wants to stay with her foster carers." in shown
        await keys(pilot, "escape")  # cancel / merge by hand
        assert app.screen is form and "Not saved: Dana Whitlow saved a newer version" in message(form)
        assert fields(form)["child_wishes"].raw == "She wants to stay with her foster carers."
        assert m.Dispute.get_by_id(did).child_wishes == ""
        await keys(pilot, "ctrl+s")  # asks again
        assert isinstance(app.screen, ConflictDialog)
        await keys(pilot, "m")  # keep mine, knowingly
        assert "Saved: your text replaced what Dana Whitlow saved" in message(form)
        assert m.Dispute.get_by_id(did).child_wishes == "She wants to stay with her foster carers."

    run(app, body)


def test_escape_with_unsaved_text_asks_before_discarding(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        concern = m.Dispute.get_by_id(did).concern
        form = await open_form(pilot, did)
        area = fields(form)["concern"].editor
        assert isinstance(area, TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await keys(pilot, "!")
        await keys(pilot, "escape")  # leaves the field
        assert app.screen is form and app.focused is form.query_one("#dispute-body")
        assert "Unsaved changes: ctrl+s saves them" in message(form)
        await keys(pilot, "escape")  # asks
        assert isinstance(app.screen, ConfirmDialog)
        assert "unsaved changes (concern)" in str(app.screen.query_one("#question").render())
        await keys(pilot, "n")  # keep editing
        assert app.screen is form and fields(form)["concern"].raw == concern + "!"
        await keys(pilot, "escape")
        await keys(pilot, "y")  # discard
        assert not isinstance(app.screen, DisputeScreen)
        assert m.Dispute.get_by_id(did).concern == concern

    run(app, body)


def test_escape_without_changes_closes_at_once(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, pick(Status.RESPONDED))
        await keys(pilot, "escape")
        assert app.screen is not form and not isinstance(app.screen, ModalScreen)

    run(app, body)


def test_responder_may_fill_only_their_response(make_app: Any) -> None:
    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        assert set(fields(form)) == {"response"}
        assert len(form.query(ActionsEditor)) == 1
        for action in ("send", "decide", "escalate", "withdraw", "on_behalf", "cafcass"):
            assert form.check_action(action, ()) is False, action
        assert form.check_action("respond", ()) is True
        assert "Awaiting your response. Next: Response to Informal DRP" in body_text(form)
        editor = form.query_one(ActionsEditor)
        editor.query(Input).first().focus()
        await keys(pilot, "ctrl+n", "ctrl+n")  # rows added from the keyboard, focus in the new row
        assert len(editor.row_widgets()) == 3 and app.focused in editor.row_widgets()[2].query(Input)
        await keys(pilot, "ctrl+r")  # the focused row goes
        assert len(editor.row_widgets()) == 2
        await keys(pilot, "escape", "r")  # record and send: no response yet, named at its field
        assert "response: write the response" in message(form) and app.focused is fields(form)["response"].editor
        fields(form)["response"].set_raw("A visit this week.")
        editor.row_widgets()[0].query(Input).first().value = "Visit"
        await keys(pilot, "escape", "r")  # a half-filled row is named, nothing is sent
        assert "action 1: fill in who, by when" in str(editor.query_one(".ef-error").render())
        assert app.focused is editor.row_widgets()[0].query(Input)[1]  # the "who" of that row
        assert m.Dispute.get_by_id(did).status == Status.SENT.value

    run(app, body)


def test_user_text_is_shown_exactly_as_typed(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        child = m.Child.get(m.Child.chair == staff("cpatel").id, m.Child.sibling_group.is_null())
        child.name = "[red]Ava[/red] \x1b[31mX"
        child.save()
        (did,) = ds.raise_dispute(ctx_as(app, "cpatel"), ds.RaiseInput(
            [child.id], "care_plan", "informal", app.desk.clock.now().date(), INJECTION, impact=INJECTION))
        assert m.Dispute.get_by_id(did).concern == SHOWN
        form = await open_form(pilot, did)
        text = screen_text(app)
        assert "[red]Ava[/red] ␛[31mX" in text  # the name in the title, control code made visible
        assert "\x1b" not in text
        assert fields(form)["concern"].raw == SHOWN  # in the editor, as typed
        ds.send(ctx_as(app, "cpatel"), did)
        form.refresh_data()
        await settle(pilot)
        assert not {"concern", "impact"} & set(fields(form))
        assert body_text(form).count(SHOWN) == 4  # section 1 and the sent section, read-only, literally

    run(app, body)


def test_input_fields_accept_markup_as_plain_text(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        form = await open_form(pilot, did)
        editor = fields(form)["chair_timescales"].editor
        assert isinstance(editor, TextArea)
        editor.text = INJECTION
        await keys(pilot, "ctrl+s")
        assert m.StageRecord.get(m.StageRecord.dispute == did).chair_timescales == SHOWN
        assert fields(form)["chair_timescales"].raw == SHOWN
        assert not isinstance(fields(form)["issue_arose"].editor, TextArea)
        assert isinstance(fields(form)["issue_arose"].editor, Input)

    run(app, body)


def test_durham_form_has_a_section_per_stage(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, pick(Status.SENT))
        titles = [str(c.title) for c in form.query("Collapsible")]
        assert len(titles) == 8 and titles[-1].startswith("8. Formal Resolution - Chief Executive")
        assert queries_dispute.get_dispute(form.dispute_id).policy_key == "durham-rp"

    run(app, body)


def test_text_typed_into_a_section_that_closes_meanwhile_is_kept_on_screen(make_app: Any) -> None:
    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        from drp_tui.services import outcomes as oc

        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        fields(form)["response"].set_raw("We will book the [b]visit[/b].")
        oc.withdraw(ctx_as(app, "cpatel"), did, "Child moved.")  # the chair, in their own session
        form.refresh_data()  # as the app's data watch would
        await settle(pilot)
        assert "response" not in fields(form)  # withdrawn: nothing is the manager's to fill now
        lost = str(form.query_one("#dispute-lost").render())
        assert "Not saved: Chloe Patel changed" in lost and "now withdrawn" in lost
        assert "We will book the [b]visit[/b]." in lost
        assert form.unsaved_draft() == {"response": "We will book the [b]visit[/b]."}

    run(app, body)


def test_history_key_opens_the_dispute_history(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.RESPONDED)
        form = await open_form(pilot, did)
        await keys(pilot, "h")
        assert app.screen is not form and type(app.screen).__name__ == "HistoryScreen"
        assert getattr(app.screen, "dispute_id", did) == did

    run(app, body)


def test_the_palette_offers_only_the_forms_moves_this_person_has(make_app: Any) -> None:
    from drp_tui.ui.commands import ScreenCommands

    app = make_app("dwhitlow")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        form.query_one("#dispute-body").focus()
        await settle(pilot)
        names = [name for name, _cb, _help in ScreenCommands(form).commands()]
        for refused in ("Escalate", "Withdraw", "Send", "Decide"):  # the responder's form does not offer them
            assert not any(name.startswith(refused) for name in names), (refused, names)
        assert any(name.startswith("Record & send") for name in names), names

    run(app, body)
