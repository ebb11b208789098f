"""Read side: one dispute's full view (and many at once), a child's, the inbox's and the
history's, as the frozen views of ``domain.views`` (never model rows). Apart from
``store.queries`` so that neither these nor their view classes load at the desk's start (its
first caseload page makes none of them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from peewee import JOIN, ForeignKeyField

from drp_tui.domain.model import Decision, Status
from drp_tui.domain.views import (
    ActionView,
    ApprovalView,
    ChildView,
    ConversationView,
    DisputeView,
    EventView,
    HolderView,
    MeetingView,
    MonitoringView,
    NotificationView,
    ResponseView,
    StageView,
    StepView,
)
from drp_tui.store import models as m
from drp_tui.store.queries import values_in, matches, staff_names
from drp_tui.store.visibility import children_visible_to, viewer, visible_to

HIDDEN_KINDS = ("read", "export")  # access records: the access log's, not a dispute's story


def child_view(c: m.Child) -> ChildView:
    sw = c.social_worker
    return ChildView(
        c.id, c.case_number, c.name, c.legal_status, c.team_id, c.team.name, c.chair_id,
        c.social_worker_id, sw.name if sw else "", c.sibling_group_id, c.date_of_birth, c.lead_team_id,
    )


def get_child(child_id: int) -> ChildView:
    return child_view(m.Child.get_by_id(child_id))


def children_for(chair_id: int | None = None, search: str = "", *, viewer_id: int | None = None,
                 closed: bool = False) -> list[ChildView]:
    """Children (by name); ``chair_id`` = only theirs; ``viewer_id`` = only those that person may see;
    a child closed to the service (``drp child close``) only with ``closed``."""
    q = m.Child.select(m.Child, m.Team).join(m.Team).switch(m.Child)
    if not closed:
        q = q.where(m.Child.closed_on.is_null())
    if chair_id is not None:
        q = q.where(m.Child.chair == chair_id)
    if viewer_id is not None:
        q = q.where(children_visible_to(viewer(viewer_id)))
    if search:
        q = q.where(matches(m.Child.name, search) | matches(m.Child.case_number, search))
    return [child_view(c) for c in q.order_by(m.Child.name)]


def siblings_of(child_id: int, *, viewer_id: int | None = None) -> list[ChildView]:
    c = m.Child.get_by_id(child_id)
    if c.sibling_group_id is None:
        return []
    q = m.Child.select().where((m.Child.sibling_group == c.sibling_group_id) & (m.Child.id != c.id))
    if viewer_id is not None:
        q = q.where(children_visible_to(viewer(viewer_id)))
    return [child_view(x) for x in q.order_by(m.Child.name)]


def _stage_view(r: Any, names: dict[int, str], actions: Sequence[m.Action],
                responses: Sequence[m.StageResponse] = ()) -> StageView:
    """A stage record's view (``r``: a row of :func:`_row_columns`' columns, or the model's own row)."""
    inform = tuple(int(x) for x in r.inform.split(",") if x)
    return StageView(
        id=r.id, stage_key=r.stage_key, seq=r.seq, sent_at=r.sent_at, responder_id=r.responder_id,
        responder_name=names.get(r.responder_id, "") if r.responder_id else "",
        inform_ids=inform, due_at=r.due_at, due_date=r.due_date,
        chair_concern=r.chair_concern, chair_impact=r.chair_impact, chair_wanted=r.chair_wanted,
        chair_timescales=r.chair_timescales, response=r.response, response_at=r.response_at,
        response_by_id=r.response_by_id, response_on_behalf=r.response_on_behalf,
        decision=Decision(r.decision) if r.decision else None, decision_comment=r.decision_comment,
        decision_at=r.decision_at, extension_until=r.extension_until,
        extension_reason=r.extension_reason, negotiation_until=r.negotiation_until,
        negotiation_note=r.negotiation_note, approval_by_id=r.approval_by_id,
        approval_at=r.approval_at, started_at=r.started_at,
        actions=tuple(ActionView(a.id, a.description, a.owner, a.due, a.done_on) for a in actions),
        responses=tuple(ResponseView(x.responder_id, names.get(x.responder_id, ""), x.response, x.response_at,
                                     x.recorded_by_id, x.on_behalf) for x in responses),
    )


def holders_for(team_ids: Iterable[int | None]) -> tuple[HolderView, ...]:
    """The active holders of every level in these teams, in the order they were given the level."""
    teams = [t for t in team_ids if t is not None]
    if not teams:
        return ()
    q = (m.TeamRole.select(m.TeamRole, m.Staff.id, m.Staff.name).join(m.Staff)  # (not the rest of the person's row)
         .where(m.TeamRole.team.in_(teams) & (m.Staff.active == True))  # noqa: E712
         .order_by(m.TeamRole.id))
    return tuple(HolderView(tr.level, tr.team_id, tr.staff.id, tr.staff.name) for tr in q)


def get_dispute(dispute_id: int, *, viewer_id: int | None = None) -> DisputeView:
    """One dispute in full (``m.Dispute.DoesNotExist`` if there is none); with ``viewer_id``,
    ``sibling_ids`` lists only siblings that person may see (the caller checks the dispute
    itself with ``visibility.can_see``)."""
    found = dispute_views([dispute_id], viewer_id=viewer_id)
    if not found:
        raise m.Dispute.DoesNotExist(f"no dispute {dispute_id}")
    return found[0]


def _row_columns(model: Any, *skip: str) -> list[Any]:
    """Every column of ``model`` but ``skip``, each foreign key under its column's name
    (``raised_by_id``): read as ``namedtuples()``, a row has the model row's attribute names
    and values, without building a model instance for every row (half of a list's reading)."""
    return [f.alias(f.column_name) if isinstance(f, ForeignKeyField) else f
            for f in model._meta.sorted_fields if f.name not in skip]


def dispute_views(ids: Iterable[int], *, viewer_id: int | None = None) -> list[DisputeView]:
    """These disputes in full, in a fixed number of queries (not a few per dispute), in the order
    given; ids that do not exist are left out. The one way a ``DisputeView`` is read (one dispute
    is :func:`get_dispute`). With ``viewer_id``, ``sibling_ids`` lists only the siblings that
    person may see (the caller checks the disputes themselves with ``visibility.can_see``)."""
    return list(each_dispute_view(ids, viewer_id=viewer_id))


def each_dispute_view(ids: Iterable[int], *, viewer_id: int | None = None) -> Iterator[DisputeView]:
    """:func:`dispute_views` one at a time: its queries are sent when the first view is asked for
    (ask for them all in one ``visibility.one_snapshot()``), and each view is made only when
    asked for. A caller that lets each view go holds one view at a time, not all of them: 200
    views held together were about 0.5 MB of a desk's peak memory."""
    order = list(dict.fromkeys(ids))
    if not order:
        return
    D, SR = m.Dispute, m.StageRecord
    among = values_in(order)
    rows = {d.id: d for d in D.select(*_row_columns(D, "imported_ref", "next_due_at", "next_due_kind", "paused"))
            .where(D.id.in_(among)).namedtuples().iterator()}
    kid_ids = list({d.child_id for d in rows.values()})
    kids = {c.id: c for c in m.Child.select(*_row_columns(m.Child), m.Team.name.alias("team_name"))
            .join(m.Team).where(m.Child.id.in_(values_in(kid_ids) if kid_ids else [])).namedtuples().iterator()}
    records: dict[int, list[Any]] = {}
    for r in SR.select(*_row_columns(SR)).where(SR.dispute.in_(among)).order_by(SR.seq).namedtuples().iterator():
        records.setdefault(r.dispute_id, []).append(r)
    acts: dict[int, list[m.Action]] = {}
    rec_ids = [r.id for rs in records.values() for r in rs]
    if rec_ids:
        for a in (m.Action.select().where(m.Action.stage_record.in_(values_in(rec_ids)))
                  .order_by(m.Action.due, m.Action.id)):
            acts.setdefault(a.stage_record_id, []).append(a)
    resp: dict[int, list[m.StageResponse]] = {}
    if rec_ids:
        for sr in (m.StageResponse.select().where(m.StageResponse.stage_record.in_(values_in(rec_ids)))
                   .order_by(m.StageResponse.id)):
            resp.setdefault(sr.stage_record_id, []).append(sr)
    meetings: dict[int, list[MonitoringView]] = {}
    for x in (m.MonitoringMeeting.select().where(m.MonitoringMeeting.dispute.in_(among))
              .order_by(m.MonitoringMeeting.due_on)):
        meetings.setdefault(x.dispute_id, []).append(MonitoringView(x.id, x.due_on, x.held_on, x.outcome))
    held = list(m.Meeting.select().where(m.Meeting.dispute.in_(among)).order_by(m.Meeting.held_on, m.Meeting.id))
    approvals: dict[int, list[ApprovalView]] = {}
    for ap in (m.Approval.select(m.Approval, m.Staff.id, m.Staff.name).join(m.Staff).where(m.Approval.dispute.in_(among))
               .order_by(m.Approval.at, m.Approval.id)):
        approvals.setdefault(ap.dispute_id, []).append(
            ApprovalView(ap.id, ap.stage_record_id, ap.gate, ap.decision, ap.reason, ap.by_id, ap.by.name, ap.at))
    talks: dict[int, list[ConversationView]] = {}
    for t in (m.Conversation.select().where(m.Conversation.dispute.in_(among))
              .order_by(m.Conversation.held_at, m.Conversation.id)):
        talks.setdefault(t.dispute_id, []).append(
            ConversationView(t.id, t.held_at, t.with_whom, t.how, t.agreed, t.timescale))
    step_rows = list(m.CafcassStep.select().where(m.CafcassStep.dispute.in_(among))
                     .order_by(m.CafcassStep.at, m.CafcassStep.id))
    people = {d.raised_by_id for d in rows.values()} | {d.updated_by_id or 0 for d in rows.values()}
    people |= {r.responder_id or 0 for rs in records.values() for r in rs}
    people |= {x.responder_id for xs in resp.values() for x in xs}
    people |= {c.social_worker_id or 0 for c in kids.values()}
    people |= {mt.recorded_by_id for mt in held} | {st.by_id for st in step_rows}
    people |= {st.with_staff_id or 0 for st in step_rows}
    names = staff_names(i for i in people if i)
    staff = {s.id: s for s in m.Staff.select(m.Staff.id, m.Staff.team, m.Staff.active)
             .where(m.Staff.id.in_(values_in(list({d.raised_by_id for d in rows.values()}
                                             | {c.social_worker_id for c in kids.values() if c.social_worker_id}))))}
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
    holders = holders_for({c.lead_team_id or c.team_id for c in kids.values()}
                          | {t for t in teams.values() if t is not None})
    siblings: dict[str, tuple[int, ...]] = {}
    groups = {d.link_group for d in rows.values() if d.link_group}
    # (run even for none: a fixed count of statements)
    sq = D.select(D.id, D.link_group).where(D.link_group.in_(values_in(sorted(groups)) if groups else []))
    if viewer_id is not None:
        sq = sq.where(visible_to(viewer(viewer_id)))
    for sib in sq.order_by(D.id):
        group = str(sib.link_group)
        siblings[group] = (*siblings.get(group, ()), sib.id)
    for i in order:
        d = rows.get(i)
        if d is None:
            continue
        c = kids[d.child_id]
        child = ChildView(c.id, c.case_number, c.name, c.legal_status, c.team_id, c.team_name, c.chair_id,
                          c.social_worker_id, names.get(c.social_worker_id or 0, ""), c.sibling_group_id,
                          c.date_of_birth, c.lead_team_id)
        chain = (child.chain_team_id, teams.get(d.raised_by_id))
        yield DisputeView(
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
            holders=tuple(h for h in holders if h.team_id in chain), sibling_ids=tuple(i for i in siblings.get(d.link_group or "", ()) if i != d.id),
            social_worker_active=bool(c.social_worker_id and c.social_worker_id in staff
                                      and staff[c.social_worker_id].active),
            approvals=tuple(approvals.get(d.id, ())),
        )


def notifications_for(staff_id: int, limit: int = 200, unread_only: bool = False) -> list[NotificationView]:
    # The joined row's id is selected too: without it peewee sets n.dispute to a row
    # whose id is None, and n.dispute_id with it.
    q = (m.Notification.select(m.Notification, m.Dispute.id, m.Dispute.reference)
         .join(m.Dispute, JOIN.LEFT_OUTER).switch(m.Notification)
         .where(m.Notification.recipient == staff_id))
    if unread_only:
        q = q.where(m.Notification.read_at.is_null())
    q = q.order_by(m.Notification.created_at.desc(), m.Notification.id.desc()).limit(limit)
    return [NotificationView(n.id, n.kind, n.text, n.dispute_id,
                             n.dispute.reference if n.dispute_id else "", n.created_at,
                             n.read_at, n.acknowledged_at) for n in q]


def events_for(dispute_id: int | None = None, child_id: int | None = None, limit: int = 1000) -> list[EventView]:
    q = (m.Event.select(m.Event, m.Staff.id, m.Staff.name, m.Dispute.id, m.Dispute.reference)  # ids: see above
         .join(m.Staff, JOIN.LEFT_OUTER, on=(m.Event.actor == m.Staff.id)).switch(m.Event)
         .join(m.Dispute, JOIN.LEFT_OUTER, on=(m.Event.dispute == m.Dispute.id)))
    if dispute_id is not None:
        q = q.where(m.Event.dispute == dispute_id)
    if child_id is not None:
        q = q.where(m.Event.child == child_id)
    q = q.where(m.Event.kind.not_in(HIDDEN_KINDS))  # reads are the access log's, not the dispute's story
    q = q.order_by(m.Event.id).limit(limit)
    out = []
    for e in q:
        actor = e.actor.name if e.actor_id else "system"
        ref = e.dispute.reference if e.dispute_id else ""
        out.append(EventView(e.id, e.at, actor, e.kind, e.summary, e.before, e.after, e.dispute_id, ref))
    return out
