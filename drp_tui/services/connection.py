"""The database connection as the desk sees it, so that no screen imports the store.

- :func:`data_version`: has another connection committed? (SQLite's ``PRAGMA
  data_version``, per connection, so the desk asks it on one long-lived thread;
  PostgreSQL: the count of commits announced on LISTEN/NOTIFY, see ``store.db``);
- :func:`stop_watching`: close the PostgreSQL listener's connection (the desk closing);
- :func:`close_this_thread`: close the calling thread's connection (peewee keeps
  one per thread);
- :func:`keep_fewer_pages`: the calling thread's connection keeps fewer pages (the start's
  one thread: ``store.db.START_CACHE_KIB``);
- :func:`abandoned_when`: a block of reads that stops once an event is set (the desk
  closing: its count need not be waited for), raising ``Abandoned``;
- :func:`stop_given_up_reads`: such blocks of reads only, given up now, stop at once;
- :func:`storage_errors`: run a call, turning the store's ``StorageFault`` (a write
  outside ``@service``: sign-in counts, reminders) into the ``StorageError`` the
  desk shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from drp_tui.services.errors import Abandoned, StorageError
from drp_tui.store import db
from drp_tui.store.models import database

P = ParamSpec("P")
T = TypeVar("T")


def data_version(wait: float = 0.0) -> int:
    """A counter that moves when any other connection commits (SQLite or PostgreSQL);
    ``wait``: on PostgreSQL, wait up to that many seconds for a commit first."""
    return db.data_version(wait)


def stop_watching() -> None:
    """Stop listening for other sessions' commits (PostgreSQL; nothing to do on SQLite)."""
    db.close_listener()


def keep_fewer_pages() -> None:
    """This thread's connection keeps fewer pages of the database (``store.db.keep_fewer_pages``)."""
    db.keep_fewer_pages()


def close_this_thread() -> None:
    """Close this thread's connection, if it has an open one (best effort is the caller's)."""
    obj = database.obj
    if obj is not None and not obj.is_closed():
        obj.close()


@contextmanager
def abandoned_when(stop: threading.Event, also: Callable[[], bool] | None = None, *,
                   reads_only: bool = False) -> Iterator[None]:
    """Reads only: a query of the block still running when ``stop`` is set (or ``also()`` is
    true) stops there and ``Abandoned`` is raised (SQLite; on PostgreSQL the read runs to its end).
    ``reads_only``: the block cannot write, and :func:`stop_given_up_reads` stops it at once."""
    def given_up() -> bool:
        return stop.is_set() or (also is not None and also())

    try:
        with db.interruptible(given_up, reads_only=reads_only):
            yield
    except db.ReadInterrupted:
        raise Abandoned("The desk is closing: a read was given up." if stop.is_set()
                    else "A read no longer wanted was given up.") from None


def stop_given_up_reads() -> None:
    """Blocks of reads only (``abandoned_when(..., reads_only=True)``) given up by now stop at once,
    not at their next check (this is called from the thread that gave them up)."""
    db.stop_given_up_reads()


def storage_errors(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``; a storage fault comes out as ``StorageError`` (nothing saved)."""
    try:
        return fn(*args, **kwargs)
    except db.StorageFault as exc:
        raise StorageError(str(exc)) from exc
