"""When a dispute reached each stage: ``stage_record.started_at``.

A window may be counted from the start of the formal process (the first stage that is not
informal): when a dispute is escalated to it, that is the moment it was escalated. Stage
records written before this are left empty; the clocks then fall back to the previous
stage's decision or sending (domain.deadlines.formal_start).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import DateTimeField


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(migrator.add_column("stage_record", "started_at", _UTC(null=True)))
