"""User text for display: never markup, never terminal control codes, never hidden.

The ONE display helper for anything a person typed (names, case numbers, dispute
text, notes, history): tables, headers, forms' read-only text, history, inbox,
reports all go through :func:`visible` (``form_fields.plain`` too).

A child's name like ``[bold]X[/]`` must show exactly as typed, and one holding
an escape sequence (``"\\x1b[31mEvil"``) must not reach the terminal: control
characters are shown as their visible Unicode pictures (``␛``). Invisible format
characters are shown, not obeyed: a right-to-left override (U+202E) that would
show "evil.exe" as "exe.live", a zero-width space that makes two names look
alike, a BOM ... each appears as a marker naming it, e.g. ``⟨U+202E⟩``.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

_PICTURES = {i: chr(0x2400 + i) for i in range(32)}
_PICTURES[127] = "\u2421"  # ␡
_PICTURES.update({i: "\ufffd" for i in range(0x80, 0xA0)})  # C1 controls
_PICTURES_KEEPING_LINES = {k: v for k, v in _PICTURES.items() if chr(k) not in "\n\t"}

# Unicode "format" characters (category Cf) and the line/paragraph separators: bidi
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C),
# zero-width characters (U+200B-U+200D, U+2060-U+2064, U+FEFF), the soft hyphen,
# interlinear annotation marks and the tag characters.
INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u2028-\u202e\u205f-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]")


def marker(ch: str) -> str:
    """How an invisible character is shown: ``⟨U+202E⟩``."""
    return f"\u27e8U+{ord(ch):04X}\u27e9"


def visible(value: object, *, keep_lines: bool = False) -> str:
    """``value`` as a string with every control and invisible format character made visible
    (``keep_lines``: newlines and tabs stay as they are, for multi-line text)."""
    text = str(value if value is not None else "")
    text = text.translate(_PICTURES_KEEPING_LINES if keep_lines else _PICTURES)
    return INVISIBLE.sub(lambda found: marker(found.group()), text)


def safe_text(value: object, style: Style | str = "", *, width: int | None = None) -> Text:
    """A Rich ``Text`` of user data (no markup), optionally cut to ``width`` with an ellipsis."""
    text = Text(visible(value), style=style, no_wrap=True, end="")
    if width is not None and text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text
