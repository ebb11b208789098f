"""A new mode's screen is styled from the current stylesheet without parsing it all again,
and with exactly the styles a full re-parse gives (at start, and after a theme change)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.css.stylesheet import Stylesheet

from drp_tui.ui.app import DrpApp
from tests.ui.desk_helpers import desk_test, settle


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each full parse of the stylesheet: "all" (every source again, with the theme's variables:
    App.refresh_css) or "new" (a screen's own CSS file read for the first time)."""
    counted: list[str] = []
    original, refresh = Stylesheet.reparse, App.refresh_css
    refreshing: list[bool] = []

    def reparse(self: Stylesheet) -> None:
        counted.append("all" if refreshing else "new")
        original(self)

    def refresh_css(self: App[Any], animate: bool = True) -> None:
        refreshing.append(True)
        try:
            refresh(self, animate)
        finally:
            refreshing.pop()

    monkeypatch.setattr(Stylesheet, "reparse", reparse)
    monkeypatch.setattr(App, "refresh_css", refresh_css)
    return counted


def styles(app: DrpApp) -> list[tuple[str, str, str]]:
    return [(type(w).__name__, str(w.id), str(w.rich_style)) for w in app.screen.walk_children(with_self=True)]


async def same_as_a_full_parse(app: DrpApp, pilot: Any) -> None:
    shown = styles(app)
    app.refresh_css(animate=False)
    await settle(pilot)
    assert styles(app) == shown


@desk_test
async def test_start_to_the_caseload_parses_the_stylesheet_once(make_app: Any, parses: list[str]) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_mode == "caseload"
        # none: the stylesheet App.__init__ made already has the theme's variables, and a new
        # mode's screen is styled from it (its sources are parsed once, when first needed)
        assert parses == []
        app.action_mode("children")
        await settle(pilot)
        assert app.current_mode == "children"
        assert parses == ["new"]  # only to add the children screen's own CSS file
        await same_as_a_full_parse(app, pilot)


@desk_test
async def test_a_mode_opened_after_a_theme_change_has_the_new_theme(make_app: Any, parses: list[str]) -> None:
    app = make_app("cpatel", plain=True)  # (plain: the App's -plain class in the selectors too)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = styles(app)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme == DrpApp.ANSI_THEME and styles(app) != before
        app.action_mode("children")  # made after the change
        await settle(pilot)
        assert app.current_mode == "children" and app.css_current
        await same_as_a_full_parse(app, pilot)
        app.action_mode("caseload")  # made before it
        await settle(pilot)
        await same_as_a_full_parse(app, pilot)


@desk_test
async def test_no_colour_start_is_styled_as_a_full_parse(make_app: Any, parses: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert parses == []  # NO_COLOR is known when App.__init__ makes the stylesheet
        await same_as_a_full_parse(app, pilot)


def test_plain_mode_s_rules_are_read_only_in_plain_mode(make_app: Any) -> None:
    """A third of the desk's own CSS is plain mode's: a desk not in plain mode does not parse it
    or match it against its widgets (the plain snapshots hold plain mode's look)."""
    from drp_tui.ui.app import PLAIN_CSS

    assert PLAIN_CSS.is_file()
    assert PLAIN_CSS not in make_app("cpatel").css_path
    assert make_app("cpatel", plain=True).css_path[-1] == PLAIN_CSS
