"""A desk that is closing does not wait for its background reads (the caseload's count,
reminders): they stop where they are; a write transaction still runs to its commit."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from peewee import SqliteDatabase

from drp_tui.bootstrap import Setup
from drp_tui.config import Config
from drp_tui.domain.reading import CaseloadQuery
from drp_tui.services.connection import close_this_thread
from drp_tui.services.errors import Abandoned
from drp_tui.store import db as store_db
from drp_tui.store import models as m
from drp_tui.store.db import ReadInterrupted, interruptible, write_txn
from drp_tui.ui.desk import Desk
from tests.factories import World
from tests.pg import only_on

LONG = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
        "SELECT count(*) FROM c")


def test_a_read_stops_once_asked_and_the_connection_is_as_before(db_path: Path) -> None:
    database = m.database.obj
    with pytest.raises(ReadInterrupted), interruptible(lambda: True):
        database.execute_sql(LONG, (10_000_000,)).fetchone()
    assert database.execute_sql(LONG, (100_000,)).fetchone()[0] == 100_000  # no handler left behind
    with interruptible(lambda: False):
        assert database.execute_sql(LONG, (100_000,)).fetchone()[0] == 100_000


def test_a_write_transaction_in_the_block_runs_to_its_commit(world: World) -> None:
    database = m.database.obj
    with interruptible(lambda: True), write_txn():
        assert database.execute_sql(LONG, (100_000,)).fetchone()[0] == 100_000
        m.Team.create(name="Written while closing", kind="social_care")
    assert m.Team.select().where(m.Team.name == "Written while closing").count() == 1


def desk_of(world: World, target: Path | str) -> Desk:
    """A desk on the open database (``target`` names it in the setup; the desk reads the one open)."""
    setup = Setup(Config(db=str(target)), str(target), world.policy, world.calendar)
    desk = Desk(setup, world.policy, world.clock)
    desk.sign_in_demo(world.chair.username)
    return desk


def test_the_desk_count_is_given_up_once_the_desk_closes(world: World, db_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    desk = desk_of(world, db_path)
    q = CaseloadQuery(view="all", staff_id=world.chair.id, viewer_id=world.chair.id)
    monkeypatch.setattr(store_db, "INTERRUPT_STEPS", 1)  # even this small database's count is long enough
    counted = desk.caseload_count(q)
    events = m.Event.select().count()
    desk.close()
    with pytest.raises(Abandoned) as raised:
        desk.caseload_count(q)
    assert "closing" in raised.value.message
    assert m.Event.select().count() == events  # a read: nothing written
    # the thread's connection reads as before for what is not given up
    assert m.Staff.select().where(m.Staff.id == world.chair.id).count() == 1
    assert counted >= 0


def test_a_count_no_longer_wanted_is_given_up_and_the_next_one_counts(world: World, db_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The caseload's count stops when the next key has moved on (its worker cancelled)."""
    desk = desk_of(world, db_path)
    q = CaseloadQuery(view="all", staff_id=world.chair.id, viewer_id=world.chair.id)
    wanted = desk.caseload_count(q)
    monkeypatch.setattr(store_db, "INTERRUPT_STEPS", 1)
    with pytest.raises(Abandoned) as raised:
        desk.caseload_count(q, unwanted=lambda: True)
    assert "no longer wanted" in raised.value.message
    assert desk.caseload_count(q, unwanted=lambda: False) == wanted  # the connection reads on as before


def test_a_block_still_wanted_is_not_stopped(db_path: Path) -> None:
    with interruptible(lambda: False, reads_only=True):
        store_db.stop_given_up_reads()
        assert m.database.obj.execute_sql(LONG, (100_000,)).fetchone()[0] == 100_000


def test_a_reads_only_block_refuses_a_write(world: World) -> None:
    """A read there may be stopped at once, so nothing in it may write."""
    with pytest.raises(RuntimeError, match="reads only"), interruptible(lambda: False, reads_only=True):
        with write_txn():
            m.Team.create(name="Never written", kind="social_care")
    assert m.Team.select().where(m.Team.name == "Never written").count() == 0
    with write_txn():  # after the block, writes as before
        m.Team.create(name="Written after", kind="social_care")
    assert m.Team.select().where(m.Team.name == "Written after").count() == 1


PG_CANCEL = "PostgreSQL's cancel request (SQLite's interrupt acts at once: nothing is left to spend)"


# --- PostgreSQL: a cancel request, never reaching a statement after the block -----------------

def driver_in_transaction() -> bool:
    """Is this thread's connection inside a transaction, as its driver sees it (not only peewee)?"""
    conn = m.database.obj.connection()
    if isinstance(m.database.obj, SqliteDatabase):
        return bool(conn.in_transaction)
    return bool(conn.get_transaction_status() != 0)  # (psycopg2: 0 is idle)


def give_up_a_long_read() -> tuple[list[object], float]:
    """A read that would run 30 s, in a reads-only block on another thread, given up as the next
    key gives a count up (stop_given_up_reads, again until the thread ends: a stop sent between two
    statements is lost). What the thread saw, and how long it ran."""
    long_read = (LONG, (10**10,)) if isinstance(m.database.obj, SqliteDatabase) else ("SELECT pg_sleep(30)", ())
    given_up = threading.Event()
    started = threading.Event()
    outcome: list[object] = []

    def count() -> None:
        try:
            with interruptible(given_up.is_set, reads_only=True), store_db.read_snapshot():
                started.set()
                outcome.append(m.database.obj.execute_sql(*long_read).fetchone()[0])
        except ReadInterrupted:
            outcome.append("given up")
            outcome.append(driver_in_transaction())  # the snapshot was rolled back, not left open and stale
            outcome.append(m.database.obj.execute_sql("SELECT 1").fetchone()[0])
        finally:
            close_this_thread()

    other = threading.Thread(target=count)
    began = time.monotonic()
    other.start()
    started.wait()
    given_up.set()
    while other.is_alive():
        store_db.stop_given_up_reads()
        other.join(0.05)
    return outcome, time.monotonic() - began


def test_a_reads_only_block_given_up_on_another_thread_stops_at_once_on_either_engine(
        either_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caseload's count is stopped by the key that gives it up (stop_given_up_reads, from the UI
    thread), not at its next progress check: here there is none (a count shorter than
    INTERRUPT_STEPS, the usual one, is never asked). On SQLite and PostgreSQL: a read that would
    run 30 s stops; its snapshot is not left open and its thread reads on."""
    monkeypatch.setattr(store_db, "INTERRUPT_STEPS", 10**9)
    outcome, took = give_up_a_long_read()
    assert outcome == ["given up", False, 1]
    assert took < 20  # stopped, not run to its end


def test_cancels_are_sent_on_one_connection_kept_for_them(either_world: World) -> None:
    """PostgreSQL: ``pg_cancel_backend`` on a connection the process keeps (a query lets the
    interpreter's lock go while it waits; psycopg2's cancel() holds it while it connects), the
    same one each time, closed with the database."""
    only_on("postgresql", PG_CANCEL)
    db = m.database.obj
    assert give_up_a_long_read()[0] == ["given up", False, 1]
    kept = store_db._canceller[id(db)]
    assert give_up_a_long_read()[0] == ["given up", False, 1]
    assert store_db._canceller[id(db)] is kept and not kept.closed
    store_db.close_canceller()
    assert kept.closed and not store_db._canceller


def test_a_cancel_sent_late_never_stops_another_session_that_took_the_same_process_id(
        either_world: World) -> None:
    """A cancel names its session by process id and start time: one sent after its block let the
    connection go finds no such session, and stops nothing (here: a session with that process id
    but another start time, running a statement, runs it to its end)."""
    only_on("postgresql", PG_CANCEL)
    db = m.database.obj
    other = db._connect()
    pid = other.get_backend_pid()
    outcome: list[object] = []

    def run() -> None:
        try:
            with other.cursor() as cur:
                cur.execute("SELECT pg_sleep(0.5), 7")
                outcome.append(cur.fetchone()[1])
        except Exception as exc:  # noqa: BLE001 - what stopped it is the finding
            outcome.append(type(exc).__name__)

    runner = threading.Thread(target=run)
    runner.start()
    while not db.execute_sql("SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active'",
                             (pid,)).fetchone()[0]:
        pass  # (until the statement runs: a cancel then would stop it)
    ended = SimpleNamespace(db=db, conn=None, pid=pid, started=datetime(2000, 1, 1, tzinfo=UTC))
    store_db._send_cancel(ended)  # type: ignore[arg-type]
    runner.join(10)
    other.close()
    assert outcome == [7]


def test_closing_does_not_wait_for_a_cancel_still_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel stuck connecting to a server that does not answer holds the kept connection's lock:
    closing the database gives up on it after CLOSE_WAIT (a desk that quits does not hang)."""
    monkeypatch.setattr(store_db, "CLOSE_WAIT", 0.01)
    with store_db._canceller_lock:
        closer = threading.Thread(target=store_db.close_canceller)
        closer.start()
        closer.join(5)
        assert not closer.is_alive()


def test_a_cancel_that_cannot_be_sent_on_the_kept_connection_is_sent_as_a_request(
        either_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``pg_cancel_backend`` cannot be run (here: a query that fails), the kept connection is
    closed and psycopg2's own cancel request stops the read instead."""
    only_on("postgresql", PG_CANCEL)
    monkeypatch.setattr(store_db, "CANCEL_SQL", "SELECT no_such_function(%s, %s)")
    outcome, took = give_up_a_long_read()
    assert outcome == ["given up", False, 1]
    assert took < 20
    assert not store_db._canceller


def test_a_cancel_sent_as_the_block_ends_never_reaches_the_next_statement(either_world: World) -> None:
    only_on("postgresql", PG_CANCEL)
    stop = [False]
    for _ in range(20):  # (the cancel's arrival against the block's end, many times over)
        stop[0] = False
        with interruptible(lambda: stop[0], reads_only=True):
            assert m.database.obj.execute_sql("SELECT 1").fetchone()[0] == 1
            stop[0] = True
            store_db.stop_given_up_reads()  # sent from a thread of its own while this one goes on
        assert m.database.obj.execute_sql("SELECT pg_sleep(0.01), 2").fetchone()[1] == 2


def test_a_read_not_begun_in_a_block_given_up_is_not_begun_on_either_engine(either_world: World) -> None:
    stop = [False]
    with pytest.raises(ReadInterrupted), interruptible(lambda: stop[0], reads_only=True):
        assert m.database.obj.execute_sql("SELECT 1").fetchone()[0] == 1
        stop[0] = True
        m.database.obj.execute_sql("SELECT 2")
    assert m.database.obj.execute_sql("SELECT 3").fetchone()[0] == 3


def test_a_desk_count_no_longer_wanted_is_given_up_on_either_engine(either_world: World) -> None:
    w = either_world
    desk = desk_of(w, str(m.database.obj.database))
    q = CaseloadQuery(view="all", staff_id=w.chair.id, viewer_id=w.chair.id)
    wanted = desk.caseload_count(q)
    with pytest.raises(Abandoned):
        desk.caseload_count(q, unwanted=lambda: True)
    assert desk.caseload_count(q, unwanted=lambda: False) == wanted


def test_a_cancel_the_server_is_slow_to_take_lets_the_connection_go(either_world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """If the cancel request is still being sent when the block ends, its connection is closed (the
    cancel, whenever it lands, finds no statement of the thread's) and the next read opens another."""
    only_on("postgresql", PG_CANCEL)
    held = threading.Event()
    real = store_db._send_cancel

    def slow(block: Any) -> None:
        held.wait(10)
        real(block)

    monkeypatch.setattr(store_db, "_send_cancel", slow)
    monkeypatch.setattr(store_db, "CANCEL_WAIT", 0.05)
    stop = [False]
    before = m.database.obj.connection()
    with interruptible(lambda: stop[0], reads_only=True):
        assert m.database.obj.execute_sql("SELECT 1").fetchone()[0] == 1
        stop[0] = True
        store_db.stop_given_up_reads()
    assert m.database.obj.is_closed()
    held.set()
    assert m.database.obj.execute_sql("SELECT pg_sleep(0.05), 2").fetchone()[1] == 2
    assert m.database.obj.connection() is not before
