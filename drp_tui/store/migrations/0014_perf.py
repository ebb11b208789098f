"""Indexes for the caseload at scale (no column or table changes).

- ``dispute_due_order``: the caseload's "by due date" order (open deadlines first, soonest
  first, then by id), so a page is read by walking the index and stops after the page's
  rows instead of sorting every matching dispute;
- ``stage_record_informed``: a partial index of the stage records that copy someone for
  information, so "who may see this" reads only those, not every stage record.

Both are plain SQL that SQLite and PostgreSQL share (an expression index; a partial index).
"""
from __future__ import annotations

from typing import Any

DUE_ORDER = ('CREATE INDEX IF NOT EXISTS "dispute_due_order" ON "dispute" '
             '(("next_due_at" IS NULL), "next_due_at", "id")')
INFORMED = ('CREATE INDEX IF NOT EXISTS "stage_record_informed" ON "stage_record" '
            '("inform", "dispute_id") WHERE "inform" <> \'\'')


def up(migrator: Any, db: Any) -> None:
    db.execute_sql(DUE_ORDER)
    db.execute_sql(INFORMED)
