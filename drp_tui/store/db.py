"""Opening the database: SQLite file (WAL, foreign keys, busy timeout) or a URL.

``open_database(target)`` binds the models' ``DatabaseProxy`` once per process
and runs pending migrations with peewee's migration runner.
"""

from __future__ import annotations

import os
import stat
import threading
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

from peewee import Database, SqliteDatabase
from playhouse.db_url import connect
from playhouse.migrations import Runner

from drp_tui.store.models import ALL_MODELS, database

MIGRATIONS_DIR = str(Path(__file__).with_name("migrations"))
BUSY_TIMEOUT_MS = 15_000
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "synchronous": "normal",
}


# Writers queue on an OS lock (flock on "<db>-writers") before BEGIN IMMEDIATE.
# SQLite's own busy handler polls with sleeps of up to 100 ms, so a process that
# commits and writes again at once keeps winning and others starve until their
# busy timeout ends in "database is locked" (the load test showed it with 20
# processes). Blocked flock waiters are woken by the kernel as soon as the lock is
# free, so writers take turns. The flock is only a queue: BEGIN IMMEDIATE still
# does the locking, so a missing lock file (read-only folder) or a timed-out wait
# costs fairness, never correctness.
WRITERS_SUFFIX = "-writers"
_writer_mutex = threading.RLock()  # threads of this process queue here first
_writer_depth = 0
_writer_fd: int | None = None


class StoreError(Exception):
    """A problem opening the database, with a message a person can act on."""


def is_url(target: str) -> bool:
    return "://" in target


def sqlite_path(target: str) -> Path | None:
    if is_url(target):
        if target.startswith("sqlite:///"):
            return Path(target[len("sqlite:///"):])
        return None
    return Path(target)


def make_database(target: str) -> Database:
    if is_url(target):
        if target.startswith("sqlite"):
            db = connect(target, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000)
        else:
            db = connect(target)
    else:
        db = SqliteDatabase(target, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000)
    return db


def check_permissions(path: Path, shared_group: str | None = None) -> None:
    """Refuse a database that anyone on the machine may read."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if not p.exists():
            continue
        mode = p.stat().st_mode
        if mode & stat.S_IROTH or mode & stat.S_IWOTH:
            raise StoreError(
                f"{p} can be read by every user on this machine; "
                f"fix it with: chmod o-rwx {p}"
                + (f" (and keep group '{shared_group}')" if shared_group else "")
            )


def prepare_file(path: Path, shared_group: str | None = None) -> None:
    """Create the folder and an empty file readable only by its owner (or group)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o770 if shared_group else 0o700)
    if not path.exists():
        mode = 0o660 if shared_group else 0o600
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, mode)
        os.close(fd)
        os.chmod(path, mode)
        if shared_group:
            import grp

            os.chown(path, -1, grp.getgrnam(shared_group).gr_gid)


def open_database(target: str, *, migrate: bool = True, shared_group: str | None = None,
                  check_perms: bool = True, audit_key: str | None = None) -> Database:
    """Open (creating if needed) the database and bring its schema up to date.

    ``audit_key``: the audit key file (default ``<db>.key``; see store.audit)."""
    from drp_tui.store import audit

    audit.configure(target, audit_key, shared_group)
    path = sqlite_path(target)
    if path is not None:
        # New files (db, -wal, -shm) get no permissions for "other".
        os.umask(0o007 if shared_group else 0o077)
        prepare_file(path, shared_group)
        if check_perms:
            check_permissions(path, shared_group)
    _close_writer_lock()
    if path is not None:
        _open_writer_lock(path, shared_group)
    db = make_database(target)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if migrate:
        run_migrations(db)
    return db


def run_migrations(db: Database, target: str | None = None) -> list[str]:
    runner = Runner(db, directory=MIGRATIONS_DIR)
    if isinstance(db, SqliteDatabase):
        if all(m.applied is not None for m in runner.status()):
            return []  # the common case: nothing to do, no write lock taken
        # Many sessions may open a new (or older) file at once: one of them migrates
        # under the write lock, the others wait for it and then find nothing pending.
        # (Each migration runs as a savepoint inside; SQLite DDL is transactional.)
        # Table rebuilds need foreign keys off, which SQLite only allows outside a
        # transaction: switch them off first, and check every key before committing.
        fks = bool(db.pragma("foreign_keys"))
        if fks:
            db.pragma("foreign_keys", 0)
        try:
            with db.atomic("IMMEDIATE"):
                done = Runner(db, directory=MIGRATIONS_DIR).up(target)
                if fks and db.execute_sql("PRAGMA foreign_key_check").fetchone() is not None:
                    raise StoreError("a schema migration would leave broken references; nothing was changed. "
                                     "Run 'drp check' and report it.")
            return done
        finally:
            if fks:
                db.pragma("foreign_keys", 1)
    return runner.up(target)


def schema_status(db: Database) -> list[tuple[str, bool]]:
    runner = Runner(db, directory=MIGRATIONS_DIR)
    return [(m.name, m.applied is not None) for m in runner.status()]


def close_database() -> None:
    obj = database.obj
    if obj is not None and not obj.is_closed():
        obj.close()
    _close_writer_lock()


def _open_writer_lock(path: Path, shared_group: str | None) -> None:
    global _writer_fd
    try:
        import fcntl  # noqa: F401  (POSIX only: elsewhere writers rely on SQLite's busy timeout)
    except ImportError:
        return
    lock = Path(f"{path}{WRITERS_SUFFIX}")
    mode = 0o660 if shared_group else 0o600
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
    except OSError:
        return  # e.g. a read-only folder: writers still serialise in SQLite, less fairly
    try:
        st = os.fstat(fd)
        if st.st_uid == os.geteuid():
            if stat.S_IMODE(st.st_mode) != mode:
                os.fchmod(fd, mode)
            if shared_group:
                import grp

                gid = grp.getgrnam(shared_group).gr_gid
                if st.st_gid != gid:
                    os.fchown(fd, -1, gid)
    except (OSError, KeyError):
        pass
    _writer_fd = fd


def _close_writer_lock() -> None:
    global _writer_fd
    with _writer_mutex:
        if _writer_fd is not None and _writer_depth == 0:
            os.close(_writer_fd)
            _writer_fd = None


def _flock_wait(fd: int, timeout: float) -> bool:
    """Take the writers' lock, waiting at most ``timeout`` seconds; False if not taken."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    except OSError:
        return False
    # Contended: block in the kernel (woken the moment it is free) in a helper
    # thread, so that the wait can be bounded.
    cond = threading.Condition()
    state = {"got": False, "abandoned": False}

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            return
        with cond:
            if state["abandoned"]:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return
            state["got"] = True
            cond.notify()

    threading.Thread(target=wait, name="drp-writer-queue", daemon=True).start()
    with cond:
        cond.wait_for(lambda: state["got"], timeout)
        if not state["got"]:
            state["abandoned"] = True
        return state["got"]


@contextmanager
def _writer_turn() -> Iterator[None]:
    global _writer_depth
    with _writer_mutex:
        held = False
        if _writer_depth == 0 and _writer_fd is not None:
            held = _flock_wait(_writer_fd, BUSY_TIMEOUT_MS / 1000)
        _writer_depth += 1
        try:
            yield
        finally:
            _writer_depth -= 1
            if held:
                import fcntl

                fcntl.flock(_writer_fd, fcntl.LOCK_UN)  # type: ignore[arg-type]


@contextmanager
def write_txn() -> Iterator[None]:
    """One short write transaction; IMMEDIATE on SQLite so writers queue, never deadlock.

    The outermost one lets the audit trail finish its part just before the commit
    (digests of rows saved after the last event) and after it (the head file).
    """
    from drp_tui.store import audit

    db = database.obj
    outer = not db.in_transaction()
    mark = audit.mark()
    try:
        if isinstance(db, SqliteDatabase):
            with _writer_turn():
                with db.atomic("IMMEDIATE"):
                    yield
                    if outer:
                        audit.before_commit()
                if outer:
                    audit.after_commit()  # still our writers' turn: head files are written in commit order
        else:
            with db.atomic():
                yield
                if outer:
                    audit.before_commit()
            if outer:
                audit.after_commit()
    except BaseException:
        if outer:
            audit.after_rollback()
        else:
            audit.rollback_to(mark)  # a savepoint rolled back: so do the events appended inside it
        raise


def data_version() -> int:
    """SQLite's PRAGMA data_version: changes when another connection commits."""
    db = database.obj
    if isinstance(db, SqliteDatabase):
        return int(db.execute_sql("PRAGMA data_version").fetchone()[0])
    return 0


__all__ = ["ALL_MODELS", "open_database", "write_txn", "data_version", "StoreError"]
