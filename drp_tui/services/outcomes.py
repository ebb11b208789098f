"""Deciding, negotiating, extending, escalating, Cafcass, withdrawing, monitoring."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from drp_tui.domain.model import Decision, Role, Status
from drp_tui.domain.moves import Move
from drp_tui.domain.timeutil import end_of_london_day_utc, format_date, format_due, format_london, utc
from drp_tui.services.common import (
    Done, actor, check_version, clean_date, clean_datetime, clean_text, current_record, each_linked, event, level_holder,
    load, notify, require_move, service, stage_label, touch,
)
from drp_tui.services.context import Ctx
from drp_tui.services.errors import ValidationError
from drp_tui.store import models as m

CAFCASS_KINDS = {
    "legal_advice": "Independent legal advice sought",
    "cafcass_discussion": "Discussed with Cafcass (no referral)",
    "cafcass_referral": "Referred to Cafcass",
}


def _informs(rec: m.StageRecord) -> list[int]:
    return [int(x) for x in rec.inform.split(",") if x]


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
        require_move(ctx, d, Move.DECIDE)
        policy = ctx.policy_of(d)
        rec = current_record(d)
        label = stage_label(policy, rec.stage_key)
        text = clean_text(comment, "comments", required=not resolved)
        before = {"status": d.status, "decision": rec.decision}
        rec.decision = (Decision.RESOLVED if resolved else Decision.NOT_RESOLVED).value
        rec.decision_comment = kept_comment(rec, text, ctx.now())
        rec.decision_at = ctx.now()
        rec.save()
        changes: dict[str, object] = {}
        if resolved:
            changes = {"status": Status.RESOLVED.value, "closed_at": ctx.now(), "outcome": text or "Resolved"}
            mm = policy.rules.monitoring_meeting
            if mm.working_days:
                due_on = ctx.calendar.add_working_days(ctx.today(), mm.working_days)
                m.MonitoringMeeting.create(dispute=d, due_on=due_on)
                notify(ctx, [who], "reminder", f"{d.reference}: monitoring meeting due by {format_date(due_on)}", d)
        verdict = "resolved" if resolved else "not resolved"
        notify(ctx, [rec.responder_id, *_informs(rec)], "decision",
               f"{d.reference} ({d.child.name}): {who.name} decided {label} is {verdict}", d)
        event(ctx, "decided", f"{label}: {verdict}" + (f" - {text}" if text else ""), d, before=before,
              after={"decision": rec.decision, "comment": text, "status": changes.get("status", d.status)})
        touch(ctx, d, **changes)

    return each_linked(ctx, first, include_siblings, one)


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
    if window.hours is not None:
        until = now + timedelta(hours=window.hours)
    else:
        until = end_of_london_day_utc(ctx.calendar.add_working_days(ctx.today(), window.working_days or 0))
    rec.negotiation_until = until
    rec.negotiation_note = text
    rec.decision = None
    rec.save()
    notify(ctx, [rec.responder_id], "request",
           f"{d.reference}: further actions agreed with {who.name}, to be done by {format_london(until)}", d)
    notify(ctx, _informs(rec), "info", f"For information: {d.reference} further negotiation until {format_london(until)}", d)
    event(ctx, "negotiation", f"Further negotiation agreed until {format_london(until)}: {text}", d,
          before={"status": d.status}, after={"until": until, "note": text, "status": Status.NEGOTIATING.value})
    touch(ctx, d, status=Status.NEGOTIATING.value)
    return until


@service
def agree_extension(ctx: Ctx, dispute_id: int, until: date, reason: str, version: int | None = None) -> None:
    """Agree more time for a response, recording the benefit to the child."""
    who = actor(ctx)
    d = load(dispute_id)
    check_version(d, version, {"reason": str(reason)})  # a stale form first: the move may have changed since
    require_move(ctx, d, Move.EXTEND)
    rec = current_record(d)
    clean_date(ctx, until, "until", "extended to", past=False)
    why = clean_text(reason, "benefit to the child", required=True)
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
    notify(ctx, [rec.responder_id], "request", f"{d.reference}: response extended to {format_date(until)} by {who.name}", d)
    notify(ctx, _informs(rec), "info", f"For information: {d.reference} response extended to {format_date(until)}", d)
    event(ctx, "extension", f"Extension to {format_date(until)}: {why}", d,
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
        m.StageRecord.create(dispute=d, stage_key=target.key, seq=rec.seq + 1, chair_concern=d.concern,
                             chair_impact=d.impact, chair_wanted=d.wanted, chair_timescales=d.timescales)
        why = "no response in time" if rec.response_at is None else "response did not resolve it"
        event(ctx, "escalated", f"Escalated from {cur.label} to {target.label} ({why})" + (f": {text}" if text else ""),
              d, before={"stage": cur.key}, after={"stage": target.key})
        notify(ctx, [rec.responder_id, *_informs(rec)], "info", f"{d.reference}: escalated by {who.name} to {target.label}", d)
        if target.requires_approval:
            level = policy.rules.approval_level
            approver = level_holder(policy, level, d) if level else None
            approvers = [approver] if approver else list(m.Staff.select().where(
                (m.Staff.role == Role.OVERSIGHT.value) & (m.Staff.active == True) & (m.Staff.team == who.team_id)))  # noqa: E712
            notify(ctx, approvers, "approval", f"{d.reference}: {who.name} asks your agreement to go to {target.label}", d)
        touch(ctx, d, current_stage=target.key, status=Status.DRAFT.value)

    return each_linked(ctx, first, include_siblings, one)


@service
def approve_stage(ctx: Ctx, dispute_id: int, note: str = "") -> None:
    """The chair's service manager records agreement to go to a stage that needs it."""
    who = actor(ctx)
    d = load(dispute_id)
    require_move(ctx, d, Move.APPROVE)
    policy = ctx.policy_of(d)
    rec = current_record(d)
    stage = policy.stage(rec.stage_key)
    rec.approval_by = who
    rec.approval_at = ctx.now()
    rec.save()
    text = clean_text(note, "note")
    notify(ctx, [d.raised_by], "approval", f"{d.reference}: {who.name} agreed you may send {stage.label}", d)
    event(ctx, "approved", f"{who.name} agreed {stage.label}" + (f": {text}" if text else ""), d,
          after={"stage": stage.key, "approved_by": who.id})
    touch(ctx, d)


@service
def cafcass_step(ctx: Ctx, dispute_id: int, kind: str, note: str, told: str = "") -> None:
    """Record legal advice sought, a discussion with Cafcass, or a referral (three separate steps)."""
    who = actor(ctx)
    d = load(dispute_id)
    if kind not in CAFCASS_KINDS:
        raise ValidationError(f"step: must be one of {', '.join(CAFCASS_KINDS)}", field="kind")
    require_move(ctx, d, Move(kind))
    policy = ctx.policy_of(d)
    rec = current_record(d)
    text = clean_text(note, "note", required=True)
    told_text = clean_text(told, "who was told first")
    tell = policy.rules.legal_advice_tell_levels if kind == "legal_advice" else policy.rules.cafcass_tell_levels
    if tell and not told_text:
        names = ", ".join(policy.level_label(x) for x in tell)
        raise ValidationError(f"who was told first: the procedure asks you to tell {names} first", field="told")
    m.CafcassStep.create(dispute=d, kind=kind, at=ctx.now(), note=text, told=told_text, by=who)
    recipients = [level_holder(policy, level, d) for level in tell]
    notify(ctx, [r for r in recipients if r], "info", f"{d.reference}: {CAFCASS_KINDS[kind]} by {who.name}", d)
    referral = kind == "cafcass_referral"
    event(ctx, kind, f"{CAFCASS_KINDS[kind]}: {text}", d, before={"status": d.status} if referral else None,
          after={"told": told_text, **({"status": Status.CAFCASS.value} if referral else {})})
    if referral:
        notify(ctx, [rec.responder_id, *_informs(rec)], "info", f"{d.reference}: referred to Cafcass by {who.name}", d)
        touch(ctx, d, status=Status.CAFCASS.value, closed_at=ctx.now(), outcome=f"Referred to Cafcass: {text}")
    else:
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
        notify(ctx, [rec.responder_id, *_informs(rec)], "info", f"{d.reference}: withdrawn by {who.name}", d)
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
        notify(ctx, [d.raised_by_id, rec.responder_id, *_informs(rec)], "info",
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
    notify(ctx, [rec.responder_id], "info", f"{d.reference}: monitoring meeting held {format_date(held_on)}", d)
    event(ctx, "monitoring", f"Monitoring meeting held {format_date(held_on)}: {text}", d, before=before,
          after={"held_on": held_on, "outcome": text, "attendees": people})
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
    notify(ctx, [d.raised_by_id, rec.responder_id], "info",
           f"{d.reference}: action done - {a.description[:60]} ({format_date(done)})", d)
    event(ctx, "action_done", f"Action done: {a.description[:80]}", d, before={"done_on": None},
          after={"action": a.id, "done_on": a.done_on})
    touch(ctx, d)
