"""What the desk shows: every read of a dispute, a child, a history or the inbox.

One function per screen's read; each takes ``ctx`` first like the other services,
refuses a disabled (or unknown) account with ``PermissionDenied`` before reading
anything, and asks :mod:`drp_tui.store.visibility` (the one rule) what the
person may see. Nothing here writes.

What each role sees (the rule itself is in ``store.visibility``):

* a chair: the disputes they raised or that concern children they chair; those children;
* a responder: the disputes sent or copied to them; the children allocated to them
  and the children of those disputes;
* oversight: its own team's disputes and children, never another team's;
* an administrator: no child and no dispute — the caseload, children, history and
  sibling lists are empty, the inbox holds only notes without a dispute or child,
  and the reports give counts only (``services.reports``);
* a disabled account: nothing — every function here raises ``PermissionDenied``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from drp_tui.domain.model import DisputeRow, Role
from drp_tui.domain.reading import CaseloadQuery
from drp_tui.services.common import NOT_ACTIVE, actor_of, valid_id
from drp_tui.services.context import Ctx
from drp_tui.services.errors import NotFound, PermissionDenied
from drp_tui.store import models as m
from drp_tui.store import queries, visibility

if TYPE_CHECKING:
    from drp_tui.domain.moves import Actor  # (the moves are loaded when first asked: not at start)
    from drp_tui.domain.views import (  # (nor a dispute's view, nor what the other screens' reads answer)
        ChildLine, ChildView, ComplimentTarget, DisputeView, Found, History, NotificationView)

NOT_YOURS = "That dispute is not one you are involved in, so it cannot be shown."
NOT_YOUR_CHILD = "That child is not one of yours, so they cannot be shown."


def reader(ctx: Ctx) -> m.Staff:
    """The active account reading (``PermissionDenied`` for a disabled or unknown one). In a
    ``visibility.one_snapshot`` the row the visibility rule then reads for them: read once, not
    once for each (a caseload page read the person twice, a round trip each on PostgreSQL)."""
    who = visibility.viewer(valid_id(ctx.actor_id))
    if who is None:
        raise PermissionDenied(NOT_ACTIVE)
    return who


def me(ctx: Ctx) -> Actor:
    """The signed-in person as the moves see them (role, team, levels held now)."""
    return actor_of(ctx)


# --- caseload -----------------------------------------------------------------------

def caseload_count(ctx: Ctx, q: CaseloadQuery) -> int:
    with visibility.one_snapshot():  # (the person and their disputes as of one moment)
        who = reader(ctx)
        return queries.caseload_count(replace(q, viewer_id=who.id))


def caseload_page(ctx: Ctx, q: CaseloadQuery, offset: int, limit: int,
                  stage_label: dict[str, str] | None = None, *, total: int | None = None) -> list[DisputeRow]:
    """One page of the caseload; each row's stage is labelled by the procedure its dispute
    is pinned to (``stage_label``, the installation's labels, only where that has no such stage)."""
    with visibility.one_snapshot():  # (the person and their disputes as of one moment)
        who = reader(ctx)
        rows = queries.caseload_page(replace(q, viewer_id=who.id), offset, limit, stage_label, total=total)
    out = []
    for row in rows:
        policy = ctx.policy_of(row)
        short_ref = policy.short_reference(row.reference)
        try:
            stage = policy.stage(row.stage_key)
        except KeyError:
            out.append(replace(row, short_reference=short_ref))
            continue
        out.append(replace(row, stage_label=stage.label, stage_short=stage.short_label, short_reference=short_ref))
    return out


# --- find anything ------------------------------------------------------------------

FIND_AT_MOST = 12  # of each kind: a finder shows a few, the person types more to narrow


def find(ctx: Ctx, text: str) -> Found:
    """Children and disputes matching ``text``, among those this person may see (the read
    rule), at most FIND_AT_MOST of each. An administrator sees no child: refused."""
    from drp_tui.domain.views import Found  # the finder's answer: not at the desk's start
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start

    who = reader(ctx)
    if Role(who.role) is Role.ADMIN:
        raise PermissionDenied("An administrator finds children by case number in the Admin screen, not by name.")
    want = " ".join(str(text or "").split())[:64]
    if len(want) < 2:
        return Found((), ())
    kids = tuple(queries_dispute.children_for(search=want, viewer_id=who.id)[:FIND_AT_MOST])
    q = CaseloadQuery(view="all", text=want, sort="reference", viewer_id=who.id, now=ctx.now())
    rows = tuple(caseload_page(ctx, q, 0, FIND_AT_MOST))
    return Found(kids, rows)


# --- children -----------------------------------------------------------------------

def children(ctx: Ctx, search: str = "") -> list[ChildLine]:
    """The children screen: the children this person may see, their open disputes
    (that they may see) and their visible siblings."""
    from drp_tui.domain.views import ChildLine  # the children screen's lines: not at the desk's start
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start
    from drp_tui.store import queries_screens  # the children screen's counts: not at the desk's start

    who = reader(ctx)
    found = queries_dispute.children_for(search=search, viewer_id=who.id)
    counts = queries_screens.open_dispute_counts((c.id for c in found), viewer_id=who.id)
    groups = queries_screens.sibling_names(
        (c.sibling_group_id for c in found if c.sibling_group_id is not None), viewer_id=who.id)
    return [ChildLine(c, counts.get(c.id, 0),
                      tuple(name for cid, name in groups.get(c.sibling_group_id or -1, ()) if cid != c.id))
            for c in found]


def child(ctx: Ctx, child_id: int) -> ChildView:
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start

    who = reader(ctx)
    if not isinstance(child_id, int) or not visibility.can_see_child(who.id, child_id):
        raise PermissionDenied(NOT_YOUR_CHILD)
    return queries_dispute.get_child(child_id)


def child_siblings(ctx: Ctx, child_id: int) -> list[ChildView]:
    """The child's siblings this person may see (the raise form offers them)."""
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start

    who = reader(ctx)
    if not visibility.can_see_child(who.id, child_id):
        raise PermissionDenied(NOT_YOUR_CHILD)
    return queries_dispute.siblings_of(child_id, viewer_id=who.id)


def team_ids(ctx: Ctx) -> tuple[int, ...]:
    """Teams of the children this person may see (the caseload's "team" view): the teams of the
    children screen's children, read as one DISTINCT query (not the whole children screen)."""
    with visibility.one_snapshot():  # (the person's visible ids as the caseload's pages keep them)
        who = reader(ctx)
        return queries.child_team_ids(viewer_id=who.id)


def team_view_ids(ctx: Ctx) -> tuple[int, ...]:
    """The teams of the caseload's "team" view: a responder's own team; for a chair, the
    teams of the children they may see; for anyone else, every team someone works in."""
    who = reader(ctx)
    role = Role(who.role)
    if role is Role.RESPONDER:
        return (who.team_id,) if who.team_id is not None else ()
    if role is Role.CHAIR:
        return team_ids(ctx)
    return tuple(sorted({s.team_id for s in queries.list_staff() if s.team_id is not None}))


def staff_names(ctx: Ctx, staff_ids: Iterable[int]) -> dict[int, str]:
    """The names of these staff (a dispute's approvers, responders, people informed)."""
    reader(ctx)
    return queries.staff_names(staff_ids)


def staff_id(ctx: Ctx, username: str) -> int | None:
    """The id of the active account ``username`` (who a chair names to send a stage to), or None."""
    reader(ctx)
    found = queries.find_staff(username.strip())
    return found.id if found is not None and found.active else None


# --- compliments --------------------------------------------------------------------

def compliment_target(ctx: Ctx, child_id: int) -> ComplimentTarget:
    """The child (``PermissionDenied`` if not theirs to see), then its social worker and the
    holder of the procedure's first responder level in the child's team."""
    from drp_tui.domain.views import ComplimentTarget  # a compliment's target: not at the desk's start
    from drp_tui.store import queries_screens  # its recipients: not at the desk's start

    kid = child(ctx, child_id)
    level = ctx.policy.stages[0].responder_level if ctx.policy.stages else "team_manager"
    return ComplimentTarget(kid, queries_screens.compliment_recipients(child_id, level))


# --- one dispute, its siblings, its history -------------------------------------------

def may_see(ctx: Ctx, dispute_id: int) -> bool:
    """May this person see this dispute? (The one rule, ``store.visibility``; no refusal.)"""
    return visibility.can_see(ctx.actor_id, dispute_id)


def dispute(ctx: Ctx, dispute_id: int) -> DisputeView:
    """One dispute in full (``sibling_ids``: only siblings this person may see)."""
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start

    who = reader(ctx)
    if not isinstance(dispute_id, int) or isinstance(dispute_id, bool):
        raise NotFound("That dispute does not exist.")
    if not visibility.can_see(who.id, dispute_id):
        raise PermissionDenied(NOT_YOURS)
    return queries_dispute.get_dispute(dispute_id, viewer_id=who.id)


def siblings(ctx: Ctx, dispute_id: int) -> list[DisputeView]:
    """The disputes raised together with this one that this person may see."""
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start

    view = dispute(ctx, dispute_id)
    return [queries_dispute.get_dispute(i, viewer_id=ctx.actor_id) for i in view.sibling_ids]


def history(ctx: Ctx, *, dispute_id: int | None = None, child_id: int | None = None) -> History:
    """A dispute's events, or a child's: the child's own events and those of the
    child's disputes this person may see."""
    from drp_tui.domain.views import History  # a history: not at the desk's start
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start

    who = reader(ctx)
    if dispute_id is not None:
        view = dispute(ctx, dispute_id)
        return History(None, (view,), tuple(queries_dispute.events_for(dispute_id=dispute_id)))
    if child_id is None:
        raise NotFound("Neither a dispute nor a child was given.")
    kid = child(ctx, child_id)
    ids = [i for i in queries.disputes_for_child(child_id) if visibility.can_see(who.id, i)]
    events = tuple(e for e in queries_dispute.events_for(child_id=child_id) if e.dispute_id is None or e.dispute_id in ids)
    return History(kid, tuple(queries_dispute.get_dispute(i, viewer_id=who.id) for i in ids), events)


# --- inbox --------------------------------------------------------------------------------

def inbox(ctx: Ctx, limit: int = 200) -> tuple[list[NotificationView], dict[int, str]]:
    """The person's own notifications (and the compliments behind them). An administrator's
    inbox holds only notes that name no dispute or child."""
    from drp_tui.store import queries_dispute  # a dispute's view: not at the desk's start
    from drp_tui.store import queries_screens  # the compliments behind the notes: not at the desk's start

    who = reader(ctx)
    items = queries_dispute.notifications_for(who.id, limit)
    if not visibility.sees_content(who):
        items = [n for n in items if n.dispute_id is None and n.kind != "compliment"]
    else:
        items = [n for n in items if n.dispute_id is None or visibility.can_see(who.id, n.dispute_id)]
    texts = queries_screens.compliment_texts(n.id for n in items if n.kind == "compliment")
    return items, texts


def unread(ctx: Ctx) -> int:
    who = reader(ctx)
    return queries.unread_count(who.id)


def account_active(staff_id: int) -> bool:
    """Is this account still there and active? (The desk asks at each data poll.)"""
    return visibility.viewer(staff_id) is not None
