"""``drp user ...`` and ``drp team ...``: staff accounts, teams and management chains.

The command line acts as the installation's administrator: whoever can run
``drp`` on the box with access to the database file. Every change is an audit
event naming the OS user who ran it. Passwords are read with ``getpass``
(asked twice) or, for scripts, one line from standard input
(``--password-stdin``); they are never echoed, printed or logged.

Bad input: one line on stderr naming the argument, exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from drp_tui.bootstrap import Setup, SetupError, load_setup
from drp_tui.cli import UsageError
from drp_tui.domain.model import Role
from drp_tui.domain.timeutil import SystemClock, format_london
from drp_tui.services import accounts, auth, handover, imports
from drp_tui.services.auth import current_os_login
from drp_tui.services.errors import DomainError
from drp_tui.services.permissions import InstallationAdmin

ROLES = tuple(r.value for r in Role)


def register(subparsers: Any) -> None:
    user = subparsers.add_parser("user", help="staff accounts: add, list, disable, hand over, reset passwords, roles",
                                 description="Staff accounts (acting as the installation's administrator).")
    user.set_defaults(func=cmd_user_list)
    us = user.add_subparsers(dest="user_command", metavar="ACTION")

    p = us.add_parser("add", help="add a staff account (asks for the password twice)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--name", required=True, help="full name, as colleagues see it")
    p.add_argument("--role", required=True, metavar="ROLE", help="chair | responder | oversight | admin")
    p.add_argument("--team", metavar="NAME", help="the team the account belongs to")
    p.add_argument("--title", default="", help="job title, e.g. 'Team Manager'")
    p.add_argument("--email", default="")
    p.add_argument("--os-login", metavar="LOGIN", help='the OS login that signs this account in (auth = "os")')
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--no-password", action="store_true",
                   help="no password: the account signs in only by its OS login (needs --os-login)")
    p.add_argument("--setup-code", action="store_true",
                   help="no password now: print a one-time set-up code, typed as the password at the "
                        "first sign-in to choose one")
    p.set_defaults(func=cmd_user_add)

    p = us.add_parser("setup-code", help="a new one-time set-up code for an account without a password")
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(func=cmd_user_setup_code)

    p = us.add_parser("set-password", help="choose your password with your one-time set-up code "
                                           "(asks for the code, then the password twice)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--password-stdin", action="store_true",
                   help="read two lines from standard input: the set-up code, then the new password")
    p.set_defaults(func=cmd_user_set_password)

    p = us.add_parser("list", help="every account: role, team, status, OS login")
    p.add_argument("--active", action="store_true", help="only active accounts")
    p.set_defaults(func=cmd_user_list)

    p = us.add_parser("disable", help="disable an account (nothing is deleted)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--reason", default="")
    p.add_argument("--keep", action="store_true",
                   help="disable a chair with open disputes, leaving the disputes with the account "
                        "(else hand them over first: 'drp user handover')")
    p.set_defaults(func=cmd_user_disable)

    p = us.add_parser("handover", help="move a chair's open disputes and children to another chair")
    p.add_argument("old", metavar="OLD", help="the departing chair's user name")
    p.add_argument("new", metavar="NEW", help="the active chair who takes them over")
    p.add_argument("--dry-run", action="store_true", help="say what would move; change nothing")
    p.add_argument("--json", action="store_true", help="one JSON object on standard output")
    p.set_defaults(func=cmd_user_handover)

    p = us.add_parser("enable", help="enable a disabled account")
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(func=cmd_user_enable)

    p = us.add_parser("unlock", help="clear the sign-in delay after failed sign-ins")
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(func=cmd_user_unlock)

    p = us.add_parser("reset-password", help="set a new password (asks twice); clears any lock-out")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_user_reset_password)

    p = us.add_parser("reset-pin", help='clear the unlock PIN (auth = "os"): a new one is set at the next sign-in')
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(func=cmd_user_reset_pin)

    p = us.add_parser("set-role", help="change an account's role")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("role", metavar="ROLE", help="chair | responder | oversight | admin")
    p.set_defaults(func=cmd_user_set_role)

    p = us.add_parser("set-team", help="move an account to a team ('-' for none)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("team", metavar="TEAM")
    p.set_defaults(func=cmd_user_set_team)

    p = us.add_parser("set-os-login", help="link an OS login to an account ('-' to unlink)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("login", metavar="LOGIN")
    p.set_defaults(func=cmd_user_set_os_login)

    team = subparsers.add_parser("team", help="teams and their management chains",
                                 description="Teams and who holds each level of their management chain.")
    team.set_defaults(func=cmd_team_list)
    ts = team.add_subparsers(dest="team_command", metavar="ACTION")
    p = ts.add_parser("list", help="every team")
    p.set_defaults(func=cmd_team_list)
    p = ts.add_parser("add", help="add a team")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--kind", default="social_care", metavar="KIND", help="social_care (default) | iro_service")
    p.set_defaults(func=cmd_team_add)
    p = ts.add_parser("set-level", help="who holds LEVEL of the policy in force in TEAM ('-' to clear)")
    p.add_argument("team", metavar="TEAM")
    p.add_argument("level", metavar="LEVEL", help="a level key of the policy in force (see 'drp team show')")
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(func=cmd_team_set_level)
    p = ts.add_parser("show", help="a team's members and management chain")
    p.add_argument("team", metavar="TEAM")
    p.set_defaults(func=cmd_team_show)


# --- plumbing -------------------------------------------------------------------

def _setup(args: argparse.Namespace) -> Setup:
    setup = getattr(args, "_users_setup", None)
    if setup is None:
        try:
            setup = load_setup(args)
        except SetupError as exc:
            raise UsageError(str(exc)) from None
        args._users_setup = setup
    return setup


def _ctx(setup: Setup) -> InstallationAdmin:
    return InstallationAdmin(None, setup.policy, setup.calendar, SystemClock(),  # type: ignore[arg-type]
                             os_user=current_os_login())


def _call(args: argparse.Namespace, service: Any, *a: Any, **kw: Any) -> Any:
    setup = _setup(args)
    try:
        return service(_ctx(setup), *a, **kw)
    except DomainError as exc:
        raise UsageError(" ".join(exc.message.split())) from None


def _safe(text: object) -> str:
    """Stored text for the terminal: no control characters."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text or ""))


def _role_arg(value: str, name: str = "ROLE") -> str:
    v = value.strip().lower()
    if v not in ROLES:
        raise UsageError(f"{name}: '{value}' is not a role (one of {', '.join(ROLES)})")
    return v


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        pw = line[:-1] if line.endswith("\n") else line
        pw = pw[:-1] if pw.endswith("\r") else pw
        if not pw:
            raise UsageError("--password-stdin: no password on standard input")
        return pw
    try:
        first = getpass.getpass("New password: ")
        second = getpass.getpass("Same password again: ")
    except EOFError:
        raise UsageError("password: no terminal to ask on; use --password-stdin") from None
    if first != second:
        raise UsageError("password: the two passwords do not match; nothing was changed")
    if not first:
        raise UsageError("password: empty; nothing was changed")
    return first


def _warn(report: accounts.ChangeReport) -> None:
    for w in report.warnings:
        print(f"warning: {_safe(w)}", file=sys.stderr)


# --- drp user -------------------------------------------------------------------

def cmd_user_add(args: argparse.Namespace) -> int:
    role = _role_arg(args.role, "--role")
    try:  # cheap checks before the password is asked for
        accounts.check_username(args.username)
    except DomainError as exc:
        raise UsageError(exc.message) from None
    try:
        accounts.get_user(_ctx(_setup(args)), args.username.strip())
    except DomainError:
        pass
    else:
        raise UsageError(f"USERNAME: '{args.username.strip()}' is already taken")
    if args.setup_code:
        if args.password_stdin or args.no_password:
            raise UsageError("--setup-code: not with --password-stdin or --no-password")
        code = _call(args, imports.add_user_with_setup_code, args.username, args.name, role, team=args.team,
                     title=args.title, email=args.email, os_login=args.os_login)
        print(f"added {args.username.strip()} ({role})")
        _print_code(args.username.strip(), code)
        return 0
    if args.no_password:
        if not args.os_login:
            raise UsageError("--no-password: only with --os-login (the account must have some way to sign in)")
        if args.password_stdin:
            raise UsageError("--no-password: not with --password-stdin")
        password = None
    else:
        password = _read_password(args.password_stdin)
    _call(args, accounts.add_user, args.username, args.name, role, password, team=args.team,
          title=args.title, email=args.email, os_login=args.os_login)
    print(f"added {args.username.strip()} ({role})")
    return 0


def _print_code(username: str, code: str) -> None:
    print(f"set-up code for {username}: {code}")
    print(f"(shown once: {username} types it as the password at their first sign-in, within "
          f"{imports.SETUP_CODE_DAYS} days, and chooses their own)")


def cmd_user_setup_code(args: argparse.Namespace) -> int:
    code = _call(args, imports.issue_setup_code, args.username)
    _print_code(args.username.strip(), code)
    return 0


def cmd_user_set_password(args: argparse.Namespace) -> int:
    """The person themselves: set-up code, then their own password (the desk's sign-in does the same)."""
    _setup(args)
    if args.password_stdin:
        code = sys.stdin.readline().strip()
        password = _read_password(True)
    else:
        try:
            code = getpass.getpass("One-time set-up code: ").strip()
        except EOFError:
            raise UsageError("set-up code: no terminal to ask on; use --password-stdin") from None
        password = _read_password(False)
    now = SystemClock().now()
    try:
        done = auth.sign_in(args.username, code, now)
        if not done.needs_password:
            raise UsageError("set-up code: not a set-up code; a password is changed with "
                             "'drp user reset-password'")
        auth.choose_password(done.user.id, password, now)
    except DomainError as exc:
        raise UsageError(" ".join(exc.message.split())) from None
    print(f"password of {done.user.username} set; the set-up code is used up")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    users = _call(args, accounts.list_users, include_disabled=not getattr(args, "active", False))
    now = SystemClock().now()
    rows = [("USERNAME", "NAME", "ROLE", "TEAM", "STATUS", "OS LOGIN")]
    for u in users:
        status = "disabled" if not u.active else (
            f"locked until {format_london(u.locked_until)}" if u.locked(now) else "active")
        if u.active and not u.has_password and not u.os_login:
            status += " (set-up code issued)" if u.has_setup_code else " (no way to sign in)"
        rows.append((u.username, u.name, u.role.value, u.team or "-", status, u.os_login or "-"))
    widths = [max(len(_safe(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(_safe(c).ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + _safe(r[-1]))
    if not users:
        print("(no accounts yet: add one with 'drp user add')")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    try:
        report = accounts.disable_user(_ctx(_setup(args)), args.username, args.reason, keep=args.keep)
    except DomainError as exc:
        message = " ".join(exc.message.split())
        if exc.field == "keep":
            name = args.username.strip()
            message = (message.split(": hand them over")[0] + f": hand them over first with "
                       f"'drp user handover {name} NEW', or add --keep to leave them with the disabled account")
        raise UsageError(message) from None
    _warn(report)
    print(f"disabled {args.username}")
    if report.kept:
        print(f"kept {len(report.kept)} open dispute(s) with {args.username} (--keep): {', '.join(report.kept)}")
    return 0


def cmd_user_handover(args: argparse.Namespace) -> int:
    try:
        report = handover.hand_over(_ctx(_setup(args)), args.old, args.new, dry_run=args.dry_run)
    except DomainError as exc:
        message = " ".join(exc.message.split())
        if args.json:
            out: dict[str, Any] = {"ok": False, "error": message}
            if exc.field:
                out["field"] = exc.field
            print(json.dumps(out, ensure_ascii=False))
            return 2
        raise UsageError(message) from None
    if args.json:
        print(json.dumps({
            "ok": True, "old": report.old, "new": report.new, "dry_run": report.dry_run,
            "disputes": [{"reference": d.reference, "status": d.status, "responder": d.responder}
                         for d in report.disputes],
            "children": list(report.children), "closed_kept": report.closed_kept,
            "warnings": list(report.warnings)}, ensure_ascii=False))
        return 0
    _warn(accounts.ChangeReport(report.warnings))
    verb = "would hand over" if report.dry_run else "handed over"
    print(f"{verb} from {report.old} to {report.new}: {len(report.disputes)} open dispute(s), "
          f"{len(report.children)} child(ren)" + (" (dry run: nothing changed)" if report.dry_run else ""))
    for d in report.disputes:
        told = f"; {d.responder} told" if d.responder and not report.dry_run else (
            f"; {d.responder} would be told" if d.responder else "")
        print(f"  dispute {_safe(d.reference)}  {d.status}{told}")
    for case in report.children:
        print(f"  child   {_safe(case)}")
    if report.closed_kept:
        print(f"{report.closed_kept} closed dispute(s) stay with {report.old} (history)")
    if report.empty:
        print(f"(nothing to hand over: {report.old} chairs no open dispute and no open child)")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    _call(args, accounts.enable_user, args.username)
    print(f"enabled {args.username}")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    _call(args, accounts.unlock_user, args.username)
    print(f"unlocked {args.username}")
    return 0


def cmd_user_reset_password(args: argparse.Namespace) -> int:
    setup = _setup(args)  # an unknown user is reported before the password is asked
    try:
        accounts.get_user(_ctx(setup), args.username)
    except DomainError as exc:
        raise UsageError(exc.message) from None
    password = _read_password(args.password_stdin)
    _call(args, accounts.reset_password, args.username, password)
    print(f"password of {args.username} reset; any lock-out cleared")
    return 0


def cmd_user_reset_pin(args: argparse.Namespace) -> int:
    _call(args, accounts.reset_unlock_pin, args.username)
    print(f"unlock PIN of {args.username} cleared; they set a new one at their next sign-in")
    return 0


def cmd_user_set_role(args: argparse.Namespace) -> int:
    role = _role_arg(args.role)
    _warn(_call(args, accounts.set_role, args.username, role))
    print(f"{args.username} is now {role}")
    return 0


def cmd_user_set_team(args: argparse.Namespace) -> int:
    team = None if args.team == "-" else args.team
    _call(args, accounts.set_team, args.username, team)
    print(f"{args.username} moved to {team or 'no team'}")
    return 0


def cmd_user_set_os_login(args: argparse.Namespace) -> int:
    login = None if args.login == "-" else args.login
    _call(args, accounts.link_os_login, args.username, login)
    print(f"{args.username} " + (f"linked to OS login '{login}'" if login else "unlinked from its OS login"))
    return 0


# --- drp team -------------------------------------------------------------------

def cmd_team_list(args: argparse.Namespace) -> int:
    teams = _call(args, accounts.list_teams)
    for t in teams:
        print(f"{_safe(t.name)}  ({t.kind}; {len(t.members)} member(s), {len(t.chain)} level(s) held)")
    if not teams:
        print("(no teams yet: add one with 'drp team add NAME')")
    return 0


def cmd_team_add(args: argparse.Namespace) -> int:
    if args.kind not in accounts.TEAM_KINDS:
        raise UsageError(f"--kind: '{args.kind}' is not a kind of team (one of {', '.join(accounts.TEAM_KINDS)})")
    _call(args, accounts.add_team, args.name, args.kind)
    print(f"added team {args.name.strip()}")
    return 0


def cmd_team_set_level(args: argparse.Namespace) -> int:
    who = None if args.username == "-" else args.username
    previous = _call(args, accounts.set_team_role, args.team, args.level, who)
    was = f" (was {previous})" if previous else ""
    print(f"{args.level} in {args.team}: {who or 'nobody'}{was}")
    return 0


def cmd_team_show(args: argparse.Namespace) -> int:
    setup = _setup(args)
    try:
        t = accounts.show_team(_ctx(setup), args.team)
    except DomainError as exc:
        raise UsageError(exc.message) from None
    policy = setup.policy
    print(f"{_safe(t.name)} ({t.kind})")
    print(f"management chain under {policy.key}:")
    held = dict(t.chain)
    for level in policy.levels:
        h = held.pop(level.key, None)
        who = f"{_safe(h.name)} ({h.username})" + ("" if h.active else " - DISABLED") if h else "-"
        print(f"  {level.key:<24} {_safe(level.label):<40} {who}")
    for key, h in held.items():
        print(f"  {key:<24} {'(not a level of ' + policy.key + ')':<40} {_safe(h.name)} ({h.username})")
    print("members:")
    for u in t.members:
        print(f"  {u.username:<16} {_safe(u.name):<28} {u.role.value:<10}" + ("" if u.active else " disabled"))
    if not t.members:
        print("  (none)")
    return 0
