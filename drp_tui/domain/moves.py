"""Every move on a dispute, and whether this person may make it now: the one rule.

A pure function of (the dispute as stored, the procedure it is pinned to, who is
asking, now, the working calendar). The services refuse with it (``common.require_move``)
and the desk offers exactly what it allows; nothing else decides whether a move is
allowed. Each refusal carries a reason in words a chair understands, and says whether
it is about *who* is asking (a permission: audited as ``refused``) or about the
dispute's *state* (nothing to audit).

Input checks (text required, dates in range, field names) stay with the services:
a move can be allowed and its values still be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import ActionView, Decision, DisputeView, Role, StageView, Status
from drp_tui.domain.policy import CafcassRule, Policy, Stage
from drp_tui.domain.timeutil import format_due, format_london, utc

ADMIN_NOT_CONTENT = ("An administrator manages staff accounts and teams, not dispute content; "
                     "sign in with a chair's or manager's account to do that.")


class Move(str, Enum):
    EDIT = "edit"
    SEND = "send"
    RESPOND = "respond"
    RESPOND_ON_BEHALF = "respond_on_behalf"
    DECIDE = "decide"
    NEGOTIATE = "negotiate"
    EXTEND = "extend"
    ESCALATE = "escalate"
    APPROVE = "approve"
    LEGAL_ADVICE = "legal_advice"
    CAFCASS_DISCUSSION = "cafcass_discussion"
    CAFCASS_REFERRAL = "cafcass_referral"
    DISCUSSION = "discussion"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    MONITORING = "monitoring"
    CONVERSATION = "conversation"
    ACTION_DONE = "action_done"

    @property
    def label(self) -> str:
        """How a chair reads it."""
        return _LABELS[self]


_LABELS = {
    Move.EDIT: "Edit", Move.SEND: "Send", Move.RESPOND: "Record response",
    Move.RESPOND_ON_BEHALF: "Record response on behalf", Move.DECIDE: "Decide",
    Move.NEGOTIATE: "Agree further negotiation", Move.EXTEND: "Agree an extension", Move.ESCALATE: "Escalate",
    Move.APPROVE: "Approve stage", Move.LEGAL_ADVICE: "Legal advice sought",
    Move.CAFCASS_DISCUSSION: "Discuss with Cafcass", Move.CAFCASS_REFERRAL: "Refer to Cafcass",
    Move.DISCUSSION: "Record a discussion before a step", Move.WITHDRAW: "Withdraw", Move.REOPEN: "Reopen", Move.MONITORING: "Record monitoring meeting",
    Move.CONVERSATION: "Record conversation", Move.ACTION_DONE: "Mark action done",
}

# What the chair would be doing, as the refusals say it ("Only the chair who raised ... can <doing>").
_DOING = {
    Move.EDIT: "edit it", Move.SEND: "send it", Move.RESPOND: "record a response",
    Move.RESPOND_ON_BEHALF: "record a response on the manager's behalf", Move.DECIDE: "decide it",
    Move.NEGOTIATE: "agree further negotiation", Move.EXTEND: "agree an extension", Move.ESCALATE: "escalate it",
    Move.APPROVE: "approve it", Move.LEGAL_ADVICE: "record legal advice",
    Move.CAFCASS_DISCUSSION: "record a discussion with Cafcass", Move.CAFCASS_REFERRAL: "refer it to Cafcass",
    Move.DISCUSSION: "record a discussion", Move.WITHDRAW: "withdraw it", Move.REOPEN: "reopen it", Move.MONITORING: "record its monitoring meeting",
    Move.CONVERSATION: "record a conversation", Move.ACTION_DONE: "mark an action done",
}


@dataclass(frozen=True)
class Actor:
    """Who is asking: their role now, their own team, and the levels they hold (level key, team id)."""

    id: int
    role: Role
    team_id: int | None
    levels: frozenset[tuple[str, int]] = frozenset()


@dataclass(frozen=True)
class Verdict:
    move: Move
    allowed: bool
    reason: str = ""  # why not, in words a chair understands (empty when allowed)
    who: bool = False  # refused because of who is asking (else because of the dispute's state)
    targets: tuple[str, ...] = ()  # ESCALATE: stage keys allowed; ACTION_DONE: ids of actions this actor may mark


class _No(Exception):
    def __init__(self, reason: str, who: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.who = who


def _who(reason: str) -> _No:
    return _No(reason, True)


def _state(reason: str) -> _No:
    return _No(reason, False)


@dataclass(frozen=True)
class _Facts:
    view: DisputeView
    policy: Policy
    actor: Actor
    now: datetime
    calendar: WorkingCalendar

    @property
    def ref(self) -> str:
        return self.view.reference

    @property
    def cur(self) -> StageView | None:
        return self.view.current

    @property
    def is_chair(self) -> bool:
        return self.actor.role is Role.CHAIR and self.actor.id == self.view.raised_by_id

    @property
    def oversight_of(self) -> bool:
        """Oversight (the chairs' service manager) of the raising chair's team or the child's."""
        a = self.actor
        return a.role is Role.OVERSIGHT and a.team_id is not None and a.team_id in (
            self.view.raised_by_team_id, self.view.child.team_id)

    def stage(self, sv: StageView) -> Stage:
        try:
            return self.policy.stage(sv.stage_key)
        except KeyError:
            raise _state(f"{self.ref}: '{sv.stage_key}' is not a stage of this procedure "
                         f"({self.policy.name}); ask an administrator.") from None

    def label(self, sv: StageView) -> str:
        try:
            return self.policy.stage(sv.stage_key).label
        except KeyError:
            return sv.stage_key

    def overdue(self, sv: StageView) -> bool:
        due = sv.extension_until or sv.due_at
        return due is not None and utc(self.now) >= utc(due)

    # --- the common checks ---------------------------------------------------------------
    def no_admin(self) -> None:
        if self.actor.role is Role.ADMIN:
            raise _who(ADMIN_NOT_CONTENT)

    def chair(self, move: Move) -> None:
        self.no_admin()
        if not self.is_chair:
            raise _who(f"Only the chair who raised {self.ref} can {_DOING[move]}; "
                       f"it is {self.view.raised_by_name}'s.")

    def open(self, move: Move) -> None:
        v = self.view
        if not v.status.is_open:
            raise _state(f"{self.ref} is {v.status.label} and read-only; reopen it (with a reason) "
                         f"to {_DOING[move]}.")

    def current(self) -> StageView:
        cur = self.cur
        if cur is None:
            raise _state(f"{self.ref} has no stage yet.")
        return cur


# --- one function per move: returns its targets, or raises _No ----------------------------------

def _edit(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.EDIT)
    f.open(Move.EDIT)
    return ()


def _send(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.SEND)
    f.open(Move.SEND)
    cur = f.current()
    stage = f.stage(cur)
    if cur.sent_at is not None:
        raise _state(f"{f.ref}: {stage.label} was already sent on {format_london(cur.sent_at)}.")
    if stage.requires_approval and cur.approval_by_id is None:
        rules = f.policy.rules
        who = f.policy.level_label(rules.approval_level) if rules.approval_level else "your service manager"
        raise _state(f"{f.ref}: {stage.label} needs {who}'s agreement before it is sent "
                     "(the procedure requires that discussion first). Ask them to record approval.")
    return ()


def _awaiting(f: _Facts, move: Move) -> StageView:
    """A response can be recorded: open, the current stage sent and its response awaited."""
    f.open(move)
    cur = f.current()
    label = f.label(cur)
    if cur.sent_at is None:
        raise _state(f"{label} has not been sent yet, so there is nothing to respond to.")
    if f.view.status not in (Status.SENT, Status.NEGOTIATING):
        when = f" on {format_london(cur.response_at)}" if cur.response_at else ""
        raise _state(f"{f.ref}: a response to {label} was already recorded{when}; "
                     f"the {f.policy.vocabulary.chair_title} decides next.")
    return cur


def _respond(f: _Facts) -> tuple[str, ...]:
    f.no_admin()
    cur = _awaiting(f, Move.RESPOND)
    if cur.responder_id != f.actor.id:
        raise _who(f"{f.label(cur)} of {f.ref} was sent to {cur.responder_name or 'no one'}, not to you.")
    return ()


def _respond_on_behalf(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.RESPOND_ON_BEHALF)
    _awaiting(f, Move.RESPOND_ON_BEHALF)
    return ()


def _decide(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.DECIDE)
    f.open(Move.DECIDE)
    cur = f.current()
    if cur.response_at is None:
        raise _state(f"{f.ref}: there is no response to {f.label(cur)} yet. Record the response "
                     "(or record it on the manager's behalf) before deciding.")
    return ()


def _negotiate(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.NEGOTIATE)
    f.open(Move.NEGOTIATE)
    if not f.policy.rules.negotiation_window.is_set:
        raise _state("This procedure has no further-negotiation window: resolve the dispute or escalate it.")
    cur = f.current()
    if cur.negotiation_until is not None:
        raise _state(f"A further-negotiation window was already agreed (until {format_london(cur.negotiation_until)}); "
                     "the procedure allows one. Resolve or escalate.")
    if cur.response_at is None or f.view.status is not Status.RESPONDED:
        raise _state("Further negotiation follows a response you are not yet satisfied with; "
                     "there is none to negotiate on.")
    return ()


def _extend(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.EXTEND)
    f.open(Move.EXTEND)
    if not f.policy.rules.extensions_allowed:
        raise _state("This procedure does not provide for extensions: escalate if the response is late.")
    cur = f.current()
    if cur.sent_at is None or f.view.status is not Status.SENT:
        raise _state("An extension is for a response that is still awaited.")
    return ()


def _escalate(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.ESCALATE)
    f.open(Move.ESCALATE)
    cur = f.current()
    stage = f.stage(cur)
    if cur.sent_at is None:
        raise _state(f"{f.ref}: {stage.label} has not been sent yet; send it before escalating.")
    targets = f.policy.escalation_targets(stage.key)
    if not targets:
        tail = ("consider a Cafcass referral." if f.policy.rules.cafcass is not CafcassRule.NOT_APPLICABLE
                else "record the outcome.")
        raise _state(f"{f.ref}: {stage.label} is the last stage of this procedure; {tail}")
    due = cur.extension_until or cur.due_at
    if cur.response_at is None and due is not None and not f.overdue(cur) and not f.view.immediate:
        raise _state(f"The response to {stage.label} is not due until {format_due(due)}. "
                     "Escalate once it is overdue, or record the response and your decision.")
    if cur.decision is Decision.RESOLVED:
        raise _state(f"{stage.label} was decided resolved; reopen it first.")
    return tuple(s.key for s in targets)


def _approval_scope(f: _Facts) -> None:
    """Oversight approves within its own team; a holder of the approval level where they hold it."""
    f.no_admin()
    level = f.policy.rules.approval_level
    try:
        kind = f.policy.level(level).holder if level else "chair_team"
    except KeyError:
        kind = "chair_team"
    team = f.view.raised_by_team_id if kind == "chair_team" else f.view.child.team_id
    if f.oversight_of or (level and team is not None and (level, team) in f.actor.levels):
        return
    holds_anywhere = bool(level) and any(lv == level for lv, _t in f.actor.levels)
    if f.actor.role is not Role.OVERSIGHT and not holds_anywhere:
        raise _who("Only the chairs' service manager (oversight) can approve a stage.")
    raise _who(f"{f.ref} was raised by {f.view.raised_by_name}, who is not in your team: "
               "only their own service manager can approve it.")


def _approve(f: _Facts) -> tuple[str, ...]:
    _approval_scope(f)
    f.open(Move.APPROVE)
    cur = f.current()
    stage = f.stage(cur)
    if cur.sent_at is not None or not stage.requires_approval:
        raise _state(f"{f.ref}: {stage.label} does not await approval.")
    if cur.approval_by_id is not None:
        raise _state(f"{f.ref}: {stage.label} was already approved.")
    return ()


_NO_CAFCASS = ("Cafcass referral does not apply under this procedure "
               "(Cafcass has no role in child protection plans).")


_STEP_NAMES = {"cafcass_referral": "referring to Cafcass", "legal_advice": "seeking legal advice"}


def _discussed_first(f: _Facts, before: str) -> None:
    """Each level the procedure names for ``before`` has a recorded discussion (with someone holding it)."""
    held = {s.level for s in f.view.steps if s.kind == "discussion" and s.before == before}
    missing = [lv for lv in f.policy.tell_levels(before) if lv not in held]
    if missing:
        names = " and ".join(f.policy.level_label(lv) for lv in missing)
        raise _state(f"{f.ref}: the procedure asks you to discuss it with the {names} before "
                     f"{_STEP_NAMES[before]}; record that discussion first (with whom, when, what was said).")


def _legal_advice(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.LEGAL_ADVICE)
    f.open(Move.LEGAL_ADVICE)
    _discussed_first(f, "legal_advice")
    return ()


def _cafcass_discussion(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.CAFCASS_DISCUSSION)
    f.open(Move.CAFCASS_DISCUSSION)
    if f.policy.rules.cafcass is CafcassRule.NOT_APPLICABLE:
        raise _state(_NO_CAFCASS)
    return ()


def _last_unresolved(f: _Facts) -> None:
    """The last stage has been sent and has not resolved the matter."""
    last = f.policy.stages[-1]
    cur = f.cur
    unresolved = cur is not None and (cur.decision is Decision.NOT_RESOLVED or (
        cur.due_at is not None and cur.response_at is None and f.overdue(cur)))
    if cur is None or cur.stage_key != last.key or cur.sent_at is None or not unresolved:
        raise _state(f"This procedure asks you to use every stage first: refer to Cafcass once {last.label} "
                     "has been sent and has not resolved the matter.")


def _cafcass_referral(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.CAFCASS_REFERRAL)
    f.open(Move.CAFCASS_REFERRAL)
    rule = f.policy.rules.cafcass
    if rule is CafcassRule.NOT_APPLICABLE:
        raise _state(_NO_CAFCASS)
    done = [s for s in f.view.steps if s.kind == "cafcass_referral"]
    if done:
        raise _state(f"{f.ref} was already referred to Cafcass on {format_london(done[-1].at)}; "
                     "the referral runs alongside the dispute.")
    if rule is CafcassRule.AFTER_ALL_STAGES and f.policy.stages:
        used = {sv.stage_key for sv in f.view.stages if sv.sent_at is not None}
        unused = [st.label for st in f.policy.cafcass_required_stages() if st.key not in used]
        if unused:
            raise _state(f"This procedure asks you to use every stage first: refer to Cafcass once each has "
                         f"been used; not used (sent) for {f.ref}: {', '.join(unused)}.")
        _last_unresolved(f)
    if rule is CafcassRule.AFTER_LAST_STAGE and f.policy.stages:
        _last_unresolved(f)
    _discussed_first(f, "cafcass_referral")
    return ()


def _discussion(f: _Facts) -> tuple[str, ...]:
    """Targets: the steps (cafcass_referral, legal_advice) whose discussions the procedure asks for."""
    f.chair(Move.DISCUSSION)
    f.open(Move.DISCUSSION)
    steps = tuple(k for k in ("cafcass_referral", "legal_advice") if f.policy.tell_levels(k))
    if not steps:
        raise _state("This procedure names no one to discuss a Cafcass referral or legal advice with first.")
    return steps


def _withdraw(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.WITHDRAW)
    f.open(Move.WITHDRAW)
    return ()


def _reopen(f: _Facts) -> tuple[str, ...]:
    f.no_admin()
    if not (f.is_chair or f.oversight_of):
        if f.actor.role is Role.OVERSIGHT:
            raise _who(f"{f.ref} was raised by {f.view.raised_by_name}, who is not in your team: "
                       "only their own service manager (or the chair) can reopen it.")
        raise _who("Only the chair who raised it, or oversight, can reopen it.")
    if f.view.status not in (Status.RESOLVED, Status.WITHDRAWN):
        raise _state(f"{f.ref} is {f.view.status.label}; only resolved or withdrawn disputes can be reopened.")
    return ()


def _monitoring(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.MONITORING)
    if not (f.policy.rules.monitoring_meeting.is_set or f.view.monitoring):
        raise _state("This procedure sets no monitoring meeting, and none is due for this dispute.")
    return ()


def _conversation(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.CONVERSATION)
    return ()


def _open_actions(f: _Facts) -> list[tuple[ActionView, StageView]]:
    return [(a, s) for s in f.view.stages for a in s.actions if a.done_on is None]


def _may_mark(f: _Facts, s: StageView) -> bool:
    return f.is_chair or (s.responder_id is not None and s.responder_id == f.actor.id)


_NOT_YOUR_ACTION = "Only the chair or the manager who responded can mark an action done."


def _action_done(f: _Facts) -> tuple[str, ...]:
    f.no_admin()
    undone = _open_actions(f)
    if not undone:
        raise _state(f"{f.ref} has no open actions to mark done.")
    mine = tuple(str(a.id) for a, s in undone if _may_mark(f, s))
    if not mine:
        raise _who(_NOT_YOUR_ACTION)
    return mine


_RULES = {
    Move.EDIT: _edit, Move.SEND: _send, Move.RESPOND: _respond, Move.RESPOND_ON_BEHALF: _respond_on_behalf,
    Move.DECIDE: _decide, Move.NEGOTIATE: _negotiate, Move.EXTEND: _extend, Move.ESCALATE: _escalate,
    Move.APPROVE: _approve, Move.LEGAL_ADVICE: _legal_advice, Move.CAFCASS_DISCUSSION: _cafcass_discussion,
    Move.CAFCASS_REFERRAL: _cafcass_referral, Move.DISCUSSION: _discussion, Move.WITHDRAW: _withdraw, Move.REOPEN: _reopen,
    Move.MONITORING: _monitoring, Move.CONVERSATION: _conversation, Move.ACTION_DONE: _action_done,
}


def _judge(f: _Facts, move: Move) -> Verdict:
    try:
        targets = _RULES[move](f)
    except _No as no:
        return Verdict(move, False, no.reason, no.who)
    return Verdict(move, True, targets=targets)


def moves(view: DisputeView, policy: Policy, actor: Actor, now: datetime,
          calendar: WorkingCalendar) -> dict[Move, Verdict]:
    """Every move on ``view``, allowed or not (with the reason), for ``actor`` at ``now``."""
    f = _Facts(view, policy, actor, now, calendar)
    return {mv: _judge(f, mv) for mv in Move}


def verdict(view: DisputeView, policy: Policy, actor: Actor, now: datetime, calendar: WorkingCalendar,
            move: Move, *, target: str | None = None) -> Verdict:
    """One move. With ``target`` (ESCALATE: a stage key; ACTION_DONE: an action id) the
    verdict is on that target: allowed only if it is one of the move's targets."""
    f = _Facts(view, policy, actor, now, calendar)
    v = _judge(f, move)
    if target is None or not v.allowed and not (move is Move.ACTION_DONE and not v.who):
        return v
    if target in v.targets:
        return Verdict(move, True, targets=(target,))
    if move is Move.ESCALATE:
        cur = f.current()
        try:
            name = policy.stage(target).label
        except KeyError:
            name = target
        allowed = ", ".join(policy.stage(k).label for k in v.targets)
        return Verdict(move, False, f"This procedure does not let you go from {f.label(cur)} to {name}; "
                                    f"you can escalate to: {allowed}.")
    if move is Move.ACTION_DONE:
        for s in view.stages:
            for a in s.actions:
                if str(a.id) != target:
                    continue
                if a.done_on is not None:
                    return Verdict(move, False, "That action is already marked done.")
                return Verdict(move, False, _NOT_YOUR_ACTION, True)
        return Verdict(move, False, f"That action is not one of {f.ref}'s.")
    if move is Move.DISCUSSION:
        step = _STEP_NAMES.get(target)
        if step is None:
            return Verdict(move, False, f"before: must be one of {', '.join(_STEP_NAMES)}.")
        return Verdict(move, False, f"This procedure names no one to discuss it with before {step}.")
    return Verdict(move, False, f"{target} is not a choice for {move.label.lower()}.")


__all__ = ["ADMIN_NOT_CONTENT", "Actor", "Move", "Verdict", "moves", "verdict"]
