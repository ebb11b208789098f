"""DrpApp: modes, global keys, the palette, sign-in, idle lock, live refresh. Screens do the work.

Contract the screens rely on (keep it stable):
- ``app.desk``: the :class:`~drp_tui.ui.desk.Desk` (signed-in user, service calls).
- ``app.open_dispute(id)``, ``app.open_raise(child_id)``, ``app.open_history(dispute_id=, child_id=)``,
  ``app.open_compliment(child_id)``: push those screens (a placeholder if not built yet).
- ``app.data_changed()``: call after this session wrote something; every screen
  (in every mode) that defines ``refresh_data()`` is asked to reload. Also done
  when another session commits (``PRAGMA data_version`` watch).
- Screens may define ``clock_tick()``: called every 30 s (and by ``app.tick()``) to
  recolour from the clock without a query.
- Screens may define ``unsaved_draft() -> dict | None`` (and a ``dispute_id``
  attribute): when someone else signs in at the idle lock, or on sign-out, the
  text is saved as a Draft for its owner before the screens are discarded.
- ``app.plain``: plain mode for screen readers (``--plain`` / config ``plain``; ui/plain.py).
- ``app.unread``: the signed-in person's unread inbox count (None = not known yet);
  ``app.drafts``: how many drafts they have (``app.refresh_drafts()`` re-reads it; F6 lists them).
- Quitting (ctrl+q, the palette's Quit) asks when forms hold unsaved text; SIGHUP and SIGTERM
  keep it as drafts and exit cleanly (``SessionMixin``).
- Every non-modal screen gets the :class:`DeskHeader` (compose your own to place it;
  set ``DESK_HEADER = False`` on a screen class to opt out).
- Modes ``work`` (H or F7, home: what needs me now, the first screen after sign-in), ``caseload`` (F2 or L),
  ``children`` (F3 or C), ``inbox`` (F4 or I), ``reports`` (F5 or R, oversight/admin only), ``admin``
  (F8 or M, administrator only); ``gate`` holds the log-in and lock screens. ``q`` closes a screen like
  Escape, on another mode's first screen goes home, and at home quits.
- Also callable: ``app.lock()``, ``app.refresh_unread()``, ``app.signed_in_and_open``,
  ``app.is_oversight``; for tests (what the timers call): ``app.check_idle_lock()``,
  ``await app.poll_now()``, ``app.tick()``, ``app.remind_now()``.
  (Textual's own ``App.check_idle`` is a message-pump internal, hence the name.)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from drp_tui import crash
from drp_tui.bootstrap import Setup
from drp_tui.domain.model import Role
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import Clock, format_london
from drp_tui.services.context import Ctx
from drp_tui.services.errors import Abandoned
from drp_tui.ui.commands import DeskCommands, ScreenCommands
from drp_tui.ui.desk import Desk
from drp_tui.ui.keygate import OrderedKeys
from drp_tui.ui.keys import APP_BINDINGS, DESK_MODES, HOME_MODE, binding_ids
from drp_tui.ui.plain import PLAIN_CLASS, plain_text
from drp_tui.ui.live import POLL_SECONDS, REMIND_SECONDS, TICK_SECONDS, DataWatch, LiveMixin
from drp_tui.ui.screens import CASELOAD, HELP, LOCK, LOGIN, WORK, is_screen
from drp_tui.ui.session import SessionMixin, kept_of
from drp_tui.ui.theme import (ANSI_THEME, initial_theme, keep_desk_themes, readable_variables,
                             theme_variable_defaults)
from drp_tui.ui.widgets.header import DeskHeader

OVERSIGHT_MODES = {"reports"}  # only for the service manager (and admin)
ADMIN_MODES = {"admin"}  # only for an administrator
GATED = {"mode", "lock", "sign_out", "command_palette", "go_back", "back_or_quit", "drafts", "find"}  # only while signed in and unlocked


def build(module: str, cls: str, title: str, *args: Any, **kwargs: Any) -> Screen[Any]:
    """Import a screen on first use; a placeholder if its module is not there yet."""
    try:
        found = getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        found = None
    except AttributeError:
        found = None
    if found is None:
        from drp_tui.ui.screens.help import PlaceholderScreen

        return with_current_css(PlaceholderScreen(title))
    return with_current_css(found(*args, **kwargs))


def with_current_css(screen: Screen[Any]) -> Screen[Any]:
    """A new mode's screen, marked as styled with the app's current CSS when it is current.

    Textual re-parses every stylesheet (tens of ms) when a mode's first screen is made and again
    when it is switched to, only because a new screen's CSS count (-1) is not the app's. A new
    screen is styled from the stylesheet as it is registered, so when nothing has changed since
    the last parse (no theme or variable change pending) the re-parse gives the same styles."""
    app = getattr(screen, "app", None) if _active_app_known() else None
    if isinstance(app, DrpApp) and app.css_current:
        screen._css_update_count = app._css_update_count
    return screen


def _active_app_known() -> bool:
    from textual._context import active_app

    return active_app.get(None) is not None


def _work() -> Screen[Any]:
    return build(*WORK, "My work")


def _caseload() -> Screen[Any]:
    return build(*CASELOAD, "Caseload")


def _children() -> Screen[Any]:
    return build("drp_tui.ui.screens.children", "ChildrenScreen", "Children")


def _inbox() -> Screen[Any]:
    return build("drp_tui.ui.screens.inbox", "InboxScreen", "Inbox")


def _reports() -> Screen[Any]:
    return build("drp_tui.ui.screens.reports", "ReportsScreen", "Reports")


def _admin() -> Screen[Any]:
    return build("drp_tui.ui.screens.admin", "AdminScreen", "Administration")


class GateScreen(Screen[None]):
    """The empty base under the log-in and lock screens."""

    DESK_HEADER = False


def _gate() -> Screen[Any]:
    return with_current_css(GateScreen())


PLAIN_CSS = Path(__file__).parent / "tcss" / "plain.tcss"


class DrpApp(OrderedKeys, SessionMixin, LiveMixin, App[int]):
    TITLE = "drp"
    CSS_PATH = "tcss/app.tcss"
    BINDINGS = APP_BINDINGS
    # Only the desk's own commands: none of Textual's system commands (a Screenshot that writes the
    # caseload to ~/Downloads, a list of themes, a second Quit). DeskCommands has the one Quit.
    COMMANDS = {DeskCommands, ScreenCommands}
    DEFAULT_MODE = "gate"
    MODES = {"gate": _gate, HOME_MODE: _work, "caseload": _caseload, "children": _children,
             "inbox": _inbox, "reports": _reports, "admin": _admin}
    ANSI_THEME = ANSI_THEME

    unread: reactive[int | None] = reactive(None)
    drafts: reactive[int | None] = reactive(None)  # the signed-in person's drafts (None = not known yet)
    minute: reactive[str] = reactive("")
    session: reactive[int] = reactive(0)  # bumped on sign-in, lock, unlock, sign-out

    def __init__(self, setup: Setup, *, policy: Policy | None = None, sign_in_as: str | None = None,
                 clock: Clock | None = None, settle_heap: bool = False) -> None:
        # plain mode's rules are read only in plain mode (it is set once, at the start): a third of
        # the desk's own CSS, which every start parsed and matched against every widget
        super().__init__(css_path=[self.CSS_PATH, PLAIN_CSS] if setup.config.plain else None)
        keep_desk_themes(self)
        self.desk = Desk(setup, policy, clock)
        self.sign_in_as = sign_in_as
        self.locked = False
        self.last_input: datetime = self.desk.clock.now()
        self.data_watch = DataWatch()
        self._locked_ctx: Ctx | None = None
        self._mode_before_lock = self.home_mode
        self._colour_theme = "textual-dark"
        self._stale = False
        self._polling = False
        self.crash_message: str | None = None  # set when an unexpected error closed the desk
        self._signals_installed: list[tuple[int, Any]] = []
        self._ending = False
        self._asking_quit = False
        self.plain = setup.config.plain  # plain mode for screen readers (ui/plain.py)
        # The CSS count at the last full parse with the current variables: App.__init__ made the
        # stylesheet with the theme's variables (count 0), so it is current until a theme or the
        # terminal's colours change (each bumps the count); refresh_css records each full re-parse.
        self._css_parsed_at: int | None = self._css_update_count
        self._settle_heap = settle_heap  # the imports and the stylesheet live for the session (see settle_heap)
        self.settle_heap()

    # --- start and stop ----------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.plain:
            self.add_class(PLAIN_CLASS)
        self.apply_config_keys()
        self.theme = initial_theme(self)
        if self.theme != ANSI_THEME:
            self._colour_theme = self.theme
        self.minute = format_london(self.desk.clock.now())
        self.screen_change_signal.subscribe(self, self._add_header)
        self.set_interval(POLL_SECONDS, self._every_second)
        self.set_interval(TICK_SECONDS, self.tick)
        self.set_interval(REMIND_SECONDS, self.remind_now)
        self.install_signal_handlers()
        self.start_on_one_thread()
        if self.sign_in_as:
            self._demo_sign_in(self.sign_in_as)
        else:
            from drp_tui.ui.screens.login import LoginScreen  # (not when signed in by the OS login)

            self.push_screen(LoginScreen())

    def apply_config_keys(self) -> None:
        """The ``[keys]`` table of the config file: binding id -> keys (Textual's keymap).
        An id the desk does not have is named in a warning (the rest still apply)."""
        keymap = dict(self.desk.setup.config.keys)
        if not keymap:
            return
        unknown = sorted(set(keymap) - binding_ids())
        for key in unknown:
            del keymap[key]
        if keymap:
            self.set_keymap(keymap)
        if unknown:
            self.notify(f"[keys] in the config file: no key is called {', '.join(unknown)} "
                        "(see the key ids in docs/KEYS.md)", title="Config", severity="warning", markup=False)

    def exit(self, result: int | None = None, return_code: int = 0, message: Any | None = None) -> None:
        """End the desk; a background read still running (the caseload's count) is given up, so a
        person quitting does not wait for it."""
        self.desk.close()
        super().exit(result, return_code, message)

    def on_unmount(self) -> None:
        self.desk.close()
        self.start_work_done()
        self.remove_signal_handlers()
        self.data_watch.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "remind" and event.worker.is_finished:
            self.start_work_done()  # the start's last work has ended
        if event.state is WorkerState.ERROR and isinstance(event.worker.error, Abandoned):
            return  # given up as the desk closes: nothing to say
        if event.state is WorkerState.ERROR and event.worker.name != "data-watch":
            # A refusal's own message; anything else only a reference (its text may hold field values).
            text = crash.user_message(event.worker.error, where=f"worker {event.worker.name}",
                                      shared_group=self.desk.setup.config.shared_group)
            self.notify(text, title="Something went wrong", severity="error", markup=False)

    # --- an unexpected error: a reference on the terminal, details (no values) in a private log ---------------
    def _handle_exception(self, error: Exception) -> None:
        """Replaces Textual's: no traceback with locals (a child's name, DOB, dispute text) on the terminal."""
        reference = crash.record(error, where="desk", shared_group=self.desk.setup.config.shared_group)
        kept = self._keep_drafts_after_crash(reference)
        self._return_code = 1
        if self._exception is None:  # as Textual does: run_test re-raises it for the test
            self._exception = error
            self._exception_event.set()
        self.crash_message = crash.message(reference, kept_draft=kept)
        self._exit_renderables.append(Text(self.crash_message))
        self._close_messages_no_wait()

    def panic(self, *renderables: Any) -> None:
        """Textual's panic prints what it is given (an exception's rich rendering has locals): a reference only."""
        reference = crash.new_reference()
        self._exit_renderables.append(Text(crash.message(reference)))
        self._close_messages_no_wait()

    def _keep_drafts_after_crash(self, reference: str) -> bool:
        """Best effort: unsaved form text saved as drafts for its owner before the desk closes."""
        try:
            if not self.desk.signed_in:
                return False
            from drp_tui.services import drafts

            ctx = self.desk.ctx()
            kept = False
            for mode in DESK_MODES:
                for screen in list(self._screen_stacks.get(mode, [])):
                    draft = getattr(screen, "unsaved_draft", None)
                    payload = draft() if callable(draft) else None
                    if payload:
                        dispute_id = payload.get("dispute_id", getattr(screen, "dispute_id", None))
                        drafts.save_draft(ctx, dispute_id if isinstance(dispute_id, int) else None, dict(payload),
                                          f"kept when the desk stopped (ref {reference})")
                        kept = True
            return kept
        except Exception:  # noqa: BLE001 - never a second crash while reporting the first
            return False

    def _on_notify(self, event: Any) -> None:
        if self.locked:  # a toast may name a child: none reach the lock screen
            event.prevent_default()  # (Textual runs App._on_notify after this unless prevented)

    # --- nothing leaves the desk by the back door -----------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """None of Textual's: the palette's commands are DeskCommands and ScreenCommands."""
        return ()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Screenshots are off: an SVG of the desk would put children's names in a file."""

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        return None

    def save_screenshot(self, filename: str | None = None, path: str | None = None,
                        time_format: str | None = None) -> str:
        """Writes nothing (also for ``TEXTUAL_SCREENSHOT``); returns an empty name."""
        return ""

    def action_change_theme(self) -> None:
        """Textual's theme list is not offered: ctrl+t switches between the desk's two themes."""
        self.action_toggle_theme()

    def search_themes(self) -> None:
        self.action_toggle_theme()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def get_key_display(self, binding: Binding) -> str:
        """Textual's key names; in plain mode a glyph (⏎, ↑) is said in words (Enter, Up)."""
        shown = super().get_key_display(binding)
        return plain_text(shown) if self.plain else shown

    def refresh_css(self, animate: bool = True) -> None:
        super().refresh_css(animate)
        self._css_parsed_at = self._css_update_count

    @property
    def css_current(self) -> bool:
        """Has the stylesheet been parsed with the current variables since the last change
        (a theme set, a terminal's colours)? Then a new screen needs no re-parse."""
        return self._css_parsed_at is not None and self._css_parsed_at == self._css_update_count

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables, every text colour lifted to 4.5:1 on its backgrounds (theme.py)."""
        variables = readable_variables(super().get_css_variables())
        self.theme_variables = variables
        return variables

    # --- chrome -------------------------------------------------------------------------------------
    def _add_header(self, screen: Screen[Any]) -> None:
        if isinstance(screen, ModalScreen) or not getattr(screen, "DESK_HEADER", True):
            return
        if not screen.query(DeskHeader):
            screen.mount(DeskHeader())

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self.is_headless and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # stable screenshots and snapshots

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in GATED and not self.signed_in_and_open:
            return False
        if action == "go_back":
            return len(self.screen_stack) > 1
        if action == "mode" and parameters and parameters[0] in OVERSIGHT_MODES:
            return self.is_oversight
        if action == "mode" and parameters and parameters[0] in ADMIN_MODES:
            return self.desk.role is Role.ADMIN
        return True

    @property
    def home_mode(self) -> str:
        """The first screen after sign-in (config ``home``): my work, unless set to the caseload."""
        home = self.desk.setup.config.home
        return home if home in DESK_MODES else HOME_MODE

    @property
    def is_oversight(self) -> bool:
        return self.desk.role in (Role.OVERSIGHT, Role.ADMIN)

    # --- actions -------------------------------------------------------------------------------------
    def action_mode(self, mode: str) -> None:
        if mode in DESK_MODES and self.signed_in_and_open and (mode not in OVERSIGHT_MODES or self.is_oversight) \
                and (mode not in ADMIN_MODES or self.desk.role is Role.ADMIN):
            if mode == "caseload":
                self.home()
                return
            self.switch_mode(mode)

    def home(self) -> None:
        """The caseload key: always the caseload list, never the last dispute opened there.

        Screens opened over the list are closed; text typed in them is kept as drafts for the
        signed-in person (F6 offers it back), as at sign-out. A dialog open on top of the caseload
        is left alone (it is answered first); on the list itself nothing happens."""
        if self.current_mode != "caseload":
            self.switch_mode("caseload")
        stack = self._screen_stacks.get("caseload", [])
        if len(stack) <= 1 or isinstance(self.screen, ModalScreen):
            return
        kept: list[tuple[int | None, int | None, dict[str, object]]] = []
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            one = kept_of(self.screen)
            if one is not None:
                kept.append(one)
            self.pop_screen()
        if kept:
            self._save_drafts(self.desk.ctx(), kept, "kept when going back to the caseload")
            self.notify("Your unsaved text was kept as a draft (F6 lists your drafts).", title="Kept as a draft",
                        markup=False)

    def action_help(self) -> None:
        from drp_tui.ui.screens.help import HelpScreen  # (when first asked for: not at start)

        if not is_screen(self.screen, HELP):
            self.push_screen(HelpScreen(self.screen))

    def action_lock(self) -> None:
        self.lock("Desk locked (ctrl+l)")

    def action_find(self) -> None:
        from drp_tui.ui.screens.find import FindScreen

        if self.signed_in_and_open and not isinstance(self.screen, FindScreen):
            self.push_screen(FindScreen())

    def action_drafts(self) -> None:
        from drp_tui.ui.screens.drafts import DraftsScreen

        if self.signed_in_and_open and not isinstance(self.screen, DraftsScreen):
            self.push_screen(DraftsScreen())

    def action_go_back(self) -> None:
        if len(self.screen_stack) > 1 and not (is_screen(self.screen, LOGIN) or is_screen(self.screen, LOCK)):
            self.pop_screen()

    async def action_back_or_quit(self) -> None:
        """``q``: what Escape does on this screen (close it, cancel the dialog); on the first screen
        of another mode, home; at home (my work), quit, asking about unsaved text like ctrl+q.
        A text field with focus types the letter instead (it never reaches here)."""
        screen = self.screen
        if len(self.screen_stack) > 1:
            escape = screen._bindings.key_to_bindings.get("escape", [])
            if escape:
                await self.run_action(escape[0].action, screen)
            else:
                self.action_go_back()
            return
        if self.current_mode != self.home_mode:
            self.action_mode(self.home_mode)
            return
        await self.action_quit()

    def action_toggle_theme(self) -> None:
        if self.theme == ANSI_THEME:
            self.theme = self._colour_theme
        else:
            self._colour_theme = self.theme
            self.theme = ANSI_THEME

    # --- the contract: push the other screens --------------------------------------------------------------
    def open_dispute(self, dispute_id: int) -> None:
        self.push_screen(build("drp_tui.ui.screens.dispute", "DisputeScreen", "Dispute form", dispute_id))

    def open_raise(self, child_id: int) -> None:
        self.push_screen(build("drp_tui.ui.screens.raise_form", "RaiseScreen", "Raise a dispute", child_id))

    def open_history(self, dispute_id: int | None = None, child_id: int | None = None) -> None:
        self.push_screen(build("drp_tui.ui.screens.history", "HistoryScreen", "History",
                               dispute_id=dispute_id, child_id=child_id))

    def open_compliment(self, child_id: int) -> None:
        self.push_screen(build("drp_tui.ui.screens.compliment", "ComplimentScreen", "Compliment", child_id))

