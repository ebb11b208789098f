"""``drp dispute ...`` through drp_tui.cli.main: every built-in profile walked from the command line.

The world (teams, management chain, chairs, children) comes from tests.factories in a
database file; each command then opens that file as ``drp --db FILE --config CFG`` would,
signs in with ``--as USER --password-stdin`` and runs on the test's frozen clock
(``cli.dispute.CLOCK``). Due dates are worked out here from the profile's timescales
and the England working-day calendar, never copied from the output.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.cli import main
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy import CafcassRule
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import LONDON, FrozenClock
from drp_tui.services import auth
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from tests.factories import PASSWORD, World, make_world

PROFILES = ("durham-rp", "knowsley-dr", "mosaic-cpc", "mosaic-iro", "tower-hamlets-alerts")
START = date(2026, 11, 23)  # Monday


@dataclass
class Cli:
    db: Path
    config: Path
    world: World
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def at(self, day: date, hour: int = 10, minute: int = 0) -> None:
        self.world.clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON))

    def run(self, who: str, *argv: str, password: str = PASSWORD, stdin: str = "",
            json_out: bool = True) -> tuple[int, Any, str]:
        """``drp dispute ARGV --as WHO --password-stdin [--json]``: (status, JSON or stdout, stderr)."""
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n" + stdin))
        extra = ["--as", who, "--password-stdin"] + (["--json"] if json_out else [])
        status = main(["--db", str(self.db), "--config", str(self.config), "dispute", *argv, *extra])
        out, err = self.capsys.readouterr()
        if json_out:
            lines = out.splitlines()
            assert len(lines) == 1, out  # one JSON object, on one line
            return status, json.loads(lines[0]), err
        return status, out, err

    def ok(self, who: str, *argv: str, **kw: Any) -> dict[str, Any]:
        status, data, err = self.run(who, *argv, **kw)
        assert status == 0 and data["ok"] is True, (argv, data, err)
        return data  # type: ignore[no-any-return]

    def refused(self, who: str, *argv: str, **kw: Any) -> str:
        """Refused: exit 2; text mode: one line on stderr; --json: {"ok": false} with the same line."""
        before = db_state()
        status, out, err = self.run(who, *argv, json_out=False, **kw)
        assert status == 2 and out == "", (argv, out, err)
        assert err.startswith("drp dispute: ") and err.count("\n") == 1, err
        status, data, err2 = self.run(who, *argv, **kw)
        assert status == 2 and data["ok"] is False and err2 == ""
        assert "drp dispute: " + data["error"] + "\n" == err
        assert db_state() == before, argv  # nothing changed
        return err.strip()


def db_state() -> tuple[Any, ...]:
    """Everything an action could change, apart from sign-in and refusal events."""
    def rows(model: type[m.BaseModel]) -> list[dict[str, Any]]:
        return list(model.select().order_by(model.id).dicts())
    events = [e for e in rows(m.Event) if e["kind"] not in ("signed_in", "refused", "login_failed", "read")]
    return (rows(m.Dispute), rows(m.StageRecord), rows(m.Notification), rows(m.Action), rows(m.CafcassStep),
            rows(m.MonitoringMeeting), rows(m.Conversation), rows(m.Compliment), events)


@pytest.fixture
def cli(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, policy_key: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    world = make_world(load_builtin(policy_key), calendar, clock)
    config = tmp_path / "drp.toml"
    config.write_text(f'policy = "{policy_key}"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", clock)
    yield Cli(db_path, config, world, capsys, monkeypatch)
    close_database()


def raise_at(c: Cli, stage: str, *extra: str, case: str = "T100") -> dict[str, Any]:
    return c.ok("chair1", "raise", case, "--category", c.world.policy.categories[0].key, "--stage", stage,
                "--arose", START.isoformat(), "--concern", "Contact with her brother has not happened for eight weeks.",
                "--impact", "She asks about him at every visit.", "--wanted", "Dates agreed and shared.", *extra)


def expected_due(c: Cli, stage_key: str, sent: date) -> date | None:
    ts = c.world.policy.stage(stage_key).timescale
    return c.world.calendar.add_working_days(sent, ts.working_days) if ts.working_days is not None else None


def entered_from(ref: str) -> str | None:
    """The stage the dispute's current stage was entered from (None: raised there)."""
    d = m.Dispute.get(m.Dispute.reference == ref)
    recs = list(m.StageRecord.select().where(m.StageRecord.dispute == d.id).order_by(m.StageRecord.seq))
    return recs[-2].stage_key if len(recs) > 1 else None


def sender(c: Cli, stage_key: str) -> str:
    """Who sends the stage by the profile: the chair, or the holder of the first level its sent_by names."""
    parties = c.world.policy.stage(stage_key).sent_by
    return "chair1" if "chair" in parties else c.world.levels[parties[0]].username


def send_and_respond(c: Cli, ref: str, stage_key: str, day: date) -> None:
    """(Approve where the procedure asks,) send at 10:00 and check the due date; the responder answers at 14:00."""
    w = c.world
    c.at(day, 10)
    for gate in w.policy.entry_gates(entered_from(ref), stage_key):
        approver = w.levels[gate.level] if gate.level else w.oversight
        assert w.policy.level_label(gate.level) in c.refused(sender(c, stage_key), "send", ref)  # not before it
        c.ok(approver.username, "approve", ref, "--note", "Discussed in supervision; agreed.")
    sent = c.ok(sender(c, stage_key), "send", ref)
    assert sent["status"] == "sent" and sent["stage"] == stage_key
    want = expected_due(c, stage_key, day)
    assert sent["due"] == (want.isoformat() if want else None), (stage_key, sent["due"], want)
    assert sent["responder"] == w.responder(stage_key).name
    c.at(day, 14)
    by = w.calendar.add_working_days(day, 3).isoformat()
    done = c.ok(w.responder(stage_key).username, "respond", ref, "--text", "Contact resumes next week.",
                "--action", f"Book three contact sessions|Social Worker|{by}")
    assert done["status"] == "responded" and done["actions"] == 1


# --- the walks ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("policy_key", PROFILES)
def test_walk_to_the_last_stage_and_cafcass(cli: Cli) -> None:
    c, w = cli, cli.world
    policy = w.policy
    first = policy.stages[0]
    assert first.may_start
    c.at(START, 9)
    raised = raise_at(c, first.key)
    ref = raised["reference"]
    assert raised["references"] == [ref] and raised["status"] == "draft" and raised["stage"] == first.key
    assert ref.startswith(f"{policy.vocabulary.reference_prefix}-2026-")
    day = START
    for i, stage in enumerate(policy.stages):
        send_and_respond(c, ref, stage.key, day)
        if i + 1 < len(policy.stages):
            c.at(day, 16)
            c.refused("chair1", "escalate", ref)  # a response not yet decided on needs a reason
            up = c.ok("chair1", "escalate", ref, "--comment", "The plan has no dates.")
            assert up["stage"] == policy.stages[i + 1].key and up["status"] == "draft" and up["due"] is None
        day = w.calendar.add_working_days(day, 1)
    last = policy.stages[-1]
    c.at(day, 9)
    c.refused("chair1", "escalate", ref, "--comment", "No further stage.")
    decided = c.ok("chair1", "decide", ref, "--not-resolved", "--comment", "Still no contact.")
    assert decided["status"] == "responded" and decided["stage"] == last.key
    rule = policy.rules.cafcass
    if rule is CafcassRule.NOT_APPLICABLE:
        line = c.refused("chair1", "refer", ref, "--note", "Referral.")
        assert "Cafcass" in line
        return
    for level in policy.rules.cafcass_tell_levels:  # a recorded discussion with each level named, not any text
        line = c.refused("chair1", "refer", ref, "--note", "Referral.", "--told", "x")
        assert policy.level_label(level) in line
        c.ok("chair1", "discussion", ref, "--before", "refer", "--level", level, "--with", w.levels[level].username,
             "--said", "Agreed a referral is the last resort left.")
    referred = c.ok("chair1", "refer", ref, "--note", "Referred after every stage.")
    assert referred["step"] == "cafcass_referral"
    if not policy.rules.cafcass_ends_dispute:  # the referral runs alongside: the dispute stays open
        assert referred["status"] == "responded"
        return
    assert referred["status"] == "cafcass"
    record = c.ok("chair1", "show", ref)
    assert [s["stage_key"] for s in record["stages"]] == [s.key for s in policy.stages]
    # every stage's due date, from the timescale and the calendar (each sent one working day after the last)
    sent_day = START
    for st in record["stages"]:
        want = expected_due(c, st["stage_key"], sent_day)
        assert st["due"] == (want.isoformat() if want else None), st["stage_key"]
        sent_day = w.calendar.add_working_days(sent_day, 1)
    assert "referred to Cafcass" in c.refused("chair1", "withdraw", ref, "--reason", "Changed mind.")


@pytest.mark.parametrize("policy_key", PROFILES)
def test_walk_to_resolution(cli: Cli) -> None:
    c, w = cli, cli.world
    policy = w.policy
    stage = policy.starting_stages()[0]
    c.at(START, 9)
    ref = raise_at(c, stage.key)["reference"]
    send_and_respond(c, ref, stage.key, START)
    day = w.calendar.add_working_days(START, 1)
    c.at(day, 9)
    window = policy.rules.negotiation_window
    if window.is_set:
        neg = c.ok("chair1", "negotiate", ref, "--note", "Two more sessions by Friday.")
        assert neg["status"] == "negotiating"
        assert window.hours is not None  # the built-in profiles give the window in hours
        want_until = datetime(day.year, day.month, day.day, 9, tzinfo=LONDON) + timedelta(hours=window.hours)
        assert neg["until"] == want_until.isoformat()
    else:
        assert "negotiation" in c.refused("chair1", "negotiate", ref, "--note", "More time.")
    resolved = c.ok("chair1", "decide", ref, "--resolved", "--comment", "Contact is happening.")
    assert resolved["status"] == "resolved"
    want_due = expected_due(c, stage.key, START)  # the response's due date stays on the record
    assert resolved["due"] == (want_due.isoformat() if want_due else None)
    kinds = {d["kind"]: d for d in resolved["deadlines"]}
    mm = policy.rules.monitoring_meeting
    if mm.working_days:
        want = w.calendar.add_working_days(day, mm.working_days)
        assert kinds["monitoring"]["due"] == want.isoformat() and kinds["monitoring"]["state"] != "done"
        c.at(want, 11)
        held = c.ok("chair1", "monitoring", ref, "--held-on", want.strftime("%d/%m/%Y"), "--outcome", "Going well.",
                    "--attendees", "IRO, SW")
        assert {d["kind"]: d for d in held["deadlines"]}["monitoring"]["state"] == "done"
    else:
        assert "monitoring" not in kinds
    # the action from the response, by reference and number
    action = c.ok("chair1", "action-done", ref, "1")
    assert action["action"] == "action done"
    assert "already" in c.refused("chair1", "action-done", ref, "1")
    reopened = c.ok("chair1", "reopen", ref, "--reason", "Contact stopped again.")
    assert reopened["status"] == "responded"


# --- refusals, sign-in, reading ---------------------------------------------------------------------------------

def test_refused_moves_exit_2_one_line_nothing_changed(cli: Cli) -> None:
    c, w = cli, cli.world
    ref = raise_at(c, "informal")["reference"]
    assert "REF" in c.refused("chair1", "send", "DRP-1999-0001")
    assert "CASE" in c.refused("chair1", "raise", "NOPE", "--category", "care_plan", "--stage", "informal",
                               "--arose", "2026-11-20", "--concern", "x")
    line = c.refused("chair1", "raise", "T100", "--category", "care_plan", "--stage", "informal",
                     "--arose", "31/02/2026", "--concern", "x")
    assert "--arose" in line and "not a day of the calendar" in line
    assert "Date the issue arose" in c.refused("chair1", "raise", "T100", "--category", "care_plan",
                                               "--stage", "informal", "--arose", "2027-01-04", "--concern", "x")
    assert "category" in c.refused("chair1", "raise", "T100", "--category", "nope", "--stage", "informal",
                                   "--arose", "2026-11-20", "--concern", "x")
    responder = w.responder("informal").username
    stranger = w.worker.username  # sees the child's disputes, but it was not sent to them
    assert "not been sent" in c.refused(w.worker.username, "respond", ref, "--text", "Early.")
    c.ok("chair1", "send", ref)
    assert "not due until" in c.refused("chair1", "escalate", ref)
    assert "not to you" in c.refused(stranger, "respond", ref, "--text", "Not mine.")
    assert "Section 1 has been sent" in c.refused("chair1", "edit", ref, "concern=Rewritten.")
    assert "extensions" in c.refused("chair1", "extend", ref, "--until", "2026-12-04", "--reason", "Holiday.")
    assert "chair who raised" in c.refused(responder, "withdraw", ref, "--reason", "Not mine.")
    assert "no response" in c.refused("chair1", "decide", ref, "--resolved")
    assert "--action 1" in c.refused(responder, "respond", ref, "--text", "x", "--action", "only what")
    c.ok(responder, "respond", ref, "--text", "Done.")
    line = c.refused("chair1", "decide", ref, "--not-resolved")
    assert line.startswith("drp dispute: comments:")


def test_wrong_password_generic_exit_2(cli: Cli) -> None:
    c = cli
    ref = raise_at(c, "informal")["reference"]
    before = db_state()
    status, out, err = c.run("chair1", "show", ref, password="wrong", json_out=False)
    assert (status, out, err) == (2, "", f"drp dispute: {auth.GENERIC}\n")
    status, data, err = c.run("nobody", "show", ref, password="wrong")
    assert status == 2 and data == {"ok": False, "error": auth.GENERIC} and err == ""
    assert db_state() == before
    assert m.Event.select().where(m.Event.kind == "login_failed").count() == 2
    status, out, err = c.run("", "show", ref, json_out=False)
    assert status == 2 and "--as" in err


def test_os_auth_must_be_the_real_os_user(cli: Cli) -> None:
    c, w = cli, cli.world
    ref = raise_at(c, "informal")["reference"]
    c.config.write_text('policy = "mosaic-iro"\nauth = "os"\n', encoding="utf-8")
    m.Staff.update(os_login="casey").where(m.Staff.id == w.chair.id).execute()
    c.monkeypatch.setattr(auth, "current_os_login", lambda: "casey")

    def run(*argv: str) -> tuple[int, str, str]:
        c.capsys.readouterr()
        status = main(["--db", str(c.db), "--config", str(c.config), "dispute", *argv])
        out, err = c.capsys.readouterr()
        return status, out, err

    status, out, err = run("show", ref, "--as", "chair2")
    assert (status, out, err) == (2, "", f"drp dispute: {auth.GENERIC}\n")
    status, out, err = run("show", ref, "--as", "chair1", "--json")
    assert status == 0 and json.loads(out)["reference"] == ref
    status, out, _ = run("list", "--json")  # --as may be left out: the OS account says who
    assert status == 0 and [d["reference"] for d in json.loads(out)["disputes"]] == [ref]


def test_show_is_the_whole_record_and_is_recorded(cli: Cli) -> None:
    c, w = cli, cli.world
    raised = raise_at(c, "informal", "--sibling", "T101", "--immediate")
    ref, sib = raised["references"]
    assert raised["disputes"][1]["reference"] == sib
    c.ok("chair1", "send", ref)
    c.at(START, 14)
    responder = w.responder("informal")
    c.ok(responder.username, "respond", ref, "--text-file", "-", "--action", "Book contact|SW|2026-11-26",
         "--action", "Review|TM|27/11/2026", stdin="Line one.\nLine two.\n")
    record = c.ok("chair1", "show", ref)
    assert record["concern"].startswith("Contact with her brother") and record["immediate"] is True
    assert record["child"]["case_number"] == "T100" and record["siblings"] == [sib]
    st = record["stages"][0]
    assert st["response"] == "Line one.\nLine two." and st["responder_name"] == responder.name
    assert [(a["number"], a["owner"], a["due"]) for a in st["actions"]] == [
        (1, "SW", "2026-11-26"), (2, "TM", "2026-11-27")]
    assert record["status"] == "responded" and record["procedure"] == "mosaic-iro"
    reads_ = m.Event.select().where((m.Event.kind == "read") & (m.Event.dispute == record["id"]))
    assert reads_.count() == 1
    status, text, _ = c.run("chair1", "show", ref, json_out=False)
    assert status == 0 and "action 2: Review - TM (due 2026-11-27)" in text and "Line one. Line two." in text
    assert "REF" in c.refused("chair2", "show", ref)  # another chair's dispute: not found for them
    # the action done by its id, by the responder
    action_id = st["actions"][1]["id"]
    c.ok(responder.username, "action-done", str(action_id), "--on", "2026-11-23")
    assert c.ok("chair1", "show", ref)["stages"][0]["actions"][1]["done_on"] == "2026-11-23"


def test_list_edit_conversation_withdraw_compliment(cli: Cli) -> None:
    c, w = cli, cli.world
    ref = raise_at(c, "informal")["reference"]
    assert [d["reference"] for d in c.ok("chair1", "list")["disputes"]] == [ref]
    assert c.ok("chair2", "list")["disputes"] == []
    edited = c.ok("chair1", "edit", ref, "concern=Rewritten concern.", "issue_arose=20/11/2026",
                  "chair_wanted=Dates.")
    assert edited["fields"] == ["chair_wanted", "concern", "issue_arose"]
    record = c.ok("chair1", "show", ref)
    assert record["concern"] == "Rewritten concern." and record["issue_arose"] == "2026-11-20"
    assert "not a field" in c.refused("chair1", "edit", ref, "colour=blue")
    talk = c.ok("chair1", "conversation", ref, "--with", "Team Manager", "--how", "phone",
                "--agreed", "Dates by Friday.", "--when", "2026-11-23 09:30")
    assert talk["action"] == "conversation recorded"
    assert "future" in c.refused("chair1", "conversation", ref, "--with", "TM", "--how", "phone",
                                 "--agreed", "x", "--when", "2026-11-24 09:30")
    status, text, _ = c.run("chair1", "withdraw", ref, "--reason", "Sorted informally.", json_out=False)
    assert status == 0 and text.startswith(f"{ref}: withdrawn; ")
    assert c.ok("chair1", "show", ref)["status"] == "withdrawn"
    sent = c.ok("chair1", "compliment", "T100", "--text", "Thoughtful work with the family.")
    assert m.Compliment.get_by_id(sent["compliment_id"]).child_id == w.child.id
    assert "no child" in c.refused("chair1", "compliment", "T900", "--text", "Not my child.")


def test_due_date_skips_christmas_bank_holidays(cli: Cli) -> None:
    c = cli
    day = date(2026, 12, 18)  # a Friday; 25 and 28 December 2026 are bank holidays in England
    c.at(day, 10)
    ref = c.ok("chair1", "raise", "T100", "--category", "care_plan", "--stage", "informal", "--arose", "18/12/2026",
               "--concern", "No review minutes.")["reference"]
    sent = c.ok("chair1", "send", ref)
    # 5 working days: Mon 21, Tue 22, Wed 23, Thu 24, (Fri 25, Sat, Sun, Mon 28 skipped) Tue 29 December
    assert sent["due"] == "2026-12-29" == expected_due(c, "informal", day).isoformat()  # type: ignore[union-attr]
    assert sent["due_at"] == "2026-12-30T00:00:00+00:00"  # the end of that London day


def test_bad_arguments_with_json_are_a_json_error(cli: Cli) -> None:
    c = cli
    c.capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(c.db), "dispute", "decide", "DRP-2026-0001", "--json", "--as", "chair1"])
    out, err = c.capsys.readouterr()
    assert exited.value.code == 2 and err == ""
    data = json.loads(out)
    assert data["ok"] is False and "--resolved" in data["error"]
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(c.db), "dispute", "decide", "DRP-2026-0001", "--as", "chair1"])
    out, err = c.capsys.readouterr()
    assert exited.value.code == 2 and out == "" and "--resolved" in err


@pytest.mark.parametrize("policy_key", ["durham-rp"])
def test_extension_moves_the_due_date(cli: Cli) -> None:
    c = cli
    ref = raise_at(c, "stage_1")["reference"]
    sent = c.ok("chair1", "send", ref)
    assert sent["due"] == "2026-11-24"  # Mon 23 Nov + 1 working day (by hand)
    assert "not a working day" in c.refused("chair1", "extend", ref, "--until", "28/11/2026", "--reason", "x")
    assert "extended to" in c.refused("chair1", "extend", ref, "--until", "2026-11-23", "--reason", "x")
    assert "benefit to the child" in c.refused("chair1", "extend", ref, "--until", "2026-11-27", "--reason", " ")
    extended = c.ok("chair1", "extend", ref, "--until", "27/11/2026", "--reason", "The manager returns Thursday.")
    assert extended["due"] == "2026-11-27" and extended["status"] == "sent"
    assert {d["kind"]: d["state"] for d in extended["deadlines"]}["response"] == "paused"
    c.ok("chair1", "legal-advice", ref, "--note", "Asked legal about the plan.")
    told = ["--told", "Operations manager"]
    c.ok("chair1", "cafcass-discussion", ref, "--note", "Talked it through, no referral.", *told)
    # Cafcass comes after the last stage under this procedure
    assert "every stage" in c.refused("chair1", "refer", ref, "--note", "Too early.", *told)


@pytest.mark.parametrize("policy_key", ["knowsley-dr", "tower-hamlets-alerts"])
def test_escalate_to_a_stage_the_procedure_allows(cli: Cli) -> None:
    c, w = cli, cli.world
    policy = w.policy
    first = policy.stages[0]
    ref = raise_at(c, first.key)["reference"]
    c.ok("chair1", "send", ref)
    targets = policy.escalation_targets(first.key)
    beyond = [s for s in policy.stages[1:] if s not in targets]
    if first.timescale.working_days is not None:  # escalating without a response waits for the due date
        assert "not due until" in c.refused("chair1", "escalate", ref, "--to", targets[-1].key)
        due = w.calendar.add_working_days(START, first.timescale.working_days)
        c.at(w.calendar.add_working_days(due, 1), 9)
    if beyond:
        assert "does not let you go" in c.refused("chair1", "escalate", ref, "--to", beyond[-1].key)
    target = targets[-1]
    up = c.ok("chair1", "escalate", ref, "--to", target.label)  # a stage by its label too
    assert up["stage"] == target.key and up["status"] == "draft"


ACTIONS = ("raise", "edit", "send", "respond", "decide", "negotiate", "extend", "escalate", "approve", "decline", "refer",
           "cafcass-discussion", "legal-advice", "withdraw", "reopen", "monitoring", "conversation", "action-done",
           "compliment", "show", "moves", "list")


def test_help_names_every_action_and_no_action_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["dispute", "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    for action in ACTIONS:
        assert f"    {action} " in out or f"    {action}\n" in out, action
    for action in ACTIONS:
        with pytest.raises(SystemExit):
            main(["dispute", action, "--help"])
        out = capsys.readouterr().out
        assert "--as USER" in out and "--json" in out and "--password-stdin" in out, action
    assert main(["dispute"]) == 2
    assert "which action" in capsys.readouterr().err


def test_moves_say_what_may_be_done_now_and_why_not(cli: Cli) -> None:
    c, w = cli, cli.world
    ref = raise_at(c, "informal")["reference"]
    listed = c.ok("chair1", "moves", ref)
    verdicts = {v["move"]: v for v in listed["moves"]}
    assert verdicts["send"]["allowed"] is True and verdicts["withdraw"]["allowed"] is True
    assert verdicts["respond"]["allowed"] is False and verdicts["respond"]["reason"]
    assert verdicts["extend"]["allowed"] is False and "extension" in verdicts["extend"]["reason"]
    assert listed["reference"] == ref and listed["status"] == "draft"
    c.ok("chair1", "send", ref)
    responder = w.responder("informal").username
    theirs = {v["move"]: v for v in c.ok(responder, "moves", ref)["moves"]}
    assert theirs["respond"]["allowed"] is True
    assert theirs["withdraw"]["allowed"] is False and theirs["withdraw"]["about"] == "who"
    # what the moves refuse, the action refuses with the same reason
    line = c.refused(responder, "withdraw", ref, "--reason", "Not mine.")
    assert line == "drp dispute: " + " ".join(theirs["withdraw"]["reason"].split())
    mine = {v["move"]: v for v in c.ok("chair1", "moves", ref)["moves"]}
    assert mine["escalate"]["allowed"] is False and "not due until" in mine["escalate"]["reason"]
    status, text, _ = c.run("chair1", "moves", ref, json_out=False)
    assert status == 0 and "  no   Escalate: " in text and "  yes  Withdraw" in text
    assert c.refused("chair1", "escalate", ref).endswith(" ".join(mine["escalate"]["reason"].split()))


# --- the same walks on PostgreSQL -----------------------------------------------------------------------------

@pytest.fixture
def pg_cli(clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """As ``cli``, on a scratch PostgreSQL database (skipped without a server; a failure in CI)."""
    from drp_tui.store import audit as store_audit
    from drp_tui.store.db import open_database
    from tests.pg import scratch_database

    with scratch_database() as url:
        open_database(url, create=True)
        store_audit.create_key()
        world = make_world(load_builtin("durham-rp"), calendar, clock)
        config = tmp_path / "drp.toml"
        config.write_text('policy = "durham-rp"\nnation = "ENG"\n', encoding="utf-8")
        close_database()
        monkeypatch.setattr(cli_dispute, "CLOCK", clock)
        try:
            yield Cli(url, config, world, capsys, monkeypatch)  # type: ignore[arg-type]  # a URL, not a path
        finally:
            close_database()


def test_walks_run_on_postgresql(pg_cli: Cli) -> None:
    """Raise, send, respond, escalate with a pinned procedure, then resolve: the due dates and the
    refusals as on SQLite, and the audit trail intact."""
    test_walk_to_the_last_stage_and_cafcass(pg_cli)
    test_walk_to_resolution(pg_cli)
    from drp_tui.store import audit_check

    from drp_tui.store.db import open_database
    open_database(str(pg_cli.db))
    try:
        assert audit_check.verify() == []
        assert m.Dispute.select().where(m.Dispute.policy_digest == "").count() == 0  # every one pinned
    finally:
        close_database()


def test_siblings_in_one_go_from_the_command_line(cli: Cli) -> None:
    """Issue 11 item 7: one response for linked siblings (each keeps its own record); an "all
    siblings" action goes sibling by sibling, names the one refused and why, the others proceed."""
    c, w = cli, cli.world
    raised = raise_at(c, "informal", "--sibling", "T101", "--sibling", "T102")
    first, second, third = raised["references"]
    c.ok("chair1", "send", first, "--siblings")
    c.ok("chair1", "withdraw", third, "--reason", "Raised in error for this child.")
    responder = w.responder("informal")
    out = c.ok(responder.username, "respond", second, "--siblings", "--text", "Contact booked for all three.",
               "--action", "Book contact|SW|26/11/2026")
    assert out["references"] == [first, second]
    assert [r["reference"] for r in out["refused"]] == [third] and "withdrawn" in out["refused"][0]["reason"]
    for ref in (first, second):
        st = c.ok("chair1", "show", ref)["stages"][0]
        assert st["response"] == "Contact booked for all three."
        assert [(a["owner"], a["due"]) for a in st["actions"]] == [("SW", "2026-11-26")]
    status, text, _ = c.run("chair1", "decide", first, "--not-resolved", "--comment", "No dates yet.",
                            "--siblings", json_out=False)
    assert status == 0
    lines = text.strip().splitlines()
    assert lines[0].startswith(f"{first}: decided not resolved") and lines[1].startswith(f"{second}: decided")
    assert lines[2].startswith(f"{third}: refused, left as it was: ") and "withdrawn" in lines[2]


def test_the_command_line_reads_today_and_yesterday_by_its_clock(cli: Cli) -> None:
    """The frozen clock says Mon 23 Nov 2026 (tests/conftest.py): "yesterday" is Sun 22 Nov."""
    c = cli
    ref = raise_at(c, "informal")["reference"]
    c.ok("chair1", "edit", ref, "issue_arose=yesterday")
    assert c.ok("chair1", "show", ref)["issue_arose"] == "2026-11-22"
    c.ok("chair1", "edit", ref, "issue_arose=today")
    assert c.ok("chair1", "show", ref)["issue_arose"] == "2026-11-23"
