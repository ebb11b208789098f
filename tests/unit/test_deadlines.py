"""The deadline service: every running clock of a dispute and its state at an instant.

``deadlines(dispute, policy, calendar, now)`` is a pure function: most tests here
build a ``DisputeView`` by hand (no database); the last ones drive real disputes
through the services and move a ``FrozenClock``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import Deadline, compute_due, deadlines, next_due, state_at, worst_state
from drp_tui.domain.model import Decision, DueState, Status
from drp_tui.domain.views import ActionView, ChildView, DisputeView, MonitoringView, StageView
from drp_tui.domain.policy import Timescale
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import LONDON, end_of_london_day_utc, format_due, utc
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.store.queries_dispute import get_dispute
from tests.factories import World

CAL = WorkingCalendar("ENG")
IRO = load_builtin("mosaic-iro")
DURHAM = load_builtin("durham-rp")
KNOWSLEY = load_builtin("knowsley-dr")
TH = load_builtin("tower-hamlets-alerts")

S = DueState


def ldn(y: int, mo: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """A London wall-clock time as aware UTC."""
    return utc(datetime(y, mo, d, h, mi, tzinfo=LONDON))


def eod(y: int, mo: int, d: int) -> datetime:
    return end_of_london_day_utc(date(y, mo, d))


CHILD = ChildView(1, "C1", "Ava Test", "CLA", 1, "Team", 1, 2, "Sol Worker", None)


def stage(key: str = "stage_1", *, sent: datetime | None = None, due: date | None = None, seq: int = 1,
          **kw: Any) -> StageView:
    values: dict[str, Any] = dict(
        id=seq, stage_key=key, seq=seq, sent_at=sent, responder_id=3 if sent else None, responder_name="TM",
        inform_ids=(), due_at=end_of_london_day_utc(due) if due else None, due_date=due,
        chair_concern="c", chair_impact="", chair_wanted="", chair_timescales="", response="",
        response_at=None, response_by_id=None, response_on_behalf=False, decision=None, decision_comment="",
        decision_at=None, extension_until=None, extension_reason="", negotiation_until=None,
        negotiation_note="", approval_by_id=None, approval_at=None, actions=())
    values.update(kw)
    return StageView(**values)


def dispute(*stages: StageView, policy_key: str = "mosaic-iro", status: Status = Status.SENT,
            arose: date = date(2026, 11, 19), **kw: Any) -> DisputeView:
    values: dict[str, Any] = dict(
        id=1, reference="DRP-2026-0001", child=CHILD, raised_by_id=1, raised_by_name="Casey Chair",
        issue_arose=arose, raised_on=arose, category="drift_and_delay", policy_key=policy_key, policy_version=1,
        start_stage=stages[0].stage_key if stages else "stage_1",
        current_stage=stages[-1].stage_key if stages else "stage_1", status=status, immediate=False,
        link_group=None, concern="c", impact="", wanted="", timescales="", child_wishes="", against_wishes=False,
        child_informed_on=None, child_informed_how="", outcome="", created_at=ldn(2026, 11, 19),
        updated_at=ldn(2026, 11, 19), updated_by_name="", closed_at=None, version=1, stages=stages)
    values.update(kw)
    return DisputeView(**values)


def clocks(d: DisputeView, now: datetime, policy: Any = IRO, soon: int | None = None) -> dict[str, list[Deadline]]:
    out: dict[str, list[Deadline]] = {}
    for x in deadlines(d, policy, CAL, now, soon):
        out.setdefault(x.kind, []).append(x)
    return out


def states(d: DisputeView, now: datetime, kind: str, policy: Any = IRO) -> list[DueState]:
    return [x.state for x in clocks(d, now, policy).get(kind, [])]


# --- compute_due and state_at ---------------------------------------------------------------------

def test_compute_due_working_days_and_hours() -> None:
    due = compute_due(ldn(2026, 11, 23), Timescale(working_days=5), CAL)
    assert due is not None and due.day == date(2026, 11, 30) and due.at == eod(2026, 11, 30)
    assert due.start == date(2026, 11, 23) and due.working_days == 5
    over_christmas = compute_due(ldn(2026, 12, 24, 16), Timescale(working_days=5), CAL)
    assert over_christmas is not None and over_christmas.day == date(2027, 1, 5)
    hours = compute_due(ldn(2026, 11, 23, 20), Timescale(hours=24), CAL)
    assert hours is not None and hours.at == ldn(2026, 11, 24, 20) and hours.day is None and hours.hours == 24
    assert compute_due(ldn(2026, 11, 23), Timescale(), CAL) is None
    # an event late in the London evening counts on its London date (23:30 GMT is still Monday)
    late = compute_due(ldn(2026, 11, 23, 23, 30), Timescale(working_days=1), CAL)
    assert late is not None and late.day == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ldn(2026, 11, 26, 10), S.ON_TRACK),  # Thu; due Mon 30: two working days away
        (ldn(2026, 11, 27, 10), S.DUE_SOON),  # Fri: Monday is the next working day
        (ldn(2026, 11, 28, 10), S.DUE_SOON),  # Sat
        (ldn(2026, 11, 30, 0, 0), S.DUE_TODAY),  # the first instant of the due day
        (ldn(2026, 11, 30, 23, 59), S.DUE_TODAY),
        (eod(2026, 11, 30), S.OVERDUE),  # midnight: past the end of the due day
        (ldn(2026, 12, 15), S.OVERDUE),
    ],
)
def test_state_at_each_state(now: datetime, expected: DueState) -> None:
    assert state_at(eod(2026, 11, 30), now, CAL) is expected


def test_state_at_due_soon_window_paused_and_done() -> None:
    due = eod(2026, 12, 1)  # Tue
    assert state_at(due, ldn(2026, 11, 27), CAL, 1) is S.ON_TRACK  # Fri: Tue is 2 working days on
    assert state_at(due, ldn(2026, 11, 27), CAL, 2) is S.DUE_SOON
    assert state_at(due, ldn(2026, 11, 27), CAL, 0) is S.ON_TRACK  # due soon switched off
    assert state_at(due, ldn(2026, 11, 27), CAL, paused=True) is S.PAUSED
    assert state_at(due, ldn(2026, 12, 1), CAL, paused=True) is S.PAUSED  # paused even on the day
    assert state_at(due, ldn(2026, 12, 2), CAL, paused=True) is S.OVERDUE  # an extension can run out too
    assert state_at(due, ldn(2026, 12, 9), CAL, done=True) is S.DONE
    # due soon across Christmas: on Thu 24 Dec the next working day is Tue 29 Dec
    assert state_at(eod(2026, 12, 29), ldn(2026, 12, 24), CAL) is S.DUE_SOON
    assert state_at(eod(2026, 12, 30), ldn(2026, 12, 24), CAL) is S.ON_TRACK


# --- each clock ----------------------------------------------------------------------------------

def test_response_clock_every_state() -> None:
    sent = stage(sent=ldn(2026, 11, 23), due=date(2026, 11, 30))
    d = dispute(sent)
    (resp,) = clocks(d, ldn(2026, 11, 23))["response"]
    assert resp.label == "Response to Stage 1 DRP" and resp.due.at == eod(2026, 11, 30)
    assert resp.due.day == date(2026, 11, 30)
    assert [states(d, now, "response")[0] for now in (
        ldn(2026, 11, 24), ldn(2026, 11, 27), ldn(2026, 11, 30), ldn(2026, 12, 1))] == [
        S.ON_TRACK, S.DUE_SOON, S.DUE_TODAY, S.OVERDUE]
    answered = dispute(dataclasses.replace(sent, response_at=ldn(2026, 11, 25), response="ok"),
                       status=Status.RESPONDED)
    (resp,) = clocks(answered, ldn(2026, 12, 9))["response"]
    assert resp.state is S.DONE and resp.met_at == ldn(2026, 11, 25)
    # a draft has no response clock yet
    assert "response" not in clocks(dispute(stage(), status=Status.DRAFT), ldn(2026, 11, 23))


def test_response_clock_paused_by_an_extension() -> None:
    ext = stage(key="stage_2", sent=ldn(2026, 11, 23), due=date(2026, 11, 27), extension_until=eod(2026, 12, 4),
                extension_reason="Specialist assessment due 3 Dec")
    d = dispute(ext, policy_key="durham-rp")
    (resp,) = clocks(d, ldn(2026, 11, 30), DURHAM)["response"]  # past the original due date
    assert resp.state is S.PAUSED and resp.due.at == eod(2026, 12, 4) and resp.due.day == date(2026, 12, 4)
    assert states(d, ldn(2026, 12, 4, 12), "response", DURHAM) == [S.PAUSED]
    assert states(d, eod(2026, 12, 4), "response", DURHAM) == [S.OVERDUE]
    assert worst_state(deadlines(d, DURHAM, CAL, ldn(2026, 11, 30))) is not S.OVERDUE


def test_earlier_stage_clocks_are_done_after_escalation() -> None:
    first = stage(sent=ldn(2026, 11, 23), due=date(2026, 11, 30), decision=Decision.NOT_RESOLVED,
                  response_at=ldn(2026, 11, 24))
    late = stage(key="stage_1", sent=ldn(2026, 11, 2), due=date(2026, 11, 9))  # never answered
    second = stage(key="stage_2", seq=2, sent=ldn(2026, 11, 25), due=date(2026, 12, 2))
    d = dispute(dataclasses.replace(late, id=1), dataclasses.replace(second, id=2))
    assert states(d, ldn(2026, 11, 26), "response") == [S.ON_TRACK, S.DONE]
    d = dispute(first, second)
    assert [x.label for x in clocks(d, ldn(2026, 11, 26))["response"]] == [
        "Response to Stage 2 DRP", "Response to Stage 1 DRP"]


def test_action_clocks() -> None:
    acts = (ActionView(1, "Book the health assessment", "Social Worker", date(2026, 11, 23), None),
            ActionView(2, "Update the care plan", "Team Manager", date(2026, 11, 20), None),
            ActionView(3, "Visit the child alone", "Social Worker", date(2026, 11, 24), date(2026, 11, 22)),
            ActionView(4, "Share the plan with the family", "Social Worker", date(2026, 12, 4), None))
    st = stage(sent=ldn(2026, 11, 16), due=date(2026, 11, 23), response_at=ldn(2026, 11, 18), actions=acts)
    c = clocks(dispute(st, status=Status.RESPONDED), ldn(2026, 11, 23))
    assert {x.label: x.state for x in c["action"]} == {
        "Action: Book the health assessment": S.DUE_TODAY,
        "Action: Update the care plan": S.OVERDUE,
        "Action: Visit the child alone": S.DONE,
        "Action: Share the plan with the family": S.ON_TRACK,
    }
    # actions keep running after the dispute is resolved (the chair tracks them); withdrawn stops them
    resolved = dispute(st, status=Status.RESOLVED)
    assert S.OVERDUE in states(resolved, ldn(2026, 11, 23), "action")
    withdrawn = dispute(st, status=Status.WITHDRAWN)
    assert set(states(withdrawn, ldn(2026, 11, 23), "action")) == {S.DONE}


def test_negotiation_window_24_hours_across_midnight() -> None:
    until = ldn(2026, 11, 24, 20)  # agreed Mon 23 Nov 20:00 + 24 hours
    st = stage(sent=ldn(2026, 11, 16), due=date(2026, 11, 23), response_at=ldn(2026, 11, 20),
               negotiation_until=until, negotiation_note="Funding confirmed by phone")
    d = dispute(st, status=Status.NEGOTIATING)
    (neg,) = clocks(d, ldn(2026, 11, 23, 20))["negotiation"]
    assert neg.label == "Further negotiation (Stage 1 DRP)" and neg.due.at == until and neg.due.day is None
    assert [states(d, now, "negotiation")[0] for now in (
        ldn(2026, 11, 23, 20), ldn(2026, 11, 23, 23, 59), ldn(2026, 11, 24, 0, 1), ldn(2026, 11, 24, 19, 59),
        ldn(2026, 11, 24, 20), ldn(2026, 11, 25, 9))] == [
        S.DUE_SOON, S.DUE_SOON, S.DUE_TODAY, S.DUE_TODAY, S.OVERDUE, S.OVERDUE]
    assert format_due(until) == "Tue 24 Nov 2026 20:00"
    decided = dispute(dataclasses.replace(st, decision=Decision.NOT_RESOLVED), status=Status.RESPONDED)
    assert states(decided, ldn(2026, 11, 25), "negotiation") == [S.DONE]


def test_raise_window_met_by_sending() -> None:
    # durham: "sent to the relevant management level within 2 days" (001:59): running until sent;
    # raised at a formal stage, the formal process starts the day it is raised (here: the day the issue arose)
    draft = stage("stage_2")
    on_time = dispute(draft, status=Status.DRAFT, arose=date(2026, 11, 19), policy_key=DURHAM.key)
    (rw,) = clocks(on_time, ldn(2026, 11, 23), DURHAM)["raise"]
    assert rw.state is S.DUE_TODAY and rw.due.day == date(2026, 11, 23) and "sent within 2 working days" in rw.label
    assert states(dispute(draft, status=Status.DRAFT, arose=date(2026, 11, 18), policy_key=DURHAM.key),
                  ldn(2026, 11, 23), "raise", DURHAM) == [S.OVERDUE]
    assert states(dispute(draft, status=Status.DRAFT, arose=date(2026, 11, 20), policy_key=DURHAM.key),
                  ldn(2026, 11, 23), "raise", DURHAM) == [S.DUE_SOON]
    sent = dispute(stage("stage_2", sent=ldn(2026, 11, 23), due=date(2026, 11, 30)), arose=date(2026, 11, 18),
                   policy_key=DURHAM.key)
    (rw,) = clocks(sent, ldn(2026, 11, 23), DURHAM)["raise"]
    # due the end of Fri 20 Nov, sent Mon 23 Nov: late, not done
    assert rw.state is S.LATE and rw.met_at == ldn(2026, 11, 23) and rw.late == "sent 1 working day late"
    in_time = dispute(stage("stage_2", sent=ldn(2026, 11, 20), due=date(2026, 11, 26)), arose=date(2026, 11, 18),
                      policy_key=DURHAM.key)
    (rw,) = clocks(in_time, ldn(2026, 11, 23), DURHAM)["raise"]
    assert rw.state is S.DONE and rw.late == ""
    withdrawn = dispute(draft, status=Status.WITHDRAWN, arose=date(2026, 11, 18), policy_key=DURHAM.key)
    assert states(withdrawn, ldn(2026, 11, 23), "raise", DURHAM) == [S.DONE]
    # Tower Hamlets has no raise window
    assert "raise" not in clocks(dispute(stage("informal"), status=Status.DRAFT, policy_key=TH.key),
                                 ldn(2026, 11, 23), TH)


def test_raise_window_met_by_raising() -> None:
    # mosaic: "The DRP form should be raised ... within 2 working days" (000:47): met when recorded
    d = dispute(stage(), status=Status.DRAFT, arose=date(2026, 11, 18))  # raised the same day, not sent
    (rw,) = clocks(d, ldn(2026, 11, 25))["raise"]
    assert rw.state is S.DONE and "raised within 2 working days" in rw.label
    assert rw.met_at is not None and rw.met_at.date() == date(2026, 11, 18) and rw.met_at <= rw.due.at
    late = dataclasses.replace(d, raised_on=date(2026, 11, 24))  # recorded after the window: met late
    (rw,) = clocks(late, ldn(2026, 11, 25))["raise"]
    # Wed 18 Nov + 2 working days = Fri 20 Nov; recorded Tue 24 Nov: 2 working days late
    assert rw.state is S.LATE and rw.met_at is not None and rw.met_at > rw.due.at
    assert rw.late == "raised 2 working days late"


def test_monitoring_meeting_clock() -> None:
    st = stage("stage_2", sent=ldn(2026, 11, 23), due=date(2026, 11, 27), response_at=ldn(2026, 11, 24),
               decision=Decision.RESOLVED)
    due = MonitoringView(1, date(2026, 12, 9), None, "")
    d = dispute(st, status=Status.RESOLVED, policy_key=DURHAM.key, monitoring=(due,))
    (mm,) = clocks(d, ldn(2026, 12, 8), DURHAM)["monitoring"]
    assert mm.label == "Monitoring meeting" and mm.due.day == date(2026, 12, 9) and mm.state is S.DUE_SOON
    assert states(d, ldn(2026, 12, 9), "monitoring", DURHAM) == [S.DUE_TODAY]
    assert states(d, ldn(2026, 12, 10), "monitoring", DURHAM) == [S.OVERDUE]
    held = dispute(st, status=Status.RESOLVED, policy_key=DURHAM.key,
                   monitoring=(dataclasses.replace(due, held_on=date(2026, 12, 8), outcome="On track"),))
    assert states(held, ldn(2026, 12, 10), "monitoring", DURHAM) == [S.DONE]


def test_durham_17_working_day_cap() -> None:
    # 001:41 "7 stages ... within 17 working days": from the first stage sent (Mon 23 Nov) to Wed 16 Dec
    s1 = stage("stage_1", sent=ldn(2026, 11, 23), due=date(2026, 11, 24), response_at=ldn(2026, 11, 23, 15),
               decision=Decision.NOT_RESOLVED)
    s2 = stage("stage_2", seq=2, id=2, sent=ldn(2026, 11, 25), due=date(2026, 12, 1))
    d = dispute(s1, s2, policy_key=DURHAM.key)
    (cap,) = clocks(d, ldn(2026, 11, 25), DURHAM)["cap"]
    assert cap.label == "All 7 stages within 17 working days"
    assert cap.due.day == date(2026, 12, 16) and cap.due.start == date(2026, 11, 23) and cap.due.working_days == 17
    assert [states(d, now, "cap", DURHAM)[0] for now in (
        ldn(2026, 12, 14), ldn(2026, 12, 15), ldn(2026, 12, 16), ldn(2026, 12, 17))] == [
        S.ON_TRACK, S.DUE_SOON, S.DUE_TODAY, S.OVERDUE]
    # started higher up the ladder, the cap runs from that stage's sending
    d4 = dispute(stage("stage_4", sent=ldn(2026, 12, 1), due=date(2026, 12, 8)), policy_key=DURHAM.key)
    assert clocks(d4, ldn(2026, 12, 1), DURHAM)["cap"][0].due.day == date(2026, 12, 24)
    # a closed dispute's cap is done; a draft has none yet
    assert states(dispute(s1, s2, policy_key=DURHAM.key, status=Status.RESOLVED), ldn(2026, 12, 17), "cap",
                  DURHAM) == [S.DONE]
    assert "cap" not in clocks(dispute(stage("stage_1"), policy_key=DURHAM.key, status=Status.DRAFT),
                               ldn(2026, 11, 23), DURHAM)


def test_knowsley_20_working_day_cap_covers_stages_2_to_4() -> None:
    s1 = stage("stage_1", sent=ldn(2026, 11, 23), due=date(2026, 11, 30), response_at=ldn(2026, 11, 25),
               decision=Decision.NOT_RESOLVED)
    only_1 = dispute(s1, policy_key=KNOWSLEY.key)
    assert "cap" not in clocks(only_1, ldn(2026, 11, 26), KNOWSLEY)  # stage 1 (informal) is outside the cap
    s2 = stage("stage_2", seq=2, id=2, sent=ldn(2026, 12, 1), due=date(2026, 12, 8))
    d = dispute(s1, s2, policy_key=KNOWSLEY.key)
    (cap,) = clocks(d, ldn(2026, 12, 1), KNOWSLEY)["cap"]
    assert cap.label == "Stages 2-4 within 20 working days"
    # Tue 1 Dec + 20 working days, over Christmas and Boxing Day (observed): Thu 31 Dec
    assert cap.due.day == date(2026, 12, 31) and cap.state is S.ON_TRACK
    assert states(d, ldn(2026, 12, 30), "cap", KNOWSLEY) == [S.DUE_SOON]
    assert states(d, ldn(2027, 1, 4), "cap", KNOWSLEY) == [S.OVERDUE]
    # bypassing straight to stage 4 starts the cap there (004:7)
    s4 = stage("stage_4", seq=2, id=2, sent=ldn(2026, 12, 1), due=date(2026, 12, 8))
    assert clocks(dispute(s1, s4, policy_key=KNOWSLEY.key), ldn(2026, 12, 1), KNOWSLEY)["cap"][0].due.day == \
        date(2026, 12, 31)


# --- worst state and next due ----------------------------------------------------------------------

def test_worst_state_and_next_due() -> None:
    acts = (ActionView(1, "Late action", "SW", date(2026, 11, 20), None),
            ActionView(2, "Later action", "SW", date(2026, 12, 4), None))
    st = stage(sent=ldn(2026, 11, 16), due=date(2026, 11, 23), response_at=ldn(2026, 11, 18), actions=acts)
    d = dispute(st, status=Status.RESPONDED, arose=date(2026, 11, 12))
    items = deadlines(d, IRO, CAL, ldn(2026, 11, 23))
    assert worst_state(items) is S.OVERDUE
    nxt = next_due(items)
    assert nxt is not None and nxt.kind == "action" and nxt.due.day == date(2026, 11, 20)
    # the list is soonest first, the done ones last
    assert [x.state for x in items][-2:] == [S.DONE, S.DONE]
    assert all(a.due.at <= b.due.at for a, b in zip(items, items[1:], strict=False) if S.DONE not in (a.state, b.state))
    # everything done -> done; nothing at all -> none
    closed = dispute(dataclasses.replace(st, actions=()), status=Status.WITHDRAWN)
    assert worst_state(deadlines(closed, IRO, CAL, ldn(2026, 11, 23))) is S.DONE
    assert next_due(deadlines(closed, IRO, CAL, ldn(2026, 11, 23))) is None
    assert worst_state([]) is S.NONE
    paused = dispute(stage("stage_1", sent=ldn(2026, 11, 23), due=date(2026, 11, 27),
                           extension_until=eod(2026, 12, 4)), arose=date(2026, 11, 20))
    assert worst_state(deadlines(paused, IRO, CAL, ldn(2026, 11, 30))) is S.PAUSED
    # paused ranks below on track: with Durham's 17-day cap still running the dispute is "on track"
    durham = dataclasses.replace(paused, policy_key=DURHAM.key, stages=(dataclasses.replace(
        paused.stages[0], stage_key="stage_2"),))
    assert worst_state(deadlines(durham, DURHAM, CAL, ldn(2026, 11, 30))) is S.ON_TRACK


def test_is_pure() -> None:
    d = dispute(stage(sent=ldn(2026, 11, 23), due=date(2026, 11, 30)))
    now = ldn(2026, 11, 27)
    assert deadlines(d, IRO, CAL, now) == deadlines(d, IRO, CAL, now)
    assert d == dispute(stage(sent=ldn(2026, 11, 23), due=date(2026, 11, 30)))  # unchanged
    # the calendar matters: a local closure on Mon 30 Nov moves nothing already stored,
    # but the state of "due soon" is computed on that calendar
    closed = WorkingCalendar("ENG", {date(2026, 11, 30): "Office move"})
    assert [x.state for x in deadlines(d, IRO, closed, now) if x.kind == "response"] == [S.DUE_SOON]


# --- DST change days -------------------------------------------------------------------------------

def test_spring_forward_working_day_due() -> None:
    # sent Fri 27 Mar 2026 (GMT); clocks go forward Sun 29 Mar; 1 working day -> end of Mon 30 Mar (BST)
    due = compute_due(ldn(2026, 3, 27), Timescale(working_days=1), CAL)
    assert due is not None and due.day == date(2026, 3, 30)
    assert due.at == datetime(2026, 3, 30, 23, 0, tzinfo=UTC)  # midnight BST
    assert state_at(due.at, datetime(2026, 3, 30, 22, 59, tzinfo=UTC), CAL) is S.DUE_TODAY  # 23:59 BST
    assert state_at(due.at, datetime(2026, 3, 30, 23, 0, tzinfo=UTC), CAL) is S.OVERDUE
    assert format_due(due.at) == "end of Mon 30 Mar 2026"


def test_fall_back_working_day_due_and_24_hours() -> None:
    # sent Fri 23 Oct 2026 (BST); clocks go back Sun 25 Oct; 1 working day -> end of Mon 26 Oct (GMT)
    due = compute_due(ldn(2026, 10, 23), Timescale(working_days=1), CAL)
    assert due is not None and due.day == date(2026, 10, 26)
    assert due.at == datetime(2026, 10, 27, 0, 0, tzinfo=UTC)
    # 24 clock hours from Sat 24 Oct 12:00 BST end at 11:00 GMT on Sunday: the wall clock went back
    window = compute_due(ldn(2026, 10, 24, 12), Timescale(hours=24), CAL)
    assert window is not None and window.at == ldn(2026, 10, 25, 11)
    assert window.at - ldn(2026, 10, 24, 12) == timedelta(hours=24)
    assert state_at(window.at, ldn(2026, 10, 25, 10, 59), CAL) is S.DUE_TODAY
    assert state_at(window.at, ldn(2026, 10, 25, 11), CAL) is S.OVERDUE
    # 23:30 on Sat 24 Oct BST is still Saturday in London, though 22:30 UTC
    assert state_at(eod(2026, 10, 24), ldn(2026, 10, 24, 23, 30), CAL) is S.DUE_TODAY


# --- through the services, as the clock moves --------------------------------------------------------

def test_states_change_as_the_clock_advances(world: World) -> None:
    w = world
    (did,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[w.child.id], category="care_plan", start_stage="stage_1",  # type: ignore[union-attr]
        issue_arose=date(2026, 11, 20), concern="Care plan out of date."))

    def now_states() -> dict[str, list[DueState]]:
        out: dict[str, list[DueState]] = {}
        for x in deadlines(get_dispute(did), w.policy, w.calendar, w.clock.now()):
            out.setdefault(x.kind, []).append(x.state)
        return out

    assert now_states() == {"raise": [S.DONE]}  # mosaic: met by raising the form (000:47)
    ds.send(w.ctx(), did)
    assert now_states() == {"raise": [S.DONE], "response": [S.ON_TRACK]}  # due Mon 30 Nov
    seen = []
    for day in (26, 27, 28, 29, 30):
        w.clock.set(datetime(2026, 11, day, 12, tzinfo=LONDON))
        seen.append(now_states()["response"][0])
    assert seen == [S.ON_TRACK, S.DUE_SOON, S.DUE_SOON, S.DUE_SOON, S.DUE_TODAY]
    w.clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=LONDON))
    assert now_states()["response"] == [S.OVERDUE]
    ds.record_response(w.ctx(w.responder("stage_1")), did, "Plan updated by Friday.",
                       [ds.ActionInput("Update the care plan", "Team Manager", date(2026, 12, 4))])
    # responded after the window closed: late, not done
    assert now_states() == {"raise": [S.DONE], "response": [S.LATE], "action": [S.ON_TRACK]}
    w.clock.set(datetime(2026, 12, 1, 10, tzinfo=LONDON))
    until = outcomes.agree_negotiation(w.ctx(), did, "Manager to confirm the date by phone.")
    assert until == ldn(2026, 12, 2, 10)
    assert now_states()["negotiation"] == [S.DUE_SOON]
    w.clock.advance(hours=14)  # Wed 00:00
    assert now_states()["negotiation"] == [S.DUE_TODAY]
    w.clock.advance(hours=10)
    assert now_states()["negotiation"] == [S.OVERDUE]
    # the caseload's stored next deadline is refreshed by every change
    from drp_tui.store import models as m
    row = m.Dispute.get_by_id(did)
    assert row.next_due_kind == "negotiation" and row.next_due_at == until


@pytest.mark.parametrize("policy_key", ["durham-rp"], indirect=True)
def test_durham_immediate_concern_and_extension_through_services(world: World) -> None:
    w = world
    (did,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[w.child.id], category="plan_not_safeguarding", start_stage="stage_4",  # type: ignore[union-attr]
        issue_arose=date(2026, 11, 23), concern="Child in immediate danger at home.", immediate=True))
    ds.send(w.ctx(), did)
    cur = get_dispute(did).current
    # 001:75: immediate concerns within one day, whatever the stage's own timescale (5 working days)
    assert cur is not None and cur.due_date == date(2026, 11, 24)
    # immediate: escalation need not wait for the response to fall due
    outcomes.escalate(w.ctx(), did)
    assert get_dispute(did).current_stage == "stage_5"
    (d2,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[w.child.id], category="drift_and_delay", start_stage="stage_2",  # type: ignore[union-attr]
        issue_arose=date(2026, 11, 23), concern="Assessment late."))
    ds.send(w.ctx(), d2)
    assert get_dispute(d2).current.due_date == date(2026, 11, 27)  # type: ignore[union-attr]
    w.clock.set(datetime(2026, 11, 26, 9, tzinfo=LONDON))
    outcomes.agree_extension(w.ctx(), d2, date(2026, 12, 4), "The specialist assessment lands on 3 Dec.")
    v = get_dispute(d2)
    items = deadlines(v, w.policy, w.calendar, datetime(2026, 11, 30, 12, tzinfo=LONDON))
    resp = [x for x in items if x.kind == "response"]
    assert [(x.state, x.due.day) for x in resp] == [(S.PAUSED, date(2026, 12, 4))]
    from drp_tui.store import models as m
    assert m.Dispute.get_by_id(d2).paused is True
    # an extension does not stop the 17-day cap (001:41)
    assert [x.state for x in items if x.kind == "cap"] == [S.ON_TRACK]


def test_immediate_concern_raise_clock_is_the_written_record() -> None:
    """001:75: an immediate concern is discussed within a day; the written report follows
    'within 2 days'. The raise clock of an immediate dispute uses that rule."""
    rules = dataclasses.replace(DURHAM.rules, immediate_written_record=Timescale(working_days=3))
    policy = dataclasses.replace(DURHAM, rules=rules)
    draft = dispute(stage("stage_3"), status=Status.DRAFT, policy_key=DURHAM.key, arose=date(2026, 11, 20))
    (normal,) = clocks(draft, ldn(2026, 11, 23), policy)["raise"]
    assert normal.due.day == date(2026, 11, 24) and "sent within 2 working days" in normal.label
    (urgent,) = clocks(dataclasses.replace(draft, immediate=True), ldn(2026, 11, 23), policy)["raise"]
    assert urgent.due.day == date(2026, 11, 25) and "written record sent within 3 working days" in urgent.label

