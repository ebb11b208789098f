"""The caseload's reads keep the person's visible disputes on the connection (a temporary
table) between keys; what another session commits, or this one writes, is in the very next
read (no stale visibility, no leak). "Another session" is a second connection: peewee keeps
one per thread, so its writes run on a thread of their own. Each test runs on SQLite and on
PostgreSQL (a database of its own on the test server)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from drp_tui.domain.reading import CaseloadQuery
from drp_tui.services import disputes as ds
from drp_tui.services import reads
from drp_tui.services.connection import close_this_thread
from drp_tui.services.errors import PermissionDenied
from drp_tui.store import models as m
from drp_tui.store import visibility
from drp_tui.store.db import write_txn
from tests.factories import World
from tests.pg import only_on

ALL = CaseloadQuery(view="all")
PG_OWN = "PostgreSQL's own mechanism (SQLite's is tested beside it)"


@pytest.fixture
def fills(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each time a kept table is filled (on either engine)."""
    seen: list[int] = []
    real = visibility._fill

    def counted(*args: Any) -> None:
        seen.append(1)
        real(*args)

    monkeypatch.setattr(visibility, "_fill", counted)
    return seen


@pytest.fixture
def other() -> Iterator[Callable[..., Any]]:
    """Run a call on another session's connection (a thread of its own), and wait for it."""
    pool = ThreadPoolExecutor(max_workers=1)

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return pool.submit(fn, *args, **kwargs).result(timeout=30)

    yield run
    pool.submit(close_this_thread).result(timeout=30)
    pool.shutdown(wait=True)


def _raise(w: World, chair: m.Staff, child: m.Child | None) -> int:
    (did,) = ds.raise_dispute(w.ctx(chair), ds.RaiseInput(
        child_ids=[child.id if child else 0], category=w.policy.categories[0].key,
        start_stage=w.policy.stages[0].key, issue_arose=date(2026, 11, 20), concern="Plan has drifted."))
    return did


def shown(w: World, who: m.Staff, q: CaseloadQuery = ALL) -> list[int]:
    """The ids of the caseload's first page for ``who``, as the desk reads it (and its count)."""
    ids = [r.id for r in reads.caseload_page(w.ctx(who), q, 0, 50)]
    assert reads.caseload_count(w.ctx(who), q) == len(ids)
    return ids


def kept_ids() -> set[int]:
    """What this connection's kept table holds now."""
    db = m.database.obj
    return {i for (i,) in db.execute_sql(f"SELECT id FROM {visibility.kept_table(db)}").fetchall()}


def _in_txn(fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with write_txn():
            fn()
    return run


def test_the_ids_are_kept_and_a_read_with_no_change_fills_nothing(either_world: World, fills: list[int]) -> None:
    w = either_world
    mine = _raise(w, w.chair, w.child)
    _raise(w, w.other_chair, w.other_child)
    assert shown(w, w.chair) == [mine]
    assert mine in kept_ids()  # the set the reads used, kept on this connection
    assert len(fills) == 1  # (the page and the count: one snapshot each, the second found it kept)
    assert shown(w, w.chair) == [mine]
    assert len(fills) == 1  # nothing changed: not filled again


def test_a_dispute_sent_by_another_session_shows_on_the_next_read(either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    manager = w.responder(w.policy.stages[0].key)
    assert shown(w, manager) == []
    other(ds.send, w.ctx(), did)
    assert shown(w, manager) == [did]


def test_a_dispute_copied_by_another_session_shows_on_the_next_read(either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    ds.send(w.ctx(), did)
    copied = w.admin  # (any account: made a responder, not yet involved)
    m.Staff.update(role="responder").where(m.Staff.id == copied.id).execute()
    assert shown(w, copied) == []
    other(_in_txn(lambda: m.StageRecord.update(inform=f"{copied.id}").where(m.StageRecord.dispute == did).execute()))
    assert shown(w, copied) == [did]


def test_a_level_given_and_taken_by_another_session_shows_and_hides_on_the_next_read(
        either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    held = {r.level for r in m.TeamRole.select().where(m.TeamRole.team == w.chair.team_id)}
    level = next(lv.key for lv in w.policy.levels if lv.key not in held)  # (one a team holds once)
    manager = m.Staff.create(username="newmgr", name="New Manager", role="responder", team=w.worker.team,
                             password_hash="x", created_at=w.clock.now())
    assert shown(w, manager) == []
    given = other(_in_txn(lambda: m.TeamRole.create(team=w.chair.team, level=level, staff=manager)))
    assert given is None
    assert shown(w, manager) == [did]
    other(_in_txn(lambda: m.TeamRole.delete().where(m.TeamRole.staff == manager.id).execute()))
    assert shown(w, manager) == []  # the level taken away: not a dispute more


def test_a_child_given_to_another_chair_by_another_session_shows_on_the_next_read(
        either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    assert did not in shown(w, w.other_chair)
    assert w.child is not None
    child_id = w.child.id
    other(_in_txn(lambda: m.Child.update(chair=w.other_chair.id).where(m.Child.id == child_id).execute()))
    assert did in shown(w, w.other_chair)


def test_a_disposal_or_a_disabled_account_by_another_session_holds_on_the_next_read(
        either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    assert shown(w, w.chair) == [did]
    other(_in_txn(lambda: m.Disposal.create(dispute=did, reason="Retention period ended", closed_on=date(2020, 1, 1),
                                            due_on=date(2026, 1, 1),
                                            disposed_at=w.clock.now(), disposed_by=w.admin)))
    assert shown(w, w.chair) == []
    other(_in_txn(lambda: m.Staff.update(active=False).where(m.Staff.id == w.chair.id).execute()))
    with pytest.raises(PermissionDenied):
        reads.caseload_page(w.ctx(w.chair), ALL, 0, 50)


MINE = CaseloadQuery(view="mine")


def test_a_persons_own_view_hides_a_disposed_dispute_of_theirs(either_world: World, other: Callable[..., Any]) -> None:
    """Mine (and Overdue and Resolved with a person) keep only what that person raised or awaits,
    which the rule lets them see: read without the set of all they may see, but a disposal still
    hides the dispute from its own raiser."""
    w = either_world
    did = _raise(w, w.chair, w.child)
    mine = replace(MINE, staff_id=w.chair.id)
    assert [r.id for r in reads.caseload_page(w.ctx(w.chair), mine, 0, 50)] == [did]
    other(_in_txn(lambda: m.Disposal.create(dispute=did, reason="Retention period ended", closed_on=date(2020, 1, 1),
                                            due_on=date(2026, 1, 1),
                                            disposed_at=w.clock.now(), disposed_by=w.admin)))
    assert reads.caseload_page(w.ctx(w.chair), mine, 0, 50) == []
    assert reads.caseload_count(w.ctx(w.chair), mine) == 0


def test_only_the_persons_own_disputes_skip_the_set(either_world: World) -> None:
    """``own_of`` someone else (or no one): the whole rule, as without it."""
    w = either_world
    chair = visibility.viewer(w.chair.id)
    whole = m.Dispute.select(m.Dispute.id).where(visibility.visible_to(chair)).sql()
    for someone_else in (w.other_chair.id, None):
        assert m.Dispute.select(m.Dispute.id).where(visibility.visible_to(chair, own_of=someone_else)).sql() == whole
    own = m.Dispute.select(m.Dispute.id).where(visibility.visible_to(chair, own_of=w.chair.id)).sql()
    assert own != whole and "disposal" in own[0]


def test_a_page_reads_the_person_once(either_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The account's row, read to refuse a disabled one, is the row the visibility rule then uses
    (one snapshot): one read of ``staff`` a page, not one for each (a round trip on PostgreSQL)."""
    w = either_world
    did = _raise(w, w.chair, w.child)
    db = m.database.obj
    statements: list[str] = []
    real = db.execute_sql

    def logged(sql: str, params: Any = None) -> Any:
        statements.append(sql)
        return real(sql, params)

    monkeypatch.setattr(db, "execute_sql", logged)
    assert [r.id for r in reads.caseload_page(w.ctx(w.chair), ALL, 0, 50)] == [did]
    person = [s for s in statements if re.match(r'SELECT "t1"\."id", "t1"\."username", .* FROM "staff" AS "t1" WHERE', s)]
    assert len(person) == 1


def test_this_sessions_own_write_shows_on_the_next_read(either_world: World) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    manager = w.responder(w.policy.stages[0].key)
    assert shown(w, manager) == []
    ds.send(w.ctx(), did)  # on this very connection: no other session committed
    assert shown(w, manager) == [did]


def test_another_person_on_the_same_connection_sees_only_their_own(either_world: World) -> None:
    w = either_world
    mine = _raise(w, w.chair, w.child)
    theirs = _raise(w, w.other_chair, w.other_child)
    assert shown(w, w.chair) == [mine]
    assert shown(w, w.other_chair) == [theirs]
    assert shown(w, w.chair) == [mine]


def test_a_second_person_in_one_snapshot_is_read_by_the_rule_itself(either_world: World) -> None:
    w = either_world
    mine = _raise(w, w.chair, w.child)
    theirs = _raise(w, w.other_chair, w.other_child)
    with visibility.one_snapshot():
        first = m.Dispute.select(m.Dispute.id).where(visibility.visible_to(w.chair))
        second = m.Dispute.select(m.Dispute.id).where(visibility.visible_to(w.other_chair))
        assert [d.id for d in first] == [mine] and [d.id for d in second] == [theirs]


def test_a_snapshot_rolled_back_after_its_fill_leaves_no_stale_ids(either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    manager = w.responder(w.policy.stages[0].key)
    assert shown(w, manager) == []
    other(ds.send, w.ctx(), did)
    with pytest.raises(RuntimeError), visibility.one_snapshot():
        assert [d.id for d in m.Dispute.select(m.Dispute.id).where(visibility.visible_to(manager))] == [did]
        raise RuntimeError("a read that failed after the fill")
    assert kept_ids() == set()  # the fill was rolled back with its transaction
    assert shown(w, manager) == [did]


def test_a_read_fills_its_ids_while_another_session_holds_the_write_lock(either_world: World) -> None:
    w = either_world
    only_on("sqlite", "SQLite's own mechanism (PostgreSQL's is tested beside it)")
    did = _raise(w, w.chair, w.child)
    writer = sqlite3.connect(m.database.obj.database, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE team SET name = name")
        m.database.obj.execute_sql("PRAGMA busy_timeout = 0")  # a read that waited would fail at once
        assert shown(w, w.chair) == [did]  # the kept table is TEMP: no write lock to wait for
    finally:
        writer.rollback()
        writer.close()


def test_outside_a_snapshot_the_rule_is_the_query_itself(either_world: World) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    sql, _ = m.Dispute.select(m.Dispute.id).where(visibility.visible_to(w.chair)).sql()
    assert visibility.KEPT_TABLE not in sql and "UNION" in sql
    with visibility.one_snapshot():
        q = m.Dispute.select(m.Dispute.id).where(visibility.visible_to(w.chair))
        assert visibility.KEPT_TABLE in q.sql()[0] and [d.id for d in q] == [did]


def test_a_dispute_found_by_two_parts_of_the_rule_is_shown_and_counted_once(either_world: World) -> None:
    w = either_world
    assert w.child.chair_id == w.chair.id  # raised by the chair, of a child they chair: two parts find it
    mine = _raise(w, w.chair, w.child)
    db = m.database.obj
    sql, _ = visibility._visible_ids_sql(type(db).__name__, db.param, w.chair.id, str(w.chair.role), w.chair.team_id)
    assert " UNION " not in sql.replace(" UNION ALL ", " ")  # (no sort to drop repeats: the set and the kept key do)
    assert shown(w, w.chair) == [mine]  # once on the page, counted once
    assert reads.caseload_page(w.ctx(w.chair), CaseloadQuery(view="mine", staff_id=w.chair.id), 0, 50)[0].id == mine


def test_a_write_in_a_snapshot_is_refused_and_nothing_is_written(either_world: World) -> None:
    w = either_world
    with pytest.raises(RuntimeError, match="read snapshot"), visibility.one_snapshot():
        shown_ids = [d.id for d in m.Dispute.select(m.Dispute.id).where(visibility.visible_to(w.chair))]
        with write_txn():
            m.Team.update(name="Renamed").execute()
    assert shown_ids == []
    assert not m.Team.select().where(m.Team.name == "Renamed").exists()


def test_a_snapshot_sees_one_moment_while_another_session_commits(either_world: World, other: Callable[..., Any]) -> None:
    w = either_world
    did = _raise(w, w.chair, w.child)
    manager = w.responder(w.policy.stages[0].key)
    with visibility.one_snapshot():
        assert [d.id for d in m.Dispute.select(m.Dispute.id).where(visibility.visible_to(manager))] == []
        other(ds.send, w.ctx(), did)  # committed while the snapshot is open
        assert m.Dispute.get_by_id(did).status == "draft"  # not in this snapshot: read as of its first read
    assert shown(w, manager) == [did]  # in the next one


# --- PostgreSQL: the count of changes the kept table is checked against (migration 0023) ------

def _changes() -> int:
    return int(m.database.obj.execute_sql('SELECT "n" FROM "drp_change"').fetchone()[0])


def test_every_table_the_rule_reads_counts_its_changes(either_world: World) -> None:
    w = either_world
    only_on("postgresql", PG_OWN)
    db = m.database.obj
    sql, _ = visibility._visible_ids_sql(type(db).__name__, db.param, w.oversight.id, str(w.oversight.role),
                                         w.oversight.team_id)
    read = set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)) | {m.Disposal._meta.table_name, m.Staff._meta.table_name}
    counted = {t for (t,) in db.execute_sql(
        "SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE g.tgname = 'drp_changed'")}
    truncated = {t for (t,) in db.execute_sql(
        "SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE g.tgname = 'drp_truncated'")}
    assert {"dispute", "child", "stage_record", "stage_response", "notification", "team_role"} <= read
    assert read <= counted and read <= truncated


def test_a_commit_moves_the_count_once_a_read_or_a_rollback_never(either_world: World) -> None:
    w = either_world
    only_on("postgresql", PG_OWN)
    before = _changes()
    shown(w, w.chair)
    assert _changes() == before  # reads (and the kept table's fill) move nothing
    _raise(w, w.chair, w.child)  # one transaction, several rows of several tables
    assert _changes() == before + 1
    with pytest.raises(RuntimeError), write_txn():
        m.Child.update(name="Renamed").execute()
        raise RuntimeError("undone")
    assert _changes() == before + 1
    m.Team.update(kind=m.Team.kind).execute()  # a table the rule does not read
    assert _changes() == before + 1


def test_a_write_from_outside_the_desk_shows_on_the_next_read(either_world: World) -> None:
    w = either_world
    only_on("postgresql", PG_OWN)
    import psycopg2

    did = _raise(w, w.chair, w.child)
    assert did not in shown(w, w.other_chair)  # (its kept table filled without it)
    outside = psycopg2.connect(dbname=m.database.obj.database, **m.database.obj.connect_params)  # psql, say
    try:
        with outside, outside.cursor() as cur:
            cur.execute("UPDATE child SET chair_id = %s WHERE id = %s", (w.other_chair.id, w.child.id))
    finally:
        outside.close()
    assert did in shown(w, w.other_chair)
