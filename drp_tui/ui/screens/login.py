"""Log-in: user name and password (masked), or the OS login when ``auth = "os"``.

No personal data here: the header shows the process and the time only. The
password check (scrypt, slow on purpose) runs in a worker; a refusal from
``services.auth`` (wrong password, account locked) is shown as its message.
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

from drp_tui.domain.model import StaffView
from drp_tui.services.auth import AuthError
from drp_tui.ui.keys import LOGIN_BINDINGS
from drp_tui.ui.widgets.header import DeskHeader

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp


class AuthDone(Message):
    """Result of a sign-in attempt: ``user`` on success, else ``error``."""

    def __init__(self, user: StaffView | None, error: str = "") -> None:
        super().__init__()
        self.user = user
        self.error = error


def attempt(app: DrpApp, username: str | None, password: str | None) -> AuthDone:
    """Run one sign-in (on a worker thread): None username = the OS login."""
    try:
        if username is None:
            user = app.desk.sign_in_os()
        else:
            user = app.desk.sign_in(username, password or "")
    except AuthError as exc:
        return AuthDone(None, exc.message)
    except Exception as exc:  # the database, not the person: say so without a traceback
        return AuthDone(None, f"Cannot sign in: the database did not answer ({type(exc).__name__}).")
    return AuthDone(user)


class LoginScreen(Screen[None]):
    BINDINGS = LOGIN_BINDINGS
    TITLE = "Sign in"
    AUTO_FOCUS = "#username, #sign-in"

    def __init__(self, message: str = "") -> None:
        super().__init__()
        self.message = message
        self.busy = False
        self.shown_message = message

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    @property
    def os_auth(self) -> bool:
        return self.desk_app.desk.setup.config.auth == "os"

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
        yield Footer()

    def on_mount(self) -> None:
        if self.os_auth and not self.message:
            self.submit()

    @on(Input.Submitted, "#username")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#sign-in")
    def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.show_error("Checking…", error=False)
        if self.os_auth:
            self._auth(None, None)
            return
        username = self.query_one("#username", Input).value
        password = self.query_one("#password", Input)
        secret, password.value = password.value, ""
        self._auth(username, secret)

    @work(thread=True, exclusive=True, group="auth", name="sign-in", exit_on_error=False)
    def _auth(self, username: str | None, password: str | None) -> None:
        self.post_message(attempt(self.desk_app, username, password))

    @on(AuthDone)
    def _done(self, result: AuthDone) -> None:
        self.busy = False
        if result.user is None:
            self.show_error(result.error)
            if not self.os_auth:
                self.query_one("#password", Input).focus()
            return
        self.show_error("", error=False)
        self.desk_app.signed_in()

    def show_error(self, message: str, *, error: bool = True) -> None:
        box = self.query_one("#login-error", Static)
        box.set_class(error and bool(message), "-error")
        box.update(Text(message))
        self.shown_message = message
