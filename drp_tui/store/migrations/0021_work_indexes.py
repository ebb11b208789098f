"""Indexes for "My work" at scale (no column or table changes).

``My work`` (``store.queries_work.candidates``) unites a few look-ups of the disputes that may
need the person, each with the dispute's next deadline, and keeps the most urgent:

- ``dispute_raised_status_due``: a chair's raised disputes by status, with their next deadline
  (the "raised by them" part reads the index alone, not every open dispute's row: about 4,000
  rows for a chair at 100,000 disputes). It replaces ``dispute_raised_status`` (0020), whose
  look-ups it serves the same way (its first two columns).
- ``notification_recipient_kind``: a person's notifications by kind (the "told a stage awaits
  them" part reads the few requests and decisions, not every reminder the person was sent);
- ``action_open_due``: the actions not yet done, by due date (only those: a partial index), for
  the part "an open action due by the horizon", which read every action there is.

Plain SQL that SQLite and PostgreSQL share (the same text is in ``store.models``).
"""
from __future__ import annotations

from typing import Any

RAISED_STATUS_DUE = ('CREATE INDEX IF NOT EXISTS "dispute_raised_status_due" ON "dispute" '
                     '("raised_by_id", "status", "next_due_at")')
RECIPIENT_KIND = ('CREATE INDEX IF NOT EXISTS "notification_recipient_kind" ON "notification" '
                  '("recipient_id", "kind", "dispute_id")')
OPEN_ACTION_DUE = ('CREATE INDEX IF NOT EXISTS "action_open_due" ON "action" ("due", "stage_record_id") '
                   'WHERE "done_on" IS NULL')
DROP_RAISED_STATUS = 'DROP INDEX IF EXISTS "dispute_raised_status"'


def up(migrator: Any, db: Any) -> None:
    for sql in (RAISED_STATUS_DUE, RECIPIENT_KIND, OPEN_ACTION_DUE, DROP_RAISED_STATUS):
        db.execute_sql(sql)
