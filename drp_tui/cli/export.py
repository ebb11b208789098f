"""``drp export dispute REF -o OUT``, ``drp export child CASE_NUMBER -o OUT``, ``drp export casenote REF``.

The record written out of the database: an evidence bundle (PDF and HTML, written into the
folder OUT, or as OUT.pdf and OUT.html when OUT names a file) and the case-note text of each
step (printed, ready to paste into the child's record). Each signs in as ``--as USER`` the way
``drp dispute`` does and goes through the read rule: a dispute or child the person may not see
is refused (exit 2) and the refusal is recorded in the audit trail; every export is an audit
event too (who, when, the reference). ``--redact`` replaces staff names by their role or level.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drp_tui.cli import UsageError
from drp_tui.cli.dispute import Session, _runner, _safe, who_arguments
from drp_tui.domain.timeutil import to_london
from drp_tui.services import export
from drp_tui.services.errors import NotFound, ValidationError

PREFIX = "drp export: "


def register(subparsers: Any) -> None:
    common = who_arguments(argparse.ArgumentParser(add_help=False))
    common.add_argument("--redact", action="store_true",
                        help="replace the names of staff by their role or level")

    top = subparsers.add_parser(
        "export", help="the record of a dispute or a child as PDF and HTML (evidence bundle), or case-note text",
        description="Write the record out of the database, as --as USER, through the read rule; every export "
                    "is recorded in the audit trail (a refusal too).")
    top.set_defaults(func=_no_action, _parser=top)
    sub = top.add_subparsers(dest="export_command", metavar="WHAT")

    p = sub.add_parser("dispute", parents=[common], help="one dispute's evidence bundle (PDF and HTML)")
    p.add_argument("ref", metavar="REF", help="the dispute's reference, e.g. DRP-2026-0001")
    p.add_argument("-o", "--out", required=True, metavar="DIR_OR_FILE",
                   help="a folder (files named by the reference), or a file name (.pdf and .html are written)")
    p.set_defaults(func=_runner(_writing(cmd_dispute)), _prefix=PREFIX)

    p = sub.add_parser("child", parents=[common], help="every dispute of a child that you may see, as one bundle")
    p.add_argument("case", metavar="CASE_NUMBER", help="the child's case number")
    p.add_argument("-o", "--out", required=True, metavar="DIR_OR_FILE",
                   help="a folder (files named by the case number), or a file name (.pdf and .html are written)")
    p.set_defaults(func=_runner(_writing(cmd_child)), _prefix=PREFIX)

    p = sub.add_parser("casenote", parents=[common],
                       help="the case-note text of each step of a dispute, ready to paste into the child's record")
    p.add_argument("ref", metavar="REF", help="the dispute's reference")
    p.add_argument("--stage", type=int, metavar="N", help="only the steps of the dispute's Nth stage record (1 = first)")
    p.set_defaults(func=_runner(cmd_casenote), _prefix=PREFIX)


def _no_action(args: argparse.Namespace) -> int:
    args._parser.print_usage(sys.stderr)
    print(f"{PREFIX}what? (dispute, child or casenote; see 'drp export --help')", file=sys.stderr)
    return 2


def _writing(func: Callable[[Session, argparse.Namespace], dict[str, Any]]
             ) -> Callable[[Session, argparse.Namespace], dict[str, Any]]:
    """A command that writes files: a folder or file it cannot write is refused naming ``--out``
    (the export itself is recorded). Run by ``drp dispute``'s runner (the same output and exits)."""
    def run(s: Session, args: argparse.Namespace) -> dict[str, Any]:
        try:
            return func(s, args)
        except OSError as exc:
            raise ValidationError(f"--out: cannot write there: {exc.__class__.__name__}", field="out") from None
    return run


def _dispute_id(s: Session, ref: str) -> int:
    found = s.call(export.dispute_id_of, ref)
    if found is None:
        raise NotFound(f"REF: no dispute '{_safe(ref)}'")
    return int(found)


def _written(pdf: Path, html: Path, what: str) -> dict[str, Any]:
    return {"pdf": str(pdf), "html": str(html), "_text": f"{_safe(what)}: wrote {_safe(pdf)} and {_safe(html)}"}


def cmd_dispute(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = _dispute_id(s, args.ref)
    pdf, html = s.desk.export_bundle(Path(args.out), dispute_id=did, redact=args.redact)
    return {"reference": args.ref.strip(), **_written(pdf, html, args.ref.strip())}


def cmd_child(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    cid = s.call(export.child_id_of, args.case)
    if cid is None:
        raise NotFound(f"CASE_NUMBER: no child with case number '{_safe(args.case)}'")
    pdf, html = s.desk.export_bundle(Path(args.out), child_id=int(cid), redact=args.redact)
    return {"case_number": args.case.strip(), **_written(pdf, html, args.case.strip())}


def cmd_casenote(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    did = _dispute_id(s, args.ref)
    notes = s.desk.case_notes(did, redact=args.redact)  # the read rule first: a refusal is recorded
    if args.stage is not None:
        view = s.desk.dispute(did)
        if not 1 <= args.stage <= len(view.stages):
            raise UsageError(f"--stage: {view.reference} has {len(view.stages)} stage record(s); "
                             f"there is no stage {args.stage}")
        notes = tuple(n for n in notes if n.stage_id == view.stages[args.stage - 1].id)
    text = "\n\n".join(n.text for n in notes)
    return {"reference": args.ref.strip(), "notes": [{"at": to_london(n.at).isoformat(), "step": n.step, "text": n.text}
                                                     for n in notes],
            "_text": "\n".join(_safe(line) for line in text.split("\n"))}
