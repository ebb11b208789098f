"""Adopting an authority's data: a child's lead team and closure, and one-time set-up codes.

- ``child.lead_team``: the team leading the family's work (a child may have other teams involved);
- ``child.closed_on``: the day the child stopped being open to the service (kept, with its history);
- ``staff.setup_code_hash`` / ``setup_code_until``: a one-time code (scrypt hash, expiry) with which
  a new account chooses its password at first sign-in.
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


class Team(Model):
    class Meta:
        table_name = "team"


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("child", "lead_team_id", ForeignKeyField(Team, null=True, field=Team.id,
                                                                     backref="+", on_delete="RESTRICT")),
        migrator.add_column("child", "closed_on", DateField(null=True)),
        migrator.add_column("staff", "setup_code_hash", CharField(default="")),
        migrator.add_column("staff", "setup_code_until", _UTC(null=True)),
    )
