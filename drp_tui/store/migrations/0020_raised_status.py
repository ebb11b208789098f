"""An index for the caseload at scale (no column or table changes).

``dispute_raised_status``: the disputes a chair raised, by status. "Awaiting me" asks for a
person's raised disputes that are responded or negotiating, "Mine" for the open ones and
"Resolved" for the closed ones; through ``dispute_raised_due`` each such look-up read every
dispute the chair ever raised (about 5,000 at 100,000 disputes) to keep a few hundred.

Plain SQL that SQLite and PostgreSQL share (the same text is in ``store.models``).
"""
from __future__ import annotations

from typing import Any

RAISED_STATUS = 'CREATE INDEX IF NOT EXISTS "dispute_raised_status" ON "dispute" ("raised_by_id", "status")'


def up(migrator: Any, db: Any) -> None:
    db.execute_sql(RAISED_STATUS)
