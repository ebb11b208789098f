"""Retention: what is due for disposal, legal holds, and disposing of a closed dispute's content.

The rule (how long a closed record is kept) is decided once in ``domain.retention`` from the
config file's ``[retention]``; callers pass it in (``Setup.config.retention``). Only an
administrator or oversight (the IRO service manager) may list, hold, release or dispose;
a chair or a responder is refused (and the refusal is audited, as every refusal is).

Nothing here shows a name: disputes are named by reference, with their dates. Disposal
(``dispose``) keeps the dispute row (its reference, dates, status: the audit trail's
events point at it) emptied of every text; deletes its stages, responses, SMART actions,
approvals, conversations, meetings, monitoring meetings, Cafcass steps, notifications and
drafts; and, when the child is closed to the service and has no other dispute still kept,
removes the child's name and date of birth. Rows are deleted through the models, so the
disposal's event carries their "deleted" digests and ``drp check`` stays clean; the event
itself holds the reference, the dates, the reason and counts of what was deleted, no
personal data. A disposed dispute is visible to nobody (``store.visibility``).

Events already in the audit trail are never changed (they are chained and keyed): what
they say (an event's summary may quote a reason typed then) stays, as the trail's own
record of what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from collections.abc import Sequence

from peewee import fn

from drp_tui.domain.model import Role, Status
from drp_tui.domain.retention import RetentionRule, disposal_due
from drp_tui.domain.timeutil import format_date, london_date
from drp_tui.services.common import clean_text, event, service
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError, NotFound, PermissionDenied
from drp_tui.services.permissions import INACTIVE, staff_of
from drp_tui.store import models as m
from drp_tui.store.db import for_update

NO_RULE = ("No retention period is set: add [retention] with closed_years (and until_age) to the "
           "config file (see docs/DEPLOYMENT.md); nothing is disposed of without one.")
DISPOSED_NAME = "(disposed)"
TEXT_FIELDS = ("concern", "impact", "wanted", "timescales", "child_wishes", "child_informed_how", "outcome")


@dataclass(frozen=True)
class RetentionLine:
    """One closed dispute as retention sees it: no names, no text."""

    reference: str
    status: str
    closed_on: date
    due_on: date | None  # None: never (see why)
    why: str
    held: bool
    held_since: date | None
    due: bool  # due_on has come and there is no hold


@dataclass(frozen=True)
class Disposed:
    reference: str
    closed_on: date
    due_on: date
    deleted: dict[str, int]
    child_anonymised: bool


def _require(ctx: Ctx, doing: str) -> m.Staff:
    """An active administrator or oversight account (the command line signs in as one)."""
    who = staff_of(ctx)
    if who is None or not who.active:
        raise PermissionDenied(INACTIVE)
    if Role(who.role) not in (Role.ADMIN, Role.OVERSIGHT):
        raise PermissionDenied(f"Only an administrator or oversight can {doing}.")
    return who


def _closed_on(d: m.Dispute) -> date | None:
    if Status(d.status).is_open or d.closed_at is None:
        return None
    return london_date(d.closed_at)


def _holds(dispute_id: int) -> list[m.RetentionHold]:
    return list(m.RetentionHold.select().where((m.RetentionHold.dispute == dispute_id)
                                               & m.RetentionHold.released_at.is_null())
                .order_by(m.RetentionHold.id))


def _line(ctx: Ctx, rule: RetentionRule, d: m.Dispute, child: m.Child, closed: date) -> RetentionLine:
    due = disposal_due(rule, closed, child.legal_status, child.date_of_birth)
    holds = _holds(d.id)
    return RetentionLine(
        reference=d.reference, status=Status(d.status).label, closed_on=closed, due_on=due.on, why=due.why,
        held=bool(holds), held_since=london_date(holds[0].placed_at) if holds else None,
        due=due.on is not None and due.on <= ctx.today() and not holds)


def _disposed_ids() -> Any:
    return m.Disposal.select(m.Disposal.dispute)


@service
def due_list(ctx: Ctx, rule: RetentionRule | None, include_all: bool = False) -> list[RetentionLine]:
    """Closed disputes due for disposal today (held ones too, marked), earliest due first;
    ``include_all``: every closed dispute not yet disposed of, with its due day."""
    _require(ctx, "see what is due for disposal")
    if rule is None:
        raise DomainError(NO_RULE)
    closed = [s.value for s in Status if not s.is_open]
    q = (m.Dispute.select(m.Dispute, m.Child).join(m.Child)
         .where(m.Dispute.status.in_(closed) & m.Dispute.closed_at.is_null(False)
                & m.Dispute.id.not_in(_disposed_ids()))
         .order_by(m.Dispute.closed_at, m.Dispute.id))
    out = []
    today = ctx.today()
    for d in q:
        closed_on = _closed_on(d)
        if closed_on is None:
            continue
        line = _line(ctx, rule, d, d.child, closed_on)
        if include_all or (line.due_on is not None and line.due_on <= today):
            out.append(line)
    return sorted(out, key=lambda x: (x.due_on is None, x.due_on or date.max, x.reference))


def _dispute(reference: object) -> m.Dispute:
    ref = clean_text(reference, "reference", required=True, short=True)
    d = for_update(m.Dispute.select().where(m.Dispute.reference == ref)).first()
    if d is None:
        d = for_update(m.Dispute.select().where(fn.LOWER(m.Dispute.reference) == ref.lower())).first()  # any case
    if d is None:
        raise NotFound(f"reference: no dispute '{ref}'")
    return d  # type: ignore[no-any-return]


def _not_disposed(d: m.Dispute) -> None:
    if m.Disposal.select().where(m.Disposal.dispute == d.id).exists():
        raise DomainError(f"{d.reference} was disposed of already.")


@service
def hold(ctx: Ctx, reference: str, reason: str) -> None:
    """Place a legal hold: the dispute is not disposed of until the hold is released (audited)."""
    who = _require(ctx, "place a legal hold")
    why = clean_text(reason, "reason", required=True, short=True)
    d = _dispute(reference)
    _not_disposed(d)
    if _holds(d.id):
        raise DomainError(f"{d.reference} is on hold already; release it first to change the reason.")
    m.RetentionHold.create(dispute=d.id, reason=why, placed_by=who.id, placed_at=ctx.now())
    event(ctx, "retention_hold", f"{d.reference}: legal hold placed by {who.username}", d, after={"reason": why})


@service
def release(ctx: Ctx, reference: str, reason: str) -> None:
    """Release a dispute's legal hold (audited); it may then be disposed of when due."""
    who = _require(ctx, "release a legal hold")
    why = clean_text(reason, "reason", required=True, short=True)
    d = _dispute(reference)
    holds = _holds(d.id)
    if not holds:
        raise DomainError(f"{d.reference} is not on hold.")
    for h in holds:
        h.released_by_id = who.id
        h.released_at = ctx.now()
        h.release_reason = why
        h.save()
    event(ctx, "retention_release", f"{d.reference}: legal hold released by {who.username}", d,
          after={"reason": why})


def _delete(rows: Sequence[m.BaseModel], counts: dict[str, int]) -> None:
    for row in rows:
        row.delete_instance()
        name = type(row)._meta.table_name
        counts[name] = counts.get(name, 0) + 1


@service
def dispose(ctx: Ctx, rule: RetentionRule | None, reference: str, reason: str) -> Disposed:
    """Dispose of a closed dispute's personal content at the end of its retention period (see the
    module text). Refused, naming why: no rule, still open, not due yet, on hold, disposed already."""
    who = _require(ctx, "dispose of a record")
    why = clean_text(reason, "reason", required=True, short=True)
    if rule is None:
        raise DomainError(NO_RULE)
    d = _dispute(reference)
    _not_disposed(d)
    closed = _closed_on(d)
    if closed is None:
        raise DomainError(f"{d.reference} is not closed: only a closed dispute's record is disposed of.")
    child = m.Child.get_by_id(d.child_id)
    line = _line(ctx, rule, d, child, closed)
    if line.held:
        raise DomainError(f"{d.reference} is on legal hold (since {format_date(line.held_since)}): "  # type: ignore[arg-type]
                          "release the hold first.")
    if line.due_on is None:
        raise DomainError(f"{d.reference} is not due for disposal: {line.why}.")
    if line.due_on > ctx.today():
        raise DomainError(f"{d.reference} is not due for disposal until {format_date(line.due_on)} ({line.why}).")
    counts: dict[str, int] = {}
    records = list(m.StageRecord.select().where(m.StageRecord.dispute == d.id))
    rec_ids = [r.id for r in records]
    if rec_ids:
        _delete(list(m.Action.select().where(m.Action.stage_record.in_(rec_ids))), counts)
        _delete(list(m.StageResponse.select().where(m.StageResponse.stage_record.in_(rec_ids))), counts)
    _delete(list(m.Approval.select().where(m.Approval.dispute == d.id)), counts)
    _delete(records, counts)
    steps: tuple[Any, ...] = (m.Conversation, m.MonitoringMeeting, m.Meeting, m.CafcassStep)
    for model in steps:
        _delete(list(model.select().where(model.dispute == d.id)), counts)
    loose: tuple[Any, ...] = (m.Notification, m.Draft, m.MailOutbox)
    for model in loose:  # not digested rows: deleted in one statement each
        n = model.delete().where(model.dispute == d.id).execute()
        if n:
            counts[model._meta.table_name] = n
    blank: dict[Any, Any] = {getattr(m.Dispute, f): "" for f in TEXT_FIELDS}
    blank.update({m.Dispute.child_informed_on: None, m.Dispute.version: m.Dispute.version + 1,
                  m.Dispute.updated_at: ctx.now(), m.Dispute.updated_by: who.id})
    m.Dispute.update(blank).where(m.Dispute.id == d.id).execute()
    m.note_write(m.Dispute, d.id)
    m.Disposal.create(dispute=d.id, reason=why, closed_on=closed, due_on=line.due_on, disposed_by=who.id,
                      disposed_at=ctx.now())
    kept = (m.Dispute.select().where((m.Dispute.child == child.id) & (m.Dispute.id != d.id)
                                     & m.Dispute.id.not_in(_disposed_ids())).exists())
    anonymised = child.closed_on is not None and not kept
    if anonymised:
        child.name = DISPOSED_NAME
        child.date_of_birth = None
        child.save()
    event(ctx, "disposed",
          f"{d.reference}: personal content disposed of by {who.username} (closed {closed.isoformat()}, "
          f"due {line.due_on.isoformat()})", d,
          after={"reason": why, "deleted": counts, "child_anonymised": anonymised})
    return Disposed(d.reference, closed, line.due_on, counts, anonymised)
