"""Indexes for the caseload's views at scale (no column or table changes).

Partial indexes over the open and over the closed disputes, each in a view's order, so a page
of "Resolved" or "Team" walks only the disputes of its kind and stops after the page:

- ``dispute_open_due``: the open disputes by due date ("Team" read from its end, where every
  closed dispute, with no deadline, sorted last and was walked before the first open one);
- ``dispute_closed_due``, ``dispute_closed_reference``, ``dispute_closed_stage``: the closed
  disputes by due date, reference and stage ("Resolved" without a person: oversight);
- ``dispute_closed_raised_due``: a chair's closed disputes by due date ("Resolved" by due date
  walked the chair's every open dispute first);
- ``dispute_raised_status_child``: 0021's ``dispute_raised_status_due`` with the child too, in
  its place (its look-ups are served the same way): "Mine" by child reads the chair's open
  disputes from the index alone, not each one's row (about 4,000 rows for a chair at 100,000);
- ``dispute_responder_cover``: the disputes whose response awaits a person, with every column
  "Overdue" and "Awaiting me" test or sort them by (only disputes with a responder: a partial
  index), so a responder's view reads the index, not each of their disputes' rows;
- ``stage_record_responder_dispute``: the stage records sent to a person, with their dispute
  ("Awaiting me"'s negotiations, and who may see what, read the index alone).

Their condition, ``("status" || '') IN (...)``, is the term the caseload's query writes
(``store.queries._status_among``): a planner uses a partial index only for a query whose
conditions contain its own. Plain SQL that SQLite and PostgreSQL share (the same text is in
``store.models``).
"""
from __future__ import annotations

from typing import Any

OPEN = "WHERE (\"status\" || '') IN ('draft', 'sent', 'responded', 'negotiating')"
CLOSED = "WHERE (\"status\" || '') IN ('resolved', 'cafcass', 'withdrawn')"
DUE = '("next_due_at" IS NULL), "next_due_at", "id"'
OPEN_DUE = f'CREATE INDEX IF NOT EXISTS "dispute_open_due" ON "dispute" ({DUE}) {OPEN}'
CLOSED_DUE = f'CREATE INDEX IF NOT EXISTS "dispute_closed_due" ON "dispute" ({DUE}) {CLOSED}'
CLOSED_REFERENCE = f'CREATE INDEX IF NOT EXISTS "dispute_closed_reference" ON "dispute" ("reference") {CLOSED}'
CLOSED_STAGE = f'CREATE INDEX IF NOT EXISTS "dispute_closed_stage" ON "dispute" ("current_stage", "id") {CLOSED}'
CLOSED_RAISED_DUE = f'CREATE INDEX IF NOT EXISTS "dispute_closed_raised_due" ON "dispute" ("raised_by_id", {DUE}) {CLOSED}'
RAISED_STATUS_CHILD = ('CREATE INDEX IF NOT EXISTS "dispute_raised_status_child" ON "dispute" '
                       '("raised_by_id", "status", "next_due_at", "child_id")')
DROP_RAISED_STATUS_DUE = 'DROP INDEX IF EXISTS "dispute_raised_status_due"'
RESPONDER_COVER = ('CREATE INDEX IF NOT EXISTS "dispute_responder_cover" ON "dispute" ("responder_id", "next_due_at", '
                   '"status", "child_id", "current_stage", "reference") WHERE "responder_id" IS NOT NULL')
RECORD_RESPONDER_DISPUTE = ('CREATE INDEX IF NOT EXISTS "stage_record_responder_dispute" ON "stage_record" '
                            '("responder_id", "dispute_id")')


def up(migrator: Any, db: Any) -> None:
    for sql in (OPEN_DUE, CLOSED_DUE, CLOSED_REFERENCE, CLOSED_STAGE, CLOSED_RAISED_DUE, RAISED_STATUS_CHILD,
                DROP_RAISED_STATUS_DUE, RESPONDER_COVER, RECORD_RESPONDER_DISPUTE):
        db.execute_sql(sql)
