"""Many sessions on one file: load and crash tests (small), optimistic locking, file permissions."""

from __future__ import annotations

import fcntl
import grp
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.errors import ConflictError
from drp_tui.store import backup as bk
from drp_tui.store import db as store_db
from drp_tui.store import models as m
from drp_tui.store.db import StoreError, close_database, open_database
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
_CALENDAR = WorkingCalendar("ENG")


@pytest.fixture
def calendar() -> WorkingCalendar:
    return _CALENDAR


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def script(name: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True,
                          cwd=str(ROOT), timeout=timeout)


# ---------------------------------------------------------------- load and crash (small versions of the scripts)


def test_load_four_processes_exact_counts_and_no_lock_errors() -> None:
    run = script("load_test.py", "--procs", "4", "--ops", "25", "--chairs", "2", "--quiet")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "100 = " in run.stdout and "+ 0 failed (0 'database is locked')" in run.stdout
    assert "exact counts: OK" in run.stdout
    assert "p99" in run.stdout


def test_crash_five_kills_every_commit_survives() -> None:
    run = script("crash_test.py", "--kills", "5", "--writers", "1", "--max-ms", "300")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5/5 rounds passed" in run.stdout
    assert "1 online backups taken mid-write passed" in run.stdout
    assert "drp check at the end: exit 0" in run.stdout


def test_a_long_write_elsewhere_makes_a_save_wait_not_fail(world: World, db_path: Path) -> None:
    """Another process holds SQLite's write lock until told to let go: the save waits, then commits."""
    ctx = world.ctx()
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline(); c.execute('COMMIT')")
    holder = subprocess.Popen([sys.executable, "-c", code, str(db_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    result: list[list[int]] = []
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        saver = threading.Thread(target=lambda: result.append(ds.raise_dispute(ctx, ds.RaiseInput(
            child_ids=[world.child.id], category=world.policy.categories[0].key,
            start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
            concern="Waited."))))
        saver.start()
        saver.join(timeout=0.5)
        assert saver.is_alive() and not result  # still waiting for the other writer, not failed
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        saver.join(timeout=30)
    finally:
        holder.wait(10)
    assert len(result) == 1 and len(result[0]) == 1


def test_online_backups_while_a_writer_writes(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPTS))
    try:
        import load_test
    finally:
        sys.path.remove(str(SCRIPTS))
    path = tmp_path / "live.db"
    world = load_test.setup_world(path, 2)
    writer = subprocess.Popen([sys.executable, str(SCRIPTS / "crash_test.py"), "--writer", "--db", str(path),
                               "--seed", "7", "--world", json.dumps(world)], stdout=subprocess.PIPE, text=True,
                              cwd=str(ROOT))
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        sizes = []
        for i in range(3):
            writer.stdout.readline()  # at least one more commit between backups
            result = bk.backup_database(path, tmp_path / f"b{i}.db")
            assert bk.ok(bk.check_file(result.path)), bk.check_file(result.path)
            sizes.append(result.size)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert bk.ok(bk.check_file(path))


# ---------------------------------------------------------------- the writers' queue


def test_the_writers_queue_waits_then_gives_up_without_failing(tmp_path: Path) -> None:
    lock = tmp_path / "x.db-writers"
    other = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)  # another "process" (its own open file)
    mine = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        t0 = time.perf_counter()
        assert store_db._flock_wait(mine, 0.2) is False  # gave up: BEGIN IMMEDIATE still guards
        assert 0.15 < time.perf_counter() - t0 < 2
        fcntl.flock(other, fcntl.LOCK_UN)
        # the abandoned waiter takes the lock and hands it straight back: a third party gets it
        third = os.open(lock, os.O_RDWR)
        taker = threading.Thread(target=fcntl.flock, args=(third, fcntl.LOCK_EX))
        taker.start()
        taker.join(timeout=10)
        assert not taker.is_alive()
        fcntl.flock(third, fcntl.LOCK_UN)
        os.close(third)
        assert store_db._flock_wait(mine, 0.2) is True
        fcntl.flock(mine, fcntl.LOCK_UN)
    finally:
        os.close(other)
        os.close(mine)


def test_write_transactions_nest_and_release_the_queue(world: World, db_path: Path) -> None:
    from drp_tui.store.db import write_txn

    with write_txn():
        with write_txn():
            m.SiblingGroup.create(name="nested")
        assert store_db._writer_depth == 2 - 1
    assert store_db._writer_depth == 0
    probe = os.open(f"{db_path}-writers", os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    finally:
        os.close(probe)


# ---------------------------------------------------------------- optimistic locking


def _raise(world: World) -> int:
    (did,) = ds.raise_dispute(world.ctx(), ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key, issue_arose=world.ctx().today() - timedelta(days=3),
        concern="First words."))
    return did


def test_second_save_of_the_same_version_is_refused_naming_who_and_when(world: World) -> None:
    did = _raise(world)
    v = m.Dispute.get_by_id(did).version  # both sessions opened the form at version v
    desk_a, desk_b = world.ctx(), world.ctx()
    new_v = ds.update_draft(desk_a, did, v, {"concern": "Session A's text"})
    events = m.Event.select().count()
    with pytest.raises(ConflictError) as caught:
        ds.update_draft(desk_b, did, v, {"concern": "Session B's text", "impact": "B's impact"})
    exc = caught.value
    assert exc.changed_by == "Casey Chair"
    assert exc.changed_at == "Mon 23 Nov 2026 10:00"
    assert "changed by Casey Chair at Mon 23 Nov 2026 10:00 after you opened it" in exc.message
    assert "Your text is kept" in exc.message
    assert exc.yours == {"concern": "Session B's text", "impact": "B's impact"}
    d = m.Dispute.get_by_id(did)
    assert (d.concern, d.version) == ("Session A's text", new_v)
    assert m.Event.select().count() == events  # a conflict writes nothing
    # B re-applies on the fresh version: now it saves.
    assert ds.update_draft(desk_b, did, new_v, exc.yours) == new_v + 1


def test_a_change_by_someone_else_is_named(world: World) -> None:
    did = _raise(world)
    ds.send(world.ctx(), did)
    v = m.Dispute.get_by_id(did).version  # the chair has the dispute open at v
    responder = world.responder(world.policy.starting_stages()[0].key)
    world.clock.advance(minutes=7)
    ds.record_response(world.ctx(responder), did, "We will update the plan by Friday.", version=v)
    with pytest.raises(ConflictError) as caught:
        outcomes.decide(world.ctx(), did, resolved=True, comment="Thanks", version=v)
    assert caught.value.changed_by == responder.name
    assert caught.value.changed_at == "Mon 23 Nov 2026 10:07"
    assert responder.name in caught.value.message
    assert caught.value.yours == {"comment": "Thanks"}
    assert m.Dispute.get_by_id(did).status == "responded"


def test_the_time_of_the_other_change_is_london_wall_clock_time(world: World) -> None:
    from datetime import datetime

    from drp_tui.domain.timeutil import LONDON

    world.clock.set(datetime(2026, 7, 1, 9, 30, tzinfo=LONDON))  # British Summer Time: 08:30 UTC
    did = _raise(world)
    v = m.Dispute.get_by_id(did).version
    ds.update_draft(world.ctx(), did, v, {"concern": "Summer text"})
    with pytest.raises(ConflictError) as caught:
        ds.update_draft(world.ctx(), did, v, {"concern": "Other text"})
    assert caught.value.changed_at == "Wed 1 Jul 2026 09:30"


@pytest.mark.parametrize("action", ["send", "withdraw", "agree_extension", "decide", "escalate"])
def test_every_versioned_action_refuses_a_stale_version(world: World, action: str) -> None:
    did = _raise(world)
    ctx = world.ctx()
    if action in ("agree_extension", "decide", "escalate"):
        ds.send(ctx, did)
    if action in ("decide", "escalate"):
        responder = world.responder(world.policy.starting_stages()[0].key)
        ds.record_response(world.ctx(responder), did, "Response.")
    stale = m.Dispute.get_by_id(did).version - 1
    before = (m.Dispute.get_by_id(did).version, m.Event.select().count())
    calls = {
        "send": lambda: ds.send(ctx, did, version=stale),
        "withdraw": lambda: outcomes.withdraw(ctx, did, "No longer needed", version=stale),
        "agree_extension": lambda: outcomes.agree_extension(ctx, did, date(2026, 12, 18), "More time helps",
                                                            version=stale),
        "decide": lambda: outcomes.decide(ctx, did, resolved=False, comment="Not enough", version=stale),
        "escalate": lambda: outcomes.escalate(ctx, did, comment="Not enough", version=stale),
    }
    with pytest.raises(ConflictError):
        calls[action]()
    assert (m.Dispute.get_by_id(did).version, m.Event.select().count()) == before


# ---------------------------------------------------------------- files and folders


def test_new_database_wal_and_shm_are_private(world: World, db_path: Path) -> None:
    _raise(world)  # a write: the -wal and -shm files exist now
    for suffix in ("", "-wal", "-shm", "-writers"):
        p = Path(f"{db_path}{suffix}")
        assert p.exists(), suffix
        assert mode(p) == 0o600, (suffix, oct(mode(p)))


def test_a_world_readable_database_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "drp.db"
    open_database(str(path))
    close_database()
    os.chmod(path, 0o644)
    with pytest.raises(StoreError) as caught:
        open_database(str(path))
    assert f"chmod o-rwx {path}" in str(caught.value)
    os.chmod(path, 0o600)
    open_database(str(path))
    close_database()


def test_a_world_readable_wal_is_refused_too(world: World, db_path: Path) -> None:
    _raise(world)
    wal = Path(f"{db_path}-wal")
    os.chmod(wal, 0o604)
    try:
        with pytest.raises(StoreError, match="chmod o-rwx .*-wal"):
            open_database(str(db_path))
    finally:
        os.chmod(wal, 0o600)


def test_the_desk_says_how_to_fix_a_world_readable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import drp_tui.config as config_module
    from drp_tui.cli import main

    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "none.toml")
    path = tmp_path / "drp.db"
    open_database(str(path))
    close_database()
    os.chmod(path, 0o664)
    assert main(["--db", str(path), "init"]) == 2
    err = capsys.readouterr().err
    assert "every user on this machine" in err and "chmod o-rwx" in err and "Traceback" not in err


def test_shared_mode_files_belong_to_the_group(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    path = tmp_path / "shared" / "drp.db"
    open_database(str(path), shared_group=group)
    try:
        m.Team.create(name="A team")
        for suffix in ("", "-wal", "-shm", "-writers"):
            p = Path(f"{path}{suffix}")
            assert mode(p) == 0o660, (suffix, oct(mode(p)))
            assert p.stat().st_gid == os.getgid()
        assert mode(path.parent) & 0o007 == 0
    finally:
        close_database()
