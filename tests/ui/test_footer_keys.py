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


@desk_test
async def test_a_compact_footers_keys_are_not_restyled_as_they_mount(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    restyled: list[str] = []
    add_class = FooterKey.add_class

    def counted(key: FooterKey, *names: str, update: bool = True) -> Any:
        if update and key.is_attached and not key.has_class(*names):
            restyled.append(key.key)  # a class that changes on a key in the DOM restyles it
        return add_class(key, *names, update=update)

    monkeypatch.setattr(FooterKey, "add_class", counted)
    app = make_app("cpatel")  # home: the caseload, its footer compact
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = list(app.screen.query(FooterKey))
        assert keys and all(key.has_class("-compact") for key in keys)
        assert restyled == []  # (each key was restyled once as it mounted, twice at the start)
        await pilot.press("tab")  # other keys on show: built again, still not restyled
        await settle(pilot)
        assert restyled == [] and all(key.has_class("-compact") for key in app.screen.query(FooterKey))
