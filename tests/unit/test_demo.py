"""Demo data: ``build_demo`` relative to "now", ``drp demo --seed-only`` and ``drp init``.

Each build goes through the real services, so a build is a few seconds: every
test below builds once and checks everything about that build.
"""

from __future__ import annotations

import stat
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

import drp_tui.config as config_module
from drp_tui.cli import main
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import state_at
from drp_tui.domain.model import DueState, Status
from drp_tui.domain.policy import CafcassRule, Policy
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import LONDON, london_date
from drp_tui.services import audit
from drp_tui.services.demo import DemoSummary, build_demo
from drp_tui.store import audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from drp_tui.store.queries import CaseloadQuery, caseload_page
from tests.conftest import FROZEN_NOW

CAL = WorkingCalendar("ENG")
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=LONDON)
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=LONDON)  # a bank holiday (a Friday)


@pytest.fixture
def fresh_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "demo.db"
    open_database(str(path))
    audit.create_key()  # as drp demo does
    yield path
    close_database()


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(config_module, "user_config_dir", lambda: tmp_path / "no-user-config")
    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "no-site-config.toml")


def row_states(policy: Policy, now: datetime) -> list[tuple[DueState, str, Status]]:
    """Every caseload row coloured as the Desk colours it (``Desk.row_state``)."""
    out = []
    for row in caseload_page(CaseloadQuery(view="all"), 0, 1000):
        if row.next_due_at is None:
            st = DueState.DONE if not row.status.is_open else DueState.NONE
        else:
            st = state_at(row.next_due_at, now, CAL, policy.rules.due_soon_working_days, paused=row.paused)
        out.append((st, row.next_due_kind, row.status))
    return out


def expected_statuses(policy: Policy) -> set[Status]:
    want = {Status.DRAFT, Status.SENT, Status.RESPONDED, Status.RESOLVED, Status.WITHDRAWN}
    if policy.rules.negotiation_window.is_set:
        want.add(Status.NEGOTIATING)
    if policy.rules.cafcass is not CafcassRule.NOT_APPLICABLE and policy.rules.cafcass_ends_dispute:
        want.add(Status.CAFCASS)
    return want


def check_demo(policy: Policy, now: datetime, summary: DemoSummary) -> list[tuple[DueState, str, Status]]:
    # an invented authority: a team and its management chain, ~10+ staff, 40 children with sibling groups
    assert summary.staff == m.Staff.select().count() >= 10
    assert summary.children == m.Child.select().count() == 40
    groups = Counter(c.sibling_group_id for c in m.Child.select() if c.sibling_group_id is not None)
    assert len(groups) >= 3 and all(n >= 2 for n in groups.values())
    assert {tr.level for tr in m.TeamRole.select()} == {lv.key for lv in policy.levels}
    # about 25 disputes, every status the procedure can reach
    assert summary.disputes == m.Dispute.select().count()
    assert 20 <= summary.disputes <= 30
    by_status = Counter(d.status for d in m.Dispute.select())
    assert dict(by_status) == summary.by_status
    assert {Status(s) for s in by_status} == expected_statuses(policy)
    assert {d.policy_key for d in m.Dispute.select()} == {policy.key}
    # sibling disputes raised together, an escalation to the last stage, approvals where required
    links = Counter(d.link_group for d in m.Dispute.select() if d.link_group)
    assert links and max(links.values()) >= 2
    assert m.Dispute.select().where(m.Dispute.current_stage == policy.stages[-1].key).exists()
    needs = [s.key for s in policy.stages if s.requires_approval]
    for rec in m.StageRecord.select().where(m.StageRecord.stage_key.in_(needs) & m.StageRecord.sent_at.is_null(False)):
        assert rec.approval_by_id is not None  # never sent without the agreement the procedure asks for
    if policy.rules.extensions_allowed:
        assert m.StageRecord.select().where(m.StageRecord.extension_until.is_null(False)).exists()
    if policy.rules.monitoring_meeting.is_set:
        assert m.MonitoringMeeting.select().count() == by_status[Status.RESOLVED.value]
    if policy.rules.compliments:
        assert m.Compliment.select().count() >= 1
    # nothing happens in the future, and the history is a valid chain
    assert all(e.at <= now for e in m.Event.select())
    assert audit_check.verify() == []
    # relative to now: some overdue and some due today
    rows = row_states(policy, now)
    states = Counter(st for st, _, _ in rows)
    assert states[DueState.OVERDUE] >= 1 and states[DueState.DUE_TODAY] >= 1, states
    return rows


@pytest.mark.parametrize("key", ["mosaic-iro", "mosaic-cpc", "durham-rp", "tower-hamlets-alerts", "knowsley-dr"])
def test_demo_builds_for_every_profile_at_frozen_now(fresh_db: Path, key: str) -> None:
    policy = load_builtin(key)
    summary = build_demo(policy, CAL, FROZEN_NOW)
    rows = check_demo(policy, FROZEN_NOW, summary)
    # on a working day a response can be due today too
    assert any(st is DueState.DUE_TODAY and kind == "response" for st, kind, _ in rows)
    assert summary.chair_username == "cpatel"
    if policy.rules.extensions_allowed:
        assert any(st is DueState.PAUSED for st, _, _ in rows)


@pytest.mark.parametrize(("key", "now"), [("mosaic-iro", SATURDAY), ("knowsley-dr", CHRISTMAS)],
                         ids=["saturday-mosaic-iro", "christmas-knowsley-dr"])
def test_demo_on_a_day_that_is_not_a_working_day(fresh_db: Path, key: str, now: datetime) -> None:
    """Working-day responses are never due on a weekend or bank holiday: the "due today"
    rows are then an action due today, or a further-negotiation window (hours)."""
    assert not CAL.is_working_day(london_date(now))
    policy = load_builtin(key)
    rows = check_demo(policy, now, build_demo(policy, CAL, now))
    due_today = {kind for st, kind, _ in rows if st is DueState.DUE_TODAY}
    assert due_today and due_today <= {"action", "negotiation"}, due_today
    assert "action" in due_today
    if policy.rules.negotiation_window.is_set:
        assert "negotiation" in due_today
    # no response falls due today, and every stored response due day is a working day
    assert all(CAL.is_working_day(r.due_date) for r in m.StageRecord.select() if r.due_date)


def test_cli_demo_seed_only_writes_the_file_and_prints_a_summary(
        tmp_path: Path, no_config: None, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "sub" / "demo.db"
    assert main(["demo", "--seed-only", str(target), "--policy", "knowsley-dr"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"demo database: {target}"
    assert out[1].startswith("policy: knowsley-dr; ") and "40 children" in out[1] and "disputes" in out[1]
    assert out[2].startswith("by status: ") and "resolved" in out[2] and "cafcass" not in out[2]  # 004:28 the referral runs alongside
    assert "password" in out[3] and "'cpatel'" in out[3]
    assert target.exists() and stat.S_IMODE(target.stat().st_mode) & 0o077 == 0  # not readable by others
    # only the database was written: the desk was not opened, the database is closed
    assert m.database.obj.is_closed()
    open_database(str(target))
    try:
        assert m.Child.select().count() == 40 and 20 <= m.Dispute.select().count() <= 30
    finally:
        close_database()


def test_cli_demo_makes_its_own_audit_key_and_checks_clean(
        tmp_path: Path, no_config: None, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo.db"
    assert main(["demo", "--seed-only", str(target)]) == 0
    key, head = Path(f"{target}.key"), Path(f"{target}.head")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and head.exists()
    first = key.read_bytes()
    capsys.readouterr()
    assert main(["--db", str(target), "check"]) == 0, capsys.readouterr().out
    close_database()
    # a fresh demo replaces its own key with the database (never anybody else's)
    assert main(["demo", "--seed-only", str(target)]) == 0
    assert key.read_bytes() != first
    assert main(["--db", str(target), "audit", "verify"]) == 0
    close_database()


def test_cli_init_on_a_new_path(tmp_path: Path, no_config: None, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "drp.db"
    try:
        assert main(["--db", str(target), "init"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == f"database: {target}"
        assert any(line.strip().startswith("applied") for line in out[1:])
        assert not any(line.strip().startswith("pending") for line in out[1:])
        assert out[-1].startswith("policy in force: mosaic-iro")
        assert target.exists() and stat.S_IMODE(target.stat().st_mode) & 0o077 == 0
        assert m.Dispute.select().count() == 0 and m.Staff.select().count() == 0
        # running it again changes nothing
        assert main(["--db", str(target), "init"]) == 0
        assert capsys.readouterr().out.splitlines() == out
    finally:
        close_database()
