"""The idle lock: no personal data on show; the same person's proof, or sign out.

The app has already moved every screen of the session out of sight (they wait in
their modes, unrendered) and cleared notifications. Unlocking as the same person
brings them back; signing in as someone else discards them, after saving any
unsaved form text as a draft for its owner (``DrpApp.unlocked``).

With ``auth = "password"`` the owner unlocks with their password, or someone else
signs in as themselves (ctrl+n). With ``auth = "os"`` nobody else can prove an
OS identity inside this process, so the screen offers only the owner's unlock
PIN (or OS password, when PAM is available) and sign-out (ctrl+o; unsaved text
is kept as drafts). A bare Enter never unlocks.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from drp_tui.domain.model import StaffView
from drp_tui.services.errors import DomainError
from drp_tui.ui.keys import LOCK_BINDINGS
from drp_tui.ui.screens.credentials import AuthDone, CredentialsScreen
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import visible
from drp_tui.ui.widgets.footer import DeskFooter


class LockScreen(CredentialsScreen):
    USER_ID, PASSWORD_ID, SUBMIT_ID, ERROR_ID = "lock-username", "lock-password", "unlock", "lock-error"

    BINDINGS = LOCK_BINDINGS
    TITLE = "Locked"
    AUTO_FOCUS = "#lock-password, #unlock"

    def __init__(self, username: str, display_name: str, staff_id: int | None = None) -> None:
        super().__init__()
        self.username = username
        self.display_name = display_name
        self.staff_id = staff_id

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=True)
        with Vertical(id="lock-box", classes="gate-box"):
            yield Static(Text("The desk is locked", style="bold"), classes="gate-title")
            if self.os_auth:
                yield Static(Text(f"Signed in: {visible(self.display_name)}. Enter your unlock PIN to carry on, "
                                  "or press ctrl+o to sign out (unsaved text is kept as a draft)."),
                             id="lock-who")
                yield Label("Unlock PIN", classes="field-label")
                yield Input(id="lock-password", password=True, placeholder="unlock PIN", compact=True)
            else:
                yield Static(Text(f"Signed in: {visible(self.display_name)}. Enter your password to carry on, "
                                  "or press ctrl+n to sign in as someone else."), id="lock-who")
                yield Label("User name", classes="field-label")
                yield Input(self.username, id="lock-username", compact=True, disabled=True)
                yield Label("Password", classes="field-label")
                yield Input(id="lock-password", password=True, placeholder="password", compact=True)
            yield Static("", id="lock-error", classes="gate-error")
            yield Button("Unlock", id="unlock", variant="primary", compact=True)
        yield DeskFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "other_user":
            return not self.os_auth
        return True

    def action_other_user(self) -> None:
        user = self.query_one("#lock-username", Input)
        user.disabled = False
        user.value = ""
        self.query_one("#lock-password", Input).value = ""
        user.focus()
        self.show_error("Sign in as someone else: this session's screens will be closed "
                        "(unsaved text is kept as a draft for its owner).", error=False)

    def action_sign_out(self) -> None:
        self.desk_app.sign_out_now()

    def submit(self) -> None:
        if not self.os_auth:
            super().submit()
            return
        if self.busy:
            return
        pin = self.query_one("#lock-password", Input)
        secret, pin.value = pin.value, ""
        if not secret:  # a bare Enter: nothing to check, nothing counted
            self.show_error("PIN: enter your unlock PIN (a bare Enter does not unlock).")
            return
        self.busy = True
        self.show_error("Checking…", error=False)
        self._unlock_pin(secret)

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _unlock_pin(self, pin: str) -> None:
        self.post_message(self._try(lambda: self.desk_app.desk.unlock_pin(self._owner_id(), pin)))

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _auth(self, username: str | None, password: str | None) -> None:
        self.post_message(self._try(
            lambda: self.desk_app.desk.unlock(self._owner_id(), username or "", password or "")))

    def _owner_id(self) -> int:
        if self.staff_id is not None:
            return self.staff_id
        user = self.desk_app.desk.user
        return user.id if user is not None else 0

    @staticmethod
    def _try(check: Callable[[], StaffView]) -> AuthDone:
        try:
            return AuthDone(check())
        except DomainError as exc:
            return AuthDone(None, exc.message)
        except Exception as exc:  # the database, not the person: say so without a traceback
            return AuthDone(None, f"Cannot unlock: the database did not answer ({type(exc).__name__}).")

    def authenticated(self, user: StaffView) -> None:
        self.desk_app.unlocked(user)
