"""Reads of children's records are recorded (UK GDPR: an access record for children's social care data):
``record_read`` appends one ``read`` event naming the view and the dispute or child
by id/reference only; ``access_log`` lists who opened what about a child, for
oversight and administrators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drp_tui.domain.model import Role
from drp_tui.services.common import actor, service, valid_id
from drp_tui.services.context import Ctx
from drp_tui.services.errors import NotFound, PermissionDenied, ValidationError
from drp_tui.store import models as m
from drp_tui.store.access_log import accesses as _accesses
from drp_tui.store.audit import record_read as _record_read

__all__ = ["record_read", "access_log", "AccessEntry", "VIEWS"]

# The views whose opening is recorded, and what each one names.
VIEWS = {
    "dispute": "dispute",  # a dispute's page
    "dispute history": "dispute",
    "child history": "child",
    "children list": "",
    "reports": "",
    "export": "",
}


@service
def record_read(ctx: Ctx, view: str, *, dispute_id: int | None = None, child_id: int | None = None,
                what: str = "") -> int:
    """Record that the signed-in person opened ``view`` (one insert). Returns the event id.

    Who may open it is the caller's business (the desk checks visibility first); this
    only writes the record: ids and references, never names.
    """
    actor(ctx)
    needs = VIEWS.get(view)
    if needs is None:
        raise ValidationError(f"view: unknown view {view!r}", field="view")
    reference = ""
    if needs == "dispute":
        if dispute_id is None:
            raise ValidationError("dispute: which dispute was opened?", field="dispute_id")
        d = m.Dispute.get_or_none(m.Dispute.id == dispute_id)
        if d is None:
            raise NotFound(f"Dispute {dispute_id} does not exist.")
        reference, child_id = d.reference, d.child_id
    elif needs == "child":
        if child_id is None or m.Child.get_or_none(m.Child.id == child_id) is None:
            raise NotFound("That child does not exist.")
    what = what.replace("\n", " ")[:80]
    ev = _record_read(ctx.now(), ctx.actor_id, view, dispute_id=dispute_id, reference=reference,
                      child_id=child_id, what=what)
    return int(ev.id)


@dataclass(frozen=True)
class AccessEntry:
    """One access: who (staff id and user name), when, what (view and dispute reference)."""

    event_id: int
    at: datetime
    staff_id: int | None
    username: str
    what: str
    dispute_id: int | None


@service
def access_log(ctx: Ctx, child_id: int) -> list[AccessEntry]:
    """Who opened a child's disputes or history, oldest first: oversight and administrators only."""
    who = actor(ctx)
    if Role(who.role) not in (Role.OVERSIGHT, Role.ADMIN):
        raise PermissionDenied("Only the IRO service manager (oversight) or an administrator can see who "
                               "looked at a child's records.")
    if valid_id(child_id) is None or m.Child.get_or_none(m.Child.id == child_id) is None:
        raise NotFound("That child does not exist.")
    return [AccessEntry(a.event_id, a.at, a.actor_id, a.username, a.summary, a.dispute_id)
            for a in _accesses(child_id)]
