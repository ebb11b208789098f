"""Shared pieces of the service layer: loading, permissions, recipients, clocks."""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from peewee import DatabaseError as PeeweeDatabaseError

from drp_tui.domain.deadlines import deadlines, next_due
from drp_tui.domain.model import DueState, Role, Status
from drp_tui.domain.policy import CHAIR, Policy, Stage
from drp_tui.domain.timeutil import format_london
from drp_tui.services import audit, permissions
from drp_tui.services.context import Ctx
from drp_tui.services.errors import (
    ConflictError, DomainError, NotFound, PermissionDenied, StorageError, ValidationError,
)
from drp_tui.store import models as m
from drp_tui.store.db import StorageFault, for_update, storage_fault, write_txn
from drp_tui.store.queries import levels_of

if TYPE_CHECKING:  # the forms, the moves and a dispute's view are loaded by the services that use them, not at start
    from drp_tui.domain.forms import Field
    from drp_tui.domain.moves import Actor, Move, Verdict
    from drp_tui.domain.views import DisputeView

F = TypeVar("F", bound=Callable[..., Any])

def clean_text(value: object, field: str, *, required: bool = False, short: bool = False, label: str | None = None,
               limit: int | None = None) -> str:
    """Validate user text: a string, not too long, no control characters but newlines/tabs.

    ``label`` is how the message names the field (default: ``field``); ``limit`` the most
    characters accepted (default: MAX_SHORT if ``short``, else MAX_TEXT)."""
    from drp_tui.domain.forms import MAX_SHORT, MAX_TEXT

    name = label or field
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{name}: must be text", field=field)
    limit = limit or (MAX_SHORT if short else MAX_TEXT)
    if len(value) > limit:
        raise ValidationError(f"{name}: too long ({len(value)} characters; at most {limit})", field=field)
    cleaned = "".join(ch for ch in value if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127
                                                                and not 0x80 <= ord(ch) < 0xA0
                                                                and not 0xD800 <= ord(ch) <= 0xDFFF))  # lone surrogates cannot be stored
    cleaned = cleaned.strip()
    if required and not cleaned:
        raise ValidationError(f"{name}: is required", field=field)
    return cleaned


def clean_field(ctx: Ctx, f: Field, value: object) -> Any:
    """Validate a value typed into the form's field ``f`` as the form schema describes it
    (kind, required, length, date rule, options); a refusal names the field by its label."""
    from drp_tui.domain.forms import DateRule, Kind

    if f.kind in (Kind.SHORT, Kind.LONG):
        return clean_text(value, f.key, label=f.label, required=f.required, limit=f.max_length)
    if f.kind is Kind.DATE:
        return clean_date(ctx, value, f.key, f.label, future=f.date_rule is not DateRule.NOT_FUTURE,
                          past=f.date_rule is not DateRule.NOT_PAST, optional=not f.required)
    if f.kind is Kind.CHOICE:
        if not f.is_option(value):
            if f.required and value in (None, ""):
                raise ValidationError(f"{f.label}: is required", field=f.key)
            raise ValidationError(f"{f.label}: '{value}' is not {f.choice_noun} of this procedure", field=f.key)
        return value
    return bool(value)


EARLIEST = date(2000, 1, 1)  # no dispute, meeting or action on this desk is older
YEARS_AHEAD = 5  # nor is anything planned further ahead than this
MAX_ACTIONS = 50  # SMART actions in one response


def clean_date(ctx: Ctx, value: object, field: str, label: str | None = None, *, future: bool = True,
               past: bool = True, optional: bool = False) -> date | None:
    """Validate a calendar date typed by a person (a datetime is refused: which London day?).

    Always within EARLIEST .. YEARS_AHEAD years from today; ``future=False`` refuses a
    date after today, ``past=False`` one before today; ``optional`` reads None/"" as None.
    ``label`` is how the message names the field (default: ``field``)."""
    name = label or field.replace("_", " ")
    if optional and value in (None, ""):
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(f"{name}: must be a date (YYYY-MM-DD)", field=field)
    today = ctx.today()
    if value < EARLIEST:
        raise ValidationError(f"{name}: {value.isoformat()} is before {EARLIEST.year}; check the year", field=field)
    if not future and value > today:
        raise ValidationError(f"{name}: cannot be in the future", field=field)
    if not past and value < today:
        raise ValidationError(f"{name}: {value.isoformat()} is already past", field=field)
    try:
        latest = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + YEARS_AHEAD, day=28)
    if value > latest:
        raise ValidationError(f"{name}: {value.isoformat()} is more than {YEARS_AHEAD} years ahead; check the year",
                              field=field)
    return value


def clean_datetime(ctx: Ctx, value: object, field: str, label: str | None = None) -> datetime:
    """A moment that has happened (e.g. when a conversation was held): aware, not in the
    future, not before EARLIEST."""
    name = label or field.replace("_", " ")
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(f"{name}: must be a date and time", field=field)
    if value > ctx.now():
        raise ValidationError(f"{name}: cannot be in the future", field=field)
    if value.date() < EARLIEST:
        raise ValidationError(f"{name}: {value.date().isoformat()} is before {EARLIEST.year}; check the year",
                              field=field)
    return value


MAX_ID = 2**63 - 1  # SQLite's INTEGER range


def valid_id(value: object) -> int | None:
    """``value`` if it can be a row id (an int, not a bool, in SQLite's range), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


NOT_ACTIVE = "Your account is not active; ask an administrator."


def actor(ctx: Ctx) -> m.Staff:
    aid = valid_id(ctx.actor_id)
    s = m.Staff.get_or_none(m.Staff.id == aid) if aid is not None else None
    if s is None or not s.active:
        raise PermissionDenied(NOT_ACTIVE)
    return s


def load(dispute_id: int) -> m.Dispute:
    if valid_id(dispute_id) is None:
        raise NotFound("That dispute does not exist.")
    # Locked for this transaction on PostgreSQL: a second session saving the same
    # dispute waits here, then reads the version the first one left.
    d: m.Dispute | None = for_update(m.Dispute.select().where(m.Dispute.id == dispute_id)).first()
    if d is None:
        raise NotFound(f"Dispute {dispute_id} does not exist.")
    return d


def actor_of(ctx: Ctx) -> Actor:
    """The acting person as the moves see them: role now, team, levels held."""
    from drp_tui.domain.moves import Actor

    who = actor(ctx)
    return Actor(who.id, Role(who.role), who.team_id, levels_of(who.id))


def require_move(ctx: Ctx, d: m.Dispute, move: Move, target: str | None = None) -> Verdict:
    """Refuse ``move`` on ``d`` unless the one rule (``domain.moves``) allows it now:
    PermissionDenied when it is about who is asking, else DomainError."""
    from drp_tui.domain.moves import verdict
    from drp_tui.store.queries_dispute import get_dispute  # a dispute's view: not at the desk's start

    view = get_dispute(d.id)
    v = verdict(view, ctx.policy_of(view), actor_of(ctx), ctx.now(), ctx.calendar, move, target=target)
    if not v.allowed:
        raise (PermissionDenied if v.who else DomainError)(v.reason)
    return v


def require_role(who: m.Staff, *roles: Role, doing: str) -> None:
    if Role(who.role) not in roles:
        names = " or ".join(r.value for r in roles)
        raise PermissionDenied(f"Only a {names} can {doing}.")


def check_version(d: m.Dispute, expected: int | None, yours: dict[str, str] | None = None) -> None:
    """Refuse a save made on a version other than the one the form was opened at.
    (``touch`` guards the UPDATE itself with the version read, so no session can
    overwrite a change it has not seen, whether or not it says which version it had.)"""
    if expected is not None and d.version != expected:
        conflict(d, yours)


def conflict(d: m.Dispute, yours: dict[str, str] | None = None) -> typing.NoReturn:
    """Raise the ConflictError naming who changed ``d`` (as now stored) and when."""
    who = d.updated_by.name if d.updated_by is not None else "someone"
    when = format_london(d.updated_at) if d.updated_at else ""  # wall-clock time, as people read it
    raise ConflictError(
        f"{d.reference} was changed by {who} at {when} after you opened it. "
        "Your text is kept: review their change, then apply yours again.",
        changed_by=who, changed_at=when, yours=yours)


def current_record(d: m.Dispute) -> m.StageRecord:
    r: m.StageRecord | None = (m.StageRecord.select().where(m.StageRecord.dispute == d.id)
                               .order_by(m.StageRecord.seq.desc()).first())
    if r is None:  # every dispute has one from the moment it is raised
        raise NotFound(f"{d.reference} has no stage record.")
    return r


def holder(level: str, teams: Iterable[int | None]) -> m.Staff | None:
    """Who holds ``level`` in the first of ``teams`` that has it."""
    for team_id in teams:
        if team_id is None:
            continue
        tr = (m.TeamRole.select().join(m.Staff).where(
            (m.TeamRole.team == team_id) & (m.TeamRole.level == level) & (m.Staff.active == True))  # noqa: E712
            .first())
        if tr is not None:
            staff: m.Staff = tr.staff
            return staff
    return None


def level_holder(policy: Policy, level: str, d: m.Dispute) -> m.Staff | None:
    """Who holds ``level`` for this dispute, by the level's kind of holder."""
    if policy.holder_kind(level) == "allocated":
        sw = d.child.social_worker
        if sw is not None and sw.active:
            return sw
    return holder(level, (acting_team(policy, level, d),))


def acting_team(policy: Policy, level: str, d: m.Dispute) -> int | None:
    """Which team's holder of ``level`` acts for ``d`` (the domain's one reading, on the stored dispute)."""
    return policy.acting_team(level, chair_team=d.raised_by.team_id, child_team=chain_team(d.child))


def chain_team(child: m.Child) -> int:
    """The team whose management chain answers for ``child``: its lead team (a family across
    teams, seed 001:49), else its own team."""
    return int(child.lead_team_id or child.team_id)


def teams_involved(d: m.Dispute) -> list[int]:
    """The other teams working with the child's family (its own team when another team leads,
    and its linked siblings' teams), not the one whose chain answers: they are copied."""
    lead = chain_team(d.child)
    out: list[int] = []
    kids = [d.child]
    if d.child.sibling_group_id is not None:
        kids += list(m.Child.select().where((m.Child.sibling_group == d.child.sibling_group_id)
                                            & (m.Child.id != d.child.id) & m.Child.closed_on.is_null()))
    for c in kids:
        for t in (c.team_id, chain_team(c)):
            if t != lead and t not in out:
                out.append(t)
    return out


def party_holders(policy: Policy, parties: Iterable[str], d: m.Dispute) -> list[m.Staff]:
    """Who holds each listed level for this dispute (the chair party is the raising chair)."""
    out: list[m.Staff] = []
    for p in parties:
        who = d.raised_by if p == CHAIR else level_holder(policy, p, d)
        if who is not None and who not in out:
            out.append(who)
    return out


def ask_approvals(ctx: Ctx, policy: Policy, d: m.Dispute, from_key: str | None, to: Stage, who: m.Staff) -> None:
    """Tell whoever approves the gates on entering ``to`` (from ``from_key``; None: raised there)
    that their agreement is asked, and a non-chair sender that the stage awaits them."""
    for g in policy.entry_gates(from_key, to.key):
        approver = level_holder(policy, g.level, d) if g.level else None
        if approver is not None:
            approvers = [approver]
        elif g.on == "stage":  # the old requires_approval with no level: the chairs' oversight
            approvers = list(m.Staff.select().where(
                (m.Staff.role == Role.OVERSIGHT.value) & (m.Staff.active == True) & (m.Staff.team == who.team_id)))  # noqa: E712
        else:
            approvers = []
        verb = "send" if from_key is None else "go to"
        notify(ctx, approvers, "approval", f"{d.reference}: {who.name} asks your agreement to {verb} {to.label}", d)
    if tuple(to.sent_by) != (CHAIR,):
        notify(ctx, party_holders(policy, to.sent_by, d), "request",
               f"{d.reference}: {to.label} is ready for you to send", d)
def holds_level(policy: Policy, level: str, d: m.Dispute, staff: m.Staff) -> bool:
    """Whether ``staff`` (active) holds ``level`` for this dispute, where that level's kind of holder sits:
    the chair's own service (``chair_team``), the child's team (``team``), or the child's allocated
    social worker (``allocated``, else the child's team)."""
    if not staff.active:
        return False
    if policy.holder_kind(level) == "allocated" and d.child.social_worker_id == staff.id:
        return True
    team = acting_team(policy, level, d)
    if team is None:
        return False
    return m.TeamRole.select().where((m.TeamRole.team == team) & (m.TeamRole.level == level)
                                     & (m.TeamRole.staff == staff.id)).exists()


def responder_for(policy: Policy, stage: Stage, d: m.Dispute) -> m.Staff:
    who = level_holder(policy, stage.responder_level, d)
    if who is None:
        raise ValidationError(
            f"No one holds the {policy.responders_label(stage)} role for "
            f"{d.child.team.name}; ask an administrator to set the team's management chain.",
            field="responder")
    return who


def facts_of(d: m.Dispute) -> tuple[str, ...]:
    """The keys of the procedure's yes/no facts that hold for this dispute."""
    return tuple(k for k in (d.facts or "").split(",") if k)


def inform_for(policy: Policy, stage: Stage, d: m.Dispute) -> list[m.Staff]:
    """Who is copied for information when ``stage`` is sent: the holders of the levels the
    stage copies for this dispute's facts (``Stage.copy_levels``), then every active member
    of each team the stage copies (a team inbox)."""
    out: list[m.Staff] = []
    for level in stage.copy_levels(facts_of(d)):
        who = level_holder(policy, level, d)
        if who is not None and who not in out:
            out.append(who)
    for name in stage.inform_teams:
        for who in (m.Staff.select().join(m.Team).where((m.Team.name == name) & (m.Staff.active == True))  # noqa: E712
                    .order_by(m.Staff.id)):
            if who not in out:
                out.append(who)
    # A family across teams (001:49): the same level in each other team involved is copied.
    for team in teams_involved(d):
        for level in stage.answering_levels:
            who = holder(level, (team,)) if policy.holder_kind(level) != "chair_team" else None
            if who is not None and who not in out:
                out.append(who)
    return out


def response_copies_for(policy: Policy, stage: Stage, d: m.Dispute) -> list[m.Staff]:
    """Who receives the written response to ``stage`` besides the chair (``response_to_levels``)."""
    out: list[m.Staff] = []
    for level in stage.response_to_levels:
        who = level_holder(policy, level, d)
        if who is not None and who not in out:
            out.append(who)
    return out


def notify(ctx: Ctx, recipients: Iterable[m.Staff | int | None], kind: str, text: str,
           dispute: m.Dispute | None = None, compliment: m.Compliment | None = None) -> int:
    seen: set[int] = set()
    for r in recipients:
        rid = r.id if isinstance(r, m.Staff) else r
        if rid is None or rid in seen or rid == ctx.actor_id and kind != "reminder":
            continue
        seen.add(rid)
        m.Notification.create(recipient=rid, kind=kind, text=text, dispute=dispute,
                              compliment=compliment, created_at=ctx.now())
    return len(seen)


def event(ctx: Ctx, kind: str, summary: str, d: m.Dispute | None = None, *, child_id: int | None = None,
          before: Any = None, after: Any = None) -> None:
    audit.append(ctx.now(), ctx.actor_id, kind, summary, dispute_id=d.id if d else None,
                 child_id=child_id if child_id is not None else (d.child_id if d else None),
                 before=before, after=after)


def touch(ctx: Ctx, d: m.Dispute, **changes: Any) -> None:
    """Apply changes to the dispute row, bump its version, refresh its clocks.

    One guarded UPDATE of the changed columns only:
    ``UPDATE dispute SET ..., version = version + 1 WHERE id = ? AND version = <read>``.
    If another session saved in between (0 rows), a ConflictError rolls the whole
    action back: nothing is half-saved and no one's change is silently undone."""
    for k, v in changes.items():
        setattr(d, k, v)
    d.updated_at = ctx.now()
    d.updated_by_id = ctx.actor_id
    read = int(d.version)
    values: dict[Any, Any] = {f: d.__data__.get(f.name) for f in d.dirty_fields if f.name not in ("id", "version")}
    values[m.Dispute.version] = m.Dispute.version + 1
    n = m.Dispute.update(values).where((m.Dispute.id == d.id) & (m.Dispute.version == read)).execute()
    if n != 1:
        fresh = m.Dispute.get_or_none(m.Dispute.id == d.id)
        if fresh is None:
            raise NotFound(f"{d.reference} no longer exists.")
        conflict(fresh)
    d.version = read + 1
    m.note_write(m.Dispute, d.id)  # the audit trail digests rows written this way too (not through save())
    d._dirty.clear()
    refresh_clocks(ctx, d)


def refresh_clocks(ctx: Ctx, d: m.Dispute) -> DisputeView:
    """Store the next running deadline on the row so the caseload can sort and filter fast."""
    from drp_tui.store.queries_dispute import get_dispute  # a dispute's view: not at the desk's start

    view = get_dispute(d.id)
    policy = ctx.policy_of(view)
    items = deadlines(view, policy, ctx.calendar, ctx.now(), ctx.due_soon_days)
    nxt = next_due(items)
    cur = view.current
    responder = cur.responder_id if cur and cur.sent_at and view.status is Status.SENT else None
    if responder is not None and cur is not None:
        stage = policy.stage(cur.stage_key) if any(s.key == cur.stage_key for s in policy.stages) else None
        if stage is not None and not stage.response_expected:
            responder = None  # a report or notice: no one is awaited
        elif cur.responses:  # answered jointly: the first still to respond (the others: see awaiting_reply)
            responder = cur.pending[0].responder_id if cur.pending else None
    paused = any(x.state is DueState.PAUSED for x in items)
    m.Dispute.update(
        next_due_at=nxt.due.at if nxt else None, next_due_kind=nxt.kind if nxt else "",
        responder=responder, paused=paused,
    ).where(m.Dispute.id == d.id).execute()
    return view


def linked(d: m.Dispute, include_siblings: bool) -> list[m.Dispute]:
    if not include_siblings or not d.link_group:
        return [d]
    return list(for_update(m.Dispute.select().where(m.Dispute.link_group == d.link_group).order_by(m.Dispute.id)))


@dataclasses.dataclass(frozen=True)
class Refused:
    """A linked sibling an "all siblings" action left alone, and why (in the rule's words)."""

    dispute_id: int
    reference: str
    reason: str


class Done(list[int]):
    """The disputes an action was done to (a list of ids, in id order), and ``refused``: the
    linked siblings it was refused for, each with its reason."""

    def __init__(self, ids: Iterable[int] = (), refused: Iterable[Refused] = ()) -> None:
        super().__init__(ids)
        self.refused: list[Refused] = list(refused)


def each_linked(ctx: Ctx, first: m.Dispute, include_siblings: bool, do: Callable[[m.Dispute], None]) -> Done:
    """``do`` to ``first`` and, with ``include_siblings``, to each linked sibling in turn.

    ``first`` (the dispute the person is looking at) must succeed, or nothing is done. Each
    sibling then goes on its own (a savepoint): one the rule refuses, or whose values are
    refused, is left as it was and named in ``Done.refused`` with the reason; the others
    proceed. A sibling refused because of who is asking is recorded as refused in the trail."""
    out = Done()
    for d in linked(first, include_siblings):
        if d.id == first.id:
            do(d)
            out.append(d.id)
            continue
        try:
            with write_txn():
                do(d)
        except (ConflictError, PermissionDenied, ValidationError, DomainError) as exc:
            out.refused.append(Refused(d.id, d.reference, exc.message))
            if isinstance(exc, PermissionDenied):
                event(ctx, "refused", f"{d.reference} left out of an action on its siblings: {exc.message}", d)
            continue
        out.append(d.id)
    return out


def stage_label(policy: Policy, key: str) -> str:
    try:
        return policy.stage(key).label
    except KeyError:
        return key


def parse_when(value: datetime | None, ctx: Ctx) -> datetime:
    return value if value is not None else ctx.now()


YEARS = (1900, 2199)  # dates outside these are typing mistakes (and overflow date arithmetic)


def type_problem(value: Any, hint: Any, name: str) -> str | None:
    """The name of the (first) part of ``value`` that is not of type ``hint``, or None.

    Ids must be ints (not bools) in SQLite's range and positive; a ``date`` must not
    be a datetime, and dates fall in ``YEARS``; ``str`` also allows None (``clean_text`` reads it as empty);
    sequences must be lists or tuples; dataclass inputs are checked field by field.
    Types it does not know (enums, Any, ...) pass.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        problems = [type_problem(value, a, name) for a in args]
        return None if any(p is None for p in problems) else next(p for p in problems if p)
    if hint is type(None):
        return None if value is None else name
    if hint is bool:
        return None if isinstance(value, bool) else name
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_ID:
            return name
        return name if (name.endswith("_id") or name == "id") and value <= 0 else None
    if hint is str:
        return None if value is None or isinstance(value, str) else name
    if hint is datetime:
        return None if isinstance(value, datetime) and YEARS[0] <= value.year <= YEARS[1] else name
    if hint is date:
        ok = isinstance(value, date) and not isinstance(value, datetime) and YEARS[0] <= value.year <= YEARS[1]
        return None if ok else name
    if hint is dict or origin is dict:
        return None if isinstance(value, dict) else name
    if origin in (list, tuple, collections.abc.Sequence):
        if not isinstance(value, (list, tuple)):
            return name
        for item in value:
            bad = type_problem(item, args[0], name) if args else None
            if bad:
                return bad
        return None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, hint):
            return name
        try:
            field_hints = typing.get_type_hints(hint)
        except Exception:  # noqa: BLE001
            return None
        for f in dataclasses.fields(hint):
            if f.name in field_hints:
                bad = type_problem(getattr(value, f.name), field_hints[f.name], f.name)
                if bad:
                    return bad
        return None
    return None


def _lost_race(exc: BaseException) -> bool:
    codes = {getattr(e, "pgcode", None) for e in (exc, *(exc.args[:1]), exc.__cause__, exc.__context__)
             if isinstance(e, BaseException)}
    return bool(codes & {"40001", "40P01"})


def service(fn: F) -> F:
    """Run a service function as one write transaction.

    ``permissions.check`` runs first (admin never touches dispute content; a disabled
    account does nothing); each dispute service then asks ``require_move`` (the one
    rule, ``domain.moves``). A refused action (PermissionDenied) rolls
    back everything, then leaves one 'refused' event in the audit trail in a
    transaction of its own.
    """
    sig = inspect.signature(fn)

    def dispute_arg(ctx: Ctx, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        try:
            value = sig.bind(ctx, *args, **kwargs).arguments.get("dispute_id")
        except TypeError:
            return None
        return valid_id(value)

    hints: dict[str, Any] = {}

    def check_types(ctx: Ctx, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Arguments of the wrong type (by the function's annotations) are refused here,
        before any database work: a ValidationError naming the field, not a crash."""
        if ctx.actor_id is not None and valid_id(ctx.actor_id) is None:
            raise PermissionDenied(permissions.INACTIVE)
        try:
            bound = sig.bind(ctx, *args, **kwargs).arguments
        except TypeError:
            return  # the call itself is wrong: Python says so
        if not hints:
            try:
                hints.update(typing.get_type_hints(fn))
            except Exception:  # noqa: BLE001 - an annotation that cannot be resolved: check nothing
                hints["-"] = None
        for name, value in bound.items():
            if name in hints and name != "ctx":
                bad = type_problem(value, hints[name], name)
                if bad:
                    from drp_tui.domain import forms

                    f = forms.find(ctx.policy, bad)  # a field of the form: named by its label
                    label = f.label if f is not None else bad.replace("_", " ")
                    raise ValidationError(f"{label}: not a valid value", field=bad)

    @functools.wraps(fn)
    def wrapper(ctx: Ctx, *args: Any, **kwargs: Any) -> Any:
        target = dispute_arg(ctx, args, kwargs)
        try:
            check_types(ctx, args, kwargs)
            with write_txn():
                permissions.check(ctx, fn.__name__, fn.__module__, target)
                return fn(ctx, *args, **kwargs)
        except StorageFault as exc:
            raise StorageError(str(exc)) from exc
        except (PeeweeDatabaseError, OSError) as exc:
            fault = storage_fault(exc)
            if fault is not None:  # e.g. raised inside a nested write transaction
                raise StorageError(str(fault)) from fault
            if _lost_race(exc):  # PostgreSQL chose this session to give way (deadlock/serialization)
                raise ConflictError("Someone else saved this dispute at the same moment: nothing of yours was "
                                    "saved. Your text is kept: look again, then apply it again.") from exc
            raise
        except PermissionDenied as exc:
            try:
                with write_txn():
                    exists = target is not None and m.Dispute.select().where(m.Dispute.id == target).exists()
                    aid = valid_id(ctx.actor_id)
                    audit.append(ctx.now(), aid if aid is not None and m.Staff.get_or_none(m.Staff.id == aid) else None,
                                 "refused", f"{fn.__name__.replace('_', ' ')} refused: {exc.message}",
                                 dispute_id=target if exists else None)
            except StorageFault as fault:  # the refusal stands; the trail could not record it
                raise StorageError(str(fault)) from fault
            raise

    return wrapper  # type: ignore[return-value]
