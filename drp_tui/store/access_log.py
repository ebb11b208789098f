"""A child's access record: the ``read`` and ``export`` events about the child or their disputes
(loaded when an access record is asked for: ``drp audit access``, the history's access log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from peewee import JOIN

from drp_tui.store import models as m
from drp_tui.store.audit import EXPORT_KIND, READ_KIND

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class Access:
    event_id: int
    at: datetime
    actor_id: int | None
    username: str
    summary: str
    dispute_id: int | None


def accesses(child_id: int) -> list[Access]:
    """Who opened what about a child (their disputes, their history), oldest first."""
    disputes = m.Dispute.select(m.Dispute.id).where(m.Dispute.child == child_id)
    q = (m.Event.select(m.Event.id, m.Event.at, m.Event.actor, m.Event.summary, m.Event.dispute, m.Staff.username)
         .join(m.Staff, on=(m.Event.actor == m.Staff.id), join_type=JOIN.LEFT_OUTER)
         .where(m.Event.kind.in_((READ_KIND, EXPORT_KIND))
                & ((m.Event.child == child_id) | m.Event.dispute.in_(disputes)))
         .order_by(m.Event.id))
    out = []
    for e in q.objects():
        out.append(Access(e.id, e.at, e.actor_id, getattr(e, "username", None) or "", e.summary, e.dispute_id))
    return out
