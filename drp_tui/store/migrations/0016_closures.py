"""Local closure days kept in the database, so an administrator can set them from the desk.

- ``closure_day``: a day the authority's offices are closed (not a working day for any
  deadline computed from then on), its reason, who added it and when. The config file's
  ``closures`` still count too.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, Model


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class Staff(Model):
    class Meta:
        table_name = "staff"


class ClosureDay(Model):
    day = DateField(unique=True)
    reason = CharField()
    added_by = ForeignKeyField(Staff, null=True, field=Staff.id, backref="+", on_delete="RESTRICT")
    added_at = _UTC()

    class Meta:
        table_name = "closure_day"


def up(migrator: Any, db: Any) -> None:
    with db.bind_ctx([Staff, ClosureDay]):
        db.create_tables([ClosureDay])
