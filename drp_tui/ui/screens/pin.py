"""Set an unlock PIN (``auth = "os"``): asked once, at the first sign-in, before the desk opens.

Under OS sign-in the idle lock cannot ask for the OS password (unless PAM is
available), so the person chooses a PIN of at least 6 characters or digits; it
is stored as a scrypt hash and is needed to unlock. An administrator clears it
with ``drp user reset-pin``; the person then sets a new one at their next sign-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drp_tui.services.auth import MIN_PIN
from drp_tui.ui.screens.new_secret import NewSecretScreen

if TYPE_CHECKING:
    from drp_tui.ui.desk import Desk


class SetPinScreen(NewSecretScreen):
    TITLE = "Set your unlock PIN"
    AUTO_FOCUS = "#pin"
    ID = "pin"
    BOX_ID = "pin-box"
    ERROR_ID = "pin-error"
    WHAT = "PIN"
    LABELS = ("Unlock PIN", "Confirm PIN")
    PLACEHOLDERS = ("new unlock PIN", "the same PIN again")
    BUTTON = ("set-pin", "Set PIN")

    def why(self) -> str:
        return (f"The desk locks when left idle; you will need this PIN to unlock it. "
                f"At least {MIN_PIN} characters or digits.")

    def save(self, desk: Desk, secret: str, confirm: str) -> None:
        desk.set_unlock_pin(secret, confirm)
