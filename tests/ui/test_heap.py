"""A desk opened by ``drp`` keeps what lives for the whole session out of the garbage collector's
walks (``gc.freeze``): once when the desk is made (the imports, the stylesheet), once when the
start's work is done (the first screen). Python's full collection walks every object not frozen:
without this it took 40-50 ms at the start and 50-110 ms in the middle of a key."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from drp_tui.ui.live import GC_AFTER_START
from drp_tui.ui.screens.caseload import CaseloadScreen
from tests.ui.desk_helpers import child_names, desk_test, screen_text, settle


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()  # (what this process froze before, back in the collector's sight)
    pace = gc.get_threshold()
    yield
    gc.unfreeze()  # a test process makes many desks: nothing of this one is kept after the test
    gc.set_threshold(*pace)  # (and it collects at Python's pace)


@desk_test
async def test_a_drp_desk_settles_its_heap_when_made_and_when_its_start_is_done(
        make_app: Any, nothing_frozen: None) -> None:
    app = make_app("cpatel", settle_heap=True)
    at_making = gc.get_freeze_count()
    assert at_making > 10_000  # the imports and the stylesheet: out of the collector's walks
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app._start_pool is None  # the start's work is done
        assert gc.get_freeze_count() > at_making  # and what it made (the first screen) is settled too
        assert isinstance(app.screen, CaseloadScreen)
        assert any(name in screen_text(app) for name in child_names(app))  # the desk works as before
        settled = gc.get_freeze_count()
        await pilot.press("6")  # a key after the start: nothing more is frozen
        await settle(pilot)
        assert gc.get_freeze_count() <= settled  # (frozen objects freed by their count leave it)


@desk_test
async def test_a_drp_desk_collects_less_often_once_its_start_is_done(make_app: Any, nothing_frozen: None) -> None:

    pace = gc.get_threshold()
    assert pace != GC_AFTER_START
    app = make_app("cpatel", settle_heap=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app._start_pool is not None and gc.get_threshold() == pace  # the start: Python's pace
        await settle(pilot)
        assert app._start_pool is None
        assert gc.get_threshold() == GC_AFTER_START  # the start settled: fewer, larger batches
        await pilot.press("6")  # the desk works as before
        await settle(pilot)
        assert "[6 All]" in screen_text(app)


@desk_test
async def test_a_desk_made_elsewhere_freezes_nothing(make_app: Any, nothing_frozen: None) -> None:
    app = make_app("cpatel")  # (a test's desk, or the benches' without the flag)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app._start_pool is None
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() != GC_AFTER_START  # (nor collects less often)


def test_drp_opens_the_desk_with_its_heap_settled(monkeypatch: pytest.MonkeyPatch) -> None:
    from drp_tui.cli import run
    from drp_tui.ui import app as app_module

    made: list[dict[str, Any]] = []

    class Recorded:
        return_code = 0

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(kwargs)

        def run(self) -> None:
            pass

    monkeypatch.setattr(app_module, "DrpApp", Recorded)
    setup: Any = SimpleNamespace(policy=object(), config=SimpleNamespace(plain=False))
    assert run.open_desk(setup) == 0
    assert made and made[0]["settle_heap"] is True


@desk_test
async def test_the_starts_thread_keeps_fewer_pages_and_a_keys_thread_the_usual(make_app: Any) -> None:
    import asyncio

    from drp_tui.store.db import SQLITE_PRAGMAS, START_CACHE_KIB
    from drp_tui.store.models import database

    def kept() -> int:
        return int(database.obj.execute_sql("PRAGMA cache_size").fetchone()[0])

    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        pool = app._start_pool
        assert pool is not None  # the start's one thread, while its work runs
        assert await asyncio.wrap_future(pool.submit(kept)) == -START_CACHE_KIB
        await settle(pilot)
        assert app._start_pool is None  # the start's work is done: keys get threads of their own
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, kept) == SQLITE_PRAGMAS["cache_size"] == -512
        assert any(name in screen_text(app) for name in child_names(app))
