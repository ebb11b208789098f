"""The desk's screens. Each is imported when first shown (start-up loads only the first screen's)."""

from __future__ import annotations

import sys

LOCK = ("drp_tui.ui.screens.lock", "LockScreen")
LOGIN = ("drp_tui.ui.screens.login", "LoginScreen")
HELP = ("drp_tui.ui.screens.help", "HelpScreen")
WORK = ("drp_tui.ui.screens.work", "WorkScreen")  # the home screens (the config's ``home``)
CASELOAD = ("drp_tui.ui.screens.caseload", "CaseloadScreen")


def is_screen(screen: object, which: tuple[str, str]) -> bool:
    """``isinstance(screen, <module>.<class>)`` without importing the module: a screen whose
    module has not been loaded has never been shown."""
    module = sys.modules.get(which[0])
    return module is not None and isinstance(screen, getattr(module, which[1]))
