"""``drp report --from DATE --to DATE --format csv|xlsx|pdf -o FILE``: the report pack as a file.

The annual IRO report's numbers, for the disputes raised in the period: the same figures
as the desk's report pack (``services.report_pack``). Signs in as ``--as USER`` exactly as
``drp dispute`` does; only the IRO service manager (oversight: its own team's disputes) or
an administrator (the whole installation) may write one, and each one written is recorded
in the audit trail. A refusal or bad input: one line naming the reason (and the field),
exit status 2, no file written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from drp_tui.cli import UsageError
from drp_tui.cli.dispute import Session, parse_date, who_arguments
from drp_tui.domain.timeutil import format_date
from drp_tui.services import report_files
from drp_tui.services.errors import DomainError

PREFIX = "drp report: "


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="the report pack for a period (annual IRO report) as CSV, XLSX or PDF",
        description=("Write the report pack for the disputes raised from --from to --to (both days included): "
                     "disputes by month, stage reached, resolved at which stage, on-time responses, median "
                     "working days to resolution, themes, teams, Cafcass referrals, year on year. "
                     "Oversight or an administrator only; every pack written is audited. "
                     "Dates: YYYY-MM-DD or DD/MM/YYYY."))
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="the first day of the period")
    p.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="the last day of the period")
    p.add_argument("--format", dest="fmt", choices=report_files.FORMATS,
                   help="csv, xlsx or pdf (default: from the name of the file)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write (replaced if it exists)")
    who_arguments(p, json_out=False, who="sign in as this staff account")
    p.set_defaults(func=run)


def _format(args: argparse.Namespace, out: Path) -> str:
    if args.fmt:
        return str(args.fmt)
    suffix = out.suffix.lower().lstrip(".")
    if suffix in report_files.FORMATS:
        return suffix
    raise UsageError("--format: which one? (csv, xlsx or pdf; or name the file .csv, .xlsx or .pdf)")


def _target(value: str) -> Path:
    out = Path(value).expanduser()
    if out.is_dir():
        raise UsageError(f"-o: {value} is a folder; name the file to write")
    if not out.parent.is_dir():
        raise UsageError(f"-o: no folder {out.parent}")
    if not os.access(out.parent, os.W_OK):
        raise UsageError(f"-o: cannot write in {out.parent}")
    return out


def _write(out: Path, data: bytes) -> None:
    """All or nothing: a temporary file beside ``out`` (owner only), then renamed over it."""
    fd, tmp = tempfile.mkstemp(prefix=".drp-report-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    try:
        out = _target(args.output)
        fmt = _format(args, out)
        date_from = parse_date(args.date_from, "--from")
        date_to = parse_date(args.date_to, "--to")
        session = Session(args)
        made: report_files.PackFile = session.call(report_files.export_pack, date_from, date_to, fmt)
        _write(out, made.data)
    except DomainError as exc:
        return _fail(exc.message)
    except UsageError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"-o: cannot write {args.output} ({exc.strerror or exc.__class__.__name__})")
    n = made.disputes
    print(f"Wrote the report pack ({made.fmt}, {n} dispute{'' if n == 1 else 's'} raised "
          f"{format_date(made.date_from)} to {format_date(made.date_to)}) to {out}")
    return 0


def _fail(message: str) -> int:
    print(PREFIX + " ".join(str(message).split()), file=sys.stderr)
    return 2
