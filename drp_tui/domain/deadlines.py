"""Deadlines: every running clock of a dispute, and its state at an instant.

A pure function of (dispute, policy, calendar, now): nothing here reads the
wall clock or the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import DueState, Status, worst
from drp_tui.domain.policy import ClockFrom, Policy, RaiseMetBy, Stage, Timescale
from drp_tui.domain.timeutil import LONDON, end_of_london_day_utc, london_date, utc

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView, StageView


@dataclass(frozen=True)
class Due:
    """A computed due instant, and what it was computed from (to explain it)."""

    at: datetime  # aware UTC
    day: date | None  # London due day, for working-day timescales
    start: date | None = None  # the day counted from (never itself counted)
    working_days: int | None = None
    hours: int | None = None
    calendar_days: int | None = None
    counted_from: ClockFrom | None = None  # the recorded event the window ran from (None: sending/setting)


@dataclass(frozen=True)
class Deadline:
    kind: str  # raise | response | meeting | negotiation | action | monitoring | cap
    label: str
    due: Due
    state: DueState
    met_at: datetime | None = None  # when it was met (done)
    late: str = ""  # met after the window: e.g. "responded 2 working days late"


def compute_due(start: datetime, timescale: Timescale, calendar: WorkingCalendar) -> Due | None:
    """When something started at ``start`` (UTC) is due under ``timescale``: working days and
    calendar days are counted from the next London day (the start day never counts) to the end
    of the last one; hours run straight through."""
    start = utc(start)
    frm = timescale.start
    if timescale.working_days is not None:
        day = london_date(start)
        due_day = calendar.add_working_days(day, timescale.working_days)
        return Due(end_of_london_day_utc(due_day), due_day, day, timescale.working_days, counted_from=frm)
    if timescale.calendar_days is not None:
        day = london_date(start)
        due_day = day + timedelta(days=timescale.calendar_days)
        return Due(end_of_london_day_utc(due_day), due_day, day, calendar_days=timescale.calendar_days,
                   counted_from=frm)
    if timescale.hours is not None:
        return Due(start + timedelta(hours=timescale.hours), None, hours=timescale.hours, counted_from=frm)
    return None


def formal_start(dispute: DisputeView, policy: Policy) -> datetime | None:
    """When the formal process started: the first stage reached that is not informal. Raised
    there: the day it was raised; escalated to it: when it was escalated (for a stage recorded
    before that was kept: the previous stage's decision, else its sending). None: still informal."""
    for i, st in enumerate(dispute.stages):
        if not _has_stage(policy, st.stage_key) or policy.stage(st.stage_key).informal:
            continue
        if i == 0:
            return _london_noon(dispute.raised_on)
        if st.started_at is not None:
            return utc(st.started_at)
        prev = dispute.stages[i - 1]
        before = prev.decision_at or prev.sent_at
        return utc(before) if before is not None else None
    return None


def formal_sent(dispute: DisputeView, policy: Policy) -> datetime | None:
    """When the first formal (not informal) stage was sent: what meets a window counted from
    the start of the formal process (sending an informal stage does not)."""
    for st in dispute.stages:
        if st.sent_at and _has_stage(policy, st.stage_key) and not policy.stage(st.stage_key).informal:
            return utc(st.sent_at)
    return None


def event_at(dispute: DisputeView, policy: Policy, frm: ClockFrom, sent_at: datetime | None = None) -> datetime | None:
    """The instant of the recorded event a window runs from, or None if it has not happened
    (SENT: ``sent_at``; a date-only event counts as its London day)."""
    if frm is ClockFrom.SENT:
        return utc(sent_at) if sent_at is not None else None
    if frm is ClockFrom.ISSUE_AROSE:
        return _london_noon(dispute.issue_arose)
    if frm is ClockFrom.FORMAL_START:
        return formal_start(dispute, policy)
    held = [c.held_at for c in dispute.conversations if sent_at is None or utc(c.held_at) <= utc(sent_at)]
    return utc(max(held, key=utc)) if held else None


def stage_timescale(dispute: DisputeView, policy: Policy, stage: Stage) -> Timescale:
    """The response timescale of ``stage`` for this dispute (an immediate concern's where the
    procedure has one; none for a report or notice, which awaits no response)."""
    if not stage.response_expected:
        return Timescale()
    if dispute.immediate and policy.rules.immediate_concern.is_set:
        return policy.rules.immediate_concern
    return stage.timescale


def send_due(dispute: DisputeView, policy: Policy, stage: Stage, calendar: WorkingCalendar, sent_at: datetime,
             chosen: date | None = None) -> Due | None:
    """The response due of ``stage`` sent at ``sent_at``: the day the chair set (``chosen``, for
    a stage whose length is at the chair's discretion), else its timescale counted from the
    event the profile names (sending by default; the sending itself when that event has not
    been recorded). None for a report or notice (no response is awaited)."""
    if not stage.response_expected:
        return None
    if chosen is not None and stage.chair_sets_timescale:
        return Due(end_of_london_day_utc(chosen), chosen, london_date(utc(sent_at)))
    timescale = stage_timescale(dispute, policy, stage)
    if not timescale.is_set:
        return None
    start = event_at(dispute, policy, timescale.counted_from(ClockFrom.SENT), sent_at) or sent_at
    return compute_due(start, timescale, calendar)


def monitoring_due(policy: Policy, stage_key: str, agreed_at: datetime | date, calendar: WorkingCalendar, *,
                   at_resolution: bool) -> date | None:
    """The day a monitoring meeting is due after an outcome agreed at ``stage_key`` (at
    ``agreed_at``; a day alone counts from its middle): the stage's own ``monitoring`` window,
    else, when the dispute is resolved, the procedure's ``rules.monitoring_meeting``; None when
    the procedure sets none."""
    if not isinstance(agreed_at, datetime):
        agreed_at = _london_noon(agreed_at)
    own = policy.stage(stage_key).monitoring if _has_stage(policy, stage_key) else Timescale()
    window = own if own.is_set or not at_resolution else policy.rules.monitoring_meeting
    due = compute_due(agreed_at, window, calendar) if window.is_set else None
    return None if due is None else (due.day or due_day(due.at))


def lateness(due: Due, met_at: datetime, calendar: WorkingCalendar, verb: str) -> str:
    """"responded 2 working days late": how far after ``due`` it was met ("" if in time). Counted
    in the window's own unit: hours for an hours window, calendar days for a calendar-day one,
    else working days (or "1 day" when the day after was not a working day)."""
    met, at = utc(met_at), utc(due.at)
    if met < at:
        return ""
    if due.day is None:  # an instant, not a day (an hours window): counted in started hours
        n = max(1, -int(-(met - at).total_seconds() // 3600))  # started hours, at least 1
        return f"{verb} {n} hour{'s' if n != 1 else ''} late"
    due_day = due.day
    met_day = london_date(met)
    days = (met_day - due_day).days
    if due.calendar_days is None:
        n = calendar.working_days_between(due_day, met_day)
        if n > 0:
            return f"{verb} {n} working day{'s' if n != 1 else ''} late"
    days = max(days, 1)
    return f"{verb} {days} day{'s' if days != 1 else ''} late"


def reminder_step(due: Due, now: datetime, calendar: WorkingCalendar, before: Iterable[int]) -> int | None:
    """Which "N working days before it is due" reminder of a running clock is due at ``now``:
    the smallest N in ``before`` whose day (N working days before the due day; 0: the due day
    itself) has come, while the clock has not run out. None: no reminder yet, or overdue
    (a breach, not a reminder). The smallest only: a run that missed the two-day reminder
    sends the one-day one, not both."""
    if utc(now) >= utc(due.at):
        return None
    day = due.day if due.day is not None else due_day(due.at)
    today = london_date(utc(now))
    come = [n for n in before if n >= 0 and calendar.subtract_working_days(day, n) <= today]
    return min(come) if come else None


def working_days_taken(start_at: datetime, end_at: datetime, calendar: WorkingCalendar) -> int:
    """Working days from ``start_at`` to ``end_at`` by their London days (the start day never
    counts): how long a stage waited for its response, as the history and the bundle show it."""
    return calendar.working_days_between(london_date(utc(start_at)), london_date(utc(end_at)))


def due_on_day(day: date) -> Due:
    """Due at the end of a given London day (actions, monitoring meetings)."""
    return Due(end_of_london_day_utc(day), day)


def state_at(
    due_at: datetime,
    now: datetime,
    calendar: WorkingCalendar,
    due_soon_days: int = 1,
    *,
    done: bool = False,
    paused: bool = False,
) -> DueState:
    """The state of one clock: overdue, due today, due soon, on track, paused, done."""
    if done:
        return DueState.DONE
    now = utc(now)
    due_at = utc(due_at)
    if now >= due_at:
        return DueState.OVERDUE
    if paused:
        return DueState.PAUSED
    today = london_date(now)
    due_day = london_date(due_at - timedelta(microseconds=1))
    if due_day <= today:
        return DueState.DUE_TODAY
    if due_soon_days > 0 and due_day <= calendar.add_working_days(today, due_soon_days):
        return DueState.DUE_SOON
    return DueState.ON_TRACK


def due_soon_window(policy: Policy, override: int | None = None) -> int:
    """How many working days ahead count as "due soon": the installation's setting when it
    has one (``override``, the config's ``due_soon_working_days``), else the procedure's.
    0 means nothing is ever "due soon" (only due today, then overdue)."""
    return policy.rules.due_soon_working_days if override is None else max(0, override)


def due_state(
    due_at: datetime,
    now: datetime,
    calendar: WorkingCalendar,
    policy: Policy,
    override: int | None = None,
    *,
    done: bool = False,
    paused: bool = False,
) -> DueState:
    """The one rule for the state of a clock under ``policy`` (every screen, report and
    reminder asks this): ``state_at`` with the window of ``due_soon_window``."""
    return state_at(due_at, now, calendar, due_soon_window(policy, override), done=done, paused=paused)


def response_clock(st: StageView, dispute: DisputeView) -> tuple[Due, bool, bool] | None:
    """The response clock of one stage of ``dispute``: (due, closed, paused), or None if none
    runs (not sent, or no timescale). Closed: decided, the dispute closed, or a later stage
    reached; paused: an extension was agreed (the due instant is then its end)."""
    if not (st.sent_at and st.due_at):
        return None
    extended = st.extension_until is not None
    due_at = st.extension_until if st.extension_until is not None else st.due_at
    current = dispute.current
    closed = st.decision is not None or not dispute.status.is_open or current is None or st.id != current.id
    return Due(utc(due_at), _due_day(due_at) if extended else st.due_date), closed, extended


def stage_state(st: StageView, dispute: DisputeView, calendar: WorkingCalendar, now: datetime,
                soon: int) -> DueState | None:
    """The state of one stage's response clock (the form's stage titles), or None if none runs."""
    clock = response_clock(st, dispute)
    if clock is None:
        return None
    due, closed, paused = clock
    if st.response_at is not None and utc(st.response_at) >= due.at:
        return DueState.LATE
    return state_at(due.at, now, calendar, soon, done=st.response_at is not None or closed, paused=paused)


def deadlines(
    dispute: DisputeView,
    policy: Policy,
    calendar: WorkingCalendar,
    now: datetime,
    due_soon_days: int | None = None,
) -> list[Deadline]:
    """Every clock of ``dispute`` with its state at ``now``, soonest first."""
    soon = due_soon_window(policy, due_soon_days)
    out: list[Deadline] = []
    is_open = dispute.status.is_open

    def add(kind: str, label: str, due: Due, *, done_at: datetime | None = None,
            done: bool = False, paused: bool = False, verb: str = "done") -> None:
        is_done = done or done_at is not None
        st = state_at(due.at, now, calendar, soon, done=is_done, paused=paused)
        late = lateness(due, done_at, calendar, verb) if done_at is not None else ""
        out.append(Deadline(kind, label, due, DueState.LATE if late else st, done_at, late))

    first_sent = next((s.sent_at for s in dispute.stages if s.sent_at), None)
    rw = policy.rules.raise_window
    what = "sent"
    met_at = first_sent
    frm = rw.counted_from(ClockFrom.ISSUE_AROSE)
    if policy.rules.raise_window_met_by is RaiseMetBy.RAISED:
        what, met_at = "raised", _london_noon(dispute.raised_on)
    elif frm is ClockFrom.FORMAL_START:  # the formal report: sending an informal stage does not meet it
        what, met_at = "formal report sent", formal_sent(dispute, policy)
    if dispute.immediate and policy.rules.immediate_written_record.is_set:
        # an immediate concern is talked through first; the written report follows within this
        rw, what, met_at = policy.rules.immediate_written_record, "written record sent", first_sent
        frm = ClockFrom.ISSUE_AROSE
    start = event_at(dispute, policy, frm, first_sent) if rw.is_set else None
    if start is not None:  # (a window from an event not yet recorded is not running yet)
        due = compute_due(start, rw, calendar)
        if due is not None:
            add("raise", f"{policy.vocabulary.short} {what} within {rw.describe()} {frm.phrase}",
                due, done_at=met_at, done=not is_open, verb=what.split()[-1])

    for st in dispute.stages:
        label = policy.stage(st.stage_key).label if _has_stage(policy, st.stage_key) else st.stage_key
        clock = response_clock(st, dispute)
        if clock is not None:
            due, closed, extended = clock
            met = st.response_at
            waiting = st.pending if met is None and not closed else ()
            who = f" (awaiting {', '.join(r.responder_name for r in waiting)})" if waiting else ""
            add("response", f"Response to {label}{who}", due, done_at=met, done=closed and met is None,
                paused=extended, verb="responded")
        meeting = policy.stage(st.stage_key).meeting if _has_stage(policy, st.stage_key) else None
        if meeting is not None and meeting.within.is_set and st.sent_at is not None:
            mdue = compute_due(st.sent_at, meeting.within, calendar)
            met_on = [mt.held_on for mt in dispute.meetings if mt.stage_key == st.stage_key]
            if mdue is not None:
                by = (policy.level_label(meeting.arranged_by) if meeting.arranged_by
                      else policy.vocabulary.chair_title)
                later = dispute.current is None or st.id != dispute.current.id
                add("meeting", f"Meeting ({label}) arranged by {by}", mdue,
                    done_at=_london_noon(min(met_on)) if met_on else None, done=not is_open or later, verb="held")
        if st.negotiation_until is not None:
            add("negotiation", f"Further negotiation ({label})", Due(utc(st.negotiation_until), None),
                done=st.decision is not None or not is_open or st is not dispute.current)
        for a in st.actions:
            when = _london_noon(a.done_on) if a.done_on else None
            add("action", f"Action: {a.description[:40]}", due_on_day(a.due),
                done_at=when, done=dispute.status is Status.WITHDRAWN)

    for m in dispute.monitoring:
        held = _london_noon(m.held_on) if m.held_on else None
        add("monitoring", "Monitoring meeting", due_on_day(m.due_on), done_at=held,
            done=dispute.status is Status.WITHDRAWN, verb="held")

    for cap in policy.rules.caps:
        start = _cap_start(dispute, policy, cap.from_stage)
        if start is None:
            continue
        due = compute_due(start, Timescale(working_days=cap.working_days), calendar)
        assert due is not None
        beyond = cap.to_stage is not None and _has_stage(policy, dispute.current_stage) and (
            policy.stage_index(dispute.current_stage) > policy.stage_index(cap.to_stage))
        add("cap", cap.label or f"Whole process within {cap.working_days} working days", due,
            done=not is_open or beyond)

    out.sort(key=lambda d: (d.state.is_done, d.due.at))
    return out


def worst_state(items: list[Deadline]) -> DueState:
    running = [d.state for d in items if not d.state.is_done]
    if running:
        return worst(running)
    return DueState.DONE if items else DueState.NONE


def next_due(items: list[Deadline]) -> Deadline | None:
    """The earliest clock still running (not done), for sorting the caseload."""
    running = [d for d in items if not d.state.is_done]
    return min(running, key=lambda d: d.due.at) if running else None


def _has_stage(policy: Policy, key: str) -> bool:
    return any(s.key == key for s in policy.stages)


def due_day(due_at: datetime) -> date:
    """The London day an instant-deadline falls due on: an extension "to Fri 4 Dec"
    is stored as the end of that day (00:00 on Sat 5 Dec), which is due on the 4th."""
    return london_date(utc(due_at) - timedelta(microseconds=1))


_due_day = due_day


def _london_noon(day: date) -> datetime:
    """An instant safely inside London day ``day`` (used for date-only events)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=LONDON)


def _cap_start(dispute: DisputeView, policy: Policy, from_stage: str) -> datetime | None:
    if not _has_stage(policy, from_stage):
        return None
    threshold = policy.stage_index(from_stage)
    for st in dispute.stages:
        if st.sent_at and _has_stage(policy, st.stage_key) and policy.stage_index(st.stage_key) >= threshold:
            return st.sent_at
    return None
