"""Set an unlock PIN (``auth = "os"``): asked once, at the first sign-in, before the desk opens.

Under OS sign-in the idle lock cannot ask for the OS password (unless PAM is
available), so the person chooses a PIN of at least 6 characters or digits; it
is stored as a scrypt hash and is needed to unlock. An administrator clears it
with ``drp user reset-pin``; the person then sets a new one at their next sign-in.
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

from drp_tui.services.auth import MIN_PIN
from drp_tui.services.errors import DomainError
from drp_tui.ui.keys import LOGIN_BINDINGS
from drp_tui.ui.widgets.header import DeskHeader

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp


class PinSet(Message):
    """Result of setting the PIN: ``error`` empty on success (``field`` names the bad field)."""

    def __init__(self, error: str = "", field: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.field = field


class SetPinScreen(Screen[None]):
    BINDINGS = LOGIN_BINDINGS
    TITLE = "Set your unlock PIN"
    AUTO_FOCUS = "#pin"

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.shown_message = ""

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=True)
        with Vertical(id="pin-box", classes="gate-box"):
            yield Static(Text("Set your unlock PIN", style="bold"), classes="gate-title")
            yield Static(f"The desk locks when left idle; you will need this PIN to unlock it. "
                         f"At least {MIN_PIN} characters or digits.", id="pin-why")
            yield Label("Unlock PIN", classes="field-label")
            yield Input(id="pin", password=True, placeholder="new unlock PIN", compact=True)
            yield Label("Confirm PIN", classes="field-label")
            yield Input(id="pin-confirm", password=True, placeholder="the same PIN again", compact=True)
            yield Static("", id="pin-error", classes="gate-error")
            yield Button("Set PIN", id="set-pin", variant="primary", compact=True)
        yield Footer()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pin":
            self.query_one("#pin-confirm", Input).focus()
        else:
            self.submit()

    @on(Button.Pressed, "#set-pin")
    def _pressed(self) -> None:
        self.submit()

    def submit(self) -> None:
        if self.busy:
            return
        pin, confirm = self.query_one("#pin", Input), self.query_one("#pin-confirm", Input)
        secrets = (pin.value, confirm.value)
        pin.value = confirm.value = ""
        self.busy = True
        self.show_error("Saving…", error=False)
        self._set(*secrets)

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _set(self, pin: str, confirm: str) -> None:
        try:
            self.desk_app.desk.set_unlock_pin(pin, confirm)
        except DomainError as exc:
            self.post_message(PinSet(exc.message, exc.field))
            return
        except Exception as exc:  # the database, not the person
            self.post_message(PinSet(f"Cannot save the PIN: the database did not answer ({type(exc).__name__})."))
            return
        self.post_message(PinSet())

    @on(PinSet)
    def _done(self, result: PinSet) -> None:
        result.stop()
        self.busy = False
        if result.error:
            self.show_error(result.error)
            self.query_one("#pin", Input).focus()
            return
        self.app.pop_screen()
        self.desk_app.signed_in()

    def show_error(self, message: str, *, error: bool = True) -> None:
        box = self.query_one("#pin-error", Static)
        box.set_class(error and bool(message), "-error")
        box.update(Text(message))
        self.shown_message = message
