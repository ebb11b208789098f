"""Hand-over of a departing chair's open disputes and children (services.handover, ``drp user handover``),
and disabling a chair who still has open disputes (``drp user disable [--keep]``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drp_tui.cli import main
from drp_tui.cli import users as cli_users
from drp_tui.domain.model import Role, Status
from drp_tui.domain.moves import Move, moves
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import accounts, handover, outcomes
from drp_tui.services import disputes as ds
from drp_tui.services.common import actor_of
from drp_tui.services.errors import DomainError, PermissionDenied, ValidationError
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from drp_tui.store.queries_dispute import get_dispute
from tests.factories import World, make_world
from tests.unit.test_refusals import refused, snapshot_db


def cli_ctx(w: World) -> InstallationAdmin:
    return InstallationAdmin(None, w.policy, w.calendar, w.clock, os_user="opsadmin")  # type: ignore[arg-type]


def raise_one(w: World, stage: str = "stage_1", child: m.Child | None = None) -> int:
    c = child or w.child
    assert c is not None
    return ds.raise_dispute(w.ctx(), ds.RaiseInput([c.id], w.policy.categories[0].key, stage, date(2026, 11, 20),
                                                   "The care plan has drifted: no permanence decision."))[0]


@dataclass
class Caseload:
    draft: int  # stage 1, not sent
    sent: int  # stage 1, sent to the team manager
    closed: int  # withdrawn: history, stays with chair1


def caseload(w: World) -> Caseload:
    draft = raise_one(w)
    sent = raise_one(w, child=w.siblings[1])
    ds.send(w.ctx(), sent)
    closed = raise_one(w, child=w.siblings[2])
    outcomes.withdraw(w.ctx(), closed, "Resolved informally.")
    return Caseload(draft, sent, closed)


def events(kind: str) -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == kind).order_by(m.Event.id))


# --- the service ----------------------------------------------------------------------------------------

def test_open_disputes_and_children_move_closed_ones_stay(world: World) -> None:
    w = world
    load = caseload(w)
    tm = w.levels["team_manager"]
    versions = {d: get_dispute(d).version for d in (load.draft, load.sent)}
    notes_before = m.Notification.select().count()
    report = handover.hand_over(cli_ctx(w), "chair1", "chair2")

    assert report.old == "chair1" and report.new == "chair2" and not report.dry_run
    refs = {get_dispute(d).reference: d for d in (load.draft, load.sent)}
    assert {d.reference for d in report.disputes} == set(refs)
    assert {d.reference: d.responder for d in report.disputes} == {
        get_dispute(load.draft).reference: None, get_dispute(load.sent).reference: tm.username}
    assert report.children == ("T100", "T101", "T102") and report.closed_kept == 1
    assert report.warnings == ()  # same team

    for did in (load.draft, load.sent):
        v = get_dispute(did)
        assert v.raised_by_id == w.other_chair.id and v.version == versions[did] + 1
    assert get_dispute(load.closed).raised_by_id == w.chair.id  # history stays
    assert get_dispute(load.closed).status is Status.WITHDRAWN
    assert [c.chair_id for c in m.Child.select().where(m.Child.case_number.in_(["T100", "T101", "T102"]))] \
        == [w.other_chair.id] * 3
    assert m.Child.get(m.Child.case_number == "T900").chair_id == w.other_chair.id  # was already chair2's

    moved = events("handed_over")
    assert sorted(e.dispute_id for e in moved) == sorted([load.draft, load.sent])
    for e in moved:
        assert json.loads(e.before) == {"chair": "chair1"} and json.loads(e.after) == {"chair": "chair2"}
        assert e.actor_id is None and "OS user 'opsadmin'" in e.summary
    kids = events("child_chair_handed_over")
    assert len(kids) == 3 and all(json.loads(k.after) == {"chair": "chair2"} for k in kids)
    assert {k.child_id for k in kids} == {c.id for c in w.siblings}

    notes = list(m.Notification.select().where(m.Notification.id > notes_before).order_by(m.Notification.id))
    to_new = [n for n in notes if n.recipient_id == w.other_chair.id]
    assert sorted(n.dispute_id for n in to_new if n.dispute_id) == sorted([load.draft, load.sent])
    assert any(n.dispute_id is None and "3 child(ren)" in n.text for n in to_new)
    to_tm = [n for n in notes if n.recipient_id == tm.id]
    assert len(to_tm) == 1 and to_tm[0].dispute_id == load.sent and "Drew Chair" in to_tm[0].text
    assert len(notes) == len(to_new) + len(to_tm)  # nobody else (the draft went to no one)

    # the clocks: the sent dispute still waits on the team manager, its deadline unchanged
    row = m.Dispute.get_by_id(load.sent)
    assert row.responder_id == tm.id and row.next_due_at is not None

    assert audit_check.verify() == []  # the chain covers the rows the hand-over wrote

    # a second hand-over finds nothing left to move
    again = handover.hand_over(cli_ctx(w), "chair1", "chair2")
    assert again.empty and again.closed_kept == 1


def test_after_the_hand_over_the_new_chair_acts_and_the_old_one_cannot(world: World) -> None:
    w = world
    load = caseload(w)
    handover.hand_over(w.ctx(w.admin), "chair1", "chair2")  # an administrator's account: the admin screen's way
    old, new = w.ctx(w.chair), w.ctx(w.other_chair)
    for did in (load.draft, load.sent):
        v = get_dispute(did)
        assert not moves(v, w.policy, actor_of(old), w.clock.now(), w.calendar)[Move.WITHDRAW].allowed
        assert moves(v, w.policy, actor_of(new), w.clock.now(), w.calendar)[Move.WITHDRAW].allowed
    refused(lambda: outcomes.withdraw(old, load.sent, "No longer mine."), PermissionDenied, "Only the chair")
    refused(lambda: ds.send(old, load.draft), PermissionDenied, "Only the chair")
    ds.send(new, load.draft)
    assert get_dispute(load.draft).status is Status.SENT
    outcomes.withdraw(new, load.sent, "Agreed at the review.")
    assert get_dispute(load.sent).status is Status.WITHDRAWN
    # and the new chair can raise for the children handed over (they chair them now)
    assert w.siblings[2].id in [c.id for c in m.Child.select().where(m.Child.chair == w.other_chair.id)]
    raise_as_new = ds.raise_dispute(new, ds.RaiseInput([w.siblings[2].id], w.policy.categories[0].key, "stage_1",
                                                       date(2026, 11, 20), "Contact has stopped."))
    assert get_dispute(raise_as_new[0]).raised_by_id == w.other_chair.id


def test_dry_run_says_what_would_move_and_writes_nothing(world: World) -> None:
    w = world
    load = caseload(w)
    before = snapshot_db()
    report = handover.hand_over(cli_ctx(w), "chair1", "chair2", dry_run=True)
    assert snapshot_db() == before
    assert report.dry_run and len(report.disputes) == 2 and len(report.children) == 3 and report.closed_kept == 1
    assert get_dispute(load.draft).raised_by_id == w.chair.id


def test_refusals_leave_the_database_unchanged(world: World) -> None:
    w = world
    caseload(w)
    ctx = cli_ctx(w)
    refused(lambda: handover.hand_over(ctx, "chair1", "chair1"), DomainError, "the chair handing over")
    refused(lambda: handover.hand_over(ctx, "chair1", "sw1"), ValidationError, "not a chair", field="new")
    refused(lambda: handover.hand_over(ctx, "chair1", "over1"), ValidationError, "not a chair", field="new")
    refused(lambda: handover.hand_over(ctx, "chair1", "admin1"), ValidationError, "an admin", field="new")
    refused(lambda: handover.hand_over(ctx, "chair1", "ghost"), ValidationError, "no staff account 'ghost'",
            field="new")
    refused(lambda: handover.hand_over(ctx, "nobody", "chair2"), ValidationError, "no staff account", field="old")
    m.Staff.update(active=False).where(m.Staff.id == w.other_chair.id).execute()
    refused(lambda: handover.hand_over(ctx, "chair1", "chair2"), ValidationError, "disabled", field="new")
    m.Staff.update(active=True).where(m.Staff.id == w.other_chair.id).execute()
    # only an administrator: a chair cannot take (or give away) disputes this way
    refused(lambda: handover.hand_over(w.ctx(w.chair), "chair1", "chair2"), PermissionDenied, "administrator")
    refused(lambda: handover.hand_over(w.ctx(w.other_chair), "chair1", "chair2"), PermissionDenied, "administrator")


def test_refused_when_the_new_chair_could_not_act(world: World) -> None:
    """A stage 2 not yet sent needs the agreement of the chair's own service manager (mosaic-iro:
    iro_service_manager, held in the chair's team): a chair of a team without one could never send it."""
    w = world
    did = raise_one(w, "stage_2")
    far = m.Team.create(name="Far IRO Service", kind="iro_service")
    m.Staff.create(username="chair3", name="Fran Far", role=Role.CHAIR.value, team=far, created_at=w.clock.now())
    ref = get_dispute(did).reference
    refused(lambda: handover.hand_over(cli_ctx(w), "chair1", "chair3"), DomainError, ref, "approv",
            "Far IRO Service", "nothing was handed over")
    assert m.Child.get(m.Child.case_number == "T100").chair_id == w.chair.id  # the children stayed too
    # once Far IRO Service has its service manager, the same hand-over goes through
    mgr = m.Staff.create(username="farmgr", name="Max Far", role=Role.OVERSIGHT.value, team=far,
                         created_at=w.clock.now())
    report = handover.hand_over(cli_ctx(w), "chair1", "chair3")
    assert [d.reference for d in report.disputes] == [ref]
    assert any("Far IRO Service" in x for x in report.warnings)  # another team: said
    outcomes.approve_stage(w.ctx(mgr), did, "Agreed.")
    ds.send(w.ctx(m.Staff.get(m.Staff.username == "chair3")), did)
    assert get_dispute(did).status is Status.SENT


# --- disabling a chair with open disputes ------------------------------------------------------------------

def test_disable_asks_for_a_hand_over_or_keep(world: World) -> None:
    w = world
    load = caseload(w)
    ctx = cli_ctx(w)
    exc = refused(lambda: accounts.disable_user(ctx, "chair1"), DomainError, "2 open dispute", "hand them over")
    assert exc.field == "keep" and get_dispute(load.draft).reference in exc.message
    report = accounts.disable_user(ctx, "chair1", "Left the authority", keep=True)
    assert set(report.kept) == {get_dispute(d).reference for d in (load.draft, load.sent)}
    assert any("kept with the disabled account" in x for x in report.warnings)
    assert any("chairs 3 child(ren)" in x for x in report.warnings)
    e = events("account_disabled")[-1]
    assert "2 open dispute(s) kept" in e.summary and set(json.loads(e.after)["kept"]) == set(report.kept)
    assert not m.Staff.get_by_id(w.chair.id).active
    # a disabled chair's disputes can still be handed over afterwards
    handover.hand_over(ctx, "chair1", "chair2")
    assert get_dispute(load.draft).raised_by_id == w.other_chair.id


def test_disable_after_a_hand_over_needs_no_keep(world: World) -> None:
    w = world
    caseload(w)
    handover.hand_over(cli_ctx(w), "chair1", "chair2")
    report = accounts.disable_user(cli_ctx(w), "chair1")
    assert report.kept == () and not any("open dispute" in x for x in report.warnings)
    assert json.loads(events("account_disabled")[-1].after)["kept"] == []


# --- the command line --------------------------------------------------------------------------------------

@dataclass
class Cli:
    db: Path
    config: Path
    world: World
    load: Caseload
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = main(["--db", str(self.db), "--config", str(self.config), "user", *argv])
        out, err = self.capsys.readouterr()
        return status, out, err


@pytest.fixture
def cli(db_path: Path, clock: FrozenClock, calendar: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    world = make_world(load_builtin("mosaic-iro"), calendar, clock)
    load = caseload(world)
    config = tmp_path / "drp.toml"
    config.write_text('policy = "mosaic-iro"\nnation = "ENG"\n', encoding="utf-8")
    close_database()
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    monkeypatch.setattr(cli_users, "SystemClock", lambda: clock)
    yield Cli(db_path, config, world, load, capsys)
    close_database()


def test_cli_handover_dry_run_then_for_real(cli: Cli) -> None:
    c, w = cli, cli.world
    status, out, err = c.run("handover", "chair1", "chair2", "--dry-run")
    assert status == 0 and err == "", err
    assert "would hand over from chair1 to chair2: 2 open dispute(s), 3 child(ren) (dry run" in out
    assert "child   T100" in out and "1 closed dispute(s) stay with chair1" in out
    assert get_dispute(c.load.draft).raised_by_id == w.chair.id

    status, out, err = c.run("handover", "chair1", "chair2", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert data["ok"] is True and data["dry_run"] is False and data["old"] == "chair1" and data["new"] == "chair2"
    assert {d["reference"] for d in data["disputes"]} == {get_dispute(d).reference for d in (c.load.draft, c.load.sent)}
    assert data["children"] == ["T100", "T101", "T102"] and data["closed_kept"] == 1
    assert get_dispute(c.load.sent).raised_by_id == w.other_chair.id
    assert len(events("handed_over")) == 2 and len(events("child_chair_handed_over")) == 3
    assert all("OS user 'opsadmin'" in e.summary for e in events("handed_over"))

    # the new chair can now act through the services; the old one cannot
    refused(lambda: outcomes.withdraw(w.ctx(w.chair), c.load.draft, "Mine."), PermissionDenied, "Only the chair")
    outcomes.withdraw(w.ctx(w.other_chair), c.load.draft, "Agreed at the review.")
    assert get_dispute(c.load.draft).status is Status.WITHDRAWN

    status, out, err = c.run("handover", "chair1", "chair2")
    assert status == 0 and "nothing to hand over" in out


def test_cli_handover_refusals(cli: Cli) -> None:
    c = cli
    before = snapshot_db()
    status, out, err = c.run("handover", "chair1", "sw1")
    assert status == 2 and out == "" and err.startswith("drp: new: sw1 is a responder") and err.count("\n") == 1
    status, out, err = c.run("handover", "chair1", "chair1", "--json")
    assert status == 2 and err == "" and json.loads(out)["ok"] is False and "the chair handing over" in json.loads(out)["error"]
    assert snapshot_db() == before


def test_cli_disable_asks_for_a_hand_over_or_keep(cli: Cli) -> None:
    c = cli
    before = snapshot_db()
    status, out, err = c.run("disable", "chair1")
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "Chair chair1 has 2 open dispute(s)" in err and "'drp user handover chair1 NEW'" in err and "--keep" in err
    assert snapshot_db() == before
    status, out, err = c.run("disable", "chair1", "--keep", "--reason", "Left")
    assert status == 0 and "disabled chair1" in out
    assert "kept 2 open dispute(s) with chair1 (--keep): " in out
    assert get_dispute(c.load.draft).reference in out
    assert "warning: chair1 chairs 2 open dispute(s), kept with the disabled account" in err
    assert not m.Staff.get_by_id(c.world.chair.id).active
