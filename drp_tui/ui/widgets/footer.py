"""The desk's footer: Textual's own, without keeping every set of keys it ever showed.

Textual's Footer builds its keys again whenever the screen's bindings change (a focus move, a
screen or mode switch) and binds each key's ``compact`` to its own (``data_bind``). That binding
is a watcher kept on the footer that holds the key, and Textual drops watchers of closed widgets
only when the watched value changes, which ``compact`` never does: every focus move kept the old
keys alive (about a dozen widgets, some 250 KB; 200 Tab presses took a desk from 66 MB to 117 MB).
After each rebuild the watchers of keys that are gone are dropped, by Textual's own rule for that.
"""

from __future__ import annotations

from textual.widgets import Footer


class DeskFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        watchers = getattr(self, "__watchers", {})  # (textual.reactive._watch keeps them under this name)
        for kept in watchers.values():
            kept[:] = [(node, callback) for node, callback in kept if not node._closing]
