"""The report pack for a period (the IRO service's annual report): figures, then sections.

The cohort is the disputes *raised* in the period (``date_from`` .. ``date_to``, London
days, both included) that the reader may see; "a year earlier" is the same months one
year before. Everything else is worked out from that cohort:

* disputes raised by month, with the same month a year earlier;
* the stage reached (the dispute's current stage: the highest it climbed to);
* the stage at which the resolved ones were resolved;
* timeliness of responses (``reports.timeliness``: on time when recorded before the end
  of the due day or its extension) and its on-time percentage;
* working days from raised to resolved (the median; the calendar's working days);
* themes (categories of concern), by the child's team;
* Cafcass referrals (a referral recorded, or the dispute closed by one), by stage;
* year on year: the same figures for the same months a year earlier.

``pack()`` and the functions it calls are pure (facts in, frozen figures out); ``build_pack``
reads the store once for each period; ``pack_for`` is the read rule (``reports.report_reader``).
``sections()`` lays a pack out as titled tables with the data of a bar chart each: the one
shape that the files (``services.report_files``) and the desk both draw.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import Status
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import format_date, format_month, london_date, utc
from drp_tui.services.common import clean_date
from drp_tui.services.context import Ctx
from drp_tui.services.errors import ValidationError
from drp_tui.services.reports import (
    Count,
    PolicyOf,
    TeamCount,
    Timeliness,
    by_category,
    by_stage,
    by_team,
    report_reader,
    timeliness,
)
from drp_tui.store.queries_screens import DisputeFacts, StageFacts, cafcass_referred, dispute_facts, stage_facts

MAX_MONTHS = 36  # the longest period one pack covers (its by-month table stays readable)


# --- figures -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthCount:
    month: date  # its first day
    label: str  # "Apr 2026"
    count: int  # disputes raised in the month (within the period)
    previous: int  # raised in the same month a year earlier


@dataclass(frozen=True)
class Summary:
    """One period's headline figures (this period, or the same months a year earlier)."""

    date_from: date
    date_to: date
    raised: int
    open: int
    resolved: int
    cafcass: int  # referred to Cafcass
    withdrawn: int
    on_time_percent: int | None  # responses to stages, on time of those judged
    median_days_to_resolution: float | None  # working days, raised -> resolved


@dataclass(frozen=True)
class Pack:
    date_from: date
    date_to: date
    generated_at: datetime
    by_month: tuple[MonthCount, ...]
    by_stage: tuple[Count, ...]  # stage reached
    resolved_at: tuple[Count, ...]  # the stage at which the resolved ones were resolved
    timeliness: Timeliness
    days_to_resolution: tuple[int, ...]  # each resolved dispute's working days, raised -> resolved (sorted)
    by_category: tuple[Count, ...]
    by_team: tuple[TeamCount, ...]
    cafcass_by_stage: tuple[Count, ...]  # referrals to Cafcass, by the stage the dispute had reached
    this_year: Summary
    last_year: Summary

    @property
    def total(self) -> int:
        return self.this_year.raised


def a_year_earlier(d: date) -> date:
    """The same day a year before (29 February: the 28th)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def months(date_from: date, date_to: date) -> tuple[date, ...]:
    """The first day of every month the period touches, in order."""
    out = []
    y, mo = date_from.year, date_from.month
    while (y, mo) <= (date_to.year, date_to.month):
        out.append(date(y, mo, 1))
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return tuple(out)


def by_month(facts: Sequence[DisputeFacts], previous: Sequence[DisputeFacts], date_from: date,
             date_to: date) -> tuple[MonthCount, ...]:
    """Disputes raised per month of the period (zeros included), beside the same month a year
    earlier (``previous``: the disputes raised in the period a year earlier)."""
    now = Counter((f.raised_on.year, f.raised_on.month) for f in facts if date_from <= f.raised_on <= date_to)
    before = Counter((f.raised_on.year + 1, f.raised_on.month) for f in previous)
    return tuple(MonthCount(m, format_month(m), now.get((m.year, m.month), 0), before.get((m.year, m.month), 0))
                 for m in months(date_from, date_to))


def resolved_at(facts: Sequence[DisputeFacts], policy: Policy, policy_of: PolicyOf | None = None) -> tuple[Count, ...]:
    """The resolved disputes by the stage they were resolved at (their last stage), ladder order."""
    return by_stage([f for f in facts if f.status is Status.RESOLVED], policy, policy_of)


def referred(facts: Sequence[DisputeFacts], referrals: frozenset[int]) -> list[DisputeFacts]:
    """The disputes referred to Cafcass: a referral recorded, or closed by one (e.g. imported so)."""
    return [f for f in facts if f.id in referrals or f.status is Status.CAFCASS]


def days_to_resolution(facts: Sequence[DisputeFacts], calendar: WorkingCalendar) -> tuple[int, ...]:
    """Working days from the day raised to the London day resolved, for each resolved dispute."""
    return tuple(sorted(calendar.working_days_between(f.raised_on, london_date(f.closed_at))
                        for f in facts if f.status is Status.RESOLVED and f.closed_at is not None))


def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def summary(facts: Sequence[DisputeFacts], stages: Sequence[StageFacts], referrals: frozenset[int],
            calendar: WorkingCalendar, now: datetime, date_from: date, date_to: date) -> Summary:
    status = Counter(f.status for f in facts)
    return Summary(
        date_from, date_to, raised=len(facts), open=sum(1 for f in facts if f.status.is_open),
        resolved=status.get(Status.RESOLVED, 0), cafcass=len(referred(facts, referrals)),
        withdrawn=status.get(Status.WITHDRAWN, 0),
        on_time_percent=timeliness(facts, stages, calendar, now).on_time_percent,
        median_days_to_resolution=median(days_to_resolution(facts, calendar)))


@dataclass(frozen=True)
class Period:
    """The facts of one period, as read from the store (or made by a test)."""

    date_from: date
    date_to: date
    facts: tuple[DisputeFacts, ...]
    stages: tuple[StageFacts, ...]
    referrals: frozenset[int]


def pack(this: Period, last: Period, policy: Policy, calendar: WorkingCalendar, now: datetime,
         policy_of: PolicyOf | None = None) -> Pack:
    """Every figure of the pack, from the facts of the period and of the same months a year earlier."""
    facts = this.facts
    return Pack(
        date_from=this.date_from, date_to=this.date_to, generated_at=utc(now),
        by_month=by_month(facts, last.facts, this.date_from, this.date_to),
        by_stage=by_stage(facts, policy, policy_of), resolved_at=resolved_at(facts, policy, policy_of),
        timeliness=timeliness(facts, this.stages, calendar, now),
        days_to_resolution=days_to_resolution(facts, calendar),
        by_category=by_category(facts, policy, policy_of), by_team=by_team(facts, now),
        cafcass_by_stage=tuple(c for c in by_stage(referred(facts, this.referrals), policy, policy_of) if c.count),
        this_year=summary(facts, this.stages, this.referrals, calendar, now, this.date_from, this.date_to),
        last_year=summary(last.facts, last.stages, last.referrals, calendar, now, last.date_from, last.date_to),
    )


# --- reading the store -------------------------------------------------------------------------

def read_period(date_from: date, date_to: date, viewer_id: int | None) -> Period:
    facts = tuple(dispute_facts(raised_from=date_from, raised_to=date_to, viewer_id=viewer_id))
    ids = [f.id for f in facts]
    return Period(date_from, date_to, facts, tuple(stage_facts(ids)), cafcass_referred(ids))


def build_pack(policy: Policy, calendar: WorkingCalendar, now: datetime, date_from: date, date_to: date, *,
               policy_of: PolicyOf | None = None, viewer_id: int | None = None) -> Pack:
    """The pack for the disputes raised from ``date_from`` to ``date_to`` (``viewer_id``: those
    that person may see)."""
    this = read_period(date_from, date_to, viewer_id)
    last = read_period(a_year_earlier(date_from), a_year_earlier(date_to), viewer_id)
    return pack(this, last, policy, calendar, now, policy_of)


def check_period(ctx: Ctx, date_from: object, date_to: object) -> tuple[date, date]:
    """The period as typed: two days, From not after To, at most MAX_MONTHS months."""
    start = clean_date(ctx, date_from, "date_from", "From")
    end = clean_date(ctx, date_to, "date_to", "To")
    assert start is not None and end is not None  # not optional
    if end < start:
        raise ValidationError(f"To: {end.isoformat()} is before From ({start.isoformat()})", field="date_to")
    if len(months(start, end)) > MAX_MONTHS:
        raise ValidationError(f"To: a pack covers at most {MAX_MONTHS} months; report a year at a time",
                              field="date_to")
    return start, end


def pack_for(ctx: Ctx, date_from: date, date_to: date) -> Pack:
    """The pack as the signed-in person may see it: oversight (its own team's disputes) or an
    administrator (the whole installation; counts only, as every pack is). Anyone else: refused."""
    who, admin = report_reader(ctx)
    start, end = check_period(ctx, date_from, date_to)
    return build_pack(ctx.policy, ctx.calendar, ctx.now(), start, end, policy_of=ctx.policy_of,
                      viewer_id=None if admin else who.id)


def financial_year(day: date) -> tuple[date, date]:
    """The April-to-March year that ``day`` falls in (the IRO annual report's year)."""
    start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    return start, date(start.year + 1, 3, 31)


# --- the pack laid out: titled tables, each with a chart's data ---------------------------------

Cell = str | int | float | None


@dataclass(frozen=True)
class Chart:
    """Bars: one label per bar group, one or more series (name, a value per label)."""

    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart | None = None
    note: str = ""


def _pct(n: int, total: int) -> int | None:
    return round(100 * n / total) if total else None


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _one(title: str, items: Sequence[Count]) -> Chart:
    return Chart(tuple(c.label for c in items), ((title, tuple(float(c.count) for c in items)),))


def period_text(date_from: date, date_to: date) -> str:
    return f"{format_date(date_from)} to {format_date(date_to)}"


def sections(p: Pack) -> tuple[Section, ...]:
    """The pack as the files and the desk show it, in order: every section has a title, a header
    row and rows; most carry a bar chart's data."""
    total = p.total
    t, now, last = p.timeliness, p.this_year, p.last_year
    months_chart = Chart(tuple(mc.label for mc in p.by_month),
                         (("This period", tuple(float(mc.count) for mc in p.by_month)),
                          ("A year earlier", tuple(float(mc.previous) for mc in p.by_month))))
    resolved = len(p.days_to_resolution)
    referred_total = sum(c.count for c in p.cafcass_by_stage)
    return (
        Section("month", "Disputes raised by month", ("Month", "Raised", "Same month a year earlier"),
                tuple((mc.label, mc.count, mc.previous) for mc in p.by_month), months_chart),
        Section("stage", "Stage reached", ("Stage", "Disputes", "%"),
                tuple((c.label, c.count, _pct(c.count, total)) for c in p.by_stage), _one("Disputes", p.by_stage)),
        Section("resolved", "Resolved at stage", ("Stage", "Resolved", "%"),
                tuple((c.label, c.count, _pct(c.count, resolved)) for c in p.resolved_at),
                _one("Resolved", p.resolved_at)),
        Section("timeliness", "Timeliness of responses", ("Figure", "Value"), (
            ("Responses received", t.answered), ("On time", t.on_time), ("Late", t.late),
            ("On time %", t.on_time_percent),
            ("Median working days to respond", _days(t.median_working_days)),
            ("Awaiting a response", t.awaiting), ("Awaiting, overdue", t.awaiting_overdue),
            ("Passed over without a response", t.unanswered), ("Answered with no timescale set", t.no_timescale)),
            Chart(("On time", "Late"), (("Responses", (float(t.on_time), float(t.late))),)),
            note="On time: recorded before the end of the day due (or of its extension)."),
        Section("resolution", "Time to resolution", ("Figure", "Value"), (
            ("Resolved", resolved),
            ("Median working days from raised to resolved", _days(median(p.days_to_resolution))),
            ("Fewest working days", min(p.days_to_resolution) if resolved else None),
            ("Most working days", max(p.days_to_resolution) if resolved else None)),
            note="Working days skip weekends, bank holidays and the local closure days."),
        Section("themes", "Themes (categories of concern)", ("Category", "Disputes", "%"),
                tuple((c.label, c.count, _pct(c.count, total)) for c in p.by_category),
                _one("Disputes", p.by_category)),
        Section("teams", "By team (the child's team)", ("Team", "All", "Open", "Overdue", "Closed"),
                tuple((tc.team, tc.total, tc.open, tc.overdue, tc.closed) for tc in p.by_team),
                Chart(tuple(tc.team for tc in p.by_team), (("All", tuple(float(tc.total) for tc in p.by_team)),))),
        Section("cafcass", "Cafcass referrals", ("Stage reached", "Referrals"),
                (*((c.label, c.count) for c in p.cafcass_by_stage), ("All referrals", referred_total)),
                _one("Referrals", p.cafcass_by_stage) if p.cafcass_by_stage else None),
        Section("year", "Year on year", ("Figure", "This period", "A year earlier"), (
            ("Disputes raised", now.raised, last.raised), ("Resolved", now.resolved, last.resolved),
            ("Referred to Cafcass", now.cafcass, last.cafcass), ("Withdrawn", now.withdrawn, last.withdrawn),
            ("Still open", now.open, last.open),
            ("Responses on time %", now.on_time_percent, last.on_time_percent),
            ("Median working days to resolution", _days(now.median_days_to_resolution),
             _days(last.median_days_to_resolution))),
            Chart(("Raised", "Resolved", "Cafcass"), (
                ("This period", (float(now.raised), float(now.resolved), float(now.cafcass))),
                ("A year earlier", (float(last.raised), float(last.resolved), float(last.cafcass))))),
            note=f"A year earlier: {period_text(last.date_from, last.date_to)}; still open: as at today."),
    )

