"""Read side: queries that return frozen domain objects (never model rows)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from peewee import JOIN, SQL, Expression, Field, ForeignKeyField, NodeList, SqliteDatabase, Tuple, Value, fn

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

HIDDEN_KINDS = ("read", "export")  # access records: the access log's, not a dispute's story


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
    return {s.id: s.name for s in m.Staff.select(m.Staff.id, m.Staff.name).where(m.Staff.id.in_(_among(ids)))}


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


def _in_rows(lhs: Any, query: Any, op: str = "IN") -> Any:
    """``lhs IN (query)`` (or ``NOT IN``), the same SQL text as peewee's ``in_``, written once: peewee
    writes each ``IN (SELECT ...)`` twice (once to see whether it is empty), and so a subquery's
    own subqueries four times ("Awaiting me": ~4 ms of Python for every page, more than its read)."""
    return NodeList((lhs, SQL(op), query), parens=True)


def awaiting_reply(staff_id: int | None) -> Expression:
    """A condition on ``Dispute`` rows: the current stage awaits a response from ``staff_id``
    (its one responder, or one of its joint responders who has not yet responded)."""
    sr, rec, cur = m.StageResponse, m.StageRecord, m.Dispute.alias()
    # (one set of ids from the person's joint responses, not a look-up per sent dispute)
    joint = (sr.select(rec.dispute).join(rec, on=(sr.stage_record == rec.id))
             .join(cur, on=((cur.id == rec.dispute) & (cur.current_stage == rec.stage_key)))
             .where((sr.responder == staff_id) & sr.response_at.is_null()))
    sent = m.Dispute.status == Status.SENT.value  # (each branch on its own index: an OR of ANDs)
    return (sent & (m.Dispute.responder == staff_id)) | (sent & _in_rows(m.Dispute.id, joint))


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


def _among(values: Sequence[Any]) -> SQL:
    """``IN`` these ids, as one node (peewee builds a node for each value of a list, slower than
    the database answers: ~1 ms per hundred). ``values`` not empty.

    On SQLite, one parameter: the ids as a JSON array, read by ``json_each``. The statement is
    then the same for any number of ids, and the connection's statement cache keeps one small
    statement, not one with a placeholder per id (for My work's 200 disputes, the dozen
    statements of ``dispute_views`` kept about 0.4 MB for the session). Elsewhere (PostgreSQL),
    one placeholder per value."""
    if isinstance(m.database.obj, SqliteDatabase):
        return SQL("(SELECT value FROM json_each(?))", [json.dumps(list(values))])
    return SQL("(" + ", ".join([m.database.param] * len(values)) + ")", list(values))


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
    among = _among(order)
    rows = {d.id: d for d in D.select(*_row_columns(D, "imported_ref", "next_due_at", "next_due_kind", "paused"))
            .where(D.id.in_(among)).namedtuples().iterator()}
    kid_ids = list({d.child_id for d in rows.values()})
    kids = {c.id: c for c in m.Child.select(*_row_columns(m.Child), m.Team.name.alias("team_name"))
            .join(m.Team).where(m.Child.id.in_(_among(kid_ids) if kid_ids else [])).namedtuples().iterator()}
    records: dict[int, list[Any]] = {}
    for r in SR.select(*_row_columns(SR)).where(SR.dispute.in_(among)).order_by(SR.seq).namedtuples().iterator():
        records.setdefault(r.dispute_id, []).append(r)
    acts: dict[int, list[m.Action]] = {}
    rec_ids = [r.id for rs in records.values() for r in rs]
    if rec_ids:
        for a in (m.Action.select().where(m.Action.stage_record.in_(_among(rec_ids)))
                  .order_by(m.Action.due, m.Action.id)):
            acts.setdefault(a.stage_record_id, []).append(a)
    resp: dict[int, list[m.StageResponse]] = {}
    if rec_ids:
        for sr in (m.StageResponse.select().where(m.StageResponse.stage_record.in_(_among(rec_ids)))
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
             .where(m.Staff.id.in_(_among(list({d.raised_by_id for d in rows.values()}
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
    sq = D.select(D.id, D.link_group).where(D.link_group.in_(_among(sorted(groups)) if groups else []))
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


LEAD_TEXT = 3  # characters of filter text from which the person's disputes lead the query

OPEN_STATUSES = tuple(s.value for s in Status if s.is_open)
CLOSED_STATUSES = tuple(s.value for s in Status if not s.is_open)


def _status_among(statuses: Sequence[str]) -> Expression:
    """``status`` is one of ``statuses``, written ``(status || '') IN ('a', 'b')`` with the values in
    the SQL text: the very terms the partial indexes over open and over closed disputes are built on
    (migration 0022), which a planner matches only as written (never through a placeholder). The
    ``|| ''`` keeps SQLite off the plain ``status`` index (it would read every closed or open
    dispute and sort them all, instead of walking the order's index). The values are the
    ``Status`` enum's own (lower-case words), never user text."""
    assert all(re.fullmatch(r"[a-z_]+", v) for v in statuses)
    return m.Dispute.status.concat(SQL("''")).in_(SQL("(" + ", ".join(f"'{v}'" for v in statuses) + ")"))


def _walks_children(q: CaseloadQuery) -> bool:
    """Does the view's query walk the children in name order ("by child"), rather than read the
    person's own disputes (by their index) and sort those? In the views no index of the person's
    own leads: "all" and "team", and "overdue" and "resolved" read without a person (oversight)."""
    return q.view in ("all", "team") or (q.view in ("overdue", "resolved") and q.staff_id is None)


def _raised_or_awaited(staff_id: int) -> Expression:
    """Disputes this person raised or whose response awaits them, written as the one side alone
    when no dispute is on the other (a chair is seldom a dispute's responder, a manager raises
    none): that side's index in the view's order then leads and the page stops after its rows,
    where the OR read every one of the person's disputes and sorted them (two look-ups of one
    index entry each decide it; the rows are the same)."""
    D = m.Dispute
    raised, awaited = D.raised_by == staff_id, D.responder == staff_id
    if not D.select(D.id).where(awaited).exists():
        return raised
    if not D.select(D.id).where(raised).exists():
        return awaited
    return raised | awaited


def _caseload_select(q: CaseloadQuery, *, count: bool = False):  # type: ignore[no-untyped-def]
    """The disputes of the view ``q`` (their ids: which and in what order, nothing else);
    ``count``: for counting them (no order to walk: the person's own disputes may lead)."""
    sel: Any = m.Dispute.select(m.Dispute.id)
    if q.sort == "child" and _walks_children(q) and not count:
        # "By child" in the views no index of the person's own leads: the children in name order
        # (index child_name_order), each one's disputes (dispute_child_id), stopping after the
        # page. A CROSS JOIN is SQLite's way to keep that order of the loops (PostgreSQL plans
        # it as an inner join); left to the planner, it read every dispute and sorted them all
        # (~100 ms at 100,000; ~350 ms for "overdue" without a person) to show 19. (The other
        # views read the person's own disputes, by their index, and sort those.)
        sel = m.Child.select(m.Dispute.id).join(m.Dispute, JOIN.CROSS).where(m.Dispute.child == m.Child.id)
    elif q.view == "team" or q.text or (q.sort == "child" and not count):  # (the child's row only where it is read)
        sel = sel.join(m.Child, on=(m.Dispute.child == m.Child.id)).switch(m.Dispute)
    if q.view == "mine":
        sel = sel.where((m.Dispute.raised_by == q.staff_id) & m.Dispute.status.in_(list(OPEN_STATUSES)))
    elif q.view == "awaiting":
        sel = sel.where(_awaiting(q.staff_id))
    elif q.view == "team":
        # ``team_id + 0``: a test of each row the order's index walks (most disputes are a team's),
        # never the team's every child and dispute read and sorted before the first row; the open
        # statuses as the partial index over open disputes has them (by due date, read from either
        # end: from the end, not every closed dispute first).
        sel = sel.where((m.Child.team + 0).in_(list(q.team_ids)) & _status_among(OPEN_STATUSES))
    elif q.view == "overdue":
        sel = sel.where(m.Dispute.next_due_at < q.now)
        if q.staff_id is not None:
            sel = sel.where(_raised_or_awaited(q.staff_id))
    elif q.view == "resolved":
        # (the closed disputes' own partial indexes, in each order: never every open one first)
        sel = sel.where(_status_among(CLOSED_STATUSES))
        if q.staff_id is not None:
            sel = sel.where(m.Dispute.raised_by == q.staff_id)
    if q.viewer_id is not None:
        # A text of a few characters or more matches few disputes: the person's own lead (read
        # first, then sorted) rather than walking every dispute in the order for a page of
        # matches; a character or two matches many, found soon along the order. (Only in the
        # views no index of the person's own leads: Mine, Awaiting, Overdue and Resolved start
        # from the person's own raised or awaited disputes, fewer than all they may see.)
        lead = q.view in ("all", "team") and (count or len(q.text) >= LEAD_TEXT)
        sel = sel.where(visible_to(viewer(q.viewer_id), lead=lead))
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
    # (tested for each draft the person was asked about, by its own stage records: as a list,
    # every unsent stage record of every dispute was read for each query, ~30 ms at 100,000)
    unagreed = fn.EXISTS(SR.select(SR.id).where((SR.dispute == D.id) & SR.sent_at.is_null()
                                                & SR.approval_by.is_null() & _in_rows(SR.id, decided, "NOT IN")))
    return (awaiting_reply(staff_id)
            | ((D.status == Status.NEGOTIATING.value) & _in_rows(D.id, answering))
            | ((D.raised_by == staff_id) & D.status.in_([Status.RESPONDED.value, Status.NEGOTIATING.value]))
            | ((D.status == Status.DRAFT.value) & _in_rows(D.id, asked) & unagreed))


def caseload_count(q: CaseloadQuery) -> int:
    """How many disputes the view holds (reads every one of them: not for every key press)."""
    return int(_caseload_select(q, count=True).count())


def _caseload_order(sort: str) -> list[Any]:
    orders: dict[str, list[Any]] = {
        "due": [m.Dispute.next_due_at.is_null(), m.Dispute.next_due_at, m.Dispute.id],  # index dispute_due_order
        "reference": [m.Dispute.reference],
        "child": [m.Child.name, m.Dispute.id],
        "stage": [m.Dispute.current_stage, m.Dispute.id],
    }
    return orders[sort]


def _seek_condition(q: CaseloadQuery, order: list[Any]) -> Expression | None:
    """Rows after (``>``), from (``>=``) or before (``<``) the dispute ``q.seek_id`` in the order
    ``order``, as one row-value comparison on the order's own columns (so the order's index is
    entered at that row, not walked from the top). None when that dispute is gone."""
    anchor = (m.Dispute.select(*order).join(m.Child, on=(m.Dispute.child == m.Child.id))
              .where(m.Dispute.id == q.seek_id).tuples().first())
    if anchor is None:
        return None
    keys, values = list(order), list(anchor)
    if q.sort == "due" and values[1] is None:  # no deadline (they sort last, by id): the flag and the id
        keys, values = [keys[0], keys[2]], [values[0], values[2]]
    params = [Value(v, converter=k.db_value) if isinstance(k, Field) else Value(v) for k, v in zip(keys, values, strict=True)]
    if q.sort in ("reference", "stage") and q.view == "awaiting":
        # (``|| ''``: not a range on the order's index for a part of "Awaiting me"'s OR to enter:
        # that part walked every dispute the person raised past the row, not its few by status)
        keys[0] = keys[0].concat(SQL("''"))
    left, right = Tuple(*keys), Tuple(*params)
    return {"after": left > right, "from": left >= right, "before": left < right}[q.seek]


def caseload_page(q: CaseloadQuery, offset: int, limit: int,
                  stage_label: dict[str, str] | None = None, *, total: int | None = None) -> list[DisputeRow]:
    """Rows ``offset`` .. ``offset + limit`` of the view, in its order.

    First only the page's ids (walking the order's index where there is one, and stopping
    after the page), then the shown columns of those ids alone. With ``q.seek`` the page is
    found by keyset instead of ``offset``: the ``limit`` rows after, from or before the
    dispute ``q.seek_id`` in the view's order, or the view's last ``limit`` rows (``"last"``);
    if that dispute is gone, ``offset`` is used. With ``total`` (the view's size, when
    known) a page by offset in the second half is read from the end, backwards."""
    order = _caseload_order(q.sort)
    backwards = [o.desc() for o in order]
    cond = _seek_condition(q, order) if q.seek in ("after", "from", "before") and q.seek_id is not None else None
    if q.seek == "last" or q.seek == "before" and cond is not None:
        sel = _caseload_select(q) if cond is None else _caseload_select(q).where(cond)
        ids = [i for (i,) in sel.order_by(*backwards).limit(limit).tuples()][::-1]
    elif cond is not None:
        ids = [i for (i,) in _caseload_select(q).where(cond).order_by(*order).limit(limit).tuples()]
    elif total is not None and offset > total // 2:
        back = max(0, total - offset - limit)
        take = max(0, min(limit, total - offset))
        found = _caseload_select(q).order_by(*backwards).offset(back).limit(take)
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
