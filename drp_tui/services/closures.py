"""Local closure days: days the authority's offices are closed, set by an administrator.

They are kept in the database (``closure_day``), each with its reason, who added it and when,
and audited; the config file's ``closures`` count too. A closure day is not a working day for
any deadline computed from then on (a stage sent, an extension agreed); a due date already
given is not moved. Sessions already open keep the calendar they started with until they are
opened again; the administrator's own desk takes the change at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from drp_tui.domain.calendar import HolidaySource, WorkingCalendar
from drp_tui.domain.timeutil import format_date, parse_day
from drp_tui.services.common import clean_text, event, service
from drp_tui.services.context import Ctx
from drp_tui.services.errors import NotFound, ValidationError
from drp_tui.services.permissions import acting_admin
from drp_tui.store import models as m
from drp_tui.store.queries import closure_days

FAR_PAST_YEARS = 1  # a closure day more than this long ago is a typing mistake


@dataclass(frozen=True)
class ClosureView:
    day: date
    reason: str
    added_by: str  # the administrator's name, or "the config file"
    from_config: bool = False


def stored_closures() -> dict[date, str]:
    """The closure days in the database: {day: reason}."""
    return closure_days()


def calendar_with_closures(nation: str, configured: Iterable[date],
                           holidays: HolidaySource | None = None) -> WorkingCalendar:
    """The working calendar: the nation's bank holidays (from ``holidays``, by default the
    package), the config file's closures, and the administrator's (which name their reason)."""
    days: dict[date, str] = {d: "" for d in configured}
    days.update(stored_closures())
    return WorkingCalendar(nation, days, holidays=holidays)


def _day(ctx: Ctx, value: object) -> date:
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError("day: give the day, e.g. 29/12/2026", field="day")
    try:
        return parse_day(text)
    except ValueError as exc:
        raise ValidationError(f"day: {exc}", field="day") from None


@service
def list_closures(ctx: Ctx, configured: Iterable[date] = ()) -> list[ClosureView]:
    """Every local closure day, the config file's included, earliest first."""
    acting_admin(ctx, "see the closure days")
    rows = {c.day: ClosureView(c.day, c.reason, (c.added_by.name if c.added_by is not None else "the command line"))
            for c in m.ClosureDay.select().order_by(m.ClosureDay.day)}
    for d in configured:
        rows.setdefault(d, ClosureView(d, "", "the config file", True))
    return [rows[d] for d in sorted(rows)]


@service
def add_closure(ctx: Ctx, day: object, reason: object) -> date:
    """Add a closure day (audited). Refused: a day already not a working day, or long past."""
    who, by = acting_admin(ctx, "set closure days")
    d = _day(ctx, day)
    why = clean_text(reason, "reason", required=True, short=True)
    if d.year < ctx.today().year - FAR_PAST_YEARS:
        raise ValidationError(f"day: {format_date(d)} is more than a year ago; check the year", field="day")
    if m.ClosureDay.select().where(m.ClosureDay.day == d).exists():
        raise ValidationError(f"day: {format_date(d)} is already a closure day", field="day")
    already = ctx.calendar.why_not_working(d)
    if already:
        raise ValidationError(f"day: {format_date(d)} is not a working day already ({already})", field="day")
    m.ClosureDay.create(day=d, reason=why, added_by=who, added_at=ctx.now())
    event(ctx, "closure_added", f"Closure day {format_date(d)} added {by}: {why}",
          after={"day": d.isoformat(), "reason": why})
    return d


@service
def remove_closure(ctx: Ctx, day: object) -> None:
    """Remove a closure day the administrator added (audited); the config file's stay there."""
    _who, by = acting_admin(ctx, "set closure days")
    d = _day(ctx, day)
    row = m.ClosureDay.get_or_none(m.ClosureDay.day == d)
    if row is None:
        raise NotFound(f"day: {format_date(d)} is not a closure day set here (the config file's are changed there)")
    before = {"day": d.isoformat(), "reason": row.reason}
    row.delete_instance()
    event(ctx, "closure_removed", f"Closure day {format_date(d)} removed {by}", before=before)
