"""What the history screen shows, worked out without Textual: one line per stage
(sent, due, response, working days taken, on time or late), one per clock, and
for each an explanation of its date (the days counted and the days skipped, why).

Pure functions of (dispute, policy, calendar, now): run them in a worker, test
them without a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import Deadline, due_soon_window, lateness, response_clock, state_at, working_days_taken
from drp_tui.domain.model import DueState, Status
from drp_tui.domain.policy import ClockFrom, Policy, Timescale
from drp_tui.domain.timeutil import format_date, format_london, london_date

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView, StageView

_TICK = timedelta(microseconds=1)
_WAITING = {
    DueState.OVERDUE: "OVERDUE",
    DueState.DUE_TODAY: "due today",
    DueState.DUE_SOON: "due soon",
    DueState.ON_TRACK: "awaiting",
    DueState.PAUSED: "extended",
    DueState.NONE: "awaiting",
}


@dataclass(frozen=True)
class Explanation:
    title: str
    intro: tuple[str, ...]
    lines: tuple[str, ...]  # one a day: counted ("working day 1") or skipped (with the reason)


@dataclass(frozen=True)
class StageLine:
    dispute_id: int
    reference: str
    stage_key: str
    label: str
    sent_at: datetime | None
    due_at: datetime | None  # the deadline in force (an extension replaces the original)
    due_day: date | None  # its London day
    response_at: datetime | None
    taken: int | None  # working days from sending to the response (London dates)
    result: str  # on time | late | awaiting | OVERDUE | due today | ... | no reply | not sent
    state: DueState
    summary: str
    explanation: Explanation


@dataclass(frozen=True)
class ClockLine:
    dispute_id: int
    reference: str
    deadline: Deadline
    due_words: str
    explanation: Explanation


def day_lines(calendar: WorkingCalendar, start: date, n: int, start_word: str) -> tuple[str, ...]:
    """``Thu 24 Dec 2026  sent (never counted)`` then every day to the due day."""
    ex = calendar.explain(start, n)
    out = [f"{format_date(start):<16} {start_word} (never counted)"]
    for day, number, why in ex.days():
        out.append(f"{format_date(day):<16} working day {number}" if number is not None
                   else f"{format_date(day):<16} skipped: {why}")
    return tuple(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _end_day(at: datetime) -> date:
    """The London day a deadline instant closes (end-of-day deadlines are 00:00 the next day)."""
    return london_date(at - _TICK)


def stage_timescale(view: DisputeView, policy: Policy, key: str) -> Timescale | None:
    try:
        stage = policy.stage(key)
    except KeyError:
        return None
    if view.immediate and policy.rules.immediate_concern.is_set:
        return policy.rules.immediate_concern
    return stage.timescale


def stage_explanation(view: DisputeView, st: StageView, label: str, policy: Policy,
                      calendar: WorkingCalendar, taken: int | None) -> Explanation:
    head = f"{view.reference} {label}"
    if st.sent_at is None:
        return Explanation(f"{head}: not sent", ("Not sent yet: its clock starts when it is sent.",), ())
    timescale = stage_timescale(view, policy, st.stage_key)
    intro: list[str] = []
    lines: tuple[str, ...] = ()
    if timescale is not None and timescale.working_days is not None:
        start, n = london_date(st.sent_at), timescale.working_days
        due = calendar.add_working_days(start, n)
        title = f"{head}: response due by the end of {format_date(due)}"
        intro.append(f"Sent {format_london(st.sent_at)} to {st.responder_name or 'the responder'}. "
                     f"{_plural(n, 'working day')} counted from the next day (the day sent never counts).")
        if st.due_date is not None and st.due_date != due:
            intro.append(f"Recorded when sent: due {format_date(st.due_date)} (the calendar has changed since).")
        lines = day_lines(calendar, start, n, "sent")
    elif timescale is not None and timescale.hours is not None and st.due_at is not None:
        title = f"{head}: response due {format_london(st.due_at)}"
        intro.append(f"Sent {format_london(st.sent_at)}; due {_plural(timescale.hours, 'clock hour')} later. "
                     "Hours run straight through: no days are skipped.")
    else:
        title = f"{head}: no timescale"
        intro.append("The procedure sets no response timescale for this stage.")
    if st.extension_until is not None:
        intro.append(f"Extended to the end of {format_date(_end_day(st.extension_until))}: {st.extension_reason}")
    if st.response_at is not None and taken is not None:
        intro.append(f"Response {format_london(st.response_at)}: {_plural(taken, 'working day')} after sending.")
    return Explanation(title, tuple(intro), lines)


def stage_lines(view: DisputeView, policy: Policy, calendar: WorkingCalendar, now: datetime,
                due_soon_days: int | None = None) -> list[StageLine]:
    soon = due_soon_window(policy, due_soon_days)
    out = []
    for st in view.stages:
        try:
            label = policy.stage(st.stage_key).label
        except KeyError:
            label = st.stage_key
        deadline = st.extension_until or st.due_at
        due_day = _end_day(st.extension_until) if st.extension_until else (
            st.due_date or (_end_day(st.due_at) if st.due_at else None))
        taken = None
        if st.sent_at is not None and st.response_at is not None:
            taken = working_days_taken(st.sent_at, st.response_at, calendar)
        current = st is view.current and view.status.is_open
        if st.sent_at is None:
            result, state = "not sent", DueState.NONE
        elif st.response_at is not None:
            if deadline is None:
                result, state = "answered", DueState.DONE
            else:
                clock = response_clock(st, view)
                late = lateness(clock[0], st.response_at, calendar, "responded") if clock is not None else ""
                result, state = (late, DueState.LATE) if late else ("on time", DueState.DONE)
        elif current and view.status in (Status.SENT, Status.NEGOTIATING):
            state = (state_at(deadline, now, calendar, soon, paused=st.extension_until is not None)
                     if deadline else DueState.NONE)
            result = _WAITING.get(state, state.label)
        else:
            result, state = "no reply", DueState.NONE
        parts = []
        if st.sent_at is not None:
            parts.append(f"sent {format_london(st.sent_at)} to {st.responder_name or '?'}")
        if due_day is not None:
            parts.append(f"due by the end of {format_date(due_day)}")
        if st.response_at is not None:
            parts.append(f"response {format_london(st.response_at)}"
                         + (f" after {_plural(taken, 'working day')}" if taken is not None else ""))
        if st.decision is not None:
            parts.append("resolved" if st.decision.value == "resolved" else "not resolved")
        summary = (("; ".join(parts)) or "not sent yet") + f" ({result})"
        out.append(StageLine(view.id, view.reference, st.stage_key, label, st.sent_at, deadline, due_day,
                             st.response_at, taken, result, state, summary,
                             stage_explanation(view, st, label, policy, calendar, taken)))
    return out


_STARTED = {
    ClockFrom.SENT: "it was sent", ClockFrom.ISSUE_AROSE: "the issue arose",
    ClockFrom.FORMAL_START: "the formal process started", ClockFrom.CONVERSATION: "the conversation was held",
}


def clock_explanation(view: DisputeView, d: Deadline, calendar: WorkingCalendar,
                      policy: Policy | None = None) -> Explanation:
    due = d.due
    intro: list[str] = []
    lines: tuple[str, ...] = ()
    window = policy.rules.negotiation_window if policy is not None else Timescale()
    if d.kind == "negotiation" and window.is_set:
        title = f"{d.label}: due {format_london(due.at)}"
        intro.append(f"The procedure allows {window.describe()} of further negotiation once it is agreed"
                     + ("; clock hours run straight through: no days are skipped." if window.hours else "."))
    elif due.start is not None and due.working_days is not None:
        end = calendar.add_working_days(due.start, due.working_days)
        title = f"{d.label}: due by the end of {format_date(end)}"
        what = _STARTED.get(due.counted_from, "the issue arose" if d.kind == "raise" else "the clock started")
        intro.append(f"{_plural(due.working_days, 'working day')} after {format_date(due.start)}, the day "
                     f"{what} (that day never counts).")
        lines = day_lines(calendar, due.start, due.working_days, "issue arose" if d.kind == "raise" else "start")
    elif due.start is not None and due.calendar_days is not None:
        title = f"{d.label}: due by the end of {format_date(due.day or due.start)}"
        what = _STARTED.get(due.counted_from, "the issue arose" if d.kind == "raise" else "the clock started")
        intro.append(f"{_plural(due.calendar_days, 'calendar day')} after {format_date(due.start)}, the day "
                     f"{what} (that day never counts; weekends and holidays do).")
    elif due.hours is not None:
        title = f"{d.label}: due {format_london(due.at)}"
        intro.append(f"{_plural(due.hours, 'clock hour')} from when it started; clock hours run straight "
                     "through: no days are skipped.")
    elif due.day is not None:
        title = f"{d.label}: due by the end of {format_date(due.day)}"
        intro.append("A date that was agreed or set, not counted in working days.")
    else:
        title = f"{d.label}: due {format_london(due.at)}"
        intro.append("A time that was agreed or set, not counted in working days.")
    if d.met_at is not None:
        intro.append(f"Met {format_london(d.met_at)}" + (f": {d.late}." if d.late else "."))
    intro.append(f"State now: {d.state.label}.")
    return Explanation(f"{view.reference} {title}", tuple(intro), lines)


def clock_lines(view: DisputeView, items: Sequence[Deadline], stages: Sequence[StageLine],
                calendar: WorkingCalendar, policy: Policy | None = None) -> list[ClockLine]:
    """Each clock, with its explanation (a response clock is explained by its stage)."""
    by_label = {f"Response to {s.label}": s for s in stages if s.dispute_id == view.id}
    out = []
    for d in items:
        words = f"by the end of {format_date(d.due.day)}" if d.due.day else format_london(d.due.at)
        stage = by_label.get(d.label) if d.kind == "response" else None
        if stage is not None:
            ex = stage.explanation
            ex = Explanation(ex.title, ex.intro + (f"State now: {d.state.label}.",), ex.lines)
        else:
            ex = clock_explanation(view, d, calendar, policy)
        out.append(ClockLine(view.id, view.reference, d, words, ex))
    return out
