"""The record of a dispute (or of every dispute of a child) written out of the database:
an evidence bundle (``export_dispute``, ``export_child``) and the case-note text of each
step (``case_notes``), ready to paste into the child's record.

Everything is read through the read rule (``services.reads``): a dispute or child the
person may not see is refused with ``PermissionDenied``, which ``common.service`` records
as a ``refused`` event. Every export is itself an ``export`` event (who, when, which
reference; no names), part of the child's access record (``drp audit access``).

The bundle is plain data (sections of labelled text and tables); ``bundle_files`` writes
it as HTML and PDF. Due against actual comes from ``domain.deadlines`` (the one rule),
never worked out again here. ``redact``: the names of staff (and their user names)
are replaced by their role or level wherever they appear, free text included; the other
people the record names where it asks for them (a conversation's other party, a meeting's
attendees, who was told first) by what they were to the dispute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from peewee import fn

from drp_tui.domain import forms
from drp_tui.domain.deadlines import (
    Due, deadlines, due_day, lateness, response_clock, stage_timescale, working_days_taken,
)
from drp_tui.domain.model import Role
from drp_tui.domain.policy import Policy, Timescale
from drp_tui.domain.timeutil import LONDON, format_date, format_london, london_date
from drp_tui.services import reads
from drp_tui.services.common import service
from drp_tui.services.context import Ctx
from drp_tui.store import audit as store_audit
from drp_tui.store import models as m

if TYPE_CHECKING:
    from drp_tui.domain.views import ChildView, DisputeView, EventView, StageView

__all__ = ["Table", "Block", "Section", "Bundle", "CaseNote", "export_dispute", "export_child", "case_notes",
           "dispute_id_of", "child_id_of", "VERIFY", "SECTION_TITLES"]

# The sections every dispute's part of a bundle has, in order (a stage's own sections between).
SUMMARY, SECTION_ONE, MEETINGS, STEPS, TIMELINE, WHO, CHAIN = (
    "Summary", "Section 1: the concern", "Meetings and conversations", "Steps alongside the stages",
    "Timeline: due against actual (working days)", "Who did what and when", "Audit chain digests")
SECTION_TITLES = (SUMMARY, SECTION_ONE, MEETINGS, STEPS, TIMELINE, WHO, CHAIN)

VERIFY = ("How to verify: each digest is this event's link in the desk's audit chain (HMAC-SHA256 with the "
          "installation's audit key over the previous link and the event itself). On the desk's server, "
          "'drp audit verify' checks every link of the chain and must say 'chain intact'; then "
          "'drp audit digest EVENT' prints an event's digest, which must equal the one listed here. "
          "A changed, removed or re-ordered event no longer matches.")


# --- the bundle as data ------------------------------------------------------------------

@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    mono: tuple[int, ...] = ()  # columns shown in a fixed-width font (digests)


@dataclass(frozen=True)
class Block:
    """A labelled piece of text ("" label: a paragraph)."""

    label: str
    text: str


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Block | Table, ...]
    level: int = 1  # 1: a part of the record; 2: within one (a stage)


@dataclass(frozen=True)
class Bundle:
    title: str
    reference: str  # the dispute's reference, or the child's case number
    sections: tuple[Section, ...]
    event_id: int  # the export's own event in the audit chain
    event_digest: str
    redacted: bool

    def texts(self) -> Iterable[str]:
        """Every piece of text in the bundle (for checks)."""
        yield self.title
        for s in self.sections:
            yield s.title
            for it in s.items:
                if isinstance(it, Block):
                    yield it.label
                    yield it.text
                else:
                    yield from it.headers
                    for row in it.rows:
                        yield from row


@dataclass(frozen=True)
class CaseNote:
    """One step of a dispute as a case note: plain text, ready to paste."""

    at: datetime
    step: str  # raised | stage | response | decision | approval | meeting | conversation | step | monitoring | outcome
    stage_id: int | None  # the stage record it belongs to (None: the dispute as a whole)
    text: str


# --- finding what to export -----------------------------------------------------------

def dispute_id_of(ctx: Ctx, reference: str) -> int | None:
    """The id of the dispute with this reference, whoever may see it (an id and a reference
    are not personal data): an export of it is then refused, and recorded, by the read rule."""
    reads.reader(ctx)
    want = " ".join(str(reference or "").split())
    if not want:
        return None
    d = m.Dispute.select(m.Dispute.id).where(m.Dispute.reference == want).first()
    if d is None:  # typed in another case (no LIKE: a '%' or '_' must not match other references)
        d = m.Dispute.select(m.Dispute.id).where(fn.LOWER(m.Dispute.reference) == want.lower()).first()
    return int(d.id) if d is not None else None


def child_id_of(ctx: Ctx, case_number: str) -> int | None:
    """The id of the child with this case number, whoever may see them (see ``dispute_id_of``)."""
    reads.reader(ctx)
    want = str(case_number or "").strip()
    c = m.Child.select(m.Child.id).where(m.Child.case_number == want).first() if want else None
    return int(c.id) if c is not None else None


# --- names, and their redaction ----------------------------------------------------------

def _others(views: Iterable[DisputeView]) -> list[tuple[str, str]]:
    """People who are not staff, as the chair typed them (a conversation's other party, a meeting's
    attendees, who was told first), with what stands for them in a redacted bundle."""
    out: list[tuple[str, str]] = []
    for v in views:
        out += [(cv.with_whom, "[person spoken to]") for cv in v.conversations]
        out += [(mt.attendees, "[attendees]") for mt in v.meetings]
        out += [(st.told, "[people told first]") for st in v.steps]
    return out


def _namer(ctx: Ctx, policy: Policy, redact: bool, others: Iterable[tuple[str, str]] = ()) -> Callable[[str], str]:
    """Text as it goes into the bundle: with ``redact``, every staff member's name and user name
    replaced by their level (or title, or role), and the other people the record names (``others``,
    see ``_others``) by what they were to the dispute."""
    if not redact:
        return lambda text: text
    levels: dict[int, str] = {}
    for tr in m.TeamRole.select(m.TeamRole.staff, m.TeamRole.level).order_by(m.TeamRole.id):
        levels.setdefault(tr.staff_id, policy.level_label(tr.level))
    pairs: list[tuple[str, str]] = []
    for s in m.Staff.select(m.Staff.id, m.Staff.name, m.Staff.username, m.Staff.title, m.Staff.role):
        role = Role(s.role)
        label = levels.get(s.id) or s.title or (policy.vocabulary.chair_title if role is Role.CHAIR
                                                else "IRO service manager" if role is Role.OVERSIGHT
                                                else "administrator" if role is Role.ADMIN else "manager")
        for name in (s.name, s.username):
            if name and len(name.strip()) >= 2:
                pairs.append((name.strip(), f"[{label}]"))
    pairs += [(text.strip(), label) for text, label in others if len(text.strip()) >= 2]
    pairs.sort(key=lambda p: -len(p[0]))
    if not pairs:
        return lambda text: text
    table = dict((n.casefold(), lab) for n, lab in pairs)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n, _ in pairs) + r")(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub(lambda found: table.get(found.group(0).casefold(), "[staff]"), text)


# --- what the sections say ------------------------------------------------------------------

def _label(policy: Policy, stage_key: str) -> str:
    try:
        return policy.stage(stage_key).label
    except KeyError:
        return stage_key


def _one_line(text: str) -> str:
    return " ".join(str(text or "").split())


def _when(at: datetime | None) -> str:
    return format_london(at) if at is not None else ""


def _stage_due(st: StageView, view: DisputeView) -> str:
    clock = response_clock(st, view)
    if clock is None:
        return ""
    due = clock[0]
    return format_date(due.day) if due.day is not None else format_london(due.at)


def _stage_result(ctx: Ctx, st: StageView, view: DisputeView) -> tuple[str, str]:
    """(working days taken, on time / late / awaiting) for one stage's response."""
    if st.sent_at is None:
        return "", "not sent"
    if st.response_at is None:
        return "", "no response yet" if view.status.is_open and st is view.current else "no response"
    taken = str(working_days_taken(st.sent_at, st.response_at, ctx.calendar))
    clock = response_clock(st, view)
    if clock is None:
        return taken, "answered"
    return taken, lateness(clock[0], st.response_at, ctx.calendar, "responded") or "on time"


def _summary(ctx: Ctx, view: DisputeView, policy: Policy, who: str, name: Callable[[str], str],
             siblings: list[str]) -> Section:
    c = view.child
    items: list[Block | Table] = [
        Block("Child", f"{c.name} ({c.case_number}), {c.legal_status}"
              + (f", born {format_date(c.date_of_birth)}" if c.date_of_birth else "")),
        Block("Team", c.team_name),
        Block("Procedure", f"{policy.name} ({policy.key} version {policy.version}"
              + (f"; pinned {view.policy_digest[:16]}" if view.policy_digest else "") + ")"),
        Block("Status", f"{view.status.label}; stage reached: {_label(policy, view.current_stage)}"),
        Block("Raised", f"{format_date(view.raised_on)} by {name(view.raised_by_name)}"),
    ]
    if siblings:
        items.append(Block("Linked disputes of siblings", ", ".join(siblings)))
    if view.outcome:
        items.append(Block("Outcome", view.outcome))
    if view.closed_at is not None:
        items.append(Block("Closed", format_london(view.closed_at)))
    items.append(Block("Exported", f"{format_london(ctx.now())} by {who}"))
    return Section(f"{view.reference}: {SUMMARY}", tuple(items))


def _section_one(view: DisputeView, policy: Policy, name: Callable[[str], str]) -> Section:
    cat = next((x.label for x in policy.categories if x.key == view.category), view.category)
    items: list[Block | Table] = [Block("Issue arose", format_date(view.issue_arose)), Block("Category", cat)]
    if view.immediate:
        items.append(Block("Immediate concern", "yes"))
    for key in view.facts:
        try:
            items.append(Block("Fact", policy.fact(key).label))
        except KeyError:
            items.append(Block("Fact", key))
    for key in ("concern", "impact", "wanted", "timescales", "child_wishes"):
        value = getattr(view, key)
        if value:
            items.append(Block(forms.label_of(policy, key), name(value)))
    if view.against_wishes:
        items.append(Block("Raised against the child's wishes", "yes"))
    if view.child_informed_on is not None or view.child_informed_how:
        when = format_date(view.child_informed_on) if view.child_informed_on else ""
        items.append(Block("Child informed", _one_line(f"{when} {name(view.child_informed_how)}")))
    return Section(f"{view.reference}: {SECTION_ONE}", tuple(items))


def _stage_texts(st: StageView, policy: Policy) -> list[tuple[str, str]]:
    """The chair's own text of a stage (the form's stage fields that hold some), labelled."""
    out = []
    for f in forms.stage_fields(policy):
        if f.group is forms.Group.RESPONSE:  # the response is shown as a response
            continue
        value: object = getattr(st, f.key, None)
        if isinstance(value, str) and value:
            out.append((f.label, value))
    return out


def _stage_section(ctx: Ctx, view: DisputeView, st: StageView, policy: Policy, name: Callable[[str], str]) -> Section:
    items: list[Block | Table] = []
    if st.started_at is not None:
        items.append(Block("Reached", format_london(st.started_at)))
    for label, text in _stage_texts(st, policy):
        items.append(Block(label, name(text)))
    if st.sent_at is not None:
        to = ", ".join(name(r.responder_name) for r in st.responses) or name(st.responder_name)
        items.append(Block("Sent", f"{format_london(st.sent_at)} to {to}"))
        due = _stage_due(st, view)
        if due:
            items.append(Block("Response due", due))
    else:
        items.append(Block("Sent", "not sent"))
    for ap in view.approvals:
        if ap.stage_id == st.id:
            why = f": {ap.reason}" if ap.reason else ""
            on, _sep, level = ap.gate.partition(":")
            gate = f"{on} ({policy.level_label(level)})" if level else on
            items.append(Block("Approval", f"{gate}: {ap.decision} by {name(ap.by_name)} "
                                           f"{format_london(ap.at)}{name(why)}"))
    if st.extension_until is not None:
        items.append(Block("Extended", f"to {format_date(due_day(st.extension_until))}: {name(st.extension_reason)}"))
    for r in st.responses:
        if r.response_at is None:
            items.append(Block(f"Response from {name(r.responder_name)}", "still to respond"))
        else:
            by = " (recorded on their behalf)" if r.on_behalf else ""
            items.append(Block(f"Response from {name(r.responder_name)}, {format_london(r.response_at)}{by}",
                               name(r.response)))
    if st.response and not st.responses:
        by = " (recorded on their behalf)" if st.response_on_behalf else ""
        items.append(Block(f"Response, {_when(st.response_at)}{by}", name(st.response)))
    if st.actions:
        items.append(Table(("#", "SMART action", "Who", "By when", "Done"), tuple(
            (str(i), name(a.description), name(a.owner), format_date(a.due),
             format_date(a.done_on) if a.done_on else "")
            for i, a in enumerate(st.actions, 1))))
    if st.negotiation_until is not None:
        items.append(Block("Further negotiation", f"until {format_london(st.negotiation_until)}: "
                                                  f"{name(st.negotiation_note)}"))
    if st.decision is not None:
        verdict = "resolved" if st.decision.value == "resolved" else "not resolved"
        items.append(Block("Decision", f"{verdict}, {_when(st.decision_at)}"
                                       + (f": {name(st.decision_comment)}" if st.decision_comment else "")))
    return Section(f"{view.reference}: {_label(policy, st.stage_key)}", tuple(items), level=2)


_STEP_WORDS = {"legal_advice": "Independent legal advice sought", "cafcass_discussion": "Discussed with Cafcass",
               "cafcass_referral": "Referred to Cafcass", "discussion": "Discussion"}


def _meetings(view: DisputeView, policy: Policy, name: Callable[[str], str]) -> Section:
    rows: list[tuple[str, str, str, str]] = []
    for mt in view.meetings:
        rows.append((format_date(mt.held_on), f"Meeting ({_label(policy, mt.stage_key)})", name(mt.attendees),
                     name(mt.outcome)))
    for mm in view.monitoring:
        held = f"held {format_date(mm.held_on)}" if mm.held_on else "not held yet"
        rows.append((format_date(mm.due_on), f"Monitoring meeting (due; {held})", "", name(mm.outcome)))
    for cv in view.conversations:
        rows.append((format_london(cv.held_at), f"Conversation ({cv.how})", name(cv.with_whom),
                     name(cv.agreed) + (f" (timescale: {name(cv.timescale)})" if cv.timescale else "")))
    items: tuple[Block | Table, ...] = (
        (Table(("When", "What", "With", "Agreed / outcome"), tuple(rows)),) if rows else (Block("", "None recorded."),))
    return Section(f"{view.reference}: {MEETINGS}", items)


def _steps(view: DisputeView, policy: Policy, name: Callable[[str], str]) -> Section:
    rows = []
    for s in view.steps:
        what = _STEP_WORDS.get(s.kind, s.kind)
        if s.kind == "discussion":
            what += f" with {name(s.with_name)} ({policy.level_label(s.level)})"
        told = f" (told first: {name(s.told)})" if s.told else ""
        rows.append((format_london(s.held_at or s.at), what, name(s.by_name), name(s.note) + told))
    items: tuple[Block | Table, ...] = (
        (Table(("When", "Step", "By", "Note"), tuple(rows)),) if rows else (Block("", "None recorded."),))
    return Section(f"{view.reference}: {STEPS}", items)


def _allowed(due: Due) -> str:
    """The window a clock was given, as the procedure counts it ("" when it ran to a set day)."""
    return Timescale(working_days=due.working_days, calendar_days=due.calendar_days, hours=due.hours).describe() \
        if (due.working_days, due.calendar_days, due.hours) != (None, None, None) else ""


def _stage_allowed(view: DisputeView, policy: Policy, st: StageView) -> str:
    """The response window of a stage sent (the chair's own day where the procedure leaves it to them)."""
    if st.sent_at is None:
        return ""
    try:
        stage = policy.stage(st.stage_key)
    except KeyError:
        return ""
    if not stage.response_expected:
        return "no response expected"
    ts = stage_timescale(view, policy, stage)
    return ts.describe() if ts.is_set else "a day set by the chair" if stage.chair_sets_timescale else ""


def _taken(ctx: Ctx, due: Due, met_at: datetime | None) -> str:
    """Working days from the day a clock started (never counted) to the day it was met."""
    if due.start is None or met_at is None:
        return ""
    return str(ctx.calendar.working_days_between(due.start, london_date(met_at)))


def _timeline(ctx: Ctx, view: DisputeView, policy: Policy, name: Callable[[str], str]) -> Section:
    stage_rows = []
    for st in view.stages:
        taken, result = _stage_result(ctx, st, view)
        stage_rows.append((_label(policy, st.stage_key), _when(st.sent_at), _stage_allowed(view, policy, st),
                           _stage_due(st, view), _when(st.response_at), taken, result))
    clock_rows = []
    for d in deadlines(view, policy, ctx.calendar, ctx.now(), ctx.due_soon_days):
        due = format_date(d.due.day) if d.due.day is not None else format_london(d.due.at)
        met = format_london(d.met_at) if d.met_at is not None else ""
        clock_rows.append((name(d.label), _allowed(d.due), due, met, _taken(ctx, d.due, d.met_at),
                           d.late or d.state.label))
    items: list[Block | Table] = [
        Block("", "Working days skip weekends, bank holidays and the installation's closure days; the day a clock "
                  "starts never counts."),
        Table(("Stage", "Sent", "Allowed", "Due", "Response", "Working days", "Result"), tuple(stage_rows))]
    if clock_rows:
        items.append(Table(("Clock", "Allowed", "Due", "Met", "Working days", "State"), tuple(clock_rows)))
    return Section(f"{view.reference}: {TIMELINE}", tuple(items))


def _who(events: Iterable[EventView], name: Callable[[str], str], many: bool) -> Section:
    rows = tuple((str(e.id), format_london(e.at), name(e.actor_name),
                  (f"{e.reference}: " if many and e.reference else "") + name(e.summary)) for e in events)
    items: tuple[Block | Table, ...] = (
        (Table(("Event", "When", "Who", "What"), rows),) if rows else (Block("", "Nothing recorded."),))
    return Section(WHO, items)


def _chain(events: list[EventView], own: tuple[int, str], head: tuple[int, str] | None) -> Section:
    found = store_audit.digests([e.id for e in events])
    rows = tuple((str(e.id), e.kind, found.get(e.id, ("", ""))[1], found.get(e.id, ("", ""))[0]) for e in events)
    items: list[Block | Table] = [Table(("Event", "Kind", "Digest", "Previous link"), rows, mono=(2, 3))]
    if head is not None:
        items.append(Block("Chain before this export", f"{head[0]} events, last digest {head[1]}"))
    items.append(Block("This export", f"event {own[0]}, digest {own[1]}"))
    items.append(Block("", VERIFY))
    return Section(CHAIN, tuple(items))


def _record(ctx: Ctx, what: str, *, dispute_id: int | None, child_id: int | None, reference: str,
            redact: bool) -> tuple[int, str]:
    """The export's own event (ids and the reference only), written now: (its id, its digest)."""
    summary = f"Exported {what}: {reference}" + (" (names redacted)" if redact else "")
    store_audit.append(ctx.now(), ctx.actor_id, store_audit.EXPORT_KIND, summary, dispute_id=dispute_id,
                       child_id=child_id, after={"what": what, "redacted": redact})
    ev = store_audit.flush()[-1]
    return int(ev.id), str(ev.hash)


def _exporter(ctx: Ctx, name: Callable[[str], str]) -> str:
    who = reads.reader(ctx)
    return name(who.name)


def _head() -> tuple[int, str] | None:
    n, last = store_audit.summary()
    return (n, last[1]) if last is not None else None


def _dispute_sections(ctx: Ctx, view: DisputeView, name: Callable[[str], str], who: str) -> list[Section]:
    policy = ctx.policy_of(view)
    siblings = [v.reference for v in reads.siblings(ctx, view.id)]
    out = [_summary(ctx, view, policy, who, name, siblings), _section_one(view, policy, name)]
    out += [_stage_section(ctx, view, st, policy, name) for st in view.stages]
    out += [_meetings(view, policy, name), _steps(view, policy, name), _timeline(ctx, view, policy, name)]
    return out


@service
def export_dispute(ctx: Ctx, dispute_id: int, redact: bool = False) -> Bundle:
    """The whole record of one dispute, as a bundle; recorded as an ``export`` event."""
    found = reads.history(ctx, dispute_id=dispute_id)  # the read rule: refused if not theirs to see
    view = found.disputes[0]
    name = _namer(ctx, ctx.policy_of(view), redact, _others([view]))
    sections = _dispute_sections(ctx, view, name, _exporter(ctx, name))
    events = list(found.events)
    head = _head()
    own = _record(ctx, "evidence bundle", dispute_id=view.id, child_id=None, reference=view.reference,
                  redact=redact)
    sections += [_who(events, name, False), _chain(events, own, head)]
    title = f"Evidence bundle: {view.reference}, {view.child.name} ({view.child.case_number})"
    return Bundle(title, view.reference, tuple(sections), own[0], own[1], redact)


@service
def export_child(ctx: Ctx, child_id: int, redact: bool = False) -> Bundle:
    """The record of every dispute of a child that this person may see, as one bundle."""
    found = reads.history(ctx, child_id=child_id)
    kid: ChildView | None = found.child
    assert kid is not None
    name = _namer(ctx, ctx.policy, redact, _others(found.disputes))
    who = _exporter(ctx, name)
    sections: list[Section] = [Section(SUMMARY, (
        Block("Child", f"{kid.name} ({kid.case_number}), {kid.legal_status}"),
        Block("Team", kid.team_name),
        Block("Disputes", ", ".join(v.reference for v in found.disputes) or "none that you may see"),
        Block("Exported", f"{format_london(ctx.now())} by {who}")))]
    for view in found.disputes:
        sections += _dispute_sections(ctx, view, name, who)
    events = list(found.events)
    head = _head()
    own = _record(ctx, "evidence bundle", dispute_id=None, child_id=kid.id, reference=kid.case_number,
                  redact=redact)
    sections += [_who(events, name, True), _chain(events, own, head)]
    title = f"Evidence bundle: {kid.name} ({kid.case_number})"
    return Bundle(title, kid.case_number, tuple(sections), own[0], own[1], redact)


# --- case notes ---------------------------------------------------------------------------------

def _note(view: DisputeView, policy: Policy, at: datetime, step: str, stage_id: int | None, title: str,
          lines: list[str]) -> CaseNote:
    head = [f"{policy.vocabulary.process} {view.reference}: {title}", f"Date: {format_london(at)}"]
    body = [line for line in lines if line]
    return CaseNote(at, step, stage_id, "\n".join(head + body))


def _notes(ctx: Ctx, view: DisputeView, name: Callable[[str], str]) -> list[CaseNote]:
    policy = ctx.policy_of(view)
    cat = next((x.label for x in policy.categories if x.key == view.category), view.category)
    out = [_note(view, policy, view.created_at, "raised", None, "raised", [
        f"Raised by {name(view.raised_by_name)} ({policy.vocabulary.chair_title}) at "
        f"{_label(policy, view.start_stage)}; category: {cat}; the issue arose {format_date(view.issue_arose)}.",
        *(f"{forms.label_of(policy, k)}: {name(_one_line(getattr(view, k)))}"
          for k in ("concern", "impact", "wanted", "timescales", "child_wishes") if getattr(view, k))])]
    for st in view.stages:
        label = _label(policy, st.stage_key)
        if st.sent_at is not None:
            to = ", ".join(name(r.responder_name) for r in st.responses) or name(st.responder_name)
            due = _stage_due(st, view)
            out.append(_note(view, policy, st.sent_at, "stage", st.id, f"{label} sent", [
                f"Sent to {to}" + (f"; response due by {due}." if due else "."),
                *(f"{lab}: {name(_one_line(text))}" for lab, text in _stage_texts(st, policy))]))
        responses = [(r.responder_name, r.response, r.response_at, r.on_behalf) for r in st.responses
                     if r.response_at is not None]
        if not st.responses and st.response_at is not None:
            responses = [(st.responder_name, st.response, st.response_at, st.response_on_behalf)]
        for who, text, at, behalf in responses:
            assert at is not None
            taken, result = _stage_result(ctx, replace(st, response_at=at), view)
            lines = [f"Response from {name(who)}" + (" (recorded on their behalf)" if behalf else "")
                     + (f", {taken} working day{'s' if taken != '1' else ''} after sending ({result})." if taken else "."),
                     name(_one_line(text))]
            lines += [f"Action {i}: {name(_one_line(a.description))} - {name(a.owner)} by {format_date(a.due)}"
                      + (f" (done {format_date(a.done_on)})" if a.done_on else "") for i, a in enumerate(st.actions, 1)]
            out.append(_note(view, policy, at, "response", st.id, f"response to {label}", lines))
        if st.decision is not None and st.decision_at is not None:
            verdict = "resolved" if st.decision.value == "resolved" else "not resolved"
            out.append(_note(view, policy, st.decision_at, "decision", st.id, f"{label} {verdict}",
                             [name(_one_line(st.decision_comment))]))
    for ap in view.approvals:
        stage = next((x for x in view.stages if x.id == ap.stage_id), None)
        on, _sep, level = ap.gate.partition(":")
        whose = f" ({policy.level_label(level)})" if level else ""
        what = f"{_label(policy, stage.stage_key)} {ap.decision}" if stage is not None else ap.decision
        out.append(_note(view, policy, ap.at, "approval", ap.stage_id, what,
                         [f"{ap.decision.capitalize()} by {name(ap.by_name)}{whose}"
                          + (f": {name(_one_line(ap.reason))}" if ap.reason else ".")]))
    for mt in view.meetings:
        out.append(_note(view, policy, _noon(mt.held_on), "meeting", None, f"meeting ({_label(policy, mt.stage_key)})",
                         [f"Held {format_date(mt.held_on)} with {name(_one_line(mt.attendees))}.",
                          f"Agreed: {name(_one_line(mt.outcome))}"]))
    for cv in view.conversations:
        out.append(_note(view, policy, cv.held_at, "conversation", None, f"conversation ({cv.how})",
                         [f"With {name(_one_line(cv.with_whom))}. Agreed: {name(_one_line(cv.agreed))}"]))
    for s in view.steps:
        what = _STEP_WORDS.get(s.kind, s.kind)
        if s.kind == "discussion":
            what += f" with {name(s.with_name)} ({policy.level_label(s.level)})"
        told = f" Told first: {name(_one_line(s.told))}." if s.told else ""
        out.append(_note(view, policy, s.held_at or s.at, "step", None, what,
                         [f"Recorded by {name(s.by_name)}: {name(_one_line(s.note))}{told}"]))
    for mm in view.monitoring:
        if mm.held_on is not None:
            out.append(_note(view, policy, _noon(mm.held_on), "monitoring", None, "monitoring meeting",
                             [f"Held {format_date(mm.held_on)}: {name(_one_line(mm.outcome))}"]))
    if view.closed_at is not None:
        out.append(_note(view, policy, view.closed_at, "outcome", None, f"closed ({view.status.label})",
                         [name(_one_line(view.outcome))]))
    # at one instant: a stage's steps in the order they happen, the stages in theirs, the rest after
    seq = {st.id: i for i, st in enumerate(view.stages)}
    out.sort(key=lambda n: (n.at, -1 if n.step == "raised" else seq.get(n.stage_id or 0, len(seq)),
                            _ORDER.get(n.step, 5)))
    return out


_ORDER = {"approval": 0, "stage": 1, "response": 2, "decision": 3, "outcome": 9}


def _noon(day: date) -> datetime:
    """A date-only step, placed at noon London among the others."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=LONDON)


@service
def case_notes(ctx: Ctx, dispute_id: int, stage_id: int | None = None, redact: bool = False) -> tuple[CaseNote, ...]:
    """The case-note text of each step of a dispute (only those of one stage record with
    ``stage_id``), oldest first; recorded as an ``export`` event (the text leaves the desk)."""
    view = reads.dispute(ctx, dispute_id)
    notes = _notes(ctx, view, _namer(ctx, ctx.policy_of(view), redact, _others([view])))
    if stage_id is not None:
        notes = [n for n in notes if n.stage_id == stage_id]
    _record(ctx, "case-note text", dispute_id=view.id, child_id=None, reference=view.reference, redact=redact)
    return tuple(notes)

