"""Deciding, negotiating, extending, escalating, Cafcass, withdrawing, meetings, monitoring."""

from __future__ import annotations

from datetime import date, datetime

from drp_tui.domain.deadlines import compute_due, monitoring_due
from drp_tui.domain.model import Decision, Status
from drp_tui.domain.moves import Move, gates_awaiting, satisfied_parties
from drp_tui.domain.timeutil import end_of_london_day_utc, format_date, format_due, format_london, london_date, utc
from drp_tui.services.common import (
    Done, actor, actor_of, ask_approvals, check_version, clean_date, clean_datetime, clean_text, current_record,
    each_linked, event, holds_level, level_holder, load, notify, party_holders, require_move, service,
    stage_label, touch, valid_id,
)
from drp_tui.services.context import Ctx
from drp_tui.services.errors import ValidationError
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import get_dispute

CAFCASS_KINDS = {
    "legal_advice": "Independent legal advice sought",
    "cafcass_discussion": "Discussed with Cafcass (no referral)",
    "cafcass_referral": "Referred to Cafcass",
}
# The steps a procedure may ask the chair to discuss first (rules.cafcass_tell_levels, legal_advice_tell_levels).
DISCUSSION_BEFORE = {"cafcass_referral": "a Cafcass referral", "legal_advice": "seeking legal advice"}


def _informs(rec: m.StageRecord) -> list[int]:
    return [int(x) for x in rec.inform.split(",") if x]


def _responders(rec: m.StageRecord) -> list[int | None]:
    """Who the stage was sent to: its responder, and at a joint stage every joint responder."""
    joint = [r.responder_id for r in m.StageResponse.select(m.StageResponse.responder)
             .where(m.StageResponse.stage_record == rec.id).order_by(m.StageResponse.id)]
    return [rec.responder_id, *joint]


COMMENT_BREAK = "\n\n"  # between a stage's decision comments, oldest first (the form shows each)


def kept_comment(rec: m.StageRecord, text: str, when: datetime) -> str:
    """The stage's decision comments with ``text`` added: an earlier comment (a "not
    resolved" before further negotiation, say) stays on the stage's record; the new one
    follows it with when it was made."""
    earlier = rec.decision_comment or ""
    if not text:
        return earlier
    if not earlier:
        return text
    return f"{earlier}{COMMENT_BREAK}{format_london(when)}: {text}"


@service
def decide(ctx: Ctx, dispute_id: int, resolved: bool, comment: str, version: int | None = None,
           include_siblings: bool = False) -> Done:
    """The chair's decision on a response: resolved (finalise) or not resolved (and, sibling by
    sibling, the linked siblings': ``Done.refused`` names those refused, and why)."""
    who = actor(ctx)
    first = load(dispute_id)
    check_version(first, version, {"comment": str(comment)})

    def one(d: m.Dispute) -> None:
        v = require_move(ctx, d, Move.DECIDE)
        policy = ctx.policy_of(d)
        rec = current_record(d)
        label = stage_label(policy, rec.stage_key)
        text = clean_text(comment, "comments", required=not resolved)
        if resolved and v.targets and not _all_satisfied(ctx, d, rec, v.targets, text, label):
            return  # recorded as satisfied: the stage waits for its other closing parties
        before = {"status": d.status, "decision": rec.decision}
        rec.decision = (Decision.RESOLVED if resolved else Decision.NOT_RESOLVED).value
        rec.decision_comment = kept_comment(rec, text, ctx.now())
        rec.decision_at = ctx.now()
        rec.save()
        changes: dict[str, object] = {}
        if resolved:
            changes = {"status": Status.RESOLVED.value, "closed_at": ctx.now(), "outcome": text or "Resolved"}
            due_on = monitoring_due(policy, rec.stage_key, ctx.now(), ctx.calendar, at_resolution=True)
            if due_on is not None:
                m.MonitoringMeeting.create(dispute=d, due_on=due_on)
                notify(ctx, [who], "reminder", f"{d.reference}: monitoring meeting due by {format_date(due_on)}", d)
        verdict = "resolved" if resolved else "not resolved"
        notify(ctx, [*_responders(rec), *_informs(rec)], "decision",
               f"{d.reference} ({d.child.name}): {who.name} decided {label} is {verdict}", d)
        event(ctx, "decided", f"{label}: {verdict}" + (f" - {text}" if text else ""), d, before=before,
              after={"decision": rec.decision, "comment": text, "status": changes.get("status", d.status)})
        touch(ctx, d, **changes)

    return each_linked(ctx, first, include_siblings, one)


def _all_satisfied(ctx: Ctx, d: m.Dispute, rec: m.StageRecord, parties: tuple[str, ...], text: str,
                   label: str) -> bool:
    """Record that ``parties`` (the closing parties this person speaks for) are satisfied; True
    when every closing party of the stage now is (the stage may close)."""
    who = actor(ctx)
    policy = ctx.policy_of(d)
    closers = policy.stage(rec.stage_key).closed_by
    for p in parties:
        m.Approval.create(dispute=d, stage_record=rec, gate=f"close:{p}", decision="satisfied", reason=text,
                          by=who, at=ctx.now())
    view = get_dispute(d.id)
    cur = view.current
    done = satisfied_parties(view, cur) if cur is not None else ()
    waiting = [p for p in closers if p not in done]
    if not waiting:
        return True
    names = ", ".join(policy.party_label(p) for p in waiting)
    event(ctx, "satisfied", f"{label}: {who.name} is satisfied" + (f" - {text}" if text else "")
          + f"; waiting for {names}", d, after={"parties": list(parties), "waiting": waiting})
    others = [x for x in party_holders(policy, waiting, d) if x.id != who.id]
    notify(ctx, others, "decision", f"{d.reference}: {who.name} is satisfied with {label}; your decision is awaited", d)
    touch(ctx, d)
    return False


@service
def agree_negotiation(ctx: Ctx, dispute_id: int, note: str, version: int | None = None) -> datetime:
    """Agree further work within the procedure's negotiation window (e.g. 24 hours)."""
    who = actor(ctx)
    d = load(dispute_id)
    check_version(d, version, {"note": str(note)})  # a stale form first: the move may have changed since
    require_move(ctx, d, Move.NEGOTIATE)
    policy = ctx.policy_of(d)
    window = policy.rules.negotiation_window
    rec = current_record(d)
    text = clean_text(note, "what was agreed", required=True)
    now = ctx.now()
    due = compute_due(now, window, ctx.calendar) if window.is_set else None
    until = due.at if due is not None else end_of_london_day_utc(ctx.today())
    rec.negotiation_until = until
    rec.negotiation_note = text
    rec.decision = None
    rec.save()
    notify(ctx, _responders(rec), "request",
           f"{d.reference}: further actions agreed with {who.name}, to be done by {format_london(until)}", d)
    notify(ctx, _informs(rec), "info", f"For information: {d.reference} further negotiation until {format_london(until)}", d)
    event(ctx, "negotiation", f"Further negotiation agreed until {format_london(until)}: {text}", d,
          before={"status": d.status}, after={"until": until, "note": text, "status": Status.NEGOTIATING.value})
    touch(ctx, d, status=Status.NEGOTIATING.value)
    return until


@service
def agree_extension(ctx: Ctx, dispute_id: int, until: date, reason: str = "", version: int | None = None) -> None:
    """Agree more time for a response (or lengthen a stage whose length is the chair's to set),
    recording the benefit to the child: required unless the procedure says an extension needs
    no reason (``extension_needs_reason = false``)."""
    who = actor(ctx)
    d = load(dispute_id)
    check_version(d, version, {"reason": str(reason)})  # a stale form first: the move may have changed since
    require_move(ctx, d, Move.EXTEND)
    rec = current_record(d)
    clean_date(ctx, until, "until", "extended to", past=False)
    why = clean_text(reason, "benefit to the child", required=ctx.policy_of(d).rules.extension_needs_reason)
    new_due = end_of_london_day_utc(until)
    old_due = rec.extension_until or rec.due_at
    if old_due is not None and new_due <= utc(old_due):
        raise ValidationError(f"extended to: must be after the current due date ({format_due(old_due)})", field="until")
    if not ctx.calendar.is_working_day(until):
        raise ValidationError(f"extended to: {format_date(until)} is not a working day "
                              f"({ctx.calendar.why_not_working(until)})", field="until")
    rec.extension_until = new_due
    rec.extension_reason = why
    rec.save()
    notify(ctx, _responders(rec), "request", f"{d.reference}: response extended to {format_date(until)} by {who.name}", d)
    notify(ctx, _informs(rec), "info", f"For information: {d.reference} response extended to {format_date(until)}", d)
    event(ctx, "extension", f"Extension to {format_date(until)}" + (f": {why}" if why else ""), d,
          before={"due": old_due}, after={"due": new_due, "reason": why})
    touch(ctx, d)


@service
def escalate(ctx: Ctx, dispute_id: int, target_stage: str | None = None, comment: str = "",
             version: int | None = None, include_siblings: bool = False) -> Done:
    """Move to the next stage, or to a later stage the procedure lets the chair bypass to (and,
    sibling by sibling, the linked siblings: ``Done.refused`` names those refused, and why)."""
    who = actor(ctx)
    first = load(dispute_id)
    check_version(first, version, {"comment": str(comment)})

    def one(d: m.Dispute) -> None:
        ok = require_move(ctx, d, Move.ESCALATE, target=target_stage)
        policy = ctx.policy_of(d)
        rec = current_record(d)
        cur = policy.stage(rec.stage_key)
        target = policy.stage(ok.targets[0])
        now = ctx.now()
        text = clean_text(comment, "comments")
        if rec.response_at is not None and rec.decision is None:
            if not text:
                raise ValidationError("comments: say why the response does not resolve it", field="comment")
            rec.decision = Decision.NOT_RESOLVED.value
            rec.decision_comment = kept_comment(rec, text, now)
            rec.decision_at = now
            rec.save()
        elif rec.decision == Decision.NOT_RESOLVED.value and text:  # decided earlier: this comment joins it
            rec.decision_comment = kept_comment(rec, text, now)
            rec.save()
        m.StageRecord.create(dispute=d, stage_key=target.key, seq=rec.seq + 1, started_at=now, chair_concern=d.concern,
                             chair_impact=d.impact, chair_wanted=d.wanted, chair_timescales=d.timescales)
        why = "no response in time" if rec.response_at is None else "response did not resolve it"
        event(ctx, "escalated", f"Escalated from {cur.label} to {target.label} ({why})" + (f": {text}" if text else ""),
              d, before={"stage": cur.key}, after={"stage": target.key})
        notify(ctx, [*_responders(rec), *_informs(rec)], "info", f"{d.reference}: escalated by {who.name} to {target.label}", d)
        ask_approvals(ctx, policy, d, cur.key, target, who)
        touch(ctx, d, current_stage=target.key, status=Status.DRAFT.value)

    return each_linked(ctx, first, include_siblings, one)


def _gate_words(ctx: Ctx, d: m.Dispute, gates: tuple[str, ...]) -> list[str]:
    """The gated transitions, in words, of the gates ``gates`` awaiting a decision now."""
    view = get_dispute(d.id)
    waiting = gates_awaiting(view, ctx.policy_of(view), actor_of(ctx), ctx.now(), ctx.calendar)
    return [words for g, _st, words in waiting if g.gate in gates]


@service
def approve_stage(ctx: Ctx, dispute_id: int, note: str = "") -> None:
    """An approver records agreement to every transition awaiting their approval on the dispute
    (the stage about to be sent: the old requires_approval, raising, escalating or bypassing to
    it; a Cafcass referral), each gate recorded: who, when, approved."""
    who = actor(ctx)
    d = load(dispute_id)
    v = require_move(ctx, d, Move.APPROVE)
    policy = ctx.policy_of(d)
    rec = current_record(d)
    stage = policy.stage(rec.stage_key)
    text = clean_text(note, "note")
    words = _gate_words(ctx, d, v.targets)
    for gate in v.targets:
        m.Approval.create(dispute=d, stage_record=rec, gate=gate, decision="approved", reason=text, by=who,
                          at=ctx.now())
        if gate.startswith("stage:"):  # the old requires_approval: kept on the stage record as before
            rec.approval_by = who
            rec.approval_at = ctx.now()
            rec.save()
    legacy = all(g.startswith("stage:") for g in v.targets)  # the old requires_approval: words as before
    what = stage.label if legacy else "; ".join(words) or stage.label
    notify(ctx, [d.raised_by], "approval", f"{d.reference}: {who.name} agreed "
           + (f"you may send {stage.label}" if legacy else what), d)
    event(ctx, "approved", f"{who.name} agreed {what}" + (f": {text}" if text else ""), d,
          after={"stage": stage.key, "approved_by": who.id, "gates": list(v.targets)})
    touch(ctx, d)


@service
def decline_approval(ctx: Ctx, dispute_id: int, reason: str) -> None:
    """An approver declines every transition awaiting their approval on the dispute, saying why.
    The gate stays closed (the chair may withdraw, or the approver approve later)."""
    who = actor(ctx)
    d = load(dispute_id)
    v = require_move(ctx, d, Move.DECLINE)
    policy = ctx.policy_of(d)
    rec = current_record(d)
    stage = policy.stage(rec.stage_key)
    why = clean_text(reason, "reason", required=True)
    words = _gate_words(ctx, d, v.targets)
    for gate in v.targets:
        m.Approval.create(dispute=d, stage_record=rec, gate=gate, decision="declined", reason=why, by=who,
                          at=ctx.now())
    what = "; ".join(words) or stage.label
    notify(ctx, [d.raised_by], "approval", f"{d.reference}: {who.name} declined {what}: {why}", d)
    event(ctx, "declined", f"{who.name} declined {what}: {why}", d,
          after={"stage": stage.key, "declined_by": who.id, "gates": list(v.targets), "reason": why})
    touch(ctx, d)


@service
def cafcass_step(ctx: Ctx, dispute_id: int, kind: str, note: str, told: str = "") -> None:
    """Record legal advice sought, a discussion with Cafcass, or a referral (three separate steps).

    A referral closes the dispute unless its procedure says it runs alongside
    (``rules.cafcass_ends_dispute = false``): then the dispute stays open and its clocks run."""
    who = actor(ctx)
    d = load(dispute_id)
    if kind not in CAFCASS_KINDS:
        raise ValidationError(f"step: must be one of {', '.join(CAFCASS_KINDS)}", field="kind")
    require_move(ctx, d, Move(kind))
    policy = ctx.policy_of(d)
    rec = current_record(d)
    text = clean_text(note, "note", required=True)
    told_text = clean_text(told, "who was told first")
    tell = policy.tell_levels(kind)
    if tell and not told_text:  # the discussions the move required, as recorded
        talks = (m.CafcassStep.select().where((m.CafcassStep.dispute == d.id) & (m.CafcassStep.kind == "discussion")
                                              & (m.CafcassStep.before_step == kind)).order_by(m.CafcassStep.held_at))
        told_text = "; ".join(f"{policy.level_label(t.level)}: {t.with_staff.name if t.with_staff else ''}, "
                              f"{format_london(t.held_at) if t.held_at else ''}" for t in talks)
    m.CafcassStep.create(dispute=d, kind=kind, at=ctx.now(), note=text, told=told_text, by=who)
    recipients = [level_holder(policy, level, d) for level in tell]
    notify(ctx, [r for r in recipients if r], "info", f"{d.reference}: {CAFCASS_KINDS[kind]} by {who.name}", d)
    closes = kind == "cafcass_referral" and policy.rules.cafcass_ends_dispute
    event(ctx, kind, f"{CAFCASS_KINDS[kind]}: {text}", d, before={"status": d.status} if closes else None,
          after={"told": told_text, **({"status": Status.CAFCASS.value} if closes else {})})
    if kind == "cafcass_referral":
        alongside = "" if closes else " (the dispute continues)"
        notify(ctx, [*_responders(rec), *_informs(rec)], "info",
               f"{d.reference}: referred to Cafcass by {who.name}{alongside}", d)
    if closes:
        touch(ctx, d, status=Status.CAFCASS.value, closed_at=ctx.now(), outcome=f"Referred to Cafcass: {text}")
    else:
        touch(ctx, d)


@service
def discussion_partners(ctx: Ctx, dispute_id: int, before: str) -> list[tuple[str, int, str, str]]:
    """Whom the chair may record a discussion with before ``before``: (level, staff id, name,
    username) for each level the procedure names and each active person holding it for this dispute."""
    actor(ctx)
    d = load(dispute_id)
    if before not in DISCUSSION_BEFORE:
        raise ValidationError(f"before: must be one of {', '.join(DISCUSSION_BEFORE)}", field="before")
    require_move(ctx, d, Move.DISCUSSION, target=before)
    policy = ctx.policy_of(d)
    out: list[tuple[str, int, str, str]] = []
    for level in policy.tell_levels(before):
        people = m.Staff.select().join(m.TeamRole, on=(m.TeamRole.staff == m.Staff.id)).where(
            (m.TeamRole.level == level) & (m.Staff.active == True)).order_by(m.Staff.name)  # noqa: E712
        extra = [d.child.social_worker] if d.child.social_worker is not None else []
        seen: set[int] = set()
        for p in [*extra, *people]:
            if p.id not in seen and holds_level(policy, level, d, p):
                seen.add(p.id)
                out.append((level, p.id, p.name, p.username))
    return out


@service
def record_discussion(ctx: Ctx, dispute_id: int, before: str, level: str, with_id: int | None, held_at: datetime,
                      said: str) -> None:
    """Record the discussion a procedure asks for before a step (``before``: cafcass_referral or
    legal_advice): with a person holding ``level`` for this dispute, when, and what was said."""
    who = actor(ctx)
    d = load(dispute_id)
    if before not in DISCUSSION_BEFORE:
        raise ValidationError(f"before: must be one of {', '.join(DISCUSSION_BEFORE)}", field="before")
    require_move(ctx, d, Move.DISCUSSION, target=before)
    policy = ctx.policy_of(d)
    levels = policy.tell_levels(before)
    if level not in levels:
        names = ", ".join(f"{x} ({policy.level_label(x)})" for x in levels)
        raise ValidationError(f"level: before {DISCUSSION_BEFORE[before]} the procedure asks for a discussion "
                              f"with: {names}", field="level")
    label = policy.level_label(level)
    wid = valid_id(with_id)  # None: no one named, or no one holding the level by that name
    person = m.Staff.get_or_none(m.Staff.id == wid) if wid is not None else None
    if person is None or not holds_level(policy, level, d, person):
        raise ValidationError(f"with whom: must be someone who holds the {label} role for {d.reference}",
                              field="with")
    when = clean_datetime(ctx, held_at, "held_at", "when")
    text = clean_text(said, "what was said", required=True)
    m.CafcassStep.create(dispute=d, kind="discussion", at=ctx.now(), note=text, by=who, before_step=before,
                         level=level, with_staff=person, held_at=when)
    event(ctx, "discussion", f"Discussed {DISCUSSION_BEFORE[before]} with {person.name} ({label}), "
                             f"{format_london(when)}: {text}", d,
          after={"before": before, "level": level, "with": person.id, "at": when, "said": text})
    touch(ctx, d)


@service
def withdraw(ctx: Ctx, dispute_id: int, reason: str, version: int | None = None) -> None:
    who = actor(ctx)
    d = load(dispute_id)
    require_move(ctx, d, Move.WITHDRAW)
    check_version(d, version, {"reason": str(reason)})
    why = clean_text(reason, "reason", required=True)
    rec = current_record(d)
    if rec.sent_at is not None:
        notify(ctx, [*_responders(rec), *_informs(rec)], "info", f"{d.reference}: withdrawn by {who.name}", d)
    event(ctx, "withdrawn", f"Withdrawn: {why}", d, before={"status": d.status},
          after={"status": Status.WITHDRAWN.value, "reason": why})
    touch(ctx, d, status=Status.WITHDRAWN.value, closed_at=ctx.now(), outcome=f"Withdrawn: {why}")


@service
def reopen(ctx: Ctx, dispute_id: int, reason: str) -> None:
    who = actor(ctx)
    d = load(dispute_id)
    require_move(ctx, d, Move.REOPEN)
    why = clean_text(reason, "reason", required=True)
    rec = current_record(d)
    status = Status.DRAFT if rec.sent_at is None else Status.RESPONDED if rec.response_at else Status.SENT
    if rec.decision == Decision.RESOLVED.value:
        rec.decision = None
        rec.save()
    if rec.sent_at is not None or d.raised_by_id != who.id:
        notify(ctx, [d.raised_by_id, *_responders(rec), *_informs(rec)], "info",
               f"{d.reference} ({d.child.name}) reopened by {who.name}: {why}", d)
    event(ctx, "reopened", f"Reopened: {why}", d, before={"status": d.status}, after={"status": status.value})
    touch(ctx, d, status=status.value, closed_at=None)


@service
def record_monitoring(ctx: Ctx, dispute_id: int, held_on: date, outcome: str, attendees: str = "") -> None:
    who = actor(ctx)
    d = load(dispute_id)
    require_move(ctx, d, Move.MONITORING)
    if not isinstance(held_on, date) or held_on > ctx.today():
        raise ValidationError("held on: must be a date, not in the future", field="held_on")
    clean_date(ctx, held_on, "held_on", future=False)
    text = clean_text(outcome, "outcome", required=True)
    people = clean_text(attendees, "attendees")
    mm = (m.MonitoringMeeting.select().where((m.MonitoringMeeting.dispute == d.id) & m.MonitoringMeeting.held_on.is_null())
          .order_by(m.MonitoringMeeting.due_on).first())
    if mm is None:
        mm = m.MonitoringMeeting(dispute=d, due_on=held_on)
    before = {"due_on": mm.due_on, "held_on": mm.held_on}
    mm.held_on, mm.outcome, mm.attendees, mm.recorded_by = held_on, text, people, who
    mm.save()
    rec = current_record(d)
    notify(ctx, _responders(rec), "info", f"{d.reference}: monitoring meeting held {format_date(held_on)}", d)
    event(ctx, "monitoring", f"Monitoring meeting held {format_date(held_on)}: {text}", d, before=before,
          after={"held_on": held_on, "outcome": text, "attendees": people})
    touch(ctx, d)


@service
def record_meeting(ctx: Ctx, dispute_id: int, held_on: date, attendees: str, outcome: str,
                   version: int | None = None) -> None:
    """The meeting the procedure expects at the current stage: the day, who attended, the
    outcome. Where the stage sets a monitoring meeting after an agreed outcome, it is due
    that many working days after this meeting."""
    who = actor(ctx)
    d = load(dispute_id)
    check_version(d, version, {"outcome": str(outcome)})
    require_move(ctx, d, Move.MEETING)
    policy = ctx.policy_of(d)
    rec = current_record(d)
    stage = policy.stage(rec.stage_key)
    day = clean_date(ctx, held_on, "held_on", "held on", future=False)
    assert day is not None  # not optional: a date or a ValidationError
    if rec.sent_at is not None and day < london_date(rec.sent_at):
        raise ValidationError(f"held on: {format_date(day)} is before {stage.label} was sent "
                              f"({format_london(rec.sent_at)})", field="held_on")
    people = clean_text(attendees, "attendees", required=True)
    text = clean_text(outcome, "outcome", required=True)
    m.Meeting.create(dispute=d, stage_key=stage.key, held_on=day, attendees=people, outcome=text,
                     recorded_by=who, recorded_at=ctx.now())
    after: dict[str, object] = {"stage": stage.key, "held_on": day, "attendees": people, "outcome": text}
    due_on = monitoring_due(policy, stage.key, day, ctx.calendar, at_resolution=False)
    if due_on is not None:
        m.MonitoringMeeting.create(dispute=d, due_on=due_on)
        after["monitoring_due"] = due_on
        notify(ctx, [d.raised_by_id], "reminder", f"{d.reference}: monitoring meeting due by {format_date(due_on)}", d)
    notify(ctx, [d.raised_by_id, rec.responder_id, *_informs(rec)], "info",
           f"{d.reference}: {stage.label} meeting held {format_date(day)} (recorded by {who.name})", d)
    event(ctx, "meeting", f"{stage.label} meeting held {format_date(day)}: {text}", d, after=after)
    touch(ctx, d)


@service
def record_conversation(ctx: Ctx, dispute_id: int, with_whom: str, held_at: datetime, how: str,
                        agreed: str, timescale: str = "") -> None:
    who = actor(ctx)
    d = load(dispute_id)
    require_move(ctx, d, Move.CONVERSATION)
    if how not in ("in person", "phone", "e-mail", "Teams"):
        raise ValidationError("how: in person, phone, e-mail or Teams", field="how")
    clean_datetime(ctx, held_at, "held_at", "when")
    name = clean_text(with_whom, "with whom", required=True, short=True)
    text = clean_text(agreed, "what was agreed", required=True)
    m.Conversation.create(dispute=d, with_whom=name, held_at=held_at, how=how, agreed=text,
                          timescale=clean_text(timescale, "timescale", short=True), recorded_by=who)
    event(ctx, "conversation", f"Conversation with {name} ({how}): {text}", d,
          after={"with": name, "at": held_at, "how": how, "agreed": text})
    touch(ctx, d)


@service
def complete_action(ctx: Ctx, action_id: int, done_on: date | None = None) -> None:
    actor(ctx)
    a = m.Action.get_or_none(m.Action.id == action_id)
    if a is None:
        raise ValidationError(f"action {action_id} does not exist", field="action")
    rec = a.stage_record
    d = load(rec.dispute_id)
    require_move(ctx, d, Move.ACTION_DONE, target=str(a.id))
    done = clean_date(ctx, done_on or ctx.today(), "done_on", future=False)
    assert done is not None  # not optional: a date or a ValidationError
    a.done_on = done
    a.save()
    notify(ctx, [d.raised_by_id, *_responders(rec)], "info",
           f"{d.reference}: action done - {a.description[:60]} ({format_date(done)})", d)
    event(ctx, "action_done", f"Action done: {a.description[:80]}", d, before={"done_on": None},
          after={"action": a.id, "done_on": a.done_on})
    touch(ctx, d)
