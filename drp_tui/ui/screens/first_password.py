"""Choose your password: after signing in with the one-time set-up code an administrator gave.

Shown once, before the desk opens. The new password (typed twice, masked) replaces the
set-up code, which is then used up; the check and the hash run in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from drp_tui.services.accounts import MIN_PASSWORD
from drp_tui.services.errors import DomainError
from drp_tui.ui.keys import LOGIN_BINDINGS
from drp_tui.ui.widgets.header import DeskHeader

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp


class PasswordChosen(Message):
    """Result of choosing the password: ``error`` empty on success."""

    def __init__(self, error: str = "") -> None:
        super().__init__()
        self.error = error


class ChoosePasswordScreen(Screen[None]):
    BINDINGS = LOGIN_BINDINGS
    TITLE = "Choose your password"
    AUTO_FOCUS = "#new-password"

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.shown_message = ""

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=True)
        with Vertical(id="first-password-box", classes="gate-box"):
            yield Static(Text("Choose your password", style="bold"), classes="gate-title")
            yield Static(f"You signed in with a one-time set-up code. Choose the password you will sign in "
                         f"with from now on: at least {MIN_PASSWORD} characters, not your user name.",
                         id="first-password-why")
            yield Label("New password", classes="field-label")
            yield Input(id="new-password", password=True, placeholder="new password", compact=True)
            yield Label("Confirm password", classes="field-label")
            yield Input(id="new-password-confirm", password=True, placeholder="the same password again",
                        compact=True)
            yield Static("", id="first-password-error", classes="gate-error")
            yield Button("Set password", id="set-password", variant="primary", compact=True)
        yield Footer()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "new-password":
            self.query_one("#new-password-confirm", Input).focus()
        else:
            self.submit()

    @on(Button.Pressed, "#set-password")
    def _pressed(self) -> None:
        self.submit()

    def submit(self) -> None:
        if self.busy:
            return
        first, again = self.query_one("#new-password", Input), self.query_one("#new-password-confirm", Input)
        secrets = (first.value, again.value)
        first.value = again.value = ""
        self.busy = True
        self.show_error("Saving…", error=False)
        self._set(*secrets)

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _set(self, password: str, confirm: str) -> None:
        try:
            self.desk_app.desk.choose_password(password, confirm)
        except DomainError as exc:
            self.post_message(PasswordChosen(exc.message))
            return
        except Exception as exc:  # the database, not the person
            self.post_message(PasswordChosen(f"Cannot save the password: the database did not answer "
                                             f"({type(exc).__name__})."))
            return
        self.post_message(PasswordChosen())

    @on(PasswordChosen)
    def _done(self, result: PasswordChosen) -> None:
        result.stop()
        self.busy = False
        if result.error:
            self.show_error(result.error)
            self.query_one("#new-password", Input).focus()
            return
        self.app.pop_screen()
        self.desk_app.signed_in()

    def show_error(self, message: str, *, error: bool = True) -> None:
        box = self.query_one("#first-password-error", Static)
        box.set_class(error and bool(message), "-error")
        box.update(Text(message))
        self.shown_message = message
