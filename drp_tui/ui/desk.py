"""The UI's one door into the engine: who is signed in, and calls into services.

Screens never import peewee models; they call these methods (from workers) and
get frozen domain objects back. Every method here may touch the database, so
call it from a thread worker (``@work(thread=True)``), never from an event handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from drp_tui.bootstrap import Setup
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import Deadline, deadlines, due_state, worst_state
from drp_tui.domain.model import DisputeRow, DueState, Role, StaffView
from drp_tui.domain.policy import Policy
from drp_tui.domain.reading import CaseloadQuery
from drp_tui.domain.timeutil import Clock, SystemClock
from drp_tui.services import auth, connection, reads
from drp_tui.services.context import Ctx, PinnedTo

if TYPE_CHECKING:  # (the moves, a dispute's view and My work: loaded when first used, not at start)
    from drp_tui.domain.moves import Actor, Move, Verdict
    from drp_tui.domain.views import ComplimentTarget, DisputeView, Found
    from drp_tui.services import export, work

T = TypeVar("T")


class Desk:
    def __init__(self, setup: Setup, policy: Policy | None = None, clock: Clock | None = None) -> None:
        self.setup = setup
        self.policy: Policy = policy or setup.policy
        self.calendar: WorkingCalendar = setup.calendar
        self.clock: Clock = clock or SystemClock()
        self.closing = threading.Event()  # set by close(): background reads give up
        self.user: StaffView | None = None
        self.idle_lock_minutes = setup.config.idle_lock_minutes
        self.due_soon_days = setup.config.due_soon_working_days
        self.throttle = auth.Throttle()  # this session's failed sign-ins (the progressive delay)
        self.notices: list[str] = []  # to show once signed in (failed attempts since the last sign-in)
        self.needs_pin = False  # auth = "os": signed in but no unlock PIN set yet
        self.needs_password = False  # signed in with a one-time set-up code: no password chosen yet

    # --- who ------------------------------------------------------------------
    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def ctx(self) -> Ctx:
        if self.user is None:
            raise RuntimeError("nobody is signed in")
        return Ctx(self.user.id, self.policy, self.calendar, self.clock, self.due_soon_days)

    def sign_in(self, username: str, password: str) -> StaffView:
        done = auth.sign_in(username, password, self.clock.now(), self.throttle)
        self.needs_password = done.needs_password
        return self._in(done)

    def sign_in_os(self) -> StaffView:
        done = auth.sign_in_os(None, self.clock.now())  # the real uid, never $USER
        self.needs_pin = done.needs_pin
        return self._in(done)

    def sign_in_demo(self, username: str) -> StaffView:
        self.user = auth.sign_in_without_password(username, self.clock.now())
        return self.user

    def unlock(self, locked_id: int, username: str, password: str) -> StaffView:
        """At the lock screen (password auth): the same person again, or someone else."""
        done = auth.sign_in(username, password, self.clock.now(), self.throttle, unlocking_id=locked_id)
        return self._in(done)

    def unlock_pin(self, locked_id: int, pin: str) -> StaffView:
        """At the lock screen (``auth = "os"``): only the owner, with their unlock PIN."""
        return self._in(auth.unlock_with_pin(locked_id, pin, self.clock.now(), self.throttle))

    def set_unlock_pin(self, pin: str, confirm: str) -> None:
        if self.user is None:
            raise RuntimeError("nobody is signed in")
        auth.set_unlock_pin(self.user.id, pin, self.clock.now(), confirm)
        self.needs_pin = False

    def choose_password(self, password: str, confirm: str) -> None:
        """After a sign-in with a one-time set-up code: the person's own password."""
        if self.user is None:
            raise RuntimeError("nobody is signed in")
        auth.choose_password(self.user.id, password, self.clock.now(), confirm)
        self.needs_password = False

    def _in(self, done: auth.SignedIn) -> StaffView:
        self.user = done.user
        if done.notice:
            self.notices.append(done.notice)
        return done.user

    def take_notices(self) -> list[str]:
        """What the person must be told once signed in (failed attempts), then forgotten."""
        out, self.notices = self.notices, []
        return out

    def record(self, staff_id: int, kind: str, summary: str) -> None:
        """A session event (locked, signed out) in the audit trail."""
        auth.record(staff_id, kind, summary, self.clock.now())

    def sign_out(self) -> None:
        self.user = None
        self.needs_pin = False
        self.needs_password = False

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    # --- calls ----------------------------------------------------------------
    def call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one service function as the signed-in person."""
        # a storage fault from a write outside @service (sign-in counts, reminders): StorageError
        return connection.storage_errors(service, self.ctx(), *args, **kwargs)

    def save_draft(self, dispute_id: int | None, payload: dict[str, object], reason: str) -> int:
        """Keep ``payload`` (a form's typed fields) privately for the signed-in person; the draft's id.

        Nothing anyone else sees changes: a draft is not a save of the dispute."""
        from drp_tui.services import drafts  # (only when a draft is kept: not at start)

        return self.call(drafts.save_draft, dispute_id, payload, reason)

    def can_see(self, dispute_id: int) -> bool:
        """May the signed-in person see this dispute? (False when nobody is signed in.)"""
        return self.user is not None and self.call(reads.may_see, dispute_id)

    def dispute(self, dispute_id: int) -> DisputeView:
        """A dispute the signed-in person may see (PermissionDenied otherwise)."""
        return self.call(reads.dispute, dispute_id)

    def staff_names(self, staff_ids: Iterable[int]) -> dict[int, str]:
        """Names of these staff, by id (those not found are left out)."""
        return self.call(reads.staff_names, staff_ids)

    # --- my work (home) -------------------------------------------------------------
    def my_work(self) -> list[work.WorkItem]:
        """What needs the signed-in person now, worst first (judged by the moves and the clocks)."""
        from drp_tui.services import work

        return self.call(work.my_work)

    # --- the caseload ---------------------------------------------------------------
    def caseload_count(self, q: CaseloadQuery, *, unwanted: Callable[[], bool] | None = None) -> int:
        """How many disputes the caseload view ``q`` holds for the signed-in person. Given up
        (``Abandoned``) once the desk is closing: a person quitting does not wait for a count;
        and once ``unwanted()`` is true (another key moved on: the next key's page does not share
        the machine with a count no one will see): at once, with ``stop_unwanted_reads``."""
        with self.given_up_at_close(also=unwanted, reads_only=True):
            return self.call(reads.caseload_count, q)

    def stop_unwanted_reads(self) -> None:
        """Counts running on other threads whose ``unwanted()`` is now true (or all, once the desk
        is closing) stop now, not at their next check: the key that gave them up does not share
        the machine with them."""
        connection.stop_given_up_reads()

    def given_up_at_close(self, *, also: Callable[[], bool] | None = None,
                          reads_only: bool = False) -> AbstractContextManager[None]:
        """A block of background work whose reads stop (``Abandoned``) once the desk closes
        (or ``also()`` is true); a write transaction in it still runs to its commit.
        ``reads_only``: a block that never writes, stopped at once by ``stop_unwanted_reads``."""
        return connection.abandoned_when(self.closing, also, reads_only=reads_only)

    def close(self) -> None:
        """The desk is ending: background reads still running (the caseload's count, reminders) stop."""
        self.closing.set()
        connection.stop_given_up_reads()

    def caseload_page(self, q: CaseloadQuery, offset: int, limit: int, *, total: int | None = None) -> list[DisputeRow]:
        """One page of the caseload view ``q`` (rows ``offset`` .. ``offset + limit``), stages labelled;
        ``total``, the view's size when known, lets a page near the end be read from the end."""
        return self.call(reads.caseload_page, q, offset, limit, self.stage_labels(), total=total)

    def find(self, text: str) -> Found:
        """Children and disputes matching ``text`` that the signed-in person may see (the finder)."""
        return self.call(reads.find, text)

    def caseload_teams(self) -> tuple[int, ...]:
        """The teams of the caseload's "team" view for the signed-in person."""
        return self.call(reads.team_view_ids)

    def compliment_target(self, child_id: int) -> ComplimentTarget:
        """A child the signed-in person may see and who a compliment about them goes to."""
        return self.call(reads.compliment_target, child_id)

    def record_read(self, view: str, *, dispute_id: int | None = None, child_id: int | None = None,
                    what: str = "") -> None:
        """Record that the signed-in person opened ``view`` (one insert in the audit trail).

        Call it once per opening (not on each refresh: a read is a commit, which makes
        every open desk refresh), from a worker, after the visibility check."""
        from drp_tui.services import access

        self.call(access.record_read, view, dispute_id=dispute_id, child_id=child_id, what=what)

    # --- the record written out (audited) --------------------------------------------
    def export_dir(self) -> Path:
        """Where the desk writes evidence bundles: ``exports`` in the user data folder."""
        from drp_tui.config import user_data_dir

        return user_data_dir() / "exports"

    def export_bundle(self, out: Path | None = None, *, dispute_id: int | None = None, child_id: int | None = None,
                      redact: bool = False) -> tuple[Path, Path]:
        """Write the evidence bundle of a dispute (or of a child's disputes) as PDF and HTML into
        ``out`` (a folder, or a file name; default ``export_dir()``): (pdf, html). The read rule
        applies and the export is recorded (a refusal too)."""
        from drp_tui.services import bundle_files, export  # (only when a bundle is written: not at start)

        if dispute_id is not None:
            bundle = self.call(export.export_dispute, dispute_id, redact)
        elif child_id is not None:
            bundle = self.call(export.export_child, child_id, redact)
        else:
            raise ValueError("give a dispute_id or a child_id")
        return bundle_files.write_bundle(bundle, out if out is not None else self.export_dir())

    def case_notes(self, dispute_id: int, stage_id: int | None = None, *, redact: bool = False) -> tuple[export.CaseNote, ...]:
        """The case-note text of each step of a dispute (of one stage record with ``stage_id``); recorded."""
        from drp_tui.services import export

        return self.call(export.case_notes, dispute_id, stage_id, redact)

    def actor(self) -> Actor:
        """The signed-in person as the moves see them (reads the levels they hold)."""
        return self.call(reads.me)

    def moves(self, view: DisputeView, actor: Actor | None = None, policy: Policy | None = None) -> dict[Move, Verdict]:
        """Every move on ``view`` for the signed-in person now, allowed or not and why
        (the rule the services refuse with). Pass ``actor`` (from ``actor()``) to skip the read."""
        from drp_tui.domain.moves import moves

        who = actor if actor is not None else self.actor()
        return moves(view, policy or self.policy_of(view), who, self.clock.now(), self.calendar)

    def clocks(self, view: DisputeView) -> list[Deadline]:
        policy = self.policy_of(view)
        return deadlines(view, policy, self.calendar, self.clock.now(), self.due_soon_days)

    def worst(self, view: DisputeView) -> DueState:
        return worst_state(self.clocks(view))

    def row_state(self, row: DisputeRow) -> DueState:
        """Colour of a caseload row from its stored next deadline (cheap, no query)."""
        if row.next_due_at is None:
            return DueState.DONE if not row.status.is_open else DueState.NONE
        return due_state(row.next_due_at, self.clock.now(), self.calendar, self.policy_of(row), self.due_soon_days,
                         paused=row.paused)

    def policy_for(self, key: str) -> Policy:
        return self.ctx().policy_for(key) if self.user else self.policy

    def policy_of(self, view: PinnedTo) -> Policy:
        """The procedure ``view`` (a dispute or a caseload row) is pinned to."""
        return self.ctx().policy_of(view) if self.user else self.policy

    def stage_labels(self) -> dict[str, str]:
        return {s.key: s.label for s in self.policy.stages}
