"""Policy profiles: the five built-ins, strict loading, check_policy and ``drp policies``."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

import drp_tui
from drp_tui.cli import main
from drp_tui.domain import policy_loader
from drp_tui.domain.policy import (
    BypassRule, CafcassRule, Category, Level, Policy, Rules, Stage, Timescale, Vocabulary,
)
from drp_tui.domain.policy_check import check_policy
from drp_tui.domain.policy_loader import (
    PolicyError,
    builtin_keys,
    load_builtin,
    load_policy,
    policy_from_dict,
    resolve_policy,
)
from drp_tui.domain.policy_parts import OverallCap

BUILTINS = ["durham-rp", "knowsley-dr", "mosaic-cpc", "mosaic-iro", "tower-hamlets-alerts"]
PACKAGE = Path(drp_tui.__file__).parent


def ladder(p: Policy) -> list[tuple[str, str, int | None, int | None]]:
    return [(s.key, s.responder_level, s.timescale.working_days, s.timescale.hours) for s in p.stages]


# --- the built-in profiles -------------------------------------------------------
def test_builtin_keys() -> None:
    assert builtin_keys() == BUILTINS


@pytest.mark.parametrize("key", BUILTINS)
def test_every_builtin_loads_and_has_no_error_findings(key: str) -> None:
    p = load_builtin(key)
    assert p.key == key and Path(p.path).name == f"{key}.toml"
    assert p.version >= 1 and p.source.endswith(".txt")  # a built-in whose rules changed is version 2
    assert p.starting_stages() and p.categories
    assert [s.section for s in p.stages] == list(range(2, 2 + len(p.stages)))
    assert not [f for f in check_policy(p) if f.severity == "error"]


@pytest.mark.parametrize("key", BUILTINS)
def test_every_procedure_value_cites_its_seed_line(key: str) -> None:
    text = (PACKAGE / "policies" / f"{key}.toml").read_text(encoding="utf-8")
    seed = load_builtin(key).source[:3]
    assert re.search(rf"# {seed}:\d+", text)
    for line in text.splitlines():
        m = re.match(r"\s*(timescale|working_days|responder_levels?|responders|response_expected|raise_window|cafcass|bypass) = ", line)
        if m:
            assert re.search(rf"#.*\b{seed}:\d+", line), line


@pytest.mark.parametrize("key", ["mosaic-iro", "mosaic-cpc"])
def test_mosaic_ladder(key: str) -> None:
    p = load_builtin(key)
    assert ladder(p) == [
        ("informal", "team_manager", 5, None),
        ("stage_1", "team_manager", 5, None),
        ("stage_2", "service_manager", 5, None),
        ("stage_3", "head_of_service", 5, None),
        ("stage_4", "director", 5, None),
    ]
    assert [s.requires_approval for s in p.stages] == [False, False, True, True, True]
    assert all(s.may_start for s in p.stages) and p.stages[0].informal
    r = p.rules
    assert r.raise_window == Timescale(working_days=2) and r.negotiation_window == Timescale(hours=24)
    assert r.bypass is BypassRule.NONE and r.compliments and r.siblings_together and not r.caps
    assert p.level(r.approval_level)
    assert len(p.categories) == 7


def test_mosaic_differences_between_iro_and_cp_chair() -> None:
    iro, cpc = load_builtin("mosaic-iro"), load_builtin("mosaic-cpc")
    assert iro.applies_to == ("CLA",) and cpc.applies_to == ("CP",)
    assert iro.vocabulary.chair_title == "IRO" and cpc.vocabulary.chair_title == "CP Chair"
    assert iro.rules.cafcass is CafcassRule.AFTER_ALL_STAGES  # 000:90 "utilise all stages"
    assert cpc.rules.cafcass is CafcassRule.NOT_APPLICABLE
    assert [c.key for c in iro.categories] != [c.key for c in cpc.categories]


def test_durham_ladder_and_rules() -> None:
    p = load_builtin("durham-rp")
    assert ladder(p) == [
        ("stage_1", "social_worker", 1, None),
        ("stage_2", "team_manager", 4, None),
        ("stage_3", "operations_manager", 4, None),
        ("stage_4", "strategic_manager", 5, None),
        ("stage_5", "head_of_cs", 5, None),
        ("stage_6", "corporate_director", 1, None),
        ("stage_7", "chief_executive", 1, None),
    ]
    assert "cafcass" not in " ".join(s.key + s.label.lower() for s in p.stages)
    assert {"legal_advisor", "head_of_legal", "iro_operations_manager"} <= {lv.key for lv in p.levels}
    assert "head_of_legal" in p.stage("stage_6").inform_levels
    r = p.rules
    assert r.caps[0].working_days == 17 and r.caps[0].from_stage == "stage_1" and r.caps[0].to_stage is None
    assert r.extensions_allowed and r.monitoring_meeting == Timescale(working_days=10)
    assert r.immediate_concern == Timescale(working_days=1)
    assert r.immediate_written_record == Timescale(working_days=2)
    assert r.cafcass is CafcassRule.AFTER_LAST_STAGE and "complaint" in r.not_for
    assert p.vocabulary.concern_word == "worries" and p.reference(2026, 42) == "RP-2026-0042"
    assert p.applies_to == ("CLA", "CP") and p.notes


def test_tower_hamlets_ladder_and_rules() -> None:
    p = load_builtin("tower-hamlets-alerts")
    assert ladder(p) == [
        ("informal", "team_manager", None, None),
        ("alert_1", "team_manager", 10, None),
        ("alert_2", "service_manager", 10, None),
        ("alert_3", "head_of_service", 10, None),
        ("alert_4", "director", 10, None),
        ("alert_5", "chief_executive", 10, None),
    ]
    assert [s.key for s in p.starting_stages()] == ["informal", "alert_3"]
    # 003:24: the Group Manager agrees starting the RP, however it starts (version 2)
    assert [s.key for s in p.stages if s.requires_approval] == [] and p.rules.approval_level == ""
    assert [(a.on, a.from_stage, a.to_stage, a.level) for a in p.approvals] == [
        ("escalate", "informal", "alert_1", "iro_group_manager"), ("bypass", "informal", "alert_3", "iro_group_manager"),
        ("raise", "", "alert_3", "iro_group_manager")]
    assert p.stage("alert_4").sent_by == ("ciro",)  # 003:70 "the CIRO will issue a Stage 4 Alert"
    assert p.rules.legal_advice_tell_levels == ("iro_group_manager",)
    assert p.vocabulary.stage_word == "Alert" and p.vocabulary.reference_prefix == "ALERT"


def test_knowsley_ladder_and_rules() -> None:
    p = load_builtin("knowsley-dr")
    assert ladder(p) == [
        ("stage_1", "social_worker", 5, None),
        ("stage_2", "team_manager", 5, None),
        ("stage_3", "assistant_director", 5, None),
        ("stage_4", "director", 5, None),
    ]
    cap = p.rules.caps[0]
    assert (cap.working_days, cap.from_stage, cap.to_stage) == (20, "stage_2", "stage_4")
    assert p.rules.cafcass is CafcassRule.ANY_TIME and p.applies_to == ("CLA", "CP", "CIN")
    assert p.vocabulary.chair_title == "IRO/CP Chair"


# --- escalation targets per bypass rule ---------------------------------------------
def keys(stages: tuple[Stage, ...]) -> list[str]:
    return [s.key for s in stages]


def test_escalation_any_stage_knowsley() -> None:
    p = load_builtin("knowsley-dr")
    assert p.rules.bypass is BypassRule.ANY
    assert keys(p.escalation_targets("stage_1")) == ["stage_2", "stage_3", "stage_4"]
    assert keys(p.escalation_targets("stage_4")) == []


def test_escalation_listed_tower_hamlets_straight_to_head_of_service() -> None:
    p = load_builtin("tower-hamlets-alerts")
    assert p.rules.bypass is BypassRule.LISTED
    assert keys(p.escalation_targets("informal")) == ["alert_1", "alert_3"]
    assert keys(p.escalation_targets("alert_1")) == ["alert_2", "alert_3"]
    assert keys(p.escalation_targets("alert_3")) == ["alert_4"]
    assert p.level_label(p.stage("alert_3").responder_level).startswith("Head of Service")


@pytest.mark.parametrize("key", ["mosaic-iro", "mosaic-cpc", "durham-rp"])
def test_escalation_next_stage_only(key: str) -> None:
    p = load_builtin(key)
    for here, nxt in zip(p.stages, p.stages[1:], strict=False):
        assert keys(p.escalation_targets(here.key)) == [nxt.key]


# --- strict validation ------------------------------------------------------------------
GOOD = """
key = "test"
name = "Test process"
version = 1
source = "test.txt"
applies_to = ["CLA"]
[[levels]]
key = "tm"
label = "Team Manager"
[[levels]]
key = "hos"
label = "Head of Service"
[[categories]]
key = "other"
label = "Other"
[[stages]]
key = "one"
label = "Stage 1"
section = 2
responder_level = "tm"
timescale = { working_days = 5 }
[[stages]]
key = "two"
label = "Stage 2"
section = 3
responder_level = "hos"
may_start = false
timescale = { working_days = 5 }
[rules]
caps = [{ working_days = 10, from_stage = "one" }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_profile_loads(tmp_path: Path) -> None:
    p = load_policy(write(tmp_path, GOOD))
    assert p.key == "test" and keys(p.stages) == ["one", "two"] and p.rules.caps[0].working_days == 10
    assert resolve_policy(str(tmp_path / "test.toml")) == p


BAD = [
    ("colour = 1\n" + GOOD, "colour", "unknown key"),
    (GOOD.replace('section = 3', 'section = "three"'), "stages[1].section", "must be an integer"),
    (GOOD.replace('may_start = false', 'may_start = "no"'), "stages[1].may_start", "true or false"),
    (GOOD.replace('responder_level = "hos"\n', ''), "stages[1].responder_level", "missing required key"),
    (GOOD.replace('version = 1\n', ''), "version", "missing required key"),
    (GOOD.replace('key = "two"', 'key = "one"'), "stages[1].key", "duplicate stage key 'one'"),
    (GOOD.replace('key = "hos"', 'key = "tm"'), "levels[1].key", "duplicate level key 'tm'"),
    (GOOD + '[[categories]]\nkey = "other"\nlabel = "Again"\n', "categories[1].key", "duplicate category key"),
    (GOOD.replace('responder_level = "hos"', 'responder_level = "ceo"'), "stages[1].responder_level", "unknown level 'ceo'"),
    (GOOD.replace('responder_level = "hos"', 'responder_level = "hos"\ninform_levels = ["tm", "x"]'),
     "stages[1].inform_levels[1]", "unknown level 'x'"),
    (GOOD.replace('from_stage = "one"', 'from_stage = "nine"'), "rules.caps[0].from_stage", "unknown stage 'nine'"),
    (GOOD.replace('from_stage = "one"', 'from_stage = "two", to_stage = "one"'), "rules.caps[0].to_stage", "comes before"),
    (GOOD.replace('section = 2\n', 'section = 2\nmay_start = false\n'), "stages", "no stage has may_start"),
    (GOOD.replace('{ working_days = 5 }', '{ working_days = -1 }', 1), "stages[0].timescale.working_days", "negative"),
    (GOOD.replace('working_days = 10', 'working_days = -3'), "rules.caps[0].working_days", "negative"),
    (GOOD.replace('{ working_days = 5 }', '{ working_days = 5, hours = 4 }', 1), "stages[0].timescale", "not working_days and hours"),
    (GOOD.replace('{ working_days = 5 }', '{ days = 5 }', 1), "stages[0].timescale.days", "unknown key"),
    (GOOD.replace('[rules]', '[rules]\nbypass = "sometimes"'), "rules.bypass", "'sometimes' is not allowed"),
    (GOOD.replace('[rules]', '[rules]\ncafcass = "never"'), "rules.cafcass", "is not allowed"),
    (GOOD.replace('[rules]', '[rules]\napproval_level = "boss"'), "rules.approval_level", "unknown level"),
    (GOOD.replace('applies_to = ["CLA"]', 'applies_to = ["CLA", "XX"]'), "applies_to[1]", "is not allowed"),
    (GOOD.replace('applies_to = ["CLA"]', 'applies_to = "CLA"'), "applies_to", "must be an array"),
    (GOOD.replace('section = 3', 'section = 2'), "stages[1].section", "already used"),
    (GOOD.replace('section = 2', 'section = 1'), "stages[0].section", "opening section"),
    (GOOD.replace('key = "one"', 'key = "One Stage"'), "stages[0].key", "not a valid key"),
    (GOOD.replace('label = "Stage 1"', 'label = ""'), "stages[0].label", "must not be empty"),
    (GOOD.replace('[rules]', '[vocabulary]\nprefix = "X"\n[rules]'), "vocabulary.prefix", "unknown key"),
]


@pytest.mark.parametrize(("text", "path", "what"), BAD, ids=[f"{p}:{w}" for _, p, w in BAD])
def test_validation_errors_name_file_and_key_path(tmp_path: Path, text: str, path: str, what: str) -> None:
    file = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(file)
    message = str(info.value)
    assert message.startswith(f"{file}: {path}: "), message
    assert what in message
    assert isinstance(info.value, ValueError)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"test\.toml: not valid TOML"):
        load_policy(write(tmp_path, "key = [unclosed"))
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.toml")
    with pytest.raises(PolicyError, match="no built-in policy"):
        load_builtin("nope")
    with pytest.raises(PolicyError, match="neither a built-in"):
        resolve_policy("nope")


@pytest.mark.parametrize(
    ("cls", "spec"),
    [(Rules, "_RULES"), (Stage, "_STAGE"), (Level, "_LEVEL"), (Category, "_CATEGORY"),
     (Vocabulary, "_VOCAB"), (OverallCap, "_CAP")],
)
def test_schema_covers_every_dataclass_field(cls: type, spec: str) -> None:
    """A field added to a policy dataclass must also be accepted by the loader."""
    derived = {"inform_when"} if cls is Stage else set()  # read from inform_levels' { level, when } entries
    assert set(getattr(policy_loader, spec)) == {f.name for f in dataclasses.fields(cls)} - derived


def test_schema_covers_policy_fields() -> None:
    assert set(policy_loader._TOP) == {f.name for f in dataclasses.fields(Policy)} - {"path", "text"}


def test_level_holders() -> None:
    p = load_builtin("mosaic-iro")
    assert p.level("social_worker").holder == "allocated"
    assert p.level("iro_service_manager").holder == "chair_team"
    assert p.level("team_manager").holder == "team"
    for key in BUILTINS:
        q = load_builtin(key)
        if q.rules.approval_level:
            assert q.level(q.rules.approval_level).holder == "chair_team"
    with pytest.raises(PolicyError, match=r"levels\[0\]\.holder: 'boss' is not allowed"):
        policy_from_dict(tomllib.loads(GOOD.replace('label = "Team Manager"', 'label = "TM"\nholder = "boss"')), "x")


# --- check_policy ----------------------------------------------------------------------
def test_check_durham_reports_the_17_day_inconsistency() -> None:
    findings = check_policy(load_builtin("durham-rp"))
    cap = [f for f in findings if "overall cap" in f.message and f.severity == "warning"]
    assert len(cap) == 1
    assert "21 working days" in cap[0].message and "17 working days" in cap[0].message
    assert "1+4+4+5+5+1+1" in cap[0].message
    notes = [f.message for f in findings if f.severity == "note"]
    assert any("001:143" in n for n in notes)


def test_check_reports_missing_timescale_and_notes() -> None:
    findings = check_policy(load_builtin("tower-hamlets-alerts"))
    assert any(f.severity == "warning" and "'informal'" in f.message and "no response timescale" in f.message for f in findings)
    assert sum(f.message.startswith("profile note:") for f in findings) == len(load_builtin("tower-hamlets-alerts").notes)


UNREACHABLE = GOOD.replace('section = 2\n', 'section = 2\nmay_start = false\n').replace('may_start = false\ntimescale', 'timescale')


def test_check_unreachable_stage_is_an_error(tmp_path: Path) -> None:
    p = load_policy(write(tmp_path, UNREACHABLE))
    assert keys(p.starting_stages()) == ["two"]
    findings = check_policy(p)
    assert findings[0].severity == "error" and "'one' can never be reached" in findings[0].message


def test_check_caps_and_approval_without_level(tmp_path: Path) -> None:
    exact = check_policy(load_policy(write(tmp_path, GOOD)))  # 5+5 == cap of 10
    assert not [f for f in exact if "overall cap" in f.message]
    slack = load_policy(write(tmp_path, GOOD.replace("working_days = 10", "working_days = 12")))
    assert any(f.severity == "note" and "(5+5), 2 inside" in f.message for f in check_policy(slack))
    needs = load_policy(write(tmp_path, GOOD.replace("may_start = false", "may_start = false\nrequires_approval = true")))
    assert any(f.severity == "warning" and "require approval" in f.message for f in check_policy(needs))
    data = tomllib.loads(GOOD)
    assert policy_from_dict(data, "inline").path == "inline"


# --- the CLI ------------------------------------------------------------------------------------
def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == BUILTINS
    durham = out[0]
    assert "Durham IRO Resolution Process" in durham and "7 stages" in durham and "CLA, CP" in durham


def test_cli_show_builtin_and_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["policies", "show", "durham-rp"]) == 0
    out = capsys.readouterr().out
    for text in ("worries", "Chief Executive", "17 working days", "Stages", "Rules", "Head of Legal Services",
                 "meeting expected", "1 working day"):
        assert text in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert main(["policies", "show", str(write(tmp_path, GOOD))]) == 0
    assert "Test process" in capsys.readouterr().out


def test_cli_show_bad(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "show", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("drp: nope:") and err.count("\n") == 1


def test_cli_check_all_builtins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "check"]) == 0
    out = capsys.readouterr().out
    assert "durham-rp" in out and "1+4+4+5+5+1+1" in out and "knowsley-dr" in out


def test_cli_check_one_and_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["policies", "check", "mosaic-iro"]) == 0
    assert "mosaic-iro" in capsys.readouterr().out
    bad = write(tmp_path, GOOD.replace('responder_level = "hos"', 'responder_level = "ceo"'))
    assert main(["policies", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "stages[1].responder_level" in captured.err and str(bad) in captured.err
    # valid but with an unreachable stage: an "error" finding -> exit 1
    assert main(["policies", "check", str(write(tmp_path, UNREACHABLE))]) == 1
    assert "error: stage 'one' can never be reached" in capsys.readouterr().out


# --- no authority names in code -----------------------------------------------------------
def test_no_authority_names_in_python_source() -> None:
    names = ("Durham", "Knowsley", "Tower Hamlets", "Mosaic")
    offenders = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in names
        if name in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_short_labels_and_short_references_for_narrow_screens() -> None:
    """Issue 11: each profile may give short stage labels and a short reference form (80 columns)."""
    th = load_builtin("tower-hamlets-alerts")
    assert th.short_reference("ALERT-2026-0001") == "AL-2026-0001"
    assert th.short_reference("DRP-2026-0001") == "DRP-2026-0001"  # another procedure's reference: as it is
    assert [s.short_label for s in th.stages] == ["Informal", "1st Alert", "2nd Alert", "3rd Alert", "4th Alert",
                                                  "5th Alert"]
    for key in BUILTINS:
        p = load_builtin(key)
        shown = [s.short_label or s.label for s in p.stages]
        assert all(len(x) <= 12 for x in shown) and len(set(shown)) == len(shown), (key, shown)
        assert len(p.short_reference(p.reference(2026, 1))) <= 13  # the Reference column at 80 columns
    text = load_builtin("knowsley-dr").text.replace('short_label = "DR - Dir"', 'short_label = "Dispute Res - Director"')
    with pytest.raises(PolicyError, match=r"stages\[3\]\.short_label: at most 12 characters"):
        policy_loader.policy_from_text(text, "knowsley-dr.toml")
