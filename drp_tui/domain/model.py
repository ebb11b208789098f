"""Domain objects handed from the store to services and the UI: frozen, no ORM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
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
class ChildView:
    id: int
    case_number: str
    name: str
    legal_status: str  # CLA / CP / CIN
    team_id: int
    team_name: str
    chair_id: int | None
    social_worker_id: int | None
    social_worker_name: str
    sibling_group_id: int | None
    date_of_birth: date | None = None
    # A family across teams (seed 001:49): the team with main case responsibility. A formal
    # challenge goes to its management chain; the child's own team, if another, is copied.
    lead_team_id: int | None = None

    @property
    def chain_team_id(self) -> int:
        """The team whose management chain answers for this child: the lead team, else its own."""
        return self.lead_team_id or self.team_id


@dataclass(frozen=True)
class ActionView:
    id: int
    description: str
    owner: str
    due: date
    done_on: date | None


@dataclass(frozen=True)
class ResponseView:
    """One responder's own response to a stage answered jointly (empty until they respond)."""

    responder_id: int
    responder_name: str
    response: str
    response_at: datetime | None
    recorded_by_id: int | None
    on_behalf: bool


@dataclass(frozen=True)
class HolderView:
    """Who holds a level in a team (the management chain), as a stage's responder may be chosen."""

    level: str
    team_id: int
    staff_id: int
    name: str


@dataclass(frozen=True)
class StageView:
    id: int
    stage_key: str
    seq: int
    sent_at: datetime | None
    responder_id: int | None
    responder_name: str
    inform_ids: tuple[int, ...]
    due_at: datetime | None
    due_date: date | None  # the London date of the due day (for working-day timescales)
    chair_concern: str
    chair_impact: str
    chair_wanted: str
    chair_timescales: str
    response: str
    response_at: datetime | None
    response_by_id: int | None
    response_on_behalf: bool
    decision: Decision | None
    decision_comment: str
    decision_at: datetime | None
    extension_until: datetime | None
    extension_reason: str
    negotiation_until: datetime | None
    negotiation_note: str
    approval_by_id: int | None
    approval_at: datetime | None
    actions: tuple[ActionView, ...] = ()
    responses: tuple[ResponseView, ...] = ()  # a stage answered jointly: each responder's own
    started_at: datetime | None = None  # when the dispute reached this stage (None: recorded before it was kept)

    @property
    def pending(self) -> tuple[ResponseView, ...]:
        """The joint responders still to respond."""
        return tuple(r for r in self.responses if r.response_at is None)


@dataclass(frozen=True)
class ApprovalView:
    """One decision on a gate of a stage record (see ``Policy.entry_gates``): approved,
    declined (with the reason), or a party's "satisfied" before a stage closes."""

    id: int
    stage_id: int  # the StageView.id it belongs to
    gate: str  # "on:level" (e.g. "bypass:qa_manager") or "close:party"
    decision: str  # approved | declined | satisfied
    reason: str
    by_id: int
    by_name: str
    at: datetime


@dataclass(frozen=True)
class ConversationView:
    id: int
    held_at: datetime
    with_whom: str
    how: str
    agreed: str
    timescale: str


@dataclass(frozen=True)
class MonitoringView:
    id: int
    due_on: date
    held_on: date | None
    outcome: str


@dataclass(frozen=True)
class MeetingView:
    id: int
    stage_key: str
    held_on: date
    attendees: str
    outcome: str
    recorded_by_name: str = ""


@dataclass(frozen=True)
class StepView:
    """A step taken alongside the stages: legal advice sought, Cafcass consulted or referred to,
    or a discussion with a holder of a level the procedure asks the chair to talk to first."""

    id: int
    kind: str  # legal_advice | cafcass_discussion | cafcass_referral | discussion
    at: datetime  # when it was recorded
    note: str  # what happened (a discussion: what was said)
    by_id: int
    by_name: str
    told: str = ""  # who was told first (as the chair wrote it)
    before: str = ""  # a discussion: the step it comes before (cafcass_referral | legal_advice)
    level: str = ""  # a discussion: the level (Level.key) of the person spoken to
    with_id: int | None = None  # a discussion: the person spoken to
    with_name: str = ""
    held_at: datetime | None = None  # a discussion: when it was held


@dataclass(frozen=True)
class DisputeView:
    """One dispute with every stage reached, as the services and UI see it."""

    id: int
    reference: str
    child: ChildView
    raised_by_id: int
    raised_by_name: str
    issue_arose: date
    raised_on: date
    category: str
    policy_key: str
    policy_version: int
    start_stage: str
    current_stage: str
    status: Status
    immediate: bool
    link_group: str | None
    concern: str
    impact: str
    wanted: str
    timescales: str
    child_wishes: str
    against_wishes: bool
    child_informed_on: date | None
    child_informed_how: str
    outcome: str
    created_at: datetime
    updated_at: datetime
    updated_by_name: str
    closed_at: datetime | None
    version: int
    raised_by_team_id: int | None = None  # the raising chair's own team (their service)
    stages: tuple[StageView, ...] = ()
    monitoring: tuple[MonitoringView, ...] = ()
    conversations: tuple[ConversationView, ...] = ()  # oldest first
    steps: tuple[StepView, ...] = ()  # alongside the stages, oldest first
    sibling_ids: tuple[int, ...] = field(default=())
    policy_digest: str = ""  # the exact profile content it is pinned to ("" = not pinned yet)
    facts: tuple[str, ...] = ()  # keys of the procedure's yes/no facts that hold
    meetings: tuple[MeetingView, ...] = ()  # meetings held at its stages, oldest first
    # Active holders of every level in the child's team and the raising chair's team
    # (who a stage may be sent to); the allocated social worker counts when active.
    holders: tuple[HolderView, ...] = ()
    social_worker_active: bool = False
    approvals: tuple[ApprovalView, ...] = ()  # decisions on gates, oldest first

    def gate_decisions(self, stage_id: int, gate: str) -> tuple[ApprovalView, ...]:
        return tuple(a for a in self.approvals if a.stage_id == stage_id and a.gate == gate)

    def gate_state(self, stage_id: int, gate: str) -> ApprovalView | None:
        """The latest approved/declined decision on ``gate`` of that stage record (None: none yet)."""
        got = [a for a in self.gate_decisions(stage_id, gate) if a.decision in ("approved", "declined")]
        return got[-1] if got else None

    @property
    def current(self) -> StageView | None:
        return self.stages[-1] if self.stages else None


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


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    text: str
    dispute_id: int | None
    reference: str
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor_name: str
    kind: str
    summary: str
    before: str
    after: str
    dispute_id: int | None
    reference: str
