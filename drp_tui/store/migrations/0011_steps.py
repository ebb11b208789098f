"""Discussions recorded before a step (a Cafcass referral, legal advice), kept with the steps.

``cafcass_step`` rows of kind ``discussion`` record who the chair spoke to (``with_staff``, a
person holding ``level``), when (``held_at``) and what was said (``note``), before which
step (``before_step``). Existing rows get empty values: they are the steps themselves.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateTimeField, ForeignKeyField, Model


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class Staff(Model):
    class Meta:
        table_name = "staff"


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("cafcass_step", "before_step", CharField(default="")),
        migrator.add_column("cafcass_step", "level", CharField(default="")),
        migrator.add_column("cafcass_step", "with_staff_id", ForeignKeyField(Staff, null=True, field=Staff.id,
                                                                             backref="+", on_delete="RESTRICT")),
        migrator.add_column("cafcass_step", "held_at", _UTC(null=True)),
    )
