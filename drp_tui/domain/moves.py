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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import Decision, Role, Status
from drp_tui.domain.policy import CHAIR, CafcassRule, Policy, Stage
from drp_tui.domain.timeutil import format_due, format_london, utc

if TYPE_CHECKING:
    from drp_tui.domain.policy_parts import Approval
    from drp_tui.domain.views import ActionView, ApprovalView, DisputeView, StageView

ADMIN_NOT_CONTENT = ("An administrator manages staff accounts and teams, not dispute content; "
                     "sign in with a chair's or manager's account to do that.")


def team_holding(policy: Policy, view: DisputeView, level: str, *, default: str = "team",
                 chair_team: int | None = None) -> int | None:
    """The one reading of which team's holder of ``level`` acts for this dispute: the raising
    chair's own team for a ``chair_team`` level (``chair_team`` overrides it, e.g. after a hand-over),
    else the team whose chain answers for the child (its lead team, else its own)."""
    return policy.acting_team(level, chair_team=view.raised_by_team_id if chair_team is None else chair_team,
                              child_team=view.child.chain_team_id, default=default)



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
    DECLINE = "decline"
    LEGAL_ADVICE = "legal_advice"
    CAFCASS_DISCUSSION = "cafcass_discussion"
    CAFCASS_REFERRAL = "cafcass_referral"
    DISCUSSION = "discussion"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    MONITORING = "monitoring"
    CONVERSATION = "conversation"
    ACTION_DONE = "action_done"
    MEETING = "meeting"

    @property
    def label(self) -> str:
        """How a chair reads it."""
        return _LABELS[self]


_LABELS = {
    Move.EDIT: "Edit", Move.SEND: "Send", Move.RESPOND: "Record response",
    Move.RESPOND_ON_BEHALF: "Record response on behalf", Move.DECIDE: "Decide",
    Move.NEGOTIATE: "Agree further negotiation", Move.EXTEND: "Agree an extension", Move.ESCALATE: "Escalate",
    Move.APPROVE: "Approve stage", Move.DECLINE: "Decline approval", Move.LEGAL_ADVICE: "Legal advice sought",
    Move.CAFCASS_DISCUSSION: "Discuss with Cafcass", Move.CAFCASS_REFERRAL: "Refer to Cafcass",
    Move.DISCUSSION: "Record a discussion before a step", Move.WITHDRAW: "Withdraw", Move.REOPEN: "Reopen", Move.MONITORING: "Record monitoring meeting",
    Move.CONVERSATION: "Record conversation", Move.ACTION_DONE: "Mark action done",
    Move.MEETING: "Record stage meeting",
}

# What the chair would be doing, as the refusals say it ("Only the chair who raised ... can <doing>").
_DOING = {
    Move.EDIT: "edit it", Move.SEND: "send it", Move.RESPOND: "record a response",
    Move.RESPOND_ON_BEHALF: "record a response on the manager's behalf", Move.DECIDE: "decide it",
    Move.NEGOTIATE: "agree further negotiation", Move.EXTEND: "agree an extension", Move.ESCALATE: "escalate it",
    Move.APPROVE: "approve it", Move.DECLINE: "decline approval", Move.LEGAL_ADVICE: "record legal advice",
    Move.CAFCASS_DISCUSSION: "record a discussion with Cafcass", Move.CAFCASS_REFERRAL: "refer it to Cafcass",
    Move.DISCUSSION: "record a discussion", Move.WITHDRAW: "withdraw it", Move.REOPEN: "reopen it", Move.MONITORING: "record its monitoring meeting",
    Move.CONVERSATION: "record a conversation", Move.ACTION_DONE: "mark an action done",
    Move.MEETING: "record the stage's meeting",
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
    # ESCALATE: stage keys allowed; ACTION_DONE: ids of actions this actor may mark; SEND: ids of the
    # people who may answer the stage (all of them, for a joint stage); RESPOND_ON_BEHALF: ids of the
    # joint responders still to respond; RESPOND at a joint stage: the actor's own id
    # ESCALATE: stage keys allowed; ACTION_DONE: ids of actions this actor may mark; APPROVE/DECLINE:
    # the gates ("on:level") this actor may decide; DECIDE: the closing parties this actor speaks for
    targets: tuple[str, ...] = ()


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

    def holds(self, level: str) -> bool:
        """The actor holds ``level`` for this dispute (where the level's kind of holder says)."""
        v = self.view
        if self.policy.holder_kind(level) == "allocated" and v.child.social_worker_id == self.actor.id:
            return True
        team = team_holding(self.policy, v, level)
        return team is not None and (level, team) in self.actor.levels

    def is_party(self, party: str) -> bool:
        return self.is_chair if party == CHAIR else self.holds(party)

    def party_name(self, party: str) -> str:
        return (f"the {self.policy.vocabulary.chair_title} who raised it" if party == CHAIR
                else self.policy.level_label(party))

    def acts(self, move: Move, parties: tuple[str, ...], where: str) -> None:
        """The actor is one of ``parties`` (the pinned profile's sent_by / escalated_by / closed_by)."""
        if tuple(parties) == (CHAIR,):
            self.chair(move)
            return
        self.no_admin()
        if any(self.is_party(p) for p in parties):
            return
        names = " or ".join(self.party_name(p) for p in parties)
        raise _who(f"Under this procedure only {names} can {_DOING[move]} at {where} of {self.ref}.")

    def entered_from(self, sv: StageView) -> str | None:
        """The stage the record ``sv`` was entered from (None: the dispute was raised there)."""
        prev = [s for s in self.view.stages if s.seq < sv.seq]
        return prev[-1].stage_key if prev else None

    def pending_gates(self, sv: StageView) -> list[tuple[Approval, ApprovalView | None]]:
        """The approvals still needed before ``sv`` is sent, with the latest decision (a decline) if any."""
        out: list[tuple[Approval, ApprovalView | None]] = []
        for g in self.policy.entry_gates(self.entered_from(sv), sv.stage_key):
            if g.on == "stage" and sv.approval_by_id is not None:  # the old requires_approval, agreed
                continue
            st = self.view.gate_state(sv.id, g.gate)
            if st is None or st.decision != "approved":
                out.append((g, st))
        return out

    def transition(self, g: Approval, sv: StageView) -> str:
        """The gated transition in words."""
        to = self.label(sv)
        if g.on == "cafcass_referral":
            return "a referral to Cafcass"
        frm = self.entered_from(sv)
        src = self.policy.stage(frm).label if frm and any(s.key == frm for s in self.policy.stages) else frm
        if g.on == "raise":
            return f"starting at {to}"
        if g.on == "escalate":
            return f"escalating from {src} to {to}"
        if g.on == "bypass":
            return f"going straight from {src} to {to}"
        return f"sending {to}"

    def approver_name(self, g: Approval) -> str:
        return self.policy.level_label(g.level) if g.level else "your service manager"

    def may_approve(self, g: Approval) -> bool:
        """Old gate: oversight of the raising chair's team or the child's, or the approval level's
        holder where they hold it; a gate of [[approvals]]: only its level's holder."""
        if g.on == "stage":
            return self.oversight_of or (bool(g.level) and self.holds(g.level))
        return self.holds(g.level)

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


# --- who a stage goes to --------------------------------------------------------------------------

def responder_candidates(view: DisputeView, policy: Policy, stage: Stage) -> tuple[tuple[int, str], ...]:
    """(id, name) of everyone who may answer ``stage`` of ``view``: the holders of its responder
    levels where each level is held (the child's team, the chair's own service, or the allocated
    social worker), in the profile's order of levels. Sent to the first unless the chair picks;
    a joint stage (``responders = "all"``) goes to them all."""
    out: dict[int, str] = {}
    for key in stage.answering_levels:
        if (policy.holder_kind(key) == "allocated" and view.social_worker_active
                and view.child.social_worker_id is not None):
            out.setdefault(view.child.social_worker_id, view.child.social_worker_name)
            continue
        team = team_holding(policy, view, key)
        for h in view.holders:
            if h.level == key and h.team_id == team:
                out.setdefault(h.staff_id, h.name)
    return tuple(out.items())


def _no_response(f: _Facts, cur: StageView, stage: Stage, move: Move) -> None:
    if not stage.response_expected:
        raise _state(f"{f.ref}: {stage.label} is a report or notice: no response is expected "
                     f"({move.label.lower()} does not apply); the {f.policy.vocabulary.chair_title} "
                     "may move on at once.")


# --- one function per move: returns its targets, or raises _No ----------------------------------

def _edit(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.EDIT)
    f.open(Move.EDIT)
    return ()


def _send(f: _Facts) -> tuple[str, ...]:
    cur = f.cur
    sender = _parties(f, cur, "sent_by")
    f.acts(Move.SEND, sender, f.label(cur) if cur else "this stage")
    f.open(Move.SEND)
    cur = f.current()
    stage = f.stage(cur)
    if cur.sent_at is not None:
        raise _state(f"{f.ref}: {stage.label} was already sent on {format_london(cur.sent_at)}.")
    pending = f.pending_gates(cur)
    if pending:
        g, st = pending[0]
        who = f.approver_name(g)
        if st is not None and st.decision == "declined":
            raise _state(f"{f.ref}: {who} ({st.by_name}) declined {f.transition(g, cur)}: {st.reason} "
                         f"{stage.label} cannot be sent unless {who} approves.")
        if g.on == "stage":
            raise _state(f"{f.ref}: {stage.label} needs {who}'s agreement before it is sent "
                         "(the procedure requires that discussion first). Ask them to record approval.")
        raise _state(f"{f.ref}: {f.transition(g, cur)} needs {who}'s approval before {stage.label} is sent. "
                     "Ask them to record approval.")
    return tuple(str(i) for i, _name in responder_candidates(f.view, f.policy, stage))


def _parties(f: _Facts, sv: StageView | None, which: str) -> tuple[str, ...]:
    """Who acts on ``sv`` by the pinned profile (the stage's sent_by / escalated_by / closed_by)."""
    if sv is None:
        return (CHAIR,)
    try:
        parties: tuple[str, ...] = getattr(f.policy.stage(sv.stage_key), which)
    except KeyError:
        return (CHAIR,)
    return parties


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
    stage = f.stage(cur)
    _no_response(f, cur, stage, Move.RESPOND)
    if cur.responses:  # answered jointly: each responder records their own
        mine = next((r for r in cur.responses if r.responder_id == f.actor.id), None)
        if mine is None:
            names = ", ".join(r.responder_name for r in cur.responses)
            raise _who(f"{f.label(cur)} of {f.ref} was sent to {names}, not to you.")
        if mine.response_at is not None:
            still = ", ".join(r.responder_name for r in cur.pending)
            raise _state(f"{f.ref}: you recorded your response to {f.label(cur)} on "
                         f"{format_london(mine.response_at)}; still to respond: {still}.")
        return (str(f.actor.id),)
    if cur.responder_id != f.actor.id:
        raise _who(f"{f.label(cur)} of {f.ref} was sent to {cur.responder_name or 'no one'}, not to you.")
    return ()


def _respond_on_behalf(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.RESPOND_ON_BEHALF)
    cur = _awaiting(f, Move.RESPOND_ON_BEHALF)
    _no_response(f, cur, f.stage(cur), Move.RESPOND_ON_BEHALF)
    return tuple(str(r.responder_id) for r in cur.pending)


def satisfied_parties(view: DisputeView, sv: StageView) -> tuple[str, ...]:
    """The closing parties who recorded "satisfied" with the stage's latest response."""
    since = sv.response_at
    return tuple(dict.fromkeys(
        a.gate.split(":", 1)[1] for a in view.approvals
        if a.stage_id == sv.id and a.decision == "satisfied" and a.gate.startswith("close:")
        and (since is None or utc(a.at) >= utc(since))))


def _decide(f: _Facts) -> tuple[str, ...]:
    cur = f.cur
    closers = _parties(f, cur, "closed_by")
    f.acts(Move.DECIDE, closers, f.label(cur) if cur else "this stage")
    f.open(Move.DECIDE)
    cur = f.current()
    notice = not f.stage(cur).response_expected
    if notice and cur.sent_at is None:
        raise _state(f"{f.ref}: {f.label(cur)} has not been sent yet; send it before deciding.")
    if cur.response_at is None and not notice:
        still = f" (still to respond: {', '.join(r.responder_name for r in cur.pending)})" if cur.pending else ""
        raise _state(f"{f.ref}: there is no response to {f.label(cur)} yet{still}. Record the response "
                     "(or record it on the manager's behalf) before deciding.")
    try:
        all_needed = f.policy.stage(cur.stage_key).close_needs_all
    except KeyError:
        all_needed = False
    if not all_needed:
        return ()
    done = satisfied_parties(f.view, cur)
    mine = tuple(p for p in closers if f.is_party(p) and p not in done)
    if not mine:
        waiting = ", ".join(f.party_name(p) for p in closers if p not in done) or "no one"
        raise _state(f"{f.ref}: you have already recorded that you are satisfied with {f.label(cur)}; "
                     f"it closes when all have (waiting for: {waiting}).")
    return mine


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
    cur = f.current()
    chairs_own = any(s.key == cur.stage_key and s.chair_sets_timescale for s in f.policy.stages)
    if not (f.policy.rules.extensions_allowed or chairs_own):  # the chair may lengthen a stage that is theirs to set
        raise _state("This procedure does not provide for extensions: escalate if the response is late.")
    _no_response(f, cur, f.stage(cur), Move.EXTEND)
    if cur.sent_at is None or f.view.status is not Status.SENT:
        raise _state("An extension is for a response that is still awaited.")
    return ()


def _escalate(f: _Facts) -> tuple[str, ...]:
    cur0 = f.cur
    f.acts(Move.ESCALATE, _parties(f, cur0, "escalated_by"), f.label(cur0) if cur0 else "this stage")
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
    team = team_holding(f.policy, f.view, level, default="chair_team")
    if f.oversight_of or (level and team is not None and (level, team) in f.actor.levels):
        return
    holds_anywhere = bool(level) and any(lv == level for lv, _t in f.actor.levels)
    if f.actor.role is not Role.OVERSIGHT and not holds_anywhere:
        raise _who("Only the chairs' service manager (oversight) can approve a stage.")
    raise _who(f"{f.ref} was raised by {f.view.raised_by_name}, who is not in your team: "
               "only their own service manager can approve it.")


def awaiting_approval(f: _Facts) -> list[tuple[Approval, ApprovalView | None]]:
    """Gates on the dispute now awaiting a decision: those before the current stage is sent; when
    none of those waits, a Cafcass referral's where the referral could otherwise be made now."""
    cur = f.cur
    if cur is None or not f.view.status.is_open:
        return []
    out = f.pending_gates(cur) if cur.sent_at is None else []
    gates = f.policy.cafcass_gates()
    if gates and not out:  # a referral's approval is asked once the stage awaits none of its own
        try:
            _cafcass_state(f)
        except _No:
            return out
        for g in gates:
            st = f.view.gate_state(cur.id, g.gate)
            if st is None or st.decision != "approved":
                out.append((g, st))
    return out


def _approve_or_decline(f: _Facts, move: Move) -> tuple[str, ...]:
    f.no_admin()
    waiting = awaiting_approval(f)
    if not waiting:
        _approval_scope(f)  # who first, as before gates on transitions existed
        f.open(move)
        cur = f.current()
        stage = f.stage(cur)
        if cur.approval_by_id is not None and cur.sent_at is None:
            raise _state(f"{f.ref}: {stage.label} was already approved.")
        raise _state(f"{f.ref}: {stage.label} does not await approval.")
    mine = tuple(g.gate for g, _st in waiting if f.may_approve(g))
    if not mine:
        g = waiting[0][0]
        if g.on == "stage":
            _approval_scope(f)
        names = " or ".join(dict.fromkeys(f.approver_name(g) for g, _st in waiting))
        raise _who(f"{f.ref} awaits approval from {names}; you do not hold that role for it.")
    return mine


def _approve(f: _Facts) -> tuple[str, ...]:
    return _approve_or_decline(f, Move.APPROVE)


def _decline(f: _Facts) -> tuple[str, ...]:
    return _approve_or_decline(f, Move.DECLINE)


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
    _cafcass_state(f)
    cur = f.current()
    for g in f.policy.cafcass_gates():
        st = f.view.gate_state(cur.id, g.gate)
        who = f.approver_name(g)
        if st is not None and st.decision == "declined":
            raise _state(f"{f.ref}: {who} ({st.by_name}) declined a referral to Cafcass: {st.reason}")
        if st is None:
            raise _state(f"{f.ref}: a referral to Cafcass needs {who}'s approval first. Ask them to record approval.")
    return ()


def _cafcass_state(f: _Facts) -> None:
    """Whether the dispute's state lets a referral be made now (not who is asking)."""
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
    if not (f.policy.rules.monitoring_meeting.is_set or f.view.monitoring
            or any(s.monitoring.is_set for s in f.policy.stages)):
        raise _state("This procedure sets no monitoring meeting, and none is due for this dispute.")
    return ()


def _meeting(f: _Facts) -> tuple[str, ...]:
    """A meeting the procedure expects at the current stage: recorded by the chair, or by the
    holder of the level that arranges it (``meeting.arranged_by``) for this dispute."""
    f.no_admin()
    cur = f.current()
    stage = f.stage(cur)
    meeting = stage.meeting
    arranger = meeting.arranged_by if meeting is not None else ""
    if not f.is_chair:
        team = team_holding(f.policy, f.view, arranger)
        if not (arranger and team is not None and (arranger, team) in f.actor.levels):
            also = f" or the {f.policy.level_label(arranger)} who arranges it" if arranger else ""
            raise _who(f"Only the {f.policy.vocabulary.chair_title} who raised {f.ref}{also} can record "
                       f"the {stage.label} meeting.")
    f.open(Move.MEETING)
    if meeting is None:  # (a bare meeting_expected flag sets no meeting to record)
        raise _state(f"{f.ref}: this procedure sets no meeting to record at {stage.label}.")
    if cur.sent_at is None:
        raise _state(f"{f.ref}: {stage.label} has not been sent yet; its meeting follows the sending.")
    return ()


def _conversation(f: _Facts) -> tuple[str, ...]:
    f.chair(Move.CONVERSATION)
    return ()


def _open_actions(f: _Facts) -> list[tuple[ActionView, StageView]]:
    return [(a, s) for s in f.view.stages for a in s.actions if a.done_on is None]


def _may_mark(f: _Facts, s: StageView) -> bool:
    return f.is_chair or (s.responder_id is not None and s.responder_id == f.actor.id) or any(
        r.responder_id == f.actor.id for r in s.responses)


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
    Move.APPROVE: _approve, Move.DECLINE: _decline, Move.LEGAL_ADVICE: _legal_advice,
    Move.CAFCASS_DISCUSSION: _cafcass_discussion, Move.CAFCASS_REFERRAL: _cafcass_referral, Move.DISCUSSION: _discussion,
    Move.WITHDRAW: _withdraw, Move.REOPEN: _reopen,
    Move.MONITORING: _monitoring, Move.CONVERSATION: _conversation, Move.ACTION_DONE: _action_done,
    Move.MEETING: _meeting,
}


def _judge(f: _Facts, move: Move) -> Verdict:
    try:
        targets = _RULES[move](f)
    except _No as no:
        return Verdict(move, False, no.reason, no.who)
    return Verdict(move, True, targets=targets)


def moves(view: DisputeView, policy: Policy, actor: Actor, now: datetime,
          calendar: WorkingCalendar, *, only: Iterable[Move] | None = None) -> dict[Move, Verdict]:
    """Every move on ``view``, allowed or not (with the reason), for ``actor`` at ``now``;
    with ``only``, just those moves (a caller that asks about a few, over many disputes)."""
    f = _Facts(view, policy, actor, now, calendar)
    return {mv: _judge(f, mv) for mv in (Move if only is None else only)}


def verdict(view: DisputeView, policy: Policy, actor: Actor, now: datetime, calendar: WorkingCalendar,
            move: Move, *, target: str | None = None) -> Verdict:
    """One move. With ``target`` (ESCALATE: a stage key; ACTION_DONE: an action id; SEND and
    RESPOND_ON_BEHALF: a person's id) the verdict is on that target: allowed only if it is one
    of the move's targets (never for SEND at a joint stage, which goes to them all)."""
    f = _Facts(view, policy, actor, now, calendar)
    v = _judge(f, move)
    if target is None or not v.allowed and not (move is Move.ACTION_DONE and not v.who):
        return v
    joint = move is Move.SEND and f.cur is not None and policy.stage(f.cur.stage_key).joint
    if target in v.targets and not joint:
        return Verdict(move, True, targets=(target,))
    if move is Move.SEND:
        if joint:
            return Verdict(move, False, f"{f.label(f.current())} is answered jointly: it goes to all of "
                                        "its responders, so there is no one to choose.")
        names = ", ".join(n for _i, n in responder_candidates(view, policy, f.stage(f.current())))
        return Verdict(move, False, f"responder: that person does not hold a level that answers "
                                    f"{f.label(f.current())} for this child (choose one of: {names or 'no one'}).")
    if move is Move.RESPOND_ON_BEHALF:
        names = ", ".join(r.responder_name for r in f.current().pending)
        return Verdict(move, False, f"responder: that person is not waiting to respond to {f.label(f.current())} "
                                    f"(still to respond: {names or 'no one'}).")
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


def gates_awaiting(view: DisputeView, policy: Policy, actor: Actor, now: datetime,
                   calendar: WorkingCalendar) -> list[tuple[Approval, ApprovalView | None, str]]:
    """The gates awaiting a decision now, with the latest decline and the transition in words."""
    f = _Facts(view, policy, actor, now, calendar)
    cur = f.cur
    if cur is None:
        return []
    return [(g, st, f.transition(g, cur)) for g, st in awaiting_approval(f)]


__all__ = ["ADMIN_NOT_CONTENT", "Actor", "Move", "Verdict", "gates_awaiting", "moves", "responder_candidates",
           "satisfied_parties", "verdict"]
