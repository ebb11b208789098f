"""``drp notify [--dry-run]``: send the e-mail the database's state calls for (run by cron or a
systemd timer; see docs/DEPLOYMENT.md). Mail is off without a ``[mail]`` table in the config.

Exit status: 0 all sent (or nothing to send); 1 some mail failed (it is retried on a later
run, and ``drp check`` shows it); 2 a usage or setup problem. Output names staff by id and
user name and disputes by reference: never a child.
"""

from __future__ import annotations

import argparse
import sys

from drp_tui.bootstrap import SetupError, load_setup
from drp_tui.cli import UsageError
from drp_tui.config import MailConfig
from drp_tui.domain.timeutil import Clock, SystemClock
from drp_tui.services import notify
from drp_tui.services.auth import current_os_login
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import models as m
from drp_tui.store.db import close_database

# The clock a run reads. None: the system clock (tests put a FrozenClock here).
CLOCK: Clock | None = None
# How a run reaches the SMTP server (tests may put another here).
CONNECT: notify.Connect = notify.smtp_connect


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("notify", help="send the e-mail due now: stages sent, reminders, breaches, responses, "
                                      "copies, the chairs' daily digest (for cron or a systemd timer)")
    p.add_argument("--dry-run", action="store_true", help="show what would be queued and sent; change nothing")
    p.set_defaults(func=run_notify)


def _who(ids: set[int]) -> dict[int, str]:
    return {s.id: s.username for s in m.Staff.select(m.Staff.id, m.Staff.username).where(m.Staff.id.in_(list(ids)))}


def run_notify(args: argparse.Namespace) -> int:
    try:
        setup = load_setup(args)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    try:
        cfg = setup.config.mail
        if cfg is None and not args.dry_run:
            raise UsageError("mail is off: the config file has no [mail] table (see docs/DEPLOYMENT.md)")
        if cfg is None:
            print("mail is off (no [mail] table in the config); showing what it would send with the defaults")
            cfg = MailConfig(host="-", sender="drp@invalid.example")
        ctx = InstallationAdmin(None, setup.policy, setup.calendar, CLOCK or SystemClock(),  # type: ignore[arg-type]
                                due_soon_days=setup.config.due_soon_working_days, os_user=current_os_login())
        report = notify.run(ctx, cfg, dry_run=args.dry_run, connect=CONNECT)
        names = _who({x.recipient_id for x in report.queued} | {c for x in report.queued for c in x.cc})
        verb = "would queue" if args.dry_run else "queued"
        for x in report.queued:
            cc = "".join(f" cc staff {c} ({names.get(c, '?')})" for c in x.cc)
            print(f"{verb}  {x.kind:<8}  to staff {x.recipient_id} ({names.get(x.recipient_id, '?')}){cc}: {x.subject}")
        if args.dry_run:
            print(f"dry run: {len(report.queued)} new mail(s) would be queued; {report.due} would be sent now; "
                  "nothing was changed")
            return 0
        line = f"{len(report.queued)} queued, {report.sent} sent"
        if report.retry:
            line += f", {report.retry} failed (tried again later)"
        if report.given_up:
            line += f", {report.given_up} failed for the last time (see drp check)"
        if report.stale:
            line += f", {report.stale} released from a run that did not finish"
        print(line)
        for error in report.errors:
            print(f"drp: mail failed: {error}", file=sys.stderr)
        return 1 if report.retry or report.given_up else 0
    finally:
        close_database()
