"""Reports for oversight: numbers, themes, teams, timeliness, the supervision list.

Read-only: nothing here writes. ``report()`` reads the store once and hands the
facts to pure functions (``by_status``, ``by_stage`` ...) that tests can call on
their own. Everything returned is a frozen dataclass.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import due_state, working_days_taken
from drp_tui.domain.model import DueState, Role, Status
from drp_tui.domain.policy import Policy
from drp_tui.domain.timeutil import london_date, utc
from drp_tui.services.context import Ctx
from drp_tui.services.errors import PermissionDenied
from drp_tui.services.reads import reader
from drp_tui.store import models as m
from drp_tui.store.queries_screens import DisputeFacts, StageFacts, dispute_facts, stage_facts

PolicyOf = Callable[[DisputeFacts], Policy]  # the procedure a dispute is pinned to
CLOSED = (Status.RESOLVED, Status.CAFCASS, Status.WITHDRAWN)


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class TeamCount:
    team: str
    total: int
    open: int
    overdue: int
    closed: int


@dataclass(frozen=True)
class Timeliness:
    """Responses to stages sent: on time or late, and how long they took."""

    answered: int  # stages with a response recorded
    on_time: int  # of those, recorded before the end of the due day (or extension)
    late: int
    no_timescale: int  # answered stages that had no due date
    awaiting: int  # sent, current, no response yet
    awaiting_overdue: int
    unanswered: int  # stages passed (escalated or closed) without any response
    median_working_days: float | None  # sent -> response, in working days (London dates)

    @property
    def on_time_percent(self) -> int | None:
        judged = self.on_time + self.late
        return round(100 * self.on_time / judged) if judged else None


@dataclass(frozen=True)
class Outstanding:
    """One open dispute on the supervision list."""

    dispute_id: int
    reference: str
    child_name: str
    chair_name: str
    team_name: str
    stage_label: str
    status: Status
    with_whom: str
    next_due_at: datetime | None
    next_due_kind: str
    state: DueState
    working_days_open: int


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    total: int
    open: int
    by_status: tuple[Count, ...]
    by_stage: tuple[Count, ...]
    by_category: tuple[Count, ...]
    by_team: tuple[TeamCount, ...]
    timeliness: Timeliness
    outstanding: tuple[Outstanding, ...]


# --- pure computations over facts ---------------------------------------------

def _stage_label(policy_of: PolicyOf, fact: DisputeFacts, stage_key: str) -> str:
    try:
        return policy_of(fact).stage(stage_key).label
    except KeyError:
        return stage_key


def by_status(facts: Sequence[DisputeFacts]) -> tuple[Count, ...]:
    """Every status, in the order of a dispute's life (zeros included)."""
    n = Counter(f.status for f in facts)
    return tuple(Count(s.value, s.label, n.get(s, 0)) for s in Status)


def by_stage(facts: Sequence[DisputeFacts], policy: Policy, policy_of: PolicyOf | None = None) -> tuple[Count, ...]:
    """Disputes by the highest stage reached (their current stage), ladder order, zeros included.
    A stage the current profile does not have is labelled by the procedure of a dispute at it."""
    n = Counter(f.current_stage for f in facts)
    out = [Count(s.key, s.label, n.pop(s.key, 0)) for s in policy.stages]
    lookup = policy_of or (lambda _f: policy)
    first: dict[str, DisputeFacts] = {}
    for f in facts:
        first.setdefault(f.current_stage, f)
    for key, count in sorted(n.items()):
        out.append(Count(key, _stage_label(lookup, first[key], key), count))
    return tuple(out)


def by_category(facts: Sequence[DisputeFacts], policy: Policy, policy_of: PolicyOf | None = None) -> tuple[Count, ...]:
    """Themes: categories of concern, most frequent first (only those used). A category the
    current profile does not have is labelled by the procedure of a dispute raised in it."""
    n = Counter(f.category for f in facts)
    first: dict[str, DisputeFacts] = {}
    for f in facts:
        first.setdefault(f.category, f)

    def label(key: str) -> str:
        for p in (policy, policy_of(first[key]) if policy_of is not None else policy):
            try:
                return p.category(key).label
            except KeyError:
                continue
        return key

    items = [Count(k, label(k), c) for k, c in n.items()]
    return tuple(sorted(items, key=lambda c: (-c.count, c.label.lower())))


def by_team(facts: Sequence[DisputeFacts], now: datetime) -> tuple[TeamCount, ...]:
    """Per child's team: all, open, open and past their next deadline, closed."""
    now = utc(now)
    teams: dict[str, list[DisputeFacts]] = {}
    for f in facts:
        teams.setdefault(f.team_name, []).append(f)
    out = []
    for name, items in teams.items():
        open_ = [f for f in items if f.status.is_open]
        overdue = [f for f in open_ if f.next_due_at is not None and utc(f.next_due_at) <= now]
        out.append(TeamCount(name, len(items), len(open_), len(overdue), len(items) - len(open_)))
    return tuple(sorted(out, key=lambda t: (-t.total, t.team.lower())))


def timeliness(facts: Sequence[DisputeFacts], stages: Sequence[StageFacts], calendar: WorkingCalendar,
               now: datetime) -> Timeliness:
    now = utc(now)
    status = {f.id: f.status for f in facts}
    latest: dict[int, int] = {}
    for s in stages:
        latest[s.dispute_id] = max(latest.get(s.dispute_id, 0), s.seq)
    answered = on_time = late = none_due = awaiting = awaiting_overdue = unanswered = 0
    taken: list[int] = []
    for s in stages:
        if s.dispute_id not in status or s.sent_at is None:
            continue
        deadline = s.extension_until or s.due_at
        if s.response_at is not None:
            answered += 1
            taken.append(working_days_taken(s.sent_at, s.response_at, calendar))
            if deadline is None:
                none_due += 1
            elif utc(s.response_at) < utc(deadline):
                on_time += 1
            else:
                late += 1
        elif status[s.dispute_id].is_open and s.seq == latest[s.dispute_id]:
            awaiting += 1
            if deadline is not None and now >= utc(deadline):
                awaiting_overdue += 1
        else:
            unanswered += 1
    median = float(statistics.median(taken)) if taken else None
    return Timeliness(answered, on_time, late, none_due, awaiting, awaiting_overdue, unanswered, median)


def outstanding(facts: Sequence[DisputeFacts], policy_of: PolicyOf, calendar: WorkingCalendar,
                now: datetime, due_soon_days: int | None = None) -> tuple[Outstanding, ...]:
    """Open disputes for supervision: worst deadline state first, then soonest due.
    ``due_soon_days`` None: each dispute's own procedure says when it is due soon."""
    today = london_date(now)
    out = []
    for f in facts:
        if not f.status.is_open:
            continue
        if f.next_due_at is None:
            state = DueState.NONE
        else:
            state = due_state(f.next_due_at, now, calendar, policy_of(f), due_soon_days, paused=f.paused)
        out.append(Outstanding(
            f.id, f.reference, f.child_name, f.raised_by_name, f.team_name,
            _stage_label(policy_of, f, f.current_stage), f.status, f.responder_name,
            f.next_due_at, f.next_due_kind, state, calendar.working_days_between(f.raised_on, today)))
    far = datetime.max.replace(tzinfo=utc(now).tzinfo)
    return tuple(sorted(out, key=lambda o: (o.state.rank, utc(o.next_due_at) if o.next_due_at else far,
                                            o.reference)))


# --- reading the store ----------------------------------------------------------

def report(policy: Policy, calendar: WorkingCalendar, now: datetime, *, policy_of: PolicyOf | None = None,
           raised_by_team: int | None = None, raised_from: date | None = None, raised_to: date | None = None,
           due_soon_days: int | None = None, viewer_id: int | None = None, counts_only: bool = False) -> Report:
    """Every number for the reports screen, from one read of the store.

    ``viewer_id``: only the disputes that person may see (``store.visibility``).
    ``counts_only``: numbers without the supervision list (no child, no chair, no reference).
    """
    lookup = policy_of or (lambda _f: policy)
    facts = dispute_facts(raised_by_team, raised_from, raised_to, viewer_id=viewer_id)
    stages = stage_facts(f.id for f in facts)
    return Report(
        generated_at=utc(now), total=len(facts), open=sum(1 for f in facts if f.status.is_open),
        by_status=by_status(facts), by_stage=by_stage(facts, policy, lookup),
        by_category=by_category(facts, policy, lookup), by_team=by_team(facts, now),
        timeliness=timeliness(facts, stages, calendar, now),
        outstanding=() if counts_only else outstanding(facts, lookup, calendar, now, due_soon_days),
    )


REPORTS_ARE_FOR = "Reports are for the IRO service manager (oversight)."


def report_reader(ctx: Ctx) -> tuple[m.Staff, bool]:
    """The one rule for every report (the screen, the pack, its files): the active oversight or
    administrator account reading, and whether it is an administrator (counts over the whole
    installation, never a child, chair or reference). Anyone else: ``PermissionDenied``."""
    who = reader(ctx)
    role = Role(who.role)
    if role not in (Role.OVERSIGHT, Role.ADMIN):
        raise PermissionDenied(REPORTS_ARE_FOR)
    return who, role is Role.ADMIN


def report_for(ctx: Ctx, *, raised_by_team: int | None = None, raised_from: date | None = None,
               raised_to: date | None = None) -> Report:
    """The report as the signed-in person may see it: oversight and admin only.

    Oversight: the disputes of its own team(s) (``store.visibility``), with the supervision
    list. An administrator: counts over the whole installation, no supervision list (no
    child's name, case number, reference or chair). A disabled account: refused.
    """
    who, admin = report_reader(ctx)
    return report(ctx.policy, ctx.calendar, ctx.now(), policy_of=ctx.policy_of, raised_by_team=raised_by_team,
                  raised_from=raised_from, raised_to=raised_to, due_soon_days=ctx.due_soon_days,
                  viewer_id=None if admin else who.id, counts_only=admin)
