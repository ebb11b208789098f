"""Keeping the desk current without reloading everything every second.

- :class:`DataWatch`: SQLite's ``PRAGMA data_version`` read on ONE long-lived thread
  (a single-thread executor), because the counter is per connection and peewee
  keeps one connection per thread. It moves when any other connection commits
  (another session, or this session's own worker threads), and costs one pragma.
  On PostgreSQL the same call reads the count of commits announced by LISTEN/NOTIFY
  on a connection of its own (``store.db.ChangeListener``): no query at all.
- The app's timers (see ``DrpApp.on_mount``): every second the header clock, the
  idle check and this watch; every 30 s a colour tick from the injected clock (no
  query); every minute the reminders service. Tests call ``app.poll_now()``,
  ``app.tick()``, ``app.check_idle_lock()`` and ``app.remind_now()`` directly.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual import events, work
from textual.screen import Screen

from drp_tui.domain.timeutil import format_london
from drp_tui.services import connection, reads
from drp_tui.services.errors import Abandoned
from drp_tui.ui.keys import DESK_MODES
from drp_tui.ui.screens import LOCK, is_screen

if TYPE_CHECKING:
    from textual.app import App

    from drp_tui.ui.desk import Desk
    from drp_tui.ui.screens.lock import LockScreen

    _Base = App[int]
else:
    _Base = object


T = TypeVar("T")

DISABLED = "Your account is disabled; ask an administrator."
POLL_SECONDS = 1.0
TICK_SECONDS = 30.0
REMIND_SECONDS = 60.0
GC_AFTER_START = (5000, 5, 400)  # the collector's thresholds once the start is settled (collect_less_often)


class DataWatch:
    """Has the database changed since the last look? (Always on the same connection.)"""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drp-watch")
        self._seen: int | None = None
        self._closed = False

    def _look(self) -> bool:
        version = connection.data_version()
        changed = self._seen is not None and version != self._seen
        self._seen = version
        return changed

    async def changed(self) -> bool:
        """True when another connection committed since the previous call (False the first time)."""
        if self._closed:
            return False
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._look)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the watch thread (its one connection)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        """Close the watch thread's connection, then the thread."""
        if self._closed:
            return
        self._closed = True

        try:
            self._pool.submit(connection.close_this_thread).result(timeout=5)
            self._pool.submit(connection.stop_watching).result(timeout=5)
        except Exception:  # closing is best effort; the process is ending
            pass
        self._pool.shutdown(wait=True)


class LiveMixin(_Base):
    """The app's side of it: idle time, the watch, the clock tick, reminders, the unread count."""

    desk: Desk
    locked: bool
    last_input: datetime
    data_watch: DataWatch
    unread: Any
    minute: Any
    _stale: bool
    _polling: bool
    _settle_heap: bool

    if TYPE_CHECKING:  # provided by SessionMixin
        @property
        def signed_in_and_open(self) -> bool: ...
        def lock(self, reason: str = ...) -> None: ...

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.last_input = self.desk.clock.now()
            self.start_work_done()  # a key's work never queues behind the start's (see start_on_one_thread)
        await super().on_event(event)

    def check_idle_lock(self) -> bool:
        """Lock if nobody has touched a key or the mouse for ``idle_lock_minutes`` (by the desk clock)."""
        minutes = self.desk.idle_lock_minutes
        if not minutes or not self.signed_in_and_open:  # (nothing to hide while a PIN is being set)
            return False
        if self.desk.clock.now() - self.last_input >= timedelta(minutes=minutes):
            self.lock(f"Desk locked after {minutes} idle minutes")
            return True
        return False

    def _every_second(self) -> None:
        self.minute = format_london(self.desk.clock.now())
        self.check_idle_lock()
        if self.signed_in_and_open and not self._polling:
            self.run_worker(self.poll_now(), group="watch", name="data-watch", exit_on_error=False)

    async def poll_now(self) -> bool:
        """Look at the data version once (on the watch thread); reload the screens if it moved.

        Also asks whether the signed-in account is still active (one primary-key read): a
        disabled account's open desk locks here, with "Your account is disabled", and reads
        nothing more.
        """
        self._polling = True
        try:
            changed = await self.data_watch.changed()
            user = self.desk.user
            active = True
            if user is not None and not self.locked and not self.data_watch._closed:
                active = await self.data_watch.run(reads.account_active, user.id)
        finally:
            self._polling = False
        if not active:
            self.account_disabled()
            return changed
        if changed:
            self.data_changed()
        return changed

    def account_disabled(self) -> None:
        """The signed-in account was disabled elsewhere: lock the desk, say why."""
        if self.locked or not self.desk.signed_in:
            return
        self.lock()
        screen = self.screen
        if is_screen(screen, LOCK):
            lock_screen = cast("LockScreen", screen)
            lock_screen.call_after_refresh(lock_screen.show_error, DISABLED)

    remind_pending = False
    _start_pool: ThreadPoolExecutor | None = None

    if TYPE_CHECKING:  # provided by SessionMixin
        def refresh_drafts(self) -> Any: ...

    def start_on_one_thread(self) -> None:
        """Until the start's own work is done, thread workers run one after the other on ONE thread.

        That work is the sign-in, the first page, its background count, the drafts count and the
        sign-in's reminders. Each thread that reads the database holds a connection of its own
        (peewee's is per thread, each with its page cache and schema) and its own malloc arena, so
        running them side by side cost a started desk about 1.3 MB more at its peak, for work that
        nobody waits for. The first page is read first and is not slowed: the rest queue behind it
        (``first_page_shown``). Once the reminders end, or at the first key or click
        (``start_work_done``), workers run side by side again, so a key's page never waits behind
        the start's count or reminders."""
        # (its connection keeps fewer pages: what the start reads, it reads once; store.db.START_CACHE_KIB)
        self._start_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drp-start",
                                              initializer=connection.keep_fewer_pages)
        asyncio.get_running_loop().set_default_executor(self._start_pool)

    def settle_heap(self) -> None:
        """What the process holds now lives for the session: the garbage collector no longer walks it.

        Python's full collection walks every object the process holds: at the start, after the
        imports, it took 40-50 ms on the UI thread and found nothing to free, and later, during
        keys, 50-110 ms (a page down now and then took 190 ms instead of 50). The modules,
        classes, stylesheet and the first screen live as long as the desk, so they are moved out
        of the collector's sight (``gc.freeze``): once when the desk is made, once when the
        start's work is done. Only for a desk run by ``drp`` (``settle_heap=True``): a test
        process makes hundreds of desks, and would keep every earlier one's garbage."""
        if self._settle_heap:
            gc.freeze()

    def collect_less_often(self) -> None:
        """Once the start is settled, the collector looks at new objects in fewer, larger batches
        (``GC_AFTER_START``, not Python's 700, 10, 10). Reference counting frees most of what a key
        makes as it goes; what the collector found at Python's pace was mostly what the keys keep
        (caches), walked again and again: over 120 caseload keys at 100,000, collection took 1.9-2.3
        ms a key on average and up to 13-19 ms in one (a full collection). The middle generation
        is collected after every 5 young ones, not 20: it holds what the keys' pages keep for a
        while (drawn lines, rows), up to 5,000 objects a batch, and at 20 batches one collection of
        it took 40-73 ms on the screen's thread, the slowest key of a run (a sort: 85-110 ms); at
        5, 16-33 ms (in four runs of 200 keys each kind's p95 was 33-47 ms). The full
        collection keeps its pace (every 2,000 young ones: 5 x 400, as 20 x 100 was). Only with
        ``settle_heap`` (``drp``'s desk), as a test process keeps Python's pace."""
        if self._settle_heap:
            gc.set_threshold(*GC_AFTER_START)

    def start_work_done(self) -> None:
        """The start's work is done (or given up): workers get a pool of threads again, and what the
        start made is settled (``settle_heap``), the collector then running less often."""
        pool, self._start_pool = self._start_pool, None
        if pool is None:
            return
        self.settle_heap()
        self.collect_less_often()
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(thread_name_prefix="drp-worker"))
        pool.shutdown(wait=False)  # its thread ends after what is queued on it (nothing waits here)

    def first_page_shown(self) -> None:
        """The first page is on screen: the sign-in's drafts count and reminders run now, not while
        the first page is being read and drawn (they would compete for the processor), and after
        the page's own count (queued before them on the start's one thread)."""
        if self.remind_pending:
            self.remind_pending = False
            self.refresh_drafts()
            self.remind_now()

    def tick(self) -> None:
        """The clock moved: recolour every screen from it (no database work)."""
        self.minute = format_london(self.desk.clock.now())
        if not self.signed_in_and_open:
            return
        for screen in self._desk_screens():
            clock_tick = getattr(screen, "clock_tick", None)
            if callable(clock_tick):
                clock_tick()

    def data_changed(self) -> None:
        if not self.signed_in_and_open:
            self._stale = True
            return
        self._stale = False
        self.refresh_unread()
        for screen in self._desk_screens():
            refresh = getattr(screen, "refresh_data", None)
            if callable(refresh):
                refresh()

    def _desk_screens(self) -> Iterator[Screen[Any]]:
        for mode in DESK_MODES:
            yield from list(self._screen_stacks.get(mode, []))

    @work(thread=True, exclusive=True, group="remind", name="remind", exit_on_error=False)
    def remind_now(self) -> None:
        """Reminders for the signed-in person reach the inbox; then the unread count."""
        if not self.desk.signed_in:
            return
        ctx = self.desk.ctx()
        if not reads.account_active(ctx.actor_id):
            return  # a disabled account gets nothing (the next poll locks the desk)
        from drp_tui.services import inbox  # (after the first screen is on show: not at start)

        try:
            with self.desk.given_up_at_close():  # a person quitting does not wait for this
                made = inbox.remind(ctx)
                count = reads.unread(ctx)
        except Abandoned:
            return
        self.call_from_thread(self._reminded, ctx.actor_id, count, made)

    def _reminded(self, actor_id: int, count: int, made: int) -> None:
        if self.desk.user is None or self.desk.user.id != actor_id:
            return
        self.unread = count
        if made:
            self.data_changed()

    @work(thread=True, exclusive=True, group="unread", name="unread", exit_on_error=False)
    def refresh_unread(self) -> None:
        user = self.desk.user
        if user is not None and reads.account_active(user.id):
            count = reads.unread(self.desk.ctx())
            self.call_from_thread(self._set_unread, user.id, count)

    def _set_unread(self, actor_id: int, count: int) -> None:
        if self.desk.user is not None and self.desk.user.id == actor_id:
            self.unread = count
