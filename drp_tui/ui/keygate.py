"""Keys in the order they were typed, each reaching the widget focused *when its turn comes*.

Why (Textual 8.2, ``textual/app.py`` ``App.on_event``): the driver's input thread
parses one terminal read into several ``events.Key`` and posts them all to the
app's queue. ``App.on_event`` handles each in turn by checking *priority* bindings
and then ``self.focused._forward_event(key)``, which only *posts* the key to the
focused widget's own queue and returns. Non-priority bindings (``tab`` →
``focus_next``, an Input's ``enter`` → submit, a form's ctrl+s) run later, when the
key has bubbled back up to the app (``MessagePump._on_message`` → ``_bubble_to``
→ ``App._on_key`` → ``_check_bindings``). By then the app has already forwarded
the keys that followed in the same read to the *old* focused widget: in
``b"alice\\tsecret\\r"`` the Tab moves focus only after "secret" has been queued to
the user-name box, so both texts land there (and the password is on screen in
clear), while the Enter's binding is resolved against the box focused by the time
it comes back (the password box: an empty password is submitted). Priority
bindings run at once in ``App.on_event``, so a ctrl+s at the end of a burst checks
the form before the text typed just before it has reached its box.
``Widget.focus()`` is itself deferred (``app.call_later``), so an
``Input.Submitted`` handler that moves the cursor has the same race. Pilot tests
wait for idle between keys and never see it; SSH and fast typists do. (Not a paste
heuristic: without bracketed paste the parser yields plain keys, one per character.)

``OrderedKeys`` holds each key (and each paste) until the previous one has
settled: after delivering a key the app sends a *lap* — a callback hopped with
``call_later`` from the target widget up through its parents (each widget's queue
is first-in first-out, so the hop passes every level after the key and after
whatever the key posted there) and back to the app. A key that bubbled all the
way to the app (where the bindings run) gets a second lap from the widget focused
after its binding ran, so the messages its action posted (Submitted, focus moves)
are handled first. If a key that ran a binding started a worker (the desk's flows
run in workers and open their dialogs from there, e.g. "s" asks "Send section
...?"), the next key also waits until that worker has finished or a new screen is
on top, so a "y" typed right after "s" answers the dialog instead of going to the
form; a new screen gets one fresh lap (after its ScreenResume sets its focus). Only then is the
next held key delivered, to whoever has focus now. If a widget on the way is
closing (its dialog was dismissed), the hop goes straight back to the app; a
watchdog opens the gate after ``STUCK_SECONDS`` should a lap ever be lost or a
worker be slow, so the keyboard can never freeze.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ScreenStackError
from textual.worker import Worker, WorkerState

# Worker groups no key waits for: what they bring changes no focus and opens no dialog
# (the caseload's count, read after its page is on screen).
BACKGROUND_GROUPS = frozenset({"caseload-count"})

if TYPE_CHECKING:
    from textual.message_pump import MessagePump
    from textual.screen import Screen
    from textual.timer import Timer

STUCK_SECONDS = 1.0
_LIVE = (WorkerState.PENDING, WorkerState.RUNNING)


class OrderedKeys:
    """Mixin for a Textual ``App`` (put it before ``App`` in the bases)."""

    _held: deque[events.Event]
    _lap: int | None
    _laps: int
    _inflight: events.Event | None
    _watchdog: Timer | None
    _watched_lap: int | None
    _workers_before: set[Worker[Any]]
    _key_screen: Screen[Any] | None
    _awaiting_workers: bool
    _awaited: list[Worker[Any]]
    _subscribed: bool
    _waiter: asyncio.Task[None] | None
    _bound: bool

    def _gate_init(self) -> None:
        if not hasattr(self, "_held"):
            self._held = deque()
            self._lap = None
            self._laps = 0
            self._inflight = None
            self._watchdog = None
            self._watched_lap = None
            self._workers_before = set()
            self._key_screen = None
            self._awaiting_workers = False
            self._awaited = []
            self._subscribed = False
            self._waiter = None
            self._bound = False

    @property
    def keys_pending(self) -> int:
        """Keys held back, plus one while the last delivered key is still settling."""
        self._gate_init()
        return len(self._held) + (self._lap is not None)

    async def on_event(self, event: events.Event) -> None:
        self._gate_init()
        gated = isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded
        if not gated:
            await super().on_event(event)  # type: ignore[misc]
            if event is self._inflight and isinstance(event, events.Key):
                # The key came back to the app and its bindings have run: settle their effects.
                self._inflight = None
                self._bound = True
                self._start_lap()
            return
        if self._lap is not None or self._held:
            self._held.append(event)
            return
        await self._deliver(event)

    async def _deliver(self, event: events.Event) -> None:
        app: Any = self
        self._inflight = event
        self._workers_before = set(app.workers)
        self._key_screen = self._top()
        if not self._subscribed:
            self._subscribed = True
            app.screen_change_signal.subscribe(app, self._screen_changed)
        await super().on_event(event)  # type: ignore[misc]
        self._bound = not event.is_forwarded
        if self._bound:  # a priority binding (or minimize) took it in the app
            self._inflight = None
        self._start_lap()

    def _start_lap(self, target: MessagePump | None = None) -> None:
        app: Any = self
        self._laps += 1
        serial = self._laps
        self._lap = serial
        self._arm_watchdog(app)
        target = target or app.focused or self._top()
        if target is None:
            app.call_later(self._lap_done, serial)
            return
        if not target.call_later(self._hop, serial, target):
            app.call_later(self._lap_done, serial)

    def _hop(self, serial: int, node: MessagePump) -> None:
        app: Any = self
        if serial != self._lap:
            return
        parent = node._parent
        if parent is None or parent is app or not parent.call_later(self._hop, serial, parent):
            app.call_later(self._lap_done, serial)

    def _top(self) -> Screen[Any] | None:
        app: Any = self
        try:
            return app.screen  # type: ignore[no-any-return]
        except ScreenStackError:  # starting or closing: no screen at all
            return None

    def _app_ending(self) -> bool:
        app: Any = self
        return bool(app._exit or app._closing) or self._top() is None

    def _started_workers(self) -> list[Worker[Any]]:
        """Workers the last key started that are still going, while no new screen is on top."""
        app: Any = self
        if self._top() is not self._key_screen:
            return []
        return [w for w in app.workers if w.state in _LIVE and w not in self._workers_before
                and w.group not in BACKGROUND_GROUPS]

    async def _lap_done(self, serial: int) -> None:
        if serial != self._lap:
            return
        # Only a key that ran a binding waits for the workers it started: text typed into
        # a box (the palette's search box starts a search per key) never waits.
        started = self._started_workers() if self._bound else []
        if started:
            # Worker.StateChanged does not bubble to the app, so wait on the workers' tasks.
            # Only these: a worker started later by something else (the reminders after a first
            # page, a timer's reload) is not this key's, and waiting for it left the gate to the
            # watchdog (a 1 s stall).
            self._awaiting_workers = True
            self._awaited = started
            if self._wait_for(started):
                return
        await self._open()

    def _wait_for(self, workers: list[Worker[Any]]) -> bool:
        tasks = [w._task for w in workers if w._task is not None and w.state in _LIVE]
        if not tasks:
            return False
        self._waiter = asyncio.create_task(self._when_finished(tasks))
        return True

    async def _when_finished(self, tasks: list[asyncio.Task[Any]]) -> None:
        app: Any = self
        await asyncio.wait(tasks)
        app.call_later(self._recheck_workers)

    async def _screen_changed(self, _screen: object) -> None:
        """A screen was pushed or popped: the next key belongs to the screen now on top.

        A lap still out may be lost with a closing dialog, and a worker that opened a
        dialog waits for that dialog's answer, so neither is waited for any more: one
        fresh lap through the new screen (after its ScreenResume, which sets its
        focus) and the gate opens.
        """
        app: Any = self
        if self._lap is None:
            return
        self._awaiting_workers = False
        self._workers_before = set(app.workers)
        self._key_screen = self._top()
        if self._key_screen is None:
            await self._open()
            return
        self._start_lap(self._key_screen)

    async def _recheck_workers(self) -> None:
        if not self._awaiting_workers:
            return
        if self._top() is not self._key_screen or not self._wait_for(self._awaited):  # (a new screen: its turn)
            await self._open()

    async def _open(self) -> None:
        self._lap = None
        self._awaiting_workers = False
        if self._app_ending():  # the app is ending: typed-ahead keys go nowhere
            self._held.clear()
            return
        while self._held and self._lap is None:
            await self._deliver(self._held.popleft())

    def _arm_watchdog(self, app: Any) -> None:
        if self._watchdog is None:  # one timer at a time, only while a key is settling
            self._watched_lap = self._lap
            self._watchdog = app.set_timer(STUCK_SECONDS, self._check_stuck)

    async def _check_stuck(self) -> None:
        app: Any = self
        self._watchdog = None
        if self._lap is not None and self._lap == self._watched_lap:
            app.log.warning(f"key lap {self._lap} unsettled; delivering {len(self._held)} held keys")
            await self._open()
        elif self._lap is not None:
            self._arm_watchdog(app)
