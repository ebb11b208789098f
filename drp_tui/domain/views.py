"""One dispute's view, and the child's, inbox and history views, and what the other screens'
reads answer (the finder, the children screen, a compliment's recipients, a history): read
models the screens show (frozen, no ORM). The caseload's row (``DisputeRow``) and ``StaffView``
stay in ``model``: the desk's first page makes none of these, so they are not loaded at its start."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from drp_tui.domain.model import Decision, DisputeRow, Status


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


@dataclass(frozen=True)
class Found:
    """What the finder lists: children (by name or case number) and disputes (by reference,
    child's name or case number) this person may see."""

    children: tuple[ChildView, ...]
    disputes: tuple[DisputeRow, ...]


@dataclass(frozen=True)
class ChildLine:
    child: ChildView
    open_disputes: int
    siblings: tuple[str, ...]  # names of the siblings this person may see


@dataclass(frozen=True)
class Recipient:
    """Someone a compliment about a child goes to."""

    staff_id: int
    name: str
    title: str


@dataclass(frozen=True)
class ComplimentTarget:
    """A child this person may see, and who a compliment about work with them goes to."""

    child: ChildView
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class History:
    child: ChildView | None  # for a child's history
    disputes: tuple[DisputeView, ...]
    events: tuple[EventView, ...]
