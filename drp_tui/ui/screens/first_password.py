"""Choose your password: after signing in with the one-time set-up code an administrator gave.

Shown once, before the desk opens. The new password (typed twice, masked) replaces the
set-up code, which is then used up; the check and the hash run in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drp_tui.services.accounts import MIN_PASSWORD
from drp_tui.ui.screens.new_secret import NewSecretScreen

if TYPE_CHECKING:
    from drp_tui.ui.desk import Desk


class ChoosePasswordScreen(NewSecretScreen):
    TITLE = "Choose your password"
    AUTO_FOCUS = "#new-password"
    ID = "new-password"
    BOX_ID = "first-password-box"
    ERROR_ID = "first-password-error"
    WHAT = "password"
    LABELS = ("New password", "Confirm password")
    PLACEHOLDERS = ("new password", "the same password again")
    BUTTON = ("set-password", "Set password")

    def why(self) -> str:
        return (f"You signed in with a one-time set-up code. Choose the password you will sign in "
                f"with from now on: at least {MIN_PASSWORD} characters, not your user name.")

    def save(self, desk: Desk, secret: str, confirm: str) -> None:
        desk.choose_password(secret, confirm)
