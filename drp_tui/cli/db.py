"""`drp init`: create (or bring up to date) the database."""

from __future__ import annotations

import argparse
import sys

from drp_tui.bootstrap import SetupError, load_setup, redact
from drp_tui.cli import UsageError
from drp_tui.domain.timeutil import SystemClock
from drp_tui.store import audit
from drp_tui.store.db import close_database, schema_status
from drp_tui.store.models import database


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="create the database, or apply pending schema migrations")
    p.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    try:
        setup = load_setup(args, create=True)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    status = schema_status(database.obj)
    print(f"database: {redact(setup.db_target)}")
    for name, applied in status:
        print(f"  {'applied' if applied else 'pending'}  {name}")
    try:
        key, created = audit.create_key(shared_group=setup.config.shared_group, now=SystemClock().now())
    except OSError as exc:
        print(f"drp: the audit key file could not be created: {exc}", file=sys.stderr)
        close_database()
        return 1
    files = audit.files()
    print(f"audit key: {key}")
    if files:
        print(f"audit head: {files[1]}")
    if created:
        print(f"drp: audit key created at {key}: keep a copy apart from the database backups", file=sys.stderr)
    print(f"policy in force: {setup.policy.key} ({setup.policy.name})")
    close_database()
    return 0
