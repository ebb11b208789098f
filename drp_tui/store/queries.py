"""Read side: queries that return frozen domain objects (never model rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from peewee import JOIN, Expression, fn

from drp_tui.domain.model import (
    ActionView,
    ApprovalView,
    ChildView,
    ConversationView,
    Decision,
    DisputeRow,
    MeetingView,
    DisputeView,
    EventView,
    HolderView,
    MonitoringView,
    StepView,
    NotificationView,
    ResponseView,
    Role,
    StaffView,
    StageView,
    Status,
)
from drp_tui.domain.reading import CaseloadQuery as CaseloadQuery  # (its home is the domain)
from drp_tui.store import models as m
from drp_tui.store.visibility import children_visible_to, viewer, visible_to

HIDDEN_KINDS = ("read",)  # access records: the access log's, not a dispute's story


def staff_view(s: m.Staff) -> StaffView:
    return StaffView(s.id, s.username, s.name, Role(s.role), s.team_id, s.title, s.active)


def get_staff(staff_id: int) -> StaffView:
    return staff_view(m.Staff.get_by_id(staff_id))


def find_staff(username: str) -> StaffView | None:
    s = m.Staff.get_or_none(m.Staff.username == username)
    return staff_view(s) if s else None


def list_staff(active_only: bool = False) -> list[StaffView]:
    q = m.Staff.select().order_by(m.Staff.name)
    if active_only:
        q = q.where(m.Staff.active == True)  # noqa: E712
    return [staff_view(s) for s in q]


def staff_names(ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {s.id: s.name for s in m.Staff.select(m.Staff.id, m.Staff.name).where(m.Staff.id.in_(ids))}


def child_view(c: m.Child) -> ChildView:
    sw = c.social_worker
    return ChildView(
        c.id, c.case_number, c.name, c.legal_status, c.team_id, c.team.name, c.chair_id,
        c.social_worker_id, sw.name if sw else "", c.sibling_group_id, c.date_of_birth, c.lead_team_id,
    )


def get_child(child_id: int) -> ChildView:
    return child_view(m.Child.get_by_id(child_id))


def matches(field, text: str) -> Expression:  # type: ignore[no-untyped-def]
    """``field`` contains ``text`` literally, case-insensitively: ``%``, ``_`` and ``\\`` match
    themselves (peewee's ``contains`` escapes them with an ESCAPE clause; SQLite and PostgreSQL)."""
    return field.contains(text)


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


def child_team_ids(*, viewer_id: int) -> tuple[int, ...]:
    """The teams of the children ``children_for(viewer_id=...)`` lists (open to the service)."""
    q = (m.Child.select(m.Child.team).distinct()
         .where(m.Child.closed_on.is_null() & children_visible_to(viewer(viewer_id))))
    return tuple(sorted(int(team) for (team,) in cast("Iterable[tuple[int]]", q.tuples())))


def siblings_of(child_id: int, *, viewer_id: int | None = None) -> list[ChildView]:
    c = m.Child.get_by_id(child_id)
    if c.sibling_group_id is None:
        return []
    q = m.Child.select().where((m.Child.sibling_group == c.sibling_group_id) & (m.Child.id != c.id))
    if viewer_id is not None:
        q = q.where(children_visible_to(viewer(viewer_id)))
    return [child_view(x) for x in q.order_by(m.Child.name)]


def _stage_view(r: m.StageRecord, names: dict[int, str], actions: Sequence[m.Action],
                responses: Sequence[m.StageResponse] = ()) -> StageView:
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
    q = (m.TeamRole.select(m.TeamRole, m.Staff).join(m.Staff)
         .where(m.TeamRole.team.in_(teams) & (m.Staff.active == True))  # noqa: E712
         .order_by(m.TeamRole.id))
    return tuple(HolderView(tr.level, tr.team_id, tr.staff.id, tr.staff.name) for tr in q)


def awaiting_reply(staff_id: int | None) -> Expression:
    """A condition on ``Dispute`` rows: the current stage awaits a response from ``staff_id``
    (its one responder, or one of its joint responders who has not yet responded)."""
    sr, rec = m.StageResponse, m.StageRecord
    joint = (sr.select(sr.id).join(rec, on=(sr.stage_record == rec.id))
             .where((sr.responder == staff_id) & sr.response_at.is_null()
                    & (rec.dispute == m.Dispute.id) & (rec.stage_key == m.Dispute.current_stage)))
    return (m.Dispute.status == Status.SENT.value) & ((m.Dispute.responder == staff_id) | fn.EXISTS(joint))


def get_dispute(dispute_id: int, *, viewer_id: int | None = None) -> DisputeView:
    """One dispute in full; with ``viewer_id``, ``sibling_ids`` lists only siblings that person may see
    (the caller checks the dispute itself with ``visibility.can_see``)."""
    d = m.Dispute.get_by_id(dispute_id)
    records = list(m.StageRecord.select().where(m.StageRecord.dispute == d.id).order_by(m.StageRecord.seq))
    acts: dict[int, list[m.Action]] = {}
    if records:
        for a in m.Action.select().where(m.Action.stage_record.in_([r.id for r in records])).order_by(m.Action.due, m.Action.id):
            acts.setdefault(a.stage_record_id, []).append(a)
    resp: dict[int, list[m.StageResponse]] = {}
    if records:
        for x in (m.StageResponse.select().where(m.StageResponse.stage_record.in_([r.id for r in records]))
                  .order_by(m.StageResponse.id)):
            resp.setdefault(x.stage_record_id, []).append(x)
    ids = [d.raised_by_id, d.updated_by_id or 0] + [r.responder_id or 0 for r in records]
    ids += [x.responder_id for xs in resp.values() for x in xs]
    names = staff_names(i for i in ids if i)
    siblings: tuple[int, ...] = ()
    if d.link_group:
        sq = m.Dispute.select(m.Dispute.id).where((m.Dispute.link_group == d.link_group) & (m.Dispute.id != d.id))
        if viewer_id is not None:
            sq = sq.where(visible_to(viewer(viewer_id)))
        siblings = tuple(x.id for x in sq.order_by(m.Dispute.id))
    monitoring = tuple(
        MonitoringView(x.id, x.due_on, x.held_on, x.outcome)
        for x in m.MonitoringMeeting.select().where(m.MonitoringMeeting.dispute == d.id).order_by(m.MonitoringMeeting.due_on)
    )
    meetings = tuple(
        MeetingView(x.id, x.stage_key, x.held_on, x.attendees, x.outcome, staff_names([x.recorded_by_id]).get(
            x.recorded_by_id, ""))
        for x in m.Meeting.select().where(m.Meeting.dispute == d.id).order_by(m.Meeting.held_on, m.Meeting.id)
    )
    approvals = tuple(
        ApprovalView(x.id, x.stage_record_id, x.gate, x.decision, x.reason, x.by_id, x.by.name, x.at)
        for x in m.Approval.select(m.Approval, m.Staff).join(m.Staff).where(m.Approval.dispute == d.id)
        .order_by(m.Approval.at, m.Approval.id)
    )
    conversations = tuple(
        ConversationView(x.id, x.held_at, x.with_whom, x.how, x.agreed, x.timescale)
        for x in m.Conversation.select().where(m.Conversation.dispute == d.id).order_by(m.Conversation.held_at, m.Conversation.id)
    )
    step_rows = list(m.CafcassStep.select().where(m.CafcassStep.dispute == d.id).order_by(m.CafcassStep.at, m.CafcassStep.id))
    step_names = staff_names({x.by_id for x in step_rows} | {x.with_staff_id for x in step_rows if x.with_staff_id})
    steps = tuple(
        StepView(x.id, x.kind, x.at, x.note, x.by_id, step_names.get(x.by_id, ""), told=x.told, before=x.before_step,
                 level=x.level, with_id=x.with_staff_id, with_name=step_names.get(x.with_staff_id or 0, ""),
                 held_at=x.held_at)
        for x in step_rows
    )
    return DisputeView(
        id=d.id, reference=d.reference, child=child_view(d.child), raised_by_id=d.raised_by_id,
        raised_by_name=names.get(d.raised_by_id, ""), issue_arose=d.issue_arose, raised_on=d.raised_on,
        category=d.category, policy_key=d.policy_key, policy_version=d.policy_version,
        start_stage=d.start_stage, current_stage=d.current_stage, status=Status(d.status),
        immediate=d.immediate, link_group=d.link_group, concern=d.concern, impact=d.impact,
        wanted=d.wanted, timescales=d.timescales, child_wishes=d.child_wishes,
        against_wishes=d.against_wishes, child_informed_on=d.child_informed_on,
        child_informed_how=d.child_informed_how, outcome=d.outcome, created_at=d.created_at,
        updated_at=d.updated_at, updated_by_name=names.get(d.updated_by_id or 0, ""),
        closed_at=d.closed_at, version=d.version, raised_by_team_id=d.raised_by.team_id,
        stages=tuple(_stage_view(r, names, acts.get(r.id, []), resp.get(r.id, [])) for r in records),
        monitoring=monitoring, conversations=conversations, steps=steps, sibling_ids=siblings,
        policy_digest=d.policy_digest, facts=tuple(k for k in d.facts.split(",") if k), meetings=meetings,
        holders=holders_for((d.child.lead_team_id or d.child.team_id, d.raised_by.team_id)),
        social_worker_active=bool(d.child.social_worker_id and d.child.social_worker.active),
        approvals=approvals,
    )


# --- the caseload ------------------------------------------------------------

VIEWS = ("mine", "awaiting", "team", "overdue", "resolved", "all")


def _caseload_columns():  # type: ignore[no-untyped-def]
    """Every column a caseload row shows (read for one page's ids only)."""
    Responder = m.Staff.alias()
    SR = m.StageRecord.alias()
    last_sent = (SR.select(fn.MAX(SR.sent_at)).where(SR.dispute == m.Dispute.id))
    return (
        m.Dispute.select(
            m.Dispute.id, m.Dispute.reference, m.Dispute.category, m.Dispute.current_stage,
            m.Dispute.status, m.Dispute.next_due_at, m.Dispute.next_due_kind, m.Dispute.paused,
            m.Dispute.raised_by, m.Dispute.responder, m.Dispute.policy_key, m.Dispute.policy_digest,
            m.Child.name.alias("child_name"),
            m.Child.case_number, Responder.name.alias("responder_name"),
            last_sent.alias("sent_at"),
        )
        .join(m.Child, on=(m.Dispute.child == m.Child.id))
        .switch(m.Dispute)
        .join(Responder, JOIN.LEFT_OUTER, on=(m.Dispute.responder == Responder.id))
        .switch(m.Dispute)
    )


def _caseload_select(q: CaseloadQuery):  # type: ignore[no-untyped-def]
    """The disputes of the view ``q`` (their ids: which and in what order, nothing else)."""
    sel = m.Dispute.select(m.Dispute.id).join(m.Child, on=(m.Dispute.child == m.Child.id)).switch(m.Dispute)
    open_statuses = [s.value for s in Status if s.is_open]
    closed = [Status.RESOLVED.value, Status.CAFCASS.value, Status.WITHDRAWN.value]
    if q.view == "mine":
        sel = sel.where((m.Dispute.raised_by == q.staff_id) & m.Dispute.status.in_(open_statuses))
    elif q.view == "awaiting":
        sel = sel.where(_awaiting(q.staff_id))
    elif q.view == "team":
        sel = sel.where(m.Child.team.in_(list(q.team_ids)) & m.Dispute.status.in_(open_statuses))
    elif q.view == "overdue":
        sel = sel.where(m.Dispute.next_due_at < q.now)
        if q.staff_id is not None:
            sel = sel.where((m.Dispute.raised_by == q.staff_id) | (m.Dispute.responder == q.staff_id))
    elif q.view == "resolved":
        sel = sel.where(m.Dispute.status.in_(closed))
        if q.staff_id is not None:
            sel = sel.where(m.Dispute.raised_by == q.staff_id)
    if q.viewer_id is not None:
        sel = sel.where(visible_to(viewer(q.viewer_id)))
    if q.text:
        sel = sel.where(matches(m.Dispute.reference, q.text) | matches(m.Child.name, q.text)
                        | matches(m.Child.case_number, q.text) | matches(m.Dispute.category, q.text))
    return sel


def _awaiting(staff_id: int | None) -> Expression:
    """The caseload's "Awaiting me": a response awaited from this person (sent to them, or to
    them among a stage's joint responders and not yet given, or further actions agreed with
    them), a response awaiting their decision (they raised it), or a stage awaiting their agreement (they were asked, and it is not yet agreed, declined by them, or sent)."""
    D, SR, SRR = m.Dispute, m.StageRecord, m.StageResponse
    answering = (SR.select(SR.dispute).where(SR.responder == staff_id)
                 | SR.select(SR.dispute).join(SRR, on=(SRR.stage_record == SR.id)).where(SRR.responder == staff_id))
    asked = m.Notification.select(m.Notification.dispute).where(
        (m.Notification.recipient == staff_id) & (m.Notification.kind == "approval"))
    decided = m.Approval.select(m.Approval.stage_record).where(m.Approval.by == staff_id)
    unagreed = SR.select(SR.dispute).where(SR.sent_at.is_null() & SR.approval_by.is_null() & SR.id.not_in(decided))
    return (awaiting_reply(staff_id)
            | ((D.status == Status.NEGOTIATING.value) & D.id.in_(answering))
            | ((D.raised_by == staff_id) & D.status.in_([Status.RESPONDED.value, Status.NEGOTIATING.value]))
            | ((D.status == Status.DRAFT.value) & D.id.in_(asked) & D.id.in_(unagreed)))


def caseload_count(q: CaseloadQuery) -> int:
    """How many disputes the view holds (reads every one of them: not for every key press)."""
    return int(_caseload_select(q).count())


def _caseload_order(sort: str) -> list[Any]:
    orders: dict[str, list[Any]] = {
        "due": [m.Dispute.next_due_at.is_null(), m.Dispute.next_due_at, m.Dispute.id],  # index dispute_due_order
        "reference": [m.Dispute.reference],
        "child": [m.Child.name, m.Dispute.id],
        "stage": [m.Dispute.current_stage, m.Dispute.id],
    }
    return orders[sort]


def caseload_page(q: CaseloadQuery, offset: int, limit: int,
                  stage_label: dict[str, str] | None = None, *, total: int | None = None) -> list[DisputeRow]:
    """Rows ``offset`` .. ``offset + limit`` of the view, in its order.

    First only the page's ids (walking the order's index where there is one, and stopping
    after the page), then the shown columns of those ids alone. With ``total`` (the view's
    size, when known) a page in the second half is read from the end, backwards."""
    order = _caseload_order(q.sort)
    if total is not None and offset > total // 2:
        back = max(0, total - offset - limit)
        take = max(0, min(limit, total - offset))
        found = _caseload_select(q).order_by(*[o.desc() for o in order]).offset(back).limit(take)
        ids = [i for (i,) in found.tuples()][::-1]
    else:
        ids = [i for (i,) in _caseload_select(q).order_by(*order).offset(offset).limit(limit).tuples()]
    if not ids:
        return []
    by_id: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):  # (a bound on the query's parameters)
        by_id.update((r["id"], r) for r in _caseload_columns().where(m.Dispute.id.in_(ids[i:i + 500])).dicts())
    labels = stage_label or {}
    out = []
    for r in (by_id[i] for i in ids if i in by_id):
        sent = r["sent_at"]
        if isinstance(sent, str):  # aggregate bypasses the field converter
            sent = m.StageRecord.sent_at.python_value(sent)
        elif sent is not None and sent.tzinfo is None:
            sent = m.StageRecord.sent_at.python_value(sent)
        out.append(DisputeRow(
            id=r["id"], reference=r["reference"], child_name=r["child_name"],
            case_number=r["case_number"], category=r["category"], stage_key=r["current_stage"],
            stage_label=labels.get(r["current_stage"], r["current_stage"]),
            status=Status(r["status"]), with_whom=r["responder_name"] or "",
            sent_at=sent, next_due_at=r["next_due_at"], next_due_kind=r["next_due_kind"],
            paused=r["paused"], raised_by_id=r["raised_by"], responder_id=r["responder"],
            policy_key=r["policy_key"], policy_digest=r["policy_digest"],
        ))
    return out


# --- inbox and history ---------------------------------------------------------

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


def sent_dedupes(keys: Sequence[str], chunk: int = 500) -> set[str]:
    """Those of ``keys`` that a notification already carries as its dedupe key (one query per
    ``chunk`` keys). Written as SQL with placeholders: peewee takes longer to build an IN list of
    thousands than the database takes to answer it."""
    table = m.Notification._meta.table_name
    found: set[str] = set()
    for i in range(0, len(keys), chunk):
        part = list(keys[i:i + chunk])
        marks = ", ".join([m.database.param] * len(part))
        cursor = m.database.execute_sql(f"SELECT dedupe FROM {table} WHERE dedupe IN ({marks})", part)
        found.update(str(row[0]) for row in cursor.fetchall())
    return found


def unread_count(staff_id: int) -> int:
    return (m.Notification.select().where((m.Notification.recipient == staff_id)
                                          & m.Notification.read_at.is_null()).count())


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


def levels_of(staff_id: int) -> frozenset[tuple[str, int]]:
    """The management levels a person holds: (level key, team id)."""
    return frozenset((tr.level, tr.team_id) for tr in
                     m.TeamRole.select(m.TeamRole.level, m.TeamRole.team).where(m.TeamRole.staff == staff_id))


def disputes_for_child(child_id: int) -> list[int]:
    return [d.id for d in m.Dispute.select(m.Dispute.id).where(m.Dispute.child == child_id).order_by(m.Dispute.id)]
