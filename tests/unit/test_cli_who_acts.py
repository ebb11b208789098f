"""Who acts at each stage, and approvals on transitions, walked through ``drp dispute ...``.

A profile WRITTEN FOR THESE TESTS (not a built-in) says: stage 2 is sent by a QA service
manager, escalated by the chairs' manager, and closes only when the chair AND the QA manager
are both satisfied; escalating to stage 2, bypassing to stage 3, raising at stage 3 and a
Cafcass referral each need their own approver level. Then the Tower Hamlets seed fixes
(003:24, 003:70) on the built-in profile. Due dates are worked out by hand below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import PolicyError, load_builtin, load_policy, policy_from_text
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.store.db import close_database
from tests.factories import make_world
from tests.unit.test_cli_dispute import Cli

START = date(2026, 11, 23)  # Monday

PROFILE = """
key = "testshire-who-acts"
name = "Testshire: who acts, and approvals on transitions"
version = 1
source = "written for this test"
applies_to = ["CLA"]

[[levels]]
key = "team_manager"
label = "Team Manager"

[[levels]]
key = "service_manager"
label = "Service Manager"

[[levels]]
key = "head_of_service"
label = "Head of Service"

[[levels]]
key = "qa_manager"
label = "QA Service Manager"
holder = "chair_team"

[[levels]]
key = "chairs_manager"
label = "Chairs' Manager"
holder = "chair_team"

[[categories]]
key = "plan"
label = "Care plan"

[[stages]]
key = "s1"
label = "Stage 1"
section = 2
responder_level = "team_manager"
timescale = { working_days = 5 }

[[stages]]
key = "s2"
label = "Stage 2"
section = 3
responder_level = "service_manager"
timescale = { working_days = 5 }
may_start = false
sent_by = ["qa_manager"]
escalated_by = ["chairs_manager"]
closed_by = ["chair", "qa_manager"]
close_needs_all = true

[[stages]]
key = "s3"
label = "Stage 3"
section = 4
responder_level = "head_of_service"
timescale = { working_days = 10 }
bypass_target = true

[rules]
bypass = "listed"
cafcass = "any_time"

[[approvals]]
on = "escalate"
from = "s1"
to = "s2"
level = "qa_manager"

[[approvals]]
on = "bypass"
from = "s1"
to = "s3"
level = "chairs_manager"

[[approvals]]
on = "raise"
to = "s3"
level = "qa_manager"

[[approvals]]
on = "cafcass_referral"
level = "chairs_manager"
"""

CONCERN = ("--concern", "Contact with her brother has not happened for eight weeks.",
           "--impact", "She asks about him at every visit.", "--wanted", "Dates agreed and shared.")


@pytest.fixture
def make_cli(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
             capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Cli]]:
    def make(spec: str) -> Cli:
        """``spec``: a built-in key, or TOML text written to a file the configuration names."""
        if "\n" in spec:
            path = tmp_path / "testshire-who-acts.toml"
            path.write_text(spec, encoding="utf-8")
            policy: Policy = load_policy(path)
            spec = str(path)
        else:
            policy = load_builtin(spec)
        world = make_world(policy, calendar, clock)
        config = tmp_path / "drp.toml"
        config.write_text(f'policy = "{spec}"\nnation = "ENG"\n', encoding="utf-8")
        close_database()
        monkeypatch.setattr(cli_dispute, "CLOCK", clock)
        return Cli(db_path, config, world, capsys, monkeypatch)

    yield make
    close_database()


def user(c: Cli, level: str) -> str:
    return c.world.levels[level].username


def raise_at(c: Cli, stage: str, case: str = "T100") -> str:
    ref: str = c.ok("chair1", "raise", case, "--category", c.world.policy.categories[0].key, "--stage", stage,
                    "--arose", START.isoformat(), *CONCERN)["reference"]
    return ref


def respond(c: Cli, ref: str, level: str) -> None:
    c.ok(user(c, level), "respond", ref, "--text", "Contact resumes next week.")


def test_a_stage_sent_by_a_named_level_after_its_own_approval_and_closed_when_all_are_satisfied(
        make_cli: Callable[[str], Cli]) -> None:
    c = make_cli(PROFILE)
    c.at(START, 9)
    ref = raise_at(c, "s1")
    c.at(START, 10)
    sent = c.ok("chair1", "send", ref)  # stage 1: the chair sends (the default)
    assert sent["due"] == "2026-11-30"  # Mon 23 + 5 working days: 24, 25, 26, 27, 30 Nov
    c.at(START, 14)
    respond(c, ref, "team_manager")
    c.at(START, 16)
    assert c.ok("chair1", "escalate", ref, "--comment", "No dates in the plan.")["stage"] == "s2"

    day = date(2026, 11, 24)
    c.at(day, 10)
    assert "only QA Service Manager can send it at Stage 2" in c.refused("chair1", "send", ref)
    gated = c.refused(user(c, "qa_manager"), "send", ref)  # the QA manager, before the escalation is approved
    assert "escalating from Stage 1 to Stage 2 needs QA Service Manager's approval" in gated
    assert "QA Service Manager" in c.refused("chair1", "approve", ref)  # the chair is not the approver
    assert "QA Service Manager" in c.refused(user(c, "chairs_manager"), "approve", ref)  # nor another level
    c.ok(user(c, "qa_manager"), "decline", ref, "--reason", "Section 1 lacks the review dates.")
    declined = c.refused(user(c, "qa_manager"), "send", ref)
    assert "declined escalating from Stage 1 to Stage 2: Section 1 lacks the review dates." in declined
    c.ok(user(c, "qa_manager"), "approve", ref, "--note", "Dates added; agreed.")
    sent = c.ok(user(c, "qa_manager"), "send", ref)
    assert sent["stage"] == "s2" and sent["due"] == "2026-12-01"  # Tue 24 Nov + 5: 25, 26, 27, 30 Nov, 1 Dec
    assert [(a["gate"], a["decision"], a["reason"]) for a in sent["approvals"]] == [
        ("escalate:qa_manager", "declined", "Section 1 lacks the review dates."),
        ("escalate:qa_manager", "approved", "Dates added; agreed.")]

    c.at(day, 14)
    respond(c, ref, "service_manager")
    c.at(day, 15)
    assert "only the IRO who raised it or QA Service Manager can decide it at Stage 2" in c.refused(
        user(c, "team_manager"), "decide", ref, "--resolved")
    half = c.ok("chair1", "decide", ref, "--resolved", "--comment", "Contact dates agreed.")
    assert half["status"] == "responded"  # the chair is satisfied; the QA manager has not said so yet
    again = c.refused("chair1", "decide", ref, "--resolved")
    assert "already recorded that you are satisfied" in again and "QA Service Manager" in again
    done = c.ok(user(c, "qa_manager"), "decide", ref, "--resolved", "--comment", "Agreed.")
    assert done["status"] == "resolved"
    assert [(a["gate"], a["decision"]) for a in done["approvals"] if a["decision"] == "satisfied"] == [
        ("close:chair", "satisfied"), ("close:qa_manager", "satisfied")]


def test_escalated_by_a_named_level_and_a_bypass_gate_does_not_fall_on_the_ordinary_escalation(
        make_cli: Callable[[str], Cli]) -> None:
    c = make_cli(PROFILE)
    c.at(START, 10)
    ref = raise_at(c, "s1")
    c.ok("chair1", "send", ref)
    respond(c, ref, "team_manager")
    c.ok("chair1", "escalate", ref, "--comment", "No dates in the plan.")
    c.ok(user(c, "qa_manager"), "approve", ref)
    c.ok(user(c, "qa_manager"), "send", ref)
    respond(c, ref, "service_manager")
    refused = c.refused("chair1", "escalate", ref, "--comment", "Still no dates.")
    assert "only Chairs' Manager can escalate it at Stage 2" in refused
    up = c.ok(user(c, "chairs_manager"), "escalate", ref, "--comment", "Still no dates.")
    assert up["stage"] == "s3" and up["status"] == "draft"
    day = date(2026, 11, 25)
    c.at(day, 10)
    sent = c.ok("chair1", "send", ref)  # stage 2 -> 3 is the ordinary escalation: no approval asked
    assert sent["due"] == "2026-12-09"  # Wed 25 Nov + 10: 26, 27, 30 Nov, 1, 2, 3, 4, 7, 8, 9 Dec

    # a Cafcass referral needs the chairs' manager's approval, and only theirs
    needs = c.refused("chair1", "refer", ref, "--note", "Referral.")
    assert "a referral to Cafcass needs Chairs' Manager's approval first" in needs
    assert "Chairs' Manager" in c.refused(user(c, "qa_manager"), "approve", ref)
    c.ok(user(c, "chairs_manager"), "approve", ref, "--note", "Agreed at supervision.")
    assert c.ok("chair1", "refer", ref, "--note", "Referral.")["status"] == "cafcass"


def test_bypass_and_raise_at_a_later_stage_need_their_own_approvers(make_cli: Callable[[str], Cli]) -> None:
    c = make_cli(PROFILE)
    c.at(START, 10)
    ref = raise_at(c, "s1")
    c.ok("chair1", "send", ref)  # due Mon 30 Nov; overdue from Tue 1 Dec
    day = date(2026, 12, 1)
    c.at(day, 9)
    assert c.ok("chair1", "escalate", ref, "--to", "s3")["stage"] == "s3"  # a bypass: Stage 2 jumped
    gated = c.refused("chair1", "send", ref)
    assert "going straight from Stage 1 to Stage 3 needs Chairs' Manager's approval" in gated
    assert "Chairs' Manager" in c.refused(user(c, "qa_manager"), "approve", ref)
    c.ok(user(c, "chairs_manager"), "approve", ref)
    assert c.ok("chair1", "send", ref)["due"] == "2026-12-15"  # Tue 1 Dec + 10: 2, 3, 4, 7 .. 11, 14, 15 Dec

    other = raise_at(c, "s3", case="T101")  # raised straight at stage 3
    assert "starting at Stage 3 needs QA Service Manager's approval" in c.refused("chair1", "send", other)
    c.ok(user(c, "qa_manager"), "approve", other)
    assert c.ok("chair1", "send", other)["due"] == "2026-12-15"


def test_the_loader_names_file_and_key_of_a_bad_party_or_approval() -> None:
    def fails(old: str, new: str) -> str:
        text = PROFILE.replace(old, new, 1)
        assert text != PROFILE
        with pytest.raises(PolicyError) as e:
            policy_from_text(text, "t.toml")
        return str(e.value)

    assert "stages[1].sent_by[0]" in fails('sent_by = ["qa_manager"]', 'sent_by = ["qa_manger"]')
    assert "stages[1].closed_by" in fails('closed_by = ["chair", "qa_manager"]', "closed_by = []")
    assert "approvals[0].on" in fails('on = "escalate"', 'on = "escalation"')
    assert "approvals[0].to" in fails('to = "s2"', 'to = "s3"')  # escalating goes to the next stage only
    assert "approvals[2].to" in fails('on = "raise"\nto = "s3"', 'on = "raise"\nto = "s2"')  # s2 may not start
    assert "approvals[3]" in fails('on = "cafcass_referral"', 'on = "cafcass_referral"\nto = "s3"')


# --- Tower Hamlets (seed 003) ------------------------------------------------------------------------

GM = "iro_group_manager"


def test_tower_hamlets_group_manager_discussion_however_the_formal_alerts_start(
        make_cli: Callable[[str], Cli]) -> None:
    """003:24 "following a discussion with the Group Manager for the IRO service, the IRO should
    start the Resolution Process": informal -> 1st Alert, informal -> 3rd Alert (003:57), and a
    dispute raised at the 3rd Alert (003:57) all wait for the Group Manager; 2nd -> 3rd does not."""
    c = make_cli("tower-hamlets-alerts")
    assert c.world.policy.version == 2
    c.at(START, 9)
    ref = raise_at(c, "informal")
    c.ok("chair1", "send", ref)
    respond(c, ref, "team_manager")
    c.ok("chair1", "escalate", ref, "--comment", "Not resolved informally.")
    assert "needs Group Manager (IRO service)'s approval" in c.refused("chair1", "send", ref)
    c.ok(user(c, GM), "approve", ref, "--note", "Discussed; start the RP.")
    assert c.ok("chair1", "send", ref)["due"] == "2026-12-07"  # 003:63: Mon 23 Nov + 10 working days

    straight = raise_at(c, "alert_3", case="T101")  # 003:57 escalated directly to the Head of Service
    assert "starting at 3rd Alert - Head of Service needs Group Manager (IRO service)'s approval" in \
        c.refused("chair1", "send", straight)
    c.ok(user(c, GM), "approve", straight)
    c.ok("chair1", "send", straight)

    jumped = raise_at(c, "informal", case="T102")
    c.ok("chair1", "send", jumped)
    respond(c, jumped, "team_manager")
    c.ok("chair1", "escalate", jumped, "--to", "alert_3", "--comment", "Delay would harm the child.")
    assert "going straight from Informal escalation to 3rd Alert - Head of Service needs Group Manager" in \
        c.refused("chair1", "send", jumped)

    # the RP has started: 1st -> 2nd -> 3rd Alert are ordinary escalations, no Group Manager gate
    respond(c, ref, "team_manager")
    c.ok("chair1", "escalate", ref, "--comment", "Reply not satisfactory.")
    c.ok("chair1", "send", ref)
    respond(c, ref, "service_manager")
    c.ok("chair1", "escalate", ref, "--comment", "Reply not satisfactory.")
    assert c.ok("chair1", "send", ref)["stage"] == "alert_3"


def test_tower_hamlets_the_ciro_issues_the_fourth_alert(make_cli: Callable[[str], Cli]) -> None:
    """003:70 "Where the matter has not been resolved the CIRO will issue a Stage 4 Alert to the Director"."""
    c = make_cli("tower-hamlets-alerts")
    c.at(START, 9)
    ref = raise_at(c, "alert_3", case="T100")
    c.ok(user(c, GM), "approve", ref)
    c.ok("chair1", "send", ref)
    respond(c, ref, "head_of_service")
    c.ok("chair1", "escalate", ref, "--comment", "Head of Service reply does not resolve it.")
    assert "only CIRO can send it at 4th Alert" in c.refused("chair1", "send", ref)
    sent = c.ok(user(c, "ciro"), "send", ref)
    assert sent["stage"] == "alert_4" and sent["due"] == "2026-12-07"  # 003:71: Mon 23 Nov + 10 working days
