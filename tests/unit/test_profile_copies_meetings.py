"""Profiles that copy on a fact of the dispute or to a team inbox, expect meetings with their own
clock and arranger, set monitoring after a stage's agreed outcome, and name children's statuses
beyond CLA/CP/CIN: a profile written for the test, walked through ``drp dispute ...`` (and
``drp child add``), with due dates worked out by hand. Then the Durham seed lines these read.

Calendar (England): Mon 23 Nov 2026 is the start; no bank holiday until 25 Dec.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.cli import main
from drp_tui.cli import users as cli_users
from drp_tui.domain import forms
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_check import COPIES_TO_NOBODY, Installation, TeamCover, check_installation, check_policy
from drp_tui.domain.policy_loader import PolicyError, load_builtin, load_policy, policy_from_text
from drp_tui.domain.timeutil import LONDON, FrozenClock
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from tests.factories import PASSWORD, World, make_world

PROFILE = """
key = "test-copies"
name = "Test procedure: facts, team copies, meetings"
version = 1
source = "written for this test"
applies_to = ["CLA", "care_experienced"]

[[facts]]
key = "proceedings"
label = "In PLO or care proceedings"

[[statuses]]
key = "care_experienced"
label = "Care experienced"

[[levels]]
key = "team_manager"
label = "Team Manager"

[[levels]]
key = "service_manager"
label = "Service Manager"

[[levels]]
key = "legal"
label = "Legal Advisor"

[[levels]]
key = "iro_manager"
label = "IRO Manager"
holder = "chair_team"

[[categories]]
key = "drift"
label = "Drift and delay"

[[stages]]
key = "one"
label = "Team Manager stage"
section = 2
responder_level = "team_manager"
inform_levels = ["service_manager", { level = "legal", when = "proceedings" }]
inform_teams = ["Quality Assurance Unit"]
timescale = { working_days = 3 }
meeting = { within = { working_days = 2 } }
monitoring = { working_days = 10 }

[[stages]]
key = "two"
label = "Service Manager stage"
section = 3
responder_level = "service_manager"
timescale = { working_days = 5 }
meeting = { within = { working_days = 4 }, arranged_by = "iro_manager" }
response_to_levels = ["iro_manager"]
"""

MON = date(2026, 11, 23)


def day(n: int) -> date:
    """Calendar day n of the walk (0 = Mon 23 Nov 2026)."""
    return date(2026, 11, 23 + n) if n <= 7 else date(2026, 12, n - 7)


class Cli:
    def __init__(self, db: Path, config: Path, world: World, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.db, self.config, self.world, self.capsys, self.monkeypatch = db, config, world, capsys, monkeypatch

    def at(self, d: date, hour: int = 10) -> None:
        self.world.clock.set(datetime(d.year, d.month, d.day, hour, tzinfo=LONDON))

    def run(self, who: str, *argv: str) -> tuple[int, dict[str, Any]]:
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        status = main(["--db", str(self.db), "--config", str(self.config), "dispute", *argv,
                       "--as", who, "--password-stdin", "--json"])
        out = self.capsys.readouterr().out
        return status, json.loads(out.splitlines()[0])

    def ok(self, who: str, *argv: str) -> dict[str, Any]:
        status, data = self.run(who, *argv)
        assert status == 0 and data["ok"], (argv, data)
        return data

    def refused(self, who: str, *argv: str) -> str:
        status, data = self.run(who, *argv)
        assert status == 2 and not data["ok"], (argv, data)
        return str(data["error"])


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    path = tmp_path / "test-copies.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


@pytest.fixture
def cli(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, profile_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    world = make_world(load_policy(profile_path), calendar, clock)
    qa = m.Team.create(name="Quality Assurance Unit", kind="social_care")
    now = clock.now()
    for username, active in (("qa1", True), ("qa2", True), ("qa3", False)):
        m.Staff.create(username=username, name=f"QA {username}", role="responder", team=qa, title="QA officer",
                       password_hash="x", created_at=now, active=active)
    config = tmp_path / "drp.toml"
    config.write_text(f'policy = "{profile_path}"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    yield Cli(db_path, config, world, capsys, monkeypatch)
    close_database()


def raise_for(c: Cli, case: str, *extra: str) -> str:
    data = c.ok("chair1", "raise", case, "--category", "drift", "--stage", "one", "--arose", MON.isoformat(),
                "--concern", "The plan has no dates.", *extra)
    return str(data["reference"])


def info_recipients(ref: str, kind: str = "info") -> set[str]:
    d = m.Dispute.get(m.Dispute.reference == ref)
    return {n.recipient.username for n in m.Notification.select().where(
        (m.Notification.dispute == d.id) & (m.Notification.kind == kind))}


def clock_of(data: dict[str, Any], kind: str, about: str = "") -> dict[str, Any]:
    found = [d for d in data["deadlines"] if d["kind"] == kind and about in d["label"]]
    assert len(found) == 1, data["deadlines"]
    return found[0]


def level_user(c: Cli, level: str) -> str:
    return str(c.world.levels[level].username)


# --- the walk -----------------------------------------------------------------------------------

def test_conditional_and_team_copies_follow_the_fact_asked_when_raising(cli: Cli) -> None:
    c = cli
    assert [f.key for f in forms.raise_fields(c.world.policy)][-1] == "fact_proceedings"  # the raise form asks it
    c.at(MON, 9)
    assert "'plo' is not a fact this procedure asks" in c.refused(
        "chair1", "raise", "T100", "--category", "drift", "--stage", "one", "--arose", MON.isoformat(),
        "--concern", "x", "--fact", "plo=yes")
    in_proceedings = raise_for(c, "T100", "--fact", "In PLO or care proceedings=yes")
    not_in = raise_for(c, "T101", "--fact", "proceedings=no")
    plain = raise_for(c, "T102")
    assert m.Dispute.get(m.Dispute.reference == in_proceedings).facts == "proceedings"
    assert m.Dispute.get(m.Dispute.reference == not_in).facts == ""
    c.at(MON, 10)
    for ref in (in_proceedings, not_in, plain):
        c.ok("chair1", "send", ref)
    sm, legal = level_user(c, "service_manager"), level_user(c, "legal")
    # every active member of the team inbox is copied, the inactive one is not
    assert info_recipients(in_proceedings) == {sm, legal, "qa1", "qa2"}
    assert info_recipients(not_in) == {sm, "qa1", "qa2"}
    assert info_recipients(plain) == {sm, "qa1", "qa2"}
    shown = c.ok("chair1", "show", in_proceedings)
    assert shown["fact_labels"] == ["In PLO or care proceedings"]


def test_a_meeting_has_its_own_clock_arranger_and_monitoring(cli: Cli) -> None:
    c = cli
    c.at(MON, 9)
    ref = raise_for(c, "T100")
    tm, sm, iro_mgr = (level_user(c, k) for k in ("team_manager", "service_manager", "iro_manager"))
    assert "has not been sent yet" in c.refused("chair1", "meeting", ref, "--on", MON.isoformat(),
                                                "--attendees", "IRO, TM", "--outcome", "x")
    c.at(MON, 10)
    sent = c.ok("chair1", "send", ref)
    # Stage one sent Mon 23: response in 3 working days (Thu 26), meeting in 2 (Wed 25), by the chair.
    assert sent["due"] == "2026-11-26"
    meeting = clock_of(sent, "meeting")
    assert meeting["due"] == "2026-11-25" and meeting["state"] == "on_track"
    assert meeting["label"] == "Meeting (Team Manager stage) arranged by IRO"
    assert "Only the IRO who raised" in c.refused(tm, "meeting", ref, "--on", MON.isoformat(),
                                                 "--attendees", "IRO, TM", "--outcome", "x")
    c.at(day(1))
    assert "held on: cannot be in the future" in c.refused(
        "chair1", "meeting", ref, "--on", day(2).isoformat(), "--attendees", "IRO, TM", "--outcome", "x")
    assert "attendees: is required" in c.refused("chair1", "meeting", ref, "--on", day(1).isoformat(),
                                                 "--attendees", " ", "--outcome", "Dates agreed")
    held = c.ok("chair1", "meeting", ref, "--on", day(1).isoformat(), "--attendees", "IRO, Team Manager",
                "--outcome", "Dates for contact agreed by Friday")
    assert clock_of(held, "meeting")["state"] == "done"
    # The stage's agreed outcome sets a monitoring meeting 10 working days after the meeting (Tue 24 Nov):
    # 25, 26, 27, 30 Nov, 1, 2, 3, 4, 7, 8 Dec.
    monitoring = clock_of(held, "monitoring")
    assert monitoring["due"] == "2026-12-08" and monitoring["state"] == "on_track"
    shown = c.ok("chair1", "show", ref)
    assert [(x["stage_key"], x["held_on"], x["attendees"]) for x in shown["meetings"]] == [
        ("one", "2026-11-24", "IRO, Team Manager")]
    # Escalated to stage two (sent Thu 26): meeting within 4 working days (Wed 2 Dec), arranged by the IRO Manager.
    c.at(day(2), 14)
    c.ok(tm, "respond", ref, "--text", "Contact dates are being set.")
    c.at(day(3))
    c.ok("chair1", "escalate", ref, "--comment", "No dates yet.")
    two = c.ok("chair1", "send", ref)
    assert two["due"] == "2026-12-03"  # 5 working days: 27, 30 Nov, 1, 2, 3 Dec
    assert clock_of(two, "meeting", "Team Manager stage")["state"] == "done"
    meeting = clock_of(two, "meeting", "Service Manager stage")
    assert meeting["due"] == "2026-12-02" and meeting["label"] == "Meeting (Service Manager stage) arranged by IRO Manager"
    assert "or the IRO Manager who arranges it" in c.refused(sm, "meeting", ref, "--on", day(3).isoformat(),
                                                             "--attendees", "x", "--outcome", "x")
    c.at(day(7))  # Mon 30 Nov
    assert clock_of(c.ok(iro_mgr, "meeting", ref, "--on", day(7).isoformat(), "--attendees",
                         "IRO Manager, Service Manager", "--outcome", "Resources agreed"), "meeting",
                    "Service Manager stage")["state"] == "done"
    # stage two sets no monitoring: still only the one from stage one
    assert len(m.MonitoringMeeting.select()) == 1
    # The written response goes to the IRO Manager (response_to_levels), as a response, not as a copy.
    c.ok(sm, "respond", ref, "--text", "Funding agreed.")
    assert iro_mgr in info_recipients(ref, "response")


def test_statuses_named_by_the_profile_are_accepted_for_children(
        cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    c = cli
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    base = ["--db", str(c.db), "--config", str(c.config), "child", "add"]
    team = c.world.child.team.name if c.world.child else ""
    assert main([*base, "T500", "--name", "Ana Care", "--legal-status", "Care_Experienced", "--team", team,
                 "--chair", "chair1"]) == 0
    assert m.Child.get(m.Child.case_number == "T500").legal_status == "care_experienced"
    capsys.readouterr()
    assert main([*base, "T501", "--name", "Bo", "--legal-status", "adopted", "--team", team]) == 2
    assert "one of CLA, CP, CIN, care_experienced" in capsys.readouterr().err
    c.at(MON)
    raise_for(c, "T500")  # applies_to names the profile's own status


# --- the format ---------------------------------------------------------------------------------

def test_the_loader_names_file_key_and_problem() -> None:
    bad_fact = PROFILE.replace('when = "proceedings"', 'when = "plo"')
    with pytest.raises(PolicyError, match=r"x\.toml: stages\[0\]\.inform_levels\[1\]\.when: unknown fact 'plo'"):
        policy_from_text(bad_fact, "x.toml")
    with pytest.raises(PolicyError, match=r"stages\[0\]\.inform_levels\[1\]\.lvl: unknown key"):
        policy_from_text(PROFILE.replace('{ level = "legal"', '{ lvl = "legal", level = "legal"'), "x.toml")
    with pytest.raises(PolicyError, match=r"applies_to\[1\]: 'adopted' is not allowed"):
        policy_from_text(PROFILE.replace('"care_experienced"]', '"adopted"]'), "x.toml")
    with pytest.raises(PolicyError, match=r"statuses\[0\]\.key: 'cla' is a built-in legal status"):
        policy_from_text(PROFILE.replace('key = "care_experienced"', 'key = "cla"'), "x.toml")
    with pytest.raises(PolicyError, match=r"stages\[1\]\.meeting\.arranged_by: unknown level 'nobody'"):
        policy_from_text(PROFILE.replace('arranged_by = "iro_manager"', 'arranged_by = "nobody"'), "x.toml")
    p = policy_from_text(PROFILE, "x.toml")
    one = p.stage("one")
    assert one.copy_levels(()) == ("service_manager",)
    assert one.copy_levels(("proceedings",)) == ("service_manager", "legal")
    assert p.legal_statuses == ("CLA", "CP", "CIN", "care_experienced")
    assert p.stage("two").meeting_expected  # a meeting table implies the old flag


def test_policy_check_reasons_about_conditional_and_team_copies() -> None:
    noisy = PROFILE.replace('{ level = "legal", when = "proceedings" }',
                            '{ level = "legal", when = "proceedings" }, { level = "team_manager", when = "proceedings" }')
    found = [f for f in check_policy(policy_from_text(noisy, "x.toml")) if f.kind == COPIES_TO_NOBODY]
    assert any("copies its own responder level 'team_manager' when 'proceedings'" in f.message for f in found)
    p = policy_from_text(PROFILE, "x.toml")
    assert not [f for f in check_policy(p) if f.kind == COPIES_TO_NOBODY]
    # against the installation: the team inbox must exist and have someone in it
    iro = TeamCover("IRO", "iro_service", frozenset({"iro_manager"}), chairs=1, members=2)
    sc = TeamCover("Social Care", "social_care", frozenset({"team_manager", "service_manager", "legal"}), children=3,
                   members=4)
    missing = [f.message for f in check_installation(p, Installation((iro, sc))) if f.kind == COPIES_TO_NOBODY]
    assert missing == ["stage 'one' copies team 'Quality Assurance Unit', but the installation has no team of that "
                       "name (teams: IRO, Social Care)"]
    empty = TeamCover("Quality Assurance Unit", "social_care", members=0)
    found_empty = [f.message for f in check_installation(p, Installation((iro, sc, empty)))
                   if f.kind == COPIES_TO_NOBODY]
    assert found_empty == ["stage 'one' copies team 'Quality Assurance Unit', which has no active member: that copy "
                           "goes to nobody"]
    staffed = TeamCover("Quality Assurance Unit", "social_care", members=2)
    assert not [f for f in check_installation(p, Installation((iro, sc, staffed))) if f.kind == COPIES_TO_NOBODY]


def test_policy_check_finds_meetings_and_monitoring_that_leave_no_time() -> None:
    never = PROFILE.replace("meeting = { within = { working_days = 2 } }", "meeting = { within = { working_days = 0 } }")
    never = never.replace("monitoring = { working_days = 10 }", "monitoring = { working_days = 0 }")
    found = {(f.severity, f.path) for f in check_policy(policy_from_text(never, "x.toml"))
             if f.kind == "window_never_met"}
    assert found == {("error", "stages[0].meeting"), ("error", "stages[0].monitoring")}
    late = PROFILE.replace("meeting = { within = { working_days = 2 } }", "meeting = { within = { working_days = 4 } }")
    assert [f.message for f in check_policy(policy_from_text(late, "x.toml")) if f.kind == "window_never_met"] == [
        "stage 'one' meeting may be held up to 4 working days after sending, later than the response it should "
        "inform (3 working days)"]
    assert not [f for f in check_policy(policy_from_text(PROFILE, "x.toml")) if f.kind == "window_never_met"]


# --- Durham, read right -------------------------------------------------------------------------

def test_durham_legal_advisor_is_copied_only_in_plo_or_care_proceedings() -> None:
    """001:147 "Legal Advisor (in PLO or care proceedings)" (and "as appropriate" at 001:148, 001:150)."""
    p = load_builtin("durham-rp")
    assert p.version == 2
    assert p.fact("proceedings").label == "In PLO or care proceedings"
    for key in ("stage_4", "stage_5", "stage_6"):
        st = p.stage(key)
        assert "legal_advisor" not in st.copy_levels(())
        assert "legal_advisor" in st.copy_levels(("proceedings",))


def test_durham_iro_operations_manager_at_stages_5_to_7() -> None:
    """001:148-151: notified at stages 5-7, where they arrange the meeting; 001:130, 001:135: the
    written response is sent to them at stages 6 and 7; meetings within 5 (001:125) and 1 (001:129,
    001:134) working days."""
    p = load_builtin("durham-rp")
    for key, within in (("stage_5", 5), ("stage_6", 1), ("stage_7", 1)):
        st = p.stage(key)
        assert "iro_operations_manager" in st.copy_levels(())
        assert st.meeting is not None and st.meeting.arranged_by == "iro_operations_manager"
        assert st.meeting.within.working_days == within
    assert p.stage("stage_5").response_to_levels == ()
    assert p.stage("stage_6").response_to_levels == p.stage("stage_7").response_to_levels == ("iro_operations_manager",)
    for key in ("stage_2", "stage_3", "stage_4"):  # 001:104, 001:113, 001:119: the IRO arranges these
        meeting = p.stage(key).meeting
        assert meeting is not None and meeting.arranged_by == ""


@pytest.fixture
def durham(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path,
           capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    world = make_world(load_builtin("durham-rp"), calendar, clock)
    config = tmp_path / "drp.toml"
    config.write_text('policy = "durham-rp"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    yield Cli(db_path, config, world, capsys, monkeypatch)
    close_database()


def test_durham_stage_5_walk_copies_and_meeting(durham: Cli) -> None:
    """001:147-148 walked: raised at stage 5 in care proceedings, the Legal Advisor and the IRO
    Operations Manager are copied; the IRO Operations Manager records the meeting, due 5 working days
    after sending (001:125); its agreed outcome sets a monitoring meeting 10 working days on (001:148)."""
    c = durham
    c.at(MON, 9)
    cat = c.world.policy.categories[0].key
    ref = str(c.ok("chair1", "raise", "T100", "--category", cat, "--stage", "stage_5", "--arose", MON.isoformat(),
                   "--concern", "Drift in the plan.", "--fact", "proceedings=yes")["reference"])
    other = str(c.ok("chair1", "raise", "T101", "--category", cat, "--stage", "stage_5", "--arose",
                     MON.isoformat(), "--concern", "Drift in the plan.")["reference"])
    c.at(MON, 10)
    sent = c.ok("chair1", "send", ref)
    c.ok("chair1", "send", other)
    iro_ops, legal = level_user(c, "iro_operations_manager"), level_user(c, "legal_advisor")
    assert {iro_ops, legal} <= info_recipients(ref)
    assert iro_ops in info_recipients(other) and legal not in info_recipients(other)
    meeting = clock_of(sent, "meeting")
    assert meeting["due"] == "2026-11-30"  # 5 working days from Mon 23: 24, 25, 26, 27, 30
    assert meeting["label"] == "Meeting (Formal Resolution - Head of Children's Social Care) arranged by IRO Operations Manager"
    c.at(day(3))
    held = c.ok(iro_ops, "meeting", ref, "--on", day(3).isoformat(), "--attendees",
                "Head of CSC, Strategic Manager, IRO Operations Manager", "--outcome", "Placement funding agreed")
    assert clock_of(held, "meeting")["state"] == "done"
    assert clock_of(held, "monitoring")["due"] == "2026-12-10"  # 10 working days from Thu 26 Nov
