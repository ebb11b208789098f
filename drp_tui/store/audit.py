"""The audit trail: append-only events, chained by hash.

Each event's ``hash`` is SHA-256 over the previous event's hash and this
event's own fields, so editing or deleting any row breaks the chain from that
row on; ``verify`` names the first row that does not fit. There is no update
or delete path for events anywhere in the code (a test greps for one).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from peewee import PostgresqlDatabase

from drp_tui.store import models as m


def _canonical(ev: dict[str, Any]) -> str:
    return json.dumps(ev, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def _fields(*, id: int, at: datetime, actor: int | None, kind: str, dispute: int | None,
            child: int | None, summary: str, before: str, after: str) -> dict[str, Any]:
    return {
        "id": id, "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f"), "actor": actor, "kind": kind,
        "dispute": dispute, "child": child, "summary": summary, "before": before, "after": after,
    }


def _digest(prev: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev + "\n" + _canonical(fields)).encode("utf-8")).hexdigest()


def to_json(value: Any) -> str:
    if value in (None, "", {}):
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def append(at: datetime, actor_id: int | None, kind: str, summary: str, *,
           dispute_id: int | None = None, child_id: int | None = None,
           before: Any = None, after: Any = None) -> m.Event:
    """Append one event. Call inside the write transaction of the change it records."""
    for name, value in (("actor", actor_id), ("dispute", dispute_id), ("child", child_id)):
        # The hash covers these exactly as given; the row stores them as integers. Anything
        # else (True, "1", 1.0) would be stored as 1 and never verify again.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"audit.append: {name} id must be an int, not {type(value).__name__}")
    db = m.database.obj
    if isinstance(db, PostgresqlDatabase):  # SQLite is serialised by BEGIN IMMEDIATE already
        db.execute_sql('LOCK TABLE "event" IN SHARE ROW EXCLUSIVE MODE')
    last = m.Event.select(m.Event.id, m.Event.hash).order_by(m.Event.id.desc()).first()
    prev = last.hash if last else ""
    new_id = (last.id if last else 0) + 1
    at = at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
    before_s, after_s = to_json(before), to_json(after)
    digest = _digest(prev, _fields(id=new_id, at=at.replace(tzinfo=None), actor=actor_id, kind=kind,
                                   dispute=dispute_id, child=child_id, summary=summary,
                                   before=before_s, after=after_s))
    # One INSERT, never an UPDATE: the id is fixed inside the (serialised) write transaction.
    return m.Event.create(id=new_id, at=at, actor=actor_id, kind=kind, dispute=dispute_id,
                          child=child_id, summary=summary, before=before_s, after=after_s,
                          prev_hash=prev, hash=digest)


def _row_fields(e: m.Event) -> dict[str, Any]:
    return _fields(id=e.id, at=e.at.replace(tzinfo=None), actor=e.actor_id, kind=e.kind,
                   dispute=e.dispute_id, child=e.child_id, summary=e.summary,
                   before=e.before, after=e.after)


@dataclass(frozen=True)
class AuditProblem:
    event_id: int
    problem: str


def verify() -> list[AuditProblem]:
    """Check the whole chain. Empty list = intact."""
    problems: list[AuditProblem] = []
    prev = ""
    expected_id: int | None = None
    for e in m.Event.select().order_by(m.Event.id).iterator():
        if expected_id is not None and e.id != expected_id:
            problems.append(AuditProblem(e.id, f"events {expected_id}..{e.id - 1} are missing (deleted)"))
        if e.prev_hash != prev:
            problems.append(AuditProblem(e.id, "does not follow the event before it (a row was removed or altered)"))
        if _digest(e.prev_hash, _row_fields(e)) != e.hash:
            problems.append(AuditProblem(e.id, "its content was changed after it was written"))
        prev = e.hash
        expected_id = e.id + 1
    return problems
