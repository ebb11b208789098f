"""The one-line header on every screen: process, who is signed in, unread inbox, drafts, London time.

It reads the app's state (``desk``, ``unread``, ``minute``) and repaints when those
change; it holds no data of its own and never queries the database. On the log-in
and lock screens it shows only the process name and the time (no personal data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widget import Widget

from drp_tui.domain.timeutil import to_london
from drp_tui.ui.plain import is_plain
from drp_tui.ui.widgets.text import visible

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DeskHeader(Widget):
    """Process name · person (role) · inbox N unread · N drafts (when there are any) · Mon 23 Nov 2026 10:00."""

    DEFAULT_CSS = """
    DeskHeader { dock: top; height: 1; width: 1fr; background: $panel; color: $foreground; }
    """
    COMPONENT_CLASSES = {"deskheader--process", "deskheader--unread", "deskheader--time"}

    def __init__(self, *, private: bool = False, id: str | None = "desk-header") -> None:
        super().__init__(id=id)
        self.private = private  # log-in / lock: show no person and no counts

    @property
    def desk_app(self) -> DrpApp:
        return cast("DrpApp", self.app)

    def on_mount(self) -> None:
        app = self.app
        for name in ("unread", "minute", "session", "drafts"):
            if hasattr(app, name):
                self.watch(app, name, self._changed, init=False)

    def _changed(self) -> None:
        self.refresh()

    def _parts(self, level: int) -> tuple[str, str, str, str, str]:
        """The four pieces, shorter as ``level`` rises (0 = everything in full)."""
        app = self.desk_app
        voc = app.desk.policy.vocabulary
        process = voc.process if level < 2 else voc.short
        who = ""
        unread = ""
        kept = ""
        user = app.desk.user
        if user is not None and not self.private and not getattr(app, "locked", False):
            role = user.title or user.role.value
            who = f"{visible(user.name)} ({visible(role)})"
            count = getattr(app, "unread", None)
            shown = "…" if count is None else str(count)
            unread = f"inbox {shown} unread" if level == 0 else f"inbox {shown}"
            n = getattr(app, "drafts", None)
            if isinstance(n, int) and n > 0:
                kept = f"{n} draft{'s' if n > 1 else ''}" if level < 2 else f"drafts {n}"
        now = to_london(app.desk.clock.now())
        day = f"{_DAYS[now.weekday()]} {now.day} {_MONTHS[now.month - 1]}"
        when = f"{day} {now.year} {now:%H:%M}" if level == 0 else f"{day} {now:%H:%M}"
        return process, who, unread, kept, when

    def render(self) -> Text:
        width = max(self.size.width, 20)
        bar = " | " if is_plain(self) else " │ "  # plain mode: no box drawing
        for level in range(3):
            parts = self._parts(level)
            if len(bar.join(p for p in parts if p)) + 2 <= width:
                break
        process, who, unread, kept, when = parts
        left = Text(" ")
        left.append(process, style=self.get_component_rich_style("deskheader--process"))
        if who:
            left.append(bar + who)
        right = Text()
        if unread:
            right.append(unread, style=self.get_component_rich_style("deskheader--unread"))
            right.append(bar)
        if kept:
            right.append(kept, style=self.get_component_rich_style("deskheader--unread"))
            right.append(bar)
        right.append(when + " ", style=self.get_component_rich_style("deskheader--time"))
        gap = width - left.cell_len - right.cell_len
        if gap < 1:
            left.truncate(max(1, width - right.cell_len - 1), overflow="ellipsis")
            gap = max(1, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, end="")
