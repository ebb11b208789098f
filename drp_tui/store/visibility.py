"""Who may see what: the read side's ONE rule, as query conditions.

Every read of a dispute, a child, a history or a report goes through this module
(``store.queries`` and ``store.queries_screens`` take a ``viewer`` and add these
conditions; ``services.reads`` and ``services.reports`` pass the signed-in
person). Nothing else decides visibility.

Disputes: a dispute is visible to the chair who raised it; the child's chair and
allocated social worker; every manager a stage of it was sent or copied to, who
responded or approved; anyone notified about it; oversight (the IRO service
manager) of the raising chair's own team or of the child's team (never of another
team); and the holders of a management level in the raising chair's own team.

Children: a chair sees the children they chair (and those allocated to them); a
responder the children allocated to them; oversight the children of its own team
(allocated to it, or chaired by one of its members); everyone also sees the child
of any dispute they can see.

A dispute whose personal content was disposed of (``services.retention``) is visible
to nobody.

Administrators manage accounts and configuration: they see no child's name, case
number or dispute content (every condition here is false for them; the reports
give them counts only). A disabled account (``active`` false) sees nothing.
(``services.permissions`` holds the write side's rules.)
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache, reduce
from typing import cast

from peewee import SQL, EnclosedNodeList, Expression, PostgresqlDatabase, SqliteDatabase, Value

from drp_tui.domain.model import Role
from drp_tui.store import models as m
from drp_tui.store.db import in_read_snapshot, read_snapshot

NOTHING_DISPUTES = "administrators and disabled accounts see no dispute"


def viewer(staff_id: int | None) -> m.Staff | None:
    """The staff row of an active, existing account (None: sees nothing); read once per
    :func:`one_snapshot` (the snapshot's row cannot change within it)."""
    if staff_id is None or isinstance(staff_id, bool) or not isinstance(staff_id, int):
        return None
    read = getattr(_kept, "viewers", None) if in_read_snapshot() else None
    if read is not None and staff_id in read:
        return cast("m.Staff | None", read[staff_id])
    who = m.Staff.get_or_none(m.Staff.id == staff_id)
    if who is None or not who.active:
        who = None
    if read is not None:
        read[staff_id] = who
    return who


def sees_content(who: m.Staff | None) -> bool:
    """May ``who`` see any child or dispute at all? (Not an administrator, not disabled.)"""
    return who is not None and bool(who.active) and Role(who.role) is not Role.ADMIN


def visible_to(who: m.Staff | None, *, lead: bool = False, own_of: int | None = None) -> Expression:
    """A condition on ``Dispute`` rows: the disputes ``who`` may see (see the module text).

    ``lead``: the person's own disputes lead the query (read first, then filtered and sorted),
    for a condition no index serves (a text filter) that would otherwise test every dispute
    in the order's index; without it each row the query finds is tested.

    ``own_of``: the query keeps only disputes this person raised or awaits a response from
    (``raised_by`` or ``responder``). When that is ``who``, the rule's first two parts admit every
    one of them, so only the disposal test is left: their own views are read by their own
    indexes, not joined to the set of all they may see (on PostgreSQL that join read a chair's
    every overdue dispute and sorted them by child: 30 ms, for a set the planner guessed at 5 %)."""
    if not sees_content(who):
        return m.Dispute.id < 0  # nothing
    assert who is not None
    db = m.database.obj
    # ``id + 0`` (SQLite): a test of each row the query's own order or view finds, never a list SQLite
    # loops over as an index key (crossed with another index, that loop multiplies the two lists).
    # (PostgreSQL plans by the columns' figures, which ``+ 0`` would hide from it.)
    plain = lead or not isinstance(db, SqliteDatabase)
    ids = m.Dispute.id if plain else m.Dispute.id + 0
    # A dispute whose content was disposed of (retention) is visible to nobody, its raiser included.
    not_disposed = ids.not_in(m.Disposal.select(m.Disposal.dispute))
    if own_of is not None and own_of == who.id:
        return not_disposed
    sql, params = _visible_ids_sql(type(db).__name__, db.param, who.id, str(who.role), who.team_id)
    kept = _kept_ids(db, who, sql, params)
    allowed = ids.in_(kept) if kept is not None else ids.in_(EnclosedNodeList([SQL(sql, list(params))]))
    return allowed & not_disposed


# --- one snapshot: the person's visible ids kept on the connection -------------------------
#
# The database builds an ``IN (SELECT ... UNION ...)`` set afresh for every query (SQLite about
# 10 ms, PostgreSQL about 30 ms, for a chair who may see 10,000 disputes), and a caseload key runs
# a few queries. Inside :func:`one_snapshot` the set is kept in a temporary table of this thread's
# connection instead, and filled again whenever what it was filled from may have changed, or the
# person, role or team differ:
# - SQLite: another connection committed (``PRAGMA data_version``) or this one wrote
#   (``total_changes``);
# - PostgreSQL: a commit changed a table the rule reads (``drp_change``'s count and row version,
#   moved by that commit's own trigger: migration 0023). This connection writes nothing inside
#   a snapshot (``write_txn`` refuses there).
# The check, the fill and the queries that use the table all run in one read transaction, so
# they see one snapshot of the database: a change another session commits is in the very next
# read. Elsewhere (outside one_snapshot) the set is the query.

KEPT_TABLE = "drp_visible_ids"
_kept = threading.local()  # per thread, as peewee's connections are: conn, key; used, checked, viewers


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run the block's reads in one read transaction, in which :func:`visible_to` reads the
    person's visible ids from this connection's kept table (refreshed first if the data may have
    changed since it was filled). Reads only. Nested, or inside a transaction already open (a
    write), the block runs as is and the set stays a query."""
    try:
        with read_snapshot() as opened:
            if not opened:
                yield
                return
            _kept.used, _kept.checked, _kept.viewers = None, None, {}  # (this snapshot's: see _kept_ids)
            try:
                yield
            finally:
                _kept.used, _kept.checked, _kept.viewers = None, None, None
    except BaseException:
        _kept.key = None  # rolled back: a fill made in it was undone with it
        raise


def kept_table(db: object) -> str:
    """The kept table's name as a query names it (the connection's own temporary schema)."""
    return f"temp.{KEPT_TABLE}" if isinstance(db, SqliteDatabase) else f"pg_temp.{KEPT_TABLE}"


# PostgreSQL: the count of commits that changed what the rule reads, and its row's version (a new
# one for each such commit; a restored database's row is a new version too).
_CHANGES = 'SELECT "n", "xmin"::text FROM "drp_change" WHERE "id" = 1'


def _kept_ids(db: object, who: m.Staff, sql: str, params: tuple[object, ...]) -> SQL | None:
    """The kept table (filled for ``who`` in this snapshot), or None when the set is the query."""
    sqlite = isinstance(db, SqliteDatabase)
    if not in_read_snapshot() or not (sqlite or isinstance(db, PostgresqlDatabase)):
        return None
    assert isinstance(db, (SqliteDatabase, PostgresqlDatabase))
    conn = db.connection()
    person = (who.id, str(who.role), who.team_id)
    if getattr(_kept, "used", None) not in (None, person):
        return None  # a second person in one snapshot: the table stays the first one's
    _kept.used = person
    table = SQL(f"(SELECT id FROM {kept_table(db)})")
    own = conn.total_changes if sqlite else 0  # (this connection's writes: none in a snapshot on PostgreSQL)
    if _kept.checked == own and getattr(_kept, "conn", None) is conn and _kept.key is not None:
        return table  # checked already in this snapshot, nothing written since
    # (the transaction's first read, if nothing before it: the snapshot starts here)
    version = (int(db.execute_sql("PRAGMA data_version").fetchone()[0]),) if sqlite else \
        tuple(db.execute_sql(_CHANGES).fetchone())
    if getattr(_kept, "conn", None) is not conn or getattr(_kept, "key", None) != (*version, own, *person):
        _kept.key = None
        _fill(db, sql, params)
        own = conn.total_changes if sqlite else 0  # (read after the fill: it counts its rows)
        _kept.conn = conn
        _kept.key = (*version, own, *person)
    _kept.checked = own
    return table


def _fill(db: SqliteDatabase | PostgresqlDatabase, sql: str, params: tuple[object, ...]) -> None:
    """Fill this connection's kept table with the ids ``sql`` selects (made on first use); on
    PostgreSQL also give the planner its size (``ANALYZE``: autovacuum never reads a temporary table)."""
    table = kept_table(db)
    if isinstance(db, SqliteDatabase):
        db.execute_sql(f"CREATE TEMP TABLE IF NOT EXISTS {KEPT_TABLE} (id INTEGER PRIMARY KEY)")
        db.execute_sql(f"DELETE FROM {table}")
        db.execute_sql(f"INSERT OR IGNORE INTO {table} {sql}", list(params))
        return
    if db.execute_sql("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]:
        db.execute_sql(f"TRUNCATE {table}")
    else:
        db.execute_sql(f"CREATE TEMP TABLE {KEPT_TABLE} (id INTEGER PRIMARY KEY)")
    # (each id once, in order: its index is then written from end to end, not searched for each)
    db.execute_sql(f"INSERT INTO {table} SELECT DISTINCT id FROM ({sql}) AS v ORDER BY 1", list(params))
    db.execute_sql(f"ANALYZE {table}")


@lru_cache(maxsize=256)
def _visible_ids_sql(engine: str, param: str, staff_id: int, role_value: str,
                     team_id: int | None) -> tuple[str, tuple[object, ...]]:
    """The SQL of the ids :func:`visible_to` allows (its text only, never its rows: what it
    selects is read afresh by every query), built once per person and database engine: the
    query builder takes longer to write this union than the database takes to run it."""
    role = Role(role_value)
    sr = m.StageRecord
    d = m.Dispute
    # One set of ids, a UNION (ALL) of indexed look-ups (never an OR over whole tables), so what it costs
    # is how much the person is involved in, not how many disputes there are; a caseload page then
    # walks its order's index and keeps the rows in this set (SQLite builds an ``IN (SELECT ...)``
    # set once per query).
    parts = [
        d.select(d.id).where(d.raised_by == staff_id),
        d.select(d.id).where(d.responder == staff_id),
        d.select(d.id).where(d.child.in_(  # the children they chair or are allocated
            m.Child.select(m.Child.id).where(m.Child.chair == staff_id)
            + m.Child.select(m.Child.id).where(m.Child.social_worker == staff_id))),
        sr.select(sr.dispute).where(sr.responder == staff_id),  # a manager a stage was sent to,
        sr.select(sr.dispute).where(sr.response_by == staff_id),  # who responded,
        sr.select(sr.dispute).where(sr.approval_by == staff_id),  # who approved,
        sr.select(sr.dispute).where(  # or was copied (only stage records with copies: a partial index)
            (sr.inform != "") & Value(",").concat(sr.inform).concat(",").contains(f",{staff_id},")),
        m.StageResponse.select(m.StageRecord.dispute).join(m.StageRecord).where(  # a joint responder,
            m.StageResponse.responder == staff_id),
        m.StageResponse.select(m.StageRecord.dispute).join(m.StageRecord).where(  # or who recorded one for them
            m.StageResponse.recorded_by == staff_id),
        m.Notification.select(m.Notification.dispute).where(
            (m.Notification.recipient == staff_id) & m.Notification.dispute.is_null(False)),
        d.select(d.id).where(d.raised_by.in_(  # a management level in the raising chair's team
            m.Staff.select(m.Staff.id).where(m.Staff.team.in_(
                m.TeamRole.select(m.TeamRole.team).where(m.TeamRole.staff == staff_id))))),
    ]
    if role is Role.OVERSIGHT and team_id is not None:
        parts.append(d.select(d.id).where(d.raised_by.in_(m.Staff.select(m.Staff.id).where(m.Staff.team == team_id))))
        parts.append(d.select(d.id).where(d.child.in_(m.Child.select(m.Child.id).where(m.Child.team == team_id))))
    # UNION ALL: a dispute found by two parts is kept twice, which neither a set (``IN``) nor the kept
    # table (its key) minds; UNION sorted every id to drop those (the kept table's fill: 8.6 -> 6.4 ms
    # for a chair who may see 10,000 disputes).
    sql, params = m.database.get_sql_context().sql(reduce(operator.add, parts)).query()
    return sql, tuple(params)


def children_visible_to(who: m.Staff | None) -> Expression:
    """A condition on ``Child`` rows: the children ``who`` may see (see the module text)."""
    if not sees_content(who):
        return m.Child.id < 0
    assert who is not None
    role = Role(who.role)
    via_disputes = m.Dispute.select(m.Dispute.child).where(visible_to(who))
    if role is Role.CHAIR:
        own = (m.Child.chair == who.id) | (m.Child.social_worker == who.id)
    elif role is Role.OVERSIGHT and who.team_id is not None:
        members = m.Staff.select(m.Staff.id).where(m.Staff.team == who.team_id)
        own = (m.Child.team == who.team_id) | m.Child.chair.in_(members)
    else:
        own = m.Child.social_worker == who.id
    return own | m.Child.id.in_(via_disputes)


def can_see(staff_id: int, dispute_id: int) -> bool:
    """May this person see this dispute?"""
    who = viewer(staff_id)
    if who is None:
        return False
    return bool(m.Dispute.select(m.Dispute.id).where(
        (m.Dispute.id == dispute_id) & visible_to(who)).exists())


def can_see_child(staff_id: int, child_id: int) -> bool:
    """May this person see this child (name, case number, history)?"""
    who = viewer(staff_id)
    if who is None:
        return False
    return bool(m.Child.select(m.Child.id).where((m.Child.id == child_id) & children_visible_to(who)).exists())
