"""Indexes for the caseload's orders at scale (no column or table changes).

Each lets a caseload page walk its view's order and stop after the page (and a keyset page
enter the order at a row), instead of reading and sorting every matching dispute:

- ``dispute_stage_order``: "by stage" (the stage, then id);
- ``child_name_order``: "by child" (the child's name; each child's disputes by id);
- ``dispute_raised_due``: "Mine" and "Resolved" by due date (the raising chair, then the
  due-date order of ``dispute_due_order``); ``dispute_raised_reference`` and
  ``dispute_raised_stage``: the same by reference and by stage.

Plain SQL that SQLite and PostgreSQL share (the same text is in ``store.models``).
"""
from __future__ import annotations

from typing import Any

STAGE_ORDER = 'CREATE INDEX IF NOT EXISTS "dispute_stage_order" ON "dispute" ("current_stage", "id")'
CHILD_NAME_ORDER = 'CREATE INDEX IF NOT EXISTS "child_name_order" ON "child" ("name", "id")'
RAISED_DUE = ('CREATE INDEX IF NOT EXISTS "dispute_raised_due" ON "dispute" '
              '("raised_by_id", ("next_due_at" IS NULL), "next_due_at", "id")')

RAISED_REFERENCE = 'CREATE INDEX IF NOT EXISTS "dispute_raised_reference" ON "dispute" ("raised_by_id", "reference")'
RAISED_STAGE = 'CREATE INDEX IF NOT EXISTS "dispute_raised_stage" ON "dispute" ("raised_by_id", "current_stage", "id")'


def up(migrator: Any, db: Any) -> None:
    for sql in (STAGE_ORDER, CHILD_NAME_ORDER, RAISED_DUE, RAISED_REFERENCE, RAISED_STAGE):
        db.execute_sql(sql)
