"""Log-in lock-out, OS log-in mapping, hash-chained audit, drafts."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


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


class Draft(Model):
    owner = ForeignKeyField(Staff, backref="drafts", on_delete="RESTRICT")
    dispute = ForeignKeyField(Dispute, null=True, backref="+", on_delete="RESTRICT")
    payload = TextField()
    reason = CharField(default="")
    saved_at = _UTC()

    class Meta:
        table_name = "draft"


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("staff", "failed_logins", IntegerField(default=0)),
        migrator.add_column("staff", "locked_until", _UTC(null=True)),
        migrator.add_column("staff", "os_login", CharField(null=True)),
        migrator.add_index("staff", ("os_login",), True),
        migrator.add_column("event", "prev_hash", CharField(default="")),
        migrator.add_column("event", "hash", CharField(default="")),
    )
    with db.bind_ctx([Staff, Dispute, Draft]):
        db.create_tables([Draft])
