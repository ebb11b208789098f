"""Local closure days kept in the database: set without SQL, audited, and counted as non-working days
from then on (the config file's count too)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from drp_tui.bootstrap import load_setup
from drp_tui.cli import build_parser, main
from drp_tui.cli import users as cli_users
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import accounts, admin, closures
from drp_tui.services.errors import NotFound, PermissionDenied, ValidationError
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database
from tests.conftest import FROZEN_NOW


@pytest.fixture
def ctx(db_path: Path) -> InstallationAdmin:
    return InstallationAdmin(None, load_builtin("mosaic-iro"), WorkingCalendar("ENG"),  # type: ignore[arg-type]
                             FrozenClock(FROZEN_NOW), os_user="opsadmin")


def test_add_list_remove_audited_and_refusals_name_the_field(ctx: InstallationAdmin) -> None:
    assert closures.add_closure(ctx, "29/12/2026", "Offices closed") == date(2026, 12, 29)
    row = m.ClosureDay.get(m.ClosureDay.day == date(2026, 12, 29))
    assert row.reason == "Offices closed" and row.added_by_id is None
    kinds = [e.kind for e in m.Event.select().order_by(m.Event.id)]
    assert kinds[-1] == "closure_added"
    for day, reason, field, text in (
            ("29/12/2026", "again", "day", "already a closure day"),
            ("26/12/2026", "Boxing", "day", "not a working day already (Saturday"),
            ("25/12/2026", "Xmas", "day", "not a working day already (Christmas Day)"),
            ("31/02/2027", "x", "day", "day:"),
            ("30/12/2026", "", "reason", "reason"),
            ("", "x", "day", "give the day")):
        with pytest.raises(ValidationError) as got:
            closures.add_closure(ctx, day, reason)
        assert got.value.field == field and text in got.value.message, (day, got.value.message)
    listed = closures.list_closures(ctx, (date(2027, 1, 4),))
    assert [(c.day, c.reason, c.added_by, c.from_config) for c in listed] == [
        (date(2026, 12, 29), "Offices closed", "the command line", False),
        (date(2027, 1, 4), "", "the config file", True)]
    cal = closures.calendar_with_closures("ENG", (date(2027, 1, 4),))
    assert not cal.is_working_day(date(2026, 12, 29)) and not cal.is_working_day(date(2027, 1, 4))
    assert cal.why_not_working(date(2026, 12, 29)) == "Local closure: Offices closed"
    # Mon 28 Dec is a bank holiday (Boxing Day substitute); with Tue 29 closed, 1 working day from Thu 24 Dec is Wed 30.
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 30)
    closures.remove_closure(ctx, "29/12/2026")
    assert not m.ClosureDay.select().exists()
    with pytest.raises(NotFound):
        closures.remove_closure(ctx, "29/12/2026")
    assert audit_check.verify() == []


def test_only_an_administrator_sets_them(ctx: InstallationAdmin) -> None:
    accounts.add_team(ctx, "IRO Service", "iro_service")
    chair_id = accounts.add_user(ctx, "cpatel", "Chloe Patel", "chair", "Sturdy-Password-42", team="IRO Service")
    from drp_tui.services.context import Ctx
    chair = Ctx(chair_id, ctx.policy, ctx.calendar, ctx.clock)
    with pytest.raises(PermissionDenied):
        closures.add_closure(chair, "29/12/2026", "Closed")
    with pytest.raises(PermissionDenied):
        admin.children(chair)
    assert not m.ClosureDay.select().exists()


def test_the_command_line_and_new_sessions_take_them(ctx: InstallationAdmin, db_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli_users, "current_os_login", lambda: "opsadmin")
    cfg = db_path.parent / "drp.toml"
    cfg.write_text('policy = "mosaic-iro"\nnation = "ENG"\nclosures = [2027-01-04]\n', encoding="utf-8")
    base = ["--db", str(db_path), "--config", str(cfg)]
    assert main([*base, "closure", "add", "2026-12-29", "--reason", "Offices closed"]) == 0
    assert "closure day Tue 29 Dec 2026 added" in capsys.readouterr().out
    assert main([*base, "closure", "list"]) == 0
    out = capsys.readouterr().out
    assert "Tue 29 Dec 2026: Offices closed (added by the command line)" in out
    assert "Mon 4 Jan 2027 (added by the config file)" in out
    assert main([*base, "closure", "add", "25/12/2026", "--reason", "x"]) == 2
    assert "not a working day already (Christmas Day)" in capsys.readouterr().err
    close_database()
    setup = load_setup(build_parser().parse_args([*base, "check"]))
    assert not setup.calendar.is_working_day(date(2026, 12, 29))  # a new session counts it
    assert not setup.calendar.is_working_day(date(2027, 1, 4))
    close_database()
    assert main([*base, "closure", "remove", "29/12/2026"]) == 0
