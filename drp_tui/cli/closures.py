"""``drp closure list|add DAY --reason TEXT|remove DAY``: local closure days, without SQL.

Acting as the installation's administrator (like ``drp user``); each change is audited. A
closure day is not a working day for deadlines computed from then on; the config file's
``closures`` are listed too (and changed there).
"""

from __future__ import annotations

import argparse
from typing import Any

from drp_tui.cli.users import _call, _safe, _setup
from drp_tui.domain.timeutil import format_date
from drp_tui.services import closures


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("closure", help="local closure days (not working days)",
                              description="Local closure days: days the offices are closed, not counted as "
                                          "working days in deadlines computed from then on.")
    p.set_defaults(func=lambda args: _usage(p))
    sub = p.add_subparsers(dest="closure_command", metavar="ACTION")
    ls = sub.add_parser("list", help="every closure day (the config file's too)")
    ls.set_defaults(func=cmd_list)
    add = sub.add_parser("add", help="add a closure day",
                         description="Add a closure day, e.g. drp closure add 29/12/2026 --reason \"Office closed\".")
    add.add_argument("day", metavar="DAY", help="DD/MM/YYYY or YYYY-MM-DD")
    add.add_argument("--reason", required=True, help="why the offices are closed")
    add.set_defaults(func=cmd_add)
    rm = sub.add_parser("remove", help="remove a closure day added here")
    rm.add_argument("day", metavar="DAY")
    rm.set_defaults(func=cmd_remove)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def cmd_list(args: argparse.Namespace) -> int:
    rows = _call(args, closures.list_closures, _setup(args).config.closures)
    if not rows:
        print("no closure days")
    for c in rows:
        reason = f": {_safe(c.reason)}" if c.reason else ""
        print(f"{format_date(c.day)}{reason} (added by {_safe(c.added_by)})")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    day = _call(args, closures.add_closure, args.day, args.reason)
    print(f"closure day {format_date(day)} added")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    _call(args, closures.remove_closure, args.day)
    print(f"closure day {args.day.strip()} removed")
    return 0
