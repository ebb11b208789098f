"""A dispute's facts, and the meetings held at its stages.

- ``dispute.facts``: the keys of the procedure's yes/no facts that hold for the dispute
  (comma-separated; "" = none), asked on the raise form; conditional copies read them;
- ``meeting``: a meeting held at a stage (the day, who attended, the outcome, who recorded it).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class Dispute(Model):
    class Meta:
        table_name = "dispute"


class Staff(Model):
    class Meta:
        table_name = "staff"


class Meeting(Model):
    dispute = ForeignKeyField(Dispute, backref="+", on_delete="RESTRICT")
    stage_key = CharField()
    held_on = DateField()
    attendees = TextField(default="")
    outcome = TextField(default="")
    recorded_by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    recorded_at = _UTC()

    class Meta:
        table_name = "meeting"


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(migrator.add_column("dispute", "facts", CharField(default="")))
    with db.bind_ctx([Meeting]):
        db.create_tables([Meeting])
