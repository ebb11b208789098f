"""Themes: Textual's own full-colour themes, and ``drp-16`` for 16-colour terminals.

``drp-16`` uses the terminal's own ANSI colours (``ansi=True``), so PuTTY and the
Windows console show them as their palette says. Every deadline state keeps a
distinct colour ($error red, $warning yellow, $accent cyan, $secondary magenta,
$success green) and, for NO_COLOR, its word and symbol in the row.

Two variables of our own, for the deadline states that Textual's themes have no
word for: ``$due-soon`` and ``$paused`` (derived from the theme's primary and
secondary text colours, so they differ from $warning and $error in every theme;
``drp-16`` sets them to cyan and magenta).

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
            "block-cursor-text-style": "none",
            "input-cursor-background": "ansi_white",
            "input-cursor-foreground": "ansi_black",
            "input-cursor-text-style": "none",
            "input-selection-background": "ansi_bright_blue",
            "input-selection-foreground": "ansi_black",
            "screen-selection-background": "ansi_bright_blue",
            "screen-selection-foreground": "ansi_black",
            "footer-key-foreground": "ansi_cyan",
            "footer-description-foreground": "ansi_default",
            "due-soon": "ansi_cyan",
            "paused": "ansi_magenta",
        },
    )


def theme_variable_defaults(theme: Theme) -> dict[str, str]:
    """``$due-soon`` and ``$paused`` for any theme (a theme's own ``variables`` win)."""
    colours = theme.to_color_system().generate()
    return {"due-soon": colours.get("text-primary", colours["primary"]),
            "paused": colours.get("text-secondary", colours["secondary"])}


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
