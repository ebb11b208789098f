"""``drp dispute ACTION ...``: every action of the desk, without the desk.

Each action signs in as ``--as USER`` the way the configured ``auth`` asks
(``password``: one line from ``--password-stdin``, else asked on the terminal;
``os``: the OS account running the command, which ``--as`` must name if given),
then calls the same service function the desk calls: the procedure's rules are
decided there, never here. Disputes are named by reference, children by case
number.

A refused move (not allowed, not yours, bad input, changed by someone else, not
found) prints one line naming the reason (and the field) and exits 2; nothing
was changed. ``--json``: one JSON object on standard output, ``{"ok": true, ...}``
or ``{"ok": false, "error": ...}``, dates as ISO (YYYY-MM-DD; instants with
their London offset). Dates on the command line: YYYY-MM-DD or DD/MM/YYYY.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import re
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from drp_tui.bootstrap import SetupError, load_setup
from drp_tui.cli import UsageError
from drp_tui.domain import forms
from drp_tui.domain.deadlines import lateness, response_clock
from drp_tui.domain.moves import Move
from drp_tui.domain.policy import Policy
from drp_tui.domain.reading import CaseloadQuery
from drp_tui.domain.timeutil import LONDON, Clock, SystemClock, format_london, london_today, parse_day, to_london, utc
from drp_tui.services import auth, disputes, inbox, outcomes, reads
from drp_tui.services.errors import DomainError, NotFound
from drp_tui.ui.desk import Desk

if TYPE_CHECKING:
    from drp_tui.domain.views import DisputeView, StepView

PREFIX = "drp dispute: "

# The clock every action runs on. None: the system clock (tests put a FrozenClock here).
CLOCK: Clock | None = None

HOWS = ("in person", "phone", "e-mail", "Teams")
BEFORE = {"refer": "cafcass_referral", "legal-advice": "legal_advice"}  # discussion --before
LIST_VIEWS = ("all", "mine", "awaiting", "team", "overdue", "resolved")


def clock() -> Clock:
    return CLOCK if CLOCK is not None else SystemClock()


# --- parser -----------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """An action's parser: with --json among its arguments, a bad argument is a JSON error too."""

    _json = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._json = args is not None and "--json" in args
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> Any:
        if self._json:
            print(json.dumps({"ok": False, "error": " ".join(message.split())}, ensure_ascii=False))
            sys.exit(2)
        super().error(message)


def who_arguments(parser: argparse.ArgumentParser, *, json_out: bool = True,
                  who: str = "act as this staff account") -> argparse.ArgumentParser:
    """The arguments every signed-in command takes (``--as``, ``--password-stdin``, ``--json``),
    read by :class:`Session`; ``who`` says whose account may be given."""
    parser.add_argument("--as", dest="as_user", metavar="USER",
                        help=f'{who} (auth = "os": must be the account of the OS user)')
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    if json_out:
        parser.add_argument("--json", action="store_true", help="one JSON object on standard output")
    return parser


def register(subparsers: Any) -> None:
    common = who_arguments(argparse.ArgumentParser(add_help=False))

    top = subparsers.add_parser(
        "dispute", help="every dispute action from a script: raise, send, respond, decide, escalate ...",
        description=("Act on disputes without the desk, as --as USER, through the same rules as the desk. "
                     "A refused move exits 2 with one line naming the reason; nothing is changed. "
                     "Dates: YYYY-MM-DD or DD/MM/YYYY. --json on every action."))
    top.set_defaults(func=_no_action, _parser=top)
    sub = top.add_subparsers(dest="dispute_command", metavar="ACTION", parser_class=_Parser)

    def add(name: str, func: Callable[[Session, argparse.Namespace], dict[str, Any]], help_text: str,
            ref: bool = True) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        if ref:
            p.add_argument("ref", metavar="REF", help="the dispute's reference, e.g. DRP-2026-0001")
        p.set_defaults(func=_runner(func))
        return p

    p = add("raise", cmd_raise, "raise a dispute for a child (and linked ones for siblings)", ref=False)
    p.add_argument("case", metavar="CASE", help="the child's case number")
    p.add_argument("--category", required=True, help="a category key (or label) of the procedure in force")
    p.add_argument("--stage", required=True, help="the starting stage's key (or label)")
    p.add_argument("--arose", required=True, metavar="DATE", help="the date the issue arose")
    p.add_argument("--raised-on", metavar="DATE", help="the date raised (default: today)")
    p.add_argument("--concern", required=True, help="the issue of concern")
    p.add_argument("--impact", default="", help="its impact on the child")
    p.add_argument("--wanted", default="", help="what is wanted")
    p.add_argument("--timescales", default="", help="the timescales proposed")
    p.add_argument("--child-wishes", default="", help="the child's wishes and feelings")
    p.add_argument("--against-wishes", action="store_true", help="raised against the child's wishes")
    p.add_argument("--sibling", action="append", default=[], metavar="CASE",
                   help="a sibling the concern also relates to (repeatable)")
    p.add_argument("--immediate", action="store_true", help="an immediate concern")
    p.add_argument("--fact", action="append", default=[], metavar="KEY=yes|no",
                   help="a yes/no fact the procedure asks (its [[facts]]), e.g. proceedings=yes (repeatable)")

    p = add("edit", cmd_edit, "edit section 1 or the current stage's unsent section")
    p.add_argument("changes", nargs="+", metavar="FIELD=VALUE",
                   help="a field of the form by its key, e.g. concern=TEXT, issue_arose=DATE, "
                        "against_wishes=yes, chair_wanted=TEXT (dates as DATE; yes/no; a category by key or label)")

    p = add("send", cmd_send, "send the current stage to its responder")
    p.add_argument("--siblings", action="store_true", help="also the linked siblings' disputes")
    p.add_argument("--to", dest="to_user", metavar="USER",
                   help="who answers it, among those holding its responder levels (default: the first)")
    p.add_argument("--due", metavar="DATE",
                   help="the day agreed for the response, where the procedure leaves the stage's length to the chair")

    p = add("respond", cmd_respond, "record the response to the current stage, with SMART actions")
    p.add_argument("--text", help="the response")
    p.add_argument("--text-file", metavar="FILE", help="read the response from FILE ('-': standard input)")
    p.add_argument("--action", action="append", default=[], metavar="WHAT|WHO|DATE",
                   help="an action: what, who, by when (repeatable)")
    p.add_argument("--on-behalf", action="store_true",
                   help="the chair records the manager's response received by phone or e-mail")
    p.add_argument("--siblings", action="store_true",
                   help="the same response for the linked siblings' disputes awaiting it (each keeps its own record)")
    p.add_argument("--for", dest="for_user", metavar="USER",
                   help="with --on-behalf at a stage answered jointly: whose response it is")

    p = add("decide", cmd_decide, "decide whether the response resolves the dispute")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--resolved", dest="resolved", action="store_true", default=None)
    g.add_argument("--not-resolved", dest="resolved", action="store_false")
    p.add_argument("--comment", default="", help="why (required when not resolved)")
    p.add_argument("--siblings", action="store_true", help="also the linked siblings' disputes")

    p = add("negotiate", cmd_negotiate, "agree further negotiation within the procedure's window")
    p.add_argument("--note", required=True, help="what was agreed")

    p = add("extend", cmd_extend, "agree more time for an awaited response")
    p.add_argument("--until", required=True, metavar="DATE", help="the new due date (a working day)")
    p.add_argument("--reason", default="",
                   help="the benefit to the child (required unless the procedure says an extension needs no reason)")

    p = add("escalate", cmd_escalate, "escalate to the next stage (or --to a stage the procedure allows)")
    p.add_argument("--to", dest="to_stage", metavar="STAGE", help="the target stage's key (or label)")
    p.add_argument("--comment", default="", help="why the response does not resolve it")
    p.add_argument("--siblings", action="store_true", help="also the linked siblings' disputes")

    p = add("approve", cmd_approve, "approve what awaits your approval: a stage before it is sent (raising, "
                                    "escalating or bypassing to it) or a Cafcass referral")
    p.add_argument("--note", default="")

    p = add("decline", cmd_decline, "decline what awaits your approval, saying why (the chair is told)")
    p.add_argument("--reason", required=True, help="why you decline")

    for name, kind, what in (("refer", "cafcass_referral",
                              "refer to Cafcass (closes the dispute unless its procedure says the referral runs "
                              "alongside)"),
                             ("cafcass-discussion", "cafcass_discussion", "record a discussion with Cafcass"),
                             ("legal-advice", "legal_advice", "record that independent legal advice was sought")):
        p = add(name, cmd_cafcass, what)
        p.add_argument("--note", required=True, help="what happened")
        p.add_argument("--told", default="", help="who was told first")
        p.set_defaults(kind=kind)

    p = add("discussion", cmd_discussion,
            "record the discussion the procedure asks for before a Cafcass referral or legal advice")
    p.add_argument("--before", required=True, choices=tuple(BEFORE),
                   help="the step it comes before: refer (a Cafcass referral) or legal-advice")
    p.add_argument("--level", required=True, help="the level of the person spoken to: its key (or label)")
    p.add_argument("--with", dest="with_whom", required=True, metavar="USER",
                   help="the person spoken to, who holds that level: their username (or name)")
    p.add_argument("--said", required=True, help="what was said")
    p.add_argument("--when", metavar="DATE [HH:MM]",
                   help="when it was held, London time (default: now; a past day without a time: 12:00)")

    p = add("withdraw", cmd_withdraw, "withdraw the dispute")
    p.add_argument("--reason", required=True)

    p = add("reopen", cmd_reopen, "reopen a resolved or withdrawn dispute")
    p.add_argument("--reason", required=True)

    p = add("monitoring", cmd_monitoring, "record the monitoring meeting")
    p.add_argument("--held-on", required=True, metavar="DATE")
    p.add_argument("--outcome", required=True)
    p.add_argument("--attendees", default="")

    p = add("meeting", cmd_meeting, "record the meeting the procedure expects at the current stage")
    p.add_argument("--on", dest="held_on", required=True, metavar="DATE", help="the day it was held")
    p.add_argument("--attendees", required=True, help="who attended")
    p.add_argument("--outcome", required=True, help="what was agreed")

    p = add("conversation", cmd_conversation, "record a conversation about the dispute")
    p.add_argument("--with", dest="with_whom", required=True, metavar="NAME")
    p.add_argument("--how", required=True, choices=HOWS)
    p.add_argument("--agreed", required=True, help="what was agreed")
    p.add_argument("--when", metavar="DATE [HH:MM]",
                   help="when it was held, London time (default: now; a past day without a time: 12:00)")
    p.add_argument("--timescale", default="")

    p = add("action-done", cmd_action_done, "mark an action done: ACTION_ID, or REF and the action's number",
            ref=False)
    p.add_argument("target", nargs="+", metavar="ACTION_ID | REF N")
    p.add_argument("--on", dest="done_on", metavar="DATE", help="the day it was done (default: today)")

    p = add("compliment", cmd_compliment, "send a compliment about the work with a child", ref=False)
    p.add_argument("case", metavar="CASE", help="the child's case number")
    p.add_argument("--text")
    p.add_argument("--text-file", metavar="FILE", help="read the text from FILE ('-': standard input)")

    add("show", cmd_show, "the whole record: section 1, each stage, responses, actions, due dates, status")

    add("moves", cmd_moves, "what you may do now on the dispute, and why not")

    p = add("list", cmd_list, "the disputes you can see", ref=False)
    p.add_argument("--view", default="all", choices=LIST_VIEWS)


def _no_action(args: argparse.Namespace) -> int:
    args._parser.print_usage(sys.stderr)
    print(f"{PREFIX}which action? (see 'drp dispute --help')", file=sys.stderr)
    return 2


# --- running one action ------------------------------------------------------------------------

class Session:
    """The signed-in person and the desk's door into the services."""

    def __init__(self, args: argparse.Namespace) -> None:
        try:
            setup = load_setup(args)
        except SetupError as exc:
            raise UsageError(str(exc)) from None
        self.desk = Desk(setup, clock=clock())
        self._stdin_used = False
        self._sign_in(args)

    def _sign_in(self, args: argparse.Namespace) -> None:
        desk = self.desk
        wanted = (args.as_user or "").strip()
        if desk.setup.config.auth == "os":
            if args.password_stdin:
                raise UsageError('--password-stdin: not used when auth = "os" (the OS account signs in)')
            user = desk.sign_in_os()
            if wanted and wanted != user.username:
                desk.sign_out()
                raise auth.AuthError(auth.GENERIC)
        else:
            if not wanted:
                raise UsageError("--as: who is acting? (--as USER)")
            desk.sign_in(wanted, self._password(args.password_stdin))
        for notice in desk.take_notices():
            print(f"note: {_safe(notice)}", file=sys.stderr)

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            self._stdin_used = True
            line = sys.stdin.readline()
            return line.rstrip("\n").rstrip("\r")
        try:
            return getpass.getpass("Password: ")
        except EOFError:
            raise UsageError("password: no terminal to ask on; use --password-stdin") from None

    def call(self, service: Callable[..., Any], *a: Any, **kw: Any) -> Any:
        return self.desk.call(service, *a, **kw)

    def read_text(self, text: str | None, path: str | None, name: str) -> str:
        if (text is None) == (path is None):
            raise UsageError(f"{name}: give one of --text or --text-file")
        if text is not None:
            return text
        assert path is not None
        if path == "-":
            return sys.stdin.read()
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--text-file: cannot read {path}: {exc.__class__.__name__}") from None

    # --- finding things by the names people use ---
    def dispute_id(self, ref: str) -> int:
        want = ref.strip()
        if want:
            rows = self.desk.caseload_page(CaseloadQuery(view="all", text=want), 0, 50)
            for r in rows:
                if r.reference.lower() == want.lower():
                    return int(r.id)
        raise NotFound(f"REF: no dispute '{_safe(ref)}' that you can see")

    def view(self, ref: str) -> DisputeView:
        return self.desk.dispute(self.dispute_id(ref))

    def staff_id(self, username: str, name: str) -> int:
        found = self.call(reads.staff_id, username)
        if found is None:
            raise NotFound(f"{name}: no active account '{_safe(username)}'")
        return int(found)

    def child_id(self, case: str, name: str = "CASE") -> int:
        want = case.strip()
        if want:
            for line in self.call(reads.children, want):
                if line.child.case_number.lower() == want.lower():
                    return int(line.child.id)
        raise NotFound(f"{name}: no child with case number '{_safe(case)}' that you can see")


def _runner(func: Callable[[Session, argparse.Namespace], dict[str, Any]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            result = func(Session(args), args)
        except DomainError as exc:
            return _fail(args, exc.message, exc.field)
        except UsageError as exc:
            return _fail(args, str(exc), None)
        text = result.pop("_text", "")
        if args.json:
            print(json.dumps({"ok": True, **_jsonable(result)}, ensure_ascii=False))
        elif text:
            print(text)
        return 0
    return run


def _fail(args: argparse.Namespace, message: str, field: str | None) -> int:
    line = " ".join(str(message).split())
    if getattr(args, "json", False):
        out: dict[str, Any] = {"ok": False, "error": line}
        if field:
            out["field"] = field
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{getattr(args, '_prefix', PREFIX)}{line}", file=sys.stderr)
    return 2


# --- values from the command line ----------------------------------------------------------------

def parse_date(value: str, name: str) -> date:
    """DD/MM/YYYY (D/M/YYYY), YYYY-MM-DD, or today / tomorrow / yesterday (London days by the
    command's clock), read as the desk reads a typed date."""
    try:
        return parse_day(value, london_today(clock()))
    except ValueError as exc:
        raise UsageError(f"{name}: '{_safe(value.strip())}' {exc}") from None


def parse_when(value: str | None, name: str) -> datetime:
    if value is None:
        return clock().now()
    parts = value.strip().split()
    day = parse_date(parts[0] if parts else "", name)
    now = clock().now()
    if len(parts) == 1 and day == to_london(now).date():
        return now  # today, no time given: now
    hh, mm = 12, 0
    if len(parts) == 2 and re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", parts[1]):
        hh, mm = (int(x) for x in parts[1].split(":"))
        if hh > 23 or mm > 59:
            raise UsageError(f"{name}: '{_safe(value)}' is not a time of day")
    elif len(parts) != 1:
        raise UsageError(f"{name}: '{_safe(value)}' is not 'DATE' or 'DATE HH:MM'")
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=LONDON)


def parse_bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("yes", "y", "true", "1", "on"):
        return True
    if v in ("no", "n", "false", "0", "off", ""):
        return False
    raise UsageError(f"{name}: '{_safe(value)}' is not yes or no")


def _key(value: str, options: list[tuple[str, str]]) -> str:
    """A key of ``options`` (key, label) for ``value`` given as the key or the label; else as given
    (the service names what is wrong with it)."""
    v = value.strip()
    for key, label in options:
        if v == key or v.lower() == label.lower():
            return key
    return v


def _safe(text: object) -> str:
    """Stored or typed text for the terminal: no control characters."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text or ""))


def _iso(value: object) -> object:
    if isinstance(value, datetime):
        return to_london(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return _iso(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _day_of(at: datetime) -> date:
    """The London day a deadline instant closes: 00:00 London is the end of the day before."""
    local = to_london(at)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return local.date() - timedelta(days=1)
    return local.date()


# --- what a dispute looks like after an action --------------------------------------------------------

def summary(s: Session, view: DisputeView) -> dict[str, Any]:
    policy = s.desk.policy_of(view)
    cur = view.current
    due_at = None
    if cur is not None and cur.sent_at is not None:
        due_at = cur.extension_until or cur.due_at
    try:
        stage_label = policy.stage(view.current_stage).label
    except KeyError:
        stage_label = view.current_stage
    clocks = s.desk.clocks(view)
    return {
        "reference": view.reference,
        "status": view.status.value,
        "status_label": view.status.label,
        "stage": view.current_stage,
        "stage_label": stage_label,
        "due": _day_of(due_at) if due_at is not None else None,
        "due_at": utc(due_at) if due_at is not None else None,
        "responder": cur.responder_name if cur is not None and cur.sent_at is not None else None,
        "responders": [r.responder_name for r in cur.responses] if cur is not None else [],
        "awaiting": [r.responder_name for r in cur.pending] if cur is not None else [],
        "version": view.version,
        "deadlines": [{"kind": d.kind, "label": d.label, "due": d.due.day or _day_of(d.due.at),
                       "due_at": d.due.at, "state": d.state.value, "late": d.late or None} for d in clocks],
        "approvals": [{"stage": next((x.stage_key for x in view.stages if x.id == a.stage_id), ""), "gate": a.gate,
                       "decision": a.decision, "by": a.by_name, "at": a.at, "reason": a.reason}
                      for a in view.approvals],
    }


def _line(info: dict[str, Any], verb: str) -> str:
    due = f", response due {info['due'].isoformat()}" if info.get("due") and info["status"] == "sent" else ""
    return (f"{info['reference']}: {verb}; {info['stage_label']}, {info['status_label']}{due}")


def done(s: Session, dispute_id: int, verb: str, **extra: Any) -> dict[str, Any]:
    try:
        info = summary(s, s.desk.dispute(dispute_id))
    except DomainError:  # done, but no longer the actor's to read: say only that it was done
        return {"action": verb, **extra, "_text": verb}
    return {"action": verb, **info, **extra, "_text": _safe(_line(info, verb))}


def done_many(s: Session, ids: list[int], verb: str) -> dict[str, Any]:
    infos = [summary(s, s.desk.dispute(i)) for i in ids]
    first = dict(infos[0])
    first.update(action=verb, references=[i["reference"] for i in infos])
    if len(infos) > 1:
        first["disputes"] = infos
    lines = [_safe(_line(i, verb)) for i in infos]
    refused = getattr(ids, "refused", [])  # siblings left as they were, and why (the others went ahead)
    first["refused"] = [{"reference": r.reference, "reason": r.reason} for r in refused]
    lines += [_safe(f"{r.reference}: refused, left as it was: {r.reason}") for r in refused]
    first["_text"] = "\n".join(lines)
    return first


# --- the actions ------------------------------------------------------------------------------------

def cmd_raise(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    policy = s.desk.policy
    ids = [s.child_id(args.case)] + [s.child_id(c, "--sibling") for c in args.sibling]
    data = disputes.RaiseInput(
        child_ids=ids,
        category=_key(args.category, [(c.key, c.label) for c in policy.categories]),
        start_stage=_key(args.stage, [(st.key, st.label) for st in policy.stages]),
        issue_arose=parse_date(args.arose, "--arose"),
        raised_on=parse_date(args.raised_on, "--raised-on") if args.raised_on else None,
        concern=args.concern, impact=args.impact, wanted=args.wanted, timescales=args.timescales,
        child_wishes=args.child_wishes, against_wishes=args.against_wishes, immediate=args.immediate,
        facts=_facts(args.fact, policy))
    return done_many(s, s.call(disputes.raise_dispute, data), "raised")


def _facts(pairs: list[str], policy: Any) -> dict[str, bool]:
    """``--fact KEY=yes`` pairs: a fact by its key (or label); the service refuses one it does not ask."""
    out: dict[str, bool] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--fact: '{_safe(pair)}' is not KEY=yes or KEY=no")
        key = _key(key, [(f.key, f.label) for f in policy.facts])
        out[key] = parse_bool(value, f"--fact {_safe(key)}")
    return out


def cmd_edit(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    view = s.view(args.ref)
    policy = s.desk.policy_of(view)  # the form of the procedure this dispute is pinned to
    keys = [f.key for f in (*forms.section_one(policy).fields, *forms.stage_fields(policy))
            if forms.chair_field(policy, f.key) is not None]
    changes: dict[str, Any] = {}
    for pair in args.changes:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"FIELD=VALUE: '{_safe(pair)}' has no '='")
        f = forms.chair_field(policy, key)
        if f is None:
            raise UsageError(f"{_safe(key)}: not a field of the form you can edit (one of {', '.join(keys)})")
        if f.kind is forms.Kind.DATE:
            changes[key] = parse_date(value, key) if value.strip() or f.required else None
        elif f.kind is forms.Kind.CHECK:
            changes[key] = parse_bool(value, key)
        elif f.kind is forms.Kind.CHOICE:
            changes[key] = _key(value, list((k, label) for label, k in f.options))
        else:
            changes[key] = value
    s.call(disputes.update_draft, view.id, None, changes)
    return done(s, view.id, "edited", fields=sorted(changes))


def cmd_send(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    to = s.staff_id(args.to_user, "--to") if args.to_user else None
    due_on = parse_date(args.due, "--due") if args.due else None
    return done_many(s, s.call(disputes.send, did, include_siblings=args.siblings, to=to, due_on=due_on), "sent")


def _actions(specs: list[str]) -> list[disputes.ActionInput]:
    out = []
    for i, spec in enumerate(specs, 1):
        parts = spec.split("|")
        if len(parts) != 3:
            raise UsageError(f"--action {i}: '{_safe(spec)}' is not 'what|who|YYYY-MM-DD'")
        out.append(disputes.ActionInput(parts[0].strip(), parts[1].strip(),
                                        parse_date(parts[2], f"--action {i} by when")))
    return out


def cmd_respond(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    actions = _actions(args.action)
    text = s.read_text(args.text, args.text_file, "response")
    if args.for_user and not args.on_behalf:
        raise UsageError("--for: only with --on-behalf (a responder records their own response)")
    for_id = s.staff_id(args.for_user, "--for") if args.for_user else None
    ids = s.call(disputes.record_response, did, text, actions, on_behalf=args.on_behalf, for_id=for_id,
                 include_siblings=args.siblings)
    if args.siblings:
        return done_many(s, ids, "response recorded")
    return done(s, did, "response recorded", actions=len(actions))


def cmd_decide(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    ids = s.call(outcomes.decide, s.dispute_id(args.ref), bool(args.resolved), args.comment,
                 include_siblings=args.siblings)
    return done_many(s, ids, "decided resolved" if args.resolved else "decided not resolved")


def cmd_negotiate(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    until = s.call(outcomes.agree_negotiation, did, args.note)
    return done(s, did, "further negotiation agreed", until=until)


def cmd_extend(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.agree_extension, did, parse_date(args.until, "--until"), args.reason)
    return done(s, did, "extended")


def cmd_escalate(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    view = s.view(args.ref)
    target = None
    if args.to_stage:
        policy = s.desk.policy_of(view)
        target = _key(args.to_stage, [(st.key, st.label) for st in policy.stages])
    ids = s.call(outcomes.escalate, view.id, target, args.comment, include_siblings=args.siblings)
    return done_many(s, ids, "escalated")


def cmd_approve(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.approve_stage, did, args.note)
    return done(s, did, "approved")


def cmd_decline(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.decline_approval, did, args.reason)
    return done(s, did, "declined")


def cmd_cafcass(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.cafcass_step, did, args.kind, args.note, args.told)
    return done(s, did, outcomes.CAFCASS_KINDS[args.kind].lower(), step=args.kind)


def cmd_discussion(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    view = s.view(args.ref)
    policy = s.desk.policy_of(view)
    before = BEFORE[args.before]
    level = _key(args.level, [(lv.key, lv.label) for lv in policy.levels])
    partners = s.call(outcomes.discussion_partners, view.id, before)
    want = args.with_whom.strip().lower()
    matches = [pid for lv, pid, name, user in partners if lv == level and want in (user.lower(), name.lower())]
    # someone who does not hold the level: the service names the problem (and the field)
    with_id = matches[0] if matches else None
    s.call(outcomes.record_discussion, view.id, before, level, with_id, parse_when(args.when, "--when"), args.said)
    return done(s, view.id, "discussion recorded", before=before, level=level)


def cmd_withdraw(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.withdraw, did, args.reason)
    return done(s, did, "withdrawn")


def cmd_reopen(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.reopen, did, args.reason)
    return done(s, did, "reopened")


def cmd_monitoring(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.record_monitoring, did, parse_date(args.held_on, "--held-on"), args.outcome, args.attendees)
    return done(s, did, "monitoring meeting recorded")


def cmd_meeting(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.record_meeting, did, parse_date(args.held_on, "--on"), args.attendees, args.outcome)
    return done(s, did, "meeting recorded")


def cmd_conversation(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = s.dispute_id(args.ref)
    s.call(outcomes.record_conversation, did, args.with_whom, parse_when(args.when, "--when"), args.how,
           args.agreed, args.timescale)
    return done(s, did, "conversation recorded")


def cmd_action_done(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    target = args.target
    view: DisputeView | None = None
    if len(target) == 1 and target[0].strip().isdigit():
        action_id = int(target[0])
    elif len(target) == 2 and target[1].strip().isdigit():
        view = s.view(target[0])
        numbered = [a for st in view.stages for a in st.actions]
        n = int(target[1])
        if not 1 <= n <= len(numbered):
            raise UsageError(f"N: {view.reference} has {len(numbered)} action(s); there is no action {n}")
        action_id = numbered[n - 1].id
    else:
        raise UsageError("ACTION_ID | REF N: give an action's id, or a reference and the action's number")
    on = parse_date(args.done_on, "--on") if args.done_on else None
    s.call(outcomes.complete_action, action_id, on)
    if view is not None:
        return done(s, view.id, "action done", action_id=action_id)
    return {"action": "action done", "action_id": action_id, "_text": f"action {action_id} done"}


def cmd_compliment(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    child = s.child_id(args.case)
    text = s.read_text(args.text, args.text_file, "compliment")
    cid = s.call(inbox.send_compliment, child, text)
    return {"action": "compliment sent", "compliment_id": cid, "case": args.case.strip(),
            "_text": f"compliment sent about the work with {_safe(args.case.strip())}"}


def cmd_list(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    user = s.desk.user
    assert user is not None
    team_ids = s.desk.caseload_teams() if args.view == "team" else ()
    q = CaseloadQuery(view=args.view, staff_id=user.id if args.view != "all" else None, team_ids=team_ids,
                      now=clock().now(), sort="reference")
    rows = s.desk.caseload_page(q, 0, 100_000)
    out = [{"reference": r.reference, "case_number": r.case_number, "child": r.child_name,
            "category": r.category, "stage": r.stage_key, "stage_label": r.stage_label,
            "status": r.status.value, "with": r.with_whom or None,
            "next_due_at": r.next_due_at, "next_due": r.next_due_kind or None} for r in rows]
    lines = [f"{r.reference}  {r.case_number}  {r.stage_label}  {r.status.value}"
             + (f"  {r.next_due_kind} due {_day_of(r.next_due_at).isoformat()}" if r.next_due_at else "")
             for r in rows]
    return {"disputes": out, "_text": "\n".join(_safe(x) for x in lines) or "(no disputes you can see)"}


def cmd_show(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    view = s.view(args.ref)
    s.desk.record_read("dispute", dispute_id=view.id, what="command line")
    policy = s.desk.policy_of(view)
    info = summary(s, view)
    siblings = [v.reference for v in s.call(reads.siblings, view.id)]

    def label(key: str) -> str:
        try:
            return policy.stage(key).label
        except KeyError:
            return key

    stages = []
    n = 0
    for st in view.stages:
        acts = []
        for a in st.actions:
            n += 1
            acts.append({"number": n, **_jsonable(a)})
        rec = _jsonable(st)
        rec["actions"] = acts
        rec["label"] = label(st.stage_key)
        rec["due"] = _day_of(st.extension_until or st.due_at).isoformat() if st.due_at else None
        clock = response_clock(st, view)
        rec["late"] = (lateness(clock[0], st.response_at, s.desk.calendar, "responded")
                       if clock is not None and st.response_at is not None else "") or None
        stages.append(rec)
    record: dict[str, Any] = _jsonable(view)
    record.update(stages=stages, siblings=siblings, procedure=policy.key, **_jsonable(info))
    fact_labels = []
    for key in view.facts:
        try:
            fact_labels.append(policy.fact(key).label)
        except KeyError:
            fact_labels.append(key)
    record["fact_labels"] = fact_labels
    record["meetings"] = [{**_jsonable(mt), "stage_label": label(mt.stage_key)} for mt in view.meetings]
    record["_text"] = _show_text(view, record, info, policy)
    return record


_STEP_WORDS = {"legal_advice": "independent legal advice sought", "cafcass_discussion": "discussed with Cafcass",
               "cafcass_referral": "referred to Cafcass"}


def _step_line(step: StepView, levels: dict[str, str]) -> str:
    """One step alongside the stages: who, when, what."""
    if step.kind == "discussion":
        before = "a Cafcass referral" if step.before == "cafcass_referral" else "legal advice"
        when = format_london(step.held_at) if step.held_at else ""
        return (f"discussion before {before}: with {step.with_name} ({levels.get(step.level, step.level)}), "
                f"{when}: {' '.join(step.note.split())}")
    told = f"; told first: {' '.join(step.told.split())}" if step.told else ""
    return (f"{_STEP_WORDS.get(step.kind, step.kind)} {format_london(step.at)} by {step.by_name}: "
            f"{' '.join(step.note.split())}{told}")


def _show_text(view: DisputeView, record: dict[str, Any], info: dict[str, Any], policy: Policy) -> str:
    c = view.child
    out = [f"{view.reference}  {c.name} ({c.case_number}, {c.legal_status})",
           f"status: {view.status.label}; stage: {info['stage_label']}; procedure {record['procedure']}",
           f"raised {view.raised_on.isoformat()} by {view.raised_by_name}; issue arose {view.issue_arose.isoformat()}; "
           f"category {view.category}" + ("; immediate concern" if view.immediate else "")]
    if record["siblings"]:
        out.append(f"linked siblings: {', '.join(record['siblings'])}")
    if record.get("fact_labels"):
        out.append(f"facts: {'; '.join(record['fact_labels'])}")
    out.append("section 1:")
    for key in ("concern", "impact", "wanted", "timescales", "child_wishes", "child_informed_how"):
        value = getattr(view, key)
        if value:
            out.append(f"  {key.replace('_', ' ')}: {' '.join(value.split())}")
    for raw, st in zip(view.stages, record["stages"], strict=True):
        out.append(f"{st['label']}:")
        if raw.sent_at:
            to = ", ".join(r.responder_name for r in raw.responses) or st["responder_name"]
            notice = any(x.key == raw.stage_key and not x.response_expected for x in policy.stages)
            out.append(f"  sent {format_london(raw.sent_at)} to {to}; "
                       + ("no response expected (a report or notice)" if notice else f"due {st['due']}"))
        else:
            out.append("  not sent" + (f"; approved {format_london(raw.approval_at)}" if raw.approval_at else ""))
        for ap in view.approvals:
            if ap.stage_id == raw.id:
                why = f": {' '.join(ap.reason.split())}" if ap.reason else ""
                out.append(f"  {ap.gate.replace(':', ' ')}: {ap.decision} by {ap.by_name} {format_london(ap.at)}{why}")
        if st["extension_until"]:
            out.append(f"  extended to {st['due']}: {' '.join(st['extension_reason'].split())}")
        for r in raw.responses:
            if r.response_at is None:
                out.append(f"  {r.responder_name}: still to respond")
                continue
            by = " (recorded on their behalf)" if r.on_behalf else ""
            out.append(f"  response from {r.responder_name} ({format_london(r.response_at)}){by}: "
                       f"{' '.join(r.response.split())}")
        if st["response"] and not raw.responses:
            when = format_london(raw.response_at) if raw.response_at else ""
            late = f", {st['late']}" if st["late"] else ""
            out.append(f"  response ({when}{late}): {' '.join(st['response'].split())}")
        for a in st["actions"]:
            state = f"done {a['done_on']}" if a["done_on"] else f"due {a['due']}"
            out.append(f"  action {a['number']}: {' '.join(a['description'].split())} - {a['owner']} ({state})")
        if raw.negotiation_until:
            out.append(f"  further negotiation until {format_london(raw.negotiation_until)}")
        if st["decision"]:
            out.append(f"  decision: {st['decision']}" + (f" - {' '.join(st['decision_comment'].split())}"
                                                          if st["decision_comment"] else ""))
    for mt in record["meetings"]:
        out.append(f"meeting ({mt['stage_label']}) held {mt['held_on']}"
                   + (f" with {' '.join(mt['attendees'].split())}" if mt["attendees"] else "")
                   + f": {' '.join(mt['outcome'].split())}")
    levels = {lv.key: lv.label for lv in policy.levels}
    for step in view.steps:
        out.append(_step_line(step, levels))
    for mm in view.monitoring:
        out.append(f"monitoring meeting due {mm.due_on.isoformat()}"
                   + (f", held {mm.held_on.isoformat()}: {' '.join(mm.outcome.split())}" if mm.held_on else ""))
    if view.outcome:
        out.append(f"outcome: {' '.join(view.outcome.split())}")
    if info["deadlines"]:
        out.append("due dates:")
        for d in info["deadlines"]:
            out.append(f"  {d['due'].isoformat()}  {d['state']:<9}  {d['label']}" + (f" ({d['late']})" if d["late"] else ""))
    return "\n".join(_safe(x) for x in out)


def cmd_moves(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    view = s.view(args.ref)
    verdicts = s.desk.moves(view)
    out = []
    lines = [f"{view.reference}: what you may do now"]
    for v in verdicts.values():
        out.append({"move": v.move.value, "label": v.move.label, "allowed": v.allowed,
                    "reason": v.reason or None, "about": None if v.allowed else ("who" if v.who else "state"),
                    "targets": list(v.targets)})
        if v.allowed:
            shown = v.targets
            if v.move is Move.SEND or v.move is Move.RESPOND_ON_BEHALF:  # people: by name
                names = {str(h.staff_id): h.name for h in view.holders}
                if view.child.social_worker_id is not None:
                    names[str(view.child.social_worker_id)] = view.child.social_worker_name
                if view.current is not None:
                    names.update((str(r.responder_id), r.responder_name) for r in view.current.responses)
                shown = tuple(names.get(t, t) for t in v.targets)
            extra = f" ({', '.join(shown)})" if shown else ""
            lines.append(f"  yes  {v.move.label}{extra}")
        else:
            lines.append(f"  no   {v.move.label}: {' '.join(v.reason.split())}")
    return {"reference": view.reference, "status": view.status.value, "stage": view.current_stage,
            "moves": out, "_text": "\n".join(_safe(x) for x in lines)}
