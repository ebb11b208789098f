"""Keeping the desk current without reloading everything every second.

- :class:`DataWatch`: SQLite's ``PRAGMA data_version`` read on ONE long-lived thread
  (a single-thread executor), because the counter is per connection and peewee
  keeps one connection per thread. It moves when any other connection commits
  (another session, or this session's own worker threads), and costs one pragma.
- The app's timers (see ``DrpApp.on_mount``): every second the header clock, the
  idle check and this watch; every 30 s a colour tick from the injected clock (no
  query); every minute the reminders service. Tests call ``app.poll_now()``,
  ``app.tick()``, ``app.check_idle_lock()`` and ``app.remind_now()`` directly.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from drp_tui.store.db import data_version
from drp_tui.store.models import database

POLL_SECONDS = 1.0
TICK_SECONDS = 30.0
REMIND_SECONDS = 60.0


class DataWatch:
    """Has the database changed since the last look? (Always on the same connection.)"""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drp-watch")
        self._seen: int | None = None
        self._closed = False

    def _look(self) -> bool:
        version = data_version()
        changed = self._seen is not None and version != self._seen
        self._seen = version
        return changed

    async def changed(self) -> bool:
        """True when another connection committed since the previous call (False the first time)."""
        if self._closed:
            return False
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._look)

    def close(self) -> None:
        """Close the watch thread's connection, then the thread."""
        if self._closed:
            return
        self._closed = True

        def _close_connection() -> None:
            obj = database.obj
            if obj is not None and not obj.is_closed():
                obj.close()

        try:
            self._pool.submit(_close_connection).result(timeout=5)
        except Exception:  # closing is best effort; the process is ending
            pass
        self._pool.shutdown(wait=True)
