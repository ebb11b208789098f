"""Command palette (ctrl+p): one provider per context.

- :class:`DeskCommands`: the whole desk — modes, help, lock now, sign out, theme, quit.
- :class:`ScreenCommands`: whatever the current screen offers, read from its bindings
  (and those of the focused widget), so every key is also a command by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.actions import parse as parse_action
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

if TYPE_CHECKING:
    from drp_tui.ui.app import DrpApp

Command = tuple[str, Callable[[], object], str]


class DeskCommands(Provider):
    """Desk-wide commands."""

    def commands(self) -> Iterator[Command]:
        app = cast("DrpApp", self.app)
        for mode, label, help_text in (("work", "My work", "home: what needs me now, worst first"),
                                       ("caseload", "Caseload", "my disputes, coloured by deadline"),
                                       ("children", "Children", "raise a dispute from a child"),
                                       ("inbox", "Inbox", "requests, reminders, for information")):
            yield f"Go to {label}", partial(app.action_mode, mode), help_text
        if app.is_oversight:
            yield "Go to Reports", partial(app.action_mode, "reports"), "numbers, themes, supervision list"
        yield "Help: every key", app.action_help, "keys of the desk and of this screen"
        yield "Lock now", app.action_lock, "lock the desk; your password unlocks it"
        yield "Sign out", app.action_sign_out, "unsaved text is kept as a draft"
        yield "Drafts", app.action_drafts, "my unsaved text kept as drafts: open or discard (F6)"
        other = "full-colour" if app.theme == app.ANSI_THEME else "16-colour"
        yield f"Switch to the {other} theme", app.action_toggle_theme, "for small or 16-colour terminals"
        yield "Quit", app.action_quit, "close the desk (asks about unsaved text)"

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class ScreenCommands(Provider):
    """The current screen's actions, by the names of its keys."""

    def commands(self) -> Iterator[Command]:
        app = self.app
        screen = self.screen
        nodes: list[DOMNode] = [screen]
        focused = screen.focused
        if focused is not None:
            nodes = [n for n in focused.ancestors_with_self if n is not app]
        seen: set[str] = set()
        for node in nodes:
            for _key, binding in node._bindings:
                name = binding.description
                if not name or binding.system or binding.action in seen:
                    continue
                if node is not screen and binding.id is None:
                    continue  # a widget's own editing/cursor keys: not commands
                _ns, action, params = parse_action(binding.action)
                if node.check_action(action, params) is not True:  # None: shown but disabled; False: hidden
                    continue
                seen.add(binding.action)
                shown = app.get_key_display(binding)
                yield (f"{name} ({screen.title or 'this screen'})",
                       partial(app.call_later, app.run_action, binding.action, node),
                       f"key: {shown}" + (f" — {binding.tooltip}" if binding.tooltip else ""))

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
