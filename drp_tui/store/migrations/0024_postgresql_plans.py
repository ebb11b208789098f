"""PostgreSQL: what its planner needs for the caseload's pages (SQLite: nothing).

1. Statistics on ``("status" || '')``, the term the caseload writes for the partial indexes
   over open and over closed disputes (migration 0022, ``store.queries._status_among``).
   Without them PostgreSQL guesses that the term keeps 0.5 % of the disputes, where "open"
   keeps most of them; it then read all 80,000 of a team's open disputes to sort them, where
   walking the children in name order stops after a page ("Team" by child at 100,000 disputes:
   200 -> 10 ms). Expression statistics need PostgreSQL 14 or later (older: not made). The
   table is analysed at once, so that they are there from the next page on.

2. Trigram indexes for the caseload's text filter. A filter of a few characters or more
   ("Child 77", a case number's end) matches few disputes, but ``ILIKE '%...%'`` has no
   ordinary index to use: PostgreSQL read every dispute the person may see, and their
   children, for each keystroke (80-110 ms at 100,000 disputes). With ``pg_trgm``'s trigram
   indexes on the four columns the filter searches, the matching children and disputes are
   looked up (1-2 ms), and ``store.queries`` reads them first when they are few.
   ``pg_trgm`` ships with PostgreSQL (Debian's ``postgresql`` package) and is a trusted
   extension (PostgreSQL 13 and later): a user who may create objects in the database may add
   it. Where it may not be added, nothing of this part is made and the filter reads as before
   (the same rows, slower); docs/DEPLOYMENT.md says how to add them later.
"""
from __future__ import annotations

from typing import Any

STATUS_STATISTICS = 'CREATE STATISTICS IF NOT EXISTS "dispute_status_term" ON (("status" || \'\')) FROM "dispute"'
EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
INDEXES = (
    'CREATE INDEX IF NOT EXISTS "child_name_trgm" ON "child" USING gin ("name" gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS "child_case_number_trgm" ON "child" USING gin ("case_number" gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS "dispute_reference_trgm" ON "dispute" USING gin ("reference" gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS "dispute_category_trgm" ON "dispute" USING gin ("category" gin_trgm_ops)',
)


def up(migrator: Any, db: Any) -> None:
    from peewee import DatabaseError, PostgresqlDatabase

    if not isinstance(db, PostgresqlDatabase):
        return
    if int(db.execute_sql("SHOW server_version_num").fetchone()[0]) >= 140000:
        db.execute_sql(STATUS_STATISTICS)
        db.execute_sql('ANALYZE "dispute"')
    try:
        with db.atomic():  # (a savepoint: refused, nothing of it stays and the migration goes on)
            db.execute_sql(EXTENSION)
            for sql in INDEXES:
                db.execute_sql(sql)
    except DatabaseError:
        pass  # the extension may not be added here: the filter reads without these indexes
