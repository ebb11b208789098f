"""Choose a secret, typed twice and masked, before the desk opens: the base of the
"Choose your password" (after a one-time set-up code) and "Set your unlock PIN" screens.

A subclass says its words, its widget ids and which desk call saves the secret; the
check and the hash run in a worker, and both boxes are cleared whatever the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from drp_tui.services.errors import DomainError
from drp_tui.ui.keys import LOGIN_BINDINGS
from drp_tui.ui.screens.credentials import GateScreen
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from drp_tui.ui.desk import Desk


class SecretSaved(Message):
    """Result of saving the secret: ``error`` empty on success (``field`` names the bad field)."""

    def __init__(self, error: str = "", field: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.field = field


class NewSecretScreen(GateScreen):
    BINDINGS = LOGIN_BINDINGS
    ID: ClassVar[str]  # the first box's id; the second is ID-confirm (the message line is ERROR_ID)
    BOX_ID: ClassVar[str]
    WHAT: ClassVar[str]  # "password", "PIN": in the failure message
    LABELS: ClassVar[tuple[str, str]]
    PLACEHOLDERS: ClassVar[tuple[str, str]]
    BUTTON: ClassVar[tuple[str, str]]  # (id, label)

    def why(self) -> str:
        """The line under the title: why this is asked, and the rule for it."""
        raise NotImplementedError

    def save(self, desk: Desk, secret: str, confirm: str) -> None:
        """Check and store the secret (raises DomainError naming what is wrong)."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=True)
        with Vertical(id=self.BOX_ID, classes="gate-box"):
            yield Static(Text(str(self.TITLE), style="bold"), classes="gate-title")
            yield Static(self.why(), id=f"{self.BOX_ID.removesuffix('-box')}-why")
            yield Label(self.LABELS[0], classes="field-label")
            yield Input(id=self.ID, password=True, placeholder=self.PLACEHOLDERS[0], compact=True)
            yield Label(self.LABELS[1], classes="field-label")
            yield Input(id=f"{self.ID}-confirm", password=True, placeholder=self.PLACEHOLDERS[1], compact=True)
            yield Static("", id=self.ERROR_ID, classes="gate-error")
            yield Button(self.BUTTON[1], id=self.BUTTON[0], variant="primary", compact=True)
        yield DeskFooter()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.ID:
            self.query_one(f"#{self.ID}-confirm", Input).focus()
        else:
            self.submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == self.BUTTON[0]:
            self.submit()

    def submit(self) -> None:
        if self.busy:
            return
        first, again = self.query_one(f"#{self.ID}", Input), self.query_one(f"#{self.ID}-confirm", Input)
        secrets = (first.value, again.value)
        first.value = again.value = ""
        self.busy = True
        self.show_error("Saving…", error=False)
        self._set(*secrets)

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _set(self, secret: str, confirm: str) -> None:
        try:
            self.save(self.desk_app.desk, secret, confirm)
        except DomainError as exc:
            self.post_message(SecretSaved(exc.message, exc.field))
            return
        except Exception as exc:  # the database, not the person
            self.post_message(SecretSaved(f"Cannot save the {self.WHAT}: the database did not answer "
                                          f"({type(exc).__name__})."))
            return
        self.post_message(SecretSaved())

    @on(SecretSaved)
    def _done(self, result: SecretSaved) -> None:
        result.stop()
        self.busy = False
        if result.error:
            self.show_error(result.error)
            self.query_one(f"#{self.ID}", Input).focus()
            return
        self.app.pop_screen()
        self.desk_app.signed_in()
