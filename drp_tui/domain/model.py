"""Domain objects handed from the store to services and the UI: frozen, no ORM.

One dispute's full view, a child's, the inbox's and the history's are in ``domain.views``
(not loaded at the desk's start)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Role(str, Enum):
    CHAIR = "chair"  # IRO / CP Chair
    RESPONDER = "responder"  # a manager at some level
    OVERSIGHT = "oversight"  # IRO service manager
    ADMIN = "admin"


class Status(str, Enum):
    DRAFT = "draft"
    SENT = "sent"  # awaiting the responder
    RESPONDED = "responded"  # response received, chair to decide
    NEGOTIATING = "negotiating"  # further-negotiation window agreed
    RESOLVED = "resolved"
    CAFCASS = "cafcass"  # referred to Cafcass
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CAFCASS, Status.WITHDRAWN)

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.DRAFT: "draft",
    Status.SENT: "awaiting response",
    Status.RESPONDED: "response received",
    Status.NEGOTIATING: "negotiating",
    Status.RESOLVED: "resolved",
    Status.CAFCASS: "referred to Cafcass",
    Status.WITHDRAWN: "withdrawn",
}


class Decision(str, Enum):
    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"


class DueState(str, Enum):
    """Deadline states, worst first (the order matters: see ``worst``)."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    PAUSED = "paused"
    LATE = "late"  # done, but after its window closed
    DONE = "done"
    NONE = "none"  # nothing is running

    @property
    def is_done(self) -> bool:
        """Finished (on time or late): no longer running."""
        return self in (DueState.DONE, DueState.LATE)

    @property
    def rank(self) -> int:
        return _STATE_ORDER.index(self)

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def symbol(self) -> str:
        return _STATE_SYMBOLS[self]


_STATE_ORDER = list(DueState)
_STATE_LABELS = {
    DueState.OVERDUE: "OVERDUE",
    DueState.DUE_TODAY: "due today",
    DueState.DUE_SOON: "due soon",
    DueState.ON_TRACK: "on track",
    DueState.PAUSED: "paused",
    DueState.LATE: "late",
    DueState.DONE: "done",
    DueState.NONE: "-",
}
_STATE_SYMBOLS = {
    DueState.OVERDUE: "!!",
    DueState.DUE_TODAY: "! ",
    DueState.DUE_SOON: "> ",
    DueState.ON_TRACK: "  ",
    DueState.PAUSED: "||",
    DueState.LATE: "L ",
    DueState.DONE: "ok",
    DueState.NONE: "  ",
}


def worst(states: Sequence[DueState]) -> DueState:
    return min(states, key=lambda s: s.rank) if states else DueState.NONE


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    name: str
    role: Role
    team_id: int | None
    title: str = ""  # e.g. "IRO", "Team Manager"
    active: bool = True


@dataclass(frozen=True)
class DisputeRow:
    """A caseload row: just enough to show and colour one line."""

    id: int
    reference: str
    child_name: str
    case_number: str
    category: str
    stage_key: str
    stage_label: str
    status: Status
    with_whom: str
    sent_at: datetime | None
    next_due_at: datetime | None
    next_due_kind: str
    paused: bool
    raised_by_id: int
    responder_id: int | None
    policy_key: str = ""  # the procedure the dispute is pinned to (with policy_digest)
    policy_digest: str = ""  # the procedure it is pinned to: where stage_label comes from
    stage_short: str = ""  # the stage's short label (narrow screens); "" = stage_label
    short_reference: str = ""  # the reference as narrow screens show it; "" = reference
