"""An audit trail a court can rely on: keyed chain, head file, row digests, reads recorded.

Each kind of tampering is done with sqlite3 (as someone who can write the file but not
read the key would), then ``drp audit verify`` and ``drp check`` must name it and fail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

import drp_tui.config as config_module
from drp_tui.cli import main
from drp_tui.services import access
from drp_tui.services import disputes as ds
from drp_tui.services.errors import PermissionDenied
from drp_tui.store import audit, audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from tests.factories import World


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DRP_CONFIG", raising=False)
    monkeypatch.setattr(config_module, "user_config_dir", lambda: tmp_path / "no-user-config")
    monkeypatch.setattr(config_module, "SITE_CONFIG", tmp_path / "no-site-config.toml")


@pytest.fixture
def built(world: World, db_path: Path) -> Path:
    """Through the real services: a dispute raised, edited, sent and answered; one read; closed."""
    ctx = world.ctx()
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
        concern="The care plan is out of date."))
    version = m.Dispute.get_by_id(did).version
    version = ds.update_draft(ctx, did, version, {"concern": "The care plan is two years out of date."})
    ds.send(ctx, did, version=version)
    stage = world.policy.starting_stages()[0].key
    responder = world.responder(stage)
    ds.record_response(world.ctx(responder), did, "We will review the plan within ten working days.",
                       [ds.ActionInput("Review the care plan", "Team manager", date(2026, 12, 4))])
    access.record_read(world.ctx(), "dispute", dispute_id=did)
    close_database()
    return db_path


def drp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = main(list(argv))
    close_database()
    out, err = capsys.readouterr()
    return status, out.splitlines() + err.splitlines()


def sql(path: Path, statement: str, *params: object) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute(statement, params)
    con.close()


def rows(path: Path, statement: str, *params: object) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(statement, params).fetchall()
    finally:
        con.close()


def last_id(path: Path) -> int:
    return int(rows(path, "SELECT max(id) FROM event")[0][0])


def both_name(capsys: pytest.CaptureFixture[str], path: Path, kind: str) -> list[str]:
    """``drp audit verify`` and ``drp check`` both fail and name ``kind``; the verify lines."""
    status, out = drp(capsys, "--db", str(path), "audit", "verify")
    assert status == 1, out
    assert any(f"{kind}:" in line for line in out), out
    status2, out2 = drp(capsys, "--db", str(path), "check")
    assert status2 == 1, out2
    assert any(line.startswith("PROBLEM") and f"{kind}:" in line for line in out2), out2
    return out


# ---------------------------------------------------------------- untouched


def test_the_untouched_database_passes_both(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    status, out = drp(capsys, "--db", str(built), "audit", "verify")
    assert status == 0, out
    assert out[0].startswith("OK: ") and "chain intact" in out[0]
    status, out = drp(capsys, "--db", str(built), "check")
    assert status == 0, out
    content = [line for line in out if " content:" in line]
    assert content and "rows match their last event" in content[0]


def test_key_and_head_files_are_private_and_outside_the_database(built: Path) -> None:
    key, head = Path(f"{built}.key"), Path(f"{built}.head")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(head.stat().st_mode) == 0o600
    lines = key.read_text().splitlines()
    assert lines[0] == "drp-audit-key 1"
    secret = next(line.split()[1] for line in lines if line.startswith("key "))
    assert len(secret) == 64
    assert secret not in built.read_bytes().decode("latin-1")
    assert json.loads(head.read_text())["event"] == last_id(built)


def test_events_carry_the_keyed_mac_not_a_plain_hash(built: Path) -> None:
    (prev, h, eid) = rows(built, "SELECT prev_hash, hash, id FROM event ORDER BY id LIMIT 1")[0]
    open_database(str(built))
    e = m.Event.get_by_id(eid)
    plain = audit.unkeyed_link(e.prev_hash, audit_check._row_fields(e))
    close_database()
    assert h != plain and len(str(h)) == 64


# ---------------------------------------------------------------- one test per kind


def test_edited(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    sql(built, "UPDATE event SET summary = 'nothing happened' WHERE id = 2")
    out = both_name(capsys, built, "edited")
    assert any(line.startswith("event 2: edited:") for line in out), out


def test_inserted(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    n = last_id(built)
    (h,) = rows(built, "SELECT hash FROM event WHERE id = ?", n)[0]
    fake = hashlib.sha256(b"forged").hexdigest()
    sql(built, "INSERT INTO event (id, at, actor_id, kind, summary, before, after, prev_hash, hash, row_digests)"
               " VALUES (?, '2026-11-23 10:00:00', NULL, 'note', 'agreed by phone', '', '', ?, ?, '')", n + 1, h, fake)
    out = both_name(capsys, built, "inserted")
    assert any(line.startswith(f"event {n + 1}: inserted:") for line in out), out


def test_deleted_in_the_middle(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    sql(built, "DELETE FROM event WHERE id = 3")
    out = both_name(capsys, built, "deleted")
    assert any(line.startswith("event 4: deleted:") and "3..3" in line for line in out), out


def test_reordered(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    sql(built, "UPDATE event SET id = -1 WHERE id = 2")
    sql(built, "UPDATE event SET id = 2 WHERE id = 3")
    sql(built, "UPDATE event SET id = 3 WHERE id = -1")
    out = both_name(capsys, built, "reordered")
    assert any(line.startswith("event 2: reordered:") for line in out), out


def test_truncated(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    n = last_id(built)
    sql(built, "DELETE FROM event WHERE id >= ?", n - 1)
    out = both_name(capsys, built, "truncated")
    assert any(f"events {n - 1}..{n}" in line for line in out), out


@pytest.mark.parametrize(("table", "statement"), [
    ("dispute", "UPDATE dispute SET concern = 'All fine.'"),
    ("stage_record", "UPDATE stage_record SET response = 'No action needed.' WHERE response != ''"),
    ("staff", "UPDATE staff SET role = 'admin' WHERE username = 'chair1'"),
])
def test_content_changed(capsys: pytest.CaptureFixture[str], built: Path, table: str, statement: str) -> None:
    sql(built, statement)
    out = both_name(capsys, built, "content changed")
    assert any(f"content changed: {table} id " in line and "(after event " in line for line in out), out


def test_a_covered_row_deleted_is_content_changed(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    sql(built, "PRAGMA foreign_keys = OFF")
    con = sqlite3.connect(built)
    with con:
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("DELETE FROM action")
    con.close()
    out = both_name(capsys, built, "content changed")
    assert any("content changed: action id" in line and "deleted" in line for line in out), out


def test_key_missing(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    Path(f"{built}.key").unlink()
    out = both_name(capsys, built, "key missing")
    assert any("drp audit rekey" in line for line in out), out


def test_head_file_removed_is_named(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    Path(f"{built}.head").unlink()
    both_name(capsys, built, "head missing")


# ---------------------------------------------------------------- rewriting without the key


def _rewrite_chain(path: Path, mac: object) -> None:
    """Recompute every event's link as an attacker without the key would, after an edit."""
    sql(path, "UPDATE event SET summary = 'nothing to see' WHERE id = 2")
    open_database(str(path))
    prev = ""
    updates = []
    for e in m.Event.select().order_by(m.Event.id):
        fields = audit_check._row_fields(e)
        msg = (prev + "\n" + audit._canonical(fields)).encode()
        h = mac(msg)  # type: ignore[operator]
        updates.append((prev, h, e.id))
        prev = h
    close_database()
    con = sqlite3.connect(path)
    with con:
        con.executemany("UPDATE event SET prev_hash = ?, hash = ? WHERE id = ?", updates)
    con.close()


@pytest.mark.parametrize("mac", [
    lambda msg: hashlib.sha256(msg).hexdigest(),
    lambda msg: hmac.new(b"drp", msg, hashlib.sha256).hexdigest(),
    lambda msg: hmac.new(b"", msg, hashlib.sha256).hexdigest(),
], ids=["plain-sha256", "guessed-key", "empty-key"])
def test_recomputing_the_whole_chain_without_the_key_is_detected(capsys: pytest.CaptureFixture[str],
                                                                 built: Path, mac: object) -> None:
    _rewrite_chain(built, mac)
    out = both_name(capsys, built, "edited")
    assert any("rewritten without" in line for line in out), out


def test_without_tampering_verify_names_nothing_per_kind(built: Path) -> None:
    open_database(str(built))
    try:
        assert audit_check.verify() == []
        assert audit_check.content_problems().problems == []
    finally:
        close_database()


# ---------------------------------------------------------------- head file


def test_the_head_only_moves_forward(built: Path) -> None:
    open_database(str(built))
    try:
        n = last_id(built)
        assert audit.write_head(event_id=1, h="0" * 64) is False  # behind: left alone
        head = audit.read_head()
        assert head is not None and head.valid and head.event_id == n
        assert audit.write_head(force=True)  # a restore may move it back to the chain's end
        assert audit.read_head() == head
    finally:
        close_database()


def test_a_forged_head_file_is_named(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    head = Path(f"{built}.head")
    data = json.loads(head.read_text())
    data["event"] = 1
    head.write_text(json.dumps(data))
    both_name(capsys, built, "head missing")


# ---------------------------------------------------------------- legacy databases


def test_a_database_without_a_key_is_reported_and_rekey_anchors_it(capsys: pytest.CaptureFixture[str],
                                                                   world: World, db_path: Path) -> None:
    """A database written before keys existed (events chained with plain SHA-256)."""
    built = db_path
    Path(f"{built}.key").unlink()
    Path(f"{built}.head").unlink()
    audit.configure(str(built))
    for text in ("The care plan is out of date.", "No life story work."):
        ds.raise_dispute(world.ctx(), ds.RaiseInput(
            child_ids=[world.child.id], category=world.policy.categories[0].key,
            start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20), concern=text))
    close_database()
    assert not Path(f"{built}.head").exists()
    both_name(capsys, built, "key missing")
    n = last_id(built)
    status, out = drp(capsys, "--db", str(built), "audit", "rekey")
    assert status == 0, out
    assert Path(f"{built}.key").exists() and Path(f"{built}.head").exists()
    assert rows(built, "SELECT kind FROM event WHERE id = ?", n + 1) == [("audit_key_created",)]
    status, out = drp(capsys, "--db", str(built), "check")
    assert status == 0, out
    # the events from before the key are anchored by the keyed one after them
    sql(built, "UPDATE event SET summary = 'rewritten' WHERE id = 1")
    both_name(capsys, built, "edited")


def test_rekey_never_replaces_a_key(capsys: pytest.CaptureFixture[str], built: Path) -> None:
    before = Path(f"{built}.key").read_bytes()
    status, out = drp(capsys, "--db", str(built), "audit", "rekey")
    assert status == 0 and "exists already" in out[0]
    assert Path(f"{built}.key").read_bytes() == before


def test_init_creates_the_key_and_head(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    status, out = drp(capsys, "--db", str(db), "init")
    assert status == 0, out
    assert f"audit key: {db}.key" in out and f"audit head: {db}.head" in out
    assert stat.S_IMODE(Path(f"{db}.key").stat().st_mode) == 0o600
    status, out = drp(capsys, "--db", str(db), "check")
    assert status == 0, out


def test_audit_key_path_from_the_config(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'db = "{tmp_path / "c.db"}"\naudit_key = "{keys / "drp.key"}"\n')
    status, out = drp(capsys, "--config", str(cfg), "init")
    assert status == 0, out
    assert (keys / "drp.key").exists() and (keys / "drp.head").exists()
    assert not Path(f"{tmp_path / 'c.db'}.key").exists()


# ---------------------------------------------------------------- backup and restore


def test_backup_is_recorded_and_restore_resets_the_head(capsys: pytest.CaptureFixture[str], built: Path,
                                                        tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    status, out = drp(capsys, "--db", str(built), "backup", str(copy))
    assert status == 0, out
    assert rows(built, "SELECT kind, actor_id FROM event ORDER BY id DESC LIMIT 1") == [("backup", None)]
    assert any("not in the backup" in line for line in out)
    status, _ = drp(capsys, "--db", str(built), "audit", "verify")
    assert status == 0
    # the head is now past the backup's chain: a restore resets it, and says so in the trail
    status, out = drp(capsys, "--db", str(built), "restore", str(copy), "--force")
    assert status == 0, out
    kinds = [r[0] for r in rows(built, "SELECT kind FROM event ORDER BY id")]
    assert kinds[-2:] == ["backup", "restore"]  # the backup holds the record of its own making
    assert json.loads(Path(f"{built}.head").read_text())["event"] == last_id(built)
    status, out = drp(capsys, "--db", str(built), "check")
    assert status == 0, out


# ---------------------------------------------------------------- reads


def test_a_read_is_one_event_with_ids_only(world: World, db_path: Path) -> None:
    ctx = world.ctx()
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
        concern="Contact arrangements are not being followed."))
    before = m.Event.select().count()
    eid = access.record_read(ctx, "dispute", dispute_id=did)
    assert m.Event.select().count() == before + 1
    e = m.Event.get_by_id(eid)
    d = m.Dispute.get_by_id(did)
    assert (e.kind, e.actor_id, e.dispute_id, e.child_id) == ("read", world.chair.id, did, world.child.id)
    assert d.reference in e.summary and world.child.name not in e.summary
    assert e.at == world.clock.now()
    assert audit.read_head() is not None and audit.read_head().event_id == eid  # type: ignore[union-attr]


def test_record_read_refuses_an_unknown_view_naming_the_field(world: World, db_path: Path) -> None:
    from drp_tui.services.errors import ValidationError

    before = m.Event.select().count()
    with pytest.raises(ValidationError) as err:
        access.record_read(world.ctx(), "everything")
    assert err.value.field == "view"
    assert m.Event.select().count() == before


def test_access_log_is_for_oversight_and_admin_only(world: World, db_path: Path) -> None:
    ctx = world.ctx()
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
        concern="School placement is not in the plan."))
    access.record_read(ctx, "dispute", dispute_id=did)
    access.record_read(world.ctx(world.oversight), "child history", child_id=world.child.id)
    access.record_read(ctx, "children list")  # not about this child
    log = access.access_log(world.ctx(world.oversight), world.child.id)
    assert [(a.staff_id, a.dispute_id) for a in log] == [(world.chair.id, did), (world.oversight.id, None)]
    assert all(a.at == world.clock.now() for a in log)
    assert len(access.access_log(world.ctx(world.admin), world.child.id)) == 2
    with pytest.raises(PermissionDenied):
        access.access_log(ctx, world.child.id)
    assert m.Event.select().order_by(m.Event.id.desc()).first().kind == "refused"


def test_drp_audit_access_lists_who_and_when(capsys: pytest.CaptureFixture[str], world: World,
                                            db_path: Path) -> None:
    ctx = world.ctx()
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
        concern="Health assessment overdue."))
    access.record_read(ctx, "dispute", dispute_id=did)
    case, name = world.child.case_number, world.child.name
    close_database()
    status, out = drp(capsys, "--db", str(db_path), "audit", "access", case)
    assert status == 0, out
    assert out[0].endswith("1 access(es)")
    assert f"staff {world.chair.id} (chair1)" in out[1] and "Opened dispute" in out[1]
    assert not any(name in line for line in out)
    status, out = drp(capsys, "--db", str(db_path), "audit", "access", "NO-SUCH-CASE")
    assert status == 1


def test_reads_cost_one_insert(world: World, db_path: Path) -> None:
    """Measured: a read appends exactly one row and touches no other table."""
    counts = {t: t.select().count() for t in m.ALL_MODELS}
    access.record_read(world.ctx(), "children list")
    after = {t: t.select().count() for t in m.ALL_MODELS}
    assert {t._meta.table_name: after[t] - counts[t] for t in m.ALL_MODELS if after[t] != counts[t]} == {"event": 1}


def test_the_demo_build_is_covered_and_passes(tmp_path: Path) -> None:
    """Everything the services write gets its digest: a fresh demo checks clean."""
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.services.demo import build_demo
    from tests.conftest import FROZEN_NOW

    path = tmp_path / "demo.db"
    open_database(str(path))
    try:
        audit.create_key()
        build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FROZEN_NOW)
        assert audit_check.verify() == []
        rep = audit_check.content_problems()
        assert rep.problems == [], [p.line() for p in rep.problems[:5]]
        assert rep.covered > 0
    finally:
        close_database()
    assert os.path.exists(f"{path}.head")
