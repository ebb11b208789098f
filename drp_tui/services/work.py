"""What needs me now: the signed-in person's work list (the desk's home screen).

Nothing here decides a rule. The store narrows, in SQL, the disputes that *may* need this
person (``store.queries_work.candidates``: their own, those sent to them, those awaiting
their agreement); each is then judged with the one move function (``domain.moves``:
which moves this person may make now) and the one deadline rule (``domain.deadlines``:
what is due when, and its state), under the profile the dispute is pinned to. A row is
the verb of a move the person may make now, and the clock it runs against.

Worst first: overdue, then due today, then what waits on the person with no clock of its
own (a response to decide on, a request to agree), then due soon, on track, paused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from drp_tui.domain.deadlines import Deadline, deadlines
from drp_tui.domain.model import DueState, Role, Status
from drp_tui.domain.moves import Actor, Move, Verdict, moves
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import london_date
from drp_tui.services.common import actor_of
from drp_tui.services.context import Ctx
from drp_tui.store import queries_work, visibility

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView

# How far ahead the store looks for clocks that may be "due soon" under some profile (a
# pre-filter only: the profile's own window decides, see domain.deadlines.due_soon_window).
LOOK_AHEAD = timedelta(days=45)

# What is due, as the Due column says it (the deadline kinds of domain.deadlines, and the
# chair's own decision, which has no clock of its own).
DUE_WORDS = {"response": "response due", "decision": "your decision", "action": "action due",
             "negotiation": "negotiation ends", "monitoring": "meeting due", "raise": "send by",
             "approval": "agreement", "cap": "process ends"}

# The moves a work row can ask for (``judge`` reads only these): the others are not judged here.
ASKED = (Move.DECIDE, Move.ESCALATE, Move.RESPOND, Move.APPROVE, Move.SEND, Move.EDIT, Move.MONITORING,
         Move.ACTION_DONE)

# Order of urgency: a thing waiting on the person with no clock of its own comes after
# what is due today and before what is merely due soon.
_ORDER = {DueState.OVERDUE: 0, DueState.DUE_TODAY: 1, DueState.NONE: 2, DueState.DUE_SOON: 3,
          DueState.ON_TRACK: 4, DueState.PAUSED: 5, DueState.DONE: 6}


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One thing that needs the signed-in person: what to do, on which dispute, by when.

    (``slots``: a list of them is held while My work is shown; without a dictionary each, 200
    items hold about 110 KB less.)"""

    dispute_id: int
    reference: str
    child_name: str
    move: Move  # the move it asks for (what Enter opens the form to do)
    verb: str  # "Decide on the response", "Respond", "Chase or escalate", ...
    due_kind: str  # a key of DUE_WORDS: what the clock is for
    due_at: datetime | None  # when (None: nothing runs, e.g. a response waiting for a decision)
    since: datetime | None  # when it started waiting (shown when there is no due date)
    state: DueState
    with_whom: str  # the other party: the responder for a chair, the chair for a manager
    stage_label: str
    policy_key: str = ""
    policy_digest: str = ""
    stage_short: str = ""  # the profile's short label and reference, for a narrow screen ("" = the full one)
    short_reference: str = ""

    @property
    def due_word(self) -> str:
        return DUE_WORDS.get(self.due_kind, self.due_kind)

    @property
    def rank(self) -> tuple[int, datetime, int]:
        when = self.due_at or self.since or datetime.max.replace(tzinfo=None)
        return (_ORDER[self.state], when.replace(tzinfo=None), self.dispute_id)


def my_work(ctx: Ctx) -> list[WorkItem]:
    """Everything that needs the signed-in person now, worst first (``PermissionDenied``
    for a disabled account). An administrator has none: they do no dispute work."""
    who = actor_of(ctx)
    if who.role is Role.ADMIN:
        return []
    now = ctx.now()
    approver = who.role is Role.OVERSIGHT or bool(who.levels)
    items: list[WorkItem] = []
    with visibility.one_snapshot():  # (the candidates and their views as of one moment; the person's
        # visible ids kept on the connection, as the caseload's page keeps them)
        ids = queries_work.candidates(who.id, now + LOOK_AHEAD, london_date(now + LOOK_AHEAD), approver=approver)
        for view in queries_work.each_view(ids):  # (each view judged, then let go: one held at a time, not 200)
            policy = ctx.policy_of(view)
            verdicts = moves(view, policy, who, now, ctx.calendar, only=ASKED)
            clocks = deadlines(view, policy, ctx.calendar, now, ctx.due_soon_days)
            items += judge(view, policy, who, verdicts, clocks)
    items.sort(key=lambda i: i.rank)
    return items


def judge(view: DisputeView, policy: Policy, who: Actor, verdicts: dict[Move, Verdict],
          clocks: list[Deadline]) -> list[WorkItem]:
    """The rows one dispute gives this person: one per thing they may do now that is waiting on them."""

    def ok(move: Move) -> bool:
        return verdicts[move].allowed  # (a move not in ASKED is a KeyError here, not a silent no)

    def running(kind: str) -> list[Deadline]:
        return [d for d in clocks if d.kind == kind and d.state is not DueState.DONE]

    cur = view.current
    label = short = ""
    if cur is not None:
        try:
            stage = policy.stage(cur.stage_key)
            label, short = stage.label, stage.short_label
        except KeyError:
            label = cur.stage_key
    short_ref = policy.short_reference(view.reference)
    responder = cur.responder_name if cur is not None else ""
    out: list[WorkItem] = []

    def add(move: Move, verb: str, kind: str, clock: Deadline | None, *, since: datetime | None = None,
            with_whom: str = "") -> None:
        state = clock.state if clock is not None else DueState.NONE
        out.append(WorkItem(view.id, view.reference, view.child.name, move, verb, kind,
                            clock.due.at if clock is not None else None, since, state, with_whom, label,
                            view.policy_key, view.policy_digest, short, short_ref))

    response = running("response")
    if ok(Move.DECIDE) and cur is not None and cur.decision is None:
        negotiation = running("negotiation")
        if negotiation:
            add(Move.DECIDE, "Decide after negotiation", "negotiation", negotiation[0], with_whom=responder)
        else:
            add(Move.DECIDE, "Decide on the response", "decision", None, since=cur.response_at, with_whom=responder)
    elif ok(Move.ESCALATE) and view.status is Status.SENT and any(d.state is DueState.OVERDUE for d in response):
        add(Move.ESCALATE, "Chase or escalate", "response", response[0], with_whom=responder)
    if ok(Move.RESPOND):
        negotiation = running("negotiation")
        if view.status is Status.NEGOTIATING and negotiation:
            add(Move.RESPOND, "Do the agreed actions", "negotiation", negotiation[0], with_whom=view.raised_by_name)
        else:
            add(Move.RESPOND, "Respond", "response", response[0] if response else None,
                since=cur.sent_at if cur is not None else None, with_whom=view.raised_by_name)
    if ok(Move.APPROVE):
        add(Move.APPROVE, f"Agree: {label}", "approval", None, since=view.updated_at,
            with_whom=view.raised_by_name)
    if ok(Move.SEND) or (ok(Move.EDIT) and view.status is Status.DRAFT and cur is not None and cur.sent_at is None):
        raised = running("raise")
        add(Move.SEND if ok(Move.SEND) else Move.EDIT,
            "Finish and send the draft" if ok(Move.SEND) else "Finish draft (to be agreed)",
            "raise", raised[0] if raised else None, since=view.updated_at)
    meetings = running("monitoring")
    if meetings and ok(Move.MONITORING):
        add(Move.MONITORING, "Confirm monitoring meeting", "monitoring", meetings[0])
    actions = [d for d in running("action") if d.state in (DueState.OVERDUE, DueState.DUE_TODAY, DueState.DUE_SOON)]
    if actions and ok(Move.ACTION_DONE):
        who_did = view.raised_by_name if who.id != view.raised_by_id else responder
        verb = "Check an action is done" if who.id == view.raised_by_id else "Do the agreed action"
        add(Move.ACTION_DONE, verb, "action", actions[0], with_whom=who_did)
    return out


__all__ = ["DUE_WORDS", "WorkItem", "judge", "my_work"]
