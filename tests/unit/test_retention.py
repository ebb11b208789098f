"""Retention: what is due for disposal, legal holds, disposal (audited, chain intact), who may.

Frozen clock throughout: a dispute is closed on Monday 23 November 2026 and the clock is
then moved on by years. The rule is the config file's ``[retention]``.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from drp_tui.cli import dispute as cli_dispute
from drp_tui.cli import main
from drp_tui.config import ConfigError, load_config
from drp_tui.domain.retention import RetentionRule, disposal_due, plus_years
from drp_tui.domain.timeutil import LONDON
from drp_tui.services import outcomes, reads, reports, retention
from drp_tui.services import disputes as ds
from drp_tui.services.errors import DomainError, PermissionDenied, ValidationError
from drp_tui.store import audit as store_audit
from drp_tui.store import audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from tests.factories import PASSWORD, World

RULE = RetentionRule(closed_years=6, until_age={"CLA": 75})
SIX_YEARS = RetentionRule(closed_years=6)
CLOSED = date(2026, 11, 23)
CONCERN = "Contact with Sibling 0's brother has not happened for eight weeks."
RESPONSE = "Contact dates booked with the family."


def closed_dispute(world: World) -> m.Dispute:
    """Raised, sent, answered with an action and decided resolved, all on 23/11/2026."""
    assert world.child is not None
    ctx = world.ctx()
    did = ds.raise_dispute(ctx, ds.RaiseInput([world.child.id], world.policy.categories[0].key, "stage_1",
                                              CLOSED, CONCERN, impact="She asks about him at every visit."))[0]
    ds.send(ctx, did)
    tm = world.responder("stage_1")
    ds.record_response(world.ctx(tm), did, RESPONSE, [ds.ActionInput("Book contact", "Social Worker", date(2026, 12, 4))])
    outcomes.decide(ctx, did, True, "Dates agreed.")
    d = m.Dispute.get_by_id(did)
    assert d.closed_at is not None
    return d  # type: ignore[no-any-return]


def at(world: World, day: date) -> None:
    world.clock.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON))


def refs(lines: list[retention.RetentionLine]) -> list[str]:
    return [x.reference for x in lines]


def test_the_rule_later_of_years_after_closing_and_the_birthday() -> None:
    assert disposal_due(SIX_YEARS, CLOSED, "CLA", date(2015, 1, 1)).on == date(2032, 11, 23)
    due = disposal_due(RULE, CLOSED, "CLA", date(2015, 1, 1))
    assert due.on == date(2090, 1, 1) and "75th birthday" in due.why
    assert disposal_due(RULE, CLOSED, "CP", date(2015, 1, 1)).on == date(2032, 11, 23)  # CP: years only
    assert disposal_due(RULE, CLOSED, "CLA", None).on is None  # cannot apply the rule: kept
    assert disposal_due(RULE, CLOSED, "CLA", date(1955, 1, 1)).on == date(2032, 11, 23)  # already 75: years
    assert plus_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_config_reads_retention_and_names_a_bad_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[retention]\nclosed_years = 6\nuntil_age = { CLA = 75 }\n", encoding="utf-8")
    assert load_config(str(cfg)).retention == RULE
    assert load_config(None).retention is None  # not set: nothing is ever due
    for text, named in (("closed_years = 0", "retention.closed_years"),
                        ("closed_years = 6\nuntil_age = { CLA = 7 }", "retention.until_age.CLA"),
                        ("closed_yeers = 6", "retention.closed_yeers")):
        cfg.write_text(f"[retention]\n{text}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            load_config(str(cfg))


def test_due_list_shows_what_is_due_with_no_names(world: World) -> None:
    d = closed_dispute(world)
    admin = world.ctx(world.admin)
    assert retention.due_list(admin, SIX_YEARS) == []  # closed today: not due for six years
    everything = retention.due_list(admin, SIX_YEARS, True)
    assert refs(everything) == [d.reference] and everything[0].due_on == date(2032, 11, 23)
    at(world, date(2032, 11, 22))
    assert retention.due_list(admin, SIX_YEARS) == []
    at(world, date(2032, 11, 23))
    [line] = retention.due_list(world.ctx(world.oversight), SIX_YEARS)
    assert (line.reference, line.closed_on, line.due_on, line.due, line.held) == (
        d.reference, CLOSED, date(2032, 11, 23), True, False)
    shown = json.dumps([vars(x) for x in retention.due_list(admin, SIX_YEARS)], default=str)
    assert "Sibling" not in shown and "Casey" not in shown and "eight weeks" not in shown
    # A looked-after child's record is kept until the 75th birthday (born 01/01/2015).
    assert retention.due_list(admin, RULE) == []
    assert retention.due_list(admin, RULE, True)[0].due_on == date(2090, 1, 1)


def test_a_hold_stops_disposal_until_released(world: World) -> None:
    d = closed_dispute(world)
    admin = world.ctx(world.admin)
    at(world, date(2033, 1, 10))
    retention.hold(admin, d.reference, "Subject access request pending")
    [line] = retention.due_list(admin, SIX_YEARS)
    assert line.held and not line.due and line.held_since == date(2033, 1, 10)
    with pytest.raises(DomainError, match="on legal hold"):
        retention.dispose(admin, SIX_YEARS, d.reference, "Retention period ended")
    assert m.StageRecord.select().where(m.StageRecord.dispute == d.id).count() == 1  # nothing deleted
    assert not m.Disposal.select().exists()
    with pytest.raises(DomainError, match="on hold already"):
        retention.hold(admin, d.reference, "Again")
    hold_event = m.Event.select().where(m.Event.kind == "retention_hold").get()
    assert hold_event.dispute_id == d.id
    retention.release(world.ctx(world.oversight), d.reference, "Request answered")
    h = m.RetentionHold.get()
    assert h.released_by_id == world.oversight.id and h.release_reason == "Request answered"
    assert retention.due_list(admin, SIX_YEARS)[0].due
    with pytest.raises(DomainError, match="not on hold"):
        retention.release(admin, d.reference, "Twice")


def test_disposal_deletes_the_content_is_audited_and_the_chain_verifies(world: World) -> None:
    d = closed_dispute(world)
    assert world.child is not None
    m.Child.update(closed_on=date(2027, 1, 5)).where(m.Child.id == world.child.id).execute()
    m.note_write(m.Child, world.child.id)
    admin = world.ctx(world.admin)
    with pytest.raises(DomainError, match="not due for disposal until Tue 23 Nov 2032"):
        retention.dispose(admin, SIX_YEARS, d.reference, "Too early")
    with pytest.raises(ValidationError, match="reason: is required"):
        retention.dispose(admin, SIX_YEARS, d.reference, "  ")
    with pytest.raises(DomainError, match="No retention period is set"):
        retention.dispose(admin, None, d.reference, "No rule")
    at(world, date(2032, 11, 23))
    done = retention.dispose(admin, SIX_YEARS, d.reference.lower(), "Retention period ended")
    assert done.deleted == {"action": 1, "stage_record": 1, "notification": done.deleted["notification"]}
    assert done.child_anonymised  # closed to the service, and no other dispute of theirs kept
    # The database: the content is gone, the reference and dates stay.
    row = m.Dispute.get_by_id(d.id)
    assert (row.reference, row.status, row.concern, row.impact, row.outcome) == (
        d.reference, "resolved", "", "", "")
    assert not m.StageRecord.select().where(m.StageRecord.dispute == d.id).exists()
    assert not m.Action.select().exists() and not m.Notification.select().where(
        m.Notification.dispute == d.id).exists()
    child = m.Child.get_by_id(world.child.id)
    assert (child.name, child.date_of_birth) == (retention.DISPOSED_NAME, None)
    disposal = m.Disposal.get()
    assert (disposal.dispute_id, disposal.closed_on, disposal.due_on, disposal.disposed_by_id) == (
        d.id, CLOSED, date(2032, 11, 23), world.admin.id)
    # The audit record: who, what, when, why; no personal data.
    ev = m.Event.select().order_by(m.Event.id.desc()).get()
    assert ev.kind == "disposed" and ev.actor_id == world.admin.id and d.reference in ev.summary
    for text in (ev.summary, ev.before, ev.after):
        assert "Sibling" not in text and "eight weeks" not in text and "booked" not in text
    assert json.loads(ev.after)["reason"] == "Retention period ended"
    # The chain and the covered rows still verify (deleted rows are recorded as deleted).
    assert audit_check.verify() == []
    problems, content = audit_check.check()
    assert problems == [] and content.problems == []
    # Nobody sees it any more; it is not due again; it cannot be disposed of twice.
    assert not reads.may_see(world.ctx(), d.id)
    assert reports.report_for(admin).total >= 1  # the administrator's counts still count it
    assert retention.due_list(admin, SIX_YEARS, True) == []
    with pytest.raises(DomainError, match="disposed of already"):
        retention.dispose(admin, SIX_YEARS, d.reference, "Again")


def test_an_open_dispute_is_never_disposed(world: World) -> None:
    assert world.child is not None
    did = ds.raise_dispute(world.ctx(), ds.RaiseInput([world.child.id], world.policy.categories[0].key, "stage_1",
                                                      CLOSED, CONCERN))[0]
    at(world, date(2040, 1, 1))
    ref = m.Dispute.get_by_id(did).reference
    with pytest.raises(DomainError, match="is not closed"):
        retention.dispose(world.ctx(world.admin), SIX_YEARS, ref, "Old")
    assert retention.due_list(world.ctx(world.admin), SIX_YEARS, True) == []


@pytest.mark.parametrize("who", ["chair", "worker"])
def test_refused_for_a_chair_or_a_responder_and_the_refusal_is_audited(world: World, who: str) -> None:
    d = closed_dispute(world)
    at(world, date(2032, 11, 23))
    ctx = world.ctx(getattr(world, who))
    for call in (lambda: retention.due_list(ctx, SIX_YEARS),
                 lambda: retention.hold(ctx, d.reference, "Mine"),
                 lambda: retention.dispose(ctx, SIX_YEARS, d.reference, "Mine")):
        with pytest.raises(PermissionDenied, match="Only an administrator or oversight"):
            call()
    assert m.StageRecord.select().where(m.StageRecord.dispute == d.id).count() == 1
    assert not m.RetentionHold.select().exists() and not m.Disposal.select().exists()
    refused = list(m.Event.select().where(m.Event.kind == "refused").order_by(m.Event.id))
    assert len(refused) == 3 and "dispose refused" in refused[-1].summary


# --- the command line -------------------------------------------------------------------------

def _drp(db: Path, cfg: Path, who: str, *argv: str, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    status = main(["--db", str(db), "--config", str(cfg), "retention", *argv, "--as", who, "--password-stdin"])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_command_line_lists_holds_and_disposes(world: World, db_path: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    d = closed_dispute(world)
    cfg = tmp_path / "drp.toml"
    cfg.write_text('policy = "mosaic-iro"\n[retention]\nclosed_years = 6\n', encoding="utf-8")
    at(world, date(2032, 11, 23))
    close_database()
    monkeypatch.setattr(cli_dispute, "CLOCK", world.clock)

    def drp(who: str, *argv: str) -> tuple[int, str, str]:
        return _drp(db_path, cfg, who, *argv, capsys=capsys, monkeypatch=monkeypatch)

    status, out, err = drp("admin1", "list")
    assert status == 0, err
    assert out.startswith(f"{d.reference}  closed Mon 23 Nov 2026  due Tue 23 Nov 2032  due ") and "Sibling" not in out
    status, out, err = drp("chair1", "list")
    assert status == 2 and err.startswith("drp retention: Only an administrator or oversight")
    status, out, err = drp("over1", "hold", d.reference, "--reason", "Court order")
    assert status == 0 and "on legal hold" in out
    status, out, err = drp("admin1", "dispose", d.reference, "--reason", "Retention period ended")
    assert status == 2 and "on legal hold" in err
    assert drp("over1", "release", d.reference, "--reason", "Order lifted")[0] == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    status = main(["--db", str(db_path), "--config", str(cfg), "retention", "dispose", d.reference,
                   "--reason", "Retention period ended", "--as", "admin1", "--password-stdin", "--json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert status == 0 and data["ok"] and data["reference"] == d.reference and data["due_on"] == "2032-11-23"
    assert m.Disposal.select().where(m.Disposal.dispute == d.id).exists()
    assert m.Event.select().where(m.Event.kind == "disposed").count() == 1
    assert audit_check.verify() == []
    status, out, err = drp("admin1", "list")
    assert status == 0 and out.strip() == "nothing is due for disposal"


def test_disposal_on_postgresql(pg_url: str) -> None:
    """The same disposal on PostgreSQL: rows locked, content deleted, chain and rows verify."""
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import FrozenClock
    from drp_tui.store.db import open_database
    from tests.conftest import FROZEN_NOW
    from tests.factories import make_world

    open_database(pg_url)
    try:
        store_audit.create_key()
        world = make_world(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
        d = closed_dispute(world)
        admin = world.ctx(world.admin)
        at(world, date(2032, 11, 23))
        retention.hold(admin, d.reference, "Court order")
        with pytest.raises(DomainError, match="on legal hold"):
            retention.dispose(admin, SIX_YEARS, d.reference, "Retention period ended")
        retention.release(admin, d.reference, "Order lifted")
        done = retention.dispose(admin, SIX_YEARS, d.reference, "Retention period ended")
        assert done.deleted["stage_record"] == 1
        assert m.Dispute.get_by_id(d.id).concern == "" and m.Disposal.select().count() == 1
        problems, content = audit_check.check()
        assert problems == [] and content.problems == []
    finally:
        close_database()
