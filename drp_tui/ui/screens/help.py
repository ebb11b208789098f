"""Help (F1 or ?): the keys of the screen underneath first, grouped by purpose, then the desk's.

Nothing is typed in twice: the list is collected from the app's bindings, the
screen's, and those of every focusable widget on it, so a new key shows up here
(and in the command palette) the moment it is bound. A widget's generic editing and
cursor keys (Textual's own, without an id) are listed only when asked for (``e``).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from drp_tui.ui.keys import HELP_BINDINGS, PLACEHOLDER_BINDINGS
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.tables import DeskTable
from drp_tui.ui.widgets.footer import DeskFooter


def bindings_of(node: DOMNode) -> list[Binding]:
    return [b for _key, b in node._bindings]


# What each key is for: the help lists a screen's keys under these headings, in this order.
GROUPS = ("Act", "Save and close", "Views and tabs", "Find, sort, reload", "Move and open", "Go to", "The desk",
          "Editing")
_MOVE = {"cursor_down", "cursor_up", "cursor_left", "cursor_right", "scroll_top", "scroll_bottom", "scroll_home",
         "scroll_end", "page_down", "page_up", "select_cursor", "open", "done"}
_CLOSE = {"save", "save_draft", "send", "submit", "raise", "close", "back", "go_back", "back_or_quit", "cancel",
          "answer", "choose", "quit"}
_FIND = {"filter", "sort", "reload", "find"}
_DESK = {"help", "lock", "sign_out", "toggle_theme", "drafts", "other_user"}


def purpose(binding: Binding) -> str:
    """The heading a key is listed under in the help."""
    _ns, action, _params = parse_action(binding.action)
    if action == "mode":
        return "Go to"
    if action in ("tab", "view", "next_view", "prev_view"):
        return "Views and tabs"
    if action in _FIND:
        return "Find, sort, reload"
    if action in _MOVE:
        return "Move and open"
    if action in _DESK:
        return "The desk"
    if action in _CLOSE:
        return "Save and close"
    return "Act"


def _generic(binding: Binding) -> bool:
    """A widget's own editing or cursor key (Textual's, no id): listed only on request."""
    return binding.id is None


def key_rows(app: DOMNode, screen: Screen[object], *, generic: bool = False) -> list[tuple[str, str, str]]:
    """(keys, what it does, heading) for the keys of ``screen`` first (its own and those of the desk's
    widgets on it, grouped by purpose), then the desk's keys; Textual's generic editing keys only
    when ``generic`` is asked for. Headings read ``This screen · Act``, ``Everywhere · Go to`` ..."""
    here: list[Binding] = [b for b in bindings_of(screen) if _offered(screen, b) and not _generic(b)]
    editing: list[Binding] = [b for b in bindings_of(screen) if _generic(b)]  # Textual's tab, copy ...
    for widget in screen.walk_children(Widget):
        if widget.can_focus and widget._bindings:
            for b in bindings_of(widget):
                (editing if _generic(b) else here).append(b)
    rows: list[tuple[str, str, str]] = []
    rows += _grouped("This screen", here, screen)
    rows += _grouped("Everywhere", bindings_of(app), screen)
    if generic:
        rows += _grouped("Editing keys", editing, screen, by_purpose=False)
    return rows


def _grouped(section: str, bindings: Iterable[Binding], screen: Screen[object], *,
             by_purpose: bool = True) -> list[tuple[str, str, str]]:
    found: dict[str, dict[tuple[str, str], list[str]]] = {}
    for b in bindings:
        if b.system and not b.description:
            continue
        what = b.description or b.tooltip or b.action.replace("_", " ")
        if b.description and b.tooltip and b.tooltip != b.description:
            what = f"{b.description} — {b.tooltip}"
        group = purpose(b) if by_purpose else "Editing"
        keys = found.setdefault(group, {}).setdefault((b.action, what), [])
        shown = screen.app.get_key_display(b)
        if shown not in keys:
            keys.append(shown)
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for group in GROUPS:
        for (action, what), keys in found.get(group, {}).items():
            if action in seen:
                continue
            seen.add(action)
            rows.append((" / ".join(keys), what, f"{section} · {group}" if by_purpose else section))
    return rows


def _offered(screen: Screen[object], binding: Binding) -> bool:
    """A key the screen hides now (its check_action says False, e.g. a move not allowed) is not listed."""
    _ns, action, params = parse_action(binding.action)
    return screen.check_action(action, params) is not False


class HelpScreen(Screen[None]):
    BINDINGS = HELP_BINDINGS
    TITLE = "Help"

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target
        self.generic = False

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=not getattr(self.app, "signed_in_and_open", True))
        yield Static(Text(f"Keys — {self.target.title or 'this screen'}  (Esc closes, e: editing keys)",
                          style="bold"), id="help-title")
        yield DeskTable(id="help-keys", cursor_type="row", zebra_stripes=False)
        yield DeskFooter(compact=True)

    def on_mount(self) -> None:
        self.fill()
        self.query_one("#help-keys", DataTable).focus()

    def fill(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        table.clear(columns=True)
        rows = key_rows(self.app, self.target, generic=self.generic)
        key_width = min(18, max((len(k) for k, _w, _s in rows), default=4))
        table.add_column("Key", key="key", width=key_width)
        table.add_column("Does", key="does", width=max(20, self.app.size.width - key_width - 6))
        section = group = None
        for keys, what, heading in rows:
            where, _sep, kind = heading.partition(" · ")
            if where != section:
                section, group = where, None
                title = f"{where}: {self.target.title}" if where == "This screen" and self.target.title else where
                table.add_row(Text(""), Text(title.upper(), style="bold"))
            if kind and kind != group:
                group = kind
                table.add_row(Text(""), Text(kind, style="bold italic"))
            table.add_row(Text(keys, style="bold"), Text(what))
        if not self.generic:
            table.add_row(Text("e", style="bold"), Text("Show the editing keys of text fields and tables too",
                                                        style="italic"))

    def action_close(self) -> None:
        self.dismiss()

    def action_toggle_generic(self) -> None:
        self.generic = not self.generic
        self.fill()


class PlaceholderScreen(Screen[None]):
    """Stands in for a screen whose module is not built yet."""

    BINDINGS = PLACEHOLDER_BINDINGS

    def __init__(self, name: str) -> None:
        super().__init__()
        self.title = name

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(Text(f"{self.title}: not built yet."), classes="placeholder")
        yield DeskFooter()
