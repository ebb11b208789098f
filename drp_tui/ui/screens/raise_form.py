"""Raise a dispute from a child (and, linked, for the siblings it also concerns).

Drafts: ``unsaved_draft()`` returns ``{field key: raw value}`` for every changed field (text,
a choice's value, a tick) and ``"sib-<child id>": bool`` for changed sibling ticks. That is the
stored draft payload (kept per child); when its owner opens this child's raise form again it is
offered back (restore / discard / later). Raising the dispute, or discarding the text on close,
removes the restored draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Select, Static, TextArea
from textual.worker import WorkerFailed

from drp_tui.crash import user_message
from drp_tui.domain import forms
from drp_tui.domain.policy import ClockFrom, Policy
from drp_tui.domain.timeutil import london_date
from drp_tui.services import disputes as ds
from drp_tui.services import drafts, reads
from drp_tui.services.drafts import DraftView
from drp_tui.services.errors import ValidationError
from drp_tui.ui.screens.dialogs import ConfirmDialog
from drp_tui.ui.screens.drafts import offer_question
from drp_tui.ui.widgets.form_fields import EditField, FieldProblem, FieldSpec, Tick, plain
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.domain.views import ChildView
    from drp_tui.ui.app import DrpApp

EDITORS = (Input, TextArea, Select, Checkbox)


@dataclass(frozen=True)
class RaiseData:
    child: ChildView
    siblings: tuple[ChildView, ...]
    policy: Policy


class RaiseScreen(Screen[None]):
    """The chair's section 1: what the concern is, for which children, at which level."""

    CSS_PATH = "../tcss/dispute.tcss"
    TITLE = "Raise a dispute"
    BINDINGS = [
        Binding("ctrl+s", "raise", "Raise", priority=True, id="raise.submit"),
        Binding("escape", "close", "Close", id="raise.close"),
    ]

    def __init__(self, child_id: int) -> None:
        super().__init__()
        self.child_id = child_id
        self.data: RaiseData | None = None
        self._original: dict[str, Any] = {}
        self.draft_id: int | None = None  # a draft restored into the form (removed once raised or discarded)

    @property
    def drp(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Content("Raise a dispute"), id="raise-title")
        yield Static("", id="raise-hint")
        yield Static("", id="raise-message")
        yield VerticalScroll(id="raise-body")
        yield DeskFooter()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="raise-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            desk = self.drp.desk
            data = RaiseData(desk.call(reads.child, self.child_id),
                             tuple(desk.call(reads.child_siblings, self.child_id)), desk.policy)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.app.call_from_thread(self.say, user_message(exc), True)
            return
        self.app.call_from_thread(self._show, data)  # type: ignore[arg-type]

    async def _show(self, data: RaiseData) -> None:
        self.data = data
        p, c = data.policy, data.child
        today = london_date(self.drp.desk.clock.now())
        self.query_one("#raise-title", Static).update(Content.assemble(
            (f"Raise a {p.vocabulary.short} for ", "bold"), plain(c.name, "bold"),
            plain(f" ({c.case_number}, {c.legal_status})")))
        hints = []
        if p.rules.not_for:
            hints.append(p.rules.not_for)
        rw = p.rules.raise_window
        if rw.is_set:
            frm = rw.counted_from(ClockFrom.ISSUE_AROSE)
            hints.append(f"Raise within {rw.describe()} of the issue arising." if frm is ClockFrom.ISSUE_AROSE
                         else f"Send the {p.vocabulary.short} report within {rw.describe()} {frm.phrase}.")
        self.query_one("#raise-hint", Static).update(plain(" ".join(hints)))
        starts = p.starting_stages()
        # What the form starts with (the rest starts empty): the first starting level, today.
        start = {"start_stage": starts[0].key if starts else None, "raised_on": today, "against_wishes": False,
                 "immediate": False}
        fields = [FieldSpec.of(f, start.get(f.key)) for f in forms.raise_fields(p)]
        body = self.query_one("#raise-body", VerticalScroll)
        kids: list[Any] = []
        if data.siblings:
            note = (" (this procedure records one linked dispute per sibling concerned)"
                    if p.rules.siblings_together else "")
            kids.append(Static(Content(f"Siblings it also concerns{note}:"), classes="ef-label"))
            kids += [Tick(Content.assemble(plain(s.name), plain(f" ({s.case_number}, {s.legal_status})")), False,
                          id=f"sib-{s.id}", compact=True) for s in data.siblings]
        await body.remove_children()
        await body.mount_all([Vertical(*kids, id="raise-children"), *(EditField(f) for f in fields)])
        self._original = self._raw()
        self.query_one("#f-category").focus()
        self._check_draft()

    # --- a kept draft of this form -------------------------------------------------------------
    @work(thread=True, group="raise-draft", exit_on_error=False)
    def _check_draft(self) -> None:
        found = self.drp.desk.call(drafts.draft_for, child_id=self.child_id)
        if found is not None:
            self.app.call_from_thread(self._offer_draft, found)

    def _offer_draft(self, found: DraftView) -> None:
        self.app.push_screen(offer_question(found), callback=lambda answer: self._draft_answer(found, answer))

    def _draft_answer(self, found: DraftView, answer: str | None) -> None:
        if answer == "restore":
            self.restore_draft(found)
        elif answer == "discard":
            self._remove_draft(found.id, "discarded when the form offered it")
        else:
            self.say("Your draft is kept: it is offered again next time, and F6 lists your drafts.")

    def restore_draft(self, found: DraftView) -> None:
        """Put the draft's values back into the form exactly as they were typed."""
        missing = []
        fields = {f.spec.key: f for f in self.query(EditField)}
        for key, value in found.payload.items():
            if key in fields:
                fields[key].set_raw(value)
            elif key.startswith("sib-") and self.query(f"#{key}"):
                self.query_one(f"#{key}", Tick).value = bool(value)
            else:
                missing.append(key.replace("_", " "))
        self.draft_id = found.id
        note = f" ({', '.join(missing)}: no longer in this form)" if missing else ""
        self.say(f"Your draft is back in the form{note}: ctrl+s raises it (it stays a draft until then).")

    def _remove_draft(self, draft_id: int, why: str) -> None:
        """In an app worker: the form may be closing (its own workers end with it)."""
        desk, app = self.drp.desk, self.drp
        ctx = desk.ctx()

        def remove() -> None:
            drafts.remove_draft(ctx, draft_id, why)
            app.call_from_thread(app.refresh_drafts)

        app.run_worker(remove, thread=True, group="drafts", name="remove-draft", exit_on_error=False)

    def _raw(self) -> dict[str, Any]:
        out = {f.spec.key: f.raw for f in self.query(EditField)}
        out.update({t.id or "": t.value for t in self.query(Tick) if (t.id or "").startswith("sib-")})
        return out

    def unsaved_draft(self) -> dict[str, Any] | None:
        now = self._raw()
        changed = {k: v for k, v in now.items() if v != self._original.get(k)}
        return changed or None

    def say(self, message: str, error: bool = False) -> None:
        bar = self.query_one("#raise-message", Static)
        bar.update(plain(message))
        bar.set_class(bool(message), "-shown")
        bar.set_class(error, "-error")

    def field_error(self, key: str, message: str) -> None:
        self.say(message, True)
        for f in self.query(EditField):
            if f.spec.key == key.replace(" ", "_"):
                f.show_error(message)
                f.editor.focus()
                self.call_after_refresh(f.editor.scroll_visible, animate=False)
                return
        if key == "children":
            for t in self.query(Tick):
                t.focus()
                return

    def raise_input(self) -> ds.RaiseInput:
        assert self.data is not None
        v = {f.spec.key: f.parsed() for f in self.query(EditField)}
        sibs = [s.id for s in self.data.siblings if self.query_one(f"#sib-{s.id}", Tick).value]
        return ds.RaiseInput(
            child_ids=[self.data.child.id, *sibs], category=v["category"], start_stage=v["start_stage"],
            issue_arose=v["issue_arose"], raised_on=v["raised_on"], concern=v["concern"], impact=v["impact"],
            wanted=v["wanted"], timescales=v["timescales"], child_wishes=v["child_wishes"],
            against_wishes=bool(v["against_wishes"]), immediate=bool(v.get("immediate", False)),
            facts={k[len(forms.FACT_PREFIX):]: bool(x) for k, x in v.items() if k.startswith(forms.FACT_PREFIX)})

    def action_raise(self) -> None:
        if self.data is None:
            return
        self.say("")
        for f in self.query(EditField):
            f.show_error("")
        try:
            data = self.raise_input()
        except FieldProblem as problem:
            self.field_error(problem.key, problem.message)
            return
        self._submit(data)

    @work(group="raise-flow", exclusive=True, exit_on_error=False)
    async def _submit(self, data: ds.RaiseInput) -> None:
        worker = self.run_worker(lambda: self.drp.desk.call(ds.raise_dispute, data), thread=True,
                                 group="raise-write", exit_on_error=False)
        try:
            ids: list[int] = await worker.wait()
        except WorkerFailed as failed:
            err = failed.error
            message = user_message(err)
            if isinstance(err, ValidationError) and err.field:
                self.field_error(err.field, message)
            else:
                self.say(message, True)
            return
        app = self.drp
        if self.draft_id is not None:
            self._remove_draft(self.draft_id, "raised")

        def open_new() -> None:  # on the app's queue: popping this screen ends this worker
            app.pop_screen()
            app.open_dispute(ids[0])

        app.data_changed()
        app.call_later(open_new)

    def action_close(self) -> None:
        focused = self.focused
        body = self.query_one("#raise-body")
        if isinstance(focused, EDITORS) and body in focused.ancestors:
            body.focus()  # first Escape leaves the field; the next one closes the form
            return
        self._close()

    @work(group="raise-flow", exclusive=True, exit_on_error=False)
    async def _close(self) -> None:
        draft = self.unsaved_draft()
        if draft and not await self.app.push_screen_wait(ConfirmDialog(
                "You have typed in this form. Discard it and close?", title="Unsaved changes",
                yes="Discard", no="Keep editing")):
            return
        if draft and self.draft_id is not None:
            self._remove_draft(self.draft_id, "discarded on closing the form")
        self.app.call_later(self.dismiss, None)
