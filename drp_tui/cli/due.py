"""``drp due DATE N [--nation ENG|WLS|SCT|NIR] [--explain]``.

Prints the date "within N working days of DATE" falls due (the Nth working day
after DATE; DATE itself never counts) as YYYY-MM-DD on the first line.  With
``--explain`` every day after DATE up to the due date follows, counted or
skipped with the reason.  Local closure days and the nation come from the
config file when there is one; ``--nation`` overrides the config.

Bad arguments give one line on stderr starting ``drp due: `` and exit 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from typing import Any

from drp_tui.bootstrap import holiday_source
from drp_tui.config import ConfigError, load_config
from drp_tui.domain.calendar import NATIONS, WorkingCalendar

MAX_N = 3650
PREFIX = "drp due: "

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_RE = re.compile(r"[+-]?[0-9]+")


class _BadArgument(Exception):
    pass


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "due",
        usage="drp due DATE N [--nation ENG|WLS|SCT|NIR] [--explain]",
        help="when 'within N working days of DATE' falls due",
        description=(
            "Print the date that 'within N working days of DATE' falls due: the Nth "
            "working day after DATE (DATE itself never counts). Weekends, the "
            "nation's bank holidays and the config's local closure days are skipped."
        ),
    )
    # DATE and N are taken as strings (and optional) so that every problem with
    # them is reported here in one line rather than by argparse's usage text.
    parser.add_argument("date", metavar="DATE", nargs="?", help="the event's date, YYYY-MM-DD")
    parser.add_argument("n", metavar="N", nargs="?", help=f"working days, 0 to {MAX_N}")
    parser.add_argument(
        "--nation",
        metavar="|".join(NATIONS),
        help="whose bank holidays (default: the config's nation, else ENG)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="list each day up to the due date, counted or skipped and why",
    )
    parser.set_defaults(func=run_due)


def _parse_date(text: str | None) -> date:
    if text is None:
        raise _BadArgument("DATE is missing (expected YYYY-MM-DD, e.g. 2026-12-24)")
    value = text.strip()
    if not _DATE_RE.fullmatch(value):
        raise _BadArgument(f"DATE {text!r} is not in the form YYYY-MM-DD (e.g. 2026-12-24)")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _BadArgument(f"DATE {text!r} is not a real date ({exc})") from None


def _parse_n(text: str | None) -> int:
    if text is None:
        raise _BadArgument(f"N is missing (expected a whole number of working days, 0 to {MAX_N})")
    value = text.strip()
    if not _INT_RE.fullmatch(value):
        raise _BadArgument(f"N {text!r} is not a whole number of working days")
    n = int(value)
    if n < 0:
        raise _BadArgument(f"N {text!r} must not be negative")
    if n > MAX_N:
        raise _BadArgument(f"N {text!r} is too large (at most {MAX_N})")
    return n


def _parse_nation(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip().upper()
    if value not in NATIONS:
        raise _BadArgument(f"--nation {text!r} is not one of {', '.join(NATIONS)}")
    return value


def _calendar(args: argparse.Namespace, nation: str | None) -> WorkingCalendar:
    try:
        config = load_config(getattr(args, "config", None))
    except ConfigError as exc:
        raise _BadArgument(f"config: {exc}") from None
    try:
        return WorkingCalendar(nation or config.nation, config.closures, holidays=holiday_source())
    except (TypeError, ValueError) as exc:
        where = config.path or "config"
        raise _BadArgument(f"{where}: {exc}") from None


def run_due(args: argparse.Namespace) -> int:
    try:
        start = _parse_date(args.date)
        n = _parse_n(args.n)
        nation = _parse_nation(args.nation)
        calendar = _calendar(args, nation)
        try:
            explanation = calendar.explain(start, n)
        except OverflowError:
            raise _BadArgument(
                f"DATE {start.isoformat()} plus N={n} working days is past {date.max.isoformat()}"
            ) from None
    except _BadArgument as exc:
        print(f"{PREFIX}{exc}", file=sys.stderr)
        return 2
    print(explanation.due.isoformat())
    if args.explain:
        if n == 0:
            print(f"{start.isoformat()}  N is 0: due on DATE itself")
        for line in explanation.lines():
            print(line)
    return 0
