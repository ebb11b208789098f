"""Backups, restores and health checks of a SQLite database file (no printing here).

- ``backup_database``: SQLite's online backup API, one step under one read
  snapshot, so it is consistent and safe while sessions are writing (in WAL mode
  readers never block writers). The copy is written to a private temporary file
  (0600, or 0660 and the shared group), switched to rollback-journal mode so it is
  one self-contained file, checked, then linked into place: never half a backup
  under the final name, and never over an existing file unless ``force``.
- ``restore_database``: checks the backup (integrity, foreign keys, audit chain)
  on a private copy, keeps the current database as
  ``<db>.before-restore-<timestamp>``, then copies the backup *into* the live file
  with the backup API (one write transaction: all or nothing).
- ``run_checks`` / ``check_file``: PRAGMA integrity_check, PRAGMA
  foreign_key_check, audit verify, schema migrations applied, file permissions.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from peewee import Database, SqliteDatabase
from playhouse.migrations import Runner

from drp_tui.store.db import BUSY_TIMEOUT_MS, MIGRATIONS_DIR

SQLITE_MAGIC = b"SQLite format 3\x00"
DMS_OFFSET = 128  # SQLite's "dead man switch" byte in -shm: every open connection holds a read lock on it


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class CheckLine:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    seconds: float
    pages: int


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    kept: Path | None  # the database as it was before, or None if there was none
    seconds: float


# ---------------------------------------------------------------- files


def file_mode(shared_group: str | None) -> int:
    return 0o660 if shared_group else 0o600


def _create_private(path: Path, shared_group: str | None) -> None:
    """Create ``path`` (must not exist) with no permissions for 'other'."""
    mode = file_mode(shared_group)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    try:
        os.fchmod(fd, mode)  # whatever the umask
        if shared_group:
            import grp

            os.fchown(fd, -1, grp.getgrnam(shared_group).gr_gid)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quiet(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            Path(f"{path}{suffix}").unlink()
        except FileNotFoundError:
            pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(folder: Path, prefix: str) -> int:
    """Remove temporary files ``.<prefix>*-<pid>`` (and their journals) left by a killed backup or
    restore; files of processes still running are left alone. Returns how many went."""
    gone = 0
    for p in folder.glob(f".{glob_escape(prefix)}*"):
        stem = p.name.removesuffix("-journal")
        tail = stem.rsplit("-", 1)[-1]
        if not tail.isdigit() or _pid_alive(int(tail)):
            continue
        try:
            p.unlink()
            gone += 1
        except OSError:
            pass
    return gone


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def world_readable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH))


def sessions_live(db: Path) -> bool:
    """True if another process has the database open (WAL mode).

    Every SQLite connection in WAL mode holds a shared lock on one byte of the
    ``-shm`` file while it is open; if an exclusive lock on that byte cannot be
    taken, someone else is connected. Call this only while *this* process does not
    have the database open (POSIX locks are per process: closing our probe would
    drop our own connection's locks).
    """
    shm = Path(f"{db}-shm")
    if not shm.exists():
        return False
    import fcntl

    try:
        fd = os.open(shm, os.O_RDWR)
    except OSError:
        return True  # cannot tell: assume the worst
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, DMS_OFFSET)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, DMS_OFFSET)
        return False
    finally:
        os.close(fd)


# ---------------------------------------------------------------- backup


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _copy(source: Path, dest: Path, *, rollback_journal: bool) -> int:
    """Copy ``source`` into the (existing) ``dest`` with the online backup API."""
    src = _connect(source)
    try:
        dst = _connect(dest)
        try:
            # pages=-1: the whole database in one step under one read snapshot.
            src.backup(dst, pages=-1)
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            if rollback_journal:
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            return pages
        finally:
            dst.close()
    finally:
        src.close()


def quick_integrity(path: Path) -> str:
    """'ok' or the first problem PRAGMA integrity_check reports."""
    conn = _connect(path)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "ok" if [r[0] for r in rows] == ["ok"] else "; ".join(str(r[0]) for r in rows[:5])


def backup_database(source: Path, dest: Path, *, force: bool = False,
                    shared_group: str | None = None, verify: bool = True) -> BackupResult:
    """Write a consistent copy of the live database ``source`` to ``dest``."""
    started = time.perf_counter()
    if not source.exists():
        raise BackupError(f"{source} does not exist: nothing to back up.")
    if not is_sqlite_file(source):
        raise BackupError(f"{source} is not a SQLite database.")
    dest = dest.expanduser()
    if dest.is_dir():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        dest = dest / f"{source.stem}-{stamp}.db"
    if dest.resolve() == source.resolve():
        raise BackupError("the backup cannot be the database itself; give another path.")
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists; choose another name or add --force to replace it.")
    if not dest.parent.is_dir():
        raise BackupError(f"folder {dest.parent} does not exist.")
    sweep_stale(dest.parent, f"{dest.name}.tmp-")
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    _unlink_quiet(tmp)
    _create_private(tmp, shared_group)
    try:
        pages = _copy(source, tmp, rollback_journal=True)
        if verify:
            result = quick_integrity(tmp)
            if result != "ok":
                raise BackupError(f"the copy failed its integrity check ({result}); the database may be damaged: run drp check.")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if force:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)  # fails if dest appeared meanwhile: never overwrite
            except FileExistsError:
                raise BackupError(f"{dest} already exists; choose another name or add --force to replace it.") from None
            tmp.unlink()
        _fsync_dir(dest.parent)
    finally:
        _unlink_quiet(tmp)
    return BackupResult(dest, dest.stat().st_size, time.perf_counter() - started, pages)


# ---------------------------------------------------------------- checks


@contextmanager
def bound_to(path: Path) -> Iterator[SqliteDatabase]:
    """The peewee models bound to the SQLite file ``path`` for the duration."""
    from drp_tui.store.models import ALL_MODELS

    db = SqliteDatabase(str(path), pragmas={"foreign_keys": 1, "busy_timeout": BUSY_TIMEOUT_MS},
                        timeout=BUSY_TIMEOUT_MS / 1000)
    db.connect()
    try:
        with db.bind_ctx(ALL_MODELS, bind_refs=False, bind_backrefs=False):
            yield db
    finally:
        db.close()


def _columns(db: Database, table: str) -> set[str]:
    return {c.name for c in db.get_columns(table)} if db.table_exists(table) else set()


def migration_lines(db: Database) -> list[CheckLine]:
    status = Runner(db, directory=MIGRATIONS_DIR).status()
    pending = [m.name for m in status if m.applied is None]
    unknown = [m.name for m in status if m.path is None]
    lines = []
    if pending:
        lines.append(CheckLine("migrations", False, f"pending: {', '.join(pending)} (apply with: drp init)"))
    else:
        lines.append(CheckLine("migrations", True, f"all {len(status)} applied"))
    if unknown:
        lines.append(CheckLine("migrations", False,
                               f"applied but unknown to this version of drp: {', '.join(unknown)} "
                               "(the database is newer than the program)"))
    return lines


def audit_lines(db: Database, *, use_head: bool = True, content: bool = True) -> list[CheckLine]:
    """The chain (keyed MACs, links, ids, the head file) and, with ``content``, the covered rows."""
    from drp_tui.store import audit, audit_check

    cols = _columns(db, "event")
    if not cols:
        return [CheckLine("audit", False, "no event table (not a drp database, or never initialised)")]
    if "hash" not in cols or "row_digests" not in cols:
        return [CheckLine("audit", False, "the schema predates the audit chain; apply migrations (drp init)")]
    if content:
        problems, rep = audit_check.check(use_head=use_head)  # one pass over the events
    else:
        problems, rep = audit_check.verify(use_head=use_head), None
    lines: list[CheckLine] = []
    if not problems:
        n, last = audit.summary()
        # The last hash, printed by cron into a log kept elsewhere, anchors the chain too.
        tail = f" (last: event {last[0]}, hash {last[1][:16]})" if last else ""
        key_ok, key_text = audit.key_state()
        lines.append(CheckLine("audit", True, f"{n} events, chain intact{tail}"
                               + (f"; key {key_text}" if key_ok else "")))
    else:
        lines += [CheckLine("audit", False, p.line()) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(CheckLine("audit", False, f"... and {len(problems) - 50} more"))
    if rep is not None:
        if rep.problems:
            lines += [CheckLine("content", False, p.line()) for p in rep.problems[:50]]
            if len(rep.problems) > 50:
                lines.append(CheckLine("content", False, f"... and {len(rep.problems) - 50} more"))
        else:
            lines.append(CheckLine("content", True, f"{rep.covered} rows match their last event"
                                   + (f"; {rep.not_covered} not covered (written before row digests were "
                                      "recorded)" if rep.not_covered else "")))
    return lines


def integrity_lines(db: Database) -> list[CheckLine]:
    if not isinstance(db, SqliteDatabase):
        return [CheckLine("integrity", True, "not applicable to a server database (use its own tools, e.g. pg_amcheck)")]
    rows = [str(r[0]) for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        lines = [CheckLine("integrity", True, "ok")]
    else:
        lines = [CheckLine("integrity", False, r) for r in rows[:50]]
    fk = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if not fk:
        lines.append(CheckLine("foreign keys", True, "ok"))
    else:
        for table, rowid, parent, _ in fk[:50]:
            lines.append(CheckLine("foreign keys", False, f"{table} row {rowid} points to a missing {parent}"))
        if len(fk) > 50:
            lines.append(CheckLine("foreign keys", False, f"... and {len(fk) - 50} more"))
    return lines


def permission_lines(path: Path | None, shared_group: str | None = None) -> list[CheckLine]:
    if path is None:
        return []
    lines = []
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if not p.exists():
            continue
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o007:
            lines.append(CheckLine("permissions", False, f"{p} is {oct(mode)}: every user may read it; fix with: chmod o-rwx {p}"))
    if not lines:
        lines.append(CheckLine("permissions", True, "not readable by other users"
                               + (f" (group '{shared_group}')" if shared_group else "")))
    return lines


def run_checks(db: Database, path: Path | None = None, shared_group: str | None = None, *,
               use_head: bool = True) -> list[CheckLine]:
    """Every check on the database the models are bound to now."""
    lines = permission_lines(path, shared_group)
    lines += integrity_lines(db)
    lines += migration_lines(db)
    lines += audit_lines(db, use_head=use_head)
    return lines


def check_file(path: Path, shared_group: str | None = None, *, use_head: bool = False) -> list[CheckLine]:
    """``run_checks`` on a SQLite file (a backup, usually), without migrating it.

    Not against the head file unless ``use_head``: that is the live database's end, which a
    backup is behind of."""
    if not is_sqlite_file(path):
        return [CheckLine("file", False, f"{path} is not a SQLite database")]
    with bound_to(path) as db:
        return run_checks(db, path, shared_group, use_head=use_head)


def ok(lines: list[CheckLine]) -> bool:
    return all(line.ok for line in lines)


# ---------------------------------------------------------------- restore


def restore_database(backup: Path, target: Path, *, force: bool = False, shared_group: str | None = None,
                     now: datetime | None = None) -> RestoreResult:
    """Replace the contents of ``target`` with ``backup`` after checking it.

    Refuses (BackupError) if the backup fails integrity, foreign-key or audit
    checks, or if sessions have the database open (unless ``force``).
    The caller must not have ``target`` open in this process.
    """
    started = time.perf_counter()
    backup = backup.expanduser()
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist.")
    if not is_sqlite_file(backup):
        raise BackupError(f"{backup} is not a SQLite database.")
    if target.exists() and backup.resolve() == target.resolve():
        raise BackupError("that is the database itself; give a backup file.")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist.")
    if not force and sessions_live(target):
        raise BackupError(
            f"{target} is open in other sessions. Ask everyone to sign out (or wait for them to), "
            "then restore; --force restores anyway and open sessions see the restored data.")
    # Check a private copy, so the backup file itself is never touched.
    sweep_stale(target.parent, f"{target.name}.restore-")
    sweep_stale(target.parent, f"{target.name}.before-restore-")
    tmp = target.with_name(f".{target.name}.restore-{os.getpid()}")
    _unlink_quiet(tmp)
    _create_private(tmp, shared_group)
    kept: Path | None = None
    try:
        shutil.copyfile(backup, tmp)
        # Against this installation's audit key; not its head file (a backup is older than the head).
        problems = [line for line in check_file(tmp, use_head=False) if not line.ok and line.name != "migrations"]
        # An older schema is fine (migrations run after the restore), but it must hold together.
        problems = [p for p in problems if not (p.name == "audit" and "predates" in p.detail)]
        # Without this installation's key file the keyed events cannot be checked: that does not
        # stop a restore (losing the key must not also lose the data); drp check says so after.
        problems = [p for p in problems if not (p.name == "audit" and p.detail.startswith("key missing"))]
        if problems:
            raise BackupError("the backup failed its checks, nothing was changed: "
                              + "; ".join(f"{p.name}: {p.detail}" for p in problems[:5]))
        if target.exists():
            stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
            kept = target.with_name(f"{target.name}.before-restore-{stamp}")
            backup_database(target, kept, shared_group=shared_group, verify=False)
        else:
            _create_private(target, shared_group)
        _copy(tmp, target, rollback_journal=False)
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed ({type(exc).__name__}: {exc}); the database is unchanged"
                          + (f", and a copy of it is kept at {kept}" if kept else "") + ".") from None
    finally:
        _unlink_quiet(tmp)
    return RestoreResult(backup, kept, time.perf_counter() - started)


__all__ = [
    "BackupError", "BackupResult", "CheckLine", "RestoreResult", "backup_database", "check_file",
    "restore_database", "run_checks", "sessions_live", "ok",
]
