"""Help (F1 or ?): every key of the desk and of the screen underneath, read from the bindings.

Nothing is typed in twice: the list is collected from the app's bindings, the
screen's, and those of every focusable widget on it, so a new key shows up here
(and in the command palette) the moment it is bound.
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
from textual.widgets import DataTable, Footer, Static

from drp_tui.ui.keys import HELP_BINDINGS, PLACEHOLDER_BINDINGS
from drp_tui.ui.widgets.header import DeskHeader
from drp_tui.ui.widgets.tables import DeskTable


def bindings_of(node: DOMNode) -> list[Binding]:
    return [b for _key, b in node._bindings]


def key_rows(app: DOMNode, screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(keys, what it does, where) for every binding of the app, the screen and its widgets."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(where: str, bindings: Iterable[Binding]) -> None:
        grouped: dict[tuple[str, str], list[str]] = {}
        for b in bindings:
            if b.system and not b.description:
                continue
            what = b.description or b.tooltip or b.action
            if b.description and b.tooltip and b.tooltip != b.description:
                what = f"{b.description} — {b.tooltip}"
            keys = grouped.setdefault((b.action, what), [])
            shown = screen.app.get_key_display(b)
            if shown not in keys:
                keys.append(shown)
        for (action, what), keys in grouped.items():
            if (action, where) in seen:
                continue
            seen.add((action, where))
            rows.append((" / ".join(keys), what, where))

    add("everywhere", bindings_of(app))
    add(screen.title or type(screen).__name__, [b for b in bindings_of(screen) if _offered(screen, b)])
    for widget in screen.walk_children(Widget):
        if widget.can_focus and widget._bindings:
            add(_widget_name(widget), bindings_of(widget))
    return rows


def _offered(screen: Screen[object], binding: Binding) -> bool:
    """A key the screen hides now (its check_action says False, e.g. a move not allowed) is not listed."""
    _ns, action, params = parse_action(binding.action)
    return screen.check_action(action, params) is not False


def _widget_name(widget: DOMNode) -> str:
    label = {"CaseloadTable": "the list", "DataTable": "tables", "DeskTable": "tables", "StateTable": "tables",
             "InboxTable": "tables", "Input": "text fields",
             "FilterInput": "the filter", "TextArea": "text boxes", "Button": "buttons"}
    return label.get(type(widget).__name__, type(widget).__name__)


class HelpScreen(Screen[None]):
    BINDINGS = HELP_BINDINGS
    TITLE = "Help"

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        yield DeskHeader(private=not getattr(self.app, "signed_in_and_open", True))
        yield Static(Text(f"Keys — {self.target.title or 'this screen'}  (Esc closes)", style="bold"),
                     id="help-title")
        yield DeskTable(id="help-keys", cursor_type="row", zebra_stripes=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        rows = key_rows(self.app, self.target)
        key_width = min(18, max((len(k) for k, _w, _s in rows), default=4))
        table.add_column("Key", key="key", width=key_width)
        table.add_column("Does", key="does", width=max(20, self.app.size.width - key_width - 6))
        where = None
        for keys, what, section in rows:
            if section != where:
                where = section
                table.add_row(Text(""), Text(f"— {section} —", style="bold italic"))
            table.add_row(Text(keys, style="bold"), Text(what))
        table.focus()

    def action_close(self) -> None:
        self.dismiss()


class PlaceholderScreen(Screen[None]):
    """Stands in for a screen whose module is not built yet."""

    BINDINGS = PLACEHOLDER_BINDINGS

    def __init__(self, name: str) -> None:
        super().__init__()
        self.title = name

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(Text(f"{self.title}: not built yet."), classes="placeholder")
        yield Footer()
