"""Log-in: user name and password (masked), or the OS login when ``auth = "os"``.

A new account signs in the first time with the one-time set-up code its administrator
gave, typed as the password; the person then chooses a password before the desk opens.

No personal data here: the header shows the process and the time only. The
password check (scrypt, slow on purpose) runs in a worker; a refusal from
``services.auth`` (wrong password, account locked) is shown as its message.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from drp_tui.domain.model import StaffView
from drp_tui.ui.keys import LOGIN_BINDINGS
from drp_tui.ui.screens.credentials import AuthDone, CredentialsScreen, attempt
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.footer import DeskFooter

__all__ = ["AuthDone", "LoginScreen", "attempt"]


class LoginScreen(CredentialsScreen):
    USER_ID, PASSWORD_ID, SUBMIT_ID, ERROR_ID = "username", "password", "sign-in", "login-error"

    BINDINGS = LOGIN_BINDINGS
    TITLE = "Sign in"
    AUTO_FOCUS = "#username, #sign-in"

    def __init__(self, message: str = "") -> None:
        super().__init__()
        self.message = message
        self.shown_message = message

    def compose(self) -> ComposeResult:
        vocabulary = self.desk_app.desk.policy.vocabulary
        yield DeskHeader(private=True)
        with Vertical(id="login-box", classes="gate-box"):
            yield Static(Text(f"{vocabulary.process} — sign in", style="bold"), classes="gate-title")
            if self.os_auth:
                yield Static("You are signed in with your computer login. Press Enter to open the desk.")
            else:
                yield Label("User name", classes="field-label")
                yield Input(id="username", placeholder="your user name", compact=True)
                yield Label("Password", classes="field-label")
                yield Input(id="password", password=True, placeholder="password", compact=True)
            yield Static(Text(self.message), id="login-error", classes="gate-error")
            yield Button("Sign in", id="sign-in", variant="primary", compact=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        if self.os_auth and not self.message:
            self.submit()

    def authenticated(self, user: StaffView) -> None:
        self.show_error("", error=False)
        if self.os_auth and self.desk_app.desk.needs_pin:  # first OS sign-in: a PIN for the idle lock
            from drp_tui.ui.screens.pin import SetPinScreen  # (rare: imported when needed)

            self.app.push_screen(SetPinScreen())
            return
        if self.desk_app.desk.needs_password:  # signed in with a one-time set-up code
            from drp_tui.ui.screens.first_password import ChoosePasswordScreen  # (rare: imported when needed)

            self.app.push_screen(ChoosePasswordScreen())
            return
        self.desk_app.signed_in()
