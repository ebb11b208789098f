"""Disputes keep their procedure.

The installation's profile is a TOML file in the test's folder (a copy of a built-in
whose every stage may start, so a dispute can be open and sent at each stage). With a
dispute open at every stage, the file is then edited the ways an administrator might:
a timescale changed, a stage renamed, a stage removed, the profile's key changed.
Nothing may crash (services incl. withdraw, reports, caseload, the desk, ``drp check``),
every old dispute keeps its rules and due dates, and ``drp policies upgrade`` moves
or refuses as it says. Last, a database written before pinning (at 0006) is pinned
at its first open.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from drp_tui.bootstrap import Setup, pin_old_disputes
from drp_tui.cli import main
from drp_tui.config import Config
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import deadlines
from drp_tui.domain.model import Status
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import load_builtin, load_policy, policy_from_dict, policy_from_text
from drp_tui.domain.timeutil import LONDON, FrozenClock
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes, pinning, reads, reports
from drp_tui.services.context import Ctx
from drp_tui.services.errors import DomainError
from drp_tui.services.permissions import InstallationAdmin
from drp_tui.store import audit
from drp_tui.store import backup as bk
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database, run_migrations
from drp_tui.store.models import database
from drp_tui.store.queries import CaseloadQuery
from drp_tui.store.queries_dispute import get_dispute
from tests.factories import World, make_world

BASE = load_builtin("knowsley-dr").text  # every stage may start; a cap on stages 2-4
V = load_builtin("knowsley-dr").version  # the built-in's version now (an edit with a new number: V + 1)
STAGES = ["stage_1", "stage_2", "stage_3", "stage_4"]
ARISE = date(2026, 11, 20)


def _sub(text: str, pattern: str, new: str) -> str:
    out, n = re.subn(pattern, new, text, count=1, flags=re.M)
    assert n == 1, pattern
    return out


def _bump(text: str) -> str:
    """The next version number, whatever the built-in's is now."""
    out, n = re.subn(r"^version = ([0-9]+)\b", lambda mt: f"version = {int(mt.group(1)) + 1}", text, count=1,
                     flags=re.M)
    assert n == 1
    return out


def edit_timescale(text: str) -> str:  # edited in place, no new version number
    return _sub(text, r'^timescale = \{ working_days = 5 \}(\s+# 004:38)', r"timescale = { working_days = 10 }\1")


def rename_stage(text: str) -> str:  # stage_3's key and stage_2's label
    text = _sub(text, r'^key = "stage_3"', 'key = "stage_3_ad"')
    return _bump(_sub(text, r'^label = "Dispute Resolution"(\s+# 004:38)', r'label = "Dispute Meeting"\1'))


def remove_stage(text: str) -> str:
    start = text.index('[[stages]]\nkey = "stage_3"')
    end = text.index("[[stages]]", start + 1)
    return _bump(text[:start] + text[end:])


def change_key(text: str) -> str:
    return _bump(_sub(text, r'^key = "knowsley-dr"', 'key = "local-dr"'))


EDITS = {"timescale": edit_timescale, "rename": rename_stage, "remove": remove_stage, "key": change_key}
GONE = {"rename": "stage_3", "remove": "stage_3"}  # the stage the edit takes away


@dataclass
class Desk:
    w: World
    path: Path  # the installation's profile file
    db: Path
    config: Path
    ids: dict[str, int]  # stage key -> dispute open (sent) at it
    draft: int  # a dispute raised at stage_1, not sent
    clocks: dict[int, list[tuple[str, object]]]  # what each dispute's clocks said before the edit

    def edit(self, how: str) -> Policy:
        self.path.write_text(EDITS[how](BASE), encoding="utf-8")
        return load_policy(self.path)


def clock_list(view: Any, policy: Policy, w: World) -> list[tuple[str, object]]:
    return [(x.kind, x.due) for x in deadlines(view, policy, w.calendar, w.clock.now())]


def raise_at(w: World, stage: str) -> int:
    (did,) = ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[w.child.id], category=w.policy.categories[0].key, start_stage=stage,  # type: ignore[union-attr]
        issue_arose=ARISE, concern="Contact agreed at the review has not happened."))
    return did


@pytest.fixture
def desk(db_path: Path, clock: FrozenClock, calendar: WorkingCalendar, tmp_path: Path) -> Iterator[Desk]:
    path = tmp_path / "profile.toml"
    path.write_text(BASE, encoding="utf-8")
    config = tmp_path / "drp.toml"
    config.write_text(f'db = "{db_path}"\npolicy = "{path}"\n', encoding="utf-8")
    w = make_world(load_policy(path), calendar, clock)
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=LONDON))
    ids = {}
    for key in STAGES:
        ids[key] = raise_at(w, key)
        ds.send(w.ctx(), ids[key])
    draft = raise_at(w, "stage_1")
    clocks = {did: clock_list(get_dispute(did), w.policy, w) for did in [*ids.values(), draft]}
    yield Desk(w, path, db_path, config, ids, draft, clocks)


def test_a_raised_dispute_is_pinned_to_the_content_in_force(desk: Desk) -> None:
    p = desk.w.policy
    for did in [*desk.ids.values(), desk.draft]:
        assert get_dispute(did).policy_digest == p.digest
    snap = m.PolicySnapshot.get(m.PolicySnapshot.digest == p.digest)
    assert (snap.key, snap.version, snap.content) == ("knowsley-dr", V, BASE)
    assert m.PolicySnapshot.select().count() == 1  # five disputes, one content


def test_content_round_trips_through_the_snapshot() -> None:
    p = replace(load_builtin("mosaic-iro"), path="x")
    assert policy_from_text(p.text, "x") == p
    built = policy_from_dict(tomllib.loads(p.text), "x")  # no text given: canonical JSON
    again = policy_from_text(built.text, "x")
    assert again == p and again.digest == built.digest != p.digest


@pytest.mark.parametrize("how", sorted(EDITS))
def test_old_disputes_keep_their_rules_after_the_profile_changes(desk: Desk, how: str) -> None:
    w, old = desk.w, desk.w.policy
    new = desk.edit(how)
    assert new.digest != old.digest
    w2 = replace(w, policy=new)  # every session from now on runs under the edited file
    ctx = w2.ctx()
    for did in [*desk.ids.values(), desk.draft]:
        view = get_dispute(did)
        pinned = ctx.policy_of(view)
        assert pinned.digest == old.digest and pinned.stage("stage_3").label == old.stage("stage_3").label
        assert clock_list(view, pinned, w) == desk.clocks[did], how  # due dates unchanged

    # the caseload labels each row by its own procedure
    rows = reads.caseload_page(ctx, CaseloadQuery(view="mine", staff_id=w.chair.id), 0, 50,
                               {s.key: s.label for s in new.stages})
    assert {r.id: r.stage_label for r in rows} == {
        did: old.stage(get_dispute(did).current_stage).label for did in [*desk.ids.values(), desk.draft]}

    # reports: the supervision list labels stages by each dispute's procedure
    rep = reports.report_for(w2.ctx(w.oversight))
    assert {o.dispute_id: o.stage_label for o in rep.outstanding} == {r.id: r.stage_label for r in rows}
    assert sum(c.count for c in rep.by_stage) == len(rows)

    # every action still works under the old rules, at the stage the edit changed or removed too
    s3 = desk.ids["stage_3"]
    ds.record_response(w.ctx(w.responder("stage_3")), s3, "We will meet the family this week.")
    outcomes.decide(ctx, s3, False, "Still not happening.")
    outcomes.escalate(ctx, s3, "stage_4")
    ds.send(ctx, s3)
    # stage_4 under the pinned profile: 5 working days from Mon 23 Nov
    assert get_dispute(s3).current.due_date == date(2026, 11, 30)  # type: ignore[union-attr]
    s2 = desk.ids["stage_2"]
    ds.record_response(w.ctx(w.responder("stage_2")), s2, "Agreed.")
    outcomes.decide(ctx, s2, True, "Resolved at the meeting.")
    ds.send(ctx, desk.draft)  # the draft: sent under its pinned timescale
    assert get_dispute(desk.draft).current.due_date == date(2026, 11, 30)  # type: ignore[union-attr]
    for key in ("stage_1", "stage_4"):
        outcomes.withdraw(ctx, desk.ids[key], "No longer needed.")
        assert get_dispute(desk.ids[key]).status is Status.WITHDRAWN

    # a dispute raised now runs under the edited profile
    fresh = raise_at(w2, "stage_2")
    ds.send(ctx, fresh)
    view = get_dispute(fresh)
    assert view.policy_digest == new.digest and view.policy_key == new.key
    expected = date(2026, 12, 7) if how == "timescale" else date(2026, 11, 30)  # 10 or 5 working days
    assert view.current.due_date == expected  # type: ignore[union-attr]
    assert m.PolicySnapshot.select().count() == 2
    assert bk.ok(bk.audit_lines(database.obj))  # every row the pins wrote is covered by the audit trail


def _upgrade(desk: Desk, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    close_database()
    try:
        code = main(["--config", str(desk.config), "policies", "upgrade", "--json", *extra])
    finally:
        open_database(str(desk.db))
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("how", sorted(EDITS))
def test_upgrade_moves_or_refuses(desk: Desk, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    old = desk.w.policy
    new = desk.edit(how)
    gone = GONE.get(how)
    before_events = m.Event.select().count()

    code, dry = _upgrade(desk, "--dry-run", capsys=capsys)
    assert code == (1 if gone else 0)
    assert m.Event.select().count() == before_events  # a dry run changes nothing
    assert all(get_dispute(d).policy_digest == old.digest for d in desk.ids.values())
    would = {x["reference"]: x for x in dry["would_move"]}
    refused = {x["reference"]: x for x in dry["refused"]}
    ref = {key: get_dispute(did).reference for key, did in desk.ids.items()}
    if gone:
        assert set(refused) == {ref["stage_3"]}
        assert "current stage 'stage_3' does not exist" in refused[ref["stage_3"]]["reason"]
    else:
        assert refused == {}
    assert len(would) == 5 - len(refused)  # four sent, one draft

    changes = "\n".join(would[ref["stage_2"]]["changes"])
    if how == "timescale":
        assert "stage stage_2: timescale 5 working days -> 10 working days" in changes
        assert "content edited without a new version number" in changes
    elif how == "rename":
        assert "stage stage_2: label Dispute Resolution -> Dispute Meeting" in changes
        assert "stage stage_3: removed" in changes and "stage stage_3_ad: new stage" in changes
    elif how == "remove":
        assert "stage stage_3: removed" in changes
    else:
        assert f"profile: knowsley-dr v{V} -> local-dr v{V + 1}" in changes

    code, done = _upgrade(desk, capsys=capsys)
    assert code == (1 if gone else 0)
    moved = {x["reference"] for x in done["moved"]}
    assert moved == set(would)
    events = list(m.Event.select().where((m.Event.id > 0) & (m.Event.kind == "procedure upgraded")))
    assert sorted(e.dispute.reference for e in events) == sorted(moved)  # one event per dispute moved
    for key, did in desk.ids.items():
        view = get_dispute(did)
        if view.reference in moved:
            assert (view.policy_digest, view.policy_key, view.policy_version) == (new.digest, new.key, new.version)
        else:
            assert view.policy_digest == old.digest and key == gone
    assert bk.ok(bk.audit_lines(database.obj))

    code, again = _upgrade(desk, capsys=capsys)  # nothing left but the refused
    assert again["moved"] == [] and len(again["refused"]) == len(refused)


def test_upgrade_prints_a_readable_plan(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    desk.edit("remove")
    refs = {key: get_dispute(did).reference for key, did in desk.ids.items()}
    close_database()
    try:
        code = main(["--config", str(desk.config), "policies", "upgrade", "--dry-run"])
    finally:
        open_database(str(desk.db))
    out = capsys.readouterr().out
    assert code == 1
    assert f"REFUSED  {refs['stage_3']}  from knowsley-dr v{V}: its current stage 'stage_3' does not exist" in out
    assert f"would move  {refs['stage_2']}  from knowsley-dr v{V}\n    profile: knowsley-dr v{V} -> knowsley-dr v{V + 1}" in out
    assert "4 would move, 1 refused (nothing changed: --dry-run)" in out
    assert all(get_dispute(d).policy_version == V for d in desk.ids.values())


def test_upgrade_refuses_one_dispute_by_itself_and_changes_nothing(desk: Desk) -> None:
    new = desk.edit("remove")
    ctx = InstallationAdmin(None, new, desk.w.calendar, desk.w.clock, os_user="ops")  # type: ignore[arg-type]
    ref = get_dispute(desk.ids["stage_3"]).reference
    with pytest.raises(DomainError, match="stage_3"):
        pinning.upgrade_dispute(ctx, ref)
    assert get_dispute(desk.ids["stage_3"]).policy_digest == desk.w.policy.digest
    move = pinning.upgrade_dispute(ctx, get_dispute(desk.ids["stage_4"]).reference)
    assert move.from_version == V
    ev = m.Event.select().where(m.Event.kind == "procedure upgraded").get()
    assert "OS user 'ops'" in ev.summary and ev.actor_id is None
    assert json.loads(ev.after)["policy_digest"] == new.digest


def test_a_history_stage_the_cap_counts_from_must_still_exist(desk: Desk) -> None:
    w = desk.w
    s3 = desk.ids["stage_3"]
    ds.record_response(w.ctx(w.responder("stage_3")), s3, "Noted.")
    outcomes.decide(w.ctx(), s3, False, "Not resolved.")
    outcomes.escalate(w.ctx(), s3, "stage_4")
    new = desk.edit("remove")
    ctx = InstallationAdmin(None, new, w.calendar, w.clock, os_user="ops")  # type: ignore[arg-type]
    plan = {mv.dispute_id: mv for mv in pinning.plan_upgrade(ctx)}
    assert "stage(s) of its history 'stage_3'" in plan[s3].refused
    assert plan[desk.ids["stage_4"]].refused == ""


@pytest.mark.parametrize("how", sorted(EDITS))
def test_drp_check_reports_older_versions_without_failing(desk: Desk, how: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    desk.edit(how)
    close_database()
    try:
        code = main(["--config", str(desk.config), "check"])
        out = capsys.readouterr().out
        assert main(["--config", str(desk.config), "due", "2026-11-23", "5"]) == 0
        assert capsys.readouterr().out.strip() == "2026-11-30"
    finally:
        open_database(str(desk.db))
    assert code == 0, out
    assert f"5 open dispute(s) on older profile versions (knowsley-dr v{V}: 5); they keep those rules: " \
           "run drp policies upgrade" in out
    assert "0 open dispute(s) on the current profile" in out


def test_drp_check_fails_on_an_altered_snapshot(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    m.PolicySnapshot.update(content=BASE.replace("working_days = 5", "working_days = 50")).execute()
    close_database()
    try:
        code = main(["--config", str(desk.config), "check"])
    finally:
        open_database(str(desk.db))
    out = capsys.readouterr().out
    assert code == 1 and "content no longer matches its digest" in out


@pytest.mark.parametrize("how", ["rename", "key"])
def test_the_desk_opens_the_caseload_and_a_dispute_at_a_changed_stage(desk: Desk, how: str) -> None:
    from tests.ui.desk_helpers import column, settle
    from drp_tui.ui.app import DrpApp
    from drp_tui.ui.screens.dispute import DisputeScreen

    new = desk.edit(how)
    setup = Setup(Config(db=str(desk.db), policy=str(desk.path), home="caseload"), str(desk.db), new, desk.w.calendar)
    app = DrpApp(setup, policy=new, sign_in_as="chair1", clock=desk.w.clock)
    old = desk.w.policy

    async def body() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            stages = column(app, "stage")  # narrow: "Dispute Res…"
            pinned = [old.stage(get_dispute(did).current_stage) for did in (*desk.ids.values(), desk.draft)]
            labels = [st.label for st in pinned]
            shorts = {st.short_label for st in pinned if st.short_label}  # the pinned profile's own short labels
            assert len(stages) == len(labels) and "stage_3" not in stages
            for cell in stages:
                assert cell in shorts or any(label.startswith(cell.rstrip("…")) for label in labels), cell
            assert not any(cell.startswith("Dispute Mee") for cell in stages)  # not the renamed label
            app.push_screen(DisputeScreen(desk.ids["stage_3"]))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, DisputeScreen)
            from textual.widgets import Static
            text = "\n".join(str(s.render()) for s in screen.query(Static))
            assert old.stage("stage_3").label in text
            assert app.crash_message is None

    asyncio.run(body())


# --- a database written before pinning ------------------------------------------------

def test_from_0006_old_disputes_are_pinned_at_first_open(tmp_path: Path) -> None:
    from tests.unit.test_migrations import EVENTS_0001, ROWS_0001

    path = tmp_path / "old.db"
    db = open_database(str(path), migrate=False)
    run_migrations(db, "0001_initial")
    for sql in ROWS_0001 + [EVENTS_0001]:
        db.execute_sql(sql)
    assert run_migrations(db, "0006_drafts")[-1] == "0006_drafts"  # a database as the last release left it
    # a second dispute under a key no profile has any more, a third under the installation's own key
    for i, key in ((2, "gone-profile"), (3, "local-iro")):
        db.execute_sql(ROWS_0001[5].replace("(1, 'DRP-2025-0001'", f"({i}, 'DRP-2025-000{i}'")
                       .replace("'mosaic-iro', 1", f"'{key}', 1"))
    close_database()
    try:
        open_database(str(path))  # migrates to 0007: nothing pinned yet (no profile known here)
        con = sqlite3.connect(path)
        assert con.execute("SELECT id, policy_digest FROM dispute ORDER BY id").fetchall() == [
            (1, ""), (2, ""), (3, "")]
        con.close()
        # a row digests as the previous version digested it (its models had no policy_digest, nor facts: 0013)
        fields = audit._covered_fields(m.Dispute)
        values = m.Dispute.select(*fields).where(m.Dispute.id == 1).tuples().first()
        data = {f.column_name: v for f, v in zip(fields, values, strict=True)
                if f.column_name not in ("policy_digest", "facts")}
        assert audit.row_digest(m.Dispute, 1) == hashlib.sha256(audit._canonical(data).encode()).hexdigest()

        local = load_policy_text(tmp_path, load_builtin("mosaic-iro").text.replace(
            'key = "mosaic-iro"', 'key = "local-iro"', 1))
        assert pin_old_disputes(local, WorkingCalendar("ENG")) == 2
        rows = {d.id: d for d in m.Dispute.select()}
        assert rows[1].policy_digest == load_builtin("mosaic-iro").digest  # not the installation's: the built-in
        assert rows[3].policy_digest == local.digest  # its key is the installation's
        assert rows[2].policy_digest == ""  # no profile of that key: left, and reported
        assert [e.dispute_id for e in m.Event.select().where(m.Event.kind == "pinned")] == [1, 3]
        assert {s.digest for s in m.PolicySnapshot.select()} == {local.digest, load_builtin("mosaic-iro").digest}
        assert pin_old_disputes(local, WorkingCalendar("ENG")) == 0  # once only
        ctx = Ctx(1, local, WorkingCalendar("ENG"), FrozenClock(datetime(2026, 11, 23, 10, tzinfo=LONDON)))
        assert ctx.policy_of(get_dispute(1)).key == "mosaic-iro"
        rep = pinning.pin_report(local)
        assert rep.unpinned == 1 and rep.unpinnable == (("gone-profile", 1),)
        assert ctx.policy_of(get_dispute(2)) is local  # its profile is gone: the one in force, no crash
    finally:
        close_database()


def load_policy_text(folder: Path, text: str) -> Policy:
    p = folder / "local.toml"
    p.write_text(text, encoding="utf-8")
    return load_policy(p)
