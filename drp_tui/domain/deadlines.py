"""Deadlines: every running clock of a dispute, and its state at an instant.

A pure function of (dispute, policy, calendar, now): nothing here reads the
wall clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import DisputeView, DueState, StageView, Status, worst
from drp_tui.domain.policy import Policy, RaiseMetBy, Timescale
from drp_tui.domain.timeutil import LONDON, end_of_london_day_utc, london_date, utc


@dataclass(frozen=True)
class Due:
    """A computed due instant, and what it was computed from (to explain it)."""

    at: datetime  # aware UTC
    day: date | None  # London due day, for working-day timescales
    start: date | None = None  # the day counted from (never itself counted)
    working_days: int | None = None
    hours: int | None = None


@dataclass(frozen=True)
class Deadline:
    kind: str  # raise | response | meeting | negotiation | action | monitoring | cap
    label: str
    due: Due
    state: DueState
    met_at: datetime | None = None  # when it was met (done)


def compute_due(start: datetime, timescale: Timescale, calendar: WorkingCalendar) -> Due | None:
    """When something started at ``start`` (UTC) is due under ``timescale``."""
    start = utc(start)
    if timescale.working_days is not None:
        day = london_date(start)
        due_day = calendar.add_working_days(day, timescale.working_days)
        return Due(end_of_london_day_utc(due_day), due_day, day, timescale.working_days)
    if timescale.hours is not None:
        return Due(start + timedelta(hours=timescale.hours), None, hours=timescale.hours)
    return None


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
            done: bool = False, paused: bool = False) -> None:
        is_done = done or done_at is not None
        st = state_at(due.at, now, calendar, soon, done=is_done, paused=paused)
        out.append(Deadline(kind, label, due, st, done_at))

    first_sent = next((s.sent_at for s in dispute.stages if s.sent_at), None)
    rw = policy.rules.raise_window
    what = "sent"
    met_at = first_sent
    if policy.rules.raise_window_met_by is RaiseMetBy.RAISED:
        what, met_at = "raised", _london_noon(dispute.raised_on)
    if dispute.immediate and policy.rules.immediate_written_record.is_set:
        # an immediate concern is talked through first; the written report follows within this
        rw, what, met_at = policy.rules.immediate_written_record, "written record sent", first_sent
    if rw.is_set:
        due = compute_due(_london_noon(dispute.issue_arose), rw, calendar)
        if due is not None:
            add("raise", f"{policy.vocabulary.short} {what} within {rw.describe()} of the issue",
                due, done_at=met_at, done=not is_open)

    for st in dispute.stages:
        label = policy.stage(st.stage_key).label if _has_stage(policy, st.stage_key) else st.stage_key
        clock = response_clock(st, dispute)
        if clock is not None:
            due, closed, extended = clock
            met = st.response_at
            waiting = st.pending if met is None and not closed else ()
            who = f" (awaiting {', '.join(r.responder_name for r in waiting)})" if waiting else ""
            add("response", f"Response to {label}{who}", due, done_at=met, done=closed and met is None,
                paused=extended)
        meeting = policy.stage(st.stage_key).meeting if _has_stage(policy, st.stage_key) else None
        if meeting is not None and meeting.within.is_set and st.sent_at is not None:
            mdue = compute_due(st.sent_at, meeting.within, calendar)
            met_on = [mt.held_on for mt in dispute.meetings if mt.stage_key == st.stage_key]
            if mdue is not None:
                by = (policy.level_label(meeting.arranged_by) if meeting.arranged_by
                      else policy.vocabulary.chair_title)
                later = dispute.current is None or st.id != dispute.current.id
                add("meeting", f"Meeting ({label}) arranged by {by}", mdue,
                    done_at=_london_noon(min(met_on)) if met_on else None, done=not is_open or later)
        if st.negotiation_until is not None:
            add("negotiation", f"Further negotiation ({label})", Due(utc(st.negotiation_until), None),
                done=st.decision is not None or not is_open or st is not dispute.current)
        for a in st.actions:
            when = datetime.combine(a.done_on, datetime.min.time()) if a.done_on else None
            add("action", f"Action: {a.description[:40]}", due_on_day(a.due),
                done_at=when, done=dispute.status is Status.WITHDRAWN)

    for m in dispute.monitoring:
        held = datetime.combine(m.held_on, datetime.min.time()) if m.held_on else None
        add("monitoring", "Monitoring meeting", due_on_day(m.due_on), done_at=held,
            done=dispute.status is Status.WITHDRAWN)

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

    out.sort(key=lambda d: (d.state is DueState.DONE, d.due.at))
    return out


def worst_state(items: list[Deadline]) -> DueState:
    running = [d.state for d in items if d.state is not DueState.DONE]
    if running:
        return worst(running)
    return DueState.DONE if items else DueState.NONE


def next_due(items: list[Deadline]) -> Deadline | None:
    """The earliest clock still running (not done), for sorting the caseload."""
    running = [d for d in items if d.state is not DueState.DONE]
    return min(running, key=lambda d: d.due.at) if running else None


def _has_stage(policy: Policy, key: str) -> bool:
    return any(s.key == key for s in policy.stages)


def _due_day(due_at: datetime) -> date:
    """The London day an instant-deadline falls due on: an extension "to Fri 4 Dec"
    is stored as the end of that day (00:00 on Sat 5 Dec), which is due on the 4th."""
    return london_date(utc(due_at) - timedelta(microseconds=1))


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
