"""Schema migrations (peewee's Runner): empty -> head, previous -> head with data, head == models."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from drp_tui.store import backup as bk
from drp_tui.store.db import close_database, open_database, run_migrations, schema_status
from drp_tui.store.models import ALL_MODELS

ROOT = Path(__file__).resolve().parents[2]
HEAD = ["0001_initial", "0002_accounts_audit_drafts", "0003_auth", "0004_audit", "0006_drafts",
        "0007_pinned", "0008_imports", "0009_responders", "0010_approvals", "0011_steps", "0012_stage_started",
        "0013_facts_meetings", "0014_perf", "0015_imported", "0016_closures", "0017_outbox", "0018_retention",
        "0019_caseload_orders", "0020_raised_status", "0021_work_indexes", "0022_view_indexes",
        "0023_visibility_changes", "0024_postgresql_plans"]


def schema(path: Path) -> dict[str, dict[str, object]]:
    """Every table: columns (type, not null, pk), indexes (columns, unique) and foreign keys."""
    con = sqlite3.connect(path)
    out: dict[str, dict[str, object]] = {}
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'schema_migration'")]
    for t in tables:
        cols = {r[1]: (r[2].split("(")[0].upper(), bool(r[3]), r[5]) for r in con.execute(f'PRAGMA table_info("{t}")')}
        idx = set()
        for r in con.execute(f'PRAGMA index_list("{t}")'):
            if r[3] == "pk":
                continue
            idx.add((tuple(c[2] for c in con.execute(f'PRAGMA index_info("{r[1]}")')), bool(r[2])))
        fks = {(r[3], r[2], r[4], r[6]) for r in con.execute(f'PRAGMA foreign_key_list("{t}")')}
        out[t] = {"columns": cols, "indexes": idx, "foreign_keys": fks}
    con.close()
    return out


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    out = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    out["__schema__"] = sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall(), key=repr)
    con.close()
    return out


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "m.db"
    close_database()


def test_empty_to_head(fresh: Path) -> None:
    db = open_database(str(fresh))
    assert schema_status(db) == [(name, True) for name in HEAD]
    assert all(db.table_exists(model._meta.table_name) for model in ALL_MODELS)


def test_head_matches_the_models(fresh: Path, tmp_path: Path) -> None:
    """The migrations build exactly the schema the peewee models describe."""
    open_database(str(fresh))
    close_database()
    direct = tmp_path / "direct.db"
    db = SqliteDatabase(str(direct))
    with db.bind_ctx(ALL_MODELS):
        db.create_tables(ALL_MODELS)
    db.close()
    migrated, expected = schema(fresh), schema(direct)
    assert sorted(migrated) == sorted(expected), "tables differ"
    for table in expected:
        for part in ("columns", "indexes", "foreign_keys"):
            assert migrated[table][part] == expected[table][part], f"{table}: {part} differ"


def test_running_migrations_twice_changes_nothing(fresh: Path) -> None:
    db = open_database(str(fresh))
    before = dump(fresh)
    assert run_migrations(db) == []
    close_database()
    db = open_database(str(fresh))  # and opening again
    assert run_migrations(db) == []
    assert dump(fresh) == before


def _at_0001(path: Path) -> SqliteDatabase:
    db = open_database(str(path), migrate=False)
    assert run_migrations(db, "0001_initial") == ["0001_initial"]
    assert schema_status(db) == [(name, name == "0001_initial") for name in HEAD]
    return db


ROWS_0001 = [
    "INSERT INTO team (id, name, kind) VALUES (1, 'Care', 'social_care'), (2, 'IRO', 'iro_service')",
    "INSERT INTO staff (id, username, name, role, title, email, team_id, active, password_hash, created_at)"
    " VALUES (1, 'chair', 'Casey Chair', 'chair', 'IRO', '', 2, 1, 'h', '2025-01-02 09:00:00'),"
    " (2, 'tm', 'Terry Manager', 'responder', 'TM', 't@example.org', 1, 1, '', '2025-01-02 09:00:00')",
    "INSERT INTO team_role (id, team_id, level, staff_id) VALUES (1, 1, 'team_manager', 2)",
    "INSERT INTO child (id, case_number, name, legal_status, date_of_birth, team_id, chair_id)"
    " VALUES (1, 'C1', 'A Child', 'CLA', '2015-03-04', 1, 1)",
    "INSERT INTO counter (id, prefix, year, last) VALUES (1, 'DRP', 2025, 1)",
    "INSERT INTO dispute (id, reference, child_id, raised_by_id, issue_arose, raised_on, category, policy_key,"
    " policy_version, start_stage, current_stage, status, immediate, concern, impact, wanted, timescales,"
    " child_wishes, against_wishes, child_informed_how, outcome, next_due_kind, paused, created_at, updated_at,"
    " version) VALUES (1, 'DRP-2025-0001', 1, 1, '2025-01-01', '2025-01-02', 'care_plan', 'mosaic-iro', 1,"
    " 'stage_1', 'stage_1', 'sent', 0, 'Plan out of date', '', '', '', '', 0, '', '', 'response', 0,"
    " '2025-01-02 09:00:00', '2025-01-02 10:00:00', 3)",
    "INSERT INTO stage_record (id, dispute_id, stage_key, seq, sent_at, responder_id, inform, chair_concern,"
    " chair_impact, chair_wanted, chair_timescales, response, response_on_behalf, decision_comment,"
    " extension_reason, negotiation_note) VALUES (1, 1, 'stage_1', 1, '2025-01-02 10:00:00', 2, '',"
    " 'Plan out of date', '', '', '', '', 0, '', '', '')",
    "INSERT INTO notification (id, recipient_id, kind, text, dispute_id, created_at)"
    " VALUES (1, 2, 'request', 'DRP-2025-0001 sent to you', 1, '2025-01-02 10:00:00')",
]
EVENTS_0001 = (
    "INSERT INTO event (id, at, actor_id, kind, dispute_id, child_id, summary, before, after)"
    " VALUES (1, '2025-01-02 09:00:00', 1, 'raised', 1, 1, 'raised', '', ''),"
    " (2, '2025-01-02 10:00:00', 1, 'sent', 1, 1, 'sent', '', '')"
)


def test_from_0001_with_data_to_head_keeps_every_row(fresh: Path) -> None:
    db = _at_0001(fresh)
    for sql in ROWS_0001 + [EVENTS_0001]:
        db.execute_sql(sql)
    before = dump(fresh)
    close_database()

    db = open_database(str(fresh))  # what a session of the new version does
    assert schema_status(db) == [(name, True) for name in HEAD]
    close_database()
    after = dump(fresh)
    con = sqlite3.connect(fresh)
    for table, rows in before.items():
        if table.startswith("__") or table == "schema_migration":
            continue
        n_old = len(rows[0]) if rows else 0
        # Columns added by 0002 come after the old ones: the old part of every row is unchanged.
        assert [r[:n_old] for r in after[table]] == rows, table
    staff = con.execute("SELECT failed_logins, locked_until, os_login FROM staff ORDER BY id").fetchall()
    assert staff == [(0, None, None), (0, None, None)]
    assert con.execute("SELECT prev_hash, hash FROM event").fetchall() == [("", ""), ("", "")]
    assert con.execute("SELECT count(*) FROM draft").fetchone() == (0,)
    staff = con.execute("SELECT unlock_pin_hash, last_sign_in_at, last_failed_at FROM staff ORDER BY id").fetchall()
    assert staff == [("", None, None), ("", None, None)]  # 0003: no PIN yet, nothing to report
    assert con.execute("SELECT count(*) FROM sign_in_failure").fetchone() == (0,)
    con.close()


def test_from_0001_the_upgraded_file_passes_the_other_checks(fresh: Path) -> None:
    db = _at_0001(fresh)
    for sql in ROWS_0001:
        db.execute_sql(sql)
    close_database()
    db = open_database(str(fresh))
    lines = bk.run_checks(db, fresh)
    assert bk.ok(lines), lines


@pytest.mark.xfail(strict=True, reason=(
    "0002 adds prev_hash/hash = '' to events written under 0001 and never chains them, so "
    "'drp audit verify' reports every such event as changed. Fix: 0002 (or a 0003) should seal "
    "existing events into the chain when it runs."))
def test_from_0001_events_written_before_the_chain_verify_after_the_upgrade(fresh: Path) -> None:
    db = _at_0001(fresh)
    for sql in ROWS_0001 + [EVENTS_0001]:
        db.execute_sql(sql)
    close_database()
    db = open_database(str(fresh))
    assert bk.ok(bk.audit_lines(db))


def test_many_sessions_opening_a_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Five processes open (and so migrate) the same new file together: one migrates, all open."""
    path = tmp_path / "race.db"
    code = ("import sys; from drp_tui.store.db import open_database, schema_status;"
            "db = open_database(sys.argv[1]); print(all(a for _, a in schema_status(db)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=str(ROOT)) for _ in range(5)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [err[-300:] for _, err in results]
    assert [out.strip() for out, _ in results] == ["True"] * 5
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT name FROM schema_migration ORDER BY name")] == HEAD
    con.close()
