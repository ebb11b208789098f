"""``drp child add|edit|move|close``: one child's record, with the import's checks and events.

Acting as the installation's administrator (like ``drp user``). People are named by
user name, else full name; teams by name; dates as DD/MM/YYYY or YYYY-MM-DD. Every
change is one transaction and an audit event on the child's history.
"""

from __future__ import annotations

import argparse
from typing import Any

from drp_tui.cli import UsageError
from drp_tui.cli.users import _call
from drp_tui.services import imports
from drp_tui.services.csvfiles import parse_date

WHO = "a staff account's user name, else its full name"


def register(subparsers: Any) -> None:
    child = subparsers.add_parser("child", help="children: add, edit, move to another team or chair, close",
                                  description="One child's record (acting as the installation's administrator).")
    child.set_defaults(func=lambda args: _usage(child))
    cs = child.add_subparsers(dest="child_command", metavar="ACTION")

    p = cs.add_parser("add", help="add a child")
    p.add_argument("case_number", metavar="CASE_NUMBER")
    p.add_argument("--name", required=True)
    p.add_argument("--legal-status", required=True, metavar="STATUS", help="CLA | CP | CIN, or a status the procedure in force names ([[statuses]])")
    p.add_argument("--team", required=True, metavar="TEAM", help="the child's team (by name)")
    _optional(p)
    p.set_defaults(func=cmd_child_add)

    p = cs.add_parser("edit", help="change a child's details ('' clears an optional one)")
    p.add_argument("case_number", metavar="CASE_NUMBER")
    p.add_argument("--name")
    p.add_argument("--legal-status", metavar="STATUS", help="CLA | CP | CIN, or a status the procedure in force names ([[statuses]])")
    p.add_argument("--team", metavar="TEAM")
    _optional(p)
    p.set_defaults(func=cmd_child_edit)

    p = cs.add_parser("move", help="move a child to another team and/or chair")
    p.add_argument("case_number", metavar="CASE_NUMBER")
    p.add_argument("--team", metavar="TEAM", help="the new team (by name)")
    p.add_argument("--chair", metavar="WHO", help=f"the new chair: {WHO}")
    p.set_defaults(func=cmd_child_move)

    p = cs.add_parser("close", help="no longer open to the service (kept, with its history)")
    p.add_argument("case_number", metavar="CASE_NUMBER")
    p.add_argument("--on", metavar="DATE", help="the day it closed (default today)")
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_child_close)


def _optional(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date-of-birth", metavar="DATE", help="DD/MM/YYYY or YYYY-MM-DD")
    p.add_argument("--chair", metavar="WHO", help=f"the child's chair: {WHO}")
    p.add_argument("--social-worker", metavar="WHO", help=f"the allocated social worker: {WHO}")
    p.add_argument("--family-id", metavar="ID", help="children with the same family id are siblings")
    p.add_argument("--lead-team", metavar="TEAM", help="the team leading the family's work (by name)")


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


FIELDS = ("name", "legal_status", "team", "date_of_birth", "chair", "social_worker", "family_id", "lead_team")


def _given(args: argparse.Namespace, fields: tuple[str, ...] = FIELDS) -> dict[str, str]:
    return {f: getattr(args, f) for f in fields if getattr(args, f, None) is not None}


def cmd_child_add(args: argparse.Namespace) -> int:
    given = _given(args)
    child_id = _call(args, imports.add_child, args.case_number, given.pop("name"), given.pop("legal_status"),
                     given.pop("team"), **given)
    print(f"added child {args.case_number.strip()} (id {child_id})")
    return 0


def cmd_child_edit(args: argparse.Namespace) -> int:
    given = _given(args)
    if not given:
        raise UsageError("nothing to change: give at least one of --name, --legal-status, --team, "
                         "--date-of-birth, --chair, --social-worker, --family-id, --lead-team")
    changed = _call(args, imports.edit_child, args.case_number, given)
    print(f"child {args.case_number.strip()}: {', '.join(changed)} changed")
    return 0


def cmd_child_move(args: argparse.Namespace) -> int:
    given = _given(args, ("team", "chair"))
    if not given:
        raise UsageError("move: give --team, --chair or both")
    changed = _call(args, imports.edit_child, args.case_number, given, kind="child_moved")
    print(f"child {args.case_number.strip()} moved: {', '.join(changed)} changed")
    return 0


def cmd_child_close(args: argparse.Namespace) -> int:
    on = None
    if args.on:
        try:
            on = parse_date(args.on.strip())
        except ValueError as exc:
            raise UsageError(f"--on: {exc}") from None
    _call(args, imports.close_child, args.case_number, args.reason, on)
    print(f"child {args.case_number.strip()} closed to the service (kept, with its history)")
    return 0
