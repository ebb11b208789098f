"""Hand-over: a departing chair's open disputes and children pass to another chair.

One ``@service`` (one transaction): either everything moves or nothing does. Only an
active administrator, or the installation's administrator at the command line, may
call it. What moves:

* every *open* dispute the old chair raised (``raised_by``): the new chair is now
  the chair who raised it, so the one rule (``domain.moves``) lets them send, decide
  or withdraw it and no longer lets the old chair;
* every child the old chair chairs (``Child.chair``) that is still open to the service.

Closed disputes (resolved, withdrawn, referred to Cafcass) and closed children stay
attributed to the old chair: they are history.

Each dispute and child moved gets one audit event (before/after); the new chair is
told of each dispute (and, in one message, of the children), and the manager a moved
dispute's current stage was sent to is told who chairs it now. Each moved dispute's
row version is bumped and its clocks are refreshed.

Refused (a ``DomainError``, nothing changed) when the new account is not an active
chair, when old and new are the same account, or when, under the procedure a moved
dispute is pinned to, the new chair could not act on it: the moves must let them
withdraw it, and a stage still to be sent must have someone to go to (and someone
to approve it where the procedure asks for approval) with the new chair's team.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drp_tui.domain.model import Role, Status
from drp_tui.domain.moves import Actor, Move, moves, team_holding
from drp_tui.domain.policy import Policy
from drp_tui.services.accounts import staff_account
from drp_tui.services.common import event, holder, notify, service, touch
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError, ValidationError
from drp_tui.services.permissions import InstallationAdmin, require_admin
from drp_tui.store import models as m
from drp_tui.store.queries import levels_of
from drp_tui.store.queries_dispute import get_dispute

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView

OPEN = [s.value for s in Status if s.is_open]


@dataclass(frozen=True)
class MovedDispute:
    reference: str
    status: str  # Status value
    responder: str | None  # user name of the manager its current stage was sent to (told of the change)


@dataclass(frozen=True)
class HandoverReport:
    """What a hand-over moved (or, with ``dry_run``, would move)."""

    old: str  # user names
    new: str
    disputes: tuple[MovedDispute, ...] = ()
    children: tuple[str, ...] = ()  # case numbers
    closed_kept: int = 0  # closed disputes that stay with the old chair
    warnings: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def empty(self) -> bool:
        return not self.disputes and not self.children


_account = staff_account


def _by(ctx: Ctx, who: m.Staff | None) -> str:
    if who is not None:
        return f"by {who.name} ({who.username})"
    os_user = ctx.os_user if isinstance(ctx, InstallationAdmin) else ""
    return f"at the command line by OS user '{os_user or 'unknown'}'"


def _team_name(team_id: int | None) -> str:
    t = m.Team.get_or_none(m.Team.id == team_id) if team_id is not None else None
    return t.name if t is not None else "no team"


def _cannot_act(policy: Policy, view: DisputeView, new: m.Staff, actor: Actor, ctx: Ctx) -> str | None:
    """Why ``new`` could not act on ``view`` once it is theirs (None: they can)."""
    after = dataclasses.replace(view, raised_by_id=new.id, raised_by_name=new.name, raised_by_team_id=new.team_id)
    verdicts = moves(after, policy, actor, ctx.now(), ctx.calendar)
    w = verdicts[Move.WITHDRAW]
    if not w.allowed:
        return w.reason
    cur = after.current
    if cur is None or cur.sent_at is not None:
        return None
    try:
        stage = policy.stage(cur.stage_key)
    except KeyError:
        return None  # the moves already say what is wrong with such a stage when it is sent
    unfilled = [lv for lv in stage.answering_levels
                if policy.holder_kind(lv) == "chair_team" and holder(lv, (new.team_id,)) is None]
    # one answers: stuck only if no level could; jointly: stuck if any cannot
    if unfilled and (stage.joint or len(unfilled) == len(stage.answering_levels)):
        level = unfilled[0]
        return (f"{stage.label} goes to the {policy.level_label(level)} of the chair's own team, and no one "
                f"holds that level in {_team_name(new.team_id)}")
    if stage.requires_approval and cur.approval_by_id is None:
        approval = policy.rules.approval_level
        team = team_holding(policy, view, approval, default="chair_team", chair_team=new.team_id)
        teams = {t for t in (new.team_id, view.child.chain_team_id) if t is not None}
        by_level = bool(approval) and holder(approval, (team,)) is not None
        by_oversight = bool(teams) and m.Staff.select().where(
            (m.Staff.role == Role.OVERSIGHT.value) & (m.Staff.active == True)  # noqa: E712
            & m.Staff.team.in_(list(teams))).exists()
        if not (by_level or by_oversight):
            who = policy.level_label(approval) if approval else "a service manager"
            return (f"{stage.label} needs approval before it is sent, and no {who} could approve it for a chair "
                    f"in {_team_name(new.team_id)}")
    return None


@service
def hand_over(ctx: Ctx, old: int | str, new: int | str, dry_run: bool = False) -> HandoverReport:
    """Move ``old``'s open disputes and open children to the chair ``new`` (see the module text).

    With ``dry_run`` the same checks run and the report says what would move; nothing is written."""
    who = require_admin(ctx, "hand disputes over")
    by = _by(ctx, who)
    src = _account(old, "old")
    dst = _account(new, "new")
    if src.id == dst.id:
        raise DomainError(f"new: {src.username} is the chair handing over; name another chair.", field="new")
    if not dst.active:
        raise ValidationError(f"new: {dst.username} is disabled; hand over to an active chair", field="new")
    if Role(dst.role) is not Role.CHAIR:
        raise ValidationError(f"new: {dst.username} is {'an' if dst.role == Role.ADMIN.value else 'a'} {dst.role}, "
                              "not a chair; only a chair can take over disputes and children", field="new")
    q = m.Dispute.select().where((m.Dispute.raised_by == src.id) & m.Dispute.status.in_(OPEN)).order_by(m.Dispute.id)
    open_disputes: list[m.Dispute] = list(q)
    closed = int(m.Dispute.select().where((m.Dispute.raised_by == src.id) & m.Dispute.status.not_in(OPEN)).count())
    kids: list[m.Child] = list(m.Child.select().where((m.Child.chair == src.id) & m.Child.closed_on.is_null())
                               .order_by(m.Child.case_number))

    actor = Actor(dst.id, Role(dst.role), dst.team_id, levels_of(dst.id))
    views = {d.id: get_dispute(d.id) for d in open_disputes}
    problems = []
    for d in open_disputes:
        why = _cannot_act(ctx.policy_of(views[d.id]), views[d.id], dst, actor, ctx)
        if why:
            problems.append(f"{d.reference}: {why}")
    if problems:
        raise DomainError(f"new: {dst.username} could not act on {len(problems)} of {src.username}'s open dispute(s), "
                          f"so nothing was handed over. " + "; ".join(problems) + ".", field="new")

    warnings = []
    if open_disputes and src.team_id != dst.team_id:
        warnings.append(f"{dst.username} is in {_team_name(dst.team_id)}, {src.username} in "
                        f"{_team_name(src.team_id)}: the moved disputes' oversight and chair's-team levels are "
                        f"now {_team_name(dst.team_id)}'s.")
    moved: list[MovedDispute] = []
    for d in open_disputes:
        cur = views[d.id].current
        responder = None
        if cur is not None and cur.sent_at is not None and cur.responder_id is not None:
            responder = m.Staff.get_by_id(cur.responder_id)
        moved.append(MovedDispute(d.reference, d.status, responder.username if responder else None))
        if dry_run:
            continue
        event(ctx, "handed_over", f"{d.reference} handed over from {src.username} to {dst.username} {by}", d,
              before={"chair": src.username}, after={"chair": dst.username})
        touch(ctx, d, raised_by=dst.id)
        notify(ctx, [dst], "info", f"{d.reference} ({d.child.name}) handed over to you from {src.name}", d)
        if responder is not None:
            notify(ctx, [responder], "info",
                   f"{d.reference} ({d.child.name}) is now chaired by {dst.name} (handed over from {src.name})", d)
    if not dry_run:
        for c in kids:
            c.chair = dst
            c.save()
            event(ctx, "child_chair_handed_over",
                  f"Child {c.case_number}: chair handed over from {src.username} to {dst.username} {by}",
                  child_id=int(c.id), before={"chair": src.username}, after={"chair": dst.username})
        if kids:
            names = ", ".join(f"{c.name} ({c.case_number})" for c in kids[:10])
            more = f" and {len(kids) - 10} more" if len(kids) > 10 else ""
            notify(ctx, [dst], "info", f"You now chair {len(kids)} child(ren) handed over from {src.name}: "
                                       f"{names}{more}")
    return HandoverReport(src.username, dst.username, tuple(moved), tuple(c.case_number for c in kids), closed,
                          tuple(warnings), dry_run)


__all__ = ["HandoverReport", "MovedDispute", "hand_over"]
