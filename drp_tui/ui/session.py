"""Who is at the desk: sign-in, idle lock, unlock as the same person or another, sign-out.

A mixin of :class:`~drp_tui.ui.app.DrpApp` (split out to keep the app small).
Locking moves the session's screens out of sight (into their modes, unrendered)
behind the lock screen in the ``gate`` mode; someone else signing in discards
them, after keeping any unsaved form text as a Draft for its owner.

Every way out keeps typed text: sign-out and a hand-over at the lock save drafts (in a
worker); quitting asks (save as draft and quit / discard and quit / cancel) when the
person at the desk is its owner, and otherwise (quit at the lock screen, SIGHUP when the
connection drops, SIGTERM) saves every open form's text as drafts for its owner at once
(the service called directly, so it is written before the process ends), then exits.
"""

from __future__ import annotations

import asyncio
import importlib
import signal
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work

from drp_tui.domain.model import StaffView
from drp_tui.services.context import Ctx
from drp_tui.ui.keys import DESK_MODES
from drp_tui.ui.screens import CASELOAD, LOCK, LOGIN, WORK, is_screen

if TYPE_CHECKING:
    from textual.app import App

    from drp_tui.ui.desk import Desk

    _Base = App[int]
else:
    _Base = object

Kept = tuple[int | None, int | None, dict[str, object]]  # (dispute id, child id of a raise form, payload)
# The home screens whose list is read on the sign-in's thread (``read_ahead_home``): mode -> module.
READ_AHEAD = {"work": WORK[0], "caseload": CASELOAD[0]}
SIGNALS = tuple(s for s in (getattr(signal, "SIGHUP", None), getattr(signal, "SIGTERM", None)) if s is not None)


def kept_of(screen: object) -> Kept | None:
    """A screen's unsaved form text as a draft to keep (its dispute or child, the fields), or None."""
    draft = getattr(screen, "unsaved_draft", None)
    payload = draft() if callable(draft) else None
    if not payload:
        return None
    dispute_id = payload.get("dispute_id", getattr(screen, "dispute_id", None))
    child_id = getattr(screen, "child_id", None)
    return (dispute_id if isinstance(dispute_id, int) else None, child_id if isinstance(child_id, int) else None,
            dict(payload))


class SessionMixin(_Base):
    desk: Desk
    locked: bool
    last_input: datetime
    session: Any
    unread: Any
    _locked_ctx: Ctx | None
    _mode_before_lock: str
    _stale: bool
    remind_pending: bool
    drafts: Any
    _signals_installed: list[tuple[int, Any]]
    _ending: bool
    _asking_quit: bool
    home_mode: str
    _read_ahead: object | None = None  # the home screen's list, read on the sign-in's thread

    if TYPE_CHECKING:  # provided by LiveMixin
        def remind_now(self) -> Any: ...
        def data_changed(self) -> None: ...

    # --- workers hand results back without ever outliving the desk --------------------------------
    CALLBACK_POLL = 0.25  # seconds between looks at whether the desk is still there

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Textual's ``call_from_thread``, except that the worker stops waiting when the desk has ended.

        Textual waits for the callback with no time limit; a worker whose callback was queued just as
        the event loop stopped (the connection dropped, SIGHUP) would then wait for ever, and the
        process, which joins its worker threads on the way out, would never end. Here the worker
        looks every ``CALLBACK_POLL`` seconds and gives up (``RuntimeError``) once the loop has stopped.
        """
        loop = self._loop
        if loop is None or not loop.is_running():
            raise RuntimeError("the desk is not running")
        if self._thread_id == threading.get_ident():
            raise RuntimeError("call_from_thread must run in a worker thread, not the desk's own")
        call = partial(callback, *args, **kwargs)

        async def run_callback() -> Any:
            from textual._callback import invoke

            with self._context():
                return await invoke(call)

        coroutine = run_callback()
        future = asyncio.run_coroutine_threadsafe(coroutine, loop=loop)
        while True:
            try:
                return future.result(timeout=self.CALLBACK_POLL)
            except FutureTimeout:
                if not loop.is_running() or loop.is_closed():
                    future.cancel()
                    try:  # never to run now: closed, so no "never awaited" warning reaches the terminal
                        coroutine.close()
                    except (RuntimeError, ValueError):
                        pass
                    raise RuntimeError("the desk ended before this worker's result could be shown") from None

    def read_ahead_home(self) -> None:
        """On the sign-in's thread, once signed in: the home screen's list (My work's, the caseload's
        first page), read before its screen is built (its module's ``read_ahead``), so that the screen
        shows it at its first paint. A read that fails here is left to the screen, which reads it
        again and says what went wrong."""
        self._read_ahead = None
        module = READ_AHEAD.get(self.home_mode)
        if module is None or self.desk.needs_pin or self.desk.needs_password:
            return
        try:
            self._read_ahead = importlib.import_module(module).read_ahead(self.desk, self.size.height)
        except Exception:  # noqa: BLE001 - the screen's own read reports it
            self._read_ahead = None

    def take_read_ahead(self) -> object | None:
        """The page ``read_ahead_home`` read (once: a later screen reads its own)."""
        ahead, self._read_ahead = self._read_ahead, None
        return ahead

    @work(thread=True, exclusive=True, group="auth", name="demo-sign-in", exit_on_error=False)
    def _demo_sign_in(self, username: str) -> None:
        try:
            self.desk.sign_in_demo(username)
            self.read_ahead_home()
        except Exception:
            from drp_tui.ui.screens.login import LoginScreen

            self.call_from_thread(self.push_screen, LoginScreen(f"Could not open the desk as '{username}'."))
            return
        self.call_from_thread(self.signed_in)

    @property
    def signed_in_and_open(self) -> bool:
        return self.desk.signed_in and not self.locked and not self.desk.needs_pin

    def signed_in(self) -> None:
        """Called by the log-in screen once ``desk.user`` is set."""
        self.locked = False
        self.last_input = self.desk.clock.now()
        if is_screen(self.screen, LOGIN):
            self.pop_screen()
        self.switch_mode(self.home_mode)
        self.session += 1
        self.remind_pending = True  # the reminders and the drafts count: once the first page is on screen
        self.show_sign_in_notices()

    def show_sign_in_notices(self) -> None:
        """Tell the person what happened while they were away (failed attempts), once."""
        for text in self.desk.take_notices():
            self.notify(text, title="Failed sign-in attempts", severity="warning", timeout=60, markup=False)

    def lock(self, reason: str = "Desk locked") -> None:
        """Hide every screen of the session behind the lock screen (no personal data on show)."""
        user = self.desk.user
        if self.locked or user is None:
            return
        self.locked = True
        self._locked_ctx = self.desk.ctx()
        if self.current_mode in DESK_MODES:
            self._mode_before_lock = self.current_mode
        self.clear_notifications()
        self.switch_mode("gate")
        from drp_tui.ui.screens.lock import LockScreen  # (when first locked: not at start)

        self.push_screen(LockScreen(user.username, user.name, user.id))
        self.session += 1
        self._record_event(user.id, "locked", reason)

    @work(thread=True, group="audit", name="record-event", exit_on_error=False)
    def _record_event(self, staff_id: int, kind: str, summary: str) -> None:
        self.desk.record(staff_id, kind, summary)

    def unlocked(self, user: StaffView) -> None:
        """Called by the lock screen once ``desk.user`` is set again (the same person or another)."""
        before = self._locked_ctx
        self.locked = False
        self._locked_ctx = None
        self.last_input = self.desk.clock.now()
        if is_screen(self.screen, LOCK):
            self.pop_screen()
        if before is not None and before.actor_id != user.id:
            self.unread = None
            self._end_session(before, f"closed at the idle lock: {user.username} signed in")
            self._mode_before_lock = self.home_mode
        self.switch_mode(self._mode_before_lock)
        self.session += 1
        if self._stale:
            self.data_changed()
        self.remind_now()
        self.refresh_drafts()
        self.show_sign_in_notices()

    def open_drafts(self) -> list[Kept]:
        """Unsaved text of every form in the session's screens (every desk mode, hidden or not)."""
        kept: list[Kept] = []
        for mode in DESK_MODES:
            for screen in self._screen_stacks.get(mode, []):
                one = kept_of(screen)
                if one is not None:
                    kept.append(one)
        return kept

    def _end_session(self, ctx: Ctx, reason: str) -> None:
        """Save unsaved form text as drafts for ``ctx``'s person, then discard the desk's screens."""
        kept = self._close_screens()
        if kept:
            self._save_drafts(ctx, kept, reason)

    def _close_screens(self) -> list[Kept]:
        """Discard the desk's screens; return the unsaved form text they held."""
        kept = self.open_drafts()
        for mode in DESK_MODES:
            if mode in self._modes and mode != self.current_mode:
                factory = self._modes[mode]
                self.remove_mode(mode)
                self.add_mode(mode, factory)
        return kept

    @work(thread=True, group="drafts", name="save-drafts", exit_on_error=False)
    def _save_drafts(self, ctx: Ctx, kept: list[Kept], reason: str) -> None:
        self.save_drafts_now(ctx, kept, reason)
        self.call_from_thread(self.refresh_drafts)

    def save_drafts_now(self, ctx: Ctx, kept: list[Kept], reason: str) -> int:
        """Write the drafts now, in this thread (the exit paths: nothing may be left to a worker).
        A form whose draft cannot be stored does not stop the others; the first refusal is raised after."""
        # (not at start: usually loaded already by the drafts count after the first page; an exit path may import it)
        from drp_tui.services import drafts

        saved, problem = 0, None
        for dispute_id, child_id, payload in kept:
            try:
                drafts.save_draft(ctx, dispute_id, payload, reason, child_id)
                saved += 1
            except Exception as exc:  # noqa: BLE001 - keep the others, report the first
                problem = problem or exc
        if problem is not None:
            raise problem
        return saved

    # --- drafts count ------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="drafts-count", name="drafts-count", exit_on_error=False)
    def refresh_drafts(self) -> None:
        if self.desk.user is None:
            return
        from drp_tui.services import drafts  # (counted once the first page is on show: not at start)

        ctx = self.desk.ctx()
        count = drafts.draft_count(ctx)
        self.call_from_thread(self._set_drafts, ctx.actor_id, count)

    def _set_drafts(self, actor_id: int, count: int) -> None:
        if self.desk.user is not None and self.desk.user.id == actor_id:
            self.drafts = count

    def set_draft_count(self, count: int) -> None:
        """A screen that has just read the signed-in person's drafts tells the header."""
        if self.desk.user is not None:
            self.drafts = count

    # --- every way out keeps the text --------------------------------------------------------
    def _owner_ctx(self) -> Ctx | None:
        """Whose text the open forms hold: the signed-in person, or the one behind the lock."""
        if self._locked_ctx is not None:
            return self._locked_ctx
        return self.desk.ctx() if self.desk.signed_in else None

    def keep_everything(self, reason: str) -> int:
        """Save every open form's unsaved text as drafts for its owner, now. Returns how many."""
        ctx = self._owner_ctx()
        kept = self.open_drafts() if ctx is not None else []
        if not kept or ctx is None:
            return 0
        return self.save_drafts_now(ctx, kept, reason)

    async def action_quit(self) -> None:
        """ctrl+q and the palette's Quit: ask when the owner of unsaved text is at the desk."""
        if self._ending or self._asking_quit:
            return
        if self.locked or not self.desk.signed_in:  # the person here may not be the owner: keep it all
            self._leave("quit at the lock screen")
            return
        kept = self.open_drafts()
        if not kept:
            self.exit(0)
            return
        from drp_tui.ui.screens.drafts import ChoiceDialog

        forms = len(kept)
        self._asking_quit = True
        self.push_screen(ChoiceDialog(
            f"{forms} open form{'s hold' if forms > 1 else ' holds'} text you have not saved. "
            "Save it as a draft and quit (it is offered back when you open the form again), "
            "discard it and quit, or cancel?",
            [("save", "Save draft, quit", "s"), ("discard", "Discard, quit", "d"), ("cancel", "Cancel", "c")],
            title="Unsaved text"), callback=self._quit_answer)

    def _quit_answer(self, answer: str | None) -> None:
        self._asking_quit = False
        if answer == "save":
            self._leave("saved when quitting")
        elif answer == "discard":
            self.exit(0)

    def _leave(self, reason: str, return_code: int = 0) -> None:
        try:
            self.keep_everything(reason)
        except Exception as exc:  # noqa: BLE001 - never lose text silently: stay open and say so
            if self._ending:
                raise
            self.notify(f"The unsaved text could not be kept as a draft, so the desk stays open: "
                        f"{getattr(exc, 'message', exc)}", title="Not quitting", severity="error", markup=False)
            return
        self._ending = True
        self.exit(return_code)

    def install_signal_handlers(self) -> None:
        """SIGHUP (the connection dropped) and SIGTERM (told to stop): keep the text, exit cleanly."""
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            try:
                before = signal.getsignal(sig)
                loop.add_signal_handler(sig, self.on_stop_signal, int(sig))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such support
                continue
            self._signals_installed.append((int(sig), before))

    def remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        while self._signals_installed:
            sig, before = self._signals_installed.pop()
            loop.remove_signal_handler(sig)
            if before is not None:
                signal.signal(sig, before)

    def on_stop_signal(self, signum: int) -> None:
        """The session ends without anyone to ask: every form's text becomes a draft for its owner."""
        if self._ending:
            return
        self._ending = True
        name = signal.Signals(signum).name
        why = "connection dropped (SIGHUP)" if name == "SIGHUP" else f"desk stopped ({name})"
        try:
            self.keep_everything(why)
        except Exception as exc:  # noqa: BLE001 - the process ends anyway: leave a trace in the log
            self.log.error(f"drafts not kept on {name}: {exc!r}")
        self.exit(0)

    def action_sign_out(self) -> None:
        if not self.desk.signed_in:
            return
        self.sign_out_now()

    def sign_out_now(self) -> None:
        """Sign out (from the open desk or the lock screen), keeping unsaved text as drafts.

        With ``auth = "os"`` the desk then closes: signing in again inside this
        process would prove nothing (it runs as the same OS account whoever is at
        the keyboard), so a new sign-in means starting the desk again.
        """
        user = self.desk.user
        if user is None:
            return
        ctx = self.desk.ctx()
        self.locked = False
        self._locked_ctx = None
        self.clear_notifications()
        self.switch_mode("gate")
        while is_screen(self.screen, LOCK):
            self.pop_screen()
        kept = self._close_screens()
        self.desk.sign_out()
        self._read_ahead = None
        self.unread = None
        self.session += 1
        os_auth = self.desk.setup.config.auth == "os"
        self._signed_out(ctx, kept, os_auth)
        if not os_auth:
            from drp_tui.ui.screens.login import LoginScreen

            self.push_screen(LoginScreen())

    @work(thread=True, group="drafts", name="sign-out", exit_on_error=False)
    def _signed_out(self, ctx: Ctx, kept: list[Kept], quit_after: bool) -> None:
        try:
            self.save_drafts_now(ctx, kept, "signed out")
            self.desk.record(ctx.actor_id, "signed_out", "Signed out")
        finally:
            if quit_after:
                self.call_from_thread(self.exit, 0)
