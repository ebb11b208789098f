"""The base of the desk's mode screens (home, caseload, children, inbox, reports, administration)."""

from __future__ import annotations

from textual import events
from textual.screen import Screen


class ModeScreen(Screen[None]):
    """A mode's screen, not restyled whole when it is first shown.

    Textual restyles every widget of a screen on each ``ScreenResume``, and a new mode's screen gets
    two (one as the mode is made, one as it is switched to), just after each of its widgets was
    styled as it was mounted: at the start that was two restyles of the caseload's every widget
    (15-45 ms each) while its first page was being read. Until the screen is first suspended (the
    lock, a form or another mode over it) and while the stylesheet is the one it was made with,
    its widgets' styles are current (Textual restyles a widget as its classes, focus or hover
    change), so the resume keeps them. After a suspension, or a theme change, it restyles as
    Textual does."""

    _suspended_once = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # (Textual calls Screen's own handler after this one: this only decides its refresh_styles)
        if not self._suspended_once and self._css_update_count == self.app._css_update_count:
            event.refresh_styles = False

    def _on_screen_suspend(self) -> None:
        self._suspended_once = True
