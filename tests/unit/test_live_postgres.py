"""Live refresh on PostgreSQL: a commit in one session reaches another's watch (LISTEN/NOTIFY).

Runs when DRP_TEST_PG_URL names a server (a failure in CI without one). No sleeps: each
look waits on the listener's socket with a bounded ``select`` and returns the moment a
notification arrives."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import accounts, connection
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database, write_txn
from tests.conftest import FROZEN_NOW
from tests.pg import scratch_database

ARRIVES = 5.0  # the most a look waits for a notification that must come (it returns at once when it does)
QUIET = 0.3  # how long a look waits for one that must not


@pytest.fixture
def pg() -> Iterator[str]:
    from drp_tui.store import audit as store_audit

    with scratch_database() as url:
        open_database(url)
        store_audit.create_key()
        try:
            yield url
        finally:
            close_database()


def _admin() -> InstallationAdmin:
    return InstallationAdmin(None, load_builtin("mosaic-iro"), WorkingCalendar("ENG"),  # type: ignore[arg-type]
                             FrozenClock(FROZEN_NOW), os_user="root")


def _in_another_session(fn: Callable[[], object]) -> None:
    """Run ``fn`` on another thread: peewee gives each thread its own connection."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            failed.append(exc)
        finally:
            connection.close_this_thread()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if failed:
        raise failed[0]


def test_a_commit_elsewhere_reaches_the_watch(pg: str) -> None:
    first = connection.data_version()  # starts listening
    _in_another_session(lambda: accounts.add_team(_admin(), "Committed Elsewhere"))
    assert connection.data_version(ARRIVES) != first
    assert m.Team.get_or_none(m.Team.name == "Committed Elsewhere") is not None


def test_reads_and_rollbacks_send_nothing(pg: str) -> None:
    """A service that only reads (every service is a transaction) or a write rolled back must
    not make the open desks reload: their reloads would set the others reloading in turn."""
    first = connection.data_version()
    _in_another_session(lambda: accounts.list_users(_admin()))

    def rolled_back() -> None:
        with pytest.raises(RuntimeError):
            with write_txn():
                m.Team.create(name="Never Committed", kind="social_care")
                raise RuntimeError("changed my mind")

    _in_another_session(rolled_back)
    assert connection.data_version(QUIET) == first
    assert m.Team.get_or_none(m.Team.name == "Never Committed") is None


def test_the_desk_watch_sees_it_through_its_usual_path(pg: str) -> None:
    from drp_tui.ui.live import DataWatch

    async def scenario() -> tuple[bool, bool, bool]:
        watch = DataWatch()
        try:
            assert await watch.changed() is False  # the first look: nothing to compare with
            quiet = await watch.changed()
            _in_another_session(lambda: accounts.add_team(_admin(), "Seen By The Watch"))
            await watch.run(connection.data_version, ARRIVES)  # on the watch thread, as the desk looks
            seen = await watch.changed()
            return quiet, seen, await watch.changed()
        finally:
            watch.close()

    quiet, seen, again = asyncio.run(scenario())
    assert (quiet, seen, again) == (False, True, False)


def test_a_dropped_listener_counts_as_a_change_and_listens_again(pg: str) -> None:
    from drp_tui.store import db as store_db

    first = connection.data_version()
    listener = store_db._listener
    assert listener is not None and listener._conn is not None
    listener._conn.close()  # e.g. the server restarted
    after_drop = connection.data_version()
    assert after_drop != first  # commits may have been missed: the desk reloads
    listening = connection.data_version()  # a new connection: once more (missed while none listened)
    assert listening != after_drop and connection.data_version() == listening
    _in_another_session(lambda: accounts.add_team(_admin(), "After The Drop"))
    assert connection.data_version(ARRIVES) != listening


def test_an_unreachable_server_does_not_reload_every_second(pg: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from drp_tui.store import db as store_db

    first = connection.data_version()
    listener = store_db._listener
    assert listener is not None
    listener._conn.close()
    dropped = connection.data_version()

    def refused() -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(listener._db, "_connect", refused)
    assert dropped == first + 1
    assert [connection.data_version() for _ in range(3)] == [dropped] * 3  # still: no reload storm
    monkeypatch.undo()
    assert connection.data_version() == dropped + 1  # listening again: one reload for what was missed
