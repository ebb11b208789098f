"""Command line: ``drp [--db PATH_OR_URL] [--config FILE] <command> ...``.

Each sub-command lives in its own module here with a ``register(subparsers)``
function that adds its parser and sets ``func`` (``func(args) -> int``).
With no command, ``drp`` opens the desk, and only the desk's modules are imported: the
command modules (and what they import: reports, exports, imports...) are imported to parse
a command, or ``--help``, not to open the desk.

An unexpected error prints one line with a reference (``drp_tui.crash``): the
details (exception type, file/line/function, never values) go to a private log.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

# Modules that provide sub-commands, in the order they appear in --help.
COMMAND_MODULES = (
    "drp_tui.cli.run",
    "drp_tui.cli.db",
    "drp_tui.cli.due",
    "drp_tui.cli.policies",
    "drp_tui.cli.dispute",
    "drp_tui.cli.report",
    "drp_tui.cli.export",
    "drp_tui.cli.demo",
    "drp_tui.cli.users",
    "drp_tui.cli.imports",
    "drp_tui.cli.children",
    "drp_tui.cli.closures",
    "drp_tui.cli.notify",
    "drp_tui.cli.ops",
    "drp_tui.cli.retention",
)


class UsageError(Exception):
    """A bad argument: printed as one line, exit status 2."""


def _with_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options before any command (``drp [options]`` opens the desk with them)."""
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="database file or URL (else $DRP_DB, else config, else the user data folder)",
    )
    parser.add_argument("--config", metavar="FILE", help="config file (TOML)")
    parser.add_argument("--plain", action="store_true",
                        help="plain mode for screen readers: no box drawing or decorative glyphs, "
                             "states in words, the same keys (also 'plain = true' in the config)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _with_options(argparse.ArgumentParser(
        prog="drp",
        description="Dispute Resolution Process desk for IROs and CP Chairs.",
    ))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command still being built
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


# The desk's imports and setup make some 75,000 objects the collector tracks, which live for the
# session (the desk freezes them once it is made: ui.live's settle_heap). Walking them is slow: a
# collection of them all took 45-50 ms, and at Python's pace (every 700 new objects) the imports'
# collections took 30-45 ms of the start (at every 20,000, 30 ms: fewer passes, each missing the
# processor's caches). So the collector is paused for the imports and the setup. Paused, they leave
# little garbage: a few hundred objects (some standard modules' discarded classes), frozen with
# the rest, except the largest, Python 3.11's pure-Python datetime classes, which ``import
# datetime`` replaces with the C ones at once: they are collected first, while the heap is small
# (some 3 ms; the peak then 0.02-0.17 MB higher than with the collector running, not 0.35 MB).
# Only for the desk: a command keeps Python's collector.
_paused = False


def pause_collector() -> None:
    """Pause the collector for the desk's imports and setup (see above; ``resume_collector``)."""
    global _paused
    if not _paused and gc.isenabled():
        import datetime  # noqa: F401 - imported now for its garbage (see above)

        gc.collect()
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """The collector runs again (once the desk is made: ``cli.run.open_desk``; and as ``main`` ends)."""
    global _paused
    if _paused:
        gc.enable()
        _paused = False


def desk_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """``argv`` with no command (and no ``--help``): the desk's options, read without importing
    any command module. None when ``argv`` names a command, asks for help or is not understood,
    which the whole parser then reads (and explains)."""
    options = _with_options(argparse.ArgumentParser(prog="drp", add_help=False, exit_on_error=False))
    try:
        args, rest = options.parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = desk_args(argv) or build_parser().parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:  # the desk
        pause_collector()
        run = importlib.import_module("drp_tui.cli.run")
        func = run.run_desk
    try:
        return int(func(args) or 0)
    except UsageError as exc:
        print(f"drp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - no traceback (it may hold a child's data) on the terminal
        from drp_tui import crash

        reference = crash.record(exc, where=f"drp {getattr(args, 'command', None) or 'run'}",
                                 shared_group=_shared_group(args))
        print(f"drp: {crash.message(reference)}", file=sys.stderr)
        return 1
    finally:
        resume_collector()


def _shared_group(args: argparse.Namespace) -> str | None:
    try:
        from drp_tui.config import load_config

        return load_config(getattr(args, "config", None)).shared_group
    except Exception:  # noqa: BLE001 - an unreadable config: the owner-only log
        return None
