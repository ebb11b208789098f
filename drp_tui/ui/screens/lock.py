"""The idle lock: no personal data on show; the same person's password, or someone else.

The app has already moved every screen of the session out of sight (they wait in
their modes, unrendered) and cleared notifications. Unlocking as the same person
brings them back; signing in as someone else discards them, after saving any
unsaved form text as a draft for its owner (``DrpApp.unlocked``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from drp_tui.domain.model import StaffView
from drp_tui.ui.keys import LOCK_BINDINGS
from drp_tui.ui.screens.credentials import CredentialsScreen
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.text import visible


class LockScreen(CredentialsScreen):
    USER_ID, PASSWORD_ID, SUBMIT_ID, ERROR_ID = "lock-username", "lock-password", "unlock", "lock-error"

    BINDINGS = LOCK_BINDINGS
    TITLE = "Locked"
    AUTO_FOCUS = "#lock-password, #unlock"

    def __init__(self, username: str, display_name: str) -> None:
        super().__init__()
        self.username = username
        self.display_name = display_name

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=True)
        with Vertical(id="lock-box", classes="gate-box"):
            yield Static(Text("The desk is locked", style="bold"), classes="gate-title")
            yield Static(Text(f"Signed in: {visible(self.display_name)}. "
                              + ("Press Enter to carry on." if self.os_auth else
                                 "Enter your password to carry on, or press ctrl+n to sign in as someone else.")),
                         id="lock-who")
            if not self.os_auth:
                yield Label("User name", classes="field-label")
                yield Input(self.username, id="lock-username", compact=True, disabled=True)
                yield Label("Password", classes="field-label")
                yield Input(id="lock-password", password=True, placeholder="password", compact=True)
            yield Static("", id="lock-error", classes="gate-error")
            yield Button("Unlock", id="unlock", variant="primary", compact=True)
        yield Footer()

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

    def authenticated(self, user: StaffView) -> None:
        self.desk_app.unlocked(user)
