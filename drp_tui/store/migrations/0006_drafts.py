"""Drafts of the raise form: a draft names the child whose raise form it was typed in."""
from __future__ import annotations

from typing import Any

from peewee import ForeignKeyField, Model


class Child(Model):
    class Meta:
        table_name = "child"


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("draft", "child_id", ForeignKeyField(Child, null=True, field=Child.id,
                                                                 backref="+", on_delete="RESTRICT")),
    )
