"""User text for display: never markup, never terminal control codes.

A child's name like ``[bold]X[/]`` must show exactly as typed, and one holding
an escape sequence (``"\\x1b[31mEvil"``) must not reach the terminal: control
characters are shown as their visible Unicode pictures (``␛``).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

_PICTURES = {i: chr(0x2400 + i) for i in range(32)}
_PICTURES[127] = "\u2421"  # ␡
_PICTURES.update({i: "\ufffd" for i in range(0x80, 0xA0)})  # C1 controls


def visible(value: object) -> str:
    """``value`` as a string with every control character made visible."""
    return str(value if value is not None else "").translate(_PICTURES)


def safe_text(value: object, style: Style | str = "", *, width: int | None = None) -> Text:
    """A Rich ``Text`` of user data (no markup), optionally cut to ``width`` with an ellipsis."""
    text = Text(visible(value), style=style, no_wrap=True, end="")
    if width is not None and text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text
