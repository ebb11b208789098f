"""PostgreSQL: a count of the commits that changed what the visibility rule reads (SQLite: nothing).

A desk session on PostgreSQL keeps the signed-in person's visible dispute ids in a temporary
table of its connection (``store.visibility``), as SQLite's sessions do, so that a caseload key
does not build that set again for every query. It may use the table only while nothing it was
filled from has changed. SQLite says so itself (``PRAGMA data_version``); PostgreSQL's
notifications arrive after the commit, so a read could use a table a commit has made stale.

So every transaction that writes a row of a table the rule reads adds one to ``drp_change.n``,
in the same transaction, at its commit:

- ``drp_change``: one row, its count;
- ``drp_changed()``: adds one, once per transaction (a setting local to the transaction says it
  has), whichever write path it is (the desk, the command line, an import, ``psql``);
- a trigger ``drp_changed`` on each table the rule reads, run for each written row at the
  commit (``DEFERRABLE INITIALLY DEFERRED``): the count's row is locked last, just before the
  commit, so two writers never wait for each other's rows in opposite orders (no deadlock);
  and ``drp_truncated`` for a ``TRUNCATE`` of one of them.

A session reads the count (and its row version, ``xmin``) in the same snapshot as its page
(``REPEATABLE READ``): the count it sees says exactly which of those commits the snapshot holds.
"""
from __future__ import annotations

from typing import Any

# The tables ``store.visibility`` reads to decide who may see what (a test holds this list to it).
TABLES = ("dispute", "child", "staff", "stage_record", "stage_response", "notification", "team_role", "disposal")

COUNTER = ('CREATE TABLE IF NOT EXISTS "drp_change" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), '
           '"n" BIGINT NOT NULL)')
FIRST = 'INSERT INTO "drp_change" ("id", "n") VALUES (1, 0) ON CONFLICT ("id") DO NOTHING'
FUNCTION = """
CREATE OR REPLACE FUNCTION drp_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('drp.changed', true) IS DISTINCT FROM 'yes' THEN
        UPDATE "drp_change" SET "n" = "n" + 1 WHERE "id" = 1;
        PERFORM set_config('drp.changed', 'yes', true);
    END IF;
    RETURN NULL;
END $$
"""


def _triggers(table: str) -> list[str]:
    return [
        f'DROP TRIGGER IF EXISTS drp_changed ON "{table}"',
        f'CREATE CONSTRAINT TRIGGER drp_changed AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        f'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION drp_changed()',
        f'DROP TRIGGER IF EXISTS drp_truncated ON "{table}"',
        f'CREATE TRIGGER drp_truncated AFTER TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION drp_changed()',
    ]


def up(migrator: Any, db: Any) -> None:
    from peewee import PostgresqlDatabase

    if not isinstance(db, PostgresqlDatabase):
        return  # SQLite: PRAGMA data_version already says when another connection committed
    for sql in (COUNTER, FIRST, FUNCTION, *(s for table in TABLES for s in _triggers(table))):
        db.execute_sql(sql)
