"""Retention: legal holds and disposals of closed disputes' personal content.

- ``retention_hold``: a legal hold on a dispute (reason, who placed it and when; who
  released it, when and why). While one is not released, the dispute is not disposed of.
- ``disposal``: one row per dispute whose personal content was disposed of (the reason,
  the day it closed, the day it was due, who disposed of it and when). No text of the
  dispute is kept here.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import DateField, DateTimeField, ForeignKeyField, Model, TextField


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class Staff(Model):
    class Meta:
        table_name = "staff"


class Dispute(Model):
    class Meta:
        table_name = "dispute"


class RetentionHold(Model):
    dispute = ForeignKeyField(Dispute, field=Dispute.id, backref="+", on_delete="RESTRICT")
    reason = TextField()
    placed_by = ForeignKeyField(Staff, null=True, field=Staff.id, backref="+", on_delete="RESTRICT")
    placed_at = _UTC()
    released_by = ForeignKeyField(Staff, null=True, field=Staff.id, backref="+", on_delete="RESTRICT")
    released_at = _UTC(null=True)
    release_reason = TextField(default="")

    class Meta:
        table_name = "retention_hold"


class Disposal(Model):
    dispute = ForeignKeyField(Dispute, unique=True, field=Dispute.id, backref="+", on_delete="RESTRICT")
    reason = TextField()
    closed_on = DateField()
    due_on = DateField()
    disposed_by = ForeignKeyField(Staff, null=True, field=Staff.id, backref="+", on_delete="RESTRICT")
    disposed_at = _UTC()

    class Meta:
        table_name = "disposal"


def up(migrator: Any, db: Any) -> None:
    with db.bind_ctx([Staff, Dispute, RetentionHold, Disposal]):
        db.create_tables([RetentionHold, Disposal])
