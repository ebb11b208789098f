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
clear). ``Widget.focus()`` is itself deferred (``app.call_later``), so an
``Input.Submitted`` handler that moves the cursor has the same race. Pilot tests
wait for idle between keys and never see it; SSH and fast typists do.

``OrderedKeys`` holds each key (and each paste) until the previous one has
settled: after delivering a key the app sends a *lap* — a callback hopped with
``call_later`` from the target widget up through its parents (each widget's queue
is first-in first-out, so the hop passes every level after the key and after
whatever the key posted there) and back to the app. A key that bubbled all the
way to the app (where the bindings run) gets a second lap from the widget focused
after its binding ran, so the messages its action posted (Submitted, focus moves)
are handled first. If the key started a worker (the desk's flows run in workers and
open their dialogs from there, e.g. "s" asks "Send section ...?"), the next key also
waits until that worker has finished or a new screen is on top, so a "y" typed
right after "s" answers the dialog instead of going to the form. Only then is the
next held key delivered, to whoever has focus now. If a widget on the way is
closing (its dialog was dismissed), the hop goes straight back to the app; a
watchdog opens the gate after ``STUCK_SECONDS`` should a lap ever be lost or a
worker be slow, so the keyboard can never freeze.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from textual import events
from textual.worker import Worker, WorkerState

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
    _subscribed: bool

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
            self._subscribed = False

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
                self._start_lap()
            elif isinstance(event, Worker.StateChanged):
                await self._recheck_workers()
            return
        if self._lap is not None or self._held:
            self._held.append(event)
            return
        await self._deliver(event)

    async def _deliver(self, event: events.Event) -> None:
        app: Any = self
        self._inflight = event
        self._workers_before = set(app.workers)
        self._key_screen = app.screen
        if not self._subscribed:
            self._subscribed = True
            app.screen_change_signal.subscribe(app, self._screen_changed)
        await super().on_event(event)  # type: ignore[misc]
        if not event.is_forwarded:  # a priority binding (or minimize) took it in the app
            self._inflight = None
        self._start_lap()

    def _start_lap(self, target: MessagePump | None = None) -> None:
        app: Any = self
        self._laps += 1
        serial = self._laps
        self._lap = serial
        self._arm_watchdog(app)
        target = target or app.focused or app.screen
        assert target is not None
        if not target.call_later(self._hop, serial, target):
            app.call_later(self._lap_done, serial)

    def _hop(self, serial: int, node: MessagePump) -> None:
        app: Any = self
        if serial != self._lap:
            return
        parent = node._parent
        if parent is None or parent is app or not parent.call_later(self._hop, serial, parent):
            app.call_later(self._lap_done, serial)

    def _started_workers(self) -> bool:
        """Did the last key start a worker that is still going, with no new screen on top yet?"""
        app: Any = self
        if app.screen is not self._key_screen:
            return False
        return any(w.state in _LIVE and w not in self._workers_before for w in app.workers)

    async def _lap_done(self, serial: int) -> None:
        if serial != self._lap:
            return
        if self._started_workers():
            self._awaiting_workers = True  # _recheck_workers opens the gate
            return
        await self._open()

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
        self._key_screen = app.screen
        self._start_lap(app.screen)

    async def _recheck_workers(self) -> None:
        if self._awaiting_workers and not self._started_workers():
            await self._open()

    async def _open(self) -> None:
        self._lap = None
        self._awaiting_workers = False
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
