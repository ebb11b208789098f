"""Read queries for the children, inbox, history, compliment and reports screens.

Like :mod:`drp_tui.store.queries`: every function returns frozen domain objects
or plain values, never model rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from peewee import JOIN, fn

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.store.queries import matches
from drp_tui.store.visibility import children_visible_to, viewer, visible_to

if TYPE_CHECKING:
    from drp_tui.domain.views import ChildView, Recipient


def children_of_team(team_id: int | None, search: str = "", *, viewer_id: int | None = None) -> list[ChildView]:
    """Children of a team: allocated to the team, or chaired by one of its members
    (with ``viewer_id``: only those that person may see)."""
    from drp_tui.store.queries_dispute import child_view  # a child's view: not at the desk's start

    if team_id is None:
        return []
    members = m.Staff.select(m.Staff.id).where(m.Staff.team == team_id)
    q = (m.Child.select(m.Child, m.Team).join(m.Team).switch(m.Child)
         .where((m.Child.team == team_id) | m.Child.chair.in_(members)))
    if viewer_id is not None:
        q = q.where(children_visible_to(viewer(viewer_id)))
    if search:
        q = q.where(matches(m.Child.name, search) | matches(m.Child.case_number, search))
    return [child_view(c) for c in q.order_by(m.Child.name)]


def open_dispute_counts(child_ids: Iterable[int], *, viewer_id: int | None = None) -> dict[int, int]:
    """How many open (not resolved, referred or withdrawn) disputes each child has
    (with ``viewer_id``: of those that person may see)."""
    ids = list(set(child_ids))
    if not ids:
        return {}
    open_statuses = [s.value for s in Status if s.is_open]
    where = m.Dispute.child.in_(ids) & m.Dispute.status.in_(open_statuses)
    if viewer_id is not None:
        where = where & visible_to(viewer(viewer_id))
    q = (m.Dispute.select(m.Dispute.child, fn.COUNT(m.Dispute.id).alias("n"))
         .where(where).group_by(m.Dispute.child).tuples())
    rows = cast("list[tuple[int, int]]", list(q))
    return {int(cid): int(n) for cid, n in rows}


def sibling_names(group_ids: Iterable[int], *, viewer_id: int | None = None) -> dict[int, tuple[tuple[int, str], ...]]:
    """Every child (id, name) of each sibling group, by name (with ``viewer_id``: those that person may see)."""
    ids = list(set(group_ids))
    if not ids:
        return {}
    out: dict[int, list[tuple[int, str]]] = {}
    where = m.Child.sibling_group.in_(ids)
    if viewer_id is not None:
        where = where & children_visible_to(viewer(viewer_id))
    q = (m.Child.select(m.Child.id, m.Child.name, m.Child.sibling_group)
         .where(where).order_by(m.Child.name))
    for c in q:
        group = cast(int, c.sibling_group_id)  # (never None: the query is filtered on the groups)
        out.setdefault(group, []).append((c.id, c.name))
    return {k: tuple(v) for k, v in out.items()}


def level_holder_of_team(team_id: int, level: str) -> Recipient | None:
    """Who holds ``level`` in the team's management chain (active staff only)."""
    from drp_tui.domain.views import Recipient  # a compliment's recipient: the reports make none
    tr = (m.TeamRole.select(m.TeamRole, m.Staff).join(m.Staff)
          .where((m.TeamRole.team == team_id) & (m.TeamRole.level == level) & (m.Staff.active == True))  # noqa: E712
          .first())
    if tr is None:
        return None
    return Recipient(tr.staff.id, tr.staff.name, tr.staff.title)


def compliment_recipients(child_id: int, manager_level: str) -> tuple[Recipient, ...]:
    """Who a compliment about work with this child goes to: social worker, then manager."""
    from drp_tui.domain.views import Recipient  # a compliment's recipient: the reports make none
    c = m.Child.get_by_id(child_id)
    out: list[Recipient] = []
    sw = c.social_worker
    if sw is not None:
        out.append(Recipient(sw.id, sw.name, sw.title or "Social Worker"))
    manager = level_holder_of_team(c.team_id, manager_level)
    if manager is not None and all(r.staff_id != manager.staff_id for r in out):
        out.append(manager)
    return tuple(out)


def compliment_texts(notification_ids: Iterable[int]) -> dict[int, str]:
    """The compliment behind each compliment notification (the inbox shows it in full)."""
    ids = list(set(notification_ids))
    if not ids:
        return {}
    q = (m.Notification.select(m.Notification.id, m.Compliment.text)
         .join(m.Compliment, on=(m.Notification.compliment == m.Compliment.id))
         .where(m.Notification.id.in_(ids)).tuples())
    rows = cast("list[tuple[int, str]]", list(q))
    return {int(nid): str(text) for nid, text in rows}


# --- reports ------------------------------------------------------------------

@dataclass(frozen=True)
class DisputeFacts:
    """One dispute, flattened for the reports (no text fields)."""

    id: int
    reference: str
    child_name: str
    team_id: int
    team_name: str
    raised_by_id: int
    raised_by_name: str
    raised_by_team_id: int | None
    category: str
    policy_key: str
    current_stage: str
    status: Status
    raised_on: date
    next_due_at: datetime | None
    next_due_kind: str
    paused: bool
    responder_name: str
    policy_digest: str = ""
    closed_at: datetime | None = None  # resolved, referred to Cafcass or withdrawn: when


@dataclass(frozen=True)
class StageFacts:
    dispute_id: int
    stage_key: str
    seq: int
    sent_at: datetime | None
    due_at: datetime | None
    extension_until: datetime | None
    response_at: datetime | None


def dispute_facts(raised_by_team: int | None = None, raised_from: date | None = None,
                  raised_to: date | None = None, *, viewer_id: int | None = None) -> list[DisputeFacts]:
    """Every dispute, flattened (with ``viewer_id``: only those that person may see)."""
    Chair = m.Staff.alias()
    Responder = m.Staff.alias()
    D = m.Dispute
    q = (D.select(D.id, D.reference, D.category, D.policy_key, D.policy_digest, D.current_stage, D.status, D.raised_on,
                  D.next_due_at, D.next_due_kind, D.paused, D.raised_by, D.closed_at,
                  m.Child.name.alias("child_name"), m.Child.team.alias("team_id"), m.Team.name.alias("team_name"),
                  Chair.name.alias("chair_name"), Chair.team.alias("chair_team"),
                  Responder.name.alias("responder_name"))
         .join(m.Child, on=(D.child == m.Child.id))
         .join(m.Team, on=(m.Child.team == m.Team.id))
         .switch(D)
         .join(Chair, on=(D.raised_by == Chair.id))
         .switch(D)
         .join(Responder, JOIN.LEFT_OUTER, on=(D.responder == Responder.id)))
    if viewer_id is not None:
        q = q.where(visible_to(viewer(viewer_id)))
    if raised_by_team is not None:
        q = q.where(Chair.team == raised_by_team)
    if raised_from is not None:
        q = q.where(D.raised_on >= raised_from)
    if raised_to is not None:
        q = q.where(D.raised_on <= raised_to)
    out = []
    rows = cast("list[dict[str, Any]]", list(q.order_by(D.id).dicts()))
    for r in rows:
        out.append(DisputeFacts(
            id=r["id"], reference=r["reference"], child_name=r["child_name"], team_id=r["team_id"],
            team_name=r["team_name"], raised_by_id=r["raised_by"], raised_by_name=r["chair_name"],
            raised_by_team_id=r["chair_team"], category=r["category"], policy_key=r["policy_key"],
            current_stage=r["current_stage"], status=Status(r["status"]), raised_on=r["raised_on"],
            next_due_at=r["next_due_at"], next_due_kind=r["next_due_kind"], paused=bool(r["paused"]),
            responder_name=r["responder_name"] or "", policy_digest=r["policy_digest"],
            closed_at=r["closed_at"],
        ))
    return out


def cafcass_referred(dispute_ids: Iterable[int]) -> frozenset[int]:
    """Which of these disputes have a Cafcass referral recorded (whether or not it closed them)."""
    ids = list(set(dispute_ids))
    if not ids:
        return frozenset()
    q = (m.CafcassStep.select(m.CafcassStep.dispute)
         .where(m.CafcassStep.dispute.in_(ids) & (m.CafcassStep.kind == "cafcass_referral")))
    return frozenset(r.dispute_id for r in q)


def stage_facts(dispute_ids: Iterable[int]) -> list[StageFacts]:
    ids = list(set(dispute_ids))
    if not ids:
        return []
    q = (m.StageRecord.select(m.StageRecord.dispute, m.StageRecord.stage_key, m.StageRecord.seq,
                              m.StageRecord.sent_at, m.StageRecord.due_at, m.StageRecord.extension_until,
                              m.StageRecord.response_at)
         .where(m.StageRecord.dispute.in_(ids)).order_by(m.StageRecord.dispute, m.StageRecord.seq))
    return [StageFacts(r.dispute_id, r.stage_key, r.seq, r.sent_at, r.due_at, r.extension_until, r.response_at)
            for r in q]
