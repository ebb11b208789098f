"""Who is acting, under which procedure, on which calendar, at what time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import PolicyError, load_builtin, policy_from_text
from drp_tui.domain.timeutil import Clock, london_date
from drp_tui.store import models as m


class PinnedTo(Protocol):
    """Anything that says which procedure a dispute runs under."""

    @property
    def policy_key(self) -> str: ...

    @property
    def policy_digest(self) -> str: ...


# Pinned profiles read back from the store, by digest. A snapshot's content never
# changes (the digest is its SHA-256), so this process may keep them for good.
_PINNED: dict[str, Policy] = {}


def remember(policy: Policy) -> None:
    """Keep ``policy`` as the content of its digest (it is: the digest is computed from it)."""
    _PINNED.setdefault(policy.digest, policy)


def pinned_policy(digest: str) -> Policy | None:
    """The profile content stored under ``digest`` (None if there is no such snapshot)."""
    found = _PINNED.get(digest)
    if found is not None:
        return found
    row = m.PolicySnapshot.get_or_none(m.PolicySnapshot.digest == digest)
    if row is None:
        return None
    try:
        policy = policy_from_text(row.content, f"pinned profile {row.key} v{row.version} ({digest[:12]})")
    except PolicyError:
        return None  # 'drp check' reports a snapshot that no longer loads
    _PINNED[digest] = policy
    return policy


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
            try:
                self._policies[key] = load_builtin(key)
            except PolicyError:
                # Only a dispute from before pinning whose profile is gone entirely: it runs
                # under the one in force rather than break ('drp check' names it a problem).
                return self.policy
        return self._policies[key]

    def policy_of(self, dispute: PinnedTo) -> Policy:
        """The procedure a dispute is pinned to (a DisputeView, a caseload row, report facts or
        a stored dispute row): the exact content it was raised under, whatever the
        installation's profile says now. A dispute not pinned yet (written before pinning
        and not opened since under a config) resolves by its key, as before."""
        digest = dispute.policy_digest
        if digest:
            if digest == self.policy.digest:
                return self.policy
            found = pinned_policy(digest)
            if found is not None:
                return found
        return self.policy_for(dispute.policy_key)

    def as_actor(self, actor_id: int) -> Ctx:
        return Ctx(actor_id, self.policy, self.calendar, self.clock, self.due_soon_days, self._policies)
