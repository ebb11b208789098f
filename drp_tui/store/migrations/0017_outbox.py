"""E-mail notifications: the outbox ``drp notify`` sends from.

- ``mail_outbox``: one row per e-mail to one person about one event (``event``, e.g.
  ``remind:12:2:2026-12-04``), unique on ``(event, recipient)`` so that queueing the same
  event again does nothing; its state (pending, sending under a run's ``claim``, sent,
  failed), attempts and the next try (back-off), and the kind of the last failure.
"""
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


class MailOutbox(Model):
    event = CharField()
    kind = CharField()
    recipient = ForeignKeyField(Staff, field=Staff.id, backref="+", on_delete="RESTRICT")
    cc = CharField(default="")
    dispute = ForeignKeyField(Dispute, null=True, field=Dispute.id, backref="+", on_delete="RESTRICT")
    subject = TextField()
    body = TextField()
    state = CharField(default="pending", index=True)
    attempts = IntegerField(default=0)
    next_try_at = _UTC()
    claim = CharField(null=True)
    claimed_at = _UTC(null=True)
    sent_at = _UTC(null=True)
    last_error = TextField(default="")
    created_at = _UTC()

    class Meta:
        table_name = "mail_outbox"
        indexes = ((("event", "recipient"), True),)


def up(migrator: Any, db: Any) -> None:
    with db.bind_ctx([Staff, Dispute, MailOutbox]):
        db.create_tables([MailOutbox])
