"""Who responds, walked through ``drp dispute ...`` on a profile written for this test:
a stage answered by any one of several levels (the chair may pick), one answered jointly
(all must respond, each their own), and a report/notice that expects no response.

Due dates are worked out by hand from the England calendar (no bank holidays in late
November 2026): Monday 23 November + 3 working days = Thursday 26 November; Tuesday
24 November + 5 working days = Tuesday 1 December.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.domain import policy_check as pc
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import PolicyError, load_policy, policy_from_text
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.store.db import close_database
from tests.factories import make_world
from tests.unit.test_cli_dispute import Cli

PROFILE = '''
key = "who-responds"
name = "Who responds (test)"
version = 1
source = "written in tests/unit/test_cli_responders.py"
applies_to = ["CLA"]

[vocabulary]
chair_title = "IRO"

[rules]
extensions_allowed = true

[[levels]]
key = "atm"
label = "Assistant Team Manager"

[[levels]]
key = "team_manager"
label = "Team Manager"

[[levels]]
key = "service_manager"
label = "Service Manager"

[[levels]]
key = "head"
label = "Head of Service"

[[categories]]
key = "drift"
label = "Drift"

[[stages]]
key = "first"
label = "Stage 1 - ATM or Team Manager"
section = 2
responder_levels = ["atm", "team_manager"]
timescale = { working_days = 3 }

[[stages]]
key = "joint"
label = "Stage 2 - Team Manager and Service Manager"
section = 3
responder_levels = ["team_manager", "service_manager"]
responders = "all"
timescale = { working_days = 5 }
may_start = false

[[stages]]
key = "notice"
label = "Stage 3 - Report to the Head of Service"
section = 4
responder_level = "head"
response_expected = false
may_start = false
'''

MON = date(2026, 11, 23)
TUE, WED = date(2026, 11, 24), date(2026, 11, 25)


# The notice in the middle: the chair goes on from it to a last stage at once.
_HEAD, _FIRST, _JOINT, _NOTICE = PROFILE.split("[[stages]]")
MIDDLE = "[[stages]]".join((_HEAD, _FIRST, _NOTICE.replace("section = 4", "section = 3") + "\n",
                            _JOINT.replace("section = 3", "section = 4")))


@pytest.fixture
def profile_text() -> str:
    return PROFILE


@pytest.fixture
def cli(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path, profile_text: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    path = tmp_path / "who-responds.toml"
    path.write_text(profile_text, encoding="utf-8")
    world = make_world(load_policy(path), calendar, clock)
    config = tmp_path / "drp.toml"
    config.write_text(f'policy = "{path}"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    yield Cli(db_path, config, world, capsys, monkeypatch)
    close_database()


def _raise(c: Cli, case: str = "T100") -> str:
    out = c.ok("chair1", "raise", case, "--category", "drift", "--stage", "first", "--arose", MON.isoformat(),
               "--concern", "The plan has drifted for three months.")
    return str(out["reference"])


def _moves(c: Cli, who: str, ref: str) -> dict[str, dict[str, object]]:
    return {v["move"]: v for v in c.ok(who, "moves", ref)["moves"]}


def test_any_one_joint_and_notice_walk(cli: Cli) -> None:
    c, w = cli, cli.world
    atm, tm, sm, head = (w.levels[k] for k in ("atm", "team_manager", "service_manager", "head"))
    c.at(MON, 9)
    ref = _raise(c)

    # 1. any one of several levels: the chair may pick among their holders, and no one else
    c.at(MON, 10)
    status, text, _ = c.run("chair1", "moves", ref, json_out=False)
    assert status == 0 and f"  yes  Send ({atm.name}, {tm.name})" in text, text  # who may answer, in level order
    assert "does not hold a level that answers" in c.refused("chair1", "send", ref, "--to", "chair2")
    assert "does not hold a level that answers" in c.refused("chair1", "send", ref, "--to", sm.username)
    sent = c.ok("chair1", "send", ref, "--to", tm.username)
    assert sent["responder"] == tm.name and sent["due"] == "2026-11-26"
    # the other holder was not sent it: it is not theirs to see, let alone answer
    assert "that you can see" in c.refused(atm.username, "respond", ref, "--text", "I will answer.")
    c.at(MON, 14)
    assert c.ok(tm.username, "respond", ref, "--text", "Plan reviewed; dates set.")["status"] == "responded"
    # without --to it goes to the first holder, in the order of the levels (the ATM)
    other = _raise(c, "T101")
    assert c.ok("chair1", "send", other)["responder"] == atm.name

    # 2. jointly: every holder responds; the stage is responded only when all have
    c.at(TUE, 10)
    c.ok("chair1", "escalate", ref, "--comment", "The dates are not agreed with the family.")
    assert "answered jointly" in c.refused("chair1", "send", ref, "--to", tm.username)
    sent = c.ok("chair1", "send", ref)
    assert sent["due"] == "2026-12-01" and sent["responders"] == [tm.name, sm.name]
    assert sent["awaiting"] == [tm.name, sm.name]
    awaited = [r["reference"] for r in c.ok(sm.username, "list", "--view", "awaiting")["disputes"]]
    assert ref in awaited
    c.at(TUE, 14)
    done = c.ok(tm.username, "respond", ref, "--text", "Team view: contact weekly.")
    assert done["status"] == "sent" and done["awaiting"] == [sm.name]
    response = next(d for d in done["deadlines"] if d["kind"] == "response")
    assert response["label"].endswith(f"(awaiting {sm.name})") and response["due"] == "2026-12-01"
    assert ref not in [r["reference"] for r in c.ok(tm.username, "list", "--view", "awaiting")["disputes"]]
    assert ref in [r["reference"] for r in c.ok(sm.username, "list", "--view", "awaiting")["disputes"]]
    assert "you recorded your response" in c.refused(tm.username, "respond", ref, "--text", "Again.")
    assert "still to respond: " + sm.name in c.refused("chair1", "decide", ref, "--resolved")
    assert "not waiting to respond" in c.refused("chair1", "respond", ref, "--on-behalf", "--for", tm.username,
                                                 "--text", "By phone.")
    c.at(TUE, 15)
    done = c.ok("chair1", "respond", ref, "--on-behalf", "--for", sm.username, "--text", "SM agrees, by phone.")
    assert done["status"] == "responded" and done["awaiting"] == []
    status, text, _ = c.run("chair1", "show", ref, json_out=False)
    assert status == 0
    assert f"response from {tm.name} (Tue 24 Nov 2026 14:00): Team view: contact weekly." in text, text
    assert f"response from {sm.name} (Tue 24 Nov 2026 15:00) (recorded on their behalf): SM agrees" in text, text
    record = c.ok("chair1", "show", ref)
    joint = record["stages"][1]["responses"]
    assert [(r["responder_name"], r["on_behalf"]) for r in joint] == [(tm.name, False), (sm.name, True)]

    # 3. a report or notice: no response clock, no response, the chair moves on at once
    c.at(WED, 10)
    c.ok("chair1", "escalate", ref, "--comment", "The Head of Service is to be told.")
    sent = c.ok("chair1", "send", ref)
    assert sent["responder"] == head.name and sent["due"] is None
    assert [d["label"] for d in sent["deadlines"] if d["kind"] == "response" and d["state"] != "done"] == []
    assert not [d for d in sent["deadlines"] if "Stage 3" in d["label"]]  # no clock for the notice
    theirs = _moves(c, head.username, ref)
    assert theirs["respond"]["allowed"] is False and "no response is expected" in str(theirs["respond"]["reason"])
    assert "no response is expected" in c.refused(head.username, "respond", ref, "--text", "Noted.")
    assert ref not in [r["reference"] for r in c.ok(head.username, "list", "--view", "awaiting")["disputes"]]
    mine = _moves(c, "chair1", ref)
    assert mine["respond_on_behalf"]["allowed"] is False and mine["decide"]["allowed"] is True
    assert c.ok("chair1", "decide", ref, "--resolved", "--comment", "Reported; agreed.")["status"] == "resolved"


@pytest.mark.parametrize("profile_text", [MIDDLE])
def test_notice_stage_can_be_escalated_from_at_once(cli: Cli) -> None:
    """A notice in the middle of a procedure: sent, nothing awaited, escalated at once."""
    c, w = cli, cli.world
    assert [s.response_expected for s in w.policy.stages] == [True, False, True]
    c.at(MON, 9)
    ref = _raise(c)
    c.at(MON, 10)
    c.ok("chair1", "send", ref)
    c.at(MON, 11)
    c.ok(w.levels["atm"].username, "respond", ref, "--text", "Done.")
    c.ok("chair1", "escalate", ref, "--comment", "Not agreed.")
    sent = c.ok("chair1", "send", ref)
    assert sent["stage"] == w.policy.stages[1].key and sent["due"] is None and sent["status"] == "sent"
    assert "no response is expected" in c.refused("chair1", "extend", ref, "--until", "2026-11-30",
                                                  "--reason", "More time.")
    assert "no response is expected" in c.refused("chair1", "respond", ref, "--on-behalf", "--text", "x")
    c.at(MON, 11, 5)  # minutes later: nothing is awaited, so nothing to wait for
    up = c.ok("chair1", "escalate", ref, "--comment", "Reported; moving on.")
    assert up["stage"] == w.policy.stages[2].key and up["status"] == "draft"
    sent = c.ok("chair1", "send", ref)
    assert sent["due"] == "2026-11-30"  # Mon 23 Nov + 5 working days
    assert sent["responders"] == [w.levels["team_manager"].name, w.levels["service_manager"].name]


def test_profile_keys_load_strictly_and_check_asks_no_timescale_of_a_notice(tmp_path: Path) -> None:
    policy = policy_from_text(PROFILE, "who-responds.toml")
    first, joint, notice = policy.stages
    assert first.answering_levels == ("atm", "team_manager") and first.responder_level == "atm" and not first.joint
    assert joint.joint and notice.answering_levels == ("head",) and not notice.response_expected
    kinds = {(f.kind, f.path) for f in pc.check_policy(policy)}
    assert (pc.NO_TIMESCALE, "stages[2].timescale") not in kinds
    assert not [k for k, _p in kinds if k == pc.NO_TIMESCALE]
    # a timescale on a notice starts no clock: said, not silently ignored
    timed = policy_from_text(PROFILE.replace('response_expected = false', 'response_expected = false\n'
                                             'timescale = { working_days = 2 }'), "t.toml")
    assert (pc.NO_EFFECT, "stages[2].timescale") in {(f.kind, f.path) for f in pc.check_policy(timed)}
    for bad, path, what in (
        (PROFILE.replace('responder_levels = ["atm", "team_manager"]', ''), "stages[0].responder_level",
         "missing required key"),
        (PROFILE.replace('responder_levels = ["atm", "team_manager"]',
                         'responder_level = "atm"\nresponder_levels = ["atm"]'), "stages[0].responder_levels",
         "not both"),
        (PROFILE.replace('responder_levels = ["atm", "team_manager"]', 'responder_levels = ["atm", "boss"]'),
         "stages[0].responder_levels[1]", "unknown level 'boss'"),
        (PROFILE.replace('responder_level = "head"', 'responder_level = "head"\nresponders = "all"'),
         "stages[2].responders", "needs responder_levels"),
        (PROFILE.replace('responders = "all"', 'responders = "both"'), "stages[1].responders", "not allowed"),
    ):
        with pytest.raises(PolicyError) as info:
            policy_from_text(bad, "t.toml")
        assert str(info.value).startswith(f"t.toml: {path}: ") and what in str(info.value), str(info.value)


@pytest.mark.parametrize("policy_key", ["durham-rp"])
def test_durham_stage_1_is_answered_by_the_social_worker_or_the_team_manager(
        db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path, policy_key: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """001:142: stage 1 is assigned to the "Social Worker or Team Manager", 1 working day: either may answer,
    the IRO picks; no one else. Sent Monday 23 November 2026: due Tuesday 24 November."""
    from drp_tui.domain.policy_loader import load_builtin

    policy = load_builtin(policy_key)
    stage = policy.stage("stage_1")
    assert stage.answering_levels == ("social_worker", "team_manager") and not stage.joint
    world = make_world(policy, calendar, clock)
    config = tmp_path / "drp.toml"
    config.write_text(f'policy = "{policy_key}"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    c = Cli(db_path, config, world, capsys, monkeypatch)
    try:
        tm = world.levels["team_manager"]
        c.at(MON, 9)
        ref = c.ok("chair1", "raise", "T100", "--category", policy.categories[0].key, "--stage", "stage_1",
                   "--arose", MON.isoformat(), "--concern", "No visits for six weeks.")["reference"]
        c.at(MON, 10)
        ops = world.levels["operations_manager"]
        assert "does not hold a level that answers" in c.refused("chair1", "send", ref, "--to", ops.username)
        sent = c.ok("chair1", "send", ref, "--to", tm.username)
        assert sent["responder"] == tm.name and sent["due"] == "2026-11-24"
        other = c.ok("chair1", "raise", "T101", "--category", policy.categories[0].key, "--stage", "stage_1",
                     "--arose", MON.isoformat(), "--concern", "No visits for six weeks.")["reference"]
        assert c.ok("chair1", "send", other)["responder"] == world.worker.name  # the allocated social worker first
    finally:
        close_database()


def test_check_against_the_installation_knows_any_one_from_jointly() -> None:
    """No team fills the ATM: at the any-one stage the Team Manager still answers (a warning);
    at a joint stage every level must be filled (an error when none fills it)."""
    policy = policy_from_text(PROFILE, "who-responds.toml")
    sc = pc.TeamCover("Children's team", "social_care", frozenset({"team_manager", "head"}), children=3)
    iro = pc.TeamCover("IRO service", "iro_service", chairs=2, oversight=1)
    found = {(f.kind, f.severity, f.path): f.message for f in pc.check_installation(policy, pc.Installation((sc, iro)))}
    assert (pc.UNFILLED_LEVEL, "warning", "stages[0].responder_levels") in found  # atm: the TM may answer
    assert (pc.UNFILLED_LEVEL, "error", "stages[1].responder_levels") in found  # service_manager, jointly
    assert "service_manager" in found[(pc.UNFILLED_LEVEL, "error", "stages[1].responder_levels")]


def test_reminders_reach_each_joint_responder_still_to_answer_and_not_one_who_has(cli: Cli) -> None:
    """The every-minute reminders find a jointly answered stage for each holder whose own answer
    is missing (not only the one the dispute row names), and not for one who has answered."""
    from drp_tui.services import inbox
    from drp_tui.store import models as m

    c, w = cli, cli.world
    tm, sm = w.levels["team_manager"], w.levels["service_manager"]
    c.at(MON, 9)
    ref = _raise(c)
    c.at(MON, 10)
    c.ok("chair1", "send", ref, "--to", tm.username)
    c.at(MON, 14)
    c.ok(tm.username, "respond", ref, "--text", "Plan reviewed; dates set.")
    c.at(TUE, 10)
    c.ok("chair1", "escalate", ref, "--comment", "The dates are not agreed with the family.")
    assert c.ok("chair1", "send", ref)["responders"] == [tm.name, sm.name]  # due Tue 1 December

    def reminded(who: m.Staff) -> list[str]:
        return [n.text for n in m.Notification.select().where((m.Notification.recipient == who.id)
                                                               & (m.Notification.kind == "reminder"))]

    named = m.Dispute.get(m.Dispute.reference == ref).responder_id
    other = sm if named == tm.id else tm  # awaited only through the joint stage's own rows
    c.at(date(2026, 12, 1), 9)  # the response is due today
    assert inbox.remind(w.ctx(other)) == 1
    assert [t.split(":")[0] for t in reminded(other)] == [ref] and "due today" in reminded(other)[0]
    assert inbox.remind(w.ctx(other)) == 0  # never twice
    c.ok(other.username, "respond", ref, "--text", "Agreed: contact weekly.")
    m.Notification.delete().where(m.Notification.recipient == other.id).execute()
    if m.Dispute.get(m.Dispute.reference == ref).responder_id != other.id:
        assert inbox.remind(w.ctx(other)) == 0  # answered: nothing awaits them
