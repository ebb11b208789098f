"""Raising, editing, sending and responding: one function per user action."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from drp_tui.domain import forms
from drp_tui.domain.deadlines import send_due, stage_timescale
from drp_tui.domain.model import Role, Status
from drp_tui.domain.policy import CHAIR
from drp_tui.domain.moves import Move
from drp_tui.domain.policy import Timescale
from drp_tui.domain.timeutil import format_due
from drp_tui.services.common import (
    MAX_ACTIONS, Done, actor, ask_approvals, check_version, clean_date, clean_field, clean_text, current_record,
    each_linked, event, inform_for, load, notify, party_holders, require_move, require_role, responder_for,
    response_copies_for, service, stage_label, touch,
)
from drp_tui.services.context import Ctx
from drp_tui.services.errors import PermissionDenied, ValidationError
from drp_tui.services.pinning import pin_in_force
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import get_dispute


def _before_message(sec1: forms.Section) -> str:
    raised, arose = sec1.field("raised_on"), sec1.field("issue_arose")
    return f"{raised.label}: cannot be before the {forms.lower_first(arose.label)}"


@dataclass(frozen=True)
class RaiseInput:
    child_ids: Sequence[int]  # the child, then any siblings the concern also relates to
    category: str
    start_stage: str
    issue_arose: date
    concern: str
    impact: str = ""
    wanted: str = ""
    timescales: str = ""
    raised_on: date | None = None  # default: today
    child_wishes: str = ""
    against_wishes: bool = False
    immediate: bool = False
    facts: Mapping[str, bool] = field(default_factory=dict)  # the procedure's yes/no facts, by key


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: str
    due: date


def _next_reference(prefix: str, year: int) -> str:
    c, _ = m.Counter.get_or_create(prefix=prefix, year=year, defaults={"last": 0})  # type: ignore[no-untyped-call]
    m.Counter.update(last=m.Counter.last + 1).where(m.Counter.id == c.id).execute()
    n = m.Counter.get_by_id(c.id).last
    return f"{prefix}-{year}-{n:04d}"


@service
def raise_dispute(ctx: Ctx, data: RaiseInput) -> list[int]:
    """Raise a dispute for a child, and one linked dispute per sibling it concerns."""
    who = actor(ctx)
    require_role(who, Role.CHAIR, doing="raise a dispute")
    policy = ctx.policy
    if not data.child_ids:
        raise ValidationError("children: choose at least one child", field="children")
    if len(set(data.child_ids)) != len(data.child_ids):
        raise ValidationError("children: a child is listed twice", field="children")
    sec1 = forms.section_one(policy)
    start_field = sec1.field("start_stage")
    try:
        start = policy.stage(data.start_stage)
    except KeyError:
        raise ValidationError(f"{start_field.label}: '{data.start_stage}' is not {start_field.choice_noun} of this "
                              "procedure", field="start_stage") from None
    if not start.may_start:
        allowed = ", ".join(s.label for s in policy.starting_stages())
        raise ValidationError(f"{start_field.label}: {start.label} cannot be a starting level (choose {allowed})",
                              field="start_stage")
    # Every other question of the raise form, as the form schema describes it.
    values: dict[str, Any] = {}
    for f in sec1.fields:
        if f.at_raise and f.key != "start_stage":
            raw = getattr(data, f.key)
            if f.key == "raised_on" and raw is None:
                raw = ctx.today()
            values[f.key] = clean_field(ctx, f, raw)
    cat = policy.category(values["category"])
    asked = {f.key[len(forms.FACT_PREFIX):]: f for f in forms.fact_fields(policy)}
    for key in data.facts:
        if key not in asked:
            known = ", ".join(asked) or "none"
            raise ValidationError(f"facts: '{key}' is not a fact this procedure asks (its facts: {known})",
                                  field="facts")
    facts = ",".join(k for k, f in asked.items() if clean_field(ctx, f, bool(data.facts.get(k, False))))
    arose, raised = values["issue_arose"], values["raised_on"]
    if raised < arose:
        raise ValidationError(_before_message(sec1), field="raised_on")
    texts = {k: v for k, v in values.items() if sec1.field(k).kind is forms.Kind.LONG}
    children = []
    for cid in data.child_ids:
        c = m.Child.get_or_none(m.Child.id == cid)
        if c is None:
            raise ValidationError(f"children: child {cid} does not exist", field="children")
        children.append(c)
    first = children[0]
    for c in children:
        if c.chair_id != who.id:
            raise PermissionDenied(f"{c.name} is not one of your children; their chair raises disputes for them.")
        if c is not first and (first.sibling_group_id is None or c.sibling_group_id != first.sibling_group_id):
            raise ValidationError(f"children: {c.name} is not a sibling of {first.name}", field="children")
        if policy.applies_to and c.legal_status not in policy.applies_to:
            raise ValidationError(
                f"children: {c.name} is {c.legal_status}; this procedure is for "
                f"{', '.join(policy.applies_to)} only", field="children")
    link = uuid.uuid4().hex if len(children) > 1 else None
    now = ctx.now()
    digest = pin_in_force(ctx, policy)  # the dispute keeps this procedure, whatever the profile becomes
    ids = []
    for c in children:
        ref = _next_reference(policy.vocabulary.reference_prefix, raised.year)
        d = m.Dispute.create(
            reference=ref, child=c, raised_by=who, issue_arose=arose, raised_on=raised,
            category=cat.key, policy_key=policy.key, policy_version=policy.version, policy_digest=digest,
            start_stage=start.key, current_stage=start.key, status=Status.DRAFT.value,
            immediate=values["immediate"], link_group=link, facts=facts, against_wishes=values["against_wishes"],
            created_at=now, updated_at=now, updated_by=who, **texts,
        )
        m.StageRecord.create(dispute=d, stage_key=start.key, seq=1, started_at=now, chair_concern=texts["concern"],
                             chair_impact=texts["impact"], chair_wanted=texts["wanted"],
                             chair_timescales=texts["timescales"])
        event(ctx, "raised", f"{ref} raised at {start.label} ({cat.label}) for {c.case_number}", d,
              after={"category": cat.key, "stage": start.key, "siblings": len(children) - 1,
                     **({"facts": facts} if facts else {})})
        ask_approvals(ctx, policy, d, None, start, who)  # the agreement the procedure needs to start here
        touch(ctx, d)
        ids.append(d.id)
    return ids


@service
def update_draft(ctx: Ctx, dispute_id: int, version: int | None, changes: dict[str, Any]) -> int:
    """Save the chair's editable text: section 1 before anything is sent, and the
    current stage's section until it is sent. Returns the new version."""
    actor(ctx)
    d = load(dispute_id)
    require_move(ctx, d, Move.EDIT)
    check_version(d, version, {k: str(v) for k, v in changes.items()})
    rec = current_record(d)
    ever_sent = m.StageRecord.select().where((m.StageRecord.dispute == d.id) & m.StageRecord.sent_at.is_null(False)).exists()
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    d_changes: dict[str, Any] = {}
    policy = ctx.policy_of(d)
    for key, value in changes.items():
        f = forms.chair_field(policy, key)
        if f is None:
            raise ValidationError(f"{key}: not a field of the form", field=key)
        if f.editable is forms.EditWhen.UNTIL_STAGE_SENT:
            if rec.sent_at is not None:
                raise PermissionDenied(f"{stage_label(policy, rec.stage_key)} has been sent; "
                                       "a sent section cannot be edited.")
            new = clean_field(ctx, f, value)
            if getattr(rec, key) != new:
                before[key], after[key] = getattr(rec, key), new
                setattr(rec, key, new)
            continue
        if ever_sent and not f.editable_after_send:
            raise PermissionDenied("Section 1 has been sent and cannot be edited.")
        new_v = clean_field(ctx, f, value)
        if getattr(d, key) != new_v:
            before[key], after[key] = getattr(d, key), new_v
            d_changes[key] = new_v
    issue = d_changes.get("issue_arose", d.issue_arose)
    if d_changes.get("raised_on", d.raised_on) < issue:
        raise ValidationError(_before_message(forms.section_one(policy)), field="raised_on")
    if not after:
        return int(d.version)
    rec.save()
    event(ctx, "edited", f"{d.reference}: {', '.join(sorted(after))} edited", d, before=before, after=after)
    touch(ctx, d, **d_changes)
    return int(d.version)


@service
def send(ctx: Ctx, dispute_id: int, version: int | None = None, include_siblings: bool = False,
         to: int | None = None, due_on: date | None = None) -> Done:
    """Send the current stage to its responder (and, sibling by sibling, the linked siblings'
    too: ``Done.refused`` names those it could not send, and why).

    ``to``: the person the chair picks among those who may answer the stage (its
    responder levels' holders); by default the first. A stage answered jointly goes
    to them all; a report or notice starts no response clock. ``due_on``: the day the
    chair agreed for a stage whose length the procedure leaves to them
    (``chair_sets_timescale``); without it the stage's usual timescale runs."""
    who = actor(ctx)
    first = load(dispute_id)
    check_version(first, version)
    if due_on is not None:
        clean_date(ctx, due_on, "due_on", "due by", past=False)

    def one(d: m.Dispute) -> None:
        ok = require_move(ctx, d, Move.SEND, target=str(to) if to is not None else None)
        policy = ctx.policy_of(d)
        rec = current_record(d)
        stage = policy.stage(rec.stage_key)
        if not (rec.chair_concern or d.concern):
            raise ValidationError(f"{policy.vocabulary.concern_word}: write the section for {stage.label} first",
                                  field="chair_concern")
        joint: list[m.Staff] = []
        if stage.joint:
            joint = [m.Staff.get_by_id(int(i)) for i in ok.targets]
            if not joint:
                responder_for(policy, stage, d)  # refuses, naming the level no one holds
            responder = joint[0]
        elif to is not None:
            responder = m.Staff.get_by_id(to)
        elif stage.responder_levels and ok.targets:  # any one of several: the first who holds one
            responder = m.Staff.get_by_id(int(ok.targets[0]))
        else:
            responder = responder_for(policy, stage, d)
        informs = inform_for(policy, stage, d)
        now = ctx.now()
        if due_on is not None and not stage.chair_sets_timescale:
            raise ValidationError(f"due by: the procedure sets the timescale of {stage.label} "
                                  f"({stage.timescale.describe()}); the chair cannot set its day", field="due_on")
        view = get_dispute(d.id)
        timescale = stage_timescale(view, policy, stage)
        due = send_due(view, policy, stage, ctx.calendar, now, due_on)
        rec.sent_at = now
        rec.responder = responder
        rec.inform = ",".join(str(s.id) for s in informs if s not in joint)
        rec.due_at = due.at if due else None
        rec.due_date = due.day if due else None
        rec.save()
        for person in joint:
            m.StageResponse.create(stage_record=rec, responder=person)
        to_whom = ", ".join(p.name for p in joint) if joint else responder.name
        due_txt = f", response due by {format_due(due.at)}" if due else ""
        if stage.response_expected:
            notify(ctx, joint or [responder], "request",
                   f"{d.reference} ({d.child.name}): {stage.label} sent to you by {who.name}{due_txt}"
                   + (f" (a joint response from {to_whom}: each records their own)" if joint else ""), d)
        else:
            notify(ctx, [responder], "info", f"{d.reference} ({d.child.name}): {stage.label} sent to you by "
                                             f"{who.name} for information (no response expected)", d)
        notify(ctx, [x for x in informs if x not in joint], "info",
               f"For information: {d.reference} {stage.label} sent to {to_whom}", d)
        event(ctx, "sent", f"{stage.label} sent to {to_whom}{due_txt}"
              + ("" if stage.response_expected else " (no response expected)"), d,
              before={"status": d.status},
              after={"responder": responder.id, "responders": [p.id for p in joint], "inform": rec.inform,
                     "due": due.at if due else None,
                     "timescale": Timescale.describe(timescale) if due_on is None else "set by the chair"})
        touch(ctx, d, status=Status.SENT.value)

    return each_linked(ctx, first, include_siblings, one)


@service
def record_response(ctx: Ctx, dispute_id: int, text: str, actions: Sequence[ActionInput] = (),
                    on_behalf: bool = False, version: int | None = None, for_id: int | None = None,
                    include_siblings: bool = False) -> Done:
    """The responder's section: a response and its SMART actions (what, who, by when).

    A stage answered jointly: each responder records their own (the chair may record one
    on behalf of ``for_id``); the stage is responded, for the chair to decide, once all have.

    With ``include_siblings`` the same response (and actions) is recorded, sibling by sibling,
    for each linked sibling dispute awaiting it (at a joint stage: awaiting the same responder):
    typed once, each child keeps its own record; ``Done.refused`` names the siblings it could
    not be recorded for, and why."""
    who = actor(ctx)
    first = load(dispute_id)
    move = Move.RESPOND_ON_BEHALF if on_behalf else Move.RESPOND
    require_move(ctx, first, move)
    # On whose behalf, at a joint stage of the dispute in hand: the same person for its siblings.
    whose = for_id
    first_rec = current_record(first)
    first_rows = list(m.StageResponse.select().where(m.StageResponse.stage_record == first_rec.id))
    if on_behalf and first_rows and whose is None:
        pending = [r for r in first_rows if r.response_at is None]
        if len(pending) > 1:
            raise ValidationError("responder: say on whose behalf you record it (still to respond: "
                                  f"{', '.join(r.responder.name for r in pending)})", field="responder")
        whose = pending[0].responder_id if pending else None
    check_version(first, version, {"response": str(text)})
    policy = ctx.policy_of(first)
    clean_field(ctx, forms.stage_section(policy, policy.stage(first_rec.stage_key)).field("response"),
                text)  # the response first, then its actions (each sibling's form checks it again)
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(f"actions: {len(actions)} actions in one response; at most {MAX_ACTIONS}",
                              field="actions")
    clean_actions = []
    for i, a in enumerate(actions, 1):
        desc = clean_text(a.description, f"action {i} what", required=True)
        owner = clean_text(a.owner, f"action {i} who", required=True, short=True)
        due = clean_date(ctx, a.due, "actions", f"action {i} by when", past=False)
        clean_actions.append((desc, owner, due))

    def one(d: m.Dispute) -> None:
        require_move(ctx, d, move)
        rec = current_record(d)
        policy = ctx.policy_of(d)
        stage = policy.stage(rec.stage_key)
        rows = list(m.StageResponse.select().where(m.StageResponse.stage_record == rec.id)
                    .order_by(m.StageResponse.id))
        target = whose
        if on_behalf and rows:  # answered jointly: on behalf of one still to respond
            if target is None:
                pending = [r for r in rows if r.response_at is None]
                if len(pending) != 1:
                    names = ", ".join(r.responder.name for r in pending) or "no one"
                    raise ValidationError(f"responder: say on whose behalf you record {d.reference}'s response "
                                          f"(still to respond: {names})", field="responder")
                target = pending[0].responder_id
            require_move(ctx, d, Move.RESPOND_ON_BEHALF, target=str(target))
        elif for_id is not None and for_id != rec.responder_id:
            raise ValidationError(f"responder: {stage.label} was sent to "
                                  f"{rec.responder.name if rec.responder else 'no one'} only", field="responder")
        body = clean_field(ctx, forms.stage_section(policy, stage).field("response"), text)
        before = {"response": rec.response}
        still: list[str] = []
        if rows:  # answered jointly: this responder's own response
            mine_id = target if on_behalf else who.id
            mine = next(r for r in rows if r.responder_id == mine_id)
            mine.response, mine.response_at, mine.recorded_by, mine.on_behalf = body, ctx.now(), who, bool(on_behalf)
            mine.save()
            by = f"{who.name} on behalf of {mine.responder.name}" if on_behalf else who.name
            still = [r.responder.name for r in rows if r.response_at is None]
            if not still:  # the last of them: the stage is responded
                rec.response = "\n\n".join(f"{r.responder.name}: {r.response}" for r in rows)
                rec.response_at, rec.response_by, rec.response_on_behalf = ctx.now(), who, bool(on_behalf)
        else:
            rec.response = body
            rec.response_at = ctx.now()
            rec.response_by = who
            rec.response_on_behalf = bool(on_behalf)
            by = (f"{who.name} on behalf of {rec.responder.name}" if on_behalf and rec.responder is not None
                  else who.name)
        rec.save()
        for desc, owner, due in clean_actions:
            m.Action.create(stage_record=rec, description=desc, owner=owner, due=due)
        waiting = f" (still to respond: {', '.join(still)})" if still else ""
        notify(ctx, [d.raised_by], "response",
               f"{d.reference} ({d.child.name}): response to {stage.label} from {by}{waiting}", d)
        if tuple(stage.closed_by) != (CHAIR,):  # the profile names others who close (or must be satisfied)
            notify(ctx, party_holders(policy, stage.closed_by, d), "decision",
                   f"{d.reference}: response to {stage.label} from {by}; your decision is awaited", d)
        copies = response_copies_for(policy, stage, d)
        notify(ctx, copies, "response",
               f"{d.reference} ({d.child.name}): written response to {stage.label} from {by}", d)
        notify(ctx, [int(x) for x in rec.inform.split(",") if x and int(x) not in {w.id for w in copies}], "info",
               f"For information: {d.reference} {stage.label} response recorded", d)
        if on_behalf:
            notify(ctx, [target if rows else rec.responder], "info",
                   f"{d.reference}: {who.name} recorded your response (received by phone/e-mail)", d)
        also = " (recorded once for its linked siblings)" if include_siblings and d.link_group else ""
        event(ctx, "responded", f"Response to {stage.label} recorded by {by} with {len(clean_actions)} action(s)"
              + waiting + also, d, before=before,
              after={"response": body, "actions": [list(map(str, a)) for a in clean_actions],
                     "on_behalf": bool(on_behalf), "still_to_respond": still})
        if still:
            touch(ctx, d)
        else:
            touch(ctx, d, status=Status.RESPONDED.value)
        # The responder's kept draft of this form is what has just been recorded: it must not be offered again.
        if m.Draft.delete().where((m.Draft.owner == who.id) & (m.Draft.dispute == d.id)).execute():
            event(ctx, "draft_removed", f"Draft removed ({d.reference}): the response was recorded")

    return each_linked(ctx, first, include_siblings, one)


__all__ = ["RaiseInput", "ActionInput", "raise_dispute", "update_draft", "send", "record_response"]
