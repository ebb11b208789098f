"""The sections of the dispute form, built from a frozen DisputeView.

Section 1 is the chair's opening section; then one section per stage of the
dispute's profile (the form sections its stages name in the profile, e.g. 2-6 or 2-8).
Only the parts the signed-in person may fill are editors; the rest is read-only text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, Static
from textual.widgets._collapsible import CollapsibleTitle

from drp_tui.domain import forms
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import Deadline, due_day, next_due, state_at
from drp_tui.domain.moves import Actor, Move, Verdict
from drp_tui.domain.model import Decision, DueState, Role, StaffView, Status
from drp_tui.domain.policy import Policy, Stage
from drp_tui.domain.timeutil import end_of_london_day_utc, format_date, format_london, to_london
from drp_tui.ui.plain import is_plain
from drp_tui.ui.widgets.form_fields import ActionsEditor, EditField, FieldSpec, line, plain

if TYPE_CHECKING:
    from drp_tui.domain.views import ActionView, DisputeView, StageView


@dataclass(frozen=True)
class Sibling:
    dispute_id: int
    reference: str
    child_name: str
    case_number: str
    status: Status


@dataclass(frozen=True)
class Loaded:
    """Everything the form shows, read in a worker."""

    view: DisputeView
    policy: Policy
    names: dict[int, str]
    siblings: tuple[Sibling, ...]
    me: StaffView
    actor: Actor | None = None  # the signed-in person as the moves see them (levels held)
    moves: dict[Move, Verdict] = field(default_factory=dict)  # every move now, allowed or not and why


@dataclass(frozen=True)
class Editable:
    section1: bool = False  # the whole of section 1 (chair, nothing sent yet)
    voice: bool = False  # the child's voice fields (chair, while open)
    stage: bool = False  # the current stage's chair text (chair, not yet sent)
    response: bool = False  # the response + SMART actions (responder, or chair on behalf)

    @property
    def any(self) -> bool:
        return self.section1 or self.voice or self.stage or self.response


def is_chair(ld: Loaded) -> bool:
    return ld.me.id == ld.view.raised_by_id


def is_responder(ld: Loaded) -> bool:
    cur = ld.view.current
    if cur is not None and cur.responses:  # answered jointly: theirs until they have responded
        return bool(cur.sent_at and ld.view.status is Status.SENT
                    and any(r.responder_id == ld.me.id for r in cur.pending))
    return bool(cur and cur.sent_at and cur.responder_id == ld.me.id
                and ld.view.status in (Status.SENT, Status.NEGOTIATING))


def editable_for(ld: Loaded, on_behalf: bool = False) -> Editable:
    """Which parts are editors: the chair's text where EDIT is allowed (section 1 until
    anything is sent, the current stage until it is sent), the response where RESPOND is
    (or RESPOND_ON_BEHALF, when the chair types one received by phone or e-mail)."""
    v, cur = ld.view, ld.view.current
    chair = allowed(ld, Move.EDIT)
    ever_sent = any(s.sent_at for s in v.stages)
    return Editable(
        section1=chair and not ever_sent,
        voice=chair,
        stage=chair and cur is not None and cur.sent_at is None,
        response=allowed(ld, Move.RESPOND) or (on_behalf and allowed(ld, Move.RESPOND_ON_BEHALF)),
    )


def allowed(ld: Loaded, move: Move) -> bool:
    v = ld.moves.get(move)
    return v is not None and v.allowed


# The form's flows and the moves behind them (any one allowed offers the flow).
FLOW_MOVES: dict[str, tuple[Move, ...]] = {
    "send": (Move.SEND,), "on_behalf": (Move.RESPOND_ON_BEHALF,), "decide": (Move.DECIDE,),
    "negotiate": (Move.NEGOTIATE,), "extension": (Move.EXTEND,), "escalate": (Move.ESCALATE,),
    "approve": (Move.APPROVE, Move.DECLINE),
    "cafcass": (Move.LEGAL_ADVICE, Move.CAFCASS_DISCUSSION, Move.CAFCASS_REFERRAL, Move.DISCUSSION),
    "withdraw": (Move.WITHDRAW,), "reopen": (Move.REOPEN,), "monitoring": (Move.MONITORING,),
    "conversation": (Move.CONVERSATION,), "action_done": (Move.ACTION_DONE,), "meeting": (Move.MEETING,),
}


def flow_moves(name: str, on_behalf: bool) -> tuple[Move, ...]:
    if name == "respond":
        return (Move.RESPOND_ON_BEHALF,) if on_behalf else (Move.RESPOND,)
    return FLOW_MOVES.get(name, ())


def offered(ld: Loaded, ed: Editable, on_behalf: bool) -> dict[str, bool]:
    """Which of the form's actions are offered: exactly the moves ``domain.moves`` allows
    this person now (plus saving the text they may edit)."""
    out = {
        "save": (ed.section1 or ed.voice or ed.stage) and not ed.response,  # the chair's own text, for real
        "save_draft": ed.response,  # a response is only kept privately until it is recorded and sent
        "edit": ed.any,
        "respond": ed.response and any(allowed(ld, mv) for mv in flow_moves("respond", on_behalf)),
    }
    for name, mvs in FLOW_MOVES.items():
        out[name] = any(allowed(ld, mv) for mv in mvs)
    return out


def refusal(ld: Loaded, name: str, on_behalf: bool) -> str:
    """Why the form's action ``name`` is not offered, in the rule's words ("" if it is, or unknown)."""
    verdicts = [ld.moves[mv] for mv in flow_moves(name, on_behalf) if mv in ld.moves]
    if not verdicts or any(v.allowed for v in verdicts):
        return ""
    return verdicts[0].reason



def state_content(state: DueState | None) -> Content:
    if state is None or state is DueState.NONE:
        return Content("")
    if state is DueState.DONE:
        return Content.styled("done", "$done")
    return Content.styled(f"{state.symbol.strip()} {state.label}".strip(), _STATE_STYLE[state])


# Each state's theme variable (theme.py: readable in every theme); urgent ones bold, not colour alone.
_STATE_STYLE = {DueState.OVERDUE: "bold $overdue", DueState.DUE_TODAY: "bold $due-today",
                DueState.DUE_SOON: "$due-soon", DueState.ON_TRACK: "$text-success", DueState.PAUSED: "$paused",
                DueState.LATE: "$late", DueState.DONE: "$done", DueState.NONE: "$text-muted"}


def due_text(dt: datetime) -> str:
    """A due instant as a chair reads it: ``end of Mon 30 Nov 2026``, or a date and time."""
    local = to_london(dt)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"end of {format_date(local.date() - timedelta(days=1))}"
    return format_london(dt)


def _ro(label: str, value: str, cls: str = "ro") -> Static:
    return Static(line(label, value), classes=cls)


def _long_ro(label: str, value: str) -> Iterator[Widget]:
    yield Static(Content.styled(label, "bold"), classes="ro-label")
    yield Static(plain(value) if value else Content.styled("-", "dim"), classes="ro-long")


def open_to_edit(ed: Editable, f: forms.Field) -> bool:
    """Whether the field is an editor for this person now: its schema says when it is open,
    ``ed`` what this person may edit at this state of the dispute."""
    return {forms.EditWhen.UNTIL_SENT: ed.section1, forms.EditWhen.WHILE_OPEN: ed.voice,
            forms.EditWhen.UNTIL_STAGE_SENT: ed.stage, forms.EditWhen.BY_RESPONDER: ed.response}.get(f.editable, False)


def _field(f: forms.Field, value: object, editable: bool) -> Iterator[Widget]:
    if editable:
        yield EditField(FieldSpec.of(f, value))
        return
    if f.kind is forms.Kind.LONG:
        yield from _long_ro(f.label, str(value or ""))
    elif f.kind is forms.Kind.CHOICE:
        yield _ro(f.label, f.option_label(value) if value else "")
    elif isinstance(value, bool):
        yield _ro(f.label, "yes" if value else "no")
    elif value is None or value == "":
        yield _ro(f.label, "")
    else:
        yield _ro(f.label, format_date(value) if not isinstance(value, str) else value)  # type: ignore[arg-type]


def category_label(policy: Policy, key: str) -> str:
    try:
        return policy.category(key).label
    except KeyError:
        return key


def stage_label(policy: Policy, key: str) -> str:
    try:
        return policy.stage(key).label
    except KeyError:
        return key


def section_one(ld: Loaded, ed: Editable, collapsed: bool) -> Collapsible:
    v, p = ld.view, ld.policy
    sec = forms.section_one(p)
    kids = [f"{v.child.name} ({v.child.case_number}, {v.child.legal_status})"]
    kids += [f"{s.child_name} ({s.case_number}): linked {s.reference}, {s.status.label}" for s in ld.siblings]
    parts: list[Widget] = [
        _ro("Reference", v.reference),
        _ro("Children", "\n".join(kids)),
        _ro("Raised by", f"{v.raised_by_name} ({p.vocabulary.chair_title})"),
        _ro(sec.field("start_stage").label, stage_label(p, v.start_stage)),
    ]
    facts = [next((f.label for f in p.facts if f.key == k), k) for k in v.facts]
    if facts:
        parts.append(_ro("Facts", "; ".join(facts)))
    group = forms.Group.MAIN
    for f in sec.fields:
        if f.editable is forms.EditWhen.RAISING:  # fixed once raised: shown above
            continue
        if not f.asked and not getattr(v, f.key):  # a question this procedure does not ask
            continue
        if f.group is not group:
            group = f.group
            if group in forms.GROUP_TITLES:
                parts.append(Static(Content.styled(forms.GROUP_TITLES[group], "bold underline"), classes="ro-label"))
        parts += _field(f, getattr(v, f.key), open_to_edit(ed, f))
    if not v.status.is_open:
        parts.append(_ro("Outcome", f"{v.status.label}: {v.outcome}" if v.outcome else v.status.label, "ro outcome"))
    for mt in v.meetings:
        parts.append(_ro(f"Meeting ({stage_label(p, mt.stage_key)})",
                         f"held {format_date(mt.held_on)} with {mt.attendees}: {mt.outcome}"))
    for mm in v.monitoring:
        held = f"held {format_date(mm.held_on)}: {mm.outcome}" if mm.held_on else "not yet held"
        parts.append(_ro("Monitoring meeting", f"due {format_date(mm.due_on)}, {held}"))
    title = Content(f"{sec.number}. {sec.title}: {category_label(p, v.category)}")
    return Section(*parts, title=title, collapsed=collapsed, id="sec-1")  # type: ignore[arg-type]


class Section(Collapsible):
    """A section of the form; in plain mode its title starts with ``+`` (closed) or ``-`` (open), not a triangle."""

    def on_mount(self) -> None:
        if is_plain(self):
            title = self.query_one(CollapsibleTitle)
            title.collapsed_symbol, title.expanded_symbol = "+", "-"
            title._update_label()


def stage_title(stage: Stage, sv: StageView | None, state: DueState | None, ld: Loaded) -> Content:
    """``2. !! OVERDUE  Informal DRP: sent to Dana Whitlow``: a state that needs attention comes
    first (long labels get cut at 80 columns); "on track" is left to the Due line."""
    head = f"{stage.section}. "
    if sv is None:
        return Content.assemble(head, stage.label, (": not reached", "dim"))
    if sv.decision is not None:
        word = "resolved" if sv.decision is Decision.RESOLVED else "not resolved"
    elif sv.response_at:
        word = "response received"
    elif sv.sent_at:
        word = f"sent to {sv.responder_name}"
    else:
        word = "draft" if ld.view.status.is_open else "not sent"
    parts: list[str | Content | tuple[str, str]] = [head]
    if state is not None and state not in (DueState.DONE, DueState.ON_TRACK):  # what needs attention
        parts += [state_content(state), "  "]
    return Content.assemble(*parts, stage.label, f": {word}")


def stage_section(stage: Stage, sv: StageView | None, ld: Loaded, ed: Editable, state: DueState | None,
                  collapsed: bool, clock: tuple[datetime, WorkingCalendar, int]) -> Collapsible:
    title = stage_title(stage, sv, state, ld)
    sid = f"sec-{stage.section}"
    if sv is None:
        return Section(Static(Content.styled("Not reached.", "dim")), title=title,  # type: ignore[arg-type]
                       collapsed=True, id=sid)
    p, current = ld.policy, sv.id == (ld.view.current.id if ld.view.current else None)
    parts: list[Widget] = []
    if stage.guidance:
        parts.append(Static(Content.styled(stage.guidance, "italic"), classes="guidance"))
    level = p.responders_label(stage)
    if sv.responses:
        parts.append(_ro("Responders", f"{level}: " + ", ".join(r.responder_name for r in sv.responses)))
    else:
        parts.append(_ro("Responder", f"{level}: {sv.responder_name}" if sv.responder_name
                         else f"{level} (named when sent)"))
    if not stage.response_expected:
        parts.append(_ro("Response", "none expected: a report or notice"))
    if sv.inform_ids:
        parts.append(_ro("For information", ", ".join(ld.names.get(i, str(i)) for i in sv.inform_ids)))
    if stage.requires_approval:
        who = p.level_label(p.rules.approval_level) if p.rules.approval_level else "the chair's service manager"
        agreed = (f"agreed by {ld.names.get(sv.approval_by_id, '?')} on {format_london(sv.approval_at)}"
                  if sv.approval_by_id and sv.approval_at else f"awaiting {who}'s agreement")
        parts.append(_ro("Approval", agreed))
    prev = [x.stage_key for x in ld.view.stages if x.seq < sv.seq]
    for g in p.entry_gates(prev[-1] if prev else None, stage.key):  # approvals on the transition into it
        if g.on == "stage":
            continue  # shown above, as before
        st = ld.view.gate_state(sv.id, g.gate)
        who = p.level_label(g.level)
        if st is None:
            text = f"awaiting {who}'s approval ({g.on})"
        else:  # the approver's own words stay text, never markup (_ro shows plain text)
            text = f"{st.decision} by {st.by_name} on {format_london(st.at)}" + (f": {st.reason}" if st.reason else "")
        parts.append(_ro("Approval", text))
    fields = forms.stage_section(p, stage)
    for f in fields.fields:
        if f.group is not forms.Group.RESPONSE:
            parts += _field(f, getattr(sv, f.key), open_to_edit(ed, f) and current)
    parts.append(_ro("Sent", format_london(sv.sent_at) if sv.sent_at else "not sent"))
    if sv.sent_at:
        parts.append(Static(due_line(sv, state), classes="ro due", id=f"due-{stage.section}"))
    if sv.extension_until:
        why = f"; benefit to the child: {sv.extension_reason}" if sv.extension_reason else ""
        parts.append(_ro("Extension", f"to {format_date(due_day(sv.extension_until))}{why}"))
    response = fields.field("response")
    if open_to_edit(ed, response) and current:
        # required, but checked when it is recorded: an empty response may be kept as a draft
        parts.append(EditField(FieldSpec.of(response, "", required=False)))
        parts.append(ActionsEditor())
    elif sv.sent_at and sv.responses:  # answered jointly: each responder's own, with who and when
        for r in sv.responses:
            if r.response_at is None:
                parts.append(_ro(f"{response.label} ({r.responder_name})", "still to respond"))
                continue
            by = f"{r.responder_name}, recorded on their behalf" if r.on_behalf else r.responder_name
            parts += _long_ro(f"{response.label} ({by}, {format_london(r.response_at)})", r.response)
        parts += _actions(sv, ld, clock)
    elif sv.sent_at and stage.response_expected:
        by = ld.names.get(sv.response_by_id or 0, "")
        if sv.response_on_behalf:
            by = f"{by} on behalf of {sv.responder_name}"
        label = (f"{response.label} ({by}, {format_london(sv.response_at)})" if sv.response_at
                 else response.label)
        parts += _long_ro(label, sv.response if sv.response_at else "")
        parts += _actions(sv, ld, clock)
    if sv.negotiation_until:
        parts.append(_ro("Further negotiation", f"until {format_london(sv.negotiation_until)}: {sv.negotiation_note}"))
    parts += decision_lines(sv)
    return Section(*parts, title=title, collapsed=collapsed, id=sid)  # type: ignore[arg-type]


COMMENT_BREAK = "\n\n"  # as services.outcomes keeps a stage's decision comments, oldest first


def decision_lines(sv: StageView) -> list[Widget]:
    """The chair's decision on this stage and every comment made on it, oldest first. They stay
    on the stage's section after further negotiation and after escalating to the next stage."""
    first, *later = sv.decision_comment.split(COMMENT_BREAK) if sv.decision_comment else [""]
    when = f" ({format_london(sv.decision_at)})" if sv.decision_at else ""
    if sv.decision is not None:
        word = "Resolved" if sv.decision is Decision.RESOLVED else "Not resolved"
        lines = [_ro("Decision", f"{word}{when}. {first}".strip())]
    elif first:  # decided not resolved, then further negotiation was agreed: the decision is open again
        lines = [_ro("Earlier decision", f"Not resolved, then further negotiation. {first}")]
    else:
        return []
    return lines + [_ro("Further comment", more) for more in later]


def due_line(sv: StageView, state: DueState | None) -> Content:
    due = sv.extension_until or sv.due_at
    return Content.assemble(line("Due", due_text(due) if due else "no timescale"), " ", state_content(state))


def action_line(n: int, a: ActionView, ld: Loaded, clock: tuple[datetime, WorkingCalendar, int]) -> Content:
    now, calendar, soon = clock
    if a.done_on:
        mark, state = "[x]", Content.styled(f"done {format_date(a.done_on)}", "$text-success")
    else:
        mark = "[ ]"
        state = state_content(state_at(end_of_london_day_utc(a.due), now, calendar, soon,
                                       done=ld.view.status is Status.WITHDRAWN))
    return Content.assemble(mark, f" {n}. ", plain(a.description), " - ", plain(a.owner),
                            f" - by {format_date(a.due)} ", state)


def _actions(sv: StageView, ld: Loaded, clock: tuple[datetime, WorkingCalendar, int]) -> Iterator[Widget]:
    if not sv.actions:
        return
    yield Static(Content.styled("SMART actions", "bold"), classes="ro-label")
    for n, a in enumerate(sv.actions, 1):
        yield Static(action_line(n, a, ld, clock), classes="action-line", id=f"action-{a.id}")


def lost_text(lost: dict[str, object], view: DisputeView, policy: Policy) -> Content:
    """Unsaved text whose field is no longer editable, shown so it can be copied elsewhere."""
    who = view.updated_by_name or "Someone"
    parts: list[str | Content | tuple[str, str]] = [
        (f"Not saved: {who} changed {view.reference} (now {view.status.label}) while you were typing, "
         "so this can no longer be saved here. Copy it if you need it:", "bold $text-warning")]
    for key, value in lost.items():
        text = "\n".join(" / ".join(map(str, row)) for row in value) if isinstance(value, list) else str(value)
        parts += ["\n", (f"{forms.label_of(policy, key)}: ", "bold"), plain(text)]
    return Content.assemble(*parts)


def header(ld: Loaded, clocks: list[Deadline]) -> tuple[Content, Content]:
    """The form's two top lines: what this is, and whose move / which clock runs out next."""
    v, p = ld.view, ld.policy
    title = Content.assemble((v.reference, "bold"), "  ", plain(v.child.name), plain(f" ({v.child.case_number})  "),
                             f"{stage_label(p, v.current_stage)} - {v.status.label}")
    sub: list[str | Content | tuple[str, str]] = [role_word(ld)]
    nxt = next_due(clocks)
    if nxt is not None:
        when = format_date(nxt.due.day) if nxt.due.day is not None else format_london(nxt.due.at)
        sub += [f". Next: {nxt.label}, {when} ", state_content(nxt.state)]
    return title, Content.assemble(*sub)


def role_word(ld: Loaded) -> str:
    if is_chair(ld):
        return "You raised this"
    if is_responder(ld):
        return "Awaiting your response"
    if ld.me.role is Role.OVERSIGHT:
        return "Oversight"
    return "Read-only"
