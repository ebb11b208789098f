"""Audit trail: each event records digests of the rows its change left (``event.row_digests``)."""
from __future__ import annotations

from typing import Any

from peewee import TextField


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("event", "row_digests", TextField(default="")),
    )
