"""What a valid profile still gets wrong: findings computed from the profile itself.

:func:`check_policy` reasons over a loaded :class:`Policy` (nothing here reads a
file, the clock or the database): every finding is derived from the stages, levels
and rules, never copied from the author's text. The profile's own ``notes`` are
added last, marked as notes (kind ``profile_note``).

:func:`check_installation` does the same against what an installation has: which
teams hold which levels (:class:`Installation`, read by the services), so a
responder or approval level that no team fills is found before a dispute needs it.

Each :class:`Finding` names its kind, severity (``error`` = the desk cannot run the
procedure as written; ``warning`` = it can, but a dispute will hit the problem, or
the procedure contradicts itself (an overall cap its own stages overrun);
``note`` = worth knowing), the profile key path it concerns (``stages[2].timescale``;
array entries count from 0) and, when the profile has TOML text, its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drp_tui.domain.policy import CHAIR as chair_party, BypassRule, CafcassRule, ClockFrom, Policy, RaiseMetBy, Stage, Timescale

SEVERITIES = ("error", "warning", "note")

# Kinds of finding (stable names, for scripts and tests).
CAP_OVERRUN = "cap_overrun"  # a path through the stages overruns an overall cap (a warning: see below)
CAP_UNCHECKED = "cap_unchecked"  # a stage on a capped path has no working-day timescale
CAP_SLACK = "cap_slack"  # the longest path fits inside a cap, with days to spare
UNREACHABLE = "unreachable_stage"  # neither a starting stage nor reached by escalation
BYPASS_CANNOT_START = "bypass_cannot_start"  # a bypass target a dispute may not start at
BYPASS_NO_EFFECT = "bypass_no_effect"  # bypass targets that the bypass rule ignores (or none listed)
UNKNOWN_LEVEL = "unknown_level"  # a level named that no [[levels]] entry defines
UNKNOWN_STAGE = "unknown_stage"  # a stage named that no [[stages]] entry defines
WINDOW_NEVER_MET = "window_never_met"  # a window that leaves no time, or ends before what must come first
COPIES_TO_NOBODY = "copies_to_nobody"  # for-information copies that resolve to nobody
NO_APPROVER = "no_approver"  # requires_approval with no approval level
APPROVAL_UNUSED = "approval_unused"  # an approval level named but no stage requires approval
NO_TIMESCALE = "no_timescale"  # a stage with no response timescale
STAGE_ORDER = "stage_order"  # an informal stage after a formal one
UNUSED_LEVEL = "unused_level"  # a level nothing uses
NO_EFFECT = "no_effect"  # a rule that changes nothing as set
NO_CATEGORIES = "no_categories"
FILE_NAME = "file_name"  # the profile key differs from its file name
UNFILLED_LEVEL = "unfilled_level"  # (installation) a level no team fills
PROFILE_NOTE = "profile_note"  # the author's own note, kept as written

MAX_PATHS = 5000  # distinct capped paths examined per cap (bypass "any" doubles them per stage)


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # "error", "warning" or "note"
    message: str
    path: str = ""  # the profile key path it concerns ("" = the profile as a whole)
    line: int | None = None  # its line in the profile's TOML text, when it has one


# --- the installation, as the services read it --------------------------------------
@dataclass(frozen=True)
class TeamCover:
    """One team: the levels an active member holds in it, and who it serves."""

    name: str
    kind: str  # "social_care" (children's teams) or "iro_service" (the chairs' service)
    holds: frozenset[str] = frozenset()
    children: int = 0  # children whose team this is
    unallocated: int = 0  # ... of them with no active allocated social worker
    chairs: int = 0  # active chairs whose own team this is
    oversight: int = 0  # active oversight accounts in it
    members: int = -1  # active staff whose own team this is (-1: not counted)


@dataclass(frozen=True)
class Installation:
    teams: tuple[TeamCover, ...] = field(default=())


# --- where a key path sits in the TOML text -------------------------------------------
_ARRAY_TABLE = re.compile(r"^\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]")
_TABLE = re.compile(r"^\[\s*([A-Za-z0-9_.\-]+)\s*\]")
_ASSIGN = re.compile(r"^([A-Za-z0-9_\-]+)\s*=\s*(.*)$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each key path assigned in TOML ``text`` (tables, array-of-table
    entries, keys, and the entries of a multi-line array of inline tables). JSON (or any
    text that is not TOML-shaped) gives an empty map."""
    out: dict[str, int] = {}
    if text.lstrip().startswith("{"):
        return out
    counts: dict[str, int] = {}
    prefix = ""
    depth = 0  # open brackets of a value spanning lines
    array_path = ""
    items = 0
    in_multiline = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
            in_multiline = not in_multiline
            if not in_multiline:
                continue  # the line that closes a multi-line string
        elif in_multiline:
            continue
        code = _STRING.sub('""', line).split("#", 1)[0].strip()
        if not code:
            continue
        if depth > 0:
            if code.startswith(("{", '"', "'")) and depth == 1:
                out.setdefault(f"{array_path}[{items}]", n)
                items += 1
            depth += code.count("[") - code.count("]")
            continue
        m = _ARRAY_TABLE.match(code)
        if m:
            name = m.group(1)
            counts[name] = counts.get(name, -1) + 1
            prefix = f"{name}[{counts[name]}]"
            out.setdefault(prefix, n)
            continue
        m = _TABLE.match(code)
        if m:
            prefix = m.group(1)
            out.setdefault(prefix, n)
            continue
        m = _ASSIGN.match(code)
        if m:
            path = f"{prefix}.{m.group(1)}" if prefix else m.group(1)
            out.setdefault(path, n)
            opened = m.group(2).count("[") - m.group(2).count("]")
            if opened > 0:
                depth, array_path, items = opened, path, 0
                first = m.group(2).lstrip()[1:].lstrip()
                if m.group(2).lstrip().startswith("[") and first.startswith(("{", '"', "'")):
                    out.setdefault(f"{path}[0]", n)  # the first entry on the opening line
                    items = 1
    return out


def _line(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, else of its nearest parent that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


# --- the checks ---------------------------------------------------------------------
class _Out:
    def __init__(self, policy: Policy) -> None:
        self.items: list[Finding] = []
        self.lines = key_lines(policy.text)

    def add(self, kind: str, severity: str, message: str, path: str = "") -> None:
        self.items.append(Finding(kind, severity, message, path, _line(self.lines, path)))

    def sorted(self) -> list[Finding]:
        return sorted(self.items, key=lambda f: (SEVERITIES.index(f.severity), f.kind == PROFILE_NOTE))


def _ts(t: Timescale) -> str:
    return t.describe()


def most_working_days(calendar_days: int) -> int:
    """The most working days ``calendar_days`` consecutive days after a start day can hold (every
    weekday a working day): 7 calendar days hold at most 5, 3 at most 3."""
    weeks, rest = divmod(calendar_days, 7)
    return 5 * weeks + min(rest, 5)


def _cap_days(t: Timescale) -> int | None:
    """A stage's timescale as working days against a working-day cap: calendar days as the most
    working days they can hold (so a path is never reported inside a cap it might overrun)."""
    if t.working_days is not None:
        return t.working_days
    if t.calendar_days is not None:
        return most_working_days(t.calendar_days)
    return None


def _cap_term(t: Timescale) -> str:
    if t.working_days is not None:
        return str(t.working_days)
    if t.calendar_days is not None:
        return f"{most_working_days(t.calendar_days)} ({t.calendar_days} calendar days)"
    return "?"


def _stage_path(policy: Policy, key: str, sub: str = "") -> str:
    return f"stages[{policy.stage_index(key)}]" + (f".{sub}" if sub else "")


def reachable_stages(policy: Policy) -> set[str]:
    """Stage keys a dispute can ever be at: a starting stage, or one escalation leads to."""
    seen: set[str] = set()
    todo = [s.key for s in policy.starting_stages()]
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(t.key for t in policy.escalation_targets(key))
    return seen


def stage_paths(policy: Policy, limit: int = MAX_PATHS) -> list[tuple[Stage, ...]]:
    """Every maximal route a dispute can take: from each starting stage, escalating
    (bypasses included) until no stage is left. At most ``limit`` routes."""
    out: list[tuple[Stage, ...]] = []
    stack: list[tuple[Stage, ...]] = [(s,) for s in reversed(policy.starting_stages())]
    while stack and len(out) < limit:
        path = stack.pop()
        targets = policy.escalation_targets(path[-1].key)
        if not targets:
            out.append(path)
        stack.extend(path + (t,) for t in reversed(targets))
    return out


def _check_levels(policy: Policy, out: _Out) -> None:
    known = {lv.key for lv in policy.levels}

    def ref(key: str, path: str, what: str) -> None:
        if key and key not in known:
            out.add(UNKNOWN_LEVEL, "error", f"{what} names level {key!r}, which no [[levels]] entry defines "
                                            f"(levels: {', '.join(sorted(known))})", path)

    for i, s in enumerate(policy.stages):
        if s.responder_levels:
            for j, lv in enumerate(s.responder_levels):
                ref(lv, f"stages[{i}].responder_levels[{j}]", f"stage {s.key!r} responders (responder_levels)")
        else:
            ref(s.responder_level, f"stages[{i}].responder_level", f"stage {s.key!r} responder")
        for j, lv in enumerate(s.inform_levels):
            ref(lv, f"stages[{i}].inform_levels[{j}]", f"stage {s.key!r} copies (inform_levels)")
        for c in s.inform_when:
            ref(c.level, f"stages[{i}].inform_levels", f"stage {s.key!r} conditional copy")
        for j, lv in enumerate(s.response_to_levels):
            ref(lv, f"stages[{i}].response_to_levels[{j}]", f"stage {s.key!r} response copies")
        if s.meeting is not None:
            ref(s.meeting.arranged_by, f"stages[{i}].meeting.arranged_by", f"stage {s.key!r} meeting arranger")
    r = policy.rules
    ref(r.approval_level, "rules.approval_level", "the approval level")
    for name, levels in (("cafcass_tell_levels", r.cafcass_tell_levels),
                         ("legal_advice_tell_levels", r.legal_advice_tell_levels)):
        for j, lv in enumerate(levels):
            what = "who to tell before a Cafcass referral" if name.startswith("cafcass") else \
                "who to tell before seeking legal advice"
            ref(lv, f"rules.{name}[{j}]", what)
    stages = {s.key for s in policy.stages}
    for i, cap in enumerate(r.caps):
        for end in ("from_stage", "to_stage"):
            key = getattr(cap, end)
            if key is not None and key not in stages:
                out.add(UNKNOWN_STAGE, "error", f"overall cap {i} names stage {key!r}, which no [[stages]] entry "
                                                f"defines", f"rules.caps[{i}].{end}")


def _check_reach(policy: Policy, out: _Out) -> None:
    reachable = reachable_stages(policy)
    for s in policy.stages:
        if s.key not in reachable:
            out.add(UNREACHABLE, "error", f"stage {s.key!r} can never be reached: it may not start a dispute "
                                          "and no escalation leads to it", _stage_path(policy, s.key, "may_start"))
    r = policy.rules
    targets = [s for s in policy.stages if s.bypass_target]
    if r.bypass is BypassRule.LISTED:
        if not targets:
            out.add(BYPASS_NO_EFFECT, "warning", "rules.bypass is 'listed' but no stage has bypass_target = true: "
                                                 "only the next stage can ever be reached", "rules.bypass")
        first = policy.stages[0].key
        for s in targets:
            if s.key == first:
                out.add(BYPASS_NO_EFFECT, "note", f"stage {s.key!r} is a bypass target but it is the first stage: "
                                                  "nothing can jump to it", _stage_path(policy, s.key, "bypass_target"))
            elif not s.may_start:
                earlier = [t.key for t in policy.starting_stages()
                           if policy.stage_index(t.key) < policy.stage_index(s.key)]
                out.add(BYPASS_CANNOT_START, "warning",
                        f"stage {s.key!r} is a bypass target (a chair may jump straight to it) but may_start = false: "
                        f"a dispute that should go straight there must first be raised at "
                        f"{', '.join(earlier) or 'an earlier stage'} and escalated; set may_start = true if the "
                        "procedure lets a dispute start there", _stage_path(policy, s.key, "may_start"))
    elif r.bypass is BypassRule.ANY:
        closed = [s for s in policy.stages[1:] if not s.may_start]
        if closed:
            out.add(BYPASS_CANNOT_START, "note",
                    f"rules.bypass is 'any', so a chair may jump straight to {', '.join(s.key for s in closed)}, "
                    "but a dispute may not start there (may_start = false): check that the procedure means that",
                    _stage_path(policy, closed[0].key, "may_start"))
    if r.bypass is not BypassRule.LISTED and targets:
        out.add(BYPASS_NO_EFFECT, "note", f"bypass_target on {', '.join(s.key for s in targets)} has no effect "
                                          f"unless rules.bypass is 'listed' (it is {r.bypass.value!r})",
                _stage_path(policy, targets[0].key, "bypass_target"))


def _check_caps(policy: Policy, out: _Out) -> None:
    paths = stage_paths(policy)
    for i, cap in enumerate(policy.rules.caps):
        try:
            lo = policy.stage_index(cap.from_stage)
            hi = policy.stage_index(cap.to_stage) if cap.to_stage else len(policy.stages) - 1
        except KeyError:
            continue  # reported as unknown_stage
        where = f"rules.caps[{i}]"
        name = f"the overall cap of {cap.working_days} working days" + (f" ({cap.label!r})" if cap.label else "")
        capped: dict[tuple[str, ...], tuple[Stage, ...]] = {}
        for p in paths:
            inside = tuple(s for s in p if lo <= policy.stage_index(s.key) <= hi)
            if inside:
                capped.setdefault(tuple(s.key for s in inside), inside)
        if not capped:
            continue
        unchecked = sorted({s.key for seq in capped.values() for s in seq
                            if _cap_days(s.timescale) is None and s.response_expected},
                           key=policy.stage_index)
        if unchecked:
            out.add(CAP_UNCHECKED, "warning", f"{', '.join(unchecked)} have no working-day timescale to check "
                                              f"against {name}", where)
        chairs = sorted({s.key for seq in capped.values() for s in seq if s.chair_sets_timescale},
                        key=policy.stage_index)
        if chairs:
            out.add(CAP_UNCHECKED, "note", f"{', '.join(chairs)}: the chair sets the length (chair_sets_timescale); "
                                           f"{name} is checked with the usual timescale, and a longer day the chair "
                                           "sets may overrun it", where)

        def total(seq: tuple[Stage, ...]) -> int:
            return sum(_cap_days(s.timescale) or 0 for s in seq)

        ranked = sorted(capped.values(), key=lambda seq: (-total(seq), -len(seq)))
        longest = ranked[0]
        days = total(longest)
        sums = "+".join(_cap_term(s.timescale) for s in longest)
        route = " > ".join(s.key for s in longest)
        what = f"on the path {route} the stage timescales add up to {days} working days ({sums})"
        over = [seq for seq in ranked if total(seq) > cap.working_days]
        if over:
            others = "; ".join(f"{' > '.join(s.key for s in seq)}: {total(seq)}" for seq in over[1:4])
            more = f" (also {others}{' ...' if len(over) > 4 else ''})" if others else ""
            # a warning, not an error: the desk still runs (the cap's clock shows overdue), and a
            # profile must be able to record a procedure that contradicts itself as it is written
            every = ("every path through the cap overruns it, so it can never be kept by a dispute that "
                     "reaches its end" if len(over) == len(ranked)
                     else f"{len(over)} of {len(ranked)} paths through the cap overrun it{more}")
            out.add(CAP_OVERRUN, "warning", f"{what}, more than {name}: a dispute escalated along it on time "
                                           f"overruns the cap by {days - cap.working_days}; {every}", where)
        elif days < cap.working_days and not unchecked:
            out.add(CAP_SLACK, "note", f"{what}, {cap.working_days - days} inside {name}", where)


def _zero(t: Timescale) -> bool:
    return t.working_days == 0 or t.hours == 0 or t.calendar_days == 0


def _longer(a: Timescale, b: Timescale) -> bool:
    """``a`` surely ends after ``b`` when both start together (the same unit; or working days
    against calendar days: N working days span at least N calendar days)."""
    if a.working_days is not None and b.working_days is not None:
        return a.working_days > b.working_days
    if a.calendar_days is not None and b.calendar_days is not None:
        return a.calendar_days > b.calendar_days
    if a.working_days is not None and b.calendar_days is not None:
        return a.working_days > b.calendar_days
    if a.hours is not None and b.hours is not None:
        return a.hours > b.hours
    return False


def _check_windows(policy: Policy, out: _Out) -> None:
    r = policy.rules
    for s in policy.stages:
        if not s.response_expected:
            if s.timescale.is_set:  # a report or notice: nothing is awaited, so no clock runs
                out.add(NO_EFFECT, "warning", f"stage {s.key!r} ({s.label}) expects no response "
                                              "(response_expected = false), so its timescale starts no clock",
                        _stage_path(policy, s.key, "timescale"))
            continue
        if not s.timescale.is_set:
            out.add(NO_TIMESCALE, "warning", f"stage {s.key!r} ({s.label}) has no response timescale: no due date "
                                             "can be set", _stage_path(policy, s.key, "timescale"))
        elif s.timescale.hours == 0:
            out.add(WINDOW_NEVER_MET, "error", f"stage {s.key!r} has a timescale of 0 hours: every response is "
                                               "late the moment the stage is sent", _stage_path(policy, s.key, "timescale"))
        elif s.timescale.working_days == 0 or s.timescale.calendar_days == 0:
            out.add(WINDOW_NEVER_MET, "warning", f"stage {s.key!r} has a timescale of {_ts(s.timescale)}: the "
                                                 "response is due by the end of the day it is sent",
                    _stage_path(policy, s.key, "timescale"))
        _check_stage_start(policy, s, out)
    if _zero(r.negotiation_window):
        out.add(WINDOW_NEVER_MET, "error", f"rules.negotiation_window is {_ts(r.negotiation_window)}: the further "
                                           "work agreed is due the moment it is agreed, so it can never be done in "
                                           "time", "rules.negotiation_window")
    if _zero(r.monitoring_meeting):
        out.add(WINDOW_NEVER_MET, "error", f"rules.monitoring_meeting is {_ts(r.monitoring_meeting)}: no monitoring "
                                           "meeting is ever scheduled (0 means none); leave it out if there is none",
                "rules.monitoring_meeting")
    for name in ("raise_window", "immediate_concern", "immediate_written_record"):
        t: Timescale = getattr(r, name)
        if t.hours == 0:
            out.add(WINDOW_NEVER_MET, "error", f"rules.{name} is 0 hours: it is missed as soon as the issue arises",
                    f"rules.{name}")
    for i, cap in enumerate(r.caps):
        if cap.working_days == 0:
            out.add(WINDOW_NEVER_MET, "error", "an overall cap of 0 working days can never be kept",
                    f"rules.caps[{i}].working_days")
    # a window that must be met after something else that has a longer window of its own
    if r.immediate_written_record.is_set and r.immediate_concern.is_set and \
            _longer(r.immediate_concern, r.immediate_written_record):
        out.add(WINDOW_NEVER_MET, "warning",
                f"the written record of an immediate concern is due within {_ts(r.immediate_written_record)} of the "
                f"issue, but it follows the discussions, which may take {_ts(r.immediate_concern)}: a chair who "
                "uses the time allowed for the discussions cannot meet it", "rules.immediate_written_record")
    raise_from = r.raise_window.counted_from(ClockFrom.ISSUE_AROSE)
    if r.raise_window.is_set and raise_from is ClockFrom.SENT:
        out.add(NO_EFFECT, "warning", "rules.raise_window is counted from the stage being sent (from = \"sent\"): "
                                      "the sending starts it and meets it, so it can never be missed",
                "rules.raise_window.from")
    if r.raise_window.is_set and raise_from is ClockFrom.FORMAL_START and r.raise_window_met_by is RaiseMetBy.RAISED:
        out.add(NO_EFFECT, "warning", "rules.raise_window runs from the start of the formal process but is met by "
                                      "raising the dispute, which comes first: it can never be missed",
                "rules.raise_window_met_by")
    if r.raise_window.is_set and raise_from is ClockFrom.FORMAL_START and all(s.informal for s in policy.stages):
        out.add(WINDOW_NEVER_MET, "warning", "rules.raise_window runs from the start of the formal process, but "
                                             "every stage is informal: it never starts", "rules.raise_window.from")
    if r.raise_window.is_set and r.raise_window_met_by is RaiseMetBy.SENT and raise_from is ClockFrom.ISSUE_AROSE:
        starts = policy.starting_stages()
        formal_later = [s for s in policy.stages if not s.informal]
        if starts and formal_later and all(s.informal for s in starts):
            slow = [s for s in starts if _longer(s.timescale, r.raise_window)]
            if slow:
                out.add(WINDOW_NEVER_MET, "warning",
                        f"the raise window ({_ts(r.raise_window)}, met by sending) is shorter than the informal "
                        f"stage that must come first ({', '.join(f'{s.key}: {_ts(s.timescale)}' for s in slow)}): "
                        f"the formal report ({formal_later[0].key}) can never be sent within it once the informal "
                        "stage takes the time it is given, and as written the window is met by sending the informal "
                        "stage instead", "rules.raise_window")
    if r.immediate_written_record.is_set and not r.immediate_concern.is_set:
        out.add(NO_EFFECT, "warning", "rules.immediate_written_record is set but rules.immediate_concern is not: "
                                      "there is no immediate concern for it to follow", "rules.immediate_written_record")
    if not r.extensions_allowed and not r.extension_needs_reason and not any(s.chair_sets_timescale
                                                                             for s in policy.stages):
        out.add(NO_EFFECT, "note", "rules.extension_needs_reason = false has no effect: extensions are not allowed "
                                   "(and no stage's length is the chair's to lengthen)",
                "rules.extension_needs_reason")


def _check_stage_start(policy: Policy, s: Stage, out: _Out) -> None:
    """A stage's clock counted from an event that cannot have happened when it is sent."""
    frm = s.timescale.counted_from(ClockFrom.SENT)
    path = _stage_path(policy, s.key, "timescale.from")
    if frm is ClockFrom.FORMAL_START and s.informal:
        before = policy.stages[:policy.stage_index(s.key)]
        if all(t.informal for t in before):
            out.add(NO_EFFECT, "warning", f"stage {s.key!r} is informal and no formal stage comes before it: "
                                          "the formal process has not started when it is sent, so its clock "
                                          "runs from the sending", path)
    if frm is not ClockFrom.SENT and s.chair_sets_timescale:
        out.add(NO_EFFECT, "note", f"stage {s.key!r}: the chair sets its due day when sending; "
                                   f"from = {frm.value!r} applies only when no day is set", path)


def _check_copies(policy: Policy, out: _Out) -> None:
    facts = {f.key for f in policy.facts}
    used_facts: set[str] = set()
    for s in policy.stages:
        path = _stage_path(policy, s.key, "inform_levels")
        for c in s.inform_when:
            used_facts.add(c.when)
            if c.when not in facts:
                out.add(COPIES_TO_NOBODY, "warning", f"stage {s.key!r} copies {c.level!r} only when {c.when!r}, "
                                                     "which is not one of the profile's [[facts]]: the raise form "
                                                     "never asks it, so that copy goes to nobody", path)
            elif c.level == s.responder_level:
                out.add(COPIES_TO_NOBODY, "note", f"stage {s.key!r} copies its own responder level {c.level!r} "
                                                  f"when {c.when!r}: the responder already receives it", path)
            elif c.level in s.inform_levels:
                out.add(COPIES_TO_NOBODY, "note", f"stage {s.key!r} copies {c.level!r} always and again only when "
                                                  f"{c.when!r}: the condition changes nothing", path)
        for j, team in enumerate(s.inform_teams):
            if team in s.inform_teams[:j]:
                out.add(COPIES_TO_NOBODY, "note", f"stage {s.key!r} names team {team!r} twice in inform_teams",
                        _stage_path(policy, s.key, f"inform_teams[{j}]"))
        if not s.inform_levels:
            continue
        seen: set[str] = set()
        for j, lv in enumerate(s.inform_levels):
            path = _stage_path(policy, s.key, f"inform_levels[{j}]")
            if lv in s.answering_levels:
                out.add(COPIES_TO_NOBODY, "note", f"stage {s.key!r} copies its own responder level {lv!r}: the "
                                                  "responder already receives it, so that copy goes to nobody", path)
            elif lv in seen:
                out.add(COPIES_TO_NOBODY, "note", f"stage {s.key!r} names level {lv!r} twice in inform_levels", path)
            seen.add(lv)
        others = {c.level for c in s.inform_when} | set(s.inform_teams)
        mine = set(s.answering_levels)
        if not seen - mine and not others - mine:
            out.add(COPIES_TO_NOBODY, "warning",
                    f"stage {s.key!r} lists copies for information, but after leaving out its own responders "
                    f"({', '.join(repr(x) for x in s.answering_levels)}) they go to nobody",
                    _stage_path(policy, s.key, "inform_levels"))
    for i, f in enumerate(policy.facts):
        if f.key not in used_facts:
            out.add(NO_EFFECT, "note", f"fact {f.key!r} ({f.label}) is asked when raising but no copy depends on it",
                    f"facts[{i}]")
    r = policy.rules
    if r.cafcass is CafcassRule.NOT_APPLICABLE and r.cafcass_tell_levels:
        out.add(NO_EFFECT, "warning", "rules.cafcass_tell_levels is set but Cafcass referral is not applicable",
                "rules.cafcass_tell_levels")
    _check_cafcass(policy, out)


def _check_cafcass(policy: Policy, out: _Out) -> None:
    """Referral rules that do nothing as set."""
    r = policy.rules
    if r.cafcass is CafcassRule.NOT_APPLICABLE and not r.cafcass_ends_dispute:
        out.add(NO_EFFECT, "warning", "rules.cafcass_ends_dispute is false but Cafcass referral is not applicable",
                "rules.cafcass_ends_dispute")
    if r.cafcass_after_stages and r.cafcass is not CafcassRule.AFTER_ALL_STAGES:
        out.add(NO_EFFECT, "warning", "rules.cafcass_after_stages is set but only counts with "
                                      "cafcass = \"after_all_stages\"", "rules.cafcass_after_stages")


def _check_meetings(policy: Policy, out: _Out) -> None:
    """Stage meetings and monitoring that leave no time, or a meeting due after its stage's response."""
    for s in policy.stages:
        m = s.meeting
        if m is not None and _zero(m.within):
            out.add(WINDOW_NEVER_MET, "error", f"stage {s.key!r} meeting is due within {_ts(m.within)}: it can never be "
                                               "held in time", _stage_path(policy, s.key, "meeting"))
        elif m is not None and m.within.is_set and s.timescale.is_set and _longer(m.within, s.timescale):
            out.add(WINDOW_NEVER_MET, "note", f"stage {s.key!r} meeting may be held up to {_ts(m.within)} after sending, "
                                              f"later than the response it should inform ({_ts(s.timescale)})",
                    _stage_path(policy, s.key, "meeting"))
        if _zero(s.monitoring):
            out.add(WINDOW_NEVER_MET, "error", f"stage {s.key!r} monitoring is {_ts(s.monitoring)}: no monitoring "
                                               "meeting could ever be on time", _stage_path(policy, s.key, "monitoring"))


def _check_approval(policy: Policy, out: _Out) -> None:
    r = policy.rules
    needing = [s.key for s in policy.stages if s.requires_approval]
    if needing and not r.approval_level:
        noted = any("oversight" in n.lower() for n in policy.notes)
        out.add(NO_APPROVER, "note" if noted else "warning",
                f"stages {', '.join(needing)} require approval but rules.approval_level names no level: any "
                "oversight account in the chair's own team is asked instead"
                + (" (a profile note says so)" if noted else "; name the level, or add a note that oversight "
                                                             "approves"),
                _stage_path(policy, needing[0], "requires_approval"))
    if r.approval_level and not needing:
        out.add(APPROVAL_UNUSED, "note", f"rules.approval_level {r.approval_level!r} is named but no stage has "
                                         "requires_approval = true", "rules.approval_level")
    if r.approval_level and any(lv.key == r.approval_level for lv in policy.levels) \
            and policy.level(r.approval_level).holder != "chair_team":
        out.add(NO_APPROVER, "warning", f"rules.approval_level {r.approval_level!r} is not held in the chair's own "
                                        "service (holder is not 'chair_team'): the child's team would approve its "
                                        "own escalation", "rules.approval_level")


def _check_gates(policy: Policy, out: _Out) -> None:
    """[[approvals]] that can never apply, and who-acts lists that change nothing."""
    for i, a in enumerate(policy.approvals):
        p = f"approvals[{i}]"
        if a.on == "bypass" and a.to_stage:
            sources = [s.key for s in policy.stages[:policy.stage_index(a.to_stage)]
                       if not a.from_stage or s.key == a.from_stage]
            if not any(policy.entry_kind(f, a.to_stage) == "bypass" and
                       any(t.key == a.to_stage for t in policy.escalation_targets(f)) for f in sources):
                out.add(NO_EFFECT, "warning", f"approval on bypass to {a.to_stage!r} never applies: the bypass rule "
                                              f"({policy.rules.bypass.value}) never jumps there", f"{p}.to")
        if a.on == "cafcass_referral" and policy.rules.cafcass is CafcassRule.NOT_APPLICABLE:
            out.add(NO_EFFECT, "warning", "approval on a Cafcass referral never applies: rules.cafcass is "
                                          "not_applicable", f"{p}.on")
        if a.on == "escalate" and a.to_stage and policy.stage_index(a.to_stage) == 0:
            out.add(NO_EFFECT, "warning", f"approval on escalating to {a.to_stage!r} never applies: it is the first "
                                          "stage", f"{p}.to")
    for s in policy.stages:
        if s.close_needs_all and len(s.closed_by) < 2:
            out.add(NO_EFFECT, "note", f"stage {s.key!r}: close_needs_all with one closing party changes nothing",
                    _stage_path(policy, s.key, "close_needs_all"))


def _check_rest(policy: Policy, out: _Out) -> None:
    stages, r = policy.stages, policy.rules
    for i, s in enumerate(stages):
        if s.informal and any(not t.informal for t in stages[:i]):
            out.add(STAGE_ORDER, "warning", f"informal stage {s.key!r} comes after a formal stage",
                    _stage_path(policy, s.key, "informal"))
    used = {lv for s in stages for lv in s.answering_levels} | {lv for s in stages for lv in s.inform_levels}
    used |= {c.level for s in stages for c in s.inform_when} | {lv for s in stages for lv in s.response_to_levels}
    used |= {s.meeting.arranged_by for s in stages if s.meeting is not None}
    used |= set(r.cafcass_tell_levels) | set(r.legal_advice_tell_levels) | {r.approval_level}
    used |= {p for s in stages for p in (*s.sent_by, *s.escalated_by, *s.closed_by)} | {a.level for a in policy.approvals}
    for i, lv in enumerate(policy.levels):
        if lv.key not in used:
            out.add(UNUSED_LEVEL, "note", f"level {lv.key!r} ({lv.label}) is never used by a stage or rule",
                    f"levels[{i}]")
    if not policy.categories:
        out.add(NO_CATEGORIES, "warning", "no categories of concern: the chair has nothing to choose from",
                "categories")
    if policy.path and Path(policy.path).suffix == ".toml" and Path(policy.path).stem != policy.key:
        out.add(FILE_NAME, "warning", f"profile key {policy.key!r} differs from its file name "
                                      f"{Path(policy.path).name!r}", "key")


def check_policy(policy: Policy) -> list[Finding]:
    """Where a valid profile contradicts itself or is incomplete; errors first, the
    profile's own notes last."""
    out = _Out(policy)
    _check_levels(policy, out)
    _check_reach(policy, out)
    _check_caps(policy, out)
    _check_windows(policy, out)
    _check_copies(policy, out)
    _check_meetings(policy, out)
    _check_approval(policy, out)
    _check_gates(policy, out)
    _check_rest(policy, out)
    for i, note in enumerate(policy.notes):
        out.add(PROFILE_NOTE, "note", f"profile note: {note}", f"notes[{i}]")
    return out.sorted()


# --- against an installation ----------------------------------------------------------
def _names(teams: Iterable[TeamCover]) -> str:
    return ", ".join(sorted(t.name for t in teams))


def check_installation(policy: Policy, inst: Installation) -> list[Finding]:
    """Levels the procedure needs that the installation's teams do not fill."""
    out = _Out(policy)
    known = {lv.key: lv for lv in policy.levels}
    teams = inst.teams
    children_teams = [t for t in teams if t.children]
    chair_teams = [t for t in teams if t.chairs] or [t for t in teams if t.kind == "iro_service"]

    def gaps(level: str) -> tuple[list[TeamCover], list[TeamCover], str]:
        """(teams holding it, teams that need it and do not, who needs it)."""
        holder = known[level].holder
        holding = [t for t in teams if level in t.holds]
        if holder == "chair_team":
            return holding, [t for t in chair_teams if level not in t.holds], "chairs' teams"
        if holder == "allocated":
            return holding, [t for t in children_teams if t.unallocated and level not in t.holds], \
                "teams with children who have no allocated social worker"
        return holding, [t for t in children_teams if level not in t.holds], "teams with children"

    responders: dict[str, list[str]] = {}
    alternatives: dict[str, bool] = {}  # level -> some stage it answers has another level to fall back on
    for s in policy.stages:
        for lv in s.answering_levels:
            if lv in known:
                responders.setdefault(lv, []).append(s.key)
                if len(s.answering_levels) > 1 and not s.joint:
                    alternatives[lv] = True
    for level, stage_keys in responders.items():
        holding, missing, who = gaps(level)
        label = f"{known[level].label} ({level}), who responds at {', '.join(stage_keys)}"
        first = policy.stage(stage_keys[0])
        path = _stage_path(policy, first.key, "responder_levels" if first.responder_levels else "responder_level")
        if not holding and alternatives.get(level):
            out.add(UNFILLED_LEVEL, "warning", f"no team fills {label}: only the other levels listed there can "
                                               "respond", path)
        elif not holding and known[level].holder != "allocated":
            out.add(UNFILLED_LEVEL, "error", f"no team fills {label}: a dispute cannot be sent at "
                                             f"{'that stage' if len(stage_keys) == 1 else 'those stages'}", path)
        elif missing:
            out.add(UNFILLED_LEVEL, "warning", f"{label} is not filled in {len(missing)} of the {who} "
                                               f"({_names(missing)}): their disputes cannot be sent there", path)

    r = policy.rules
    if any(s.requires_approval for s in policy.stages):
        needing = [t for t in chair_teams if not t.oversight and (not r.approval_level or r.approval_level not in t.holds)]
        if needing:
            label = (f"{known[r.approval_level].label} ({r.approval_level})" if r.approval_level in known
                     else "an approval level")
            severity = "error" if len(needing) == len(chair_teams) else "warning"
            out.add(UNFILLED_LEVEL, severity, f"no one can approve a stage that requires approval for the chairs of "
                                              f"{_names(needing)}: no one there holds {label} and the team has no "
                                              "oversight account", "rules.approval_level" if r.approval_level else
                    _stage_path(policy, next(s.key for s in policy.stages if s.requires_approval), "requires_approval"))

    acting: dict[str, tuple[str, str]] = {}  # level -> (what they do, path)
    for i, a in enumerate(policy.approvals):
        if a.level in known:
            what = "approves a Cafcass referral" if a.on == "cafcass_referral" else \
                f"approves {a.on} to {a.to_stage or 'any stage'}"
            acting.setdefault(a.level, (what, f"approvals[{i}].level"))
    for s in policy.stages:
        for name, doing in (("sent_by", "sends"), ("escalated_by", "escalates"), ("closed_by", "closes")):
            for j, party in enumerate(getattr(s, name)):
                if party != chair_party and party in known:
                    acting.setdefault(party, (f"{doing} {s.key}", _stage_path(policy, s.key, f"{name}[{j}]")))
    for level, (what, path) in acting.items():
        holding, missing, who = gaps(level)
        label = f"{known[level].label} ({level}), who {what}"
        if not holding and known[level].holder != "allocated":
            out.add(UNFILLED_LEVEL, "error", f"no team fills {label}: no one can do it", path)
        elif missing:
            out.add(UNFILLED_LEVEL, "warning", f"{label} is not filled in {len(missing)} of the {who} "
                                               f"({_names(missing)}): no one there can do it", path)

    copied: dict[str, list[str]] = {}
    for s in policy.stages:
        for lv in (*s.inform_levels, *(c.level for c in s.inform_when), *s.response_to_levels):
            if lv in known and lv not in s.answering_levels and s.key not in copied.get(lv, []):
                copied.setdefault(lv, []).append(s.key)
        by_name = {t.name: t for t in teams}
        for j, name in enumerate(s.inform_teams):
            team = by_name.get(name)
            if team is None:
                out.add(COPIES_TO_NOBODY, "warning", f"stage {s.key!r} copies team {name!r}, but the installation "
                                                     f"has no team of that name (teams: {_names(list(teams))})",
                        _stage_path(policy, s.key, f"inform_teams[{j}]"))
            elif team.members == 0:
                out.add(COPIES_TO_NOBODY, "warning", f"stage {s.key!r} copies team {name!r}, which has no active "
                                                     "member: that copy goes to nobody",
                        _stage_path(policy, s.key, f"inform_teams[{j}]"))
    for level, stage_keys in copied.items():
        holding, missing, who = gaps(level)
        if not holding and known[level].holder != "allocated":
            out.add(COPIES_TO_NOBODY, "warning", f"copies to {known[level].label} ({level}) at "
                                                 f"{', '.join(stage_keys)} go to nobody: no team fills that level",
                    _stage_path(policy, stage_keys[0], "inform_levels"))
    for name in ("cafcass_tell_levels", "legal_advice_tell_levels"):
        for j, level in enumerate(getattr(r, name)):
            if level in known and not gaps(level)[0] and known[level].holder != "allocated":
                out.add(UNFILLED_LEVEL, "warning", f"rules.{name} asks the chair to tell {known[level].label} "
                                                   f"({level}) first, but no team fills that level",
                        f"rules.{name}[{j}]")
    return out.sorted()
