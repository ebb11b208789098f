"""Inbox and compliments: notifications read and acknowledged, reminders, compliments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drp_tui.domain.model import DueState, Role, Status
from drp_tui.domain.deadlines import due_state
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import PolicyError
from drp_tui.domain.timeutil import format_due
from drp_tui.services.common import actor, clean_text, event, holder, notify, service
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError, PermissionDenied, ValidationError
from drp_tui.store import models as m
from drp_tui.store.db import write_txn
from drp_tui.store.queries import awaiting_reply, sent_dedupes


def _own(ctx: Ctx, notification_id: int) -> m.Notification:
    n = m.Notification.get_or_none(m.Notification.id == notification_id)
    if n is None:
        raise ValidationError(f"notification {notification_id} does not exist", field="notification")
    if n.recipient_id != ctx.actor_id:
        raise PermissionDenied("That notification is someone else's.")
    return n


@service
def mark_read(ctx: Ctx, notification_id: int) -> None:
    n = _own(ctx, notification_id)
    if n.read_at is None:
        n.read_at = ctx.now()
        n.save()


@service
def acknowledge(ctx: Ctx, notification_id: int) -> None:
    n = _own(ctx, notification_id)
    now = ctx.now()
    n.read_at = n.read_at or now
    n.acknowledged_at = n.acknowledged_at or now
    n.save()


@service
def mark_all_read(ctx: Ctx) -> int:
    return int(m.Notification.update(read_at=ctx.now()).where(
        (m.Notification.recipient == ctx.actor_id) & m.Notification.read_at.is_null()).execute())


@service
def send_compliment(ctx: Ctx, child_id: int, text: str) -> int:
    """Recognise good practice: to the child's social worker and their team manager."""
    who = actor(ctx)
    if Role(who.role) is not Role.CHAIR:
        raise PermissionDenied("Only a chair can send a compliment.")
    if not ctx.policy.rules.compliments:
        raise DomainError("This procedure has no compliments form.")
    child = m.Child.get_or_none(m.Child.id == child_id)
    if child is None:
        raise ValidationError(f"child {child_id} does not exist", field="child")
    if child.chair_id != who.id:
        raise PermissionDenied(f"{child.name} is not one of your children.")
    body = clean_text(text, "compliment", required=True)
    manager_level = ctx.policy.stages[0].responder_level
    manager = holder(manager_level, (child.team_id,))
    if child.social_worker_id is None and manager is None:
        raise DomainError(f"{child.name} has no allocated social worker or team manager to receive it.")
    c = m.Compliment.create(child=child, sender=who, practitioner=child.social_worker_id, manager=manager,
                            text=body, created_at=ctx.now())
    notify(ctx, [child.social_worker_id, manager], "compliment",
           f"Compliment from {who.name} about your work with {child.name}", compliment=c)
    event(ctx, "compliment", f"Compliment sent about work with {child.case_number}", child_id=child.id,
          after={"to": [child.social_worker_id, manager.id if manager else None]})
    return int(c.id)


def _policy_of(ctx: Ctx, d: Any) -> Policy:
    try:
        return ctx.policy_of(d)
    except PolicyError:  # a procedure no longer installed: the one in force decides "due soon"
        return ctx.policy


# Due disputes checked against the notifications sent, per query. Each chunk's rows, keys and
# query are held at once: at 500 the sign-in's reminders for a chair with 3,600 due disputes
# made the desk's peak 0.36 MB higher than at 100 (46.93 -> 46.57 MB), for 37 small queries
# instead of 8, on the start's background thread.
REMIND_CHUNK = 100


def remind(ctx: Ctx) -> int:
    """Reminders for the signed-in person: their disputes due soon, due today or overdue.

    One notification per dispute, clock and state (a dedupe key), so calling this
    every minute from the desk is cheap and never repeats itself. The disputes are read as
    a stream and checked ``REMIND_CHUNK`` at a time, so a chair with thousands of open
    disputes does not hold them all (only the reminders still to make are kept).
    """
    now = ctx.now()
    horizon = now + timedelta(days=7)
    D = m.Dispute
    q = (D.select(D.id, D.reference, D.next_due_at, D.next_due_kind, D.paused, D.policy_key, D.policy_digest)
         .where(D.next_due_at.is_null(False) & (D.next_due_at < horizon)
                & ((D.raised_by == ctx.actor_id) | (D.responder == ctx.actor_id) | awaiting_reply(ctx.actor_id))
                & D.status.not_in([Status.RESOLVED.value, Status.CAFCASS.value, Status.WITHDRAWN.value]))
         .namedtuples())  # (plain rows, streamed: a chair may have thousands, read every minute)
    missing: list[tuple[str, Any, DueState]] = []
    chunk: list[tuple[str, Any, DueState]] = []

    def check() -> None:
        new = _not_sent([key for key, _, _ in chunk])
        missing.extend(item for item in chunk if item[0] in new)
        chunk.clear()

    for d in q.iterator():
        st = due_state(d.next_due_at, now, ctx.calendar, _policy_of(ctx, d), ctx.due_soon_days, paused=d.paused)
        if st in (DueState.OVERDUE, DueState.DUE_TODAY, DueState.DUE_SOON):
            chunk.append((f"{ctx.actor_id}:{d.id}:{d.next_due_kind}:{st.value}:{d.next_due_at.isoformat()}", d, st))
            if len(chunk) >= REMIND_CHUNK:
                check()
    if chunk:
        check()
    if not missing:
        return 0  # the usual case: nothing new, and no write transaction (no commit, no refresh anywhere)
    made = 0
    with write_txn():
        # again inside the transaction: another session may have just sent them
        still = _not_sent(sorted(key for key, _, _ in missing))
        # made in the disputes' order, whatever index the database walked to find them (the inbox
        # lists a minute's reminders in the order they were made); sorted here, the few to make,
        # not in the query: SQLite would hold every row it found to sort them (thousands for a chair)
        for key, d, st in sorted(missing, key=lambda item: item[1].id):
            if key not in still:
                continue
            m.Notification.create(recipient=ctx.actor_id, kind="reminder", dispute=d.id, created_at=now,
                                  text=f"{d.reference}: {d.next_due_kind} {st.label} (due {format_due(d.next_due_at)})",
                                  dedupe=key)
            made += 1
    return made


def _not_sent(keys: list[str]) -> set[str]:
    """The reminder keys in ``keys`` that no notification has yet."""
    return set(keys) - sent_dedupes(keys)
