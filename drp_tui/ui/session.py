"""Who is at the desk: sign-in, idle lock, unlock as the same person or another, sign-out.

A mixin of :class:`~drp_tui.ui.app.DrpApp` (split out to keep the app small).
Locking moves the session's screens out of sight (into their modes, unrendered)
behind the lock screen in the ``gate`` mode; someone else signing in discards
them, after keeping any unsaved form text as a Draft for its owner.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work

from drp_tui.domain.model import StaffView
from drp_tui.services import drafts
from drp_tui.services.context import Ctx
from drp_tui.ui.keys import DESK_MODES
from drp_tui.ui.screens.lock import LockScreen
from drp_tui.ui.screens.login import LoginScreen

if TYPE_CHECKING:
    from textual.app import App

    from drp_tui.ui.desk import Desk

    _Base = App[int]
else:
    _Base = object



class SessionMixin(_Base):
    desk: Desk
    locked: bool
    last_input: datetime
    session: Any
    unread: Any
    _locked_ctx: Ctx | None
    _mode_before_lock: str
    _stale: bool

    if TYPE_CHECKING:  # provided by LiveMixin
        def remind_now(self) -> Any: ...
        def data_changed(self) -> None: ...

    @work(thread=True, exclusive=True, group="auth", name="demo-sign-in", exit_on_error=False)
    def _demo_sign_in(self, username: str) -> None:
        try:
            self.desk.sign_in_demo(username)
        except Exception:
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
        if isinstance(self.screen, LoginScreen):
            self.pop_screen()
        self.switch_mode("caseload")
        self.session += 1
        self.remind_now()
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
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        if before is not None and before.actor_id != user.id:
            self.unread = None
            self._end_session(before, f"closed at the idle lock: {user.username} signed in")
            self._mode_before_lock = "caseload"
        self.switch_mode(self._mode_before_lock)
        self.session += 1
        if self._stale:
            self.data_changed()
        self.remind_now()
        self.show_sign_in_notices()

    def _end_session(self, ctx: Ctx, reason: str) -> None:
        """Save unsaved form text as drafts for ``ctx``'s person, then discard the desk's screens."""
        kept = self._close_screens()
        if kept:
            self._save_drafts(ctx, kept, reason)

    def _close_screens(self) -> list[tuple[int | None, dict[str, object]]]:
        """Discard the desk's screens; return the unsaved form text they held."""
        kept: list[tuple[int | None, dict[str, object]]] = []
        for mode in DESK_MODES:
            for screen in self._screen_stacks.get(mode, []):
                draft = getattr(screen, "unsaved_draft", None)
                payload = draft() if callable(draft) else None
                if payload:
                    dispute_id = payload.get("dispute_id", getattr(screen, "dispute_id", None))
                    kept.append((dispute_id if isinstance(dispute_id, int) else None, dict(payload)))
            if mode in self._modes and mode != self.current_mode:
                factory = self._modes[mode]
                self.remove_mode(mode)
                self.add_mode(mode, factory)
        return kept

    @work(thread=True, group="drafts", name="save-drafts", exit_on_error=False)
    def _save_drafts(self, ctx: Ctx, kept: list[tuple[int | None, dict[str, object]]], reason: str) -> None:
        for dispute_id, payload in kept:
            drafts.save_draft(ctx, dispute_id, payload, reason)

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
        while isinstance(self.screen, LockScreen):
            self.pop_screen()
        kept = self._close_screens()
        self.desk.sign_out()
        self.unread = None
        self.session += 1
        os_auth = self.desk.setup.config.auth == "os"
        self._signed_out(ctx, kept, os_auth)
        if not os_auth:
            self.push_screen(LoginScreen())

    @work(thread=True, group="drafts", name="sign-out", exit_on_error=False)
    def _signed_out(self, ctx: Ctx, kept: list[tuple[int | None, dict[str, object]]], quit_after: bool) -> None:
        try:
            for dispute_id, payload in kept:
                drafts.save_draft(ctx, dispute_id, payload, "signed out")
            self.desk.record(ctx.actor_id, "signed_out", "Signed out")
        finally:
            if quit_after:
                self.call_from_thread(self.exit, 0)
