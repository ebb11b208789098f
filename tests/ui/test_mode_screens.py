"""A new mode's screen is not restyled whole when first shown (its widgets were styled as they were
mounted); once it has been under another screen, or the theme changed, it is, as Textual does."""

from __future__ import annotations

from typing import Any

import pytest
from textual.dom import DOMNode
from textual.screen import Screen

from drp_tui.ui.screens.caseload import CaseloadScreen
from drp_tui.ui.screens.work import WorkScreen
from tests.ui.desk_helpers import child_names, desk_test, screen_text, settle


@desk_test
async def test_a_mode_screen_is_restyled_whole_only_after_it_was_under_another(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    restyled: list[str] = []
    update = DOMNode.update_node_styles

    def recorded(node: DOMNode, animate: bool = True) -> None:
        if isinstance(node, Screen):
            restyled.append(type(node).__name__)
        update(node, animate)

    monkeypatch.setattr(DOMNode, "update_node_styles", recorded)
    app = make_app("cpatel")  # home: the caseload
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen)
        assert any(name in screen_text(app) for name in child_names(app))
        assert "CaseloadScreen" not in restyled  # (Textual restyled it whole twice as it was first shown)
        await pilot.press("H")  # home: "My work", a new mode's screen
        await settle(pilot)
        assert isinstance(app.screen, WorkScreen) and "WorkScreen" not in restyled
        await pilot.press("f2")  # back to the caseload: it was under another screen, so restyled as Textual does
        await settle(pilot)
        assert isinstance(app.screen, CaseloadScreen) and restyled.count("CaseloadScreen") >= 1
        restyled.clear()
        app.action_toggle_theme()  # the stylesheet changes: the home screen is restyled when shown
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, WorkScreen) and "WorkScreen" in restyled
