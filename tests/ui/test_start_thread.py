"""The start's own work runs on one thread, one job after the other; then workers run side by side again.

Each thread that reads the database holds a connection of its own and a malloc arena, so the
sign-in, the first page, its count, the drafts count and the reminders share one thread (a started
desk's peak memory); a key's page after that does not queue behind background work."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from drp_tui.services import drafts, inbox
from tests.ui.desk_helpers import desk_test, raw, settle


def recorded(calls: list[tuple[str, str]], name: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append((name, threading.current_thread().name))
        return fn(*args, **kwargs)
    return wrapper


@desk_test
async def test_the_starts_work_runs_on_one_thread_then_keys_get_a_pool(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app("cpatel")  # home: the caseload
    calls: list[tuple[str, str]] = []
    for name in ("sign_in_demo", "caseload_page", "caseload_count"):
        monkeypatch.setattr(app.desk, name, recorded(calls, name, getattr(app.desk, name)))
    monkeypatch.setattr(drafts, "draft_count", recorded(calls, "draft_count", drafts.draft_count))
    monkeypatch.setattr(inbox, "remind", recorded(calls, "remind", inbox.remind))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = [name for name, _ in calls]
        assert {"sign_in_demo", "caseload_page", "draft_count", "remind"} <= set(names)
        assert names.index("caseload_page") < names.index("draft_count") < names.index("remind")  # page first
        assert len({thread for _, thread in calls}) == 1  # all on the start's one thread
        assert app.drafts == 0  # the header's drafts count still arrives (None until then)
        with raw(app) as con:
            assert con.execute("SELECT count(*) FROM notification WHERE kind = 'reminder'").fetchone()[0] > 0
        assert app._start_pool is None  # the start's work is done: a pool again
        start_thread = calls[0][1]
        calls.clear()
        await pilot.press("6")  # "all": a key's page
        await settle(pilot)
        assert calls and all(thread != start_thread for _, thread in calls)


@desk_test
async def test_a_key_during_the_starts_work_does_not_wait_for_it(
        make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app("cpatel")
    held = threading.Event()
    reminding = threading.Event()
    original = inbox.remind

    def slow_remind(ctx: Any) -> int:  # the start's reminders, held until the key's page is on screen
        reminding.set()
        held.wait(timeout=30)
        return original(ctx)

    monkeypatch.setattr(inbox, "remind", slow_remind)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(500):
                await pilot.pause()
                if reminding.is_set():
                    break
            assert reminding.is_set() and app._start_pool is not None  # the start's work is running
            screen = app.screen
            before = screen.shown_generation
            await pilot.press("6")  # "all"
            for _ in range(500):
                await pilot.pause()
                if screen.shown_generation > before and screen.shown_generation == screen._generation:
                    break
            assert screen.shown_generation > before  # the key's page came while the reminders still ran
            assert app._start_pool is None
            held.set()
            await settle(pilot)
            with raw(app) as con:
                assert con.execute("SELECT count(*) FROM notification WHERE kind = 'reminder'").fetchone()[0] > 0
    finally:
        held.set()
