"""The desk's footer: Textual's own, built again only when the keys it shows change, and without
keeping every set of keys it ever showed.

Textual's Footer builds its keys again whenever the screen's bindings change (a focus move, a
screen or mode switch), even when what it shows is the same: at the start it built its dozen keys
three times over (each key styled twice), and every Tab between the caseload's filter and its
table built them again. ``DeskFooter`` compares what it would show (``keys_on_show``, read as
``Footer.compose`` reads it) with what it shows, and builds only when they differ.

Each build also binds each key's ``compact`` to the footer's (``data_bind``). That binding is a
watcher kept on the footer that holds the key, and Textual drops watchers of closed widgets only
when the watched value changes, which ``compact`` never does: every rebuild kept the old keys
alive (about a dozen widgets, some 250 KB; 200 Tab presses took a desk from 66 MB to 117 MB).
After each rebuild the watchers of keys that are gone are dropped, by Textual's own rule for that.

A compact footer's keys are made with their ``-compact`` class already set. Textual's key sets it
as it is mounted (its ``compact`` watcher), and a class that changes on a mounted widget restyles
it: at the start that was two dozen restyles (about 20 ms) of keys just styled as they mounted.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class DeskFooter(Footer):
    _shown: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)  # (styled as it mounts)
            yield widget

    def keys_on_show(self) -> tuple[Any, ...]:
        """Everything ``Footer.compose`` reads to build its keys, as it is now."""
        app = self.app
        palette = app.COMMAND_PALETTE_BINDING
        keys = tuple((name, binding.key, app.get_key_display(binding), binding.description, binding.action,
                      binding.group, binding.tooltip, enabled, tooltip)
                     for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
                     if binding.show or name == palette)
        return self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE, keys

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning:
            return
        shown = self.keys_on_show() if self._bindings_ready else None
        if shown is not None and shown == self._shown:
            return  # the same keys: nothing to build again
        await super().recompose()
        self._shown = shown
        watchers = getattr(self, "__watchers", {})  # (textual.reactive._watch keeps them under this name)
        for kept in watchers.values():
            kept[:] = [(node, callback) for node, callback in kept if not node._closing]
