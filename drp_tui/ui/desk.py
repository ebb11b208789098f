"""The UI's one door into the engine: who is signed in, and calls into services.

Screens never import peewee models; they call these methods (from workers) and
get frozen domain objects back. Every method here may touch the database, so
call it from a thread worker (``@work(thread=True)``), never from an event handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from drp_tui.bootstrap import Setup
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import Deadline, deadlines, state_at, worst_state
from drp_tui.domain.model import DisputeRow, DisputeView, DueState, Role, StaffView
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import Clock, SystemClock
from drp_tui.services import auth, drafts
from drp_tui.services.context import Ctx
from drp_tui.services.errors import PermissionDenied
from drp_tui.store import queries, visibility

T = TypeVar("T")


@dataclass(frozen=True)
class RowState:
    row: DisputeRow
    state: DueState


class Desk:
    def __init__(self, setup: Setup, policy: Policy | None = None, clock: Clock | None = None) -> None:
        self.setup = setup
        self.policy: Policy = policy or setup.policy
        self.calendar: WorkingCalendar = setup.calendar
        self.clock: Clock = clock or SystemClock()
        self.user: StaffView | None = None
        self.idle_lock_minutes = setup.config.idle_lock_minutes
        self.due_soon_days = setup.config.due_soon_working_days

    # --- who ------------------------------------------------------------------
    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def ctx(self) -> Ctx:
        if self.user is None:
            raise RuntimeError("nobody is signed in")
        return Ctx(self.user.id, self.policy, self.calendar, self.clock, self.due_soon_days)

    def sign_in(self, username: str, password: str) -> StaffView:
        self.user = auth.authenticate(username, password, self.clock.now())
        return self.user

    def sign_in_os(self) -> StaffView:
        self.user = auth.authenticate_os(None, self.clock.now())  # the real uid, never $USER
        return self.user

    def sign_in_demo(self, username: str) -> StaffView:
        self.user = auth.sign_in_without_password(username, self.clock.now())
        return self.user

    def sign_out(self) -> None:
        self.user = None

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    # --- calls ----------------------------------------------------------------
    def call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one service function as the signed-in person."""
        return service(self.ctx(), *args, **kwargs)

    def save_draft(self, dispute_id: int | None, payload: dict[str, object], reason: str) -> int:
        """Keep ``payload`` (a form's typed fields) privately for the signed-in person; the draft's id.

        Nothing anyone else sees changes: a draft is not a save of the dispute."""
        return self.call(drafts.save_draft, dispute_id, payload, reason)

    def can_see(self, dispute_id: int) -> bool:
        return self.user is not None and visibility.can_see(self.user.id, dispute_id)

    def dispute(self, dispute_id: int) -> DisputeView:
        """A dispute the signed-in person may see (PermissionDenied otherwise)."""
        if not self.can_see(dispute_id):
            raise PermissionDenied("That dispute is not one you are involved in, so it cannot be shown.")
        return queries.get_dispute(dispute_id)

    def clocks(self, view: DisputeView) -> list[Deadline]:
        policy = self.policy_for(view.policy_key)
        return deadlines(view, policy, self.calendar, self.clock.now(), self.due_soon_days)

    def worst(self, view: DisputeView) -> DueState:
        return worst_state(self.clocks(view))

    def row_state(self, row: DisputeRow) -> DueState:
        """Colour of a caseload row from its stored next deadline (cheap, no query)."""
        if row.next_due_at is None:
            return DueState.DONE if not row.status.is_open else DueState.NONE
        return state_at(row.next_due_at, self.clock.now(), self.calendar,
                        self.due_soon_days or self.policy.rules.due_soon_working_days, paused=row.paused)

    def policy_for(self, key: str) -> Policy:
        return self.ctx().policy_for(key) if self.user else self.policy

    def stage_labels(self) -> dict[str, str]:
        return {s.key: s.label for s in self.policy.stages}
