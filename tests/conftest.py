"""Shared fixtures: a fresh database file per test, a frozen clock, a small world.

The developer's own config, data and cache folders are never used: HOME, XDG folders and
DRP_* variables are pointed at the test's tmp_path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import LONDON, FrozenClock
from drp_tui.store import audit
from drp_tui.store.db import close_database, open_database
from tests.factories import World, make_world

import os


def pytest_configure(config: pytest.Config) -> None:
    # CI sets DRP_REQUIRE_PG: the PostgreSQL tests must run there, never skip.
    if os.environ.get("DRP_REQUIRE_PG") and not os.environ.get("DRP_TEST_PG_URL"):
        raise pytest.UsageError("DRP_REQUIRE_PG is set but DRP_TEST_PG_URL is not: start PostgreSQL first")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own (skipped without a server; a failure in CI)."""
    from tests.pg import scratch_database

    with scratch_database() as url:
        yield url


# Monday 23 November 2026, 10:00 in London: the frozen "now" of every test.
FROZEN_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in ("DRP_DB", "DRP_CONFIG", "DRP_DEMO_DB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_NOW)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar("ENG")


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "drp.db"
    open_database(str(path))
    audit.create_key()  # <db>.key and <db>.head, as drp init makes them
    yield path
    close_database()


@pytest.fixture(params=["mosaic-iro"])
def policy_key(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, policy_key: str) -> World:
    return make_world(load_builtin(policy_key), calendar, clock)


@pytest.fixture(params=["sqlite", "postgresql"])
def either_world(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock,
                 calendar: WorkingCalendar) -> Iterator[World]:
    """The small world of ``tests.factories`` on SQLite (a file) and, as a second test, on
    PostgreSQL (a database of its own on the test server: skipped without one, a failure in CI)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            target = str(tmp_path / "drp.db")
        else:
            from tests.pg import scratch_database

            target = stack.enter_context(scratch_database())
        open_database(target)
        stack.callback(close_database)
        audit.create_key()
        yield make_world(load_builtin("mosaic-iro"), calendar, clock)
