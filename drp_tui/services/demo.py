"""Demo data: an invented authority, its staff, children and disputes in every state.

Everything is made through the real services on a clock set in the past, so the
history, notifications and audit chain are exactly what real use leaves behind.
All names are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import Role
from drp_tui.domain.policy import CHAIR, CafcassRule, Policy, Stage
from drp_tui.domain.timeutil import LONDON, FrozenClock, london_date
from drp_tui.services import disputes as ds
from drp_tui.services import inbox, outcomes
from drp_tui.services.common import level_holder
from drp_tui.services.context import Ctx
from drp_tui.services.passwords import hash_password
from drp_tui.store import models as m
from drp_tui.store.db import write_txn

DEMO_PASSWORD = "demo-pass-1"  # every demo account; shown in the README, never for real use

FIRST = ["Ava", "Leo", "Maya", "Noah", "Isla", "Theo", "Ruby", "Arlo", "Esme", "Finn", "Nia", "Zane",
         "Orla", "Kai", "Poppy", "Ezra", "Ivy", "Jude", "Lyra", "Remy", "Tia", "Otis", "Wren", "Ash"]
LAST = ["Brindle", "Calloway", "Dunmore", "Elswick", "Fairholt", "Garrow", "Hesketh", "Inchley",
        "Jarrow", "Kestle", "Lanyon", "Marrick", "Nettleby", "Oakshott", "Penrose", "Quarley"]
STAFF = [("cpatel", "Chloe Patel"), ("jokafor", "James Okafor"), ("mreed", "Morgan Reed")]
WORKERS = [("sworth", "Sam Worth"), ("alinton", "Alex Linton"), ("pmarsh", "Priya Marsh")]
MANAGER_NAMES = ["Dana Whitlow", "Glen Ashby", "Harriet Vane", "Imran Sethi", "Joan Pike", "Kofi Mensah",
                 "Lena Holt", "Marcus Dyer", "Nadia Rowe", "Owen Stroud", "Petra Lusk", "Quentin Abel"]


@dataclass(frozen=True)
class DemoSummary:
    staff: int
    children: int
    disputes: int
    by_status: dict[str, int]
    chair_username: str


def _staff(username: str, name: str, role: Role, team: m.Team, title: str, now: datetime, pw: str) -> m.Staff:
    return m.Staff.create(username=username, name=name, role=role.value, team=team, title=title,
                          password_hash=pw, created_at=now)


def build_demo(policy: Policy, calendar: WorkingCalendar, now: datetime, seed: int = 2026) -> DemoSummary:
    """Fill an empty, migrated database with demo data relative to ``now``."""
    rng = random.Random(seed)
    pw = hash_password(DEMO_PASSWORD, n=2**12)  # one hash for all demo accounts (quick to build)
    with write_txn():
        sc = m.Team.create(name="Riverside Children's Social Care", kind="social_care")
        iro = m.Team.create(name="Independent Reviewing Service", kind="iro_service")
        _staff("admin", "Avery Admin", Role.ADMIN, iro, "Administrator", now, pw)
        oversight = _staff("osman", "Olu Osman", Role.OVERSIGHT, iro, "IRO Service Manager", now, pw)
        chairs = [_staff(u, n, Role.CHAIR, iro, policy.vocabulary.chair_title, now, pw) for u, n in STAFF]
        workers = [_staff(u, n, Role.RESPONDER, sc, "Social Worker", now, pw) for u, n in WORKERS]
        names = iter(MANAGER_NAMES)
        for level in policy.levels:
            if level.holder == "allocated":
                m.TeamRole.create(team=sc, level=level.key, staff=workers[0])
                continue
            if level.holder == "chair_team":
                holder = oversight if level.key == policy.rules.approval_level else None
                team = iro
            else:
                holder, team = None, sc
            if holder is None:
                name = next(names)
                user = name.split()[0][0].lower() + name.split()[1].lower()
                holder = _staff(user, name, Role.RESPONDER, team, level.label, now, pw)
            m.TeamRole.create(team=team, level=level.key, staff=holder)
        children = _children(rng, policy, sc, chairs, workers)
    ctx = Ctx(chairs[0].id, policy, calendar, FrozenClock(now))
    _disputes(ctx, rng, policy, calendar, now, children, chairs, oversight)
    by_status: dict[str, int] = {}
    for d in m.Dispute.select(m.Dispute.status):
        by_status[d.status] = by_status.get(d.status, 0) + 1
    return DemoSummary(m.Staff.select().count(), m.Child.select().count(), m.Dispute.select().count(),
                       by_status, chairs[0].username)


def _children(rng: random.Random, policy: Policy, team: m.Team, chairs: list[m.Staff],
              workers: list[m.Staff]) -> list[m.Child]:
    statuses = list(policy.applies_to) or ["CLA"]
    out: list[m.Child] = []
    n = 0
    group_sizes = [3, 2, 2, 3, 2, 2] + [1] * 26  # 40 children, 6 sibling groups
    for gi, size in enumerate(group_sizes):
        surname = LAST[gi % len(LAST)] if size > 1 else rng.choice(LAST)
        group = m.SiblingGroup.create(name=f"{surname} siblings") if size > 1 else None
        chair = chairs[0] if gi % 3 != 2 else chairs[1 + gi % 2]
        worker = workers[gi % len(workers)]
        for _ in range(size):
            n += 1
            first = FIRST[(n * 7) % len(FIRST)]
            dob = date(2010 + rng.randrange(14), rng.randrange(1, 13), rng.randrange(1, 28))
            out.append(m.Child.create(
                case_number=f"C{100200 + n}", name=f"{first} {surname}", legal_status=statuses[n % len(statuses)],
                date_of_birth=dob, team=team, chair=chair, social_worker=worker, sibling_group=group))
    return out


def _chair_id(child: m.Child) -> int:
    """The demo child's chair (every demo child has one)."""
    assert child.chair_id is not None, child.case_number
    return child.chair_id


def _at(clock: FrozenClock, day: date, hour: int = 10) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON))


def _days_stage(policy: Policy) -> Stage:
    """A starting stage with a working-day timescale (for predictable states)."""
    for s in policy.stages:
        if s.may_start and s.timescale.working_days:
            return s
    return policy.starting_stages()[0]


def _disputes(ctx: Ctx, rng: random.Random, policy: Policy, cal: WorkingCalendar, now: datetime,
              children: list[m.Child], chairs: list[m.Staff], oversight: m.Staff) -> None:
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    today = london_date(now)
    start = _days_stage(policy)
    n_days = start.timescale.working_days or 5
    cats = [c.key for c in policy.categories]
    mine = [c for c in children if c.chair_id == chairs[0].id and c.sibling_group_id is None]
    groups = [c for c in children if c.chair_id == chairs[0].id and c.sibling_group_id is not None]
    others = [c for c in children if c.chair_id != chairs[0].id]
    pool = iter(mine + others)

    def approve(did: int) -> m.Dispute:
        """Whoever approves entering the current stage agrees."""
        d = m.Dispute.get_by_id(did)
        keys = [r.stage_key for r in m.StageRecord.select().where(m.StageRecord.dispute == did)
                .order_by(m.StageRecord.seq)]
        approvers: list[int] = []
        for g in policy.entry_gates(keys[-2] if len(keys) > 1 else None, d.current_stage):
            who = level_holder(policy, g.level, d) if g.level else None
            aid = who.id if who is not None else oversight.id
            if aid not in approvers:
                approvers.append(aid)
        for aid in approvers:
            outcomes.approve_stage(ctx.as_actor(aid), did, "Agreed in supervision.")
        return d

    def approve_and_send(did: int, c: Ctx) -> None:
        """Approve entering the current stage where the procedure asks; then whoever sends it sends it."""
        d = approve(did)
        stage = policy.stage(d.current_stage)
        sender = None if CHAIR in stage.sent_by else level_holder(policy, stage.sent_by[0], d)
        ds.send(c if sender is None else ctx.as_actor(sender.id), did)

    def who_responds(did: int) -> int:
        rec = m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(m.StageRecord.seq.desc()).first()
        return int(rec.responder_id)

    def raise_one(child: m.Child, day: date, ids: list[int] | None = None, stage: Stage = start) -> list[int]:
        _at(clock, day, 9)
        chair_ctx = ctx.as_actor(_chair_id(child))
        arose = cal.subtract_working_days(day, 1)
        return ds.raise_dispute(chair_ctx, ds.RaiseInput(
            child_ids=ids or [child.id], category=rng.choice(cats), start_stage=stage.key, issue_arose=arose,
            raised_on=day, concern=rng.choice(CONCERNS), impact=rng.choice(IMPACTS), wanted=rng.choice(WANTED),
            timescales=f"Within {n_days} working days"))

    def sent(child: m.Child, wd_ago: int, *, hour: int = 10) -> int:
        day = cal.subtract_working_days(today, wd_ago) if wd_ago else today
        (did,) = raise_one(child, day)
        _at(clock, day, hour)
        approve_and_send(did, ctx.as_actor(_chair_id(child)))
        return did

    def respond(did: int, child: m.Child, day: date, actions: int = 2) -> None:
        _at(clock, day, 14)
        acts = [ds.ActionInput(rng.choice(ACTIONS), rng.choice(["Social Worker", "Team Manager"]),
                               cal.add_working_days(day, 3 + i * 2)) for i in range(actions)]
        ds.record_response(ctx.as_actor(who_responds(did)), did, rng.choice(RESPONSES), acts)

    def climb(did: int, child: m.Child, day: date, to_last: bool) -> date:
        """Escalate through the ladder; each stage answered and found not resolved."""
        c = ctx.as_actor(_chair_id(child))
        while True:
            d = m.Dispute.get_by_id(did)
            targets = policy.escalation_targets(d.current_stage)
            if not targets or not to_last:
                return day
            respond(did, child, day, 1)
            day = cal.add_working_days(day, 1)
            _at(clock, day, 11)
            outcomes.decide(c, did, False, "The plan does not yet address the delay.")
            outcomes.escalate(c, did, None)
            approve_and_send(did, c)

    # 1-4: awaiting response: on track, due soon, due today (if a working day), overdue
    sent(next(pool), 0)
    sent(next(pool), max(n_days - 2, 0))
    sent(next(pool), n_days - 1)
    if cal.is_working_day(today):
        sent(next(pool), n_days)
    sent(next(pool), n_days + 3)
    sent(next(pool), n_days + 6)
    # 5: drafts
    raise_one(next(pool), today)
    raise_one(next(pool), cal.subtract_working_days(today, 1))
    # 6: responses waiting for the chair's decision (one with an action due today)
    for wd in (3, 6):
        child = next(pool)
        did = sent(child, wd)
        respond(did, child, cal.subtract_working_days(today, wd - 1))
    child = next(pool)
    did = sent(child, 2)
    _at(clock, cal.subtract_working_days(today, 1), 15)
    ds.record_response(ctx.as_actor(who_responds(did)), did, rng.choice(RESPONSES),
                       [ds.ActionInput("Share the updated plan with the family", "Social Worker", today)])
    # 7: further negotiation (due within hours)
    if policy.rules.negotiation_window.is_set:
        child = next(pool)
        did = sent(child, 3)
        respond(did, child, cal.subtract_working_days(today, 1))
        clock.set(now - timedelta(hours=20))
        outcomes.agree_negotiation(ctx.as_actor(_chair_id(child)), did, "Manager to confirm funding by phone.")
    # 8: extension agreed
    if policy.rules.extensions_allowed:
        child = next(pool)
        did = sent(child, n_days - 1)
        _at(clock, cal.subtract_working_days(today, 1), 12)
        outcomes.agree_extension(ctx.as_actor(_chair_id(child)), did, cal.add_working_days(today, 4),
                                 "Waiting for the specialist assessment gives the plan a better basis for the child.")
    # 9: escalated: one at a higher stage awaiting approval/sending, one sent higher and overdue
    for wait_for_send in (True, False):
        child = next(pool)
        did = sent(child, n_days + 8)
        day = cal.subtract_working_days(today, n_days + 7)
        respond(did, child, day, 1)
        day = cal.add_working_days(day, 1)
        _at(clock, day, 11)
        c = ctx.as_actor(_chair_id(child))
        outcomes.decide(c, did, False, "No timescale for the assessment has been agreed.")
        outcomes.escalate(c, did, None)
        if not wait_for_send:
            approve_and_send(did, c)
    # 10: resolved (one recently, with monitoring if the procedure has it)
    for wd in (12, 4):
        child = next(pool)
        did = sent(child, wd)
        day = cal.subtract_working_days(today, wd - 2)
        respond(did, child, day)
        _at(clock, cal.add_working_days(day, 1), 10)
        outcomes.decide(ctx.as_actor(_chair_id(child)), did, True, "Actions agreed address the concern.")
    # 11: withdrawn
    child = next(pool)
    did = sent(child, 9)
    _at(clock, cal.subtract_working_days(today, 8), 16)
    outcomes.withdraw(ctx.as_actor(_chair_id(child)), did, "Child moved to another authority's care.")
    # 12: at the last stage, then Cafcass where the procedure has it
    child = next(pool)
    did = sent(child, 30)
    day = climb(did, child, cal.subtract_working_days(today, 29), True)
    if policy.rules.cafcass is not CafcassRule.NOT_APPLICABLE:
        respond(did, child, cal.add_working_days(day, 1), 1)
        _at(clock, cal.add_working_days(day, 2), 10)
        c = ctx.as_actor(_chair_id(child))
        outcomes.decide(c, did, False, "The response does not secure the placement.")
        partners = (outcomes.discussion_partners(c, did, "cafcass_referral")
                    if policy.tell_levels("cafcass_referral") else [])
        first: dict[str, int] = {}
        for level, pid, _name, _user in partners:
            first.setdefault(level, pid)
        for level, pid in first.items():  # the discussions the procedure asks for first, where someone holds the level
            outcomes.record_discussion(c, did, "cafcass_referral", level, pid, clock.now(),
                                       "Agreed a referral is needed: the failure to implement the plan is unreasonable.")
        if set(first) == set(policy.tell_levels("cafcass_referral")):
            outcomes.cafcass_step(c, did, "cafcass_referral", "Unreasonable failure to implement sibling contact.")
    # 13: a sibling group raised together and sent together
    sibs = [c for c in groups if c.sibling_group_id == groups[0].sibling_group_id]
    day = cal.subtract_working_days(today, 2)
    ids = raise_one(sibs[0], day, [c.id for c in sibs])
    for did in ids:
        approve(did)
    ds.send(ctx.as_actor(_chair_id(sibs[0])), ids[0], include_siblings=True)
    # fill up to ~25 with ordinary cases for the other chairs
    while m.Dispute.select().count() < 25:
        try:
            child = next(pool)
        except StopIteration:
            break
        sent(child, rng.randrange(0, n_days + 4))
    # compliments where the procedure has them
    if policy.rules.compliments:
        clock.set(now - timedelta(hours=3))
        inbox.send_compliment(ctx.as_actor(chairs[0].id), mine[-1].id,
                              "Thoughtful, timely life-story work that the child clearly values.")
    clock.set(now)


CONCERNS = [
    "The care plan has not been updated since the last review and the permanence plan has drifted.",
    "Sibling contact agreed at the review has not taken place for eight weeks.",
    "The social work report was not shared with the parents before the review.",
    "The health assessment is overdue and no date has been booked.",
    "No allocated social worker for six weeks; statutory visits are late.",
    "The placement plan does not reflect the child's education needs.",
]
IMPACTS = [
    "The child is anxious about where they will live and has asked twice.",
    "The child is missing time with their brother, which they value greatly.",
    "Decisions are delayed and the child's plan cannot progress.",
]
WANTED = [
    "An updated care plan with a clear permanence timescale.",
    "Contact re-instated with dates agreed and shared with the child.",
    "An allocated worker and a visit within five working days.",
]
RESPONSES = [
    "Agreed. Team manager will review the plan with the social worker this week.",
    "Funding request submitted; contact sessions booked from next week.",
    "A worker is allocated from Monday and will visit within the week.",
]
ACTIONS = [
    "Update the care plan and share it with the IRO",
    "Book the health assessment",
    "Arrange sibling contact and confirm dates",
    "Complete the statutory visit and see the child alone",
]
