"""Moves: the services accept exactly what ``domain.moves`` allows, on every profile.

A property-style walk (plain ``random.Random(seed)``, no extra dependency): a dispute
is raised on each built-in profile and on a profile written here, then moved at random.
At every step, for every actor (the chair, the current and an earlier responder,
another chair, oversight in and out of the team, a holder of the approval level):

* each move ``moves()`` refuses is tried through its service: it is refused
  (``PermissionDenied`` when the verdict is about who asks, else ``DomainError``)
  and the database is unchanged (a ``PermissionDenied`` adds its one ``refused`` event);
* one move it allows is made through its service, and must succeed.

Then the four disagreements issue 8 found between the services and the form.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import due_soon_window, due_state, state_at
from drp_tui.domain.model import DueState, Role, Status
from drp_tui.domain.moves import Actor, Move, Verdict, moves, verdict
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import builtin_keys, load_builtin, load_policy
from drp_tui.domain.timeutil import LONDON, FrozenClock, london_date, utc
from drp_tui.services.common import level_holder
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.errors import DomainError, PermissionDenied
from drp_tui.store import models as m
from drp_tui.store.queries import levels_of
from drp_tui.store.queries_dispute import get_dispute
from tests.factories import World, make_world

Rows = dict[str, list[tuple[Any, ...]]]

# A procedure written for the test: working-day and hour timescales, extensions, a
# negotiation window in working days, listed bypass, Cafcass at any time, a monitoring
# meeting, and approval by a level held in the child's team (not the chair's).
TEST_PROFILE = """
key = "test-moves"
name = "Test procedure for the moves"
version = 3
source = "written in tests/unit/test_moves.py"
applies_to = ["CLA"]

[vocabulary]
process = "Test Escalation Process"
short = "TEP"
reference_prefix = "TEP"
chair_title = "Reviewer"

[[levels]]
key = "worker"
label = "Worker"
holder = "allocated"

[[levels]]
key = "lead"
label = "Team Lead"

[[levels]]
key = "head"
label = "Head"

[[levels]]
key = "boss"
label = "Big Boss"

[[categories]]
key = "drift"
label = "Drift"

[[stages]]
key = "chat"
label = "A chat"
section = 2
responder_level = "worker"
timescale = { hours = 30 }
informal = true

[[stages]]
key = "formal"
label = "Formal"
section = 3
responder_level = "lead"
inform_levels = ["head"]
timescale = { working_days = 2 }
may_start = false

[[stages]]
key = "top"
label = "The top"
section = 4
responder_level = "boss"
timescale = { working_days = 3 }
bypass_target = true
requires_approval = true

[rules]
negotiation_window = { working_days = 1 }
bypass = "listed"
extensions_allowed = true
cafcass = "any_time"
monitoring_meeting = { working_days = 4 }
due_soon_working_days = 0
approval_level = "head"
"""


def snapshot_db() -> Rows:
    db = m.database.obj
    return {t: db.execute_sql(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in sorted(db.get_tables())}


def actor_of(s: m.Staff) -> Actor:
    s = m.Staff.get_by_id(s.id)
    return Actor(s.id, Role(s.role), s.team_id, levels_of(s.id))


def load_profile(name: str, tmp_path: Path) -> Policy:
    if name == "test-moves":
        path = tmp_path / "test-moves.toml"
        path.write_text(TEST_PROFILE, encoding="utf-8")
        return load_policy(path)
    if name == "who-acts":  # who acts differs by stage; approvals on transitions (tests/unit/test_cli_who_acts.py)
        from tests.unit.test_cli_who_acts import PROFILE
        path = tmp_path / "testshire-who-acts.toml"
        path.write_text(PROFILE, encoding="utf-8")
        return load_policy(path)
    return load_builtin(name)


# --- calling each move through its service ----------------------------------------------------

def _until(w: World, did: int) -> date:
    """A working day after the response's current due day (for an extension)."""
    cur = get_dispute(did).current
    due = (cur.extension_until or cur.due_at) if cur is not None else None
    start = london_date(utc(due) - timedelta(microseconds=1)) if due is not None else london_date(w.clock.now())
    return w.calendar.add_working_days(max(start, london_date(w.clock.now())), 2)


def _action_for(did: int, v: Verdict, rng: random.Random) -> int | None:
    if v.allowed:
        return int(rng.choice(v.targets))
    view = get_dispute(did)
    acts = [a for s in view.stages for a in s.actions]
    undone = [a for a in acts if a.done_on is None]
    pick = undone or acts
    return rng.choice(pick).id if pick else None


def call_for(w: World, did: int, move: Move, v: Verdict, who: m.Staff,
             rng: random.Random) -> Callable[[], object] | None:
    ctx = w.ctx(who)
    today = london_date(w.clock.now())
    if move is Move.EDIT:
        return lambda: ds.update_draft(ctx, did, None, {"child_wishes": f"Wishes {rng.random()}"})
    if move is Move.SEND:
        return lambda: ds.send(ctx, did)
    if move in (Move.RESPOND, Move.RESPOND_ON_BEHALF):
        acts = [ds.ActionInput("Hold a review", "Team Manager", w.calendar.add_working_days(today, 3))]
        return lambda: ds.record_response(ctx, did, "We will hold a review.", acts,
                                          on_behalf=move is Move.RESPOND_ON_BEHALF)
    if move is Move.DECIDE:
        resolved = rng.random() < 0.3
        return lambda: outcomes.decide(ctx, did, resolved, "The plan still has no dates.")
    if move is Move.NEGOTIATE:
        return lambda: outcomes.agree_negotiation(ctx, did, "Dates to be agreed by phone.")
    if move is Move.EXTEND:
        return lambda: outcomes.agree_extension(ctx, did, _until(w, did), "The assessment lands next week.")
    if move is Move.ESCALATE:
        target = rng.choice(v.targets) if v.targets else None
        return lambda: outcomes.escalate(ctx, did, target, comment="The response does not resolve it.")
    if move is Move.APPROVE:
        return lambda: outcomes.approve_stage(ctx, did, "Discussed.")
    if move is Move.DECLINE:
        return lambda: outcomes.decline_approval(ctx, did, "Not yet: the plan needs dates first.")
    if move in (Move.LEGAL_ADVICE, Move.CAFCASS_DISCUSSION, Move.CAFCASS_REFERRAL):
        return lambda: outcomes.cafcass_step(ctx, did, move.value, "Spoke to them.", told="The managers, by e-mail.")
    if move is Move.DISCUSSION:
        before = rng.choice(v.targets) if v.targets else "cafcass_referral"
        levels = w.policy.tell_levels(before) or tuple(lv.key for lv in w.policy.levels)
        level = rng.choice(levels)
        held = w.clock.now() - timedelta(hours=1)
        holder = level_holder(w.policy, level, m.Dispute.get_by_id(did))  # who holds it now
        return lambda: outcomes.record_discussion(ctx, did, before, level, holder.id if holder else None, held,
                                                  "Agreed it is needed.")
    if move is Move.WITHDRAW:
        return lambda: outcomes.withdraw(ctx, did, "The child moved away.")
    if move is Move.REOPEN:
        return lambda: outcomes.reopen(ctx, did, "The actions were not done.")
    if move is Move.MONITORING:
        return lambda: outcomes.record_monitoring(ctx, did, today, "Actions achieved.", "Chair, TM")
    if move is Move.CONVERSATION:
        held = w.clock.now() - timedelta(hours=1)
        return lambda: outcomes.record_conversation(ctx, did, "The team manager", held, "phone", "Dates by Friday.")
    if move is Move.ACTION_DONE:
        aid = _action_for(did, v, rng)
        return None if aid is None else (lambda: outcomes.complete_action(ctx, aid, today))
    if move is Move.MEETING:
        return lambda: outcomes.record_meeting(ctx, did, today, "Chair, TM", "Dates agreed.")
    raise AssertionError(move)


def assert_refused(call: Callable[[], object], v: Verdict, where: str) -> None:
    before = snapshot_db()
    with pytest.raises(DomainError) as info:
        call()
    exc = info.value
    want = PermissionDenied if v.who else DomainError
    assert type(exc) is want, f"{where}: {type(exc).__name__} {exc.message!r}, verdict {v}"
    after = snapshot_db()
    if v.who:
        added = after["event"][len(before["event"]):]
        assert len(added) == 1 and m.Event.get_by_id(added[0][0]).kind == "refused", where
        after["event"] = after["event"][: len(before["event"])]
    assert after == before, f"{where}: a refused move changed the database"


# --- the cast -----------------------------------------------------------------------------------

def cast(w: World, did: int, extra: dict[str, m.Staff]) -> dict[str, m.Staff]:
    view = get_dispute(did)
    cur = view.current
    assert cur is not None
    now_responder = (m.Staff.get_by_id(cur.responder_id) if cur.responder_id
                     else w.responder(cur.stage_key))
    first = view.stages[0]
    earlier = m.Staff.get_by_id(first.responder_id) if first.responder_id else w.responder(first.stage_key)
    people = {"chair": w.chair, "responder": now_responder, "earlier responder": earlier,
              "other chair": w.other_chair, "oversight": w.oversight, **extra}
    out: dict[str, m.Staff] = {}
    for name, s in people.items():
        if s.id not in {x.id for x in out.values()}:
            out[name] = s
    return out


def extras(w: World) -> dict[str, m.Staff]:
    now = w.clock.now()
    elsewhere = m.Team.create(name="Another Service", kind="iro_service")
    outsider = m.Staff.create(username="over9", name="Otto Elsewhere", role=Role.OVERSIGHT.value, team=elsewhere,
                              created_at=now)
    out = {"oversight elsewhere": outsider}
    level = w.policy.rules.approval_level
    if level:
        kind = w.policy.level(level).holder
        team = w.chair.team if kind == "chair_team" else w.child.team  # type: ignore[union-attr]
        holder = m.Staff.create(username="deputy9", name="Dee Deputy", role=Role.RESPONDER.value, team=team,
                                created_at=now)
        m.TeamRole.update(staff=holder).where((m.TeamRole.team == team) & (m.TeamRole.level == level)).execute()
        out["approval holder"] = holder
    # the holders of the levels that approve a transition, or send / escalate / close a stage
    acting = {a.level for a in w.policy.approvals} | {
        p for s in w.policy.stages for p in (*s.sent_by, *s.escalated_by, *s.closed_by) if p != "chair"}
    for lv in sorted(acting):
        if lv in w.levels and lv != level:
            out[f"{lv} holder"] = w.levels[lv]
    return out


PROFILES = [*builtin_keys(), "test-moves", "who-acts"]


@pytest.mark.parametrize("profile", PROFILES)
def test_services_accept_exactly_what_the_moves_allow(profile: str, db_path: Path, clock: FrozenClock,
                                                      calendar: WorkingCalendar, tmp_path: Path) -> None:
    policy = load_profile(profile, tmp_path)
    w = make_world(policy, calendar, clock)
    rng = random.Random(f"moves-{profile}")
    extra = extras(w)
    made: set[Move] = set()
    refused_seen: set[Move] = set()
    for walk in range(3):
        start = rng.choice(policy.starting_stages()).key
        (did,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
            child_ids=[w.child.id], category=policy.categories[0].key, start_stage=start,  # type: ignore[union-attr]
            issue_arose=london_date(clock.now()), concern="Contact has not happened for eight weeks."))
        for step in range(12):
            view = get_dispute(did)
            if view.status is Status.CAFCASS:
                break
            people = cast(w, did, extra)
            verdicts = {name: moves(view, policy, actor_of(s), clock.now(), calendar) for name, s in people.items()}
            allowed = [(name, mv) for name, vs in verdicts.items() for mv, v in vs.items() if v.allowed]
            refused = [(name, mv) for name, vs in verdicts.items() for mv, v in vs.items() if not v.allowed]
            for name, mv in rng.sample(refused, min(8, len(refused))):
                v = verdicts[name][mv]
                call = call_for(w, did, mv, v, people[name], rng)
                if call is not None:
                    assert_refused(call, v, f"{profile} walk {walk} step {step}: {name} {mv.value}")
                    refused_seen.add(mv)
            # the chair's moves that move the dispute on are chosen more often
            weighted = allowed + [(n, mv) for n, mv in allowed if mv in (
                Move.SEND, Move.RESPOND, Move.RESPOND_ON_BEHALF, Move.DECIDE, Move.ESCALATE, Move.APPROVE)] * 3
            if weighted:
                name, mv = rng.choice(weighted)
                call = call_for(w, did, mv, verdicts[name][mv], people[name], rng)
                assert call is not None
                try:
                    call()
                except DomainError as exc:
                    raise AssertionError(f"{profile} walk {walk} step {step}: {name} {mv.value} was allowed "
                                         f"but refused: {exc.message}") from exc
                made.add(mv)
            # time passes: 0 to 3 working days, at a random hour
            day = calendar.add_working_days(london_date(clock.now()), rng.randint(0, 3))
            clock.set(datetime(day.year, day.month, day.day, rng.randint(8, 17), tzinfo=LONDON))
    # the walks reached the heart of the procedure
    assert Move.SEND in made and {Move.RESPOND, Move.RESPOND_ON_BEHALF} & made, made
    assert len(made) >= 6 and len(refused_seen) >= 8, (made, refused_seen)


def test_every_move_has_a_label_and_the_refusals_say_why(world: World) -> None:
    (did,) = ds.raise_dispute(world.ctx(), ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key, start_stage="stage_1",  # type: ignore[union-attr]
        issue_arose=london_date(world.clock.now()), concern="Drift."))
    view = get_dispute(did)
    for who in (world.chair, world.other_chair, world.oversight, world.worker, world.admin):
        for mv, v in moves(view, world.policy, actor_of(who), world.clock.now(), world.calendar).items():
            assert mv.label and mv.label[0].isupper()
            assert v.move is mv
            assert v.allowed == (v.reason == ""), v
    chair = moves(view, world.policy, actor_of(world.chair), world.clock.now(), world.calendar)
    assert {mv for mv, v in chair.items() if v.allowed} == {
        Move.EDIT, Move.SEND, Move.LEGAL_ADVICE, Move.CAFCASS_DISCUSSION, Move.WITHDRAW, Move.CONVERSATION,
        *([Move.DISCUSSION] if world.policy.rules.cafcass_tell_levels else [])}
    admin = moves(view, world.policy, actor_of(world.admin), world.clock.now(), world.calendar)
    assert all(not v.allowed and v.who and "not dispute content" in v.reason for v in admin.values())


# --- the four disagreements of issue 8 --------------------------------------------------------------

def _to_stage_2(w: World) -> int:
    (did,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[w.child.id], category=w.policy.categories[0].key, start_stage="stage_1",  # type: ignore[union-attr]
        issue_arose=london_date(w.clock.now()), concern="Drift."))
    ds.send(w.ctx(), did)
    ds.record_response(w.ctx(w.responder("stage_1")), did, "We will review.",
                       [ds.ActionInput("Review", "TM", date(2026, 12, 4))])
    outcomes.escalate(w.ctx(), did, comment="No dates.")
    return did


def test_a_holder_of_the_approval_level_may_approve_and_is_offered_it(world: World) -> None:
    did = _to_stage_2(world)
    level = world.policy.rules.approval_level
    deputy = m.Staff.create(username="deputy", name="Dee Deputy", role=Role.RESPONDER.value, team=world.chair.team,
                            created_at=world.clock.now())
    m.TeamRole.update(staff=deputy).where((m.TeamRole.team == world.chair.team_id) & (m.TeamRole.level == level)).execute()
    assert Role(world.oversight.role) is Role.OVERSIGHT and deputy.role != Role.OVERSIGHT.value
    v = verdict(get_dispute(did), world.policy, actor_of(deputy), world.clock.now(), world.calendar, Move.APPROVE)
    assert v.allowed, v
    outcomes.approve_stage(world.ctx(deputy), did, "Agreed in supervision.")
    assert get_dispute(did).current.approval_by_id == deputy.id  # type: ignore[union-attr]


def test_action_done_is_offered_only_for_the_actions_a_manager_may_mark(world: World) -> None:
    did = _to_stage_2(world)
    outcomes.approve_stage(world.ctx(world.oversight), did)
    ds.send(world.ctx(), did)
    ds.record_response(world.ctx(world.responder("stage_2")), did, "More.",
                       [ds.ActionInput("Fund it", "SM", date(2026, 12, 4))])
    view = get_dispute(did)
    stage1_action, stage2_action = (s.actions[0].id for s in view.stages)
    m.Action.update(done_on=date(2026, 11, 23)).where(m.Action.id == stage1_action).execute()
    view = get_dispute(did)
    manager1 = world.responder("stage_1")  # responded at stage 1; the open action is stage 2's
    v = verdict(view, world.policy, actor_of(manager1), world.clock.now(), world.calendar, Move.ACTION_DONE)
    assert not v.allowed and v.who and "Only the chair or the manager who responded" in v.reason
    with pytest.raises(PermissionDenied):
        outcomes.complete_action(world.ctx(manager1), stage2_action)
    manager2 = actor_of(world.responder("stage_2"))
    assert verdict(view, world.policy, manager2, world.clock.now(), world.calendar,
                   Move.ACTION_DONE).targets == (str(stage2_action),)
    outcomes.complete_action(world.ctx(world.responder("stage_2")), stage2_action)


def test_extension_under_a_profile_without_them_is_refused_with_the_reason(world: World) -> None:
    (did,) = ds.raise_dispute(world.ctx(), ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key, start_stage="stage_1",  # type: ignore[union-attr]
        issue_arose=london_date(world.clock.now()), concern="Drift."))
    ds.send(world.ctx(), did)
    v = verdict(get_dispute(did), world.policy, actor_of(world.chair), world.clock.now(), world.calendar, Move.EXTEND)
    assert not v.allowed and not v.who
    assert v.reason.startswith("This procedure does not provide for extensions")


def test_due_soon_zero_means_never_due_soon(calendar: WorkingCalendar) -> None:
    import dataclasses

    base = load_builtin("mosaic-iro")
    zero = dataclasses.replace(base, rules=dataclasses.replace(base.rules, due_soon_working_days=0))
    now = datetime(2026, 11, 23, 10, tzinfo=LONDON)  # Monday
    tomorrow = datetime(2026, 11, 25, 0, tzinfo=LONDON)  # the end of Tuesday
    assert due_soon_window(zero) == 0 and due_soon_window(base) == 1
    assert due_soon_window(base, 0) == 0 and due_soon_window(zero, 2) == 2  # the installation's setting wins
    assert due_state(tomorrow, now, calendar, zero) is DueState.ON_TRACK
    assert due_state(tomorrow, now, calendar, base) is DueState.DUE_SOON
    assert due_state(tomorrow, now, calendar, base, 0) is DueState.ON_TRACK
    assert state_at(tomorrow, now, calendar, 0) is DueState.ON_TRACK
