"""The footer does not keep the keys it showed before: a session's memory does not grow with each focus move."""

from __future__ import annotations

import gc
from typing import Any

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
