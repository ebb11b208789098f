"""Reports: numbers by status, stage, category and team; timeliness; the supervision list."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from drp_tui.domain.model import DueState, Status
from drp_tui.domain.timeutil import LONDON
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes, reports
from drp_tui.services.errors import PermissionDenied
from tests.factories import World


def _at(world: World, day: date, hour: int = 10) -> None:
    world.clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON))


def _raise(world: World, child_id: int, category: str, day: date, chair=None) -> int:  # type: ignore[no-untyped-def]
    _at(world, day, 9)
    (did,) = ds.raise_dispute(world.ctx(chair), ds.RaiseInput(
        child_ids=[child_id], category=category, start_stage="informal", issue_arose=day,
        concern="The plan has drifted."))
    return did


def _send(world: World, did: int, day: date, chair=None) -> None:  # type: ignore[no-untyped-def]
    _at(world, day, 10)
    ds.send(world.ctx(chair), did)


def _respond(world: World, did: int, day: date) -> None:
    _at(world, day, 14)
    ds.record_response(world.ctx(world.responder("informal")), did, "We will act.")


@pytest.fixture
def built(world: World) -> dict[str, int]:
    """Five disputes on a frozen Monday 23 Nov 2026 10:00 (London):

    d1 sent Mon 16 Nov, answered Wed 18 Nov (2 working days, on time), resolved.
    d2 sent Mon 9 Nov (due end of Mon 16 Nov), answered Wed 18 Nov (7 working days, late).
    d3 sent Tue 17 Nov (due end of Tue 24 Nov): awaiting, due soon.
    d4 another chair's, sent Mon 2 Nov (due end of Mon 9 Nov): awaiting and overdue.
    d5 a draft.
    """
    sib = world.siblings
    d1 = _raise(world, sib[0].id, "care_plan", date(2026, 11, 16))
    _send(world, d1, date(2026, 11, 16))
    _respond(world, d1, date(2026, 11, 18))
    _at(world, date(2026, 11, 19))
    outcomes.decide(world.ctx(), d1, True, "Agreed.")
    d2 = _raise(world, sib[1].id, "care_plan", date(2026, 11, 9))
    _send(world, d2, date(2026, 11, 9))
    _respond(world, d2, date(2026, 11, 18))
    d3 = _raise(world, sib[2].id, "drift_and_delay", date(2026, 11, 17))
    _send(world, d3, date(2026, 11, 17))
    assert world.other_child is not None
    d4 = _raise(world, world.other_child.id, "care_plan", date(2026, 11, 2), world.other_chair)
    _send(world, d4, date(2026, 11, 2), world.other_chair)
    d5 = _raise(world, sib[0].id, "practice_issues", date(2026, 11, 20))
    world.clock.set(datetime(2026, 11, 23, 10, tzinfo=LONDON))
    return {"d1": d1, "d2": d2, "d3": d3, "d4": d4, "d5": d5}


def _counts(items: tuple[reports.Count, ...]) -> dict[str, int]:
    return {c.key: c.count for c in items}


def test_numbers_by_status_stage_category(world: World, built: dict[str, int]) -> None:
    r = reports.report(world.policy, world.calendar, world.clock.now())
    assert r.total == 5
    assert r.open == 4
    status = _counts(r.by_status)
    assert status == {"draft": 1, "sent": 2, "responded": 1, "negotiating": 0, "resolved": 1,
                      "cafcass": 0, "withdrawn": 0}
    assert [c.key for c in r.by_status] == [s.value for s in Status]
    stage = _counts(r.by_stage)
    assert stage["informal"] == 5 and stage["stage_1"] == 0
    assert [c.key for c in r.by_stage] == [s.key for s in world.policy.stages]
    assert [(c.key, c.count) for c in r.by_category] == [
        ("care_plan", 3), ("drift_and_delay", 1), ("practice_issues", 1)]
    assert r.by_category[0].label == "Care plan"


def test_by_team_and_scope(world: World, built: dict[str, int]) -> None:
    r = reports.report(world.policy, world.calendar, world.clock.now())
    (team,) = r.by_team
    assert (team.team, team.total, team.open, team.overdue, team.closed) == ("Test Social Care", 5, 4, 1, 1)
    # scoped to disputes raised by chairs in a team with no chairs: nothing
    other = reports.report(world.policy, world.calendar, world.clock.now(), raised_by_team=world.worker.team_id)
    assert other.total == 0 and other.timeliness.answered == 0 and other.outstanding == ()
    since = reports.report(world.policy, world.calendar, world.clock.now(), raised_from=date(2026, 11, 16))
    assert since.total == 3


def test_timeliness(world: World, built: dict[str, int]) -> None:
    t = reports.report(world.policy, world.calendar, world.clock.now()).timeliness
    assert (t.answered, t.on_time, t.late, t.no_timescale) == (2, 1, 1, 0)
    assert (t.awaiting, t.awaiting_overdue, t.unanswered) == (2, 1, 0)
    assert t.median_working_days == 4.5  # median of 2 and 7
    assert t.on_time_percent == 50


def test_outstanding_list_worst_first(world: World, built: dict[str, int]) -> None:
    out = reports.report(world.policy, world.calendar, world.clock.now()).outstanding
    ids = [o.dispute_id for o in out]
    assert built["d1"] not in ids  # resolved
    assert ids[0] == built["d4"] and out[0].state is DueState.OVERDUE
    assert out[0].chair_name == "Drew Chair"
    assert out[0].working_days_open == 15  # raised Mon 2 Nov, today Mon 23 Nov
    d3 = next(o for o in out if o.dispute_id == built["d3"])
    assert d3.state is DueState.DUE_SOON and d3.with_whom and d3.stage_label == "Informal DRP"
    d5 = next(o for o in out if o.dispute_id == built["d5"])
    # a draft has met its raise window by being raised (000:47): no clock runs until it is sent
    assert d5.status is Status.DRAFT and d5.state is DueState.NONE and d5.next_due_kind == ""
    # nothing running: the chair to decide (d2) and the unsent draft (d5) come last
    assert {o.dispute_id for o in out[-2:]} == {built["d2"], built["d5"]}
    assert {o.state for o in out[-2:]} == {DueState.NONE}


def test_empty_world(world: World) -> None:
    r = reports.report(world.policy, world.calendar, world.clock.now())
    assert r.total == 0 and r.by_category == () and r.by_team == ()
    assert r.timeliness.median_working_days is None and r.timeliness.on_time_percent is None
    assert all(c.count == 0 for c in r.by_status)


def test_report_for_is_oversight_only(world: World, built: dict[str, int]) -> None:
    assert reports.report_for(world.ctx(world.oversight)).total == 5
    assert reports.report_for(world.ctx(world.admin)).total == 5
    with pytest.raises(PermissionDenied):
        reports.report_for(world.ctx(world.chair))


def test_pure_functions_on_facts(world: World, built: dict[str, int]) -> None:
    from drp_tui.store.queries_screens import dispute_facts, stage_facts

    facts = dispute_facts()
    stages = stage_facts(f.id for f in facts)
    assert len(stages) == 5
    t = reports.timeliness(facts, stages, world.calendar, world.clock.now())
    assert t.answered == 2
    # a stage closed without a response counts as unanswered
    outcomes.withdraw(world.ctx(world.other_chair), built["d4"], "Moved away.")
    facts = dispute_facts()
    t2 = reports.timeliness(facts, stage_facts(f.id for f in facts), world.calendar, world.clock.now())
    assert (t2.awaiting, t2.unanswered) == (1, 1)
