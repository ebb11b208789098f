"""``drp audit verify``, ``drp backup``, ``drp restore``, ``drp check``, ``drp migrate status``."""

from __future__ import annotations

import grp
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import drp_tui.config as config_module
from drp_tui.cli import main
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.services import disputes as ds
from drp_tui.store import backup as bk
from drp_tui.store.db import close_database, open_database, run_migrations
from tests.unit.test_migrations import HEAD as MIGRATIONS  # every migration shipped, in order
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
_CALENDAR = WorkingCalendar("ENG")


@pytest.fixture
def calendar() -> WorkingCalendar:
    return _CALENDAR


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DRP_CONFIG", raising=False)
    monkeypatch.setattr(config_module, "user_config_dir", lambda: tmp_path / "no-user-config")
    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "no-site-config.toml")


@pytest.fixture
def seeded(world: World, db_path: Path) -> Path:
    """Two disputes through the real services, then the file closed (as after a session)."""
    ctx = world.ctx()
    for text in ("The care plan is out of date.", "No life story work."):
        ds.raise_dispute(ctx, ds.RaiseInput(
            child_ids=[world.child.id], category=world.policy.categories[0].key,
            start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20), concern=text))
    close_database()
    return db_path


def drp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    status = main(list(argv))
    close_database()
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    out = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    con.close()
    return out


def tamper(path: Path, sql: str) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute(sql)
    con.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- audit verify


def test_audit_verify_ok(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    status, out, err = drp(capsys, "--db", str(seeded), "audit", "verify")
    assert status == 0, err
    assert len(out) == 1 and out[0].startswith("OK: 2 events, chain intact (last: event 2, hash ")


def test_audit_verify_names_an_edited_event(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    tamper(seeded, "UPDATE event SET summary = 'nothing happened' WHERE id = 1")
    status, out, _ = drp(capsys, "--db", str(seeded), "audit", "verify")
    assert status == 1
    assert out[0] == "event 1: edited: its content was changed after it was written"
    assert len(out) == 2 and "rows match their last event" in out[1]  # the content line follows


def test_audit_verify_names_a_deleted_event(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    tamper(seeded, "DELETE FROM event WHERE id = 1")
    status, out, _ = drp(capsys, "--db", str(seeded), "audit", "verify")
    assert status == 1
    assert out[0] == "event 2: deleted: events 1..1 are missing"


def test_audit_verify_on_a_missing_file_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = drp(capsys, "--db", str(tmp_path / "nope.db"), "audit", "verify")
    assert status == 2
    assert "does not exist" in err and "drp init" in err
    assert not (tmp_path / "nope.db").exists()  # a report never creates the database


# ---------------------------------------------------------------- check


def test_check_ok(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    status, out, err = drp(capsys, "--db", str(seeded), "check")
    assert status == 0, out
    names = [line.split(":")[0].split()[-1] for line in out[1:]]
    assert names == ["permissions", "integrity", "keys", "migrations", "audit", "content", "procedures", "mail"]
    assert all(line.startswith("ok ") for line in out[1:])


def test_check_reports_a_world_readable_file_with_the_fix(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    os.chmod(seeded, 0o644)
    status, out, _ = drp(capsys, "--db", str(seeded), "check")
    assert status == 1
    bad = [line for line in out if line.startswith("PROBLEM")]
    assert len(bad) == 2 and f"chmod o-rwx {seeded}" in bad[0]
    assert bad[1] == "PROBLEM  other checks: not run until the permissions are fixed"
    # Opening it would have made SQLite's -wal/-shm files just as open: it was not opened.
    assert not Path(f"{seeded}-wal").exists() and not Path(f"{seeded}-shm").exists()
    os.chmod(seeded, 0o600)
    assert drp(capsys, "--db", str(seeded), "check")[0] == 0


def test_check_reports_a_tampered_trail(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    tamper(seeded, "UPDATE event SET actor_id = NULL WHERE id = 2")
    status, out, _ = drp(capsys, "--db", str(seeded), "check")
    assert status == 1
    assert "PROBLEM  audit: event 2: edited: its content was changed after it was written" in out


def test_check_reports_a_broken_reference(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    con = sqlite3.connect(seeded)
    con.execute("PRAGMA foreign_keys = OFF")
    with con:
        con.execute("UPDATE dispute SET child_id = 9999 WHERE id = 1")
    con.close()
    status, out, _ = drp(capsys, "--db", str(seeded), "check")
    assert status == 1
    assert "PROBLEM  foreign keys: dispute row 1 points to a missing child" in out


def test_check_reports_a_damaged_file(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    size = seeded.stat().st_size
    with open(seeded, "r+b") as fh:  # scribble over the middle of the file
        fh.seek(size // 2)
        fh.write(b"\x00\xff" * 2048)
    status, out, err = drp(capsys, "--db", str(seeded), "check")
    assert status != 0
    assert any(line.startswith("PROBLEM") for line in out) or err


def test_check_and_status_report_pending_migrations(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_database(str(path), migrate=False)
    run_migrations(db, "0001_initial")
    close_database()
    status, out, _ = drp(capsys, "--db", str(path), "migrate", "status")
    assert status == 0
    pending = [name for name in MIGRATIONS if name != "0001_initial"]
    assert out[1:] == ["  applied  0001_initial", *[f"  pending  {name}" for name in pending],
                       f"{len(pending)} pending (apply with: drp init)"]
    status, out, _ = drp(capsys, "--db", str(path), "check")
    assert status == 1
    assert f"PROBLEM  migrations: pending: {', '.join(pending)} (apply with: drp init)" in out
    assert main(["--db", str(path), "init"]) == 0
    close_database()
    capsys.readouterr()
    status, out, _ = drp(capsys, "--db", str(path), "check")
    assert status == 0, out


def test_check_reports_a_database_newer_than_the_program(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    tamper(seeded, "INSERT INTO schema_migration (name, applied) VALUES ('0099_future', '2030-01-01')")
    status, out, _ = drp(capsys, "--db", str(seeded), "check")
    assert status == 1
    assert any("0099_future" in line and "newer than the program" in line for line in out)


def test_migrate_status_at_head(capsys: pytest.CaptureFixture[str], seeded: Path) -> None:
    status, out, _ = drp(capsys, "--db", str(seeded), "migrate", "status")
    assert status == 0
    assert out[-1] == "0 pending"


# ---------------------------------------------------------------- backup


def test_backup_is_private_self_contained_and_complete(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                       tmp_path: Path) -> None:
    target = tmp_path / "backups" / "b1.db"
    target.parent.mkdir()
    status, out, err = drp(capsys, "--db", str(seeded), "backup", str(target))
    assert status == 0, err
    assert out[0].startswith(f"backup written: {target} (") and "integrity ok" in out[0]
    assert mode(target) == 0o600
    assert not Path(f"{target}-wal").exists()
    con = sqlite3.connect(target)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()
    assert dump(target) == dump(seeded)
    assert bk.ok(bk.check_file(target))
    assert [p.name for p in target.parent.iterdir()] == ["b1.db"]  # no temporary left behind


def test_backup_never_overwrites_without_force(capsys: pytest.CaptureFixture[str], seeded: Path,
                                               tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    target.write_text("precious")
    status, _, err = drp(capsys, "--db", str(seeded), "backup", str(target))
    assert status == 1
    assert "already exists" in err and "--force" in err
    assert target.read_text() == "precious"
    status, _, err = drp(capsys, "--db", str(seeded), "backup", str(target), "--force")
    assert status == 0, err
    assert dump(target) == dump(seeded)
    assert mode(target) == 0o600


def test_backup_into_a_folder_picks_a_dated_name(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                 tmp_path: Path) -> None:
    folder = tmp_path / "nightly"
    folder.mkdir()
    status, out, _ = drp(capsys, "--db", str(seeded), "backup", str(folder))
    assert status == 0
    (made,) = folder.iterdir()
    assert made.name.startswith("drp-") and made.suffix == ".db"


def test_backup_in_shared_mode_is_group_readable(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 world: World, db_path: Path) -> None:
    close_database()
    group = grp.getgrgid(os.getgid()).gr_name
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'shared_group = "{group}"\n')
    target = tmp_path / "shared.db"
    status, _, err = drp(capsys, "--config", str(cfg), "--db", str(db_path), "backup", str(target))
    assert status == 0, err
    assert mode(target) == 0o660
    assert target.stat().st_gid == os.getgid()


def test_backup_of_a_world_readable_database_is_refused(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                        tmp_path: Path) -> None:
    os.chmod(seeded, 0o644)
    status, _, err = drp(capsys, "--db", str(seeded), "backup", str(tmp_path / "b.db"))
    assert status == 1 and "chmod o-rwx" in err
    assert not (tmp_path / "b.db").exists()


def test_backup_of_a_server_database_points_to_its_tools(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = drp(capsys, "--db", "postgresql://drp:s3cret@db.example/drp", "backup", str(tmp_path / "b.db"))
    assert status == 2
    assert "pg_dump" in err and "s3cret" not in err


# ---------------------------------------------------------------- restore


def test_restore_checks_keeps_the_current_file_and_copies_in(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                             tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert drp(capsys, "--db", str(seeded), "backup", str(backup))[0] == 0
    at_backup = dump(seeded)
    tamper(seeded, "UPDATE dispute SET concern = 'changed after the backup' WHERE id = 1")
    after_backup = dump(seeded)
    status, out, err = drp(capsys, "--db", str(seeded), "restore", str(backup))
    assert status == 0, (out, err)
    assert out[0].startswith(f"the database as it was is kept at {seeded}.before-restore-")
    kept = Path(out[0].rsplit(" ", 1)[1])
    assert mode(kept) == 0o600
    assert dump(kept) == after_backup
    restored = dump(seeded)
    assert restored["event"][:-1] == at_backup["event"] and restored["event"][-1][3] == "restore"
    assert {k: v for k, v in restored.items() if k != "event"} == {k: v for k, v in at_backup.items() if k != "event"}
    assert all(line.startswith("ok ") for line in out[2:]) and len(out) == 8
    assert backup.exists() and dump(backup) == at_backup  # the backup itself untouched


def test_restore_refuses_a_tampered_backup(capsys: pytest.CaptureFixture[str], seeded: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert drp(capsys, "--db", str(seeded), "backup", str(backup))[0] == 0
    tamper(backup, "UPDATE event SET summary = 'forged' WHERE id = 2")
    before = dump(seeded)
    status, _, err = drp(capsys, "--db", str(seeded), "restore", str(backup))
    assert status == 1
    assert "failed its checks, nothing was changed" in err and "event 2" in err
    assert dump(seeded) == before
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_restore_refuses_what_is_not_a_database(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    status, _, err = drp(capsys, "--db", str(seeded), "restore", str(junk))
    assert status == 1 and "not a SQLite database" in err


def test_restore_refuses_while_a_session_has_the_database_open(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                               tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert drp(capsys, "--db", str(seeded), "backup", str(backup))[0] == 0
    code = ("import sys; from drp_tui.store.db import open_database; from drp_tui.store import models as m;"
            "open_database(sys.argv[1]); m.Dispute.select().count(); print('open', flush=True); sys.stdin.read()")
    session = subprocess.Popen([sys.executable, "-c", code, str(seeded)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        assert session.stdout is not None and session.stdout.readline().strip() == "open"
        assert bk.sessions_live(seeded)
        status, _, err = drp(capsys, "--db", str(seeded), "restore", str(backup))
        assert status == 1 and "open in other sessions" in err and "--force" in err
        status, out, err = drp(capsys, "--db", str(seeded), "restore", str(backup), "--force")
        assert status == 0, (out, err)
    finally:
        session.communicate("")  # let it finish (EOF on stdin)
    assert session.returncode == 0
    assert not bk.sessions_live(seeded)


def test_restore_of_an_older_schema_brings_it_up_to_date(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                         tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    db = open_database(str(old), migrate=False)
    run_migrations(db, "0001_initial")
    db.execute_sql("INSERT INTO team (id, name, kind) VALUES (1, 'Old team', 'social_care')")
    close_database()
    status, out, err = drp(capsys, "--db", str(seeded), "restore", str(old))
    assert status == 0, (out, err)
    assert f"ok       migrations: all {len(MIGRATIONS)} applied" in out
    con = sqlite3.connect(seeded)
    assert con.execute("SELECT name FROM team").fetchall() == [("Old team",)]
    con.close()


def test_restore_into_a_new_place(capsys: pytest.CaptureFixture[str], seeded: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert drp(capsys, "--db", str(seeded), "backup", str(backup))[0] == 0
    fresh = tmp_path / "new" / "drp.db"
    fresh.parent.mkdir(mode=0o700)
    shutil.copy2(f"{seeded}.key", f"{fresh}.key")  # the key goes with the data (it is not in the backup)
    status, out, err = drp(capsys, "--db", str(fresh), "restore", str(backup))
    assert status == 0, (out, err)
    assert mode(fresh) == 0o600
    assert dump(fresh)["event"][:-1] == dump(backup)["event"]
    assert Path(f"{fresh}.head").exists()


def test_restore_into_a_new_place_without_the_key_says_key_missing(capsys: pytest.CaptureFixture[str],
                                                                   seeded: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert drp(capsys, "--db", str(seeded), "backup", str(backup))[0] == 0
    fresh = tmp_path / "new" / "drp.db"
    fresh.parent.mkdir(mode=0o700)
    status, out, err = drp(capsys, "--db", str(fresh), "restore", str(backup))
    assert status == 1, (out, err)  # restored, but its trail cannot be checked
    assert fresh.exists() and any("PROBLEM  audit: key missing:" in line for line in out)


def test_no_personal_details_in_any_report(capsys: pytest.CaptureFixture[str], seeded: Path, tmp_path: Path) -> None:
    tamper(seeded, "UPDATE event SET summary = summary || '!' WHERE id = 1")
    outputs = []
    for argv in (["check"], ["audit", "verify"], ["migrate", "status"], ["backup", str(tmp_path / "b.db")]):
        _, out, err = drp(capsys, "--db", str(seeded), *argv)
        outputs.append("\n".join(out) + err)
    text = "\n".join(outputs)
    for secret in ("Sibling 0", "T100", "Casey Chair", "care plan is out of date", "life story"):
        assert secret not in text


# ---------------------------------------------------------------- PostgreSQL (when a server is available)

def test_check_and_audit_verify_on_postgresql(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              pg_url: str) -> None:
    PG_URL = pg_url
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import FrozenClock
    from tests.conftest import FROZEN_NOW
    from tests.factories import make_world

    open_database(PG_URL)
    from drp_tui.store import audit

    audit.create_key()  # under the (test's) user config folder: a server database has no file to sit beside
    try:
        world = make_world(load_builtin("mosaic-iro"), _CALENDAR, FrozenClock(FROZEN_NOW))
        ds.raise_dispute(world.ctx(), ds.RaiseInput(
            child_ids=[world.child.id], category=world.policy.categories[0].key,
            start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20), concern="On a server."))
    finally:
        close_database()
    status, out, err = drp(capsys, "--db", PG_URL, "check")
    assert status == 0, (out, err)
    assert any("integrity: not applicable" in line for line in out)
    assert any(line.startswith("ok       audit: 1 events, chain intact") for line in out)
    status, out, _ = drp(capsys, "--db", PG_URL, "audit", "verify")
    assert status == 0 and out[0].startswith("OK: 1 events")
    db = open_database(PG_URL, migrate=False)
    db.execute_sql("UPDATE event SET summary = 'forged' WHERE id = 1")
    close_database()
    status, out, _ = drp(capsys, "--db", PG_URL, "audit", "verify")
    assert status == 1 and out[0] == "event 1: edited: its content was changed after it was written"
    status, _, err = drp(capsys, "--db", PG_URL, "backup", str(tmp_path / "b.db"))
    assert status == 2 and "pg_dump" in err


def test_temporary_files_of_a_killed_backup_are_swept(capsys: pytest.CaptureFixture[str], seeded: Path,
                                                      tmp_path: Path) -> None:
    folder = tmp_path / "nightly"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = [folder / f".b.db.tmp-{dead}", folder / f".b.db.tmp-{dead}-journal"]
    alive = folder / f".b.db.tmp-{os.getppid()}-journal"  # a backup still running: left alone
    for p in (*stale, alive):
        p.write_text("half a backup")
    assert drp(capsys, "--db", str(seeded), "backup", str(folder / "b.db"))[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(["b.db", alive.name])
