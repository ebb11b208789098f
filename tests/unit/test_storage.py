"""Honest, bounded storage: no database is created by accident, a moved file stops the
writing (saying so), demo never replaces real data, and disk full / read-only / a lock
held too long each get their own message. Nothing half-saved in any case."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from drp_tui.cli import main
from drp_tui.services import disputes as ds
from drp_tui.services.errors import StorageError
from drp_tui.store import db as store_db
from drp_tui.store import models as m
from drp_tui.store.db import StoreError, close_database, open_database
from tests.factories import World


@pytest.fixture(autouse=True)
def _no_site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import drp_tui.config as config_module

    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "none.toml")


def _raise(world: World, concern: str = "First words.") -> int:
    (did,) = ds.raise_dispute(world.ctx(), ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key,
        issue_arose=world.ctx().today() - timedelta(days=3), concern=concern))
    return did


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as con:
        return (con.execute("SELECT count(*) FROM dispute").fetchone()[0],
                con.execute("SELECT count(*) FROM event").fetchone()[0])


def live_counts() -> tuple[int, int]:
    return m.Dispute.select().count(), m.Event.select().count()


# ---------------------------------------------------------------- a missing database is never re-created


@pytest.mark.parametrize("argv", [["run"], ["user", "list"], ["team", "list"], ["check"], ["migrate", "status"]])
def test_only_init_creates_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    path = tmp_path / "typo.db"
    assert main(["--db", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("drp: ")
    assert str(path) in err and "drp init" in err
    assert not path.exists() and not Path(f"{path}-wal").exists()


def test_the_refusal_says_exactly_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.db"
    assert main(["--db", str(path), "user", "list"]) == 2
    assert capsys.readouterr().err == f"drp: No database at {path}. Create one with: drp init\n"
    assert main(["--db", str(path), "init"]) == 0
    close_database()
    assert path.exists()
    assert main(["--db", str(path), "team", "list"]) == 0  # now it is there
    close_database()


def test_open_database_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No database at .*Create one with: drp init"):
        open_database(str(tmp_path / "gone.db"), create=False)
    assert not (tmp_path / "gone.db").exists()


@pytest.mark.parametrize("how", ["rename", "delete", "replace"])
def test_a_session_whose_file_has_gone_stops_writing_and_says_so(world: World, db_path: Path, how: str) -> None:
    _raise(world)
    moved = db_path.with_name("moved.db")
    if how == "rename":
        os.rename(db_path, moved)
    elif how == "delete":
        os.unlink(db_path)
    else:  # someone puts another file at the path: not the database this session opened
        os.rename(db_path, moved)
        shutil.copy(moved, db_path)
    before = live_counts()  # the session still reads through the file it opened
    for attempt in range(2):  # and it keeps saying so: nothing is saved later either
        with pytest.raises(StorageError) as caught:
            _raise(world, f"Typed after the file went ({attempt})")
        assert caught.value.message == (
            f"The database file {db_path} has gone (moved or deleted). Nothing more will be saved; "
            "your text is kept. Ask your administrator.")
    assert live_counts() == before
    assert db_path.exists() == (how == "replace")  # never re-created


# ---------------------------------------------------------------- drp demo never destroys real data


def test_demo_refuses_to_replace_a_real_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real.db"
    assert main(["--db", str(real), "init"]) == 0
    m.Team.create(name="Real team")
    close_database()
    before = real.read_bytes()
    for argv in (["--db", str(real), "demo"], ["demo", "--seed-only", str(real)]):
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"{real} is not a demo database" in err and "left as it is" in err
    assert real.read_bytes() == before
    with sqlite3.connect(real) as con:
        assert con.execute("SELECT name FROM team").fetchall() == [("Real team",)]


def test_demo_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my notes")
    assert main(["demo", "--seed-only", str(notes)]) == 2
    assert notes.read_text() == "my notes"


def test_demo_replaces_its_own_demo_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = tmp_path / "demo.db"
    assert main(["demo", "--seed-only", str(demo)]) == 0  # absent: created
    assert store_db.is_demo_file(demo)
    with sqlite3.connect(demo) as con:
        con.execute("INSERT INTO team (name, kind) VALUES ('Scribble', 'social_care')")
    assert main(["demo", "--seed-only", str(demo)]) == 0  # a demo: replaced by a fresh one
    with sqlite3.connect(demo) as con:
        assert con.execute("SELECT count(*) FROM team WHERE name = 'Scribble'").fetchone() == (0,)
    assert store_db.is_demo_file(demo)
    assert not store_db.is_demo_file(tmp_path / "absent.db")


# ---------------------------------------------------------------- honest errors


def test_a_read_only_database_says_so(world: World, db_path: Path) -> None:
    _raise(world)
    before = counts(db_path)
    m.database.obj.execute_sql("PRAGMA query_only = 1")  # as a file this user may not write
    try:
        with pytest.raises(StorageError) as caught:
            _raise(world, "Not saved")
    finally:
        m.database.obj.execute_sql("PRAGMA query_only = 0")
    assert caught.value.message.startswith(f"The database {db_path} is read-only here: nothing was saved; "
                                           "your text is kept.")
    assert "administrator" in caught.value.message
    assert counts(db_path) == before
    _raise(world, "Saved again")  # the session is usable once it can write again
    assert counts(db_path)[0] == before[0] + 1


def test_a_full_disk_says_so_and_saves_nothing(world: World, db_path: Path) -> None:
    _raise(world)
    db = m.database.obj
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages}")  # no room for one more page
    before = counts(db_path)
    with pytest.raises(StorageError) as caught:
        _raise(world, "x" * 19_000)
    assert caught.value.message.startswith("The database is full (no disk space left): nothing was saved; "
                                           "your text is kept.")
    assert counts(db_path) == before
    db.execute_sql(f"PRAGMA max_page_count = {2**30}")
    _raise(world, "After space was freed")
    assert counts(db_path)[0] == before[0] + 1


def test_an_enospc_from_the_os_is_a_full_disk_too() -> None:
    fault = store_db.storage_fault(OSError(28, "No space left on device"))
    assert fault is not None and str(fault).startswith("The database is full")


def test_a_lock_held_too_long_says_so(world: World, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _raise(world)
    before = counts(db_path)
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)
    m.database.obj.execute_sql("PRAGMA busy_timeout = 300")
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline(); c.execute('COMMIT')")
    holder = subprocess.Popen([sys.executable, "-c", code, str(db_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StorageError) as caught:
            _raise(world, "Waited too long")
    finally:
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        holder.wait(10)
    assert caught.value.message.startswith(f"The database {db_path} is busy: another session held it for more "
                                           "than 0.3 seconds, so nothing was saved; your text is kept.")
    assert counts(db_path) == before
    _raise(world, "Now it goes through")
    assert counts(db_path)[0] == before[0] + 1
