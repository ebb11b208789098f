"""What the administrator's screen reads: children by case number (never a name), and the
procedure in force with what it is pinned to and what is wrong with it here.

An administrator manages accounts and configuration, not dispute content: the children list
gives each child's case number, legal status, teams, chair and whether the child is open to
the service, never the child's name or any dispute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

from peewee import JOIN

from drp_tui.domain.policy_check import Finding, check_installation, check_policy
from drp_tui.services.accounts import installation_chains
from drp_tui.services.common import service
from drp_tui.services.context import Ctx
from drp_tui.services.pinning import PinReport, pin_report
from drp_tui.services.permissions import acting_admin
from drp_tui.store import models as m

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "policies"
CHILDREN_AT_MOST = 500  # rows of the children list (search narrows it)


@dataclass(frozen=True)
class AdminChild:
    case_number: str
    legal_status: str
    team: str
    lead_team: str
    chair: str  # the chair's user name ("" = none)
    closed_on: date | None


@dataclass(frozen=True)
class Procedure:
    key: str
    name: str
    version: int
    source: str
    digest: str
    path: str  # where it was loaded from ("" for a built-in profile)
    pins: PinReport
    findings: tuple[Finding, ...]


@service
def children(ctx: Ctx, search: str = "") -> list[AdminChild]:
    """Children by case number (a search narrows by case number, team or chair), at most
    CHILDREN_AT_MOST, open ones first."""
    acting_admin(ctx, "manage children")
    team = m.Team.alias()
    lead = m.Team.alias()
    chair = m.Staff.alias()
    q = (m.Child.select(m.Child.case_number, m.Child.legal_status, m.Child.closed_on, team.name.alias("team_name"),
                        lead.name.alias("lead_name"), chair.username.alias("chair_name"))
         .join(team, on=(m.Child.team == team.id))
         .switch(m.Child).join(lead, join_type=JOIN.LEFT_OUTER, on=(m.Child.lead_team == lead.id))
         .switch(m.Child).join(chair, join_type=JOIN.LEFT_OUTER, on=(m.Child.chair == chair.id)))
    s = search.strip()
    if s:
        like = f"%{s}%"
        q = q.where(m.Child.case_number ** like | team.name ** like | chair.username ** like)
    q = q.order_by(m.Child.case_number).limit(CHILDREN_AT_MOST)
    rows = cast("list[tuple[str, str, date | None, str, str | None, str | None]]", list(q.tuples()))
    out = [AdminChild(cn, status, team_name, lead_name or "", chair_name or "", closed)
           for cn, status, closed, team_name, lead_name, chair_name in rows]
    return sorted(out, key=lambda c: c.closed_on is not None)  # open ones first


@service
def procedure(ctx: Ctx) -> Procedure:
    """The profile in force, the open disputes pinned to it and to older versions, and its
    findings (its own, and against this installation's teams)."""
    acting_admin(ctx, "see the procedure in force")
    p = ctx.policy
    findings = check_policy(p) + check_installation(p, installation_chains(ctx))
    builtin = bool(p.path) and Path(p.path).resolve().parent == BUILTIN_DIR
    return Procedure(p.key, p.name, p.version, p.source, p.digest, "" if builtin else p.path, pin_report(p),
                     tuple(findings))
