"""Readable everywhere (issue 11, item 4): every state's text against its background, in each theme.

The colours are the app's resolved CSS variables (``app.get_css_variables()``) for each of the
desk's two themes. ``drp-16`` names ANSI colours, which the terminal's palette decides: it is
checked against two standard dark palettes, PuTTY's default and xterm's default colours (with
xterm's usual dark background, black, and ``ansi_default`` text as its white, #E5E5E5).
The full-colour theme is also checked as NO_COLOR draws it (Textual's monochrome filter: each
colour's grey). WCAG 2 contrast ratio, at least 4.5:1 (AA for text).
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.color import Color

from drp_tui.ui.theme import ANSI_THEME, COLOUR_THEME, DESK_THEMES, contrast_ratio, luminance, parse_colour
from tests.ui.desk_helpers import desk_test

MIN = 4.5

# ANSI 0-15 in Textual's order (ANSI_COLORS), then the terminal's default text and background.
PUTTY = ["#000000", "#BB0000", "#00BB00", "#BBBB00", "#0000BB", "#BB00BB", "#00BBBB", "#BBBBBB",
         "#555555", "#FF5555", "#55FF55", "#FFFF55", "#5555FF", "#FF55FF", "#55FFFF", "#FFFFFF"]
PUTTY_DEFAULT = ("#BBBBBB", "#000000")
XTERM = ["#000000", "#CD0000", "#00CD00", "#CDCD00", "#0000EE", "#CD00CD", "#00CDCD", "#E5E5E5",
         "#7F7F7F", "#FF0000", "#00FF00", "#FFFF00", "#5C5CFF", "#FF00FF", "#00FFFF", "#FFFFFF"]
XTERM_DEFAULT = ("#E5E5E5", "#000000")
PALETTES = {"putty": (PUTTY, PUTTY_DEFAULT), "xterm": (XTERM, XTERM_DEFAULT)}

# What the desk draws: (what, text colour variable, background layers from the bottom up).
ON_SCREENS = ("background",), ("surface",), ("background", "boost")
STATES = ["overdue", "due-today", "due-soon", "paused", "late", "done"]
PAIRS: list[tuple[str, str, tuple[str, ...]]] = [
    *[(f"{state} row", state, under) for state in STATES for under in ON_SCREENS],
    *[("on-track row / any text", "foreground", under) for under in ON_SCREENS],
    *[(name, name, under) for name in ("text-error", "text-success", "text-warning", "text-muted")
      for under in ON_SCREENS],
    ("disabled text", "text-disabled", ("surface",)),
    ("disabled text", "text-disabled", ("background",)),
    ("header", "foreground", ("background", "panel")),
    ("header, muted", "text-muted", ("background", "panel")),
    ("focused list: cursor row", "block-cursor-foreground", ("surface", "block-cursor-background")),
    ("list without focus: cursor row", "block-cursor-blurred-foreground",
     ("surface", "block-cursor-blurred-background")),
    ("footer key", "footer-key-foreground", ("background", "footer-background", "footer-key-background")),
    ("footer description", "footer-description-foreground",
     ("background", "footer-background", "footer-description-background")),
    # reverse video swaps the same two colours (the ratio is symmetric): checked unreversed
    ("focused field's label, drop-down, tick box (reverse)", "foreground", ("background",)),
    ("active view (reverse)", "accent", ("background", "boost")),
    ("typed text", "foreground", ("surface", "boost")),
]


def ansi_to_rgb(colour: Color, palette: str, *, text: bool) -> Color:
    colours, (default_text, default_background) = PALETTES[palette]
    if colour.ansi is None:
        return colour
    if colour.ansi == -1:
        return Color.parse(default_text if text else default_background)
    return Color.parse(colours[colour.ansi])


def drawn(variables: dict[str, str], name: str, layers: tuple[str, ...], palette: str | None) -> tuple[Color, Color]:
    """The text colour and the background it sits on, as the terminal shows them."""
    under = Color(0, 0, 0)
    for layer in layers:
        value = variables.get(layer)
        if value and value != "transparent":
            under = parse_colour(value, under)
            if palette:
                under = ansi_to_rgb(under, palette, text=False)
    text = parse_colour(variables[name], under)
    if palette:
        text = ansi_to_rgb(text, palette, text=True)
    return text, under


async def theme_variables(make_app: Any, theme: str) -> dict[str, str]:
    app = make_app(None)  # the log-in screen: no sign-in needed to read the theme
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        await pilot.pause()
        return dict(app.get_css_variables())


def failures(variables: dict[str, str], palette: str | None, *, grey: bool = False) -> list[str]:
    out = []
    for what, name, layers in PAIRS:
        text, under = drawn(variables, name, layers, palette)
        if grey:
            text, under = text.monochrome, under.monochrome
        ratio = contrast_ratio(text, under)
        if ratio < MIN:
            out.append(f"{what}: ${name} {text.hex} on {'+'.join(layers)} {under.hex} = {ratio:.2f}:1")
    return out


def test_contrast_ratio_is_wcag() -> None:
    assert contrast_ratio(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio(Color(255, 255, 255), Color(255, 255, 255)) == pytest.approx(1)
    assert luminance(Color.parse("#777777")) == pytest.approx(0.184, abs=0.001)  # 4.48:1 on white
    assert contrast_ratio(Color.parse("#767676"), Color(255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_the_desk_has_exactly_two_themes() -> None:
    assert set(DESK_THEMES) == {COLOUR_THEME, ANSI_THEME}


@desk_test
async def test_full_colour_theme_every_state_at_least_4_5(make_app: Any) -> None:
    variables = await theme_variables(make_app, COLOUR_THEME)
    assert failures(variables, None) == []
    assert failures(variables, None, grey=True) == []  # NO_COLOR: Textual draws each colour's grey


@pytest.mark.parametrize("palette", sorted(PALETTES))
@desk_test
async def test_16_colour_theme_every_state_at_least_4_5(make_app: Any, palette: str) -> None:
    variables = await theme_variables(make_app, ANSI_THEME)
    assert all(variables[s].startswith("ansi_") for s in STATES)  # the terminal's own colours
    assert failures(variables, palette) == []


def test_a_failing_colour_is_caught() -> None:
    """The check itself: Textual's own error red on its dark background is below 4.5:1."""
    variables = {"background": "#121212", "overdue": "#B93C5B"}
    text, under = drawn(variables, "overdue", ("background",), None)
    assert contrast_ratio(text, under) < MIN
