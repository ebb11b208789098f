"""Disputes keep their procedure: profile snapshots, and the digest each dispute is pinned to.

Existing disputes get ``policy_digest = ""`` here. Which content they resolve to today
depends on the installation's configured profile, which a schema migration cannot know
(it runs wherever the database is opened, config or not), so they are pinned at the
first open that knows it: ``services.pinning.pin_unpinned`` (called by
``bootstrap.load_setup``), one audited event per dispute.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from peewee import CharField, DateTimeField, IntegerField, Model, TextField


class _UTC(DateTimeField):
    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)


class PolicySnapshot(Model):
    digest = CharField(unique=True)
    key = CharField()
    version = IntegerField()
    content = TextField()
    first_seen_at = _UTC()

    class Meta:
        table_name = "policy_snapshot"


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("dispute", "policy_digest", CharField(default="")),
        migrator.add_index("dispute", ("policy_digest",), False),
    )
    with db.bind_ctx([PolicySnapshot]):
        db.create_tables([PolicySnapshot])
