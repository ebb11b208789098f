"""Steps that run alongside a dispute (issue 9): a Cafcass referral that leaves the dispute open,
"after all stages" meaning every stage really used, and the discussions a procedure asks for
before a referral or legal advice, recorded (with whom, when, what was said) and required.

Walked through ``drp dispute ...`` on profiles written here, then on the seeds' profiles.
Due dates are worked out by hand (England, late November 2026: no bank holidays).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import PolicyError, load_builtin, load_policy
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.store.db import close_database
from tests.factories import make_world
from tests.unit.test_cli_dispute import START, Cli, send_and_respond

MON_23, TUE_24, WED_25, THU_26 = START, date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)

PROFILE = """
key = "test-steps"
name = "A procedure written for this test"
version = 1
source = "tests/unit/test_cli_steps.py"
applies_to = ["CLA"]

[[levels]]
key = "worker"
label = "Worker"
holder = "allocated"

[[levels]]
key = "lead"
label = "Team Lead"

[[levels]]
key = "head"
label = "Head of Children's Services"

[[levels]]
key = "boss"
label = "Director"

[[levels]]
key = "chief_iro"
label = "Chief Reviewing Officer"
holder = "chair_team"

[[levels]]
key = "legal_lead"
label = "Legal Lead"
holder = "chair_team"

[[categories]]
key = "drift"
label = "Drift"

[[stages]]
key = "talk"
label = "A talk"
section = 2
responder_level = "worker"
timescale = { working_days = 2 }
informal = true

[[stages]]
key = "s1"
label = "Stage One"
section = 3
responder_level = "lead"
timescale = { working_days = 5 }

[[stages]]
key = "s2"
label = "Stage Two"
section = 4
responder_level = "head"
timescale = { working_days = 3 }

[[stages]]
key = "s3"
label = "Stage Three"
section = 5
responder_level = "boss"
timescale = { working_days = 4 }

[rules]
bypass = "any"
"""

ALONGSIDE = PROFILE + """cafcass = "any_time"
cafcass_ends_dispute = false
cafcass_tell_levels = ["chief_iro"]
legal_advice_tell_levels = ["legal_lead"]
"""
ALL_STAGES = PROFILE + 'cafcass = "after_all_stages"\n'
LAST_STAGE = PROFILE + 'cafcass = "after_last_stage"\n'


def _cli(text: str, db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    path = tmp_path / "test-steps.toml"
    path.write_text(text, encoding="utf-8")
    world = make_world(load_policy(path), calendar, clock)
    config = tmp_path / "drp.toml"
    config.write_text(f'policy = "{path}"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    return Cli(db_path, config, world, capsys, monkeypatch)


@pytest.fixture
def make(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def build(text: str) -> Cli:
        return _cli(text, db_path, clock, calendar, tmp_path, capsys, monkeypatch)
    yield build
    close_database()


def raise_at(c: Cli, stage: str) -> str:
    c.at(MON_23, 9)
    data = c.ok("chair1", "raise", "T100", "--category", "drift", "--stage", stage, "--arose", "2026-11-20",
                "--concern", "Contact with her brother has not happened for eight weeks.")
    return str(data["reference"])


# --- a referral that runs alongside; discussions recorded before it --------------------------------------

def test_referral_runs_alongside_and_waits_for_the_recorded_discussions(make) -> None:  # type: ignore[no-untyped-def]
    c = make(ALONGSIDE)
    w = c.world
    ref = raise_at(c, "s1")
    c.at(MON_23, 10)
    assert c.ok("chair1", "send", ref)["due"] == "2026-11-30"  # Mon 23 + 5 working days
    c.at(WED_25, 11)
    # no discussion recorded: refused, naming whom to discuss it with; "who was told" text does not do
    line = c.refused("chair1", "refer", ref, "--note", "Unreasonable failure.", "--told", "x")
    assert "Chief Reviewing Officer" in line and "record that discussion first" in line
    chief, lead = w.levels["chief_iro"], w.levels["lead"]
    # with someone who does not hold that level; a level the procedure does not name; nothing said
    assert "with whom" in c.refused("chair1", "discussion", ref, "--before", "refer", "--level", "chief_iro",
                                    "--with", lead.username, "--said", "Agreed.")
    assert "level" in c.refused("chair1", "discussion", ref, "--before", "refer", "--level", "lead",
                                "--with", lead.username, "--said", "Agreed.")
    assert "what was said" in c.refused("chair1", "discussion", ref, "--before", "refer", "--level",
                                        "Chief Reviewing Officer", "--with", chief.username, "--said", " ")
    assert "future" in c.refused("chair1", "discussion", ref, "--before", "refer", "--level", "chief_iro",
                                 "--with", chief.username, "--said", "Agreed.", "--when", "2026-11-26 09:00")
    # only the chair who raised it records it
    assert "chair who raised" in c.refused(chief.username, "discussion", ref, "--before", "refer", "--level", "chief_iro",
                                           "--with", chief.username, "--said", "Agreed.")
    talk = c.ok("chair1", "discussion", ref, "--before", "refer", "--level", "chief_iro", "--with", chief.username,
                "--said", "Agreed a referral is needed now.", "--when", "2026-11-25 09:30")
    assert talk["before"] == "cafcass_referral" and talk["status"] == "sent"
    referred = c.ok("chair1", "refer", ref, "--note", "Unreasonable failure to implement contact.")
    # the dispute stays open, its response clock runs on
    assert referred["status"] == "sent" and referred["due"] == "2026-11-30"
    assert [(d["kind"], d["due"]) for d in referred["deadlines"] if d["kind"] == "response"] == [
        ("response", "2026-11-30")]
    assert "already referred" in c.refused("chair1", "refer", ref, "--note", "Again.")
    # legal advice waits for its own discussion (a Cafcass one does not count)
    assert "Legal Lead" in c.refused("chair1", "legal-advice", ref, "--note", "Counsel's view.")
    legal = w.levels["legal_lead"]
    c.ok("chair1", "discussion", ref, "--before", "legal-advice", "--level", "Legal Lead", "--with", legal.name,
         "--said", "Independent advice agreed.")
    c.ok("chair1", "legal-advice", ref, "--note", "Counsel's view sought.")
    c.ok("chair1", "cafcass-discussion", ref, "--note", "Talked it through with Cafcass.")
    # the record: each step with who and when; discussions with whom, when, what was said
    record = c.ok("chair1", "show", ref)
    steps = [(s["kind"], s["before"], s["with_name"], s["by_name"]) for s in record["steps"]]
    assert steps == [("discussion", "cafcass_referral", chief.name, "Casey Chair"),
                     ("cafcass_referral", "", "", "Casey Chair"),
                     ("discussion", "legal_advice", legal.name, "Casey Chair"),
                     ("legal_advice", "", "", "Casey Chair"),
                     ("cafcass_discussion", "", "", "Casey Chair")]
    assert record["steps"][0]["held_at"].startswith("2026-11-25T09:30")
    assert record["steps"][1]["told"].startswith(f"Chief Reviewing Officer: {chief.name}")
    status, text, _ = c.run("chair1", "show", ref, json_out=False)
    assert status == 0, text
    assert (f"discussion before a Cafcass referral: with {chief.name} (Chief Reviewing Officer), "
            "Wed 25 Nov 2026 09:30: Agreed a referral is needed now.") in text
    assert "referred to Cafcass" in text and "Unreasonable failure to implement contact." in text
    # the dispute goes on: a response, an escalation, the next stage's clock
    c.at(THU_26, 10)
    c.ok(w.responder("s1").username, "respond", ref, "--text", "Contact resumes.")
    c.ok("chair1", "escalate", ref, "--to", "s2", "--comment", "No dates.")
    sent = c.ok("chair1", "send", ref)
    assert sent["status"] == "sent" and sent["due"] == "2026-12-01"  # Thu 26 + 3 working days


def test_a_profile_without_the_new_keys_keeps_todays_referral(make) -> None:  # type: ignore[no-untyped-def]
    c = make(PROFILE + 'cafcass = "any_time"\n')  # cafcass_ends_dispute left out: the referral closes it
    ref = raise_at(c, "s1")
    c.at(MON_23, 10)
    c.ok("chair1", "send", ref)
    assert "no one to discuss" in c.refused("chair1", "discussion", ref, "--before", "refer", "--level", "lead",
                                            "--with", c.world.levels["lead"].username, "--said", "x")
    referred = c.ok("chair1", "refer", ref, "--note", "Referred.")
    assert referred["status"] == "cafcass"
    assert "referred to Cafcass" in c.refused("chair1", "send", ref)


# --- "after all stages": every stage really used ------------------------------------------------------------

def _bypass_to_the_last(c: Cli) -> str:
    """Raised at Stage One, then straight to Stage Three (Stage Two bypassed), found not resolved."""
    ref = raise_at(c, "s1")
    send_and_respond(c, ref, "s1", MON_23)  # due Mon 30 Nov
    c.at(TUE_24, 9)
    c.ok("chair1", "escalate", ref, "--to", "s3", "--comment", "Only the Director can agree the funding.")
    c.at(TUE_24, 10)
    assert c.ok("chair1", "send", ref)["due"] == "2026-11-30"  # Tue 24 + 4 working days
    c.at(TUE_24, 15)
    c.ok(c.world.responder("s3").username, "respond", ref, "--text", "No funding.")
    c.ok("chair1", "decide", ref, "--not-resolved", "--comment", "Still no funding.")
    return ref


def test_after_all_stages_names_the_stages_not_used(make) -> None:  # type: ignore[no-untyped-def]
    c = make(ALL_STAGES)
    ref = _bypass_to_the_last(c)
    line = c.refused("chair1", "refer", ref, "--note", "Referral.")
    assert "not used (sent)" in line and "Stage Two" in line
    assert "Stage One" not in line and "A talk" not in line  # used; informal (not required)
    # a second dispute that used every formal stage may be referred, and the referral closes it
    ref2 = raise_at(c, "s1")
    send_and_respond(c, ref2, "s1", MON_23)
    for stage, day in (("s2", TUE_24), ("s3", WED_25)):
        c.at(day, 9)
        c.ok("chair1", "escalate", ref2, "--comment", "Not resolved.")
        send_and_respond(c, ref2, stage, day)  # due dates checked there, from each timescale
    c.ok("chair1", "decide", ref2, "--not-resolved", "--comment", "Still no funding.")
    assert c.ok("chair1", "refer", ref2, "--note", "Every stage used.")["status"] == "cafcass"


def test_after_all_stages_with_a_listed_set(make) -> None:  # type: ignore[no-untyped-def]
    c = make(ALL_STAGES + 'cafcass_after_stages = ["talk", "s1", "s2", "s3"]\n')
    ref = _bypass_to_the_last(c)
    line = c.refused("chair1", "refer", ref, "--note", "Referral.")
    assert "A talk, Stage Two" in line


def test_after_last_stage_keeps_todays_rule(make) -> None:  # type: ignore[no-untyped-def]
    c = make(LAST_STAGE)
    ref = _bypass_to_the_last(c)
    assert c.ok("chair1", "refer", ref, "--note", "Reached the last stage.")["status"] == "cafcass"


# --- the seeds ---------------------------------------------------------------------------------------------

@pytest.fixture
def seed(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def build(key: str) -> Cli:
        world = make_world(load_builtin(key), calendar, clock)
        config = tmp_path / "drp.toml"
        config.write_text(f'policy = "{key}"\nnation = "ENG"\n', encoding="utf-8")
        close_database()
        monkeypatch.setattr(cli_dispute, "CLOCK", clock)
        return Cli(db_path, config, world, capsys, monkeypatch)
    yield build
    close_database()


def _raise(c: Cli, stage: str) -> str:
    c.at(MON_23, 9)
    data = c.ok("chair1", "raise", "T100", "--category", c.world.policy.categories[0].key, "--stage", stage,
                "--arose", "2026-11-20", "--concern", "Sibling contact has not happened for eight weeks.")
    return str(data["reference"])


def test_knowsley_cafcass_at_any_point_does_not_end_the_dispute(seed) -> None:  # type: ignore[no-untyped-def]
    """004:28 "The IRO/CP Chair has the power to refer the matter to Cafcass at any point in the
    dispute resolution process": the dispute goes on, its clocks running."""
    c = seed("knowsley-dr")
    ref = _raise(c, "stage_2")
    c.at(MON_23, 10)
    assert c.ok("chair1", "send", ref)["due"] == "2026-11-30"  # 004:38 5 working days from Mon 23
    c.at(TUE_24, 10)
    referred = c.ok("chair1", "refer", ref, "--note", "Unreasonable failure to implement the care plan.")
    assert referred["status"] == "sent" and referred["due"] == "2026-11-30"
    kinds = {d["kind"] for d in referred["deadlines"]}
    assert "response" in kinds
    record = c.ok("chair1", "show", ref)
    assert [s["kind"] for s in record["steps"]] == ["cafcass_referral"]
    c.at(WED_25, 10)
    c.ok(c.world.responder("stage_2").username, "respond", ref, "--text", "Contact resumes.")
    assert c.ok("chair1", "decide", ref, "--resolved", "--comment", "Done.")["status"] == "resolved"


def test_mosaic_cafcass_only_after_all_stages_used(seed) -> None:  # type: ignore[no-untyped-def]
    """000:90 "Prior to submitting a referral to CAFCASS, the IRO must utilise all stages of the DRP":
    a dispute raised at Stage 4 (000:59 lets it start there) has not used stages 1 to 3."""
    c = seed("mosaic-iro")
    ref = _raise(c, "stage_4")
    send_and_respond(c, ref, "stage_4", MON_23)  # approved (000:85), due Mon 23 + 5 working days (000:77)
    c.at(TUE_24, 10)
    c.ok("chair1", "decide", ref, "--not-resolved", "--comment", "No plan.")
    line = c.refused("chair1", "refer", ref, "--note", "Referral.")
    assert "Stage 1 DRP, Stage 2 DRP, Stage 3 DRP" in line
    assert "Informal" not in line  # 000:59 "Informal stage (if appropriate)"


def test_mosaic_discussions_before_a_referral_are_recorded(seed) -> None:  # type: ignore[no-untyped-def]
    """000:92 "the IRO will discuss this with their Service Manager and Head of Service, prior to
    making the referral": each discussion recorded (with whom, when, what was said); no text does."""
    c = seed("mosaic-iro")
    w = c.world
    ref = _raise(c, "stage_1")
    day = MON_23
    for i, stage in enumerate(("stage_1", "stage_2", "stage_3", "stage_4")):
        if i:
            c.at(day, 9)
            c.ok("chair1", "escalate", ref, "--comment", "Not resolved.")
        send_and_respond(c, ref, stage, day)  # each due date checked from its 5 working days
        day = w.calendar.add_working_days(day, 1)
    c.at(day, 10)
    c.ok("chair1", "decide", ref, "--not-resolved", "--comment", "Still no contact.")
    line = c.refused("chair1", "refer", ref, "--note", "Referral.", "--told", "x")  # "x" no longer does
    assert "Service Manager (IRO service) and Head of Service (IRO service)" in line
    sm, hos = w.levels["iro_service_manager"], w.levels["iro_head_of_service"]
    assert "with whom" in c.refused("chair1", "discussion", ref, "--before", "refer", "--level",
                                    "iro_service_manager", "--with", hos.username, "--said", "Agreed.")
    c.ok("chair1", "discussion", ref, "--before", "refer", "--level", "iro_service_manager", "--with", sm.username,
         "--said", "Agreed: every stage used, contact still not happening.")
    line = c.refused("chair1", "refer", ref, "--note", "Referral.")
    assert "Head of Service (IRO service)" in line and "Service Manager (IRO service) and" not in line
    c.ok("chair1", "discussion", ref, "--before", "refer", "--level", "Head of Service (IRO service)",
         "--with", hos.username, "--said", "Agreed the referral.")
    referred = c.ok("chair1", "refer", ref, "--note", "Unreasonable failure to implement sibling contact.")
    assert referred["status"] == "cafcass"
    record = c.ok("chair1", "show", ref)
    assert [(s["kind"], s["level"], s["with_name"]) for s in record["steps"]] == [
        ("discussion", "iro_service_manager", sm.name), ("discussion", "iro_head_of_service", hos.name),
        ("cafcass_referral", "", "")]


def test_check_finds_referral_rules_with_no_effect(tmp_path: Path) -> None:
    from drp_tui.domain import policy_check as pc

    path = tmp_path / "noeffect.toml"
    path.write_text(PROFILE + 'cafcass = "not_applicable"\ncafcass_ends_dispute = false\n'
                    'cafcass_after_stages = ["s1"]\n', encoding="utf-8")
    got = {(f.kind, f.path) for f in pc.check_policy(load_policy(path))}
    assert {(pc.NO_EFFECT, "rules.cafcass_ends_dispute"), (pc.NO_EFFECT, "rules.cafcass_after_stages")} <= got
    path.write_text(ALL_STAGES + 'cafcass_after_stages = ["s1"]\n', encoding="utf-8")
    assert not [f for f in pc.check_policy(load_policy(path)) if f.kind == pc.NO_EFFECT]
    path.write_text(ALL_STAGES + 'cafcass_after_stages = ["s9"]\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"rules.cafcass_after_stages\[0\].*unknown stage 's9'"):
        load_policy(path)
