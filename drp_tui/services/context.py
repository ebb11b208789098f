"""Who is acting, under which procedure, on which calendar, at what time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import Clock, london_date


class PinnedTo(Protocol):
    """Anything that says which procedure a dispute runs under."""

    @property
    def policy_key(self) -> str: ...


@dataclass
class Ctx:
    """Passed to every service function. ``actor_id`` = the signed-in staff id."""

    actor_id: int
    policy: Policy  # the profile in force for new disputes
    calendar: WorkingCalendar
    clock: Clock
    due_soon_days: int | None = None
    _policies: dict[str, Policy] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return london_date(self.clock.now())

    def policy_for(self, key: str) -> Policy:
        """The profile a dispute was raised under (the one in force, or a built-in)."""
        if key == self.policy.key:
            return self.policy
        if key not in self._policies:
            self._policies[key] = load_builtin(key)
        return self._policies[key]

    def policy_of(self, dispute: PinnedTo) -> Policy:
        """The procedure a dispute is pinned to (a DisputeView or a stored dispute row)."""
        return self.policy_for(dispute.policy_key)

    def as_actor(self, actor_id: int) -> Ctx:
        return Ctx(actor_id, self.policy, self.calendar, self.clock, self.due_soon_days, self._policies)
