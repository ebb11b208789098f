"""What the log-in and lock screens share: reading the fields, checking in a worker.

The password check (scrypt, slow on purpose) runs in a worker; a refusal from
``services.auth`` (wrong password, account locked) is shown as its message. A
subclass names its widgets' ids and says what happens once someone is in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from drp_tui.domain.model import StaffView
from drp_tui.services.auth import AuthError

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


class GateScreen(Screen[None]):
    """A screen before the desk opens (sign-in, unlock, choosing a password or PIN): one
    request at a time (``busy``) and one message line (``ERROR_ID``) that is never markup."""

    ERROR_ID: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.shown_message = ""

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def show_error(self, message: str, *, error: bool = True) -> None:
        box = self.query_one(f"#{self.ERROR_ID}", Static)
        box.set_class(error and bool(message), "-error")
        box.update(Text(message))
        self.shown_message = message


class CredentialsScreen(GateScreen):
    USER_ID: ClassVar[str]
    PASSWORD_ID: ClassVar[str]
    SUBMIT_ID: ClassVar[str]

    @property
    def os_auth(self) -> bool:
        return self.desk_app.desk.setup.config.auth == "os"

    def authenticated(self, user: StaffView) -> None:
        raise NotImplementedError

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.USER_ID:
            self.query_one(f"#{self.PASSWORD_ID}", Input).focus()
        elif event.input.id == self.PASSWORD_ID:
            self.submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == self.SUBMIT_ID:
            self.submit()

    def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.show_error("Checking…", error=False)
        if self.os_auth:
            self._auth(None, None)
            return
        username = self.query_one(f"#{self.USER_ID}", Input).value
        password = self.query_one(f"#{self.PASSWORD_ID}", Input)
        secret, password.value = password.value, ""
        self._auth(username, secret)

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _auth(self, username: str | None, password: str | None) -> None:
        done = attempt(self.desk_app, username, password)
        if done.user is not None:
            self.desk_app.read_ahead_home()  # (on this thread: the desk opens next)
        self.post_message(done)

    @on(AuthDone)
    def _done(self, result: AuthDone) -> None:
        self.busy = False
        if result.user is None:
            self.show_error(result.error)
            if not self.os_auth:
                self.clear_after_failure()
            return
        self.authenticated(result.user)

    def clear_after_failure(self) -> None:
        """After a refused sign-in both boxes are emptied and the cursor goes to the user name.

        The user-name box is shown in clear, and a refusal is exactly when it may hold
        a password (typed a field too early, or a fast burst split wrongly), so its text
        never survives a failure. Always both, whatever the reason, so the screen does
        not tell whether the account exists. A locked screen's own user name (box
        disabled, not typed) stays; the cursor goes back to its password.
        """
        user = self.query_one(f"#{self.USER_ID}", Input)
        password = self.query_one(f"#{self.PASSWORD_ID}", Input)
        password.value = ""
        if user.disabled:
            password.focus()
            return
        user.value = ""
        user.focus()
