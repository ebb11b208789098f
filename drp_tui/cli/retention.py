"""``drp retention list|dispose|hold|release``: closed records at the end of their retention period.

Signs in as ``--as USER`` (an administrator or oversight account) the way ``drp dispute``
does, and goes through ``services.retention``: a chair or a responder is refused. The
period is the config file's ``[retention]`` (docs/DEPLOYMENT.md). Disputes are named by
reference only; nothing printed here names a person.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from drp_tui.cli.dispute import Session, _runner, _safe, who_arguments
from drp_tui.domain.timeutil import format_date
from drp_tui.services import retention

PREFIX = "drp retention: "


def register(subparsers: Any) -> None:
    common = who_arguments(argparse.ArgumentParser(add_help=False),
                           who="act as this staff account, an administrator or oversight")
    top = subparsers.add_parser(
        "retention", help="closed records due for disposal, legal holds, disposal",
        description="Closed disputes at the end of the retention period set in the config file's "
                    "[retention]: list what is due, place or release a legal hold, dispose of a "
                    "dispute's personal content (audited). Administrators and oversight only.")
    top.set_defaults(func=lambda args: _usage(top))
    sub = top.add_subparsers(dest="retention_command", metavar="ACTION")

    p = sub.add_parser("list", parents=[common], help="closed disputes due for disposal today (no names)")
    p.add_argument("--all", action="store_true", help="every closed dispute not disposed of, with its due day")
    p.set_defaults(func=_runner(cmd_list), _prefix=PREFIX)
    for name, func, text in (
            ("dispose", cmd_dispose, "dispose of a closed dispute's personal content (it must be due, not held)"),
            ("hold", cmd_hold, "place a legal hold: the dispute is not disposed of until it is released"),
            ("release", cmd_release, "release a dispute's legal hold")):
        p = sub.add_parser(name, parents=[common], help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("ref", metavar="REF", help="the dispute's reference, e.g. DRP-2019-0001")
        p.add_argument("--reason", required=True, help="why (kept in the audit trail: name no one)")
        p.set_defaults(func=_runner(func), _prefix=PREFIX)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def _rule(s: Session) -> Any:
    return s.desk.setup.config.retention


def cmd_list(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    rows = s.call(retention.due_list, _rule(s), bool(args.all))
    lines = []
    for r in rows:
        due = format_date(r.due_on) if r.due_on else "never"
        state = (f"on hold since {format_date(r.held_since)}" if r.held and r.held_since
                 else "due" if r.due else "not due")
        lines.append(f"{_safe(r.reference)}  closed {format_date(r.closed_on)}  due {due}  {state}  ({_safe(r.why)})")
    if not lines:
        lines.append("nothing is due for disposal" if not args.all else "no closed disputes kept")
    return {"disputes": rows, "_text": "\n".join(lines)}


def cmd_dispose(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    done = s.call(retention.dispose, _rule(s), args.ref, args.reason)
    deleted = ", ".join(f"{n} {table}" for table, n in sorted(done.deleted.items())) or "no rows"
    text = f"{_safe(done.reference)}: personal content disposed of ({deleted} deleted)"
    if done.child_anonymised:
        text += "; the child's name and date of birth removed"
    return {"reference": done.reference, "closed_on": done.closed_on, "due_on": done.due_on,
            "deleted": done.deleted, "child_anonymised": done.child_anonymised, "_text": text}


def cmd_hold(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    s.call(retention.hold, args.ref, args.reason)
    return {"reference": args.ref.strip(), "held": True, "_text": f"{_safe(args.ref.strip())}: on legal hold"}


def cmd_release(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    s.call(retention.release, args.ref, args.reason)
    return {"reference": args.ref.strip(), "held": False, "_text": f"{_safe(args.ref.strip())}: hold released"}
