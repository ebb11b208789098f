"""Opening the database: SQLite file (WAL, foreign keys, busy timeout) or a URL.

``open_database(target)`` binds the models' ``DatabaseProxy`` once per process
and runs pending migrations with peewee's migration runner.

Seeing other sessions' commits (``data_version``): on SQLite, ``PRAGMA data_version``;
on PostgreSQL, every write transaction sends ``NOTIFY drp_changed`` inside itself (so it
is delivered exactly when, and only if, the transaction commits) and a :class:`ChangeListener`
on a dedicated connection of its own (``LISTEN drp_changed``) counts what arrives. This
module is the only place that knows which backend is in use.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import threading
from contextlib import contextmanager
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from peewee import Database, DatabaseError, PostgresqlDatabase, SqliteDatabase

from drp_tui.store.models import ALL_MODELS, database

MIGRATIONS_DIR = str(Path(__file__).with_name("migrations"))
BUSY_TIMEOUT_MS = 15_000
PG_SESSION = "-c max_parallel_workers_per_gather=0 -c jit=off"  # (PostgreSQL: see make_database)
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    # FULL: a commit reported "Saved." survives a power cut too (NORMAL in WAL mode may lose
    # the last commits, and the audit head file, written after each commit, would then be
    # ahead of the database and report a truncation that no one made).
    "synchronous": "full",
    # Each thread's connection keeps at most 512 KiB of pages (SQLite's default is 2 MiB): the
    # desk reads pages of rows, the operating system caches the file for every session alike,
    # and fifty sessions share one box (about 3 MB less per desk; no measurable slower page).
    "cache_size": -512,
}
# The start's one thread (the sign-in, the first list and its count, the reminders, My work: see
# ui/live.py start_on_one_thread) reads most pages once, and its connection lives only until
# that work is done: it keeps a quarter as many pages. At 100,000 disputes, 256 KiB instead of
# 512 made the desk's peak 0.2-0.3 MB less, and 128 instead of 256 another 0.24 MB (home, My
# work: 47.32 -> 47.08 MB), with no more instructions to the first list (callgrind, 2.288 G and
# 2.272 G) and no slower start. The keys' threads keep SQLITE_PRAGMAS' 512 KiB (with 256, a
# caseload key's p95 went from 48 to 59 ms).
START_CACHE_KIB = 128


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


class StorageFault(StoreError):
    """A write could not be made (file gone, disk full, read-only, locked too long).

    Nothing was saved. The services turn it into a ``StorageError`` the desk shows."""


NO_DATABASE = "No database at {where}. Create one with: drp init"
GONE = ("The database file {path} has gone (moved or deleted). Nothing more will be saved; "
        "your text is kept. Ask your administrator.")
FULL = ("The database is full (no disk space left): nothing was saved; your text is kept. "
        "Ask your administrator to free space on the disk holding {where}.")
READ_ONLY = ("The database {where} is read-only here: nothing was saved; your text is kept. "
             "Ask your administrator to make it writable for you.")
LOCKED = ("The database {where} is busy: another session held it for more than {seconds} seconds, so "
          "nothing was saved; your text is kept. Try again in a moment; if it keeps happening, "
          "ask your administrator.")
_opened: dict[str, object] = {}  # what open_database opened: target, path, (st_dev, st_ino)


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
        from playhouse.db_url import connect, register_database  # (only for a URL: a file path needs none of it)

        register_database(_ServerDatabase, "postgres", "postgresql")
        if target.startswith("sqlite"):
            db = connect(target, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000)
        elif target.startswith(("postgres://", "postgresql://")) and "options=" not in target:
            # A row lock held too long (a stuck session) ends in a clear "busy" message
            # after the same wait as SQLite's busy timeout, not in a desk that hangs. A desk's
            # reads are a page each: no parallel workers or compiled plans, whose start costs
            # more than such a read (a caseload page: 10-40 ms more), on a box fifty sessions share.
            db = connect(target, options=f"-c lock_timeout={BUSY_TIMEOUT_MS} {PG_SESSION}")
        else:
            db = connect(target)
    else:
        db = _FileDatabase(target, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_MS / 1000)
    return db


class _GivenUpNotBegun:
    """A read in a reads-only :func:`interruptible` block that is given up is not begun."""

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        stop = getattr(_reads_only, "stop", None)
        if stop is not None and stop():
            raise ReadInterrupted("A read given up was not begun.")
        return super().execute_sql(sql, params)


class _FileDatabase(_GivenUpNotBegun, SqliteDatabase):
    """A SQLite file that a new connection never creates again: a worker's connection (each thread
    opens its own) made after the file opened at start was moved or deleted is refused with the
    "has gone" fault, where SQLite would make a new empty database at its name."""

    def _connect(self) -> Any:
        if _opened.get("path") == Path(self.database):
            check_file_still_there()
        return super()._connect()


class _ServerDatabase(_GivenUpNotBegun, PostgresqlDatabase):
    """PostgreSQL by URL (``postgres://``, ``postgresql://``)."""


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
                  check_perms: bool = True, create: bool = True, audit_key: str | None = None) -> Database:
    """Open the database and bring its schema up to date.

    With ``create=False`` (every command but ``drp init`` and ``drp demo``) a missing
    file, or a server database without our schema, is refused: a typo or a moved file
    must not become a new empty database. ``audit_key``: the audit key file (default
    ``<db>.key``; see store.audit)."""
    from drp_tui.store import audit

    audit.configure(target, audit_key, shared_group)
    path = sqlite_path(target)
    if path is not None:
        if not create and not path.exists():
            raise StoreError(NO_DATABASE.format(where=path))
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
    if not create and not db.table_exists("schema_migration"):
        db.close()
        raise StoreError(NO_DATABASE.format(where=path if path is not None else _redact(target)))
    _opened.clear()
    _opened["target"] = target
    if path is not None:
        st = os.stat(path)
        _opened.update(path=path, identity=(st.st_dev, st.st_ino))
    if migrate:
        run_migrations(db)
    return db


def _redact(target: str) -> str:
    if "://" in target and "@" in target:
        scheme, rest = target.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return target


def check_file_still_there() -> None:
    """Refuse to write when the file opened at start has been moved or deleted.

    SQLite keeps writing to the open (now nameless) file, so every later save would
    be lost; a cheap stat of the path before each write transaction catches it."""
    path = _opened.get("path")
    if not isinstance(path, Path):
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise StorageFault(GONE.format(path=path)) from None
    except OSError:
        return  # cannot tell (e.g. a permission change on the folder): let SQLite decide
    if (st.st_dev, st.st_ino) != _opened.get("identity"):
        raise StorageFault(GONE.format(path=path))


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the driver errors behind it (peewee wraps them)."""
    out: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        e = todo.pop(0)
        if isinstance(e, BaseException) and e not in out and len(out) < 8:
            out.append(e)
            todo += [e.args[0] if e.args else None, e.__cause__, e.__context__]
    return out


def storage_fault(exc: BaseException) -> StorageFault | None:
    """The driver error ``exc`` as a message a person can act on, or None if it is not one
    of: file gone, disk full, read-only database, lock held too long."""
    where = _opened.get("path") or _redact(str(_opened.get("target", "")))
    for e in _causes(exc):
        if isinstance(e, StorageFault):
            return e
        text = str(e).lower()
        code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
        pgcode = getattr(e, "pgcode", None) or ""
        if (isinstance(e, OSError) and e.errno == errno.ENOSPC) or code == 13 or pgcode == "53100" \
                or "database or disk is full" in text or "no space left" in text:
            return StorageFault(FULL.format(where=where))
        if code == 8 or "readonly database" in text or pgcode == "25006":
            return StorageFault(READ_ONLY.format(where=where))
        if code in (5, 6) or "database is locked" in text or pgcode == "55P03":
            return StorageFault(LOCKED.format(where=where, seconds=f"{BUSY_TIMEOUT_MS / 1000:g}"))
    return None


DEMO_APPLICATION_ID = 0x4452505F  # "DRP_" in SQLite's header: this file holds invented demo data


def mark_demo() -> None:
    """Mark the open SQLite database as a demo (``drp demo`` may replace it later)."""
    db = database.obj
    if isinstance(db, SqliteDatabase):
        db.pragma("application_id", DEMO_APPLICATION_ID)


def is_demo_file(path: Path) -> bool:
    """True if ``path`` is a SQLite database marked by ``mark_demo`` (read-only look)."""
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = con.execute("PRAGMA application_id").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False  # not a SQLite database at all: certainly not ours to delete
    return bool(row) and row[0] == DEMO_APPLICATION_ID


def for_update(query: Any) -> Any:
    """``SELECT ... FOR UPDATE`` where the database has row locks (PostgreSQL): the row
    is then locked until the write transaction ends, so two sessions cannot both read
    the same version and save. SQLite's BEGIN IMMEDIATE already serialises writers."""
    db = database.obj
    if db is None or isinstance(db, SqliteDatabase):
        return query
    return query.for_update()


def pending_migrations(db: Database) -> bool:
    """Is any migration file not yet applied? (Read without loading the migration runner,
    which loads every database driver.)"""
    names = {p.stem for p in Path(MIGRATIONS_DIR).glob("[0-9]*.py")}
    if not db.table_exists("schema_migration"):
        return bool(names)
    return bool(names - {name for (name,) in db.execute_sql("SELECT name FROM schema_migration")})


def run_migrations(db: Database, target: str | None = None) -> list[str]:
    if target is None and not pending_migrations(db):
        return []  # the common case: nothing to do, no write lock taken
    from playhouse.migrations import Runner

    runner = Runner(db, directory=MIGRATIONS_DIR)
    if isinstance(db, SqliteDatabase):
        if all(m.applied is not None for m in runner.status()):
            return []
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
    from playhouse.migrations import Runner

    runner = Runner(db, directory=MIGRATIONS_DIR)
    return [(m.name, m.applied is not None) for m in runner.status()]


def close_database() -> None:
    close_listener()
    close_canceller()
    _opened.clear()
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
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                except OSError:
                    pass  # (the descriptor was closed meanwhile: the lock went with it)
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

    Refuses (StorageFault) when the database file has gone, and turns disk full,
    read-only and lock-timeout driver errors into a StorageFault saying what to do.
    The outermost one lets the audit trail finish its part just before the commit
    (digests of rows saved after the last event) and after it (the head file)."""
    from drp_tui.store import audit

    if getattr(_reads_only, "stop", None) is not None:  # (its reads may be stopped at once: stop_given_up_reads)
        raise RuntimeError("A write inside a block of reads only (interruptible(reads_only=True)).")  # (a bug)
    if in_read_snapshot():  # (its reads keep what they were filled from: store.visibility's kept ids)
        raise RuntimeError("A write inside a read snapshot (read_snapshot).")  # (a bug)
    db = database.obj
    outer = not db.in_transaction()
    if outer:
        check_file_still_there()
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
                    notify_if_written(db)
            if outer:
                audit.after_commit()
    except BaseException as exc:
        if outer:
            audit.after_rollback()
        else:
            audit.rollback_to(mark)  # a savepoint rolled back: so do the events appended inside it
        fault = storage_fault(exc) if outer and isinstance(exc, (DatabaseError, OSError)) else None
        if fault is None:
            raise
        _reset_after_failure(db)
        raise fault from exc


def _reset_after_failure(db: Database) -> None:
    """After a failed COMMIT SQLite may have rolled back already; make sure no
    transaction is left open on this connection (so the next save starts clean)."""
    try:
        if isinstance(db, SqliteDatabase) and not db.is_closed():
            conn = db.connection()
            if conn.in_transaction:
                conn.rollback()
    except Exception:  # noqa: BLE001 - best effort: the original error is what matters
        pass


CHANNEL = "drp_changed"  # PostgreSQL: the channel every write transaction notifies


# One round trip, inside the transaction: a notification only when it wrote something (was
# given a transaction id); a read-only service call must not make every open desk reload,
# whose reloads would make the others reload in turn. Delivered only if the commit succeeds.
_NOTIFY_IF_WRITTEN = (f"SELECT CASE WHEN txid_current_if_assigned() IS NOT NULL "
                      f"THEN pg_notify('{CHANNEL}', '') END")


def notify_if_written(db: Database) -> None:
    """PostgreSQL: tell the other sessions' listeners that this transaction changed data."""
    db.execute_sql(_NOTIFY_IF_WRITTEN)


class ChangeListener:
    """PostgreSQL: a dedicated connection that ``LISTEN``s on :data:`CHANNEL` and counts the
    notifications that arrive (each one a transaction that committed, in any session).

    Its own connection (outside peewee's per-thread ones, autocommit), opened on first use.
    If it drops (a server restart) the count moves once, and once more when a new one is
    listening, since commits may have been missed in between; while the server cannot be
    reached it stays still (no reload every second). A driver without psycopg2's
    ``poll``/``notifies`` is not listened to (the count never moves: ``r`` reloads).
    Thread-safe; costs no query per look."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Any = None
        self._count = 0
        self._dropped = False
        self._unsupported = False
        self._lock = threading.Lock()

    def _open(self) -> Any:
        conn = self._db._connect()  # a new driver connection with the database's own parameters
        if not hasattr(conn, "poll") or not hasattr(conn, "notifies"):
            conn.close()
            self._unsupported = True
            return None
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"LISTEN {CHANNEL}")
        return conn

    def _drain(self, wait: float) -> int:
        conn = self._conn
        if wait > 0 and not conn.notifies:
            select.select([conn], [], [], wait)
        conn.poll()
        n = len(conn.notifies)
        del conn.notifies[:]
        return n

    def version(self, wait: float = 0.0) -> int:
        """The count of commits seen so far; with ``wait``, first wait up to that many seconds
        for one to arrive (a bounded ``select``, woken the moment one does)."""
        with self._lock:
            if self._unsupported:
                return self._count
            if self._conn is None:
                try:
                    self._conn = self._open()
                except Exception:  # noqa: BLE001 - the server cannot be reached: try again at the next look
                    return self._count
                if self._conn is not None and self._dropped:
                    self._dropped = False
                    self._count += 1  # commits made while no one was listening
                return self._count
            try:
                self._count += self._drain(wait)
            except Exception:  # noqa: BLE001 - the connection dropped: open anew at the next look
                self._close()
                self._dropped = True
                self._count += 1
            return self._count

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    def close(self) -> None:
        with self._lock:
            self._close()


_listener: ChangeListener | None = None
_listener_lock = threading.Lock()


def _change_listener(db: Database) -> ChangeListener:
    global _listener
    with _listener_lock:
        if _listener is None or _listener._db is not db:
            if _listener is not None:
                _listener.close()
            _listener = ChangeListener(db)
        return _listener


def close_listener() -> None:
    """Close the PostgreSQL change listener's connection, if one is open."""
    global _listener
    with _listener_lock:
        if _listener is not None:
            _listener.close()
            _listener = None


def data_version(wait: float = 0.0) -> int:
    """A counter that moves when another connection commits: SQLite's PRAGMA data_version;
    on PostgreSQL the change listener's count (the first look starts listening). ``wait``
    (PostgreSQL; tests): wait up to that many seconds for a commit to arrive first."""
    db = database.obj
    if isinstance(db, SqliteDatabase):
        return int(db.execute_sql("PRAGMA data_version").fetchone()[0])
    if not isinstance(db, PostgresqlDatabase):
        return 0
    return _change_listener(db).version(wait)


__all__ = ["ALL_MODELS", "open_database", "write_txn", "data_version", "close_listener", "StoreError", "StorageFault",
           "storage_fault", "for_update", "check_file_still_there"]


_reading = threading.local()  # this thread is inside read_snapshot


@contextmanager
def read_snapshot() -> Iterator[bool]:
    """The block's reads in one read transaction, so they all see one snapshot of the database
    (SQLite: ``BEGIN`` deferred; PostgreSQL: ``REPEATABLE READ``). What it writes is temporary
    tables only (SQLite's take no write lock); :func:`write_txn` in it refuses. Yields whether
    this block opened it: not inside a transaction already open (a write, or another snapshot)."""
    db = database.obj
    if not isinstance(db, (SqliteDatabase, PostgresqlDatabase)) or db.in_transaction():
        yield False
        return
    _reading.active = True
    try:
        # (PostgreSQL: REPEATABLE READ, so every read of the block sees the snapshot its first took)
        with db.atomic() if isinstance(db, SqliteDatabase) else db.atomic("REPEATABLE READ"):
            yield True
    finally:
        _reading.active = False


def keep_fewer_pages(kib: int = START_CACHE_KIB) -> None:
    """This thread's SQLite connection keeps at most ``kib`` KiB of pages (elsewhere: nothing).
    Never raises: a database that cannot be opened says so to the first read on this thread."""
    db = database.obj
    if not isinstance(db, SqliteDatabase):
        return
    try:
        db.execute_sql(f"PRAGMA cache_size = -{int(kib)}")
    except DatabaseError:
        pass


def in_read_snapshot() -> bool:
    """Is this thread inside a :func:`read_snapshot` it opened?"""
    return bool(getattr(_reading, "active", False))


class ReadInterrupted(Exception):
    """A read in :func:`interruptible` stopped because its ``stop`` said so."""


@contextmanager
def interruptible(stop: Callable[[], bool], *, reads_only: bool = False) -> Iterator[None]:
    """Run the block's queries on this thread's SQLite connection so that one still running
    stops soon after ``stop()`` becomes true (SQLite's progress handler, asked every
    ``INTERRUPT_STEPS`` virtual machine steps): :class:`ReadInterrupted` is raised. Only reads
    outside a transaction (or in a :func:`read_snapshot`) stop: a write transaction in the
    block runs to its commit.
    ``reads_only``: the block does not write (:func:`write_txn` in it refuses), so
    :func:`stop_given_up_reads`, from another thread, may stop its read at once (``interrupt``),
    not at the next question (a count shorter than ``INTERRUPT_STEPS`` is never asked), and a
    read it has not begun by then is not begun. (What it writes to its connection's TEMP tables,
    in a :func:`read_snapshot`, is rolled back with it.)
    PostgreSQL: only ``reads_only`` blocks stop, and only by :func:`stop_given_up_reads` (a cancel
    request for the connection's running statement), when the block runs outside a transaction
    opened before it."""
    db = database.obj
    if isinstance(db, PostgresqlDatabase) and reads_only and not db.in_transaction():
        with _cancellable(db, stop):
            yield
        return
    if not isinstance(db, SqliteDatabase):
        yield
        return
    conn = db.connection()
    # never inside a write transaction (write_txn, BEGIN IMMEDIATE): it finishes
    conn.set_progress_handler(lambda: 1 if stop() and (not conn.in_transaction or in_read_snapshot()) else 0,
                              INTERRUPT_STEPS)
    outer_stop = getattr(_reads_only, "stop", None)  # (a reads-only block this one is inside, if any)
    outer = None
    if reads_only:
        _reads_only.stop = stop
        with _stoppable_lock:
            outer = _stoppable.get(id(conn))
            _stoppable[id(conn)] = (conn, stop)
    try:
        yield
    except DatabaseError as exc:
        if stop() and "interrupt" in str(exc).lower():
            raise ReadInterrupted(str(exc)) from None
        raise
    finally:
        if reads_only:
            with _stoppable_lock:  # (no interrupt for this block comes after this)
                if outer is None:
                    _stoppable.pop(id(conn), None)
                else:
                    _stoppable[id(conn)] = outer
        _reads_only.stop = outer_stop
        conn.set_progress_handler(None, 0)


def stop_given_up_reads() -> None:
    """Every reads-only :func:`interruptible` block whose ``stop()`` is now true (on any thread)
    stops its running read at once: SQLite's ``interrupt``, safe from another thread, where the
    progress handler would ask only after ``INTERRUPT_STEPS`` more steps and needs the interpreter
    back to ask; PostgreSQL: ``pg_cancel_backend``, sent from a thread of its own on a connection
    kept for it (:func:`_send_cancel`: not on the caller's, the screen's, thread). (A block
    between two reads is not stopped here: its next read is not begun.)"""
    with _stoppable_lock:
        for conn, stop in _stoppable.values():
            if stop():
                conn.interrupt()
        for block in _cancellable_blocks.values():  # (again at each call: one that arrived between two
            # statements was dropped by the server)
            if block.stop() and (block.canceller is None or not block.canceller.is_alive()):
                block.canceller = threading.Thread(target=_send_cancel, args=(block,), daemon=True,
                                                   name="drp-cancel")
                block.canceller.start()


def _send_cancel(block: _CancellableBlock) -> None:
    """Stop the statement ``block``'s connection is running: ``pg_cancel_backend`` on a connection
    the process keeps for this (opened when first needed). psycopg2's own ``cancel()`` holds the
    interpreter's lock while it connects to the server and sends the request (5-10 ms here): the
    whole desk stood still for that long, the screen's thread and the next key's read with it, at
    each key that gave up a count. A query lets the lock go while it waits. Where that query cannot
    be run (a connection refused, a role without the right), the request is sent as before.

    The backend is named by its process id and its start time, both read as the block began: a
    cancel sent late (after its block let its connection go) finds no such session and stops
    nothing, never another session's statement that took the same process id."""
    db = block.db
    try:
        with _canceller_lock:
            own = _canceller.get(id(db))
            if own is None or own.closed:
                own = _canceller[id(db)] = db._connect()  # (a raw connection, as peewee opens its own)
                own.autocommit = True
            with own.cursor() as cur:
                cur.execute(CANCEL_SQL, (block.pid, block.started))
                sent = cur.fetchone()
                if sent is None or sent[0]:  # (no such session any more: nothing of the block's to stop)
                    return
    except Exception:  # noqa: BLE001 - not sent this way: closed, and the request is sent itself
        close_canceller()
    try:
        block.conn.cancel()
    except Exception:  # noqa: BLE001 - a cancel not sent: the read runs to its end, as it would have
        pass


def close_canceller() -> None:
    """Close the connection kept for sending cancels, if one was opened (closing the database).
    A cancel still connecting (a server that does not answer) is not waited for past
    ``CLOSE_WAIT``: its thread ends with the process, and a desk that quits does not hang on it."""
    if not _canceller_lock.acquire(timeout=CLOSE_WAIT):
        return
    try:
        for own in _canceller.values():
            try:
                own.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        _canceller.clear()
    finally:
        _canceller_lock.release()


CLOSE_WAIT = 1.0  # seconds closing the database waits for a cancel still being sent
# (true: the backend was signalled, as a cancel request does; no row: that session has ended)
CANCEL_SQL = "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = %s AND backend_start = %s"
_SESSION = "SELECT pg_backend_pid(), backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
_canceller_lock = threading.Lock()
_canceller: dict[int, Any] = {}  # id(database) -> the raw connection its cancels are sent on


class _CancellableBlock:
    def __init__(self, db: PostgresqlDatabase, conn: Any, stop: Callable[[], bool]) -> None:
        self.db, self.conn, self.stop = db, conn, stop
        self.pid, self.started = _session_of(conn)  # (read here, on the block's own thread, before its reads)
        self.canceller: threading.Thread | None = None


def _session_of(conn: Any) -> tuple[int, Any]:
    """The server session of ``conn``: its process id and start time (read once per connection
    of this thread; a connection made again has another)."""
    known = getattr(_sessions, "known", None)
    if known is None or known[0] is not conn or known[1] != conn.get_backend_pid():
        with conn.cursor() as cur:
            cur.execute(_SESSION)
            pid, started = cur.fetchone()
        known = _sessions.known = (conn, pid, started)
    return known[1], known[2]


_sessions = threading.local()  # .known: (this thread's connection, its process id, its start time)


CANCEL_WAIT = 5.0  # seconds a block's end waits for a cancel request still being sent
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by a cancel request


def _was_cancelled(exc: BaseException) -> bool:
    return any(getattr(cause, "pgcode", None) == QUERY_CANCELED for cause in _causes(exc))


@contextmanager
def _cancellable(db: PostgresqlDatabase, stop: Callable[[], bool]) -> Iterator[None]:
    """PostgreSQL's part of :func:`interruptible` (``reads_only``, outside a transaction).

    A cancel request stops whatever statement the server is running for the connection when it
    arrives, so one must never reach a statement after the block: the block is struck off first
    (under the lock: no cancel is sent after that), then it waits for a cancel already sent, then
    runs ``SELECT 1`` until one succeeds. A cancel that arrives while the connection is idle is
    dropped by the server; one that arrives during that ``SELECT 1`` stops it, and is then spent."""
    conn = db.connection()
    block = _CancellableBlock(db, conn, stop)
    outer_stop = getattr(_reads_only, "stop", None)
    with _stoppable_lock:
        outer = _cancellable_blocks.get(id(conn))
        _cancellable_blocks[id(conn)] = block
    _reads_only.stop = stop
    try:
        yield
    except DatabaseError as exc:
        if stop() and _was_cancelled(exc):
            raise ReadInterrupted("A read given up was stopped.") from None
        raise
    finally:
        with _stoppable_lock:
            if outer is None:
                _cancellable_blocks.pop(id(conn), None)
            else:
                _cancellable_blocks[id(conn)] = outer
        _reads_only.stop = outer_stop
        if block.canceller is not None:
            block.canceller.join(CANCEL_WAIT)
            if block.canceller.is_alive():  # (the server is slow to take it: its connection is let go,
                _let_go(db, conn)  # so the cancel, whenever it lands, finds no statement of this thread's)
            else:
                _spend_cancel(db, conn)


def _spend_cancel(db: PostgresqlDatabase, conn: Any) -> None:
    """Run ``SELECT 1`` on ``conn`` until one is not stopped by a cancel request sent before; if
    the connection fails otherwise (or is cancelled every time), it is let go instead (this runs
    as the block ends: what ended it, if anything, is the error that goes on)."""
    for _ in range(3):
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
            return
        except Exception as exc:  # noqa: BLE001 - see above
            if getattr(exc, "pgcode", None) != QUERY_CANCELED:
                break
            if conn.get_transaction_status() != 0:  # (psycopg2: 0 is idle, outside a transaction)
                conn.rollback()
    _let_go(db, conn)


def _let_go(db: PostgresqlDatabase, conn: Any) -> None:
    """Close ``conn`` itself (a pool never hands it to another thread), then this thread's hold on
    it: its next read opens another connection."""
    for close in (conn.close, db.close):
        try:
            close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


_reads_only = threading.local()  # .stop: this thread's reads-only interruptible block's stop
_stoppable_lock = threading.Lock()
_stoppable: dict[int, tuple[Any, Callable[[], bool]]] = {}  # reads-only blocks running: id(conn) -> (conn, stop)
_cancellable_blocks: dict[int, _CancellableBlock] = {}  # PostgreSQL's: id(conn) -> the block


# Asked about every ~13 ms of a long query (200,000 steps of a warm count at 100,000 disputes).
# Each question takes the interpreter's lock from the thread drawing the next key's page: asked
# every 10,000 steps (~0.65 ms), a count given up by the next key made that key's page 10-20 ms
# slower (view "all" at 100,000: p50 46-52 -> 30-34 ms, worst 55-63 -> 37-39 ms).
INTERRUPT_STEPS = 200_000
