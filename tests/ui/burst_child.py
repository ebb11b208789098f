"""Child programs for the pty burst tests (``tests/ui/pty_burst.py``).

``python -m tests.ui.burst_child KIND REPORT_FD [--stock]`` runs one app on the
terminal it was given and writes one JSON line per submission to REPORT_FD:

* ``bare``  — a plain Textual app with two Inputs (``--stock``: Textual's own key
  delivery; otherwise the desk's ``OrderedKeys``); Enter in either box reports both
  boxes, clears them and puts the cursor back in the first.
* ``login`` — the real desk on a fresh database, at the sign-in screen. Every
  sign-in is refused (the attempt is recorded, not checked) and reported, with the
  boxes' text and focus after the refusal, once the screen is ready for the next.
The child first reports ``{"ready": ...}`` once the first box has the cursor.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Input


def main() -> int:
    kind, fd = sys.argv[1], int(sys.argv[2])
    stock = "--stock" in sys.argv[3:]
    out = os.fdopen(fd, "w", buffering=1)

    def emit(payload: Any) -> None:
        out.write(json.dumps(payload) + "\n")
        out.flush()

    if kind == "bare":
        return run_bare(emit, stock)
    if kind == "login":
        return run_login(emit)
    raise SystemExit(f"unknown kind {kind}")


def run_bare(emit: Any, stock: bool) -> int:
    from drp_tui.ui.keygate import OrderedKeys

    base: type[App[None]] = App if stock else type("Gated", (OrderedKeys, App), {})

    class Bare(base):  # type: ignore[valid-type,misc]
        def compose(self) -> ComposeResult:
            yield Input(id="a")
            yield Input(id="b")

        def on_mount(self) -> None:
            self.query_one("#a").focus()
            self.call_later(self.call_later, emit, {"ready": "bare"})

        @on(Input.Submitted)
        def submitted(self, event: Input.Submitted) -> None:
            a, b = self.query_one("#a", Input), self.query_one("#b", Input)
            payload = {"a": a.value, "b": b.value, "enter_in": event.input.id}
            a.value = b.value = ""
            a.focus()
            self.call_later(self.call_later, emit, payload)

    Bare().run()
    return 0


def _setup(folder: str, demo: bool) -> Any:
    from drp_tui.bootstrap import Setup
    from drp_tui.config import Config
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.services.demo import build_demo
    from drp_tui.store.db import open_database
    from tests.conftest import FROZEN_NOW

    db = os.path.join(folder, "desk.db")
    open_database(db)
    policy = load_builtin("mosaic-iro")
    if demo:
        build_demo(policy, WorkingCalendar("ENG"), FROZEN_NOW)
    return Setup(Config(db=db, policy="mosaic-iro"), db, policy, WorkingCalendar("ENG")), policy  # type: ignore[call-arg]


REFUSED = "Sign-in refused (test)."


def run_login(emit: Any) -> int:
    import drp_tui.ui.app as app_module
    from drp_tui.domain.timeutil import FrozenClock
    from drp_tui.services.auth import AuthError
    from drp_tui.ui.desk import Desk
    import drp_tui.ui.screens.login as login_module
    from drp_tui.ui.screens.login import LoginScreen
    from tests.conftest import FROZEN_NOW

    attempts: list[dict[str, str]] = []

    def sign_in(self: Desk, username: str, password: str) -> Any:
        attempts.append({"user": username, "password": password})
        raise AuthError(REFUSED)

    Desk.sign_in = sign_in  # type: ignore[method-assign]

    class Login(LoginScreen):
        def on_mount(self) -> None:  # (Textual calls LoginScreen.on_mount itself, as every class's in the MRO)
            self.app.call_later(self.app.call_later, emit, {"ready": "login"})

        def show_error(self, message: str, *, error: bool = True) -> None:
            super().show_error(message, error=error)
            if message == REFUSED:
                # _done goes on to clear and focus (queued on the app); report after that.
                payload = {**attempts[-1], "after_user": "", "after_password": ""}

                def report() -> None:
                    payload["after_user"] = self.query_one("#username", Input).value
                    payload["after_password"] = self.query_one("#password", Input).value
                    payload["focused"] = getattr(self.app.focused, "id", None)
                    emit(payload)

                self.app.call_later(self.app.call_later, report)

    login_module.LoginScreen = Login  # type: ignore[misc]  # (the desk imports it when it first shows it)
    with tempfile.TemporaryDirectory() as folder:
        setup, policy = _setup(folder, demo=False)
        app = app_module.DrpApp(setup, policy=policy, sign_in_as=None, clock=FrozenClock(FROZEN_NOW))
        app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
