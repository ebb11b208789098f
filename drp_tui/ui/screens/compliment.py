"""Compliment: recognise good practice about one child, to the social worker and team manager.

Pushed by ``app.open_compliment(child_id)``. Shows who it goes to before it is
sent; ctrl+s sends it (``services.inbox.send_compliment`` in a worker); a refusal
or a problem with the text is shown on the screen, naming the field, and the text
is kept. After sending, the recipients find it in their inbox. Text closed unsent
(Escape, after a refusal or not) comes back when the same person opens the compliment
about the same child again in this desk; it is forgotten once sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState

from drp_tui.crash import user_message
from drp_tui.domain.model import Role
from drp_tui.services import inbox
from drp_tui.services.errors import DomainError
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import safe_text, visible
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.domain.views import ComplimentTarget, Recipient
    from drp_tui.ui.app import DrpApp

COMPLIMENT_BINDINGS: list[Binding] = [
    Binding("ctrl+s", "send", "Send", priority=True, id="compliment.send",
            tooltip="Send the compliment to the people shown"),
    Binding("escape", "back", "Cancel", id="compliment.cancel", tooltip="Close without sending"),
]


_UNSENT: WeakKeyDictionary[object, dict[tuple[int, int], str]] = WeakKeyDictionary()  # app -> (person, child) -> text


def recipient_words(recipients: tuple[Recipient, ...]) -> str:
    """``Sam Worth (Social Worker) and Dana Whitlow (Team Manager)``."""
    parts = [f"{visible(r.name)} ({visible(r.title)})" if r.title else visible(r.name) for r in recipients]
    if not parts:
        return "nobody (no social worker or team manager is recorded)"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class ComplimentScreen(Screen[None]):
    CSS_PATH = "../tcss/screens.tcss"
    BINDINGS = COMPLIMENT_BINDINGS
    TITLE = "Compliment"

    def __init__(self, child_id: int) -> None:
        super().__init__()
        self.child_id = child_id
        self.target: ComplimentTarget | None = None
        self.sending = False

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Compliment", id="compliment-title", classes="screen-title")
        with Vertical(id="compliment-form"):
            yield Static("", id="compliment-to")
            yield Static("What was done well (shown to them as you type it)", classes="field-label")
            yield TextArea(id="compliment-text", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
            yield Static("", id="compliment-error", classes="error-line")
        yield DeskFooter()

    def _unsent(self) -> dict[tuple[int, int], str]:
        return _UNSENT.setdefault(self.app, {})

    def _memo_key(self) -> tuple[int, int]:
        user = self.desk_app.desk.user
        return (user.id if user else 0, self.child_id)

    def on_mount(self) -> None:
        area = self.query_one("#compliment-text", TextArea)
        kept = self._unsent().get(self._memo_key())
        if kept:
            area.text = kept
            area.move_cursor(area.document.end)
        area.focus()
        desk = self.desk_app.desk
        if not desk.policy.rules.compliments:
            self.show_error(f"{desk.policy.vocabulary.process}: this procedure has no compliments form.")
        elif desk.role is not Role.CHAIR:
            self.show_error("Only a chair can send a compliment.")
        self._load()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="compliment-load", exit_on_error=False)
    def _load(self) -> None:
        desk = self.desk_app.desk
        target = desk.compliment_target(self.child_id)
        self.app.call_from_thread(self._show, target)

    def _show(self, target: ComplimentTarget) -> None:
        if not self.is_attached:
            return
        self.target = target
        c = target.child
        title = Text("Compliment about work with ", no_wrap=True, end="")
        title.append(visible(c.name))
        title.append(f" ({visible(c.case_number)})")
        self.query_one("#compliment-title", Static).update(title)
        to = Text(end="")
        to.append("To: ", style="bold")
        to.append(recipient_words(target.recipients))
        to.append("\nThey will find it in their inbox; it is also kept on the child's record.")
        self.query_one("#compliment-to", Static).update(to)

    def show_error(self, message: str) -> None:
        self.query_one("#compliment-error", Static).update(safe_text(message))

    # --- sending -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            desk = self.desk_app.desk
            return desk.role is Role.CHAIR and desk.policy.rules.compliments and not self.sending
        return True

    def action_send(self) -> None:
        if self.sending:
            return
        self.sending = True
        self.show_error("")
        self.refresh_bindings()
        self._send(self.query_one("#compliment-text", TextArea).text)

    @work(thread=True, exclusive=True, group="compliment-send", exit_on_error=False)
    def _send(self, text: str) -> None:
        try:
            self.desk_app.desk.call(inbox.send_compliment, self.child_id, text)
        except DomainError as err:
            self.app.call_from_thread(self._refused, err)
            return
        self.app.call_from_thread(self._sent)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.sending = False
            self.refresh_bindings()
            self.show_error(user_message(err))

    def _refused(self, err: DomainError) -> None:
        self.sending = False
        self.refresh_bindings()
        self.show_error(f"{err.title}: {err.message}")
        if err.field in (None, "compliment"):
            self.query_one("#compliment-text", TextArea).focus()

    def _sent(self) -> None:
        self.sending = False
        self._unsent().pop(self._memo_key(), None)
        to = recipient_words(self.target.recipients) if self.target else "the social worker and team manager"
        self.app.notify(f"Compliment sent to {to}.", title="Compliment", markup=False)
        self.desk_app.data_changed()
        if self.is_current:
            self.dismiss(None)

    def action_back(self) -> None:
        text = self.query_one("#compliment-text", TextArea).text
        if text.strip():
            self._unsent()[self._memo_key()] = text
        else:
            self._unsent().pop(self._memo_key(), None)
        self.dismiss(None)
