"""Every built-in profile walked end to end through the services.

Raise -> send -> respond with SMART actions -> not resolved -> escalate (with the
approval where the profile asks for it) -> send ... up to the last stage, then a
Cafcass referral where the profile allows it (refused where it does not); and a
second walk to resolution (with the monitoring meeting where the profile has one).

Every due date below was worked out by hand from the seed's timescale and the
England bank holidays (25 Dec 2026 Fri, 28 Dec 2026 Mon = Boxing Day observed,
1 Jan 2027 Fri); "Mon 23 Nov + 5 working days" is the end of Mon 30 Nov.
At each step the inbox items for the responder, the chair and the for-information
recipients are checked, and the event appended (who, when, what, before/after).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from drp_tui.domain.deadlines import deadlines
from drp_tui.domain.model import Decision, DueState, Status
from drp_tui.domain.timeutil import LONDON, end_of_london_day_utc, format_london, utc
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.errors import DomainError
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import get_dispute
from tests.factories import World


# --- helpers -------------------------------------------------------------------------------

def at(w: World, y: int, mo: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return w.clock.set(datetime(y, mo, d, h, mi, tzinfo=LONDON))


class Trail:
    """What the last step added: inbox items (recipient id -> kinds) and events."""

    def __init__(self) -> None:
        self.n = self._max(m.Notification)
        self.e = self._max(m.Event)

    @staticmethod
    def _max(model: type[m.BaseModel]) -> int:
        last = model.select(model.id).order_by(model.id.desc()).first()
        return int(last.id) if last else 0

    def take(self) -> tuple[dict[int, list[str]], list[m.Event]]:
        notes: dict[int, list[str]] = {}
        for n in m.Notification.select().where(m.Notification.id > self.n).order_by(m.Notification.id):
            notes.setdefault(n.recipient_id, []).append(n.kind)
        events = list(m.Event.select().where(m.Event.id > self.e).order_by(m.Event.id))
        self.n, self.e = self._max(m.Notification), self._max(m.Event)
        return notes, events


def one_event(events: list[m.Event], kind: str, actor: m.Staff, when: datetime) -> tuple[dict, dict]:
    """The step appended exactly one event of ``kind``, by ``actor`` at ``when``."""
    assert [e.kind for e in events] == [kind], [e.kind for e in events]
    ev = events[0]
    assert ev.actor_id == actor.id
    assert ev.at == utc(when)
    assert ev.summary
    return (json.loads(ev.before) if ev.before else {}), (json.loads(ev.after) if ev.after else {})


def informs(w: World, stage_key: str) -> list[m.Staff]:
    return [w.levels[level] for level in w.policy.stage(stage_key).inform_levels]


def raise_one(w: World, stage: str, arose: date, child: m.Child | None = None) -> int:
    (did,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[(child or w.child).id], category=w.policy.categories[0].key, start_stage=stage,
        issue_arose=arose, concern="Sibling contact agreed at the review has not happened for eight weeks.",
        impact="The child misses her brother and asks about him every visit.",
        wanted="Contact dates agreed and shared with the child.", timescales="Within the stage timescale"))
    return did


@dataclass(frozen=True)
class Step:
    stage: str
    send: tuple[int, int, int]  # London date sent (10:00)
    due: date  # expected due day (hand-computed)
    respond: tuple[int, int, int]  # London date of the response (14:00)
    decide: tuple[int, int, int]  # London date the chair decides + escalates (09:00)
    on_behalf: bool = False  # the chair records the response for the manager


def sender(w: World, stage_key: str) -> m.Staff:
    """Who sends the stage by the profile: the chair, or the holder of the first level its sent_by names."""
    parties = w.policy.stage(stage_key).sent_by
    return w.chair if "chair" in parties else w.levels[parties[0]]


def do_send(w: World, trail: Trail, did: int, step: Step) -> None:
    now = at(w, *step.send, 10)
    by = sender(w, step.stage)
    assert ds.send(w.ctx(by), did) == [did]
    d = get_dispute(did)
    cur = d.current
    assert cur is not None and cur.stage_key == step.stage and d.status is Status.SENT
    responder = w.responder(step.stage)
    assert cur.responder_id == responder.id
    assert cur.due_date == step.due, f"{step.stage}: due {cur.due_date}, expected {step.due}"
    assert cur.due_at == end_of_london_day_utc(step.due)
    assert set(cur.inform_ids) == {s.id for s in informs(w, step.stage)}
    notes, events = trail.take()
    assert notes.pop(responder.id) == ["request"]
    for s in informs(w, step.stage):
        assert notes.pop(s.id) == ["info"], s.name
    assert notes == {}  # the sender did it: no one else is told
    before, after = one_event(events, "sent", by, now)
    assert after["responder"] == responder.id
    assert after["due"].startswith(end_of_london_day_utc(step.due).strftime("%Y-%m-%d %H:%M"))
    assert before.get("status") == "draft"


def do_respond(w: World, trail: Trail, did: int, step: Step) -> None:
    now = at(w, *step.respond, 14)
    responder = w.responder(step.stage)
    who = w.chair if step.on_behalf else responder
    due = w.calendar.add_working_days(date(*step.respond), 3)
    ds.record_response(w.ctx(who), did, "Agreed: contact resumes next week; dates sent to the carers.",
                       [ds.ActionInput("Book three contact sessions and share the dates", "Social Worker", due),
                        ds.ActionInput("Review contact in supervision", "Team Manager", due)],
                       on_behalf=step.on_behalf)
    d = get_dispute(did)
    cur = d.current
    assert cur is not None and d.status is Status.RESPONDED
    assert cur.response_by_id == who.id and cur.response_on_behalf is step.on_behalf
    assert [(a.owner, a.due) for a in cur.actions] == [("Social Worker", due), ("Team Manager", due)]
    notes, events = trail.take()
    if step.on_behalf:
        assert notes.pop(responder.id) == ["info"]  # told their response was recorded for them
    else:
        assert notes.pop(w.chair.id) == ["response"]
    written = {w.levels[lv].id for lv in w.policy.stage(step.stage).response_to_levels}
    for s in informs(w, step.stage):  # those the written response is sent to (001:130, 001:135) receive it
        assert notes.pop(s.id) == (["response"] if s.id in written else ["info"])
    assert notes == {}
    before, after = one_event(events, "responded", who, now)
    assert before == {"response": ""} or before == {}
    assert after["on_behalf"] is step.on_behalf and len(after["actions"]) == 2
    if step.on_behalf:
        assert "on behalf of" in events[0].summary


def do_not_resolved(w: World, trail: Trail, did: int, step: Step) -> None:
    now = at(w, *step.decide, 9)
    assert outcomes.decide(w.ctx(), did, False, "The plan has no dates; contact is still not happening.") == [did]
    d = get_dispute(did)
    assert d.current is not None and d.current.decision is Decision.NOT_RESOLVED
    assert d.status is Status.RESPONDED  # still open until escalated
    notes, events = trail.take()
    assert notes.pop(w.responder(step.stage).id) == ["decision"]
    for s in informs(w, step.stage):
        assert notes.pop(s.id) == ["decision"]
    assert notes == {}
    before, after = one_event(events, "decided", w.chair, now)
    assert after["decision"] == "not_resolved"
    assert before.get("decision") is None and before.get("status") == "responded"


def do_escalate(w: World, trail: Trail, did: int, step: Step, target: str) -> None:
    now = w.clock.now()
    assert outcomes.escalate(w.ctx(), did) == [did]
    d = get_dispute(did)
    assert d.current_stage == target and d.status is Status.DRAFT
    assert d.current is not None and d.current.stage_key == target and d.current.sent_at is None
    notes, events = trail.take()
    expected: dict[int, list[str]] = {w.responder(step.stage).id: ["info"]}
    for s in informs(w, step.stage):  # told the stage they were copied into moved on
        expected.setdefault(s.id, []).append("info")
    gates = w.policy.entry_gates(step.stage, target)
    for g in gates:  # asked to agree the next stage (the old requires_approval, or a gate on this escalation)
        expected.setdefault(w.levels[g.level].id, []).append("approval")
    if "chair" not in w.policy.stage(target).sent_by:  # the one who sends it is told it awaits them
        expected.setdefault(sender(w, target).id, []).append("request")
    assert notes == expected
    before, after = one_event(events, "escalated", w.chair, now)
    assert before == {"stage": step.stage} and after == {"stage": target}
    for g in gates:
        approver = w.levels[g.level]
        outcomes.approve_stage(w.ctx(approver), did, "Discussed in supervision; agreed.")
        notes, events = trail.take()
        assert notes == {w.chair.id: ["approval"]}
        _, after = one_event(events, "approved", approver, now)
        assert after.get("stage") == target and after.get("gates") == [g.gate]
        if g.on == "stage":
            assert get_dispute(did).current.approval_by_id == approver.id  # type: ignore[union-attr]


def climb(w: World, did: int, steps: list[Step]) -> Trail:
    trail = Trail()
    for i, step in enumerate(steps):
        do_send(w, trail, did, step)
        do_respond(w, trail, did, step)
        do_not_resolved(w, trail, did, step)
        if i + 1 < len(steps):
            do_escalate(w, trail, did, step, steps[i + 1].stage)
    # every stage of the ladder was reached, each with its own record
    d = get_dispute(did)
    assert [s.stage_key for s in d.stages] == [s.stage for s in steps]
    assert [s.due_date for s in d.stages] == [s.due for s in steps]
    return trail


def refer_to_cafcass(w: World, did: int, trail: Trail) -> None:
    last = w.policy.stages[-1].key
    tell = [w.levels[level] for level in w.policy.rules.cafcass_tell_levels]
    now = w.clock.now()
    for level, who in zip(w.policy.rules.cafcass_tell_levels, tell, strict=True):  # recorded first (000:92)
        outcomes.record_discussion(w.ctx(), did, "cafcass_referral", level, who.id, now, "Agreed the referral.")
    trail.take()
    told = "; ".join(f"{w.policy.level_label(level)}: {who.name}, {format_london(now)}"
                     for level, who in zip(w.policy.rules.cafcass_tell_levels, tell, strict=True))
    outcomes.cafcass_step(w.ctx(), did, "cafcass_referral",
                          "Unreasonable failure to implement sibling contact in the care plan.")
    d = get_dispute(did)
    closes = w.policy.rules.cafcass_ends_dispute
    if closes:
        assert d.status is Status.CAFCASS and d.closed_at == utc(now) and d.outcome.startswith("Referred to Cafcass")
    else:  # 004:28 the referral runs alongside: the dispute stays open
        assert d.status is Status.RESPONDED and d.closed_at is None and d.outcome == ""
    notes, events = trail.take()
    expected: dict[int, list[str]] = {}
    for s in [*tell, w.responder(last), *informs(w, last)]:  # told first, the responder, those copied
        expected.setdefault(s.id, []).append("info")
    assert notes == expected
    before, after = one_event(events, "cafcass_referral", w.chair, now)
    if closes:
        assert before.get("status") == "responded" and after.get("status") == "cafcass"
    else:
        assert "status" not in after
    assert after["told"] == told
    assert m.CafcassStep.select().where(m.CafcassStep.dispute == did).count() == 1 + len(tell)
    if closes:  # closed: nothing more can be done to it
        with pytest.raises(DomainError, match="read-only"):
            outcomes.escalate(w.ctx(), did)
    else:
        with pytest.raises(DomainError, match="already referred"):
            outcomes.cafcass_step(w.ctx(), did, "cafcass_referral", "Again.")


def one(y: int, mo: int, d: int) -> tuple[int, int, int]:
    return (y, mo, d)


# --- the ladders, one per profile -----------------------------------------------------------

MOSAIC_IRO = [  # 5 working days at every stage (000:65, 000:77); approval from stage 2 (000:85)
    Step("informal", one(2026, 11, 23), date(2026, 11, 30), one(2026, 11, 24), one(2026, 11, 25)),
    Step("stage_1", one(2026, 11, 25), date(2026, 12, 2), one(2026, 11, 26), one(2026, 11, 27), on_behalf=True),
    Step("stage_2", one(2026, 11, 27), date(2026, 12, 4), one(2026, 12, 1), one(2026, 12, 2)),
    Step("stage_3", one(2026, 12, 2), date(2026, 12, 9), one(2026, 12, 7), one(2026, 12, 8)),
    Step("stage_4", one(2026, 12, 8), date(2026, 12, 15), one(2026, 12, 11), one(2026, 12, 14)),
]

MOSAIC_CPC = [  # starts at stage 1; stage 3 and stage 4 cross Christmas 2026
    Step("stage_1", one(2026, 12, 10), date(2026, 12, 17), one(2026, 12, 14), one(2026, 12, 15)),
    Step("stage_2", one(2026, 12, 15), date(2026, 12, 22), one(2026, 12, 18), one(2026, 12, 21), on_behalf=True),
    # Mon 21 Dec + 5: 22, 23, 24, (25 Christmas, 26-27 weekend, 28 Boxing Day observed) 29, 30
    Step("stage_3", one(2026, 12, 21), date(2026, 12, 30), one(2026, 12, 23), one(2026, 12, 24)),
    # Thu 24 Dec + 5: 29, 30, 31, (1 Jan New Year's Day, 2-3 weekend) 4, 5 Jan 2027
    Step("stage_4", one(2026, 12, 24), date(2027, 1, 5), one(2027, 1, 4), one(2027, 1, 5)),
]

DURHAM = [  # 1, 4 (001:106 reading), 4, 5, 5, 1, 1 working days
    Step("stage_1", one(2026, 11, 23), date(2026, 11, 24), one(2026, 11, 23), one(2026, 11, 24)),
    Step("stage_2", one(2026, 11, 25), date(2026, 12, 1), one(2026, 11, 27), one(2026, 11, 30)),
    Step("stage_3", one(2026, 12, 2), date(2026, 12, 8), one(2026, 12, 4), one(2026, 12, 7), on_behalf=True),
    Step("stage_4", one(2026, 12, 9), date(2026, 12, 16), one(2026, 12, 14), one(2026, 12, 16)),
    Step("stage_5", one(2026, 12, 17), date(2026, 12, 24), one(2026, 12, 22), one(2026, 12, 23)),
    # Thu 24 Dec + 1 working day: over Christmas and Boxing Day (observed Mon 28) to Tue 29 Dec
    Step("stage_6", one(2026, 12, 24), date(2026, 12, 29), one(2026, 12, 29), one(2026, 12, 29)),
    Step("stage_7", one(2026, 12, 30), date(2026, 12, 31), one(2026, 12, 31), one(2026, 12, 31)),
]

TOWER_HAMLETS = [  # informal has no timescale (003:24); every Alert 10 working days
    Step("alert_1", one(2026, 11, 25), date(2026, 12, 9), one(2026, 11, 27), one(2026, 11, 30)),
    Step("alert_2", one(2026, 11, 30), date(2026, 12, 14), one(2026, 12, 10), one(2026, 12, 15), on_behalf=True),
    # Tue 15 Dec + 10: 16-18 (3), 21-24 (7), 29, 30, 31 (10)
    Step("alert_3", one(2026, 12, 15), date(2026, 12, 31), one(2026, 12, 30), one(2027, 1, 4)),
    Step("alert_4", one(2027, 1, 4), date(2027, 1, 18), one(2027, 1, 15), one(2027, 1, 19)),
    Step("alert_5", one(2027, 1, 19), date(2027, 2, 2), one(2027, 2, 1), one(2027, 2, 2)),
]

KNOWSLEY = [  # 5 working days at every stage (004:37-40)
    Step("stage_1", one(2026, 11, 23), date(2026, 11, 30), one(2026, 11, 25), one(2026, 11, 30)),
    Step("stage_2", one(2026, 12, 1), date(2026, 12, 8), one(2026, 12, 4), one(2026, 12, 8), on_behalf=True),
    Step("stage_3", one(2026, 12, 9), date(2026, 12, 16), one(2026, 12, 14), one(2026, 12, 16)),
    Step("stage_4", one(2026, 12, 17), date(2026, 12, 24), one(2026, 12, 22), one(2026, 12, 23)),
]


def state_of(w: World, did: int, kind: str) -> list[DueState]:
    items = deadlines(get_dispute(did), w.policy, w.calendar, w.clock.now())
    return [x.state for x in items if x.kind == kind]


# --- the walks -------------------------------------------------------------------------------

@pytest.mark.parametrize("policy_key", ["mosaic-iro"], indirect=True)
def test_mosaic_iro_walk_to_cafcass(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "informal", date(2026, 11, 19))  # Thu 19 Nov + 2 working days = Mon 23 Nov
    trail = climb(w, did, MOSAIC_IRO)
    assert state_of(w, did, "raise") == [DueState.DONE]
    refer_to_cafcass(w, did, trail)


@pytest.mark.parametrize("policy_key", ["mosaic-cpc"], indirect=True)
def test_mosaic_cpc_walk_over_christmas_no_cafcass(world: World) -> None:
    w = world
    at(w, 2026, 12, 10, 9)
    did = raise_one(w, "stage_1", date(2026, 12, 8))
    trail = climb(w, did, MOSAIC_CPC)
    # no stage after stage 4, and Cafcass has no role in child protection plans (002, see notes)
    with pytest.raises(DomainError, match="last stage") as exc:
        outcomes.escalate(w.ctx(), did)
    assert "record the outcome" in exc.value.message
    with pytest.raises(DomainError, match="Cafcass referral does not apply"):
        outcomes.cafcass_step(w.ctx(), did, "cafcass_referral", "Would refer", told="")
    assert trail.take() == ({}, [])
    # the director's response is final within the DRP: the chair records the outcome
    now = at(w, 2027, 1, 5, 11)
    outcomes.decide(w.ctx(), did, True, "Director's plan accepted.")
    d = get_dispute(did)
    assert d.status is Status.RESOLVED and d.closed_at == utc(now) and d.monitoring == ()


@pytest.mark.parametrize("policy_key", ["durham-rp"], indirect=True)
def test_durham_walk_seven_stages_to_cafcass(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "stage_1", date(2026, 11, 20))  # Fri 20 Nov + 2 = Tue 24 Nov
    trail = Trail()
    cap_states: list[DueState] = []
    for i, step in enumerate(DURHAM):
        do_send(w, trail, did, step)
        cap_states.append(state_of(w, did, "cap")[0])
        do_respond(w, trail, did, step)
        do_not_resolved(w, trail, did, step)
        if i + 1 < len(DURHAM):
            do_escalate(w, trail, did, step, DURHAM[i + 1].stage)
    # the 17-working-day cap runs from stage 1 (Mon 23 Nov) to the end of Wed 16 Dec
    cap = [x for x in deadlines(get_dispute(did), w.policy, w.calendar, w.clock.now()) if x.kind == "cap"]
    assert [x.due.day for x in cap] == [date(2026, 12, 16)]
    # on track while stages 1-4 are sent (the last on Wed 9 Dec); overdue from stage 5 (Thu 17 Dec)
    assert cap_states == [DueState.ON_TRACK] * 4 + [DueState.OVERDUE] * 3
    assert [s.due_date for s in get_dispute(did).stages] == [s.due for s in DURHAM]
    refer_to_cafcass(w, did, trail)


@pytest.mark.parametrize("policy_key", ["tower-hamlets-alerts"], indirect=True)
def test_tower_hamlets_walk_informal_then_five_alerts(world: World) -> None:
    w = world
    trail = Trail()
    now = at(w, 2026, 11, 23, 9)
    did = raise_one(w, "informal", date(2026, 11, 20))
    notes, events = trail.take()
    assert notes == {}
    _, after = one_event(events, "raised", w.chair, now)
    assert after["stage"] == "informal"
    # informal escalation: no timescale (003:24) -> no due date, may escalate when the chair decides
    at(w, 2026, 11, 23, 10)
    ds.send(w.ctx(), did)
    cur = get_dispute(did).current
    assert cur is not None and cur.due_at is None and cur.due_date is None
    notes, events = trail.take()
    assert notes.pop(w.responder("informal").id) == ["request"]
    assert {k: v for k, v in notes.items()} == {s.id: ["info"] for s in informs(w, "informal")}
    one_event(events, "sent", w.chair, w.clock.now())
    at(w, 2026, 11, 24, 14)
    ds.record_response(w.ctx(w.responder("informal")), did, "Will look at it.", [])
    trail.take()
    at(w, 2026, 11, 25, 9)
    outcomes.decide(w.ctx(), did, False, "Nothing has changed.")
    trail.take()
    do_escalate(w, trail, did, Step("informal", (0, 0, 0), date.min, (0, 0, 0), (0, 0, 0)), "alert_1")
    for i, step in enumerate(TOWER_HAMLETS):
        do_send(w, trail, did, step)
        do_respond(w, trail, did, step)
        do_not_resolved(w, trail, did, step)
        if i + 1 < len(TOWER_HAMLETS):
            do_escalate(w, trail, did, step, TOWER_HAMLETS[i + 1].stage)
    refer_to_cafcass(w, did, trail)


@pytest.mark.parametrize("policy_key", ["knowsley-dr"], indirect=True)
def test_knowsley_walk_four_stages_cap_and_cafcass(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "stage_1", date(2026, 11, 23))
    trail = Trail()
    for i, step in enumerate(KNOWSLEY):
        do_send(w, trail, did, step)
        caps = state_of(w, did, "cap")
        assert caps == ([] if step.stage == "stage_1" else caps)  # the cap starts at stage 2
        do_respond(w, trail, did, step)
        do_not_resolved(w, trail, did, step)
        if i + 1 < len(KNOWSLEY):
            do_escalate(w, trail, did, step, KNOWSLEY[i + 1].stage)
    # stages 2-4 within 20 working days of Tue 1 Dec: Thu 31 Dec (over Christmas)
    cap = [x for x in deadlines(get_dispute(did), w.policy, w.calendar, w.clock.now()) if x.kind == "cap"]
    assert [x.due.day for x in cap] == [date(2026, 12, 31)] and cap[0].state is DueState.ON_TRACK
    refer_to_cafcass(w, did, trail)


@pytest.mark.parametrize("policy_key", ["knowsley-dr"], indirect=True)
def test_knowsley_cafcass_at_any_point(world: World) -> None:
    """004:28 'refer the matter to Cafcass at any point': even while stage 2 awaits a response."""
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "stage_2", date(2026, 11, 23))
    ds.send(w.ctx(), did)
    at(w, 2026, 11, 24, 9)
    outcomes.cafcass_step(w.ctx(), did, "cafcass_referral", "Child at risk from the delay; referring now.")
    assert get_dispute(did).status is Status.SENT  # and it goes on: the referral runs alongside


# --- walks to resolution ---------------------------------------------------------------------

RESOLUTION = {
    # profile: (start stage, sent, expected due, monitoring due or None)
    "mosaic-iro": ("stage_1", date(2026, 11, 30), None),
    "mosaic-cpc": ("informal", date(2026, 11, 30), None),
    "durham-rp": ("stage_2", date(2026, 11, 27), date(2026, 12, 9)),  # 4 wd; monitoring Wed 25 Nov + 10
    "tower-hamlets-alerts": ("alert_3", date(2026, 12, 7), None),  # straight to Head of Service, 10 wd
    "knowsley-dr": ("stage_3", date(2026, 11, 30), None),
}


@pytest.mark.parametrize("policy_key", sorted(RESOLUTION), indirect=True)
def test_walk_to_resolution(world: World, policy_key: str) -> None:
    w = world
    start, due, monitoring_due = RESOLUTION[policy_key]
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, start, date(2026, 11, 20))
    trail = Trail()
    step = Step(start, one(2026, 11, 23), due, one(2026, 11, 24), one(2026, 11, 25))
    for g in w.policy.entry_gates(None, start):  # e.g. 003:24: the Group Manager agrees starting at the 3rd Alert
        outcomes.approve_stage(w.ctx(w.levels[g.level]), did, "Agreed.")
        trail.take()
    do_send(w, trail, did, step)
    do_respond(w, trail, did, step)
    now = at(w, 2026, 11, 25, 9)
    assert outcomes.decide(w.ctx(), did, True, "The action plan addresses the concern.") == [did]
    d = get_dispute(did)
    assert d.status is Status.RESOLVED and d.closed_at == utc(now)
    assert d.current is not None and d.current.decision is Decision.RESOLVED
    notes, events = trail.take()
    assert notes.pop(w.responder(start).id) == ["decision"]
    for s in informs(w, start):
        assert notes.pop(s.id) == ["decision"]
    before, after = one_event(events, "decided", w.chair, now)
    assert after["decision"] == "resolved" and after.get("status") == "resolved"
    if monitoring_due is None:
        assert notes == {} and d.monitoring == ()
        return
    # Durham: a monitoring meeting within 10 working days of the agreed outcome (001:65)
    assert notes == {w.chair.id: ["reminder"]}
    assert [x.due_on for x in d.monitoring] == [monitoring_due]
    assert state_of(w, did, "monitoring") == [DueState.ON_TRACK]
    at(w, 2026, 12, 9, 9)
    assert state_of(w, did, "monitoring") == [DueState.DUE_TODAY]
    now = at(w, 2026, 12, 8, 15)
    outcomes.record_monitoring(w.ctx(), did, date(2026, 12, 8), "Contact has resumed; plan on track.",
                               attendees="IRO, Team Manager")
    d = get_dispute(did)
    assert [(x.held_on, x.outcome) for x in d.monitoring] == [(date(2026, 12, 8), "Contact has resumed; plan on track.")]
    assert state_of(w, did, "monitoring") == [DueState.DONE]
    notes, events = trail.take()
    assert notes.pop(w.responder(start).id) == ["info"]  # the manager taking the resolution forward
    assert notes == {}
    before, after = one_event(events, "monitoring", w.chair, now)
    assert before.get("held_on") is None and after["held_on"] == "2026-12-08"


# --- the other moves: each tells the people concerned and leaves its event -------------------------

@pytest.mark.parametrize("policy_key", ["mosaic-iro"], indirect=True)
def test_negotiation_then_resolved_keeps_the_window(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "informal", date(2026, 11, 20))
    trail = Trail()
    step = Step("informal", one(2026, 11, 23), date(2026, 11, 30), one(2026, 11, 24), one(2026, 11, 25))
    do_send(w, trail, did, step)
    do_respond(w, trail, did, step)
    now = at(w, 2026, 11, 25, 16)
    until = outcomes.agree_negotiation(w.ctx(), did, "Manager to confirm contact dates by phone tomorrow.")
    assert until == utc(datetime(2026, 11, 26, 16, tzinfo=LONDON))  # 24 hours (000:71)
    assert get_dispute(did).status is Status.NEGOTIATING
    notes, events = trail.take()
    expected = {w.responder("informal").id: ["request"]}
    for s in informs(w, "informal"):
        expected.setdefault(s.id, []).append("info")
    assert notes == expected
    before, after = one_event(events, "negotiation", w.chair, now)
    assert before == {"status": "responded"} and after["status"] == "negotiating"
    # resolved within the window: the window stays on the record, its clock is done
    at(w, 2026, 11, 26, 11)
    outcomes.decide(w.ctx(), did, True, "Dates confirmed.")
    d = get_dispute(did)
    assert d.status is Status.RESOLVED and d.current is not None and d.current.negotiation_until == until
    assert state_of(w, did, "negotiation") == [DueState.DONE]


@pytest.mark.parametrize("policy_key", ["durham-rp"], indirect=True)
def test_extension_with_its_reason(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "stage_2", date(2026, 11, 20))
    trail = Trail()
    do_send(w, trail, did, Step("stage_2", one(2026, 11, 23), date(2026, 11, 27), one(2026, 11, 24),
                                one(2026, 11, 25)))
    now = at(w, 2026, 11, 26, 9)
    outcomes.agree_extension(w.ctx(), did, date(2026, 12, 4), "The specialist assessment lands on 3 Dec.")
    cur = get_dispute(did).current
    assert cur is not None and cur.extension_until == end_of_london_day_utc(date(2026, 12, 4))
    assert cur.extension_reason == "The specialist assessment lands on 3 Dec." and cur.due_date == date(2026, 11, 27)
    notes, events = trail.take()
    assert notes == {w.responder("stage_2").id: ["request"], **{s.id: ["info"] for s in informs(w, "stage_2")}}
    before, after = one_event(events, "extension", w.chair, now)
    assert before["due"].startswith("2026-11-28 00:00") and after["due"].startswith("2026-12-05 00:00")
    assert after["reason"].startswith("The specialist")
    assert state_of(w, did, "response") == [DueState.PAUSED]


@pytest.mark.parametrize("policy_key", ["mosaic-iro"], indirect=True)
def test_withdraw_action_done_and_conversation(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "stage_1", date(2026, 11, 20))
    trail = Trail()
    step = Step("stage_1", one(2026, 11, 23), date(2026, 11, 30), one(2026, 11, 24), one(2026, 11, 25))
    do_send(w, trail, did, step)
    do_respond(w, trail, did, step)
    tm = w.responder("stage_1")
    # the manager marks an action done: the chair hears of it
    now = at(w, 2026, 11, 25, 9)
    action = get_dispute(did).current.actions[0]  # type: ignore[union-attr]
    outcomes.complete_action(w.ctx(tm), action.id)
    notes, events = trail.take()
    assert notes == {w.chair.id: ["info"]}
    before, after = one_event(events, "action_done", tm, now)
    assert before == {"done_on": None} and after == {"action": action.id, "done_on": "2026-11-25"}
    # a conversation before paper (design: who, when, how, what was agreed)
    now = at(w, 2026, 11, 25, 10)
    outcomes.record_conversation(w.ctx(), did, "Manager Team Manager", now, "phone",
                                 "Contact to restart next week.", "5 working days")
    _, events = trail.take()
    _, after = one_event(events, "conversation", w.chair, now)
    assert after["how"] == "phone" and after["with"] == "Manager Team Manager"
    # withdrawn: a recorded outcome, the manager and those copied told
    now = at(w, 2026, 11, 25, 11)
    outcomes.withdraw(w.ctx(), did, "Child returned home under a new plan.")
    d = get_dispute(did)
    assert d.status is Status.WITHDRAWN and d.outcome == "Withdrawn: Child returned home under a new plan."
    notes, events = trail.take()
    assert notes == {tm.id: ["info"], **{s.id: ["info"] for s in informs(w, "stage_1")}}
    before, after = one_event(events, "withdrawn", w.chair, now)
    assert before == {"status": "responded"} and after["status"] == "withdrawn"


@pytest.mark.parametrize("policy_key", ["mosaic-iro", "mosaic-cpc", "durham-rp", "tower-hamlets-alerts",
                                        "knowsley-dr"], indirect=True)
def test_compliment_where_the_profile_has_one(world: World) -> None:
    from drp_tui.services import inbox
    w = world
    trail = Trail()
    now = w.clock.now()
    text = "Thoughtful, timely life-story work that the child clearly values."
    if not w.policy.rules.compliments:
        with pytest.raises(DomainError, match="no compliments form"):
            inbox.send_compliment(w.ctx(), w.child.id, text)  # type: ignore[union-attr]
        assert trail.take() == ({}, [])
        return
    cid = inbox.send_compliment(w.ctx(), w.child.id, text)  # type: ignore[union-attr]
    c = m.Compliment.get_by_id(cid)
    assert (c.practitioner_id, c.manager_id, c.text) == (w.worker.id, w.levels["team_manager"].id, text)
    notes, events = trail.take()
    # 000:97 "send a notification to the responsible practitioner and team manager"
    assert notes == {w.worker.id: ["compliment"], w.levels["team_manager"].id: ["compliment"]}
    assert [e.kind for e in events] == ["compliment"] and events[0].actor_id == w.chair.id
    assert events[0].at == utc(now) and events[0].child_id == w.child.id  # type: ignore[union-attr]


@pytest.mark.parametrize("policy_key", ["mosaic-iro"], indirect=True)
def test_raise_at_a_stage_needing_approval_asks_for_it(world: World) -> None:
    """000:85: stage 2 or above needs the service manager's agreement: raising straight at
    stage 2 asks them, as escalating to it does."""
    w = world
    trail = Trail()
    did = raise_one(w, "stage_2", date(2026, 11, 20))
    notes, _ = trail.take()
    assert notes == {w.oversight.id: ["approval"]}
    outcomes.approve_stage(w.ctx(w.oversight), did, "Agreed in supervision.")
    assert trail.take()[0] == {w.chair.id: ["approval"]}
    ds.send(w.ctx(), did)
    assert get_dispute(did).current.responder_id == w.levels["service_manager"].id  # type: ignore[union-attr]


@pytest.mark.parametrize("policy_key", ["mosaic-iro"], indirect=True)
def test_reopen_tells_those_involved(world: World) -> None:
    w = world
    at(w, 2026, 11, 23, 9)
    did = raise_one(w, "stage_1", date(2026, 11, 20))
    trail = Trail()
    step = Step("stage_1", one(2026, 11, 23), date(2026, 11, 30), one(2026, 11, 24), one(2026, 11, 25))
    do_send(w, trail, did, step)
    do_respond(w, trail, did, step)
    outcomes.decide(w.ctx(), did, True, "Actions agreed.")
    trail.take()
    now = at(w, 2026, 12, 2, 9)
    outcomes.reopen(w.ctx(w.oversight), did, "The agreed contact did not happen.")  # oversight of the chair's team
    notes, events = trail.take()
    assert notes == {w.chair.id: ["info"], w.responder("stage_1").id: ["info"]}
    before, after = one_event(events, "reopened", w.oversight, now)
    assert before == {"status": "resolved"} and after == {"status": "responded"}
