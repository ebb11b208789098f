"""Plain mode, for screen readers (``drp --plain``, or ``plain = true`` in the config).

The same screens and keys, without box drawing or decorative glyphs: the app gets the CSS
class ``-plain`` (tcss/app.tcss: no borders, no scroll bars, no tab underline, no drop-down
arrow; focus and states shown by text style and words), and the few places that draw a glyph
ask :func:`is_plain` and use words or ASCII instead (key names in the footer and help,
section titles' ``+``/``-``, a tick box's ``[X]``, the header's ``|``).
"""

from __future__ import annotations

from typing import Any

PLAIN_CLASS = "-plain"

# Unicode blocks that hold only lines, boxes and pictures (never letters or punctuation).
DECORATIVE_BLOCKS = (
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # miscellaneous technical (⏎ ⏸)
    (0x2500, 0x257F),  # box drawing
    (0x2580, 0x259F),  # block elements (scroll bars, tall borders, tick boxes)
    (0x25A0, 0x25FF),  # geometric shapes (● ▲ ▶ ▼)
    (0x2600, 0x27BF),  # miscellaneous symbols and dingbats (✓ ✗ ⚠)
)

# What a key's glyph is called in words.
KEY_WORDS = {"⏎": "Enter", "↵": "Enter", "↑": "Up", "↓": "Down", "←": "Left", "→": "Right", "⇥": "Tab",
             "⇤": "Shift+Tab", "⌫": "Backspace", "⌦": "Delete", "⎋": "Esc", "⇞": "PgUp", "⇟": "PgDn"}


def is_decorative(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in DECORATIVE_BLOCKS)


def plain_text(text: str) -> str:
    """``text`` with each glyph in words (keys) or left out (anything else decorative)."""
    if not any(is_decorative(c) for c in text):
        return text
    out = []
    for char in text:
        if char in KEY_WORDS:
            out.append(KEY_WORDS[char])
        elif char in "│┃║":
            out.append("|")
        elif not is_decorative(char):
            out.append(char)
    return "".join(out)


def is_plain(node: Any) -> bool:
    """Is the desk in plain mode? (``node``: the app or any of its widgets and screens)."""
    app = getattr(node, "app", node)
    return bool(getattr(app, "plain", False))
