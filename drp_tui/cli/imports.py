"""``drp import children|teams|staff|disputes FILE.csv``: an authority's data in from CSV files.

Acting as the installation's administrator (like ``drp user``); each import is one
transaction and audited. Upsert by key: importing the same file again changes
nothing. By default nothing is written unless every row is good; ``--skip-bad``
writes the good rows and lists the bad ones; ``--dry-run`` checks and reports only.

Exit status: 0 written (or nothing to write), 1 bad rows and nothing written,
2 a bad argument or a file that cannot be read at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from drp_tui.cli import UsageError
from drp_tui.cli.users import _ctx, _safe, _setup
from drp_tui.services import import_disputes, imports
from drp_tui.services.csvfiles import CsvFile, FileProblem, load_map, read_csv
from drp_tui.services.errors import DomainError

LIST_AT_MOST = 50  # lines of a list printed before "... and N more"

CHILDREN_HELP = """\
Children from a case management system's CSV export, upserted by case number.

Default headers (any case and spacing): case_number, name, date_of_birth, legal_status
(CLA, CP or CIN), team, social_worker, chair, family_id, lead_team. Required: case_number,
name, legal_status, team. Columns not named are ignored; a column left out of the file
leaves that field as stored. --map MAP.toml names a system's own headers and status
words, and may join several columns into one, e.g. name = ["Forename", "Surname"]
(examples/maps/).

team and lead_team: a team's name. chair and social_worker: a staff account's user name,
else its full name (an error if two accounts share it). family_id: children with the same
family id are siblings. Dates: DD/MM/YYYY or YYYY-MM-DD. Files: UTF-8 (with or without
BOM) or Windows-1252 (Excel's CSV).

Prints new / changed / unchanged / not in file. Children missing from the file are only
reported (with --full), never deleted or closed.
"""

STAFF_HELP = """\
Staff accounts and their management levels, upserted by user name.

Headers: username, name, role (chair | responder | oversight | admin) required; email,
team (a team's name), title, os_login and levels optional. levels lists every level of
the policy in force the person holds, and for which team:
"team_manager@Children's Team North;head_of_service@Children's Team North" (with the
column, a level not listed is given up).

No passwords in files: each new account gets a one-time set-up code, printed once here,
which the person types as their password at their first sign-in to choose their own.
With auth = "os" in the config, new accounts are linked to their OS login instead
(the os_login column, else the user name).
"""


DISPUTES_HELP = """\
Disputes already running (or closed) from an old tracker's CSV, upserted by its reference.

Headers (any case and spacing): reference (the old tracker's), case_number, chair, category,
raised_on, stage, status required; issue_arose (else raised_on), stage_sent_on (the day the
stage reached was sent), response_on, closed_on, outcome and concern optional.

category and stage: a key or a label of the procedure in force (drp policies show).
status: draft, open, sent (awaiting response), responded (response received), resolved,
withdrawn or cafcass (referred to Cafcass); --map MAP.toml can name the tracker's own
headers and words ([words.status]). chair: a chair's user name, else full name. Children
must be imported first.

Each dispute gets a reference of this desk (printed next to the old one), is pinned to the
procedure in force, and from then on is like any other: the stage reached has its response
clock from the day it was sent. Importing the same file again changes nothing; a row that
now differs from what was imported is refused (the desk's record is the one kept).
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("import", help="teams, staff, children and running disputes in from CSV files",
                              description="Bring an authority's teams, staff, children and running disputes in from CSV files "
                                          "(acting as the installation's administrator).")
    p.set_defaults(func=lambda args: _usage(p))
    sub = p.add_subparsers(dest="import_command", metavar="WHAT")

    c = sub.add_parser("children", help="children from a case management system's export",
                       description=CHILDREN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("file", metavar="FILE.csv")
    c.add_argument("--map", metavar="MAP.toml", help="the export's own headers and status words")
    c.add_argument("--full", action="store_true",
                   help="the file is the whole caseload: list open children not in it (nothing is deleted)")
    _common(c)
    c.set_defaults(func=cmd_import_children)

    t = sub.add_parser("teams", help="teams (name, kind)",
                       description="Teams, upserted by name. Headers: name (required), kind "
                                   "(social_care, the default, or iro_service).")
    t.add_argument("file", metavar="FILE.csv")
    _common(t)
    t.set_defaults(func=cmd_import_teams)

    d = sub.add_parser("disputes", help="disputes already running, from an old tracker",
                       description=DISPUTES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("file", metavar="FILE.csv")
    d.add_argument("--map", metavar="MAP.toml", help="the tracker's own headers and status words")
    _common(d)
    d.set_defaults(func=cmd_import_disputes)

    s = sub.add_parser("staff", help="staff accounts and the management levels they hold",
                       description=STAFF_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("file", metavar="FILE.csv")
    s.add_argument("--map", metavar="MAP.toml", help="the file's own headers")
    _common(s)
    s.set_defaults(func=cmd_import_staff)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    p.add_argument("--skip-bad", action="store_true", help="write the good rows, list the bad ones")


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def _read(args: argparse.Namespace, fields: tuple[str, ...], required: tuple[str, ...],
          aliases: dict[str, str] | None = None) -> CsvFile:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"FILE: cannot read {path}: {exc.strerror or exc}") from None
    try:
        column_map = load_map(args.map, fields) if getattr(args, "map", None) else None
        return read_csv(data, fields, required, column_map, aliases)
    except FileProblem as exc:
        raise UsageError(f"{path.name}: {exc.message}") from None


def _run(args: argparse.Namespace, service: Any, f: CsvFile, *, dry_run_first: bool = False,
         **kw: Any) -> imports.ImportReport:
    setup = _setup(args)
    try:
        report: imports.ImportReport = service(_ctx(setup), f, dry_run=args.dry_run or dry_run_first,
                                               skip_bad=args.skip_bad, **kw)
    except DomainError as exc:
        raise UsageError(" ".join(exc.message.split())) from None
    return report


def _listed(items: list[str], indent: str = "  ") -> None:
    for x in items[:LIST_AT_MOST]:
        print(f"{indent}{_safe(x)}")
    if len(items) > LIST_AT_MOST:
        print(f"{indent}... and {len(items) - LIST_AT_MOST} more")


def _print(report: imports.ImportReport, f: CsvFile, what: str, skip_bad: bool,
           dry_run: bool | None = None) -> int:
    print(f"{report.rows} row(s) read ({f.encoding})")
    if report.problems:
        stream = sys.stderr
        print(f"{report.skipped} bad row(s):", file=stream)
        for p in report.problems[:LIST_AT_MOST * 2]:
            print(f"  {_safe(p.text())}", file=stream)
        if len(report.problems) > LIST_AT_MOST * 2:
            print(f"  ... and {len(report.problems) - LIST_AT_MOST * 2} more", file=stream)
    dry = report.dry_run if dry_run is None else dry_run
    held = dry or (bool(report.problems) and not skip_bad)
    print(f"new: {len(report.new)}" + (" (not written)" if held and report.new else ""))
    print(f"changed: {len(report.changed)}" + (" (not written)" if held and report.changed else ""))
    _listed([f"{c.key}: {', '.join(c.fields)}" for c in report.changed])
    print(f"unchanged: {report.unchanged}")
    print(f"not in file: {len(report.not_in_file)}" + (" (kept; nothing is deleted)" if report.not_in_file else ""))
    _listed(list(report.not_in_file))
    for old, new in report.references[:LIST_AT_MOST]:
        print(f"  {_safe(old)} -> {new}")
    if len(report.references) > LIST_AT_MOST:
        print(f"  ... and {len(report.references) - LIST_AT_MOST} more")
    for username, code in report.codes:
        print(f"set-up code for {username}: {code}")
    if report.codes:
        print("(shown once: give each person their code; they type it as the password at their first "
              f"sign-in, within {imports.SETUP_CODE_DAYS} days, and choose their own)")
    for username, login in report.os_linked:
        print(f"{username} signs in as OS user {_safe(login)}")
    if dry:
        print("dry run: nothing was written")
        return 1 if report.problems else 0
    if report.problems and not skip_bad:
        print(f"nothing was written: correct the bad row(s), or use --skip-bad to import the good {what}",
              file=sys.stderr)
        return 1
    if report.problems:
        print(f"the good rows were written; {report.skipped} bad row(s) skipped")
    return 0


def cmd_import_children(args: argparse.Namespace) -> int:
    f = _read(args, imports.CHILD_FIELDS, imports.CHILD_REQUIRED)
    return _print(_run(args, imports.import_children, f, full=args.full), f, "children", args.skip_bad)


def cmd_import_teams(args: argparse.Namespace) -> int:
    f = _read(args, imports.TEAM_FIELDS, imports.TEAM_REQUIRED)
    return _print(_run(args, imports.import_teams, f), f, "teams", args.skip_bad)


def cmd_import_disputes(args: argparse.Namespace) -> int:
    f = _read(args, import_disputes.DISPUTE_FIELDS, import_disputes.DISPUTE_REQUIRED,
              import_disputes.DISPUTE_ALIASES)
    return _print(_run(args, import_disputes.import_disputes, f), f, "disputes", args.skip_bad)


def cmd_import_staff(args: argparse.Namespace) -> int:
    f = _read(args, imports.STAFF_FIELDS, imports.STAFF_REQUIRED, imports.STAFF_ALIASES)
    auth = _setup(args).config.auth
    prepared = None
    if not args.dry_run and auth != "os":  # codes hashed before the import's transaction, not inside it
        first = _run(args, imports.import_staff, f, auth=auth, dry_run_first=True)
        if first.problems and not args.skip_bad:
            return _print(first, f, "staff", args.skip_bad, dry_run=False)
        prepared = imports.prepare_codes(first.new)
    return _print(_run(args, imports.import_staff, f, auth=auth, prepared=prepared), f, "staff", args.skip_bad)
