"""Disputes brought in from an authority's old tracker: the reference they had there.

- ``dispute.imported_ref``: the old tracker's reference (unique; NULL for a dispute raised in
  the desk). ``drp import disputes`` upserts by it, so importing the same file again
  changes nothing.
"""
from __future__ import annotations

from typing import Any

from peewee import CharField


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("dispute", "imported_ref", CharField(null=True)),
        migrator.add_index("dispute", ("imported_ref",), True),
    )
