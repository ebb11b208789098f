"""Who may see which disputes: the read side's rule, as a query condition.

A dispute is visible to: the chair who raised it; the child's chair and
allocated social worker; every manager a stage of it was sent or copied to, who
responded or approved; anyone notified about it; oversight (the IRO service
manager) of the raising chair's own team or of the child's team; and the holders
of a management level in the raising chair's own team. Administrators see no
dispute content. (``services.permissions`` holds the write side's rules.)
"""

from __future__ import annotations

from peewee import Expression, Value

from drp_tui.domain.model import Role
from drp_tui.store import models as m


def visible_to(who: m.Staff) -> Expression:
    """A condition on ``Dispute`` rows: the disputes ``who`` may see (see the module text)."""
    role = Role(who.role)
    if role is Role.ADMIN or not who.active:
        return m.Dispute.id < 0  # nothing
    sr = m.StageRecord
    as_manager = sr.select(sr.dispute).where(
        (sr.responder == who.id) | (sr.response_by == who.id) | (sr.approval_by == who.id)
        | Value(",").concat(sr.inform).concat(",").contains(f",{who.id},"))
    notified = m.Notification.select(m.Notification.dispute).where(
        (m.Notification.recipient == who.id) & m.Notification.dispute.is_null(False))
    their_children = m.Child.select(m.Child.id).where(
        (m.Child.chair == who.id) | (m.Child.social_worker == who.id))
    chain_teams = m.TeamRole.select(m.TeamRole.team).where(m.TeamRole.staff == who.id)
    chain_chairs = m.Staff.select(m.Staff.id).where(m.Staff.team.in_(chain_teams))
    expr = ((m.Dispute.raised_by == who.id) | (m.Dispute.responder == who.id)
            | m.Dispute.child.in_(their_children) | m.Dispute.id.in_(as_manager)
            | m.Dispute.id.in_(notified) | m.Dispute.raised_by.in_(chain_chairs))
    if role is Role.OVERSIGHT and who.team_id is not None:
        team_chairs = m.Staff.select(m.Staff.id).where(m.Staff.team == who.team_id)
        team_children = m.Child.select(m.Child.id).where(m.Child.team == who.team_id)
        expr = expr | m.Dispute.raised_by.in_(team_chairs) | m.Dispute.child.in_(team_children)
    return expr


def can_see(staff_id: int, dispute_id: int) -> bool:
    """For the read side (screens, queries): may this person see this dispute?"""
    who = m.Staff.get_or_none(m.Staff.id == staff_id)
    if who is None:
        return False
    return bool(m.Dispute.select(m.Dispute.id).where(
        (m.Dispute.id == dispute_id) & visible_to(who)).exists())


