"""``drp policies check`` reasons for itself (``domain.policy_check``).

Each kind of finding is shown on a profile written here as TOML text, broken in
one way; the finding must come from the profile's numbers and structure (a
variant that fixes the numbers makes it go away). The built-in profiles' findings
are listed in full, the loader's ``[local]`` table is accepted, a typo still
fails, the worked example in ``examples/profiles`` checks clean, and the command
line's exit status follows the worst finding.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import drp_tui
from drp_tui.cli import main
from drp_tui.domain import policy_check as pc
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_check import Finding, Installation, TeamCover, check_installation, check_policy, key_lines
from drp_tui.domain.policy_loader import PolicyError, builtin_keys, load_builtin, load_policy
from drp_tui.store.db import close_database
from drp_tui.store import models as m
from tests.factories import World

ROOT = Path(drp_tui.__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "profiles"

HEAD = '''key = "crafted"
name = "Crafted process"
version = 1
source = "crafted.txt"
applies_to = ["CLA"]
{notes}
[[levels]]
key = "tm"
label = "Team Manager"

[[levels]]
key = "sm"
label = "Service Manager"

[[levels]]
key = "hos"
label = "Head of Service"

[[levels]]
key = "dir"
label = "Director"

[[levels]]
key = "iro_sm"
label = "IRO Service Manager"
holder = "chair_team"

[[categories]]
key = "other"
label = "Other"
'''


def _v(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_v(x) for x in value) + "]"
    return str(value)


def stage(key: str, level: str, days: int | None = 5, hours: int | None = None, **extra: object) -> dict[str, object]:
    return {"key": key, "level": level, "days": days, "hours": hours, **extra}


def profile(stages: list[dict[str, object]], rules: str = "", notes: tuple[str, ...] = ()) -> str:
    out = [HEAD.format(notes=f"notes = {_v(list(notes))}" if notes else "")]
    for i, s in enumerate(stages):
        extra = {k: v for k, v in s.items() if k not in ("key", "level", "days", "hours")}
        extra.setdefault("may_start", i == 0)
        out += ["[[stages]]", f'key = "{s["key"]}"', f'label = "Stage {s["key"]}"', f"section = {i + 2}",
                f'responder_level = "{s["level"]}"']
        if s["days"] is not None:
            out.append(f"timescale = {{ working_days = {s['days']} }}")
        elif s["hours"] is not None:
            out.append(f"timescale = {{ hours = {s['hours']} }}")
        else:
            out.append("timescale = {}")
        out += [f"{k} = {_v(v)}" for k, v in extra.items()]
        out.append("")
    out += ["[rules]", 'cafcass_tell_levels = ["iro_sm"]', rules]
    return "\n".join(out) + "\n"


LADDER = [stage("one", "tm"), stage("two", "sm"), stage("three", "hos"), stage("four", "dir")]


def load(tmp_path: Path, text: str, name: str = "crafted.toml") -> Policy:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def found(tmp_path: Path, text: str, name: str = "crafted.toml") -> list[Finding]:
    return check_policy(load(tmp_path, text, name))


def of(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def test_the_crafted_baseline_is_clean(tmp_path: Path) -> None:
    assert found(tmp_path, profile(LADDER)) == []


# --- overall caps, per path through the stages ------------------------------------------
def test_cap_overrun_on_the_ordinary_path_but_not_on_the_bypass_path(tmp_path: Path) -> None:
    stages = [stage("one", "tm"), stage("two", "sm"), stage("three", "hos", bypass_target=True), stage("four", "dir")]
    text = profile(stages, 'bypass = "listed"\ncaps = [{ working_days = 16, from_stage = "one" }]')
    [f] = of(found(tmp_path, text), pc.CAP_OVERRUN)
    assert f.severity == "warning" and f.path == "rules.caps[0]"
    assert "one > two > three > four" in f.message and "20 working days (5+5+5+5)" in f.message
    assert "overruns the cap by 4" in f.message and "1 of 2 paths" in f.message  # one > three > four is 15: fits
    # every path overruns (the bypass path too): the cap can never be kept; still a warning (the
    # procedure contradicts itself; the desk runs it, the cap's clock shows overdue)
    [g] = of(found(tmp_path, text.replace("working_days = 16", "working_days = 14")), pc.CAP_OVERRUN)
    assert g.severity == "warning" and "every path" in g.message and "by 6" in g.message
    # computed, not echoed: a cap the longest path fits exactly, no finding
    assert not of(found(tmp_path, text.replace("working_days = 16", "working_days = 20")), pc.CAP_OVERRUN)


def test_cap_paths_start_at_any_starting_stage_and_stop_at_to_stage(tmp_path: Path) -> None:
    stages = [stage("one", "tm", 9), stage("two", "sm", 4, may_start=True), stage("three", "hos", 4),
              stage("four", "dir", 30)]
    text = profile(stages, 'caps = [{ working_days = 7, from_stage = "two", to_stage = "three" }]')
    [f] = of(found(tmp_path, text), pc.CAP_OVERRUN)
    # stages one and four are outside the cap; both starts give the path two > three (4+4 = 8 > 7)
    assert f.severity == "warning" and "two > three" in f.message and "8 working days (4+4)" in f.message
    assert "every path" in f.message
    assert not of(found(tmp_path, text.replace("working_days = 7,", "working_days = 8,")), pc.CAP_OVERRUN)


def test_cap_with_a_stage_in_hours_cannot_be_checked(tmp_path: Path) -> None:
    stages = [stage("one", "tm"), stage("two", "sm", None, hours=48), stage("three", "hos"), stage("four", "dir")]
    found_ = found(tmp_path, profile(stages, 'caps = [{ working_days = 30, from_stage = "one" }]'))
    [f] = of(found_, pc.CAP_UNCHECKED)
    assert f.severity == "warning" and f.message.startswith("two have no working-day timescale")
    assert not of(found_, pc.CAP_SLACK)


def test_cap_slack_is_a_note(tmp_path: Path) -> None:
    [f] = of(found(tmp_path, profile(LADDER, 'caps = [{ working_days = 22, from_stage = "one" }]')), pc.CAP_SLACK)
    assert f.severity == "note" and "(5+5+5+5), 2 inside the overall cap of 22" in f.message
    exact = found(tmp_path, profile(LADDER, 'caps = [{ working_days = 20, from_stage = "one" }]'))
    assert exact == []


# --- reach and bypass -----------------------------------------------------------------------
def test_unreachable_stage(tmp_path: Path) -> None:
    stages = [stage("one", "tm", may_start=False), stage("two", "sm", may_start=True), stage("three", "hos"),
              stage("four", "dir")]
    [f] = of(found(tmp_path, profile(stages)), pc.UNREACHABLE)
    assert f.severity == "error" and "'one' can never be reached" in f.message and f.path == "stages[0].may_start"
    # any stage may start: reachable
    assert not of(found(tmp_path, profile([dict(s, may_start=True) for s in stages])), pc.UNREACHABLE)


def test_bypass_target_that_may_not_start(tmp_path: Path) -> None:
    stages = [stage("one", "tm"), stage("two", "sm"), stage("three", "hos", bypass_target=True), stage("four", "dir")]
    [f] = of(found(tmp_path, profile(stages, 'bypass = "listed"')), pc.BYPASS_CANNOT_START)
    assert f.severity == "warning" and "'three' is a bypass target" in f.message and "raised at one" in f.message
    assert f.path == "stages[2].may_start"
    stages[2]["may_start"] = True
    assert found(tmp_path, profile(stages, 'bypass = "listed"')) == []
    # bypass "any": every later stage may be jumped to; those that may not start are noted
    [g] = of(found(tmp_path, profile(LADDER, 'bypass = "any"')), pc.BYPASS_CANNOT_START)
    assert g.severity == "note" and "two, three, four" in g.message and g.path == "stages[1].may_start"
    assert found(tmp_path, profile([dict(s, may_start=True) for s in LADDER], 'bypass = "any"')) == []


def test_bypass_targets_with_no_effect(tmp_path: Path) -> None:
    stages = [stage("one", "tm"), stage("two", "sm"), stage("three", "hos", bypass_target=True, may_start=True),
              stage("four", "dir")]
    [f] = of(found(tmp_path, profile(stages)), pc.BYPASS_NO_EFFECT)  # bypass defaults to "none"
    assert f.severity == "note" and "bypass_target on three has no effect" in f.message
    [g] = of(found(tmp_path, profile(LADDER, 'bypass = "listed"')), pc.BYPASS_NO_EFFECT)
    assert g.severity == "warning" and "no stage has bypass_target" in g.message


# --- levels named that no level defines --------------------------------------------------------
def test_unknown_levels_fail_loading_and_are_found_in_a_profile_built_in_code(tmp_path: Path) -> None:
    text = profile([stage("one", "tm"), stage("two", "ceo")])
    with pytest.raises(PolicyError, match=r"stages\[1\]\.responder_level: unknown level 'ceo'"):
        load(tmp_path, text)
    p = load(tmp_path, profile(LADDER))
    broken = dataclasses.replace(
        p, stages=(p.stages[0], dataclasses.replace(p.stages[1], responder_level="ceo", inform_levels=("cfo",)),
                   *p.stages[2:]),
        rules=dataclasses.replace(p.rules, approval_level="boss", cafcass_tell_levels=("x",),
                                  legal_advice_tell_levels=("y",)))
    got = {(f.path, f.severity) for f in of(check_policy(broken), pc.UNKNOWN_LEVEL)}
    assert got == {("stages[1].responder_level", "error"), ("stages[1].inform_levels[0]", "error"),
                   ("rules.approval_level", "error"), ("rules.cafcass_tell_levels[0]", "error"),
                   ("rules.legal_advice_tell_levels[0]", "error")}


# --- windows that can never be met ---------------------------------------------------------------
@pytest.mark.parametrize(("rules", "path", "severity", "words"), [
    ("negotiation_window = { hours = 0 }", "rules.negotiation_window", "error", "due the moment it is agreed"),
    ("negotiation_window = { working_days = 0 }", "rules.negotiation_window", "error", "can never be done"),
    ("monitoring_meeting = { working_days = 0 }", "rules.monitoring_meeting", "error", "is ever scheduled"),
    ("raise_window = { hours = 0 }", "rules.raise_window", "error", "missed as soon as"),
    ('caps = [{ working_days = 0, from_stage = "one" }]', "rules.caps[0].working_days", "error", "0 working days"),
    ("immediate_concern = { working_days = 2 }\nimmediate_written_record = { working_days = 1 }",
     "rules.immediate_written_record", "warning", "cannot meet it"),
])
def test_windows_that_can_never_be_met(tmp_path: Path, rules: str, path: str, severity: str, words: str) -> None:
    hits = [f for f in of(found(tmp_path, profile(LADDER, rules)), pc.WINDOW_NEVER_MET) if f.path == path]
    assert len(hits) == 1 and hits[0].severity == severity and words in hits[0].message


def test_written_record_as_long_as_the_discussions_is_fine(tmp_path: Path) -> None:
    rules = "immediate_concern = { working_days = 1 }\nimmediate_written_record = { working_days = 2 }"
    assert found(tmp_path, profile(LADDER, rules)) == []


def test_raise_window_shorter_than_the_informal_stage_that_must_come_first(tmp_path: Path) -> None:
    stages = [stage("chat", "tm", 5, informal=True), stage("one", "sm"), stage("two", "hos"), stage("three", "dir")]
    rules = 'raise_window = { working_days = 2 }\nraise_window_met_by = "sent"'
    [f] = of(found(tmp_path, profile(stages, rules)), pc.WINDOW_NEVER_MET)
    assert f.severity == "warning" and f.path == "rules.raise_window"
    assert "2 working days" in f.message and "chat: 5 working days" in f.message and "(one)" in f.message
    # the informal stage fits the window, or a formal stage may start, or the window is met by raising: no finding
    assert not of(found(tmp_path, profile([dict(stages[0], days=2), *stages[1:]], rules)), pc.WINDOW_NEVER_MET)
    assert not of(found(tmp_path, profile([stages[0], dict(stages[1], may_start=True), *stages[2:]], rules)),
                  pc.WINDOW_NEVER_MET)
    assert not of(found(tmp_path, profile(stages, rules.replace('"sent"', '"raised"'))), pc.WINDOW_NEVER_MET)


def test_stage_timescales_of_zero(tmp_path: Path) -> None:
    hours = found(tmp_path, profile([stage("one", "tm", None, hours=0), *LADDER[1:]]))
    assert [(f.kind, f.severity, f.path) for f in hours] == [(pc.WINDOW_NEVER_MET, "error", "stages[0].timescale")]
    days = found(tmp_path, profile([stage("one", "tm", 0), *LADDER[1:]]))
    assert [(f.kind, f.severity) for f in days] == [(pc.WINDOW_NEVER_MET, "warning")]
    assert "end of the day it is sent" in days[0].message


# --- copies to nobody -------------------------------------------------------------------------------
def test_copies_that_resolve_to_nobody(tmp_path: Path) -> None:
    stages = [stage("one", "tm", inform_levels=["tm"]), stage("two", "sm", inform_levels=["hos", "hos"]),
              *LADDER[2:]]
    got = [(f.severity, f.path) for f in of(found(tmp_path, profile(stages)), pc.COPIES_TO_NOBODY)]
    assert got == [("warning", "stages[0].inform_levels"), ("note", "stages[0].inform_levels[0]"),
                   ("note", "stages[1].inform_levels[1]")]


# --- approval -----------------------------------------------------------------------------------------
def test_requires_approval_with_no_approval_level(tmp_path: Path) -> None:
    stages = [stage("one", "tm"), stage("two", "sm", requires_approval=True), *LADDER[2:]]
    [f] = of(found(tmp_path, profile(stages)), pc.NO_APPROVER)
    assert f.severity == "warning" and "stages two require approval" in f.message and f.path == "stages[1].requires_approval"
    noted = found(tmp_path, profile(stages, notes=("Oversight approves stage two (no level is named).",)))
    assert [g.severity for g in of(noted, pc.NO_APPROVER)] == ["note"]
    assert found(tmp_path, profile(stages, 'approval_level = "iro_sm"')) == []
    [h] = of(found(tmp_path, profile(stages, 'approval_level = "tm"')), pc.NO_APPROVER)
    assert h.severity == "warning" and "not held in the chair's own service" in h.message
    [u] = of(found(tmp_path, profile(LADDER, 'approval_level = "iro_sm"')), pc.APPROVAL_UNUSED)
    assert u.severity == "note"


# --- the rest ----------------------------------------------------------------------------------------------
def test_missing_timescale_order_unused_level_no_effect_and_file_name(tmp_path: Path) -> None:
    no_ts = found(tmp_path, profile([stage("one", "tm", None), *LADDER[1:]]))
    assert [(f.kind, f.severity, f.path) for f in no_ts] == [(pc.NO_TIMESCALE, "warning", "stages[0].timescale")]
    order = found(tmp_path, profile([*LADDER[:3], stage("four", "dir", informal=True)]))
    assert [(f.kind, f.path) for f in order] == [(pc.STAGE_ORDER, "stages[3].informal")]
    unused = found(tmp_path, profile(LADDER[:3]))
    assert [(f.kind, f.severity, f.path) for f in unused] == [(pc.UNUSED_LEVEL, "note", "levels[3]")]
    no_effect = found(tmp_path, profile(LADDER, 'extension_needs_reason = false\nimmediate_written_record = { working_days = 2 }'))
    assert {(f.kind, f.severity) for f in no_effect} == {(pc.NO_EFFECT, "note"), (pc.NO_EFFECT, "warning")}
    named = found(tmp_path, profile(LADDER), name="elsewhere.toml")
    assert [(f.kind, f.path) for f in named] == [(pc.FILE_NAME, "key")]


def test_profile_notes_are_kept_last_and_marked(tmp_path: Path) -> None:
    text = profile([stage("one", "tm", None), *LADDER[1:]], notes=("We have no number for stage one.", "Second."))
    got = found(tmp_path, text)
    assert [f.kind for f in got] == [pc.NO_TIMESCALE, pc.PROFILE_NOTE, pc.PROFILE_NOTE]
    assert got[1].message == "profile note: We have no number for stage one." and got[1].path == "notes[0]"


# --- where: key paths and lines -------------------------------------------------------------------------------
def test_findings_carry_the_line_of_their_key(tmp_path: Path) -> None:
    text = profile([stage("one", "tm"), stage("two", "sm", None), *LADDER[2:]],
                   'caps = [\n  { working_days = 30, from_stage = "one" },\n  { working_days = 0, from_stage = "two" },\n]')
    lines = text.splitlines()
    got = found(tmp_path, text)
    ts = next(f for f in got if f.kind == pc.NO_TIMESCALE)
    assert ts.line is not None and lines[ts.line - 1] == "timescale = {}"
    assert lines[ts.line - 2].startswith('responder_level = "sm"')  # the second stage's, not the first
    zero = next(f for f in got if f.kind == pc.WINDOW_NEVER_MET)
    assert zero.line is not None and "working_days = 0" in lines[zero.line - 1]


def test_key_lines() -> None:
    text = ('a = 1\nnotes = [\n  "one # not a comment",\n  "two",\n]\n[rules]\nx = """\ny = 2\n"""\n'
            'caps = [{ b = 1 },\n  { b = 2 }]\n[[stages]]\nkey = "s"\n[[stages]]\nkey = "t"\n')
    got = key_lines(text)
    assert got["a"] == 1 and got["notes[0]"] == 3 and got["notes[1]"] == 4
    assert got["rules.x"] == 7 and "rules.y" not in got
    assert got["rules.caps"] == got["rules.caps[0]"] == 10 and got["rules.caps[1]"] == 11
    assert got["stages[0].key"] == 13 and got["stages[1].key"] == 15
    assert key_lines('{"key": "x"}') == {}


# --- the built-in profiles --------------------------------------------------------------------------------------
EXPECTED = {
    # 001:113 meets "within 5 working days at Stage 3"; 001:144 wants the response in 4
    "durham-rp": [(pc.CAP_OVERRUN, "warning", "rules.caps[0]"), (pc.WINDOW_NEVER_MET, "note", "stages[2].meeting")],
    "knowsley-dr": [(pc.CAP_SLACK, "note", "rules.caps[0]")],
    "mosaic-cpc": [],
    "mosaic-iro": [],
    "tower-hamlets-alerts": [(pc.NO_TIMESCALE, "warning", "stages[0].timescale")],
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_builtin_findings(key: str) -> None:
    p = load_builtin(key)
    got = check_policy(p)
    assert [(f.kind, f.severity, f.path) for f in got if f.kind != pc.PROFILE_NOTE] == EXPECTED[key]
    assert [f.message for f in got if f.kind == pc.PROFILE_NOTE] == [f"profile note: {n}" for n in p.notes]
    assert all(f.line is not None for f in got)
    assert sorted(EXPECTED) == builtin_keys()


def test_durham_cap_contradiction_is_computed(tmp_path: Path) -> None:
    [f] = of(check_policy(load_builtin("durham-rp")), pc.CAP_OVERRUN)
    assert "21 working days (1+4+4+5+5+1+1)" in f.message and "17 working days" in f.message
    assert "overruns the cap by 4" in f.message and "2 of 7 paths" in f.message  # starting at stage 1 or 2
    # the same text (notes and all) with stage 2 at 0 days: 17 fits, the finding goes
    path = Path(load_builtin("durham-rp").path)
    text = path.read_text(encoding="utf-8").replace(
        'timescale = { working_days = 4 }         # 001:106', 'timescale = { working_days = 0 }         # 001:106')
    fixed = found(tmp_path, text, name="durham-rp.toml")
    assert not of(fixed, pc.CAP_OVERRUN) and not of(fixed, pc.CAP_SLACK)


# --- [local] and typos -------------------------------------------------------------------------------------------
LOCAL = '''
[local]
owner = "Practice Standards Team"
reviewed = 2026-03-01
[local.board]
minute = "PSB 14/2026"
items = [1, 2]
'''


def test_local_table_is_kept_and_ignored(tmp_path: Path) -> None:
    plain = load(tmp_path, profile(LADDER))
    p = load(tmp_path, profile(LADDER) + LOCAL)
    assert p.local["owner"] == "Practice Standards Team" and p.local["board"]["items"] == [1, 2]
    assert p == plain and p.digest != plain.digest and "PSB 14/2026" in p.text  # kept in the pinned content
    assert check_policy(p) == []


@pytest.mark.parametrize(("text", "path", "what"), [
    ("local = 5\n" + profile(LADDER), "local", "must be a table"),
    (profile(LADDER).replace('responder_level = "sm"', 'responder_levle = "sm"'), "stages[1].responder_levle",
     "did you mean 'responder_level'?"),
    ("stagess = 1\n" + profile(LADDER), "stagess", "[local] table"),
    (profile(LADDER).replace("[rules]", "[rules]\ncap = []"), "rules.cap", "did you mean 'caps'?"),
    (profile(LADDER).replace('[[stages]]\nkey = "one"', '[[stages]]\nlocal = { a = 1 }\nkey = "one"'),
     "stages[0].local", "unknown key"),
])
def test_typos_still_fail_naming_file_and_key(tmp_path: Path, text: str, path: str, what: str) -> None:
    with pytest.raises(PolicyError) as info:
        load(tmp_path, text)
    assert str(info.value).startswith(f"{tmp_path / 'crafted.toml'}: {path}: ") and what in str(info.value)


# --- the worked example ------------------------------------------------------------------------------------------
def test_worked_example_loads_and_checks_clean() -> None:
    files = sorted(EXAMPLES.glob("*.toml"))
    assert files
    for file in files:
        p = load_policy(file)
        assert p.key == file.stem and p.local
        assert [f for f in check_policy(p) if f.severity != "note"] == []


def test_worked_example_cli(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(EXAMPLES / "fernbridge-ep.toml")
    assert main(["policies", "check", example]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"fernbridge-ep ({example}): 2 notes") and "18 working days (5+5+5+3)" in out
    assert main(["policies", "show", example]) == 0
    out = capsys.readouterr().out
    assert "Local (the authority's own keys" in out and "owner: Fernbridge IRO Service" in out


# --- the command line ----------------------------------------------------------------------------------------------
def test_cli_exit_status_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "crafted.toml"
    clean.write_text(profile(LADDER), encoding="utf-8")
    assert main(["policies", "check", str(clean)]) == 0
    assert capsys.readouterr().out.strip() == f"crafted ({clean}): ok"
    warn = tmp_path / "warn" / "crafted.toml"
    warn.parent.mkdir()
    warn.write_text(profile([stage("one", "tm", None), *LADDER[1:]]), encoding="utf-8")
    assert main(["policies", "check", str(warn)]) == 0  # a warning does not fail it
    broken = tmp_path / "broken" / "crafted.toml"
    broken.parent.mkdir()
    broken.write_text(profile(LADDER, 'negotiation_window = { hours = 0 }'), encoding="utf-8")
    capsys.readouterr()
    assert main(["policies", "check", str(clean), str(broken)]) == 1
    out = capsys.readouterr().out
    line = broken.read_text(encoding="utf-8").splitlines().index("negotiation_window = { hours = 0 }") + 1
    assert "error: rules.negotiation_window is 0 hours" in out and f"[rules.negotiation_window, line {line}]" in out
    assert main(["policies", "check", "--json", str(broken)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == 1
    [f] = data["profiles"][0]["findings"]
    assert (f["kind"], f["severity"], f["path"], f["line"]) == (pc.WINDOW_NEVER_MET, "error", "rules.negotiation_window", line)


# --- against the installation ----------------------------------------------------------------------------------------
def test_check_installation_levels_no_team_fills(tmp_path: Path) -> None:
    stages = [stage("one", "tm", inform_levels=["sm"]), stage("two", "sm", requires_approval=True), *LADDER[2:]]
    p = load(tmp_path, profile(stages, 'approval_level = "iro_sm"'))
    full = frozenset({"tm", "sm", "hos", "dir"})
    iro = TeamCover("IRO Service", "iro_service", frozenset({"iro_sm"}), chairs=2, oversight=1)
    ok = Installation((TeamCover("North", "social_care", full, children=3), iro))
    assert check_installation(p, ok) == []
    gaps = Installation((TeamCover("North", "social_care", full - {"dir"}, children=3),
                         TeamCover("South", "social_care", full - {"hos", "dir"}, children=1),
                         TeamCover("IRO Service", "iro_service", chairs=2)))
    got = {(f.kind, f.severity, f.path) for f in check_installation(p, gaps)}
    assert got == {(pc.UNFILLED_LEVEL, "error", "stages[3].responder_level"),  # no team has a director
                   (pc.UNFILLED_LEVEL, "warning", "stages[2].responder_level"),  # South has no head of service
                   (pc.UNFILLED_LEVEL, "error", "rules.approval_level"),  # no approver, no oversight
                   (pc.UNFILLED_LEVEL, "warning", "rules.cafcass_tell_levels[0]")}
    no_sm = Installation((TeamCover("North", "social_care", full - {"sm"}, children=3), iro))
    got = {(f.kind, f.severity) for f in check_installation(p, no_sm)}
    assert got == {(pc.UNFILLED_LEVEL, "error"), (pc.COPIES_TO_NOBODY, "warning")}


def test_cli_check_against_the_installation(world: World, db_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from drp_tui import config as config_module

    monkeypatch.setattr(config_module, "user_config_dir", lambda: db_path.parent / "no-user-config")
    monkeypatch.setattr(config_module, "SITE_CONFIG", db_path.parent / "no-site-config.toml")
    m.TeamRole.delete().where(m.TeamRole.level == "director").execute()
    close_database()
    assert main(["--db", str(db_path), "policies", "check", "mosaic-iro", "--installation"]) == 1
    out = capsys.readouterr().out
    assert "mosaic-iro" in out and "against the installation" in out
    assert "error: no team fills Service Director / Executive Director (director), who responds at stage_4" in out
    close_database()
    assert main(["--db", str(db_path), "policies", "check", "mosaic-cpc"]) == 1  # --db alone checks it too
    close_database()
    capsys.readouterr()
    assert main(["policies", "check", "mosaic-iro"]) == 0  # the file alone has no error
    assert main(["--db", str(tmp_missing := db_path.parent / "nope.db"), "policies", "check", "--installation"]) == 2
    assert str(tmp_missing) in capsys.readouterr().err


def test_installation_chains_is_for_the_administrator(world: World) -> None:
    from drp_tui.services.accounts import installation_chains
    from drp_tui.services.errors import PermissionDenied

    inst = installation_chains(world.ctx(world.admin))
    by_name = {t.name: t for t in inst.teams}
    sc, iro = by_name["Test Social Care"], by_name["Test IRO Service"]
    assert sc.children == 4 and sc.unallocated == 0 and {"team_manager", "director"} <= sc.holds
    assert iro.chairs == 2 and iro.oversight == 1 and world.policy.rules.approval_level in iro.holds
    assert check_installation(world.policy, inst) == []
    with pytest.raises(PermissionDenied):
        installation_chains(world.ctx(world.chair))


def test_profiles_doc_names_every_key_of_the_format() -> None:
    from drp_tui.domain import policy_loader as pl

    doc = (ROOT / "docs" / "PROFILES.md").read_text(encoding="utf-8")
    specs = {"": pl._TOP, "vocabulary": pl._VOCAB, "levels": pl._LEVEL, "categories": pl._CATEGORY,
             "stages": pl._STAGE, "rules": pl._RULES, "caps": pl._CAP, "approvals": pl._APPROVAL}
    missing = [f"{table}.{key}" for table, spec in specs.items() for key in spec
               if not any(form in doc for form in (f"`{key}`", f"{key} = ", f"`[{key}]`", f"`[[{key}]]`"))]
    assert missing == []
    for kind in (v for k, v in vars(pc).items() if k.isupper() and isinstance(v, str) and k not in ("SEVERITIES",)):
        assert f"`{kind}`" in doc, kind


def test_gates_and_acting_levels(tmp_path: Path) -> None:
    """[[approvals]] that never apply are found from the bypass / Cafcass rules; the installation
    check names an approver level, or a level that sends / closes a stage, that no team fills."""
    stages = [stage("one", "tm"), stage("two", "sm", sent_by=["iro_sm"], closed_by=["chair", "hos"],
                                        close_needs_all=True), *LADDER[2:]]
    gate = '\n[[approvals]]\non = "bypass"\nfrom = "one"\nto = "three"\nlevel = "iro_sm"\n'
    text = profile(stages) + gate
    got = {(f.kind, f.severity, f.path) for f in found(tmp_path, text)}
    assert got == {(pc.NO_EFFECT, "warning", "approvals[0].to")}  # bypass "none": never jumps to three
    fixed = profile(stages, 'bypass = "any"') + gate
    assert {f.kind for f in found(tmp_path, fixed)} == {pc.BYPASS_CANNOT_START}  # a note; no unused_level either
    lone = [stage("one", "tm"), stage("two", "sm", closed_by=["hos"], close_needs_all=True), *LADDER[2:]]
    assert {(f.kind, f.path) for f in found(tmp_path, profile(lone))} == {(pc.NO_EFFECT, "stages[1].close_needs_all")}
    p = load(tmp_path, fixed)
    full = frozenset({"tm", "sm", "hos", "dir"})
    iro = TeamCover("IRO Service", "iro_service", frozenset({"iro_sm"}), chairs=2, oversight=1)
    assert check_installation(p, Installation((TeamCover("North", "social_care", full, children=3), iro))) == []
    bare = TeamCover("IRO Service", "iro_service", frozenset(), chairs=2, oversight=1)
    got = {(f.kind, f.severity, f.path) for f in check_installation(
        p, Installation((TeamCover("North", "social_care", full, children=3), bare)))}
    assert (pc.UNFILLED_LEVEL, "error", "approvals[0].level") in got  # the approver: no team holds iro_sm
