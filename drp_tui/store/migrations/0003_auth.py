"""Sign-in without hard lock-out: desk unlock PIN, failures since the last sign-in, delay table."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateTimeField, Model


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class SignInFailure(Model):
    key = CharField()
    at = _UTC()

    class Meta:
        table_name = "sign_in_failure"
        indexes = ((("key", "at"), False),)


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("staff", "unlock_pin_hash", CharField(default="")),
        migrator.add_column("staff", "last_sign_in_at", _UTC(null=True)),
        migrator.add_column("staff", "last_failed_at", _UTC(null=True)),
    )
    with db.bind_ctx([SignInFailure]):
        db.create_tables([SignInFailure])
