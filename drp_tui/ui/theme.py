"""Themes: Textual's own full-colour themes, and ``drp-16`` for 16-colour terminals.

``drp-16`` uses the terminal's own ANSI colours (``ansi=True``), so PuTTY and the
Windows console show them as their palette says. Every deadline state keeps a
distinct colour ($error red, $warning yellow, $accent cyan, $secondary magenta,
$success green) and, for NO_COLOR, its word and symbol in the row.

One variable of our own per deadline state, the text colour of its rows everywhere
(caseload, my work, history, reports): ``$overdue``, ``$due-today``, ``$due-soon``,
``$paused``, ``$late``, ``$done`` (derived from the theme's error, warning, primary,
secondary and success text colours; ``drp-16`` names bright ANSI colours, which stay
readable on black in the usual palettes: PuTTY's and xterm's plain red and magenta do not).

Readable everywhere: ``readable_variables`` lifts every text colour the desk draws (those
states, muted and disabled text, footer keys, the cursor row) to a WCAG contrast of at
least 4.5:1 against the backgrounds it is drawn on (tests/ui/test_contrast.py checks each
theme). Under NO_COLOR the CSS (``:nocolor``) makes the urgent rows bold and underlined
in the foreground colour, and the focused list's cursor row reverse.

Chosen at start: ``$DRP_THEME`` (textual-dark or drp-16), else ``theme`` in the config
(a ``theme`` field once the config has one, or ``extra["theme"]``), else
``drp-16`` when the terminal looks like a 16-colour one (TERM=xterm/putty/linux
without COLORTERM=truecolor), else ``textual-dark``. ctrl+t (or the palette)
switches at any time; no other theme is registered (``keep_desk_themes``).
"""

from __future__ import annotations

import os
from typing import Any

from textual.app import App
from textual.color import Color
from textual.theme import Theme

ANSI_THEME = "drp-16"
COLOUR_THEME = "textual-dark"
DESK_THEMES = (COLOUR_THEME, ANSI_THEME)  # the only two: every deadline state stays readable in both


def keep_desk_themes(app: App[Any]) -> None:
    """Register ``drp-16`` and unregister every other Textual theme (some make the
    state colours unreadable); the palette offers no theme list either."""
    app.register_theme(ansi_theme())
    for name in list(app.available_themes):
        if name not in DESK_THEMES:
            app.unregister_theme(name)


def ansi_theme() -> Theme:
    return Theme(
        name=ANSI_THEME,
        ansi=True,
        primary="ansi_blue",
        secondary="ansi_magenta",
        warning="ansi_yellow",
        error="ansi_red",
        success="ansi_green",
        accent="ansi_cyan",
        foreground="ansi_default",
        background="ansi_default",
        surface="ansi_default",
        panel="ansi_default",
        boost="ansi_default",
        dark=True,
        variables={
            "ansi-background": "ansi_black",
            "ansi-foreground": "ansi_white",
            "border-blurred": "ansi_black",
            "block-cursor-foreground": "ansi_black",
            "block-cursor-background": "ansi_white",
            "block-cursor-text-style": "bold",
            "input-cursor-background": "ansi_white",
            "input-cursor-foreground": "ansi_black",
            "input-cursor-text-style": "none",
            "input-selection-background": "ansi_bright_blue",
            "input-selection-foreground": "ansi_black",
            "screen-selection-background": "ansi_bright_blue",
            "screen-selection-foreground": "ansi_black",
            "footer-key-foreground": "ansi_cyan",
            "footer-description-foreground": "ansi_default",
            "text-error": "ansi_bright_red",
            "text-secondary": "ansi_bright_magenta",
            "text-primary": "ansi_bright_cyan",
            "overdue": "ansi_bright_red",
            "due-today": "ansi_bright_yellow",
            "due-soon": "ansi_cyan",
            "paused": "ansi_bright_magenta",
            "late": "ansi_yellow",
            "done": "ansi_green",
        },
    )


# Each deadline state's text colour, from the theme's own text colours (a theme's ``variables`` win).
STATE_SOURCES = {"overdue": "text-error", "due-today": "text-warning", "due-soon": "text-primary",
                 "paused": "text-secondary", "late": "text-warning", "done": "text-success"}

MIN_CONTRAST = 4.5  # WCAG 2 AA for text

# Text colours the desk draws, and the backgrounds each is drawn on (a list of layers, innermost last).
TEXT_ON: dict[str, tuple[tuple[str, ...], ...]] = {
    **{name: (("background",), ("surface",), ("background", "boost")) for name in STATE_SOURCES},
    **{name: (("background",), ("surface",), ("background", "boost"))
       for name in ("text-error", "text-warning", "text-success", "text-primary", "text-secondary",
                    "text-accent")},
    "text-muted": (("background",), ("surface",), ("background", "boost"), ("background", "panel")),
    "text-disabled": (("background",), ("surface",)),
    "footer-key-foreground": (("background", "footer-background", "footer-key-background"),),
    "footer-description-foreground": (("background", "footer-background", "footer-description-background"),),
    "footer-foreground": (("background", "footer-background"),),
    "block-cursor-foreground": (("surface", "block-cursor-background"),),
    "block-cursor-blurred-foreground": (("surface", "block-cursor-blurred-background"),),
}


def theme_variable_defaults(theme: Theme) -> dict[str, str]:
    """The deadline states' variables for any theme (a theme's own ``variables`` win)."""
    colours = {**theme.to_color_system().generate(), **theme.variables}
    return {name: colours.get(source, colours["foreground"]) for name, source in STATE_SOURCES.items()}


def parse_colour(value: str, under: Color) -> Color:
    """A CSS colour value as drawn over ``under``: ``#E0E0E0``, ``#0178D44C``, ``auto 87%``,
    ``ansi_default 50%`` (an ANSI colour is drawn as it is: the terminal cannot blend it)."""
    words = value.split()
    alpha = 1.0
    if len(words) == 2 and words[1].endswith("%"):
        alpha = float(words[1][:-1]) / 100
    if words[0] == "auto":
        return under + under.get_contrast_text(alpha)
    colour = Color.parse(words[0])
    if colour.ansi is not None:
        return colour
    return under + colour.multiply_alpha(alpha)


def layered(variables: dict[str, str], layers: tuple[str, ...]) -> Color:
    """The colour of ``layers`` of background variables painted one on the other (first at the bottom)."""
    colour = Color(0, 0, 0)
    for name in layers:
        value = variables.get(name)
        if value and value != "transparent":
            colour = parse_colour(value, colour)
    return colour


def luminance(colour: Color) -> float:
    """WCAG 2 relative luminance of an opaque colour."""
    def channel(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4
    r, g, b = colour.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(one: Color, other: Color) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    a, b = sorted((luminance(one), luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable(colour: Color, under: Color) -> bool:
    """At least ``MIN_CONTRAST``, in colour and as NO_COLOR's grey (Textual's monochrome filter)."""
    return (contrast_ratio(colour, under) >= MIN_CONTRAST
            and contrast_ratio(colour.monochrome, under.monochrome) >= MIN_CONTRAST)


def readable_variables(variables: dict[str, str]) -> dict[str, str]:
    """``variables`` with every text colour in ``TEXT_ON`` lightened (on dark) or darkened (on
    light) until it is ``readable`` on each of its backgrounds. ANSI colours are left as the
    theme names them (the terminal's palette decides; drp-16 names readable ones)."""
    out = dict(variables)
    for name, backgrounds in TEXT_ON.items():
        value = out.get(name)
        if not value or "ansi" in value:
            continue
        unders = [layered(out, layers) for layers in backgrounds]
        colours = [parse_colour(value, under) for under in unders]
        if all(readable(c, u) for c, u in zip(colours, unders, strict=True)):
            continue
        dark = sum(u.brightness for u in unders) / len(unders) < 0.5
        worst = min(zip(colours, unders, strict=True), key=lambda cu: contrast_ratio(*cu))[0]
        for step in range(1, 51):
            candidate = worst.lighten(step / 50) if dark else worst.darken(step / 50)
            if all(readable(candidate, u) for u in unders):
                break
        out[name] = candidate.hex
    return out


def initial_theme(app: App[Any]) -> str:
    wanted = os.environ.get("DRP_THEME") or _config_theme(app)
    if wanted and wanted in app.available_themes:
        return wanted
    if not app.is_headless and few_colours():
        return ANSI_THEME
    return COLOUR_THEME


def few_colours() -> bool:
    """Does the terminal look like a 16-colour one (PuTTY's default, the Linux console, vt100)?"""
    if os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return False
    term = os.environ.get("TERM", "").lower()
    return term in ("xterm", "putty", "linux", "vt100", "vt220", "screen", "ansi", "cygwin")


def _config_theme(app: App[Any]) -> str | None:
    """``theme`` from the installation config (a field, or an extra setting)."""
    desk = getattr(app, "desk", None)
    if desk is None:
        return None
    config = desk.setup.config
    theme = getattr(config, "theme", None)
    if theme is None and isinstance(config.extra, dict):
        theme = config.extra.get("theme")
    return theme if isinstance(theme, str) else None
