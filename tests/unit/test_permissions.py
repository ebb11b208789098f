"""The permission matrix: every role against every action, one test per cell.

Allowed: the service call succeeds. Refused: ``PermissionDenied`` with a clear
message, every row of every table except ``event`` exactly as before, and exactly
one new event, of kind ``refused``, naming the actor and carrying the message.

Roles: the chair who raised the dispute (or whose child it is), another chair,
the responder the stage is (or will be) sent to, another responder, oversight
(the chairs' IRO service manager), admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from drp_tui.domain.model import Role
from drp_tui.services import accounts, inbox, outcomes, permissions
from drp_tui.services import disputes as ds
from drp_tui.services.context import Ctx
from drp_tui.services.errors import PermissionDenied
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import models as m
from tests.factories import World

Rows = dict[str, list[dict[str, Any]]]

ROLES = ("chair_owner", "chair_other", "responder_stage", "responder_other", "oversight", "admin")
A, R = True, False  # allowed, refused


def snapshot() -> Rows:
    """Every row of every table except the audit trail."""
    return {model._meta.table_name: list(model.select().order_by(model.id).dicts())
            for model in m.ALL_MODELS if model is not m.Event}


def last_event_id() -> int:
    e = m.Event.select(m.Event.id).order_by(m.Event.id.desc()).first()
    return e.id if e else 0


# --- building the states ------------------------------------------------------------------

def raise_one(w: World, child: m.Child | None = None, stage: str | None = None, who: m.Staff | None = None) -> int:
    child = child or w.child
    assert child is not None
    stage = stage or w.policy.starting_stages()[0].key
    if w.policy.key == "mosaic-iro":
        stage = "stage_1"
    data = ds.RaiseInput(child_ids=[child.id], category=w.policy.categories[0].key, start_stage=stage,
                         issue_arose=w.clock.now().date(), concern="The plan has drifted for months.")
    return ds.raise_dispute(w.ctx(who or w.chair), data)[0]


def stage_responder(w: World, did: int) -> m.Staff:
    d = m.Dispute.get_by_id(did)
    rec = m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(m.StageRecord.seq.desc()).first()
    if rec.responder_id:
        return rec.responder
    return w.responder(d.current_stage)


def sent(w: World) -> int:
    did = raise_one(w)
    ds.send(w.ctx(), did)
    return did


def responded(w: World) -> int:
    did = sent(w)
    due = w.clock.now().date() + timedelta(days=20)
    ds.record_response(w.ctx(stage_responder(w, did)), did, "We will hold a review.",
                       [ds.ActionInput("Hold a review", "Team Manager", due)])
    return did


def resolved(w: World) -> int:
    did = responded(w)
    outcomes.decide(w.ctx(), did, True, "Agreed plan.")
    return did


def awaiting_approval(w: World) -> int:
    did = responded(w)
    outcomes.escalate(w.ctx(), did, comment="The response does not address drift.")
    return did


@dataclass
class Scene:
    """What an action needs: its target, and who is 'the stage's responder' for it."""

    target: int
    responder: m.Staff
    notes: dict[int, int] | None = None  # staff id -> a notification of theirs


def scene_for(action: str, w: World) -> Scene:
    if action in ("mark_read_other", "mark_read_own"):
        notes = {s.id: m.Notification.create(recipient=s, kind="info", text="For information",
                                             created_at=w.clock.now()).id
                 for s in m.Staff.select()}
        return Scene(0, w.responder(w.policy.stages[0].key), notes)
    if action in ("raise_own", "raise_other", "send_compliment", "add_user", "set_role", "disable_user"):
        return Scene(0, w.responder(w.policy.stages[0].key))
    build: Callable[[World], int] = {
        "update_draft": raise_one, "send": raise_one, "withdraw": sent, "agree_extension": sent,
        "cafcass_step": sent, "record_response": sent, "record_response_on_behalf": sent,
        "decide": responded, "agree_negotiation": responded, "escalate": responded,
        "complete_action": responded, "approve_stage": awaiting_approval, "reopen": resolved,
        "record_monitoring": resolved,
    }[action]
    did = build(w)
    return Scene(did, stage_responder(w, did))


def actor_for(role: str, w: World, scene: Scene) -> m.Staff:
    if role == "responder_other":
        assert w.child is not None
        others = [s for s in w.levels.values() if Role(s.role) is Role.RESPONDER and s.id != scene.responder.id
                  and s.id != w.worker.id and s.team_id == w.child.team_id]
        return others[-1]
    return {"chair_owner": w.chair, "chair_other": w.other_chair, "responder_stage": scene.responder,
            "oversight": w.oversight, "admin": w.admin}[role]


def perform(action: str, w: World, ctx: Ctx, who: m.Staff, scene: Scene) -> Any:
    did = scene.target
    today = w.clock.now().date()
    if action == "raise_own":
        own = m.Child.get_or_none(m.Child.chair == who.id) or w.child
        return raise_one(w, own, who=who)
    if action == "raise_other":
        theirs = w.other_child if who.id == w.chair.id else w.child
        return raise_one(w, theirs, who=who)
    if action == "update_draft":
        return ds.update_draft(ctx, did, None, {"impact": "She has moved school twice."})
    if action == "send":
        return ds.send(ctx, did)
    if action == "record_response":
        return ds.record_response(ctx, did, "We will act.", [])
    if action == "record_response_on_behalf":
        return ds.record_response(ctx, did, "Said on the phone: we will act.", [], on_behalf=True)
    if action == "decide":
        return outcomes.decide(ctx, did, True, "Agreed.")
    if action == "agree_negotiation":
        return outcomes.agree_negotiation(ctx, did, "Plan to be updated by Friday.")
    if action == "agree_extension":
        return outcomes.agree_extension(ctx, did, date(2026, 11, 27), "Time to convene the family meeting.")
    if action == "escalate":
        return outcomes.escalate(ctx, did, comment="Does not address the drift.")
    if action == "approve_stage":
        return outcomes.approve_stage(ctx, did, "Discussed in supervision.")
    if action == "cafcass_step":
        return outcomes.cafcass_step(ctx, did, "cafcass_discussion", "Talked it through with Cafcass.")
    if action == "withdraw":
        return outcomes.withdraw(ctx, did, "Raised in error.")
    if action == "reopen":
        return outcomes.reopen(ctx, did, "The actions were not carried out.")
    if action == "record_monitoring":
        return outcomes.record_monitoring(ctx, did, today, "Actions on track.", "Chair, TM")
    if action == "complete_action":
        a = m.Action.select().join(m.StageRecord).where(m.StageRecord.dispute == did).get()
        return outcomes.complete_action(ctx, a.id)
    if action == "send_compliment":
        assert w.child is not None
        return inbox.send_compliment(ctx, w.child.id, "Excellent life-story work.")
    if action in ("mark_read_other", "mark_read_own"):
        assert scene.notes is not None
        someone_else = w.worker if who.id != w.worker.id else w.chair
        return inbox.mark_read(ctx, scene.notes[who.id if action == "mark_read_own" else someone_else.id])
    if action == "add_user":
        return accounts.add_user(ctx, "newbie", "New Person", "chair", "a-long-password-1", team="Test IRO Service")
    if action == "set_role":
        return accounts.set_role(ctx, w.worker.username, "oversight")
    if action == "disable_user":
        return accounts.disable_user(ctx, w.worker.username)
    raise AssertionError(action)


# action -> (policy, allowed for each role in ROLES order)
MATRIX: dict[str, tuple[str, tuple[bool, ...]]] = {
    "raise_own": ("mosaic-iro", (A, A, R, R, R, R)),
    "raise_other": ("mosaic-iro", (R, R, R, R, R, R)),
    "update_draft": ("mosaic-iro", (A, R, R, R, R, R)),
    "send": ("mosaic-iro", (A, R, R, R, R, R)),
    "record_response": ("mosaic-iro", (R, R, A, R, R, R)),
    "record_response_on_behalf": ("mosaic-iro", (A, R, R, R, R, R)),
    "decide": ("mosaic-iro", (A, R, R, R, R, R)),
    "agree_negotiation": ("mosaic-iro", (A, R, R, R, R, R)),
    "agree_extension": ("durham-rp", (A, R, R, R, R, R)),
    "escalate": ("mosaic-iro", (A, R, R, R, R, R)),
    "approve_stage": ("mosaic-iro", (R, R, R, R, A, R)),
    "cafcass_step": ("knowsley-dr", (A, R, R, R, R, R)),
    "withdraw": ("mosaic-iro", (A, R, R, R, R, R)),
    "reopen": ("mosaic-iro", (A, R, R, R, A, R)),
    "record_monitoring": ("durham-rp", (A, R, R, R, R, R)),  # the profile sets a monitoring meeting
    "complete_action": ("mosaic-iro", (A, R, A, R, R, R)),
    "send_compliment": ("mosaic-iro", (A, R, R, R, R, R)),
    "mark_read_other": ("mosaic-iro", (R, R, R, R, R, R)),
    "mark_read_own": ("mosaic-iro", (A, A, A, A, A, A)),
    "add_user": ("mosaic-iro", (R, R, R, R, R, A)),
    "set_role": ("mosaic-iro", (R, R, R, R, R, A)),
    "disable_user": ("mosaic-iro", (R, R, R, R, R, A)),
}

CELLS = [pytest.param(policy, action, role, allowed[i], id=f"{action}-{role}-{'allowed' if allowed[i] else 'refused'}")
         for action, (policy, allowed) in MATRIX.items() for i, role in enumerate(ROLES)]


def assert_refused(call: Callable[[], object], who: m.Staff | None) -> PermissionDenied:
    before, mark = snapshot(), last_event_id()
    with pytest.raises(PermissionDenied) as info:
        call()
    exc = info.value
    assert snapshot() == before, "a refused action changed the database"
    new = list(m.Event.select().where(m.Event.id > mark))
    assert [e.kind for e in new] == ["refused"], [(e.kind, e.summary) for e in new]
    assert new[0].actor_id == (who.id if who else None)
    assert exc.message in new[0].summary
    # a clear message: a sentence a person can act on, no internals
    assert len(exc.message) > 15 and exc.message[0].isupper() and exc.message.rstrip().endswith((".", "'s.")), \
        exc.message
    assert "Traceback" not in exc.message and "None" not in exc.message
    return exc


@pytest.mark.parametrize(("policy_key", "action", "role", "allowed"), CELLS)
def test_matrix(world: World, action: str, role: str, allowed: bool) -> None:
    scene = scene_for(action, world)
    who = actor_for(role, world, scene)
    ctx = world.ctx(who)
    if allowed:
        mark = last_event_id()
        perform(action, world, ctx, who, scene)
        assert not m.Event.select().where((m.Event.id > mark) & (m.Event.kind == "refused")).exists()
    else:
        assert_refused(lambda: perform(action, world, ctx, who, scene), who)


# --- beyond the matrix: team scope, disabled accounts, the command line ------------------

def other_team_oversight(w: World) -> m.Staff:
    t = m.Team.create(name="Another IRO Service", kind="iro_service")
    return m.Staff.create(username="over2", name="Otto Elsewhere", role=Role.OVERSIGHT.value, team=t,
                          created_at=w.clock.now())


def test_oversight_of_another_team_cannot_approve(world: World) -> None:
    did = awaiting_approval(world)
    stranger = other_team_oversight(world)
    exc = assert_refused(lambda: outcomes.approve_stage(world.ctx(stranger), did), stranger)
    assert "not in your team" in exc.message and "Casey Chair" in exc.message
    outcomes.approve_stage(world.ctx(world.oversight), did)  # its own team's oversight can


def test_oversight_of_another_team_cannot_reopen(world: World) -> None:
    did = resolved(world)
    stranger = other_team_oversight(world)
    assert_refused(lambda: outcomes.reopen(world.ctx(stranger), did, "Not done."), stranger)
    outcomes.reopen(world.ctx(world.oversight), did, "Not done.")


def test_approval_level_held_elsewhere_does_not_count(world: World) -> None:
    """A holder of the approval level in another team's chain cannot approve this team's stage."""
    did = awaiting_approval(world)
    t = m.Team.create(name="Another IRO Service", kind="iro_service")
    mgr = m.Staff.create(username="mgr2", name="Mo Elsewhere", role=Role.RESPONDER.value, team=t,
                         created_at=world.clock.now())
    m.TeamRole.create(team=t, level=world.policy.rules.approval_level, staff=mgr)
    assert_refused(lambda: outcomes.approve_stage(world.ctx(mgr), did), mgr)


def test_approval_level_holder_in_the_chairs_team_can_approve(world: World) -> None:
    did = awaiting_approval(world)
    level = world.policy.rules.approval_level
    mgr = m.Staff.create(username="mgr3", name="Mia Deputy", role=Role.RESPONDER.value, team=world.chair.team,
                         created_at=world.clock.now())
    m.TeamRole.update(staff=mgr).where((m.TeamRole.team == world.chair.team_id) & (m.TeamRole.level == level)).execute()
    outcomes.approve_stage(world.ctx(mgr), did)
    assert m.StageRecord.select().where((m.StageRecord.dispute == did) & (m.StageRecord.approval_by == mgr.id)).exists()


def test_disabled_account_is_refused_everything(world: World) -> None:
    did = raise_one(world)
    world.chair.active = False
    world.chair.save()
    exc = assert_refused(lambda: ds.send(world.ctx(), did), world.chair)
    assert "not active" in exc.message


def test_chair_demoted_cannot_act_on_their_disputes(world: World) -> None:
    """The service checks the role held now, not the one held when the dispute was raised."""
    did = raise_one(world)
    m.Staff.update(role=Role.RESPONDER.value).where(m.Staff.id == world.chair.id).execute()
    assert_refused(lambda: ds.send(world.ctx(), did), world.chair)


def test_admin_cannot_touch_content_even_holding_a_level(world: World) -> None:
    did = awaiting_approval(world)
    m.TeamRole.update(staff=world.admin).where(m.TeamRole.level == world.policy.rules.approval_level).execute()
    exc = assert_refused(lambda: outcomes.approve_stage(world.ctx(world.admin), did), world.admin)
    assert "not dispute content" in exc.message


def test_command_line_admin_cannot_touch_content(world: World) -> None:
    did = raise_one(world)
    cli = InstallationAdmin(None, world.policy, world.calendar, world.clock, os_user="root")  # type: ignore[arg-type]
    exc = assert_refused(lambda: ds.send(cli, did), None)
    assert "command line" in exc.message
    assert m.Event.select().order_by(m.Event.id.desc()).first().dispute_id == did


def test_refused_event_names_the_dispute_only_for_dispute_services(world: World) -> None:
    """A notification id is not a dispute id: the refused event must not point at a dispute."""
    did = raise_one(world)
    n = m.Notification.create(id=did, recipient=world.worker, kind="info", text="x", created_at=world.clock.now())
    assert_refused(lambda: inbox.mark_read(world.ctx(), n.id), world.chair)
    assert m.Event.select().order_by(m.Event.id.desc()).first().dispute_id is None
    assert_refused(lambda: ds.send(world.ctx(world.other_chair), did), world.other_chair)
    assert m.Event.select().order_by(m.Event.id.desc()).first().dispute_id == did


# --- the read side -------------------------------------------------------------------------

def test_visibility(world: World) -> None:
    did = sent(world)
    responder = stage_responder(world, did)
    stranger = other_team_oversight(world)
    other_did = raise_one(world, world.other_child, who=world.other_chair)
    see = {s.username: permissions.can_see(s.id, did) for s in
           (world.chair, world.other_chair, responder, world.oversight, world.admin, stranger,
            world.levels["director"], world.worker)}
    assert see == {world.chair.username: True, world.other_chair.username: False, responder.username: True,
                   world.oversight.username: True, world.admin.username: False, stranger.username: False,
                   world.levels["director"].username: False, world.worker.username: True}
    assert permissions.can_see(world.other_chair.id, other_did)
    assert not permissions.can_see(world.chair.id, other_did)
    # visible_to is a query condition the read side can use
    assert [d.id for d in m.Dispute.select().where(permissions.visible_to(world.oversight)).order_by(m.Dispute.id)] \
        == [did, other_did]
