"""Read queries for "my work" (the home screen): which disputes may need this person now.

The SQL here only narrows (by indexed columns) the disputes worth judging: it decides
nothing. Whether a move is open, and what is due when, is judged afterwards by
``domain.moves`` and ``domain.deadlines`` in ``services.work``. A dispute the query
lets through that needs nothing is simply dropped there; the query must never drop
one that might need the person (so its windows are generous).

``views`` loads many disputes in a fixed number of queries (not a few per dispute), so
a chair with hundreds of open disputes gets their work list as fast as one with ten.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from drp_tui.domain.model import (
    ApprovalView, ChildView, ConversationView, DisputeView, MeetingView, MonitoringView, Status, StepView,
)
from drp_tui.store import models as m
from drp_tui.store.queries import _stage_view, holders_for, staff_names
from drp_tui.store.visibility import viewer, visible_to

MOST = 200  # disputes judged for one person's work list at most (the most urgent first; a caseload is far smaller)


def candidates(staff_id: int, horizon: datetime, horizon_day: date, *, approver: bool) -> list[int]:
    """Ids of the disputes that may need ``staff_id`` before ``horizon`` (most urgent first):

    * raised by them: drafts, responses received, negotiating, or a clock running out
      before ``horizon``; a monitoring meeting not yet held;
    * sent to them (alone, or among a stage's joint responders) and not yet answered (awaiting
      their response or further actions);
    * told a stage awaits them: to send it, or their decision on its response (the procedure
      names someone besides the chair);
    * an open SMART action due by ``horizon_day`` on a dispute they raised or answered;
    * with ``approver`` (oversight, or someone holding a management level): drafts they may
      see whose stage has not been agreed or sent (the moves say which await *their* agreement).
    Only disputes they may see (``store.visibility``)."""
    who = viewer(staff_id)
    if who is None:
        return []
    D, SR, A, MM = m.Dispute, m.StageRecord, m.Action, m.MonitoringMeeting
    SRR, N = m.StageResponse, m.Notification
    open_statuses = [s.value for s in Status if s.is_open]
    # each part on its own (each can use an index), then united: an OR of them all cannot
    mine = D.select(D.id).where((D.raised_by == staff_id) & (
        D.status.in_([Status.DRAFT.value, Status.RESPONDED.value, Status.NEGOTIATING.value])
        | (D.status.in_(open_statuses) & (D.next_due_at <= horizon))))
    meetings = (MM.select(MM.dispute).join(D, on=(MM.dispute == D.id))
                .where(MM.held_on.is_null() & (D.raised_by == staff_id)))
    sent_to_me = D.select(D.id).where((D.responder == staff_id) & (D.status == Status.SENT.value))
    answering = (SR.select(SR.dispute).join(D, on=(SR.dispute == D.id))
                 .where((SR.responder == staff_id) & (D.status == Status.NEGOTIATING.value)))
    # a stage answered jointly: each responder's own row (sent, or further actions agreed)
    jointly = (SR.select(SR.dispute).join(SRR, on=(SRR.stage_record == SR.id)).join(D, on=(SR.dispute == D.id))
               .where((SRR.responder == staff_id) & D.status.in_([Status.SENT.value, Status.NEGOTIATING.value])))
    # someone else the procedure names to send a stage or to close (be satisfied with) it: told so
    told = (N.select(N.dispute).join(D, on=(N.dispute == D.id))
            .where((N.recipient == staff_id) & (((N.kind == "request") & (D.status == Status.DRAFT.value))
                                                | ((N.kind == "decision") & D.status.in_(
                                                    [Status.RESPONDED.value, Status.NEGOTIATING.value])))))
    my_actions = (A.select(SR.dispute).join(SR, on=(A.stage_record == SR.id)).join(D, on=(SR.dispute == D.id))
                  .where(A.done_on.is_null() & (A.due <= horizon_day)
                         & ((SR.responder == staff_id) | (D.raised_by == staff_id))))
    parts = mine | meetings | sent_to_me | answering | jointly | told | my_actions
    if approver:
        parts = parts | (SR.select(SR.dispute).join(D, on=(SR.dispute == D.id))
                         .where(SR.sent_at.is_null() & SR.approval_by.is_null() & (D.status == Status.DRAFT.value)))
    q = (D.select(D.id).where(D.id.in_(parts) & visible_to(who))
         .order_by(D.next_due_at.is_null(), D.next_due_at, D.id).limit(MOST))
    return [int(r.id) for r in q]


def views(ids: Iterable[int]) -> list[DisputeView]:
    """These disputes in full, in a fixed number of queries, in the order given.

    ``sibling_ids`` is left empty (the work list does not show siblings); everything the
    moves and the clocks read is there."""
    order = list(dict.fromkeys(ids))
    if not order:
        return []
    D = m.Dispute
    rows = {d.id: d for d in D.select().where(D.id.in_(order))}
    kids = {c.id: c for c in m.Child.select(m.Child, m.Team).join(m.Team)
            .where(m.Child.id.in_({d.child_id for d in rows.values()}))}
    records: dict[int, list[m.StageRecord]] = {}
    for r in m.StageRecord.select().where(m.StageRecord.dispute.in_(order)).order_by(m.StageRecord.seq):
        records.setdefault(r.dispute_id, []).append(r)
    acts: dict[int, list[m.Action]] = {}
    rec_ids = [r.id for rs in records.values() for r in rs]
    if rec_ids:
        for a in (m.Action.select().where(m.Action.stage_record.in_(rec_ids))
                  .order_by(m.Action.due, m.Action.id)):
            acts.setdefault(a.stage_record_id, []).append(a)
    resp: dict[int, list[m.StageResponse]] = {}
    if rec_ids:
        for sr in (m.StageResponse.select().where(m.StageResponse.stage_record.in_(rec_ids))
                   .order_by(m.StageResponse.id)):
            resp.setdefault(sr.stage_record_id, []).append(sr)
    meetings: dict[int, list[MonitoringView]] = {}
    for x in (m.MonitoringMeeting.select().where(m.MonitoringMeeting.dispute.in_(order))
              .order_by(m.MonitoringMeeting.due_on)):
        meetings.setdefault(x.dispute_id, []).append(MonitoringView(x.id, x.due_on, x.held_on, x.outcome))
    held = list(m.Meeting.select().where(m.Meeting.dispute.in_(order)).order_by(m.Meeting.held_on, m.Meeting.id))
    approvals: dict[int, list[ApprovalView]] = {}
    for ap in (m.Approval.select(m.Approval, m.Staff).join(m.Staff).where(m.Approval.dispute.in_(order))
               .order_by(m.Approval.at, m.Approval.id)):
        approvals.setdefault(ap.dispute_id, []).append(
            ApprovalView(ap.id, ap.stage_record_id, ap.gate, ap.decision, ap.reason, ap.by_id, ap.by.name, ap.at))
    talks: dict[int, list[ConversationView]] = {}
    for t in (m.Conversation.select().where(m.Conversation.dispute.in_(order))
              .order_by(m.Conversation.held_at, m.Conversation.id)):
        talks.setdefault(t.dispute_id, []).append(
            ConversationView(t.id, t.held_at, t.with_whom, t.how, t.agreed, t.timescale))
    step_rows = list(m.CafcassStep.select().where(m.CafcassStep.dispute.in_(order))
                     .order_by(m.CafcassStep.at, m.CafcassStep.id))
    people = {d.raised_by_id for d in rows.values()} | {d.updated_by_id or 0 for d in rows.values()}
    people |= {r.responder_id or 0 for rs in records.values() for r in rs}
    people |= {x.responder_id for xs in resp.values() for x in xs}
    people |= {c.social_worker_id or 0 for c in kids.values()}
    people |= {mt.recorded_by_id for mt in held} | {st.by_id for st in step_rows}
    people |= {st.with_staff_id or 0 for st in step_rows}
    names = staff_names(i for i in people if i)
    staff = {s.id: s for s in m.Staff.select(m.Staff.id, m.Staff.team, m.Staff.active)
             .where(m.Staff.id.in_({d.raised_by_id for d in rows.values()}
                                   | {c.social_worker_id for c in kids.values() if c.social_worker_id}))}
    teams = {i: s.team_id for i, s in staff.items()}
    steps: dict[int, list[StepView]] = {}
    for st in step_rows:
        steps.setdefault(st.dispute_id, []).append(
            StepView(st.id, st.kind, st.at, st.note, st.by_id, names.get(st.by_id, ""), told=st.told,
                     before=st.before_step, level=st.level, with_id=st.with_staff_id,
                     with_name=names.get(st.with_staff_id or 0, ""), held_at=st.held_at))
    held_at: dict[int, list[MeetingView]] = {}
    for mt in held:
        held_at.setdefault(mt.dispute_id, []).append(
            MeetingView(mt.id, mt.stage_key, mt.held_on, mt.attendees, mt.outcome, names.get(mt.recorded_by_id, "")))
    holders = holders_for({c.team_id for c in kids.values()} | {t for t in teams.values() if t is not None})
    out = []
    for i in order:
        d = rows.get(i)
        if d is None:
            continue
        c = kids[d.child_id]
        child = ChildView(c.id, c.case_number, c.name, c.legal_status, c.team_id, c.team.name, c.chair_id,
                          c.social_worker_id, names.get(c.social_worker_id or 0, ""), c.sibling_group_id,
                          c.date_of_birth)
        out.append(DisputeView(
            id=d.id, reference=d.reference, child=child, raised_by_id=d.raised_by_id,
            raised_by_name=names.get(d.raised_by_id, ""), issue_arose=d.issue_arose, raised_on=d.raised_on,
            category=d.category, policy_key=d.policy_key, policy_version=d.policy_version,
            start_stage=d.start_stage, current_stage=d.current_stage, status=Status(d.status),
            immediate=d.immediate, link_group=d.link_group, concern=d.concern, impact=d.impact,
            wanted=d.wanted, timescales=d.timescales, child_wishes=d.child_wishes,
            against_wishes=d.against_wishes, child_informed_on=d.child_informed_on,
            child_informed_how=d.child_informed_how, outcome=d.outcome, created_at=d.created_at,
            updated_at=d.updated_at, updated_by_name=names.get(d.updated_by_id or 0, ""),
            closed_at=d.closed_at, version=d.version, raised_by_team_id=teams.get(d.raised_by_id),
            stages=tuple(_stage_view(r, names, acts.get(r.id, []), resp.get(r.id, []))
                         for r in records.get(d.id, [])),
            monitoring=tuple(meetings.get(d.id, ())), policy_digest=d.policy_digest,
            conversations=tuple(talks.get(d.id, ())), steps=tuple(steps.get(d.id, ())),
            facts=tuple(k for k in (d.facts or "").split(",") if k), meetings=tuple(held_at.get(d.id, ())),
            holders=tuple(h for h in holders if h.team_id in (c.team_id, teams.get(d.raised_by_id))),
            social_worker_active=bool(c.social_worker_id and c.social_worker_id in staff
                                      and staff[c.social_worker_id].active),
            approvals=tuple(approvals.get(d.id, ())),
        ))
    return out


__all__ = ["MOST", "candidates", "views"]
