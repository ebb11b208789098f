"""Families across teams (seed 001:49): "the IRO will make this with the lead team who has main case
responsibility" — the dispute goes to the lead team's management chain; the other teams involved
(the child's own team, its siblings' teams) are copied. Through the command line and the services."""

from __future__ import annotations


import pytest

from drp_tui.domain.moves import Move
from drp_tui.services import work
from drp_tui.store import models as m
from tests.unit.test_cli_dispute import START, Cli, cli, raise_at  # noqa: F401  (the cli fixture)


@pytest.fixture
def policy_key() -> str:
    return "mosaic-iro"


def lead_team_world(c: Cli) -> tuple[m.Team, dict[str, m.Staff]]:
    """A second social care team (Children with Disabilities) with its own chain; the first child leads there."""
    w = c.world
    cwd = m.Team.create(name="Children with Disabilities", kind="social_care")
    chain: dict[str, m.Staff] = {}
    for i, level in enumerate(w.policy.levels):
        if level.holder == "chair_team":
            continue
        s = m.Staff.create(username=f"cwd{i}", name=f"CWD {level.label}", role="responder", team=cwd,
                           password_hash=m.Staff.get(m.Staff.username == "chair1").password_hash,
                           created_at=w.clock.now())
        m.TeamRole.create(team=cwd, level=level.key, staff=s)
        chain[level.key] = s
    return cwd, chain


def test_the_lead_teams_chain_answers_and_the_childs_own_team_is_copied(cli: Cli) -> None:
    c, w = cli, cli.world
    cwd, chain = lead_team_world(c)
    assert w.child is not None
    m.Child.update(lead_team=cwd.id).where(m.Child.id == w.child.id).execute()
    c.at(START)
    ref = raise_at(c, "stage_1")["reference"]
    sent = c.ok("chair1", "send", ref)
    lead_tm = chain[w.policy.stage("stage_1").responder_level]
    own_tm = w.responder("stage_1")
    assert sent["responder"] == lead_tm.name  # the lead team's Team Manager, not the child's own team's
    d = m.Dispute.get(m.Dispute.reference == ref)
    kinds = {(n.recipient_id, n.kind) for n in m.Notification.select().where(m.Notification.dispute == d.id)}
    assert (lead_tm.id, "request") in kinds
    assert (own_tm.id, "info") in kinds  # the other team involved is copied
    # Their home screen says so (the work list reads the lead team too); the child's own team's does not.
    asks = [i for i in work.my_work(w.ctx(lead_tm)) if i.dispute_id == d.id]
    assert [i.move for i in asks] == [Move.RESPOND]
    assert not [i for i in work.my_work(w.ctx(own_tm)) if i.dispute_id == d.id and i.move is Move.RESPOND]
    # The lead team's manager responds (the move allows them); the child's own team's manager may not.
    c.at(START, 14)
    c.refused(own_tm.username, "respond", ref, "--text", "Not mine to answer.")
    c.ok(lead_tm.username, "respond", ref, "--text", "Short breaks agreed from next week.")
    assert m.Dispute.get_by_id(d.id).status == "responded"


def test_a_siblings_other_team_is_copied_and_without_a_lead_team_nothing_changes(cli: Cli) -> None:
    c, w = cli, cli.world
    cwd, chain = lead_team_world(c)
    sib = w.siblings[1]
    m.Child.update(team=cwd.id).where(m.Child.id == sib.id).execute()  # a sibling worked by another team
    c.at(START)
    ref = raise_at(c, "stage_1")["reference"]
    sent = c.ok("chair1", "send", ref)
    own_tm = w.responder("stage_1")
    assert sent["responder"] == own_tm.name  # no lead team: the child's own team answers, as before
    d = m.Dispute.get(m.Dispute.reference == ref)
    cwd_tm = chain[w.policy.stage("stage_1").responder_level]
    infos = {n.recipient_id for n in m.Notification.select().where(
        (m.Notification.dispute == d.id) & (m.Notification.kind == "info"))}
    assert cwd_tm.id in infos  # the sibling's team is involved: copied
    rec = m.StageRecord.get(m.StageRecord.dispute == d.id)
    assert str(cwd_tm.id) in rec.inform.split(",")
