"""``drp import disputes``: disputes already running in an old tracker, brought in (made-up data).

The world (teams, management chain, chairs, children T100...) comes from tests.factories on the
mosaic-iro profile; due dates are worked out here from the profile's 5 working days and the
England calendar (Mon 23 Nov 2026 is the frozen "today")."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from drp_tui.cli import main
from drp_tui.cli import users as cli_users
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import Role, Status
from drp_tui.domain.moves import Actor, Move, verdict
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock, london_date
from drp_tui.services import import_disputes as imp
from drp_tui.services.csvfiles import CsvFile, load_map, read_csv
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store.queries_dispute import get_dispute
from drp_tui.services.reports import report
from drp_tui.store import audit_check
from drp_tui.store import models as m
from tests.factories import World, make_world

ROOT = Path(__file__).resolve().parents[2]
HEADER = ("reference,case_number,chair,category,issue_arose,raised_on,stage,stage_sent_on,status,"
          "response_on,closed_on,outcome,concern")
OPEN_SENT = "OLD-17,T100,chair1,drift_and_delay,02/11/2026,03/11/2026,Stage 1,17/11/2026,open,,,,Plan drifting"
RESPONDED = "OLD-18,T101,Casey Chair,Drift and delay,,2026-11-04,stage_2,18/11/2026,response received,20/11/2026,,,"
RESOLVED = ("OLD-09,T100,chair1,care_plan,01/09/2026,02/09/2026,informal,03/09/2026,resolved,,30/09/2026,"
            "Contact plan agreed,")


@pytest.fixture
def world(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar) -> World:
    return make_world(load_builtin("mosaic-iro"), calendar, clock)


@pytest.fixture
def ctx(world: World) -> InstallationAdmin:
    return InstallationAdmin(None, world.policy, world.calendar, world.clock, os_user="opsadmin")  # type: ignore[arg-type]


def disputes_file(*rows: str, header: str = HEADER, encoding: str = "utf-8", map_path: Path | None = None) -> CsvFile:
    data = ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)
    cmap = load_map(map_path, imp.DISPUTE_FIELDS) if map_path else None
    return read_csv(data, imp.DISPUTE_FIELDS, imp.DISPUTE_REQUIRED, cmap, imp.DISPUTE_ALIASES)


def by_old(ref: str) -> m.Dispute:
    return m.Dispute.get(m.Dispute.imported_ref == ref)


def test_running_and_closed_disputes_come_in_pinned_with_their_clocks(world: World, ctx: InstallationAdmin) -> None:
    report_ = imp.import_disputes(ctx, disputes_file(OPEN_SENT, RESPONDED, RESOLVED))
    assert not report_.problems and report_.written and report_.new == ("OLD-17", "OLD-18", "OLD-09")
    sent = by_old("OLD-17")
    # A reference of this desk, by the year raised; the old one kept.
    assert [old for old, _new in report_.references] == ["OLD-17", "OLD-18", "OLD-09"]
    assert dict(report_.references)["OLD-17"] == sent.reference and sent.reference.startswith("DRP-2026-")
    assert sent.status == Status.SENT.value and sent.current_stage == "stage_1" == sent.start_stage
    assert sent.policy_digest == world.policy.digest  # pinned to the procedure in force
    assert sent.issue_arose == date(2026, 11, 2) and sent.raised_on == date(2026, 11, 3)
    rec = m.StageRecord.get(m.StageRecord.dispute == sent.id)
    # Sent Tue 17 Nov; 5 working days: Wed 18, Thu 19, Fri 20, Mon 23, Tue 24.
    assert rec.due_date == date(2026, 11, 24) and rec.responder_id == world.responder("stage_1").id
    assert london_date(rec.sent_at) == date(2026, 11, 17) and rec.chair_concern == "Plan drifting"
    assert sent.next_due_at is not None and sent.responder_id == world.responder("stage_1").id  # on the caseload
    answered = by_old("OLD-18")
    assert answered.status == Status.RESPONDED.value and answered.issue_arose == answered.raised_on  # blank: raised
    assert answered.raised_by_id == world.chair.id  # named by full name
    arec = m.StageRecord.get(m.StageRecord.dispute == answered.id)
    assert london_date(arec.response_at) == date(2026, 11, 20) and "old tracker" in arec.response
    closed = by_old("OLD-09")
    assert closed.status == Status.RESOLVED.value and closed.outcome == "Contact plan agreed"
    assert london_date(closed.closed_at) == date(2026, 9, 30)
    events = list(m.Event.select().where(m.Event.kind == "imported").order_by(m.Event.id))
    assert [e.dispute_id for e in events] == [sent.id, answered.id, closed.id]
    assert "where it was OLD-17" in events[0].summary and "OS user 'opsadmin'" in events[0].summary
    assert json.loads(events[0].after)["row"]["stage_sent_on"] == "2026-11-17"
    assert m.Event.select().where(m.Event.kind == "disputes_imported").count() == 1
    assert audit_check.verify() == []
    # Counted in the reports like any other.
    r = report(world.policy, world.calendar, world.clock.now(), policy_of=ctx.policy_of)
    assert r.total == 3 and r.open == 2
    assert {c.key: c.count for c in r.by_status}[Status.RESOLVED.value] == 1


def test_the_chair_carries_on_in_the_desk(world: World, ctx: InstallationAdmin) -> None:
    imp.import_disputes(ctx, disputes_file(RESPONDED))
    d = by_old("OLD-18")
    view = get_dispute(d.id)
    chair = Actor(world.chair.id, Role.CHAIR, world.chair.team_id)
    decide = verdict(view, ctx.policy_of(view), chair, world.clock.now(), world.calendar, Move.DECIDE)
    assert decide.allowed, decide.reason
    other = Actor(world.other_chair.id, Role.CHAIR, world.other_chair.team_id)
    assert not verdict(view, ctx.policy_of(view), other, world.clock.now(), world.calendar, Move.DECIDE).allowed


def test_importing_the_same_file_again_changes_nothing_and_a_changed_row_is_named(
        world: World, ctx: InstallationAdmin) -> None:
    imp.import_disputes(ctx, disputes_file(OPEN_SENT, RESOLVED))
    before = (m.Dispute.select().count(), m.Event.select().count())
    again = imp.import_disputes(ctx, disputes_file(OPEN_SENT, RESOLVED))
    assert again.unchanged == 2 and again.new == () and not again.problems and not again.written
    assert (m.Dispute.select().count(), m.Event.select().count()) == before
    moved_on = OPEN_SENT.replace(",open,", ",responded,").replace(",,,,Plan", ",19/11/2026,,,Plan")
    changed = imp.import_disputes(ctx, disputes_file(OPEN_SENT.replace("OLD-17", "OLD-99"), moved_on))
    assert [p.text() for p in changed.problems] == [
        f"line 3, column 'reference': OLD-17 was imported as {by_old('OLD-17').reference} and this row now "
        "differs in status, response on; the desk's record is the one kept: change it there"]
    assert not changed.written and m.Dispute.select().count() == before[0]  # all or nothing: OLD-99 not written


def test_each_bad_row_is_named_by_line_and_column_and_nothing_is_written(world: World, ctx: InstallationAdmin) -> None:
    rows = [
        OPEN_SENT,
        "OLD-2,T999,chair1,drift_and_delay,,01/11/2026,stage_1,02/11/2026,sent,,,,",
        "OLD-3,T100,sw1,drift_and_delay,,01/11/2026,stage_1,02/11/2026,sent,,,,",
        "OLD-4,T100,chair1,weather,,01/11/2026,stage_9,02/11/2026,lost,,,,",
        "OLD-5,T100,chair1,care_plan,05/11/2026,01/11/2026,stage_1,,sent,,,,",
        "OLD-6,T100,chair1,care_plan,,01/11/2026,stage_1,02/11/2026,resolved,,,,",
        "OLD-7,T100,chair1,care_plan,,01/11/2026,stage_1,02/11/2026,open,,,,",
        "OLD-7,T100,chair1,care_plan,,01/12/2026,stage_1,,draft,,,,",
    ]
    got = imp.import_disputes(ctx, disputes_file(*rows))
    texts = [p.text() for p in got.problems]
    assert texts == [
        "line 3, column 'case_number': there is no child with case number 'T999' (import the children first)",
        "line 4, column 'chair': Sol Worker (sw1) is a responder; the chair must be chair",
        f"line 5, column 'category': 'weather' is not a category of {world.policy.name} "
        f"(one of: {', '.join(c.key for c in world.policy.categories)})",
        f"line 5, column 'stage': 'stage_9' is not a stage of {world.policy.name} "
        f"(one of: {', '.join(s.key for s in world.policy.stages)})",
        "line 5, column 'status': 'lost' is not a status (one of: " + ", ".join(imp.STATUS_WORDS)
        + "; a --map can name the tracker's words)",
        "line 6, column 'issue_arose': is after the day it was raised",
        "line 6, column 'stage_sent_on': is needed: the status 'sent' says the stage was sent",
        "line 7, column 'closed_on': is needed: the status 'resolved' is closed",
        "line 9, column 'reference': OLD-7 is also on line 8",
        "line 9, column 'raised_on': 01/12/2026 is in the future",
    ]
    assert {p.line for p in got.problems} == {3, 4, 5, 6, 7, 9}
    assert not got.written and m.Dispute.select().count() == 0
    skipped = imp.import_disputes(ctx, disputes_file(*rows), skip_bad=True)
    assert skipped.written and set(skipped.new) == {"OLD-17", "OLD-7"}
    assert m.Dispute.select().count() == 2


def test_a_stage_nobody_answers_is_named(world: World, ctx: InstallationAdmin) -> None:
    m.TeamRole.delete().where(m.TeamRole.level == world.policy.stage("stage_2").responder_level).execute()
    got = imp.import_disputes(ctx, disputes_file(RESPONDED))
    assert len(got.problems) == 1 and got.problems[0].column == "stage"
    assert "no one holds the Service Manager role for Test Social Care" in got.problems[0].problem


def test_a_mapped_tracker_in_windows_1252(world: World, ctx: InstallationAdmin, tmp_path: Path) -> None:
    cmap = tmp_path / "tracker.toml"
    cmap.write_text('name = "Old tracker"\n[columns]\nreference = "DRP No"\ncase_number = "Person ID"\n'
                    'chair = "IRO"\ncategory = "Theme"\nraised_on = "Date raised"\nstage = "Level"\n'
                    'stage_sent_on = "Date sent"\nstatus = "Where"\nconcern = "Worry"\n'
                    '[words.status]\n"With manager" = "sent"\n', encoding="utf-8")
    f = disputes_file("D-1,T100,chair1,Drift and delay,17/11/2026,Stage 1,17/11/2026,With manager,Plan’s drifting",
                      header="DRP No,Person ID,IRO,Theme,Date raised,Level,Date sent,Where,Worry",
                      encoding="cp1252", map_path=cmap)
    got = imp.import_disputes(ctx, f)
    assert not got.problems and by_old("D-1").status == Status.SENT.value
    assert m.StageRecord.get(m.StageRecord.dispute == by_old("D-1").id).chair_concern == "Plan’s drifting"


def test_the_command_line_and_the_example_file(world: World, ctx: InstallationAdmin, db_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    example = ROOT / "examples" / "disputes.csv"
    cfg = db_path.parent / "drp.toml"
    cfg.write_text('policy = "mosaic-iro"\nnation = "ENG"\n', encoding="utf-8")
    # The example names the example children and chairs: here, a file in the same shape on this world.
    rows = [line.split(",") for line in example.read_text(encoding="utf-8").splitlines()]
    assert rows[0] == HEADER.split(",")
    mine = db_path.parent / "mine.csv"
    mine.write_text("\n".join([HEADER, OPEN_SENT, RESOLVED]) + "\n", encoding="utf-8")
    assert main(["--db", str(db_path), "--config", str(cfg), "import", "disputes", str(mine), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "new: 2 (not written)" in out and "dry run: nothing was written" in out
    assert m.Dispute.select().count() == 0
    assert main(["--db", str(db_path), "--config", str(cfg), "import", "disputes", str(mine)]) == 0
    out = capsys.readouterr().out
    assert f"OLD-17 -> {by_old('OLD-17').reference}" in out and "new: 2" in out
    assert main(["--db", str(db_path), "--config", str(cfg), "import", "disputes", str(mine)]) == 0
    assert "new: 0\nchanged: 0\nunchanged: 2" in capsys.readouterr().out
