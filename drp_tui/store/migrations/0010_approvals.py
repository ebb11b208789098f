"""Approvals on transitions: who approved or declined (with a reason) a gate of a stage
record, when; and each party's "satisfied" where a stage closes only when all are."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class Dispute(Model):
    class Meta:
        table_name = "dispute"


class StageRecord(Model):
    class Meta:
        table_name = "stage_record"


class Staff(Model):
    class Meta:
        table_name = "staff"


class Approval(Model):
    dispute = ForeignKeyField(Dispute, backref="+", on_delete="RESTRICT")
    stage_record = ForeignKeyField(StageRecord, backref="+", on_delete="RESTRICT")
    gate = CharField()
    decision = CharField()
    reason = TextField(default="")
    by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    at = _UTC()

    class Meta:
        table_name = "approval"


def up(migrator: Any, db: Any) -> None:
    with db.bind_ctx([Approval]):
        db.create_tables([Approval])
