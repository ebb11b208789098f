"""`drp demo`: a fresh database of invented demo data, then the desk on it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from drp_tui.bootstrap import SetupError, load_setup
from drp_tui.cli import UsageError
from drp_tui.config import user_data_dir
from drp_tui.domain.timeutil import SystemClock
from drp_tui.services.demo import DEMO_PASSWORD, build_demo
from drp_tui.store.db import close_database, is_demo_file, mark_demo


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="create a fresh demo database and open the desk on it")
    p.add_argument("--seed-only", metavar="PATH", help="only write the demo database to PATH")
    p.add_argument("--policy", metavar="KEY_OR_FILE", help="profile for the demo (default: the config's)")
    p.set_defaults(func=run_demo)


def _fresh(path: Path) -> None:
    """Remove the previous demo database at ``path``; refuse anything else there."""
    if path.exists() and path.stat().st_size > 0 and not is_demo_file(path):
        raise UsageError(
            f"demo: {path} is not a demo database (it may hold real records), so it is left as it is. "
            "Give the demo a path of its own, e.g.: drp demo --seed-only demo.db")
    for suffix in ("", "-wal", "-shm", ".key", ".head"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            p.unlink()


def run_demo(args: argparse.Namespace) -> int:
    target = Path(args.seed_only or args.db or os.environ.get("DRP_DEMO_DB") or user_data_dir() / "demo.db")
    if "://" in str(target):
        raise UsageError("demo: give a file path; the demo never writes to a server database")
    _fresh(target)
    try:
        setup = load_setup(args, db_override=str(target), create=True)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    mark_demo()  # first: even a half-built demo can be replaced by the next 'drp demo'
    policy = setup.policy
    if args.policy:
        from drp_tui.domain.policy_loader import PolicyError, resolve_policy

        try:
            policy = resolve_policy(args.policy)
        except PolicyError as exc:
            raise UsageError(str(exc)) from None
    from drp_tui.store import audit

    audit.create_key()  # the demo's own key, next to the demo database
    summary = build_demo(policy, setup.calendar, SystemClock().now())
    print(f"demo database: {target}")
    print(f"policy: {policy.key}; {summary.staff} staff, {summary.children} children, {summary.disputes} disputes")
    print("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.by_status.items())))
    print(f"sign in as '{summary.chair_username}' (chair), 'osman' (oversight), 'admin'; password {DEMO_PASSWORD}")
    if args.seed_only:
        close_database()
        return 0
    from drp_tui.cli.run import open_desk

    return open_desk(setup, policy=policy, sign_in_as=summary.chair_username,
                     plain=bool(getattr(args, "plain", False)))
