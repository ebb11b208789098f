"""The dispute form: section 1 and one section per stage, and every action on it.

Reads happen in a thread worker (``_load``); every service call runs in a thread
worker too (``write``), awaited by the async worker that runs the action's dialogs.

Drafts: ``unsaved_draft()`` returns ``{field key: raw value}`` for every edited field (the
service's names, e.g. ``chair_concern``, ``response``; text, a choice's value or a tick) and
``actions`` -> ``[[what, who, by when], ...]`` (SMART rows as typed), plus text whose field
went away. That is the stored draft payload; when its owner opens this dispute again the form
offers it back (restore / discard / later) and restoring puts every value back exactly. Once
the restored text is saved (no unsaved text left after a successful write) the draft is removed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import events, work
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, Collapsible, Input, Select, Static, TextArea
from textual.worker import WorkerCancelled, WorkerFailed, get_current_worker

from drp_tui.crash import user_message
from drp_tui.domain.deadlines import deadlines, due_soon_window, stage_state
from drp_tui.domain.model import Status
from drp_tui.services import disputes as ds
from drp_tui.services import drafts
from drp_tui.services.drafts import DraftView
from drp_tui.services.errors import ConflictError, DomainError, NotFound, ValidationError
from drp_tui.ui.screens import dispute_flows as flows
from drp_tui.ui.screens.dialogs import ConfirmDialog
from drp_tui.ui.screens.drafts import offer_question
from drp_tui.ui.screens.dispute_sections import (  # noqa: I001
    Editable, Loaded, Sibling, action_line, due_line, editable_for, header, lost_text, offered, refusal,
    section_one, stage_section, stage_title,
)
from drp_tui.ui.widgets.form_fields import ActionsEditor, EditField, FieldProblem, plain
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp

EDITORS = (Input, TextArea, Select, Checkbox)


class DisputeScreen(Screen[None]):
    """One dispute, as the signed-in person may see and act on it."""

    CSS_PATH = "../tcss/dispute.tcss"
    TITLE = "Dispute form"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="dispute.save",
                tooltip="Save your own text on the form; nothing is sent until you send it (s)"),
        Binding("ctrl+s", "save_draft", "Save draft", priority=True, id="dispute.save_draft",
                tooltip="Keep your half-written response privately as a draft; nothing is sent or changed"),
        Binding("escape", "close", "Close", id="dispute.close"),
        Binding("s", "flow('send')", "Send", id="dispute.send"),
        Binding("r", "flow('respond')", "Record & send", id="dispute.respond",
                tooltip="Record the response and send it to the chair (asks first; cannot be changed afterwards)"),
        Binding("b", "on_behalf", "Response on behalf", id="dispute.on_behalf"),
        Binding("d", "flow('decide')", "Decide", id="dispute.decide"),
        Binding("n", "flow('negotiate')", "Negotiation window", id="dispute.negotiate"),
        Binding("x", "flow('extension')", "Extension", id="dispute.extension"),
        Binding("e", "flow('escalate')", "Escalate", id="dispute.escalate"),
        Binding("a", "flow('approve')", "Approve stage", id="dispute.approve"),
        Binding("c", "flow('cafcass')", "Legal advice / Cafcass", id="dispute.cafcass"),
        Binding("w", "flow('withdraw')", "Withdraw", id="dispute.withdraw"),
        Binding("o", "flow('reopen')", "Reopen", id="dispute.reopen"),
        Binding("m", "flow('monitoring')", "Monitoring meeting", id="dispute.monitoring"),
        Binding("v", "flow('meeting')", "Stage meeting", id="dispute.meeting",
                tooltip="Record the meeting the procedure expects at this stage: day, who attended, outcome"),
        Binding("t", "flow('conversation')", "Record conversation", id="dispute.conversation"),
        Binding("f", "flow('action_done')", "Action done", id="dispute.action_done",
                tooltip="Mark a SMART action done (f: finished)"),
        Binding("h", "history", "History", id="dispute.history"),
        Binding("i", "edit", "Edit", show=False, id="dispute.edit"),
    ]

    def __init__(self, dispute_id: int) -> None:
        super().__init__()
        self.dispute_id = dispute_id
        self.ld: Loaded | None = None
        self.editable = Editable()
        self.base_version: int | None = None  # the version the fields were filled from
        self.on_behalf = False
        self._original: dict[str, Any] = {}
        self._rebase = False  # next load: take its version as the base even with unsaved text
        self._drop_pending = False  # next load: fill the fields from the database
        self._lost: dict[str, Any] = {}  # typed text whose field went away (the dispute moved on)
        self._showing = asyncio.Lock()
        self._draft_checked = False  # the owner's kept draft of this form is offered once, after the first load
        self.draft_id: int | None = None  # a draft restored into the form (removed once it is saved)
        self.dialog_memory: dict[str, dict[str, Any]] = {}  # each dialog's last unsent values
        self.drafted: dict[str, Any] | None = None  # what the last "Save draft" kept
        self.base_values: dict[str, Any] = {}  # the fields as saved at base_version (for a conflict)

    @property
    def drp(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Content("Loading..."), id="dispute-title")
        yield Static("", id="dispute-sub")
        yield Static("", id="dispute-message")
        yield VerticalScroll(id="dispute-body")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#dispute-body").focus()
        self.refresh_data()

    # --- reading ----------------------------------------------------------------
    def refresh_data(self) -> None:
        """Reload from the database (the app calls this when data changes)."""
        self._load()

    def clock_tick(self) -> None:
        """Time moved (the app calls this): recolour the deadline states, no query."""
        if self.ld is not None:
            if self.ld.actor is not None:  # a move may open with time (escalate once overdue)
                self.ld = replace(self.ld, moves=self.drp.desk.moves(self.ld.view, self.ld.actor, self.ld.policy))
                self.refresh_bindings()
            self._header()
            self._retitle()

    @work(thread=True, exclusive=True, group="dispute-load", exit_on_error=False)
    def _load(self) -> None:
        desk = self.drp.desk
        try:
            view = desk.dispute(self.dispute_id)  # refuses a dispute this person may not see
            if not getattr(self, "_read_recorded", False):  # once per opening, not per refresh
                desk.record_read("dispute", dispute_id=self.dispute_id)
                self._read_recorded = True
            ids = {i for s in view.stages for i in (s.approval_by_id, s.response_by_id, *s.inform_ids) if i}
            sibs = tuple(Sibling(x.id, x.reference, x.child.name, x.child.case_number, x.status)
                         for x in map(desk.dispute, view.sibling_ids))  # only siblings this person may see
            assert desk.user is not None, "nobody is signed in"
            me = desk.actor()
            ld = Loaded(view, desk.policy_of(view), desk.staff_names(ids), sibs, desk.user, me,
                        desk.moves(view, me))
        except Exception as exc:  # noqa: BLE001 - shown to the user, the form stays usable
            why = user_message(exc)  # a refusal's own words; anything else: a reference, details logged
            self.app.call_from_thread(self.say, why, True)
            return
        if not get_current_worker().is_cancelled:  # a newer load replaced this one: it shows
            self.app.call_from_thread(self._show, ld)  # type: ignore[arg-type]

    async def _show(self, ld: Loaded, force: bool = False) -> None:
        async with self._showing:  # one at a time: a rebuild awaits its mounts
            old, self.ld = self.ld, ld
            editable = editable_for(ld, self.on_behalf)
            self._header()
            refill, self._drop_pending = self._drop_pending, False
            pending = {} if refill else self._dirty()
            # Saves compare against the version the fields were filled from; with unsaved text that
            # stays the old one (so a change made meanwhile is a conflict), unless the person was told.
            rebased = not pending or self._rebase or self.base_version is None
            if rebased:
                self.base_version = ld.view.version
            self._rebase = False
            same = old is not None and (old.view.version, old.siblings, old.names) == (
                ld.view.version, ld.siblings, ld.names)
            if same and editable == self.editable and not (refill or force):
                self._retitle()
            else:
                self.editable = editable
                await self._rebuild(pending)
            if rebased:
                self.base_values = dict(self._original)  # the fields as saved at base_version
            self.refresh_bindings()
        if not self._draft_checked:
            self._draft_checked = True
            self._check_draft()

    # --- a kept draft of this form -------------------------------------------------------------
    @work(thread=True, group="dispute-draft", exit_on_error=False)
    def _check_draft(self) -> None:
        found = self.drp.desk.call(drafts.draft_for, dispute_id=self.dispute_id)
        if found is not None:
            self.app.call_from_thread(self._offer_draft, found)

    def _offer_draft(self, found: DraftView) -> None:
        self.app.push_screen(offer_question(found), callback=partial(self._draft_answer, found))

    def _draft_answer(self, found: DraftView, answer: str | None) -> None:
        if answer == "restore":
            self.run_worker(self.restore_draft(found), group="dispute-draft")
        elif answer == "discard":
            self._remove_draft(found.id, "discarded when the form offered it")
        else:
            self.say("Your draft is kept: it is offered again next time, and F6 lists your drafts.")

    async def restore_draft(self, found: DraftView) -> None:
        """Put the draft's values back into the form, over what the database holds."""
        async with self._showing:
            await self._rebuild({**self._dirty(), **found.payload})
        self.draft_id = found.id
        self.say("Your draft is back in the form: ctrl+s saves it (it stays a draft until then).")

    def dismiss(self, result: None = None) -> Any:
        """Closed by its owner (after agreeing to discard any unsaved text): a restored draft goes too."""
        if self.draft_id is not None:
            desk, app, draft_id = self.drp.desk, self.drp, self.draft_id
            ctx = desk.ctx()
            self.draft_id = None

            def remove() -> None:  # an app worker: this screen's own workers end with it
                drafts.remove_draft(ctx, draft_id, "discarded on closing the form")
                app.call_from_thread(app.refresh_drafts)

            app.run_worker(remove, thread=True, group="drafts", name="remove-draft", exit_on_error=False)
        return super().dismiss(result)

    @work(thread=True, group="dispute-draft", exit_on_error=False)
    def _remove_draft(self, draft_id: int, why: str) -> None:
        try:
            self.drp.desk.call(drafts.remove_draft, draft_id, why)
        except NotFound:
            pass  # already gone (recording a response removes the responder's draft itself)
        except Exception as exc:  # noqa: BLE001 - shown; the draft is still listed under F6
            self.app.call_from_thread(self.say, getattr(exc, "message", str(exc)), True)
            return
        self.app.call_from_thread(self._draft_removed, draft_id)

    def _draft_removed(self, draft_id: int) -> None:
        if self.draft_id == draft_id:
            self.draft_id = None
        self.drp.refresh_drafts()

    def _header(self) -> None:
        assert self.ld is not None
        desk = self.drp.desk
        title, sub = header(self.ld, deadlines(self.ld.view, self.ld.policy, desk.calendar, desk.clock.now(),
                                               self._soon()))
        self.query_one("#dispute-title", Static).update(title)
        self.query_one("#dispute-sub", Static).update(sub)

    def _soon(self) -> int:
        assert self.ld is not None
        return due_soon_window(self.ld.policy, self.drp.desk.due_soon_days)

    def _stage_states(self) -> dict[str, Any]:
        assert self.ld is not None
        v, desk = self.ld.view, self.drp.desk
        now = desk.clock.now()
        return {sv.stage_key: (sv, stage_state(sv, v, desk.calendar, now, self._soon())) for sv in v.stages}

    def _clock(self) -> tuple[Any, Any, int]:
        return self.drp.desk.clock.now(), self.drp.desk.calendar, self._soon()

    def _retitle(self) -> None:
        """Same data, later time: recolour the stage titles, due lines and actions."""
        assert self.ld is not None
        states = self._stage_states()
        for stage in self.ld.policy.stages:
            sv, state = states.get(stage.key, (None, None))
            for c in self.query(f"#sec-{stage.section}").results(Collapsible):
                c.title = stage_title(stage, sv, state, self.ld)  # type: ignore[assignment]
            if sv is not None:
                for due in self.query(f"#due-{stage.section}").results(Static):
                    due.update(due_line(sv, state))
                for n, a in enumerate(sv.actions, 1):
                    for w in self.query(f"#action-{a.id}").results(Static):
                        w.update(action_line(n, a, self.ld, self._clock()))

    async def _rebuild(self, pending: dict[str, Any]) -> None:
        assert self.ld is not None
        ld, ed = self.ld, self.editable
        body = self.query_one("#dispute-body", VerticalScroll)
        collapsed = {c.id: c.collapsed for c in self.query(Collapsible)}
        focus_id = self.focused.id if self.focused is not None else None
        y = body.scroll_y
        cur = ld.view.current
        states = self._stage_states()
        sections = [section_one(ld, ed, collapsed.get("sec-1", not (ed.section1 or ld.view.status is Status.DRAFT)))]
        for stage in ld.policy.stages:
            sv, state = states.get(stage.key, (None, None))
            open_ = sv is not None and cur is not None and sv.id == cur.id
            sections.append(stage_section(stage, sv, ld, ed, state, collapsed.get(f"sec-{stage.section}", not open_),
                                          self._clock()))
        await body.remove_children()
        await body.mount_all(sections)
        self._original = {f.spec.key: f.raw for f in body.query(EditField)}
        here = set(self._original) | ({"actions"} if self.query(ActionsEditor) else set())
        self._lost.update({k: v for k, v in pending.items() if k not in here})
        for key, value in pending.items():
            self._apply(key, value)
        if self._lost:  # the dispute moved on under unsaved text: never drop it silently
            await body.mount(Static(lost_text(self._lost, ld.view, ld.policy), classes="lost", id="dispute-lost"), before=0)
        if focus_id:
            for w in self.query(f"#{focus_id}"):
                w.focus()
        body.scroll_to(y=y, animate=False)

    def _apply(self, key: str, value: Any) -> None:
        if key == "actions":
            for ed in self.query(ActionsEditor):
                ed.set_rows(value)
        for f in self.query(EditField):
            if f.spec.key == key:
                f.set_raw(value)

    def _dirty(self) -> dict[str, Any]:
        out = {f.spec.key: f.raw for f in self.query(EditField) if f.raw != self._original.get(f.spec.key)}
        for ed in self.query(ActionsEditor):
            rows = ed.rows()
            if any(any(x.strip() for x in r) for r in rows):
                out["actions"] = rows
        return out

    def unsaved_draft(self) -> dict[str, Any] | None:
        """What has been typed but not saved (field key -> value), or None."""
        return {**self._lost, **self._dirty()} or None

    # --- messages and errors ------------------------------------------------------
    def say(self, message: str, error: bool = False) -> None:
        bar = self.query_one("#dispute-message", Static)
        bar.update(plain(message))
        bar.set_class(bool(message), "-shown")
        bar.set_class(error, "-error")

    def field_error(self, key: str, message: str, widget_id: str | None = None) -> bool:
        """Show ``message`` at the field ``key`` (service or form name) and focus it."""
        key = key.replace(" ", "_")
        if key.startswith("action"):
            key = "actions"
        for ed in self.query(ActionsEditor):
            if key == "actions":
                ed.show_error(message)
                target = self.query(f"#{widget_id}").first() if widget_id else ed.query(Input).first()
                self._reveal(target)
                return True
        fields = {f.spec.key: f for f in self.query(EditField)}
        box = fields.get(key) or fields.get(f"chair_{key}")
        if box is None:
            return False
        box.show_error(message)
        self._reveal(box.editor)
        return True

    def _reveal(self, widget: Any) -> None:
        for anc in widget.ancestors:
            if isinstance(anc, Collapsible):
                anc.collapsed = False
        widget.focus()
        self.call_after_refresh(widget.scroll_visible, animate=False)

    def show_error(self, err: BaseException) -> None:
        if isinstance(err, ConflictError):
            self.rebase()
            self.refresh_data()
        message = user_message(err)
        self.say(message, True)
        field = getattr(err, "field", None)
        if isinstance(err, ValidationError) and field:
            self.field_error(field, message)

    def _clear_errors(self) -> None:
        self.say("")
        for f in self.query(EditField):
            f.show_error("")
        for ed in self.query(ActionsEditor):
            ed.show_error("")

    # --- writing --------------------------------------------------------------------
    async def write(self, done: str, fn: Callable[..., Any], *args: Any,
                    on_success: Callable[[], None] | None = None, **kwargs: Any) -> tuple[bool, Any]:
        """Run one service call in a thread worker; (True, result) or (False, the error).

        On success: say ``done``, tell the app (every screen reloads) and wait for this form's reload.
        """
        worker = self.run_worker(partial(self.drp.desk.call, fn, *args, **kwargs), thread=True,
                                 group="dispute-write", exit_on_error=False)
        try:
            result = await worker.wait()
        except WorkerFailed as failed:
            err = failed.error
            if not isinstance(err, DomainError):
                self.log.error(f"{getattr(fn, '__name__', fn)} failed: {err!r}")
            return False, err
        self._rebase = True
        if on_success is not None:
            on_success()
        refused = getattr(result, "refused", None)  # "all siblings": those left as they were, and why
        if refused:
            done = f"{done} Not done for {len(refused)} linked sibling{'s' if len(refused) > 1 else ''}: " + "; ".join(
                f"{r.reference}: {r.reason}" for r in refused)
        self.say(done, bool(refused))
        self.drp.data_changed()
        await self.reload()
        if self.draft_id is not None and not self.unsaved_draft():  # the restored text is saved
            self._remove_draft(self.draft_id, "saved")
        return True, result

    async def reload(self) -> None:
        """Load now and wait until the form shows the result (or a newer load's)."""
        worker = self._load()
        while True:
            try:
                await worker.wait()
                return
            except WorkerCancelled:
                newer = [w for w in self.app.workers
                         if w.node is self and w.group == "dispute-load" and w is not worker and w.is_running]
                if not newer:
                    return
                worker = newer[-1]

    async def ask(self, question: str, **kw: Any) -> bool:
        return bool(await self.app.push_screen_wait(ConfirmDialog(question, **kw)))  # type: ignore[arg-type]

    async def ask_siblings(self, doing: str, statuses: tuple[Status, ...]) -> bool:
        assert self.ld is not None
        sibs = [s for s in self.ld.siblings if s.status in statuses]
        if not sibs:
            return False
        refs = ", ".join(f"{s.reference} ({s.child_name})" for s in sibs)
        return await self.ask(f"Also {doing} for the {len(sibs)} linked sibling dispute{'s' if len(sibs) > 1 else ''}?"
                              f"\n{refs}", title="Linked siblings", yes="Yes, all", no="Only this one")

    def _flow(self, runner: Callable[[DisputeScreen], Awaitable[object]]) -> None:
        """Run one action's flow (its dialogs, then its service call) in an async worker."""
        self._clear_errors()
        self.run_worker(runner(self), group="dispute-flow", exclusive=True, exit_on_error=False)

    # --- what is offered to whom -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("close", "history"):
            return True
        if self.ld is None:
            return action == "save" or None
        name = str(parameters[0]) if action == "flow" and parameters else action
        return offered(self.ld, self.editable, self.on_behalf).get(name, True)

    def on_key(self, event: events.Key) -> None:
        """A key of a move that is not allowed now says why, instead of doing nothing."""
        if self.ld is None:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            _ns, action, params = parse_action(binding.action)
            name = str(params[0]) if action == "flow" and params else action
            if self.check_action(action, params):
                return  # offered: the binding runs it
            why = refusal(self.ld, name, self.on_behalf)
            if why:
                event.stop()
                event.prevent_default()
                self.say(why, True)
                self.notify(why, title=binding.description, severity="warning", markup=False)
                return

    # --- actions ----------------------------------------------------------------------------
    def action_close(self) -> None:
        focused = self.focused
        body = self.query_one("#dispute-body")
        if isinstance(focused, EDITORS) or (focused is not None and body in focused.ancestors
                                            and focused is not body):
            body.focus()  # first Escape leaves the field (letter keys work again); the next one closes
            if self.unsaved_draft():
                self.say(flows.unsaved_hint(self) + "; Escape again closes the form (it asks first).")
            return
        self._flow(flows.close)

    def action_edit(self) -> None:
        for f in self.query(EditField):
            self._reveal(f.editor)
            return

    def action_save(self) -> None:
        self._flow(flows.save)

    def action_save_draft(self) -> None:
        self._flow(flows.save_draft)

    def action_flow(self, name: str) -> None:
        self._flow(getattr(flows, name))

    def action_on_behalf(self) -> None:
        self.on_behalf = not self.on_behalf
        self.say("Type the response received by phone or e-mail: ctrl+s keeps a draft; Escape, then r records it "
                 "on the manager's behalf (cannot be changed afterwards)."
                 if self.on_behalf else "")
        if self.ld is not None:
            self.run_worker(self._show_again(), group="dispute-flow")

    async def _show_again(self) -> None:
        assert self.ld is not None
        await self._show(self.ld, force=True)
        if self.on_behalf:
            self.field_error("response", "")

    def action_history(self) -> None:
        self.drp.open_history(dispute_id=self.dispute_id)

    # --- used by the flows --------------------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        """The chair's edited fields, parsed for update_draft (FieldProblem if one is unusable)."""
        out: dict[str, Any] = {}
        for f in self.query(EditField):
            if f.spec.key != "response" and f.raw != self._original.get(f.spec.key):
                out[f.spec.key] = f.parsed()
        return out

    def response_input(self) -> tuple[str, list[ds.ActionInput]]:
        text = next((f.raw for f in self.query(EditField) if f.spec.key == "response"), "")
        if not str(text).strip():
            raise FieldProblem("response", "response: write the response (the SMART action plan) first")
        rows = next(iter(self.query(ActionsEditor))).parsed()
        return str(text), [ds.ActionInput(w, o, d) for w, o, d in rows]

    def rebase(self) -> None:
        """The next load's version becomes the one saves compare against (the person has been told)."""
        self._rebase = True

    def refill(self) -> None:
        """After a save: fill the fields from the database (what was saved, cleaned)."""
        self._drop_pending = True

    def after_response(self) -> None:
        self.on_behalf = False
        self._drop_pending = True

