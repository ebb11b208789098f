"""Stages answered jointly: one row per responder and their own response.

``stage_response``: for a stage whose profile says ``responders = "all"``, one row per
responder made when the stage is sent; each is filled when that responder (or the chair
on their behalf) records their response. The stage counts as responded when all are.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import BooleanField, DateTimeField, ForeignKeyField, Model, TextField


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class Staff(Model):
    class Meta:
        table_name = "staff"


class StageRecord(Model):
    class Meta:
        table_name = "stage_record"


class StageResponse(Model):
    stage_record = ForeignKeyField(StageRecord, backref="responses", on_delete="RESTRICT")
    responder = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    response = TextField(default="")
    response_at = _UTC(null=True)
    recorded_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    on_behalf = BooleanField(default=False)

    class Meta:
        table_name = "stage_response"
        indexes = ((("stage_record", "responder"), True),)


def up(migrator: Any, db: Any) -> None:
    with db.bind_ctx([StageResponse]):
        db.create_tables([StageResponse])
