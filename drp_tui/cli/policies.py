"""``drp policies list | show KEY_OR_PATH | check [KEY_OR_FILE ...] [--installation] [--json] | upgrade``.

``list`` and ``check`` with no argument cover the built-in profiles. ``check``
reasons over each profile (``domain.policy_check``): every finding is computed
from the profile, with the key path (and line) it concerns; the profile's own
``notes`` follow, marked as notes. With ``--installation`` (or ``--db``) it also
checks against the installation's teams: levels the procedure needs that no team
fills (with no profile named, it checks the installation's own profile). It
exits 1 when a profile does not load (the reason on one line on stderr) or has
an "error" finding; warnings and notes are printed but do not fail it; 2 when
the installation cannot be opened.

``upgrade`` moves open disputes pinned to another profile version (or key, or
edited content) to the installation's current profile: for each it prints what
changes; it refuses, listing each by reference and why, a dispute whose current
stage (or a history stage the overall cap still needs) is gone. One audited event
per dispute moved. Exit 0 when every dispute moved (or would, with
``--dry-run``), 1 when some were refused, 2 on a setup problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from drp_tui.domain.policy import BypassRule, CafcassRule, Policy, Stage, Timescale
from drp_tui.domain.policy_check import Finding, Installation, check_installation, check_policy
from drp_tui.domain.policy_loader import (
    PolicyError,
    builtin_keys,
    load_builtin,
    resolve_policy,
)

WIDTH = 78

_BYPASS = {
    BypassRule.NONE: "none - escalate to the next stage only",
    BypassRule.ANY: "any - the chair may jump to any later stage",
    BypassRule.LISTED: "listed - the next stage, or a stage marked as a bypass target",
}
_HOLDERS = {"team": "child's team", "chair_team": "chair's service", "allocated": "allocated worker"}
_CAFCASS = {
    CafcassRule.AFTER_LAST_STAGE: "after the last stage has been used",
    CafcassRule.AFTER_ALL_STAGES: "after every stage has been used",
    CafcassRule.ANY_TIME: "at any point in the process",
    CafcassRule.NOT_APPLICABLE: "not applicable",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "policies",
        help="list, show and check policy profiles",
        description="The policy profiles: each authority's Dispute Resolution Process as data.",
    )
    parser.set_defaults(func=cmd_list)
    sub = parser.add_subparsers(dest="policies_command", metavar="ACTION")
    sub.add_parser("list", help="the built-in profiles, one a line").set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="a profile in full: vocabulary, categories, stages, rules")
    show.add_argument("policy", metavar="KEY_OR_PATH", help="a built-in key or a TOML file")
    show.set_defaults(func=cmd_show)
    check = sub.add_parser("check", help="validate profiles and report contradictions and gaps")
    check.add_argument("policy", nargs="*", metavar="KEY_OR_FILE",
                       help="default: every built-in profile (with --installation: the installation's profile)")
    check.add_argument("--installation", action="store_true",
                       help="also check against the installation's teams (levels no team fills)")
    check.add_argument("--json", action="store_true", help="one JSON object on stdout, for scripts")
    check.set_defaults(func=cmd_check)
    up = sub.add_parser("upgrade", help="move open disputes on older profile versions to the current profile")
    up.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    up.add_argument("--json", action="store_true", help="one JSON object on stdout, for scripts")
    up.set_defaults(func=cmd_upgrade)


def _fail(exc: PolicyError) -> int:
    print("drp: " + " ".join(str(exc).split()), file=sys.stderr)
    return 1


def cmd_list(args: argparse.Namespace) -> int:
    status = 0
    for key in builtin_keys():
        try:
            p = load_builtin(key)
        except PolicyError as exc:
            status = _fail(exc)
            continue
        print(f"{p.key:<22} {p.name} ({len(p.stages)} stages; {', '.join(p.applies_to)})")
    return status


def cmd_show(args: argparse.Namespace) -> int:
    try:
        policy = resolve_policy(args.policy)
    except PolicyError as exc:
        return _fail(exc)
    print("\n".join(describe_policy(policy)))
    return 0


def _installation(args: argparse.Namespace) -> tuple[Installation, str]:
    """The installation's teams (read through the services) and its profile setting."""
    from drp_tui.bootstrap import SetupError, load_setup, redact
    from drp_tui.cli import UsageError
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services.accounts import installation_chains
    from drp_tui.services.auth import current_os_login
    from drp_tui.services.errors import DomainError
    from drp_tui.services.permissions import InstallationAdmin
    from drp_tui.store.db import StoreError, close_database, open_database, sqlite_path

    try:
        setup = load_setup(args, open_db=False)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    path = sqlite_path(setup.db_target)
    if path is not None and not path.exists():
        raise UsageError(f"{path} does not exist (create it with: drp init)")
    try:
        open_database(setup.db_target, migrate=False, shared_group=setup.config.shared_group,
                      audit_key=setup.config.audit_key)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a driver error: which database and what kind, no traceback
        raise UsageError(f"cannot open database {redact(setup.db_target)}: {type(exc).__name__}") from None
    try:
        ctx = InstallationAdmin(None, setup.policy, setup.calendar, SystemClock(),  # type: ignore[arg-type]
                                os_user=current_os_login())
        return installation_chains(ctx), setup.config.policy
    except DomainError as exc:
        raise UsageError(str(exc)) from None
    finally:
        close_database()


def _where(f: Finding) -> str:
    if not f.path:
        return ""
    return f" [{f.path}" + (f", line {f.line}" if f.line is not None else "") + "]"


def cmd_check(args: argparse.Namespace) -> int:
    against = bool(args.installation or getattr(args, "db", None))
    inst: Installation | None = None
    specs = list(args.policy)
    if against:
        inst, installed = _installation(args)
        specs = specs or [installed]
    specs = specs or builtin_keys()
    status = 0
    report: list[dict[str, Any]] = []
    for spec in specs:
        try:
            policy = resolve_policy(spec)
        except PolicyError as exc:
            status = _fail(exc)
            report.append({"profile": spec, "loads": False, "error": " ".join(str(exc).split())})
            continue
        findings = check_policy(policy)
        if inst is not None:
            findings = sorted(findings + check_installation(policy, inst),
                              key=lambda f: (("error", "warning", "note").index(f.severity), f.kind == "profile_note"))
        counts = {sev: sum(f.severity == sev for f in findings) for sev in ("error", "warning", "note")}
        if counts["error"]:
            status = 1
        if args.json:
            report.append({"profile": policy.key, "path": policy.path, "loads": True,
                           "installation": inst is not None,
                           "findings": [{"kind": f.kind, "severity": f.severity, "message": f.message,
                                         "path": f.path, "line": f.line} for f in findings]})
            continue
        summary = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items() if n) or "ok"
        print(f"{policy.key} ({policy.path}){' against the installation' if inst is not None else ''}: {summary}")
        for f in findings:
            print(f"  {f.severity}: {f.message}{_where(f)}")
    if args.json:
        print(json.dumps({"profiles": report, "status": status}, indent=2))
    return status


def cmd_upgrade(args: argparse.Namespace) -> int:
    from drp_tui.bootstrap import SetupError, load_setup
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import pinning
    from drp_tui.services.auth import current_os_login
    from drp_tui.services.errors import DomainError
    from drp_tui.services.permissions import InstallationAdmin
    from drp_tui.store.db import close_database

    try:
        setup = load_setup(args)
    except SetupError as exc:
        print(f"drp: {exc}", file=sys.stderr)
        return 2
    try:
        ctx = InstallationAdmin(None, setup.policy, setup.calendar, SystemClock(),  # type: ignore[arg-type]
                                os_user=current_os_login())
        plan = pinning.plan_upgrade(ctx)
        moved: list[pinning.Move] = []
        refused: list[tuple[pinning.Move, str]] = [(mv, mv.refused) for mv in plan if mv.refused]
        for mv in plan:
            if mv.refused or args.dry_run:
                continue
            try:
                moved.append(pinning.upgrade_dispute(ctx, mv.reference))
            except DomainError as exc:  # changed since it was planned: say so, keep going
                refused.append((mv, str(exc)))
    finally:
        close_database()
    ready = [mv for mv in plan if not mv.refused] if args.dry_run else moved
    policy = setup.policy
    if args.json:
        def one(mv: pinning.Move) -> dict[str, Any]:
            return {"reference": mv.reference, "from": {"key": mv.from_key, "version": mv.from_version,
                                                        "digest": mv.from_digest}, "changes": list(mv.changes)}
        print(json.dumps({
            "to": {"key": policy.key, "version": policy.version, "digest": policy.digest},
            "dry_run": bool(args.dry_run),
            ("would_move" if args.dry_run else "moved"): [one(mv) for mv in ready],
            "refused": [{**one(mv), "reason": why} for mv, why in refused],
        }, indent=2))
        return 1 if refused else 0
    verb = "would move" if args.dry_run else "moved"
    print(f"current profile: {policy.key} v{policy.version} ({policy.digest[:12]})")
    if not plan:
        print("every open dispute already runs under it: nothing to do")
        return 0
    for mv in ready:
        print(f"{verb}  {mv.reference}  from {mv.from_key} v{mv.from_version}")
        for line in mv.changes or ("no rule that matters to it changes",):
            print(f"    {line}")
    for mv, why in refused:
        print(f"REFUSED  {mv.reference}  from {mv.from_key} v{mv.from_version}: {why}")
    print(f"{len(ready)} {verb}, {len(refused)} refused" + (" (nothing changed: --dry-run)" if args.dry_run else ""))
    return 1 if refused else 0


# --- describing a profile -------------------------------------------------------
def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    first = indent if first is None else first
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=indent) or [first.rstrip()]


def _levels(policy: Policy, keys: tuple[str, ...]) -> str:
    return ", ".join(policy.level_label(k) for k in keys) or "-"


def _ts(t: Timescale) -> str:
    return t.describe() if t.is_set else "-"


def _flags(s: Stage) -> str:
    flags = [
        (s.informal, "informal"),
        (s.may_start, "may start"),
        (s.meeting_expected, "meeting expected"),
        (s.requires_approval, "needs approval first"),
        (s.bypass_target, "bypass target"),
    ]
    return ", ".join(name for on, name in flags if on) or "-"


def describe_policy(policy: Policy) -> list[str]:
    """The profile as readable lines of at most ``WIDTH`` characters (long words aside)."""
    v, r = policy.vocabulary, policy.rules
    out = [f"{policy.key} - {policy.name}"]
    out += _wrap(f"version {policy.version}; source {policy.source}; applies to {', '.join(policy.applies_to)}", "  ")
    out += _wrap(f"file {policy.path}", "  ")
    if policy.facts:
        out += _wrap("; ".join(f"{f.key}: {f.label}" for f in policy.facts), "  ", "  facts asked: ")
    if policy.statuses:
        out += _wrap("; ".join(f"{st.key}: {st.label}" for st in policy.statuses), "  ", "  own statuses: ")
    out += ["", "Vocabulary"]
    out += _wrap(f"process: {v.process} ({v.short}); references {policy.reference(2026, 42)}", "  ")
    out += [f"  chair: {v.chair_title}; concern word: {v.concern_word}; stage word: {v.stage_word}"]
    out += ["", "Levels"]
    for lv in policy.levels:
        out += _wrap(f"{lv.label} [{_HOLDERS.get(lv.holder, lv.holder)}]", " " * 6, f"  {lv.key}: ")
    out += ["", "Categories"]
    for c in policy.categories:
        out += _wrap(c.label + (f" - {c.description}" if c.description else ""), " " * 6, f"  {c.key}: ")
    out += ["", "Stages"]
    for i, s in enumerate(policy.stages, 1):
        out += _wrap(f"{s.label} [{s.key}, section {s.section}]", " " * 6, f"  {i}. ")
        out += _wrap(policy.responders_label(s) + ("" if s.response_expected else " (no response expected)"),
                     " " * 16, "     responder: ")
        out += _wrap(_levels(policy, s.inform_levels), " " * 16, "     informs:   ")
        for c in s.inform_when:
            fact = next((f.label for f in policy.facts if f.key == c.when), c.when)
            out += _wrap(f"{policy.level_label(c.level)} (only if: {fact})", " " * 16, "     informs:   ")
        if s.inform_teams:
            out += _wrap(", ".join(s.inform_teams) + " (every member)", " " * 16, "     teams:     ")
        if s.response_to_levels:
            out += _wrap(_levels(policy, s.response_to_levels), " " * 16, "     response:  ")
        out += [f"     timescale: {_ts(s.timescale)}", f"     flags:     {_flags(s)}"]
        if s.meeting is not None:
            by = policy.level_label(s.meeting.arranged_by) if s.meeting.arranged_by else v.chair_title
            out += _wrap(f"within {_ts(s.meeting.within)}, arranged by {by}", " " * 16, "     meeting:   ")
        if s.monitoring.is_set:
            out += [f"     monitoring: {_ts(s.monitoring)} after the agreed outcome"]
        for name, parties in (("sent by", s.sent_by), ("escalated by", s.escalated_by), ("closed by", s.closed_by)):
            if tuple(parties) != ("chair",) or (name == "closed by" and s.close_needs_all):
                who = (" and " if name == "closed by" and s.close_needs_all else " or ").join(
                    policy.party_label(p) for p in parties)
                out += _wrap(who + (" (all must be satisfied)" if name == "closed by" and s.close_needs_all else ""),
                             " " * 19, f"     {name + ':':<14}")
        if s.guidance:
            out += _wrap(s.guidance, " " * 16, "     guidance:  ")
    out += ["", "Rules"]
    rows = [
        ("raise within", _ts(r.raise_window)),
        ("negotiation", _ts(r.negotiation_window)),
        ("bypass", _BYPASS[r.bypass]),
    ]
    for cap in r.caps:
        span = f"{cap.from_stage} to {cap.to_stage or 'the last stage'}"
        rows.append(("overall cap", f"{cap.working_days} working days, {span}" + (f" ({cap.label})" if cap.label else "")))
    ext = "no" if not r.extensions_allowed else "yes, with a recorded reason" if r.extension_needs_reason else "yes"
    rows += [
        ("extensions", ext),
        ("monitoring", _ts(r.monitoring_meeting)),
        ("immediate", f"within {_ts(r.immediate_concern)}; written record within {_ts(r.immediate_written_record)}"),
        ("approval by", policy.level_label(r.approval_level) if r.approval_level else "-"),
        ("Cafcass", f"{_CAFCASS[r.cafcass]}"
                    + (f" ({', '.join(s.label for s in policy.cafcass_required_stages())})"
                       if r.cafcass is CafcassRule.AFTER_ALL_STAGES else "")
                    + ("; the referral closes the dispute" if r.cafcass_ends_dispute
                       else "; the referral runs alongside, the dispute stays open")
                    + f"; discuss first: {_levels(policy, r.cafcass_tell_levels)}"),
        ("legal advice", f"discuss first: {_levels(policy, r.legal_advice_tell_levels)}"),
        ("compliments", "yes" if r.compliments else "no"),
        ("siblings", "one linked dispute per sibling" if r.siblings_together else "-"),
        ("due soon", f"within {r.due_soon_working_days} working day(s)" if r.due_soon_working_days
                     else "never (0: only due today, then overdue)"),
    ]
    if r.not_for:
        rows.append(("not for", r.not_for))
    for a in policy.approvals:
        span = ("a Cafcass referral" if a.on == "cafcass_referral" else
                f"{a.on} {('from ' + a.from_stage + ' ') if a.from_stage else ''}to {a.to_stage or 'any stage'}")
        rows.append(("approval", f"{span}: {policy.level_label(a.level)}" + (f" ({a.source})" if a.source else "")))
    for name, value in rows:
        out += _wrap(value, " " * 17, f"  {name + ':':<15}")
    if policy.local:
        out += ["", "Local (the authority's own keys; the desk does not read them)"]
        for name, value in policy.local.items():
            out += _wrap(str(value), " " * 6, f"  {name}: ")
    if policy.notes:
        out += ["", "Notes"]
        for note in policy.notes:
            out += _wrap(note, "    ", "  - ")
    return out
