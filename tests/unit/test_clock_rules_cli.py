"""Clocks from a recorded event, calendar days, late steps, the chair's own timescale and extensions,
walked through ``drp dispute ...`` on a profile written for the test (and the seeds that use them).

Due dates are worked out by hand in the comments (England, late 2026: no bank holiday before
25 December); the command line's answers are compared with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_check import check_policy
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import PolicyError, load_builtin, load_policy
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.store.db import close_database
from tests.factories import make_world
from tests.unit.test_cli_dispute import Cli, raise_at

PROFILE = """
key = "clock-test"
name = "Clock test procedure"
version = 1
source = "written for the test"
applies_to = ["CLA"]

[[levels]]
key = "sw"
label = "Social Worker"
holder = "allocated"

[[levels]]
key = "tm"
label = "Team Manager"

[[levels]]
key = "sm"
label = "Service Manager"

[[categories]]
key = "drift"
label = "Drift and delay"

[[stages]]
key = "talk"
label = "Informal talk"
section = 2
responder_level = "sw"
timescale = { working_days = 3 }
informal = true
chair_sets_timescale = true

[[stages]]
key = "formal"
label = "Formal challenge"
section = 3
responder_level = "tm"
timescale = { calendar_days = 7 }

[[stages]]
key = "senior"
label = "Senior manager"
section = 4
responder_level = "sm"
timescale = { working_days = 2, from = "conversation" }

[rules]
raise_window = { working_days = 2, from = "formal_start" }
extensions_allowed = false
extension_needs_reason = false
due_soon_working_days = 0
"""

# Mon 23 Nov 2026
MON23, TUE24, WED25, THU26, FRI27 = (date(2026, 11, d) for d in (23, 24, 25, 26, 27))
MON30, TUE1, WED2, WED9, THU10, MON14 = (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2),
                                         date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 14))


def _cli(policy: Policy, spec: str, db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    world = make_world(policy, calendar, clock)
    config = tmp_path / "drp.toml"
    config.write_text(f'policy = "{spec}"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    return Cli(db_path, config, world, capsys, monkeypatch)


@pytest.fixture
def cli(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    profile = tmp_path / "clock-test.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    yield _cli(load_policy(profile), str(profile), db_path, clock, calendar, tmp_path, capsys, monkeypatch)
    close_database()


def clock_of(record: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [d for d in record["deadlines"] if d["kind"] == kind]


def test_the_profile_loads_and_checks_clean(tmp_path: Path) -> None:
    path = tmp_path / "clock-test.toml"
    path.write_text(PROFILE, encoding="utf-8")
    p = load_policy(path)
    assert p.stage("formal").timescale.calendar_days == 7
    assert p.stage("senior").timescale.start is not None and p.stage("senior").timescale.start.value == "conversation"
    assert not [f for f in check_policy(p) if f.severity == "error"]
    # the reason is optional here because a stage's length is the chair's to lengthen: not "no effect"
    assert not [f for f in check_policy(p) if f.path == "rules.extension_needs_reason"]


@pytest.mark.parametrize(("bad", "problem"), [
    ('timescale = { calendar_days = 7 }', 'timescale = { calendar_days = 7, working_days = 2 }'),
    ('timescale = { calendar_days = 7 }', 'timescale = { from = "sent" }'),
    ('timescale = { calendar_days = 7 }', 'timescale = { calendar_days = 7, from = "the moon" }'),
    ('extensions_allowed = false', 'negotiation_window = { hours = 2, from = "sent" }'),
])
def test_mistakes_in_the_new_keys_fail_naming_the_key(tmp_path: Path, bad: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(PROFILE.replace(bad, problem, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert ("stages[1].timescale" in message) or ("rules.negotiation_window" in message), message


def test_walk_chairs_day_lengthened_without_reason_late_response_formal_start_calendar_days_conversation(
        cli: Cli) -> None:
    c = cli
    c.at(MON23, 9)
    ref = raise_at(c, "talk", case="T100")["reference"]
    # the report window runs from the start of the formal process: nothing runs while informal
    assert clock_of(c.ok("chair1", "show", ref), "raise") == []
    c.at(MON23, 10)
    # "by tomorrow": the chair's agreed day, not talk's usual 3 working days (Thu 26)
    sent = c.ok("chair1", "send", ref, "--due", "24/11/2026")
    assert sent["due"] == TUE24.isoformat()
    # lengthened by the chair (extensions_allowed = false: the stage's length is theirs), no reason needed
    c.at(TUE24, 9)
    assert c.ok("chair1", "extend", ref, "--until", WED25.isoformat())["due"] == WED25.isoformat()
    assert c.refused("chair1", "extend", ref, "--until", TUE24.isoformat()).startswith(
        "drp dispute: extended to: ")  # not shorter than it is
    # the social worker answers on Thu 26: one working day after the end of Wed 25
    c.at(THU26, 11)
    c.ok(c.world.responder("talk").username, "respond", ref, "--text", "Contact is booked.")
    record = c.ok("chair1", "show", ref)
    (resp,) = clock_of(record, "response")
    assert resp["state"] == "late" and resp["late"] == "responded 1 working day late"
    assert record["stages"][0]["late"] == "responded 1 working day late"
    _, text, _ = c.run("chair1", "show", ref, json_out=False)
    assert "late" in text and "(responded 1 working day late)" in text
    # sending the informal stage did not start or meet the report window; escalating starts it
    c.at(FRI27, 10)
    c.ok("chair1", "escalate", ref, "--comment", "Contact still not happening.")
    (rw,) = clock_of(c.ok("chair1", "show", ref), "raise")
    # Fri 27 + 2 working days = Tue 1 Dec
    assert rw["due"] == TUE1.isoformat() and rw["state"] == "on_track"
    assert "formal process" in rw["label"]
    c.at(MON30, 10)  # due_soon_working_days = 0: the day before is not "due soon"
    (rw,) = clock_of(c.ok("chair1", "show", ref), "raise")
    assert rw["state"] == "on_track"
    c.at(TUE1, 10)
    (rw,) = clock_of(c.ok("chair1", "show", ref), "raise")
    assert rw["state"] == "due_today"
    # the procedure sets this stage's length: the chair cannot set a day
    c.at(WED2, 10)
    line = c.refused("chair1", "send", ref, "--due", WED9.isoformat())
    assert "due by: the procedure sets the timescale of Formal challenge (7 calendar days)" in line
    sent = c.ok("chair1", "send", ref)
    assert sent["due"] == WED9.isoformat()  # Wed 2 Dec + 7 calendar days
    (rw,) = clock_of(c.ok("chair1", "show", ref), "raise")
    assert rw["state"] == "late" and rw["late"] == "sent 1 working day late"
    c.at(WED9, 16)
    c.ok(c.world.responder("formal").username, "respond", ref, "--text", "Sessions booked.")
    record = c.ok("chair1", "show", ref)
    assert sorted(d["state"] for d in clock_of(record, "response")) == ["done", "late"]  # formal on time; talk late
    # the senior stage runs from the conversation recorded before it is sent
    c.at(THU10, 11)
    c.ok("chair1", "escalate", ref, "--comment", "The sessions did not happen.")
    c.ok("chair1", "conversation", ref, "--with", "Sam Senior", "--how", "phone", "--agreed", "Look into it.")
    c.at(MON14, 10)
    sent = c.ok("chair1", "send", ref)
    # Thu 10 Dec + 2 working days = Mon 14 Dec (from sending it would be Wed 16 Dec)
    assert sent["due"] == MON14.isoformat()
    (resp,) = [d for d in clock_of(c.ok("chair1", "show", ref), "response") if d["state"] != "done"
               and d["state"] != "late"]
    assert resp["due"] == MON14.isoformat() and resp["state"] == "due_today"


def test_extension_reason_required_where_the_profile_says(
        db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = PROFILE.replace("extensions_allowed = false\nextension_needs_reason = false",
                           "extensions_allowed = true\nextension_needs_reason = true")
    profile = tmp_path / "clock-test.toml"
    profile.write_text(text, encoding="utf-8")
    c = _cli(load_policy(profile), str(profile), db_path, clock, calendar, tmp_path, capsys, monkeypatch)
    try:
        c.at(MON23, 9)
        ref = raise_at(c, "formal")["reference"]
        c.ok("chair1", "send", ref)
        line = c.refused("chair1", "extend", ref, "--until", date(2026, 12, 4).isoformat())
        assert "benefit to the child" in line
        done = c.ok("chair1", "extend", ref, "--until", date(2026, 12, 4).isoformat(), "--reason", "Assessment due.")
        assert done["due"] == "2026-12-04"
    finally:
        close_database()


@pytest.mark.parametrize("policy_key", ["durham-rp"])
def test_durham_report_window_runs_from_the_formal_start_001_59(
        db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path, policy_key: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """001:58-59: "the IRO will progress a formal RP ... The RP report ... sent to the relevant
    management level within 2 days": from starting the formal process (stage 2), not met by sending
    the informal stage 1."""
    c = _cli(load_builtin(policy_key), policy_key, db_path, clock, calendar, tmp_path, capsys, monkeypatch)
    try:
        c.at(MON23, 9)
        ref = raise_at(c, "stage_1")["reference"]  # issue arose Mon 23 Nov
        c.at(MON23, 10)
        c.ok("chair1", "send", ref)
        assert clock_of(c.ok("chair1", "show", ref), "raise") == []  # informal: no report window yet
        c.at(THU26, 15)  # stage 1 not answered in time: the IRO goes formal
        c.ok("chair1", "escalate", ref)
        (rw,) = clock_of(c.ok("chair1", "show", ref), "raise")
        # Thu 26 + 2 working days = Mon 30 Nov (from the issue arising it would have been Wed 25: overdue)
        assert rw["due"] == MON30.isoformat() and rw["state"] == "on_track"
        c.at(MON30, 10)
        c.ok("chair1", "send", ref)
        (rw,) = clock_of(c.ok("chair1", "show", ref), "raise")
        assert rw["state"] == "done" and not rw["late"]
    finally:
        close_database()


@pytest.mark.parametrize("policy_key", ["knowsley-dr"])
def test_knowsley_informal_stage_length_is_the_chairs_004_37(
        db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path, policy_key: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """004:37: "It is at the discretion of the IRO/CP Chair how long they wish to remain at the
    Informal challenge stage": the chair sets the day and may lengthen it; stage 2 keeps its 5 days."""
    c = _cli(load_builtin(policy_key), policy_key, db_path, clock, calendar, tmp_path, capsys, monkeypatch)
    try:
        c.at(MON23, 9)
        ref = raise_at(c, "stage_1")["reference"]
        c.at(MON23, 10)
        assert c.ok("chair1", "send", ref, "--due", TUE24.isoformat())["due"] == TUE24.isoformat()
        c.at(TUE24, 10)
        done = c.ok("chair1", "extend", ref, "--until", FRI27.isoformat(), "--reason", "Awaiting the school's view.")
        assert done["due"] == FRI27.isoformat()
        c.at(date(2026, 11, 30), 10)
        c.ok("chair1", "escalate", ref)
        line = c.refused("chair1", "send", ref, "--due", WED2.isoformat())
        assert "the procedure sets the timescale of Dispute Resolution (5 working days)" in line
        sent = c.ok("chair1", "send", ref)
        assert sent["due"] == date(2026, 12, 7).isoformat()  # Mon 30 Nov + 5 working days
        # extensions are not in this procedure's formal stages (004:42)
        assert "does not provide for extensions" in c.refused("chair1", "extend", ref, "--until", "2026-12-09",
                                                               "--reason", "More time.")
    finally:
        close_database()


def test_walk_window_from_the_issue_arising_and_hours_late(
        db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = (PROFILE.replace("timescale = { calendar_days = 7 }", 'timescale = { working_days = 5, from = "issue_arose" }')
            .replace('timescale = { working_days = 2, from = "conversation" }', "timescale = { hours = 4 }"))
    profile = tmp_path / "clock-test.toml"
    profile.write_text(text, encoding="utf-8")
    c = _cli(load_policy(profile), str(profile), db_path, clock, calendar, tmp_path, capsys, monkeypatch)
    try:
        c.at(WED25, 9)
        ref = raise_at(c, "formal")["reference"]  # the issue arose Mon 23 Nov
        c.at(WED25, 10)
        # Mon 23 + 5 working days = Mon 30 Nov (from sending it would be Wed 2 Dec)
        assert c.ok("chair1", "send", ref)["due"] == MON30.isoformat()
        c.at(MON30, 12)
        c.ok(c.world.responder("formal").username, "respond", ref, "--text", "Booked.")
        c.ok("chair1", "escalate", ref, "--comment", "Not enough.")
        c.at(TUE1, 10)
        sent = c.ok("chair1", "send", ref)
        assert sent["due_at"].startswith("2026-12-01T14:00")  # 4 clock hours
        c.at(TUE1, 15)
        c.ok(c.world.responder("senior").username, "respond", ref, "--text", "Done.")
        record = c.ok("chair1", "show", ref)
        assert record["stages"][0]["late"] is None  # answered on its due day
        assert record["stages"][1]["late"] == "responded 1 hour late"
    finally:
        close_database()


def test_check_counts_calendar_days_against_a_working_day_cap(tmp_path: Path) -> None:
    # formal: 7 calendar days hold at most 5 working days; senior: 2; a cap of 6 over both is overrun by 1
    text = PROFILE.replace("due_soon_working_days = 0",
                           'due_soon_working_days = 0\ncaps = [{ working_days = 6, from_stage = "formal" }]')
    path = tmp_path / "capped.toml"
    path.write_text(text, encoding="utf-8")
    findings = check_policy(load_policy(path))
    (over,) = [f for f in findings if f.kind == "cap_overrun"]
    assert "5 (7 calendar days)+2" in over.message and "overruns the cap by 1" in over.message
    # a cap the calendar days fit inside (at most 5 + 2 = 7) leaves no overrun
    roomy = text.replace("working_days = 6, from_stage", "working_days = 7, from_stage")
    path.write_text(roomy, encoding="utf-8")
    assert not [f for f in check_policy(load_policy(path)) if f.kind == "cap_overrun"]
    # a raise window counted from the sending can never be missed
    never = text.replace('raise_window = { working_days = 2, from = "formal_start" }',
                         'raise_window = { working_days = 2, from = "sent" }')
    path.write_text(never, encoding="utf-8")
    assert [f.path for f in check_policy(load_policy(path)) if f.kind == "no_effect"] == ["rules.raise_window.from"]
