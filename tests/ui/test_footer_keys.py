"""The footer does not keep the keys it showed before: a session's memory does not grow with each focus move."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.ui.desk_helpers import desk_test, screen_text, settle


@desk_test
async def test_focus_moves_do_not_keep_old_footer_keys(make_app: Any) -> None:
    gc.collect()
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, FooterKey)}  # (other tests' in this process)
    app = make_app("cpatel")  # home: the caseload (its table and its filter take turns with Tab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown_before = screen_text(app).splitlines()[-1]
        for _ in range(10):  # each focus move makes the footer build its keys again
            await pilot.press("tab")
            await settle(pilot, rounds=1)
        gc.collect()
        alive = [o for o in gc.get_objects() if isinstance(o, FooterKey) and id(o) not in earlier]
        mounted = [key for stack in app._screen_stacks.values() for screen in stack
                   for key in screen.query(FooterKey)]
        assert mounted
        assert len(alive) == len(mounted)  # (Textual's own Footer kept ~13 more per move)
        assert screen_text(app).splitlines()[-1] == shown_before  # the footer still shows its keys


@desk_test
async def test_the_footer_builds_its_keys_again_only_when_they_change(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[str] = []
    compose = Footer.compose

    def counted(footer: Footer) -> Any:
        if footer._bindings_ready:
            builds.append(type(footer.screen.focused).__name__)
        return compose(footer)

    monkeypatch.setattr(Footer, "compose", counted)
    app = make_app("cpatel")  # home: the caseload
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert 1 <= len(builds) <= 2  # (Textual's own built the same keys 6 times at the start)
        shown = screen_text(app).splitlines()[-1]
        before = len(builds)
        app.screen.bindings_updated_signal.publish(app.screen)  # bindings "changed", the same keys on show
        await settle(pilot)
        assert len(builds) == before and screen_text(app).splitlines()[-1] == shown
        await pilot.press("tab")  # the filter: other keys on show
        await settle(pilot)
        assert len(builds) == before + 1
        assert screen_text(app).splitlines()[-1] != shown
        await pilot.press("tab")  # back to the table: its keys again
        await settle(pilot)
        assert screen_text(app).splitlines()[-1] == shown
