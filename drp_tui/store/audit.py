"""The audit trail: append-only events, chained by a keyed MAC, anchored outside the database.

- Each event's ``hash`` is HMAC-SHA256, with a secret key kept in a file outside the
  database (the *key file*), over the previous event's hash and this event's own
  fields; so editing, inserting or reordering events, or rewriting the whole chain,
  cannot be done by someone who can write the database but cannot read the key.
  Events written before the key existed (``from`` in the key file) are chained with
  plain SHA-256 and anchored by the first keyed event, which chains onto them.
- The *head file* next to the key holds the last event's id and hash (with a MAC),
  replaced atomically after each commit that appends events; events cut off the end
  of the chain (truncation) leave the database behind the head file.
- Each event also records a digest (SHA-256 of canonical JSON) of every covered row
  that its change left (``row_digests``): ``audit_check.content_problems`` recomputes each
  covered row and compares it with the digest of the latest event that wrote it. Rows are
  noticed automatically when saved or deleted through the models (``models.note_write``).

This module writes the trail. Checking it is ``audit_check``'s (``verify``, ``check``: each
problem named by its kind), and a child's access record is ``access_log``'s: both are
loaded when asked for, never at the desk's start. There is no update or delete path
for events anywhere in the code (a test greps for one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from peewee import Field, PostgresqlDatabase

from drp_tui.store import models as m

KEY_MAGIC = "drp-audit-key 1"
READ_KIND = "read"
EXPORT_KIND = "export"  # a child's record written out of the database (a bundle, a case note): an access too


# ---------------------------------------------------------------- canonical forms


def _canonical(ev: dict[str, Any]) -> str:
    return json.dumps(ev, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def event_fields(*, id: int, at: datetime, actor: int | None, kind: str, dispute: int | None,
                 child: int | None, summary: str, before: str, after: str, rows: str = "") -> dict[str, Any]:
    """An event's fields as its link covers them."""
    out = {
        "id": id, "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f"), "actor": actor, "kind": kind,
        "dispute": dispute, "child": child, "summary": summary, "before": before, "after": after,
    }
    if rows:  # events written before row digests existed keep their original form
        out["rows"] = rows
    return out


def unkeyed_link(prev: str, fields: dict[str, Any]) -> str:
    """The unkeyed link (events written before the key existed)."""
    return hashlib.sha256((prev + "\n" + _canonical(fields)).encode("utf-8")).hexdigest()


def keyed_link(key: bytes, prev: str, fields: dict[str, Any]) -> str:
    """The keyed link (HMAC-SHA256 with the key file's secret)."""
    return hmac.new(key, (prev + "\n" + _canonical(fields)).encode("utf-8"), hashlib.sha256).hexdigest()


def to_json(value: Any) -> str:
    if value in (None, "", {}):
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- covered rows

# Tables whose rows are digested, and the bookkeeping columns left out (they change
# without a recorded action: derived clocks, sign-in counters).
COVERED: dict[type[m.BaseModel], tuple[str, ...]] = {
    m.Team: (), m.Staff: ("failed_logins", "locked_until", "last_sign_in_at", "last_failed_at"), m.TeamRole: (),
    m.SiblingGroup: (),
    m.Child: (), m.Dispute: ("next_due_at", "next_due_kind", "responder", "paused"),
    m.StageRecord: (), m.StageResponse: (), m.Action: (), m.Conversation: (), m.MonitoringMeeting: (), m.CafcassStep: (),
    m.Approval: (), m.Compliment: (), m.Meeting: (), m.RetentionHold: (), m.Disposal: (),
}
DELETED_ROW = "deleted"


def _covered_fields(model: type[m.BaseModel]) -> list[Field]:
    return [f for f in model._meta.sorted_fields if f.name not in COVERED[model]]


# Columns added after rows were already digested, left out of a row's digest while they
# still hold their empty default: a row written before the column existed digests as it
# did then (and the change that fills the column is an audited event like any other).
# The pinned procedure itself (policy_snapshot) is content-addressed by its own SHA-256.
_LATER_COLUMNS = {"dispute": ("policy_digest", "facts")}


def _row_digest(model: type[m.BaseModel], values: tuple[Any, ...]) -> str:
    data = {f.column_name: v for f, v in zip(_covered_fields(model), values, strict=True)}
    for column in _LATER_COLUMNS.get(model._meta.table_name, ()):
        if data.get(column) == "":
            del data[column]
    return hashlib.sha256(_canonical(data).encode("utf-8")).hexdigest()


def row_digest(model: type[m.BaseModel], row_id: int) -> str | None:
    """The digest of a covered row as it is in the database now (None if it is gone)."""
    fields = _covered_fields(model)
    values = model.select(*fields).where(model._meta.primary_key == row_id).tuples().first()
    return None if values is None else _row_digest(model, tuple(values))


def all_row_digests(model: type[m.BaseModel]) -> Iterator[tuple[int, str]]:
    fields = _covered_fields(model)
    pk = model._meta.primary_key
    for values in model.select(pk, *fields).order_by(pk).tuples().iterator():
        yield int(values[0]), _row_digest(model, tuple(values[1:]))


# ---------------------------------------------------------------- key and head files


@dataclass
class _Files:
    key_path: Path
    head_path: Path
    shared_group: str | None = None
    key: bytes | None = None
    keyed_from: int | None = None
    loaded: bool = False
    error: str = ""


_files: _Files | None = None
_files_lock = threading.RLock()


def default_key_path(target: str) -> Path:
    """``<db>.key`` next to a SQLite file; for a server database, a file in the user config folder."""
    from drp_tui.store.db import sqlite_path

    path = sqlite_path(target)
    if path is not None:
        return Path(f"{path}.key")
    import platformdirs

    where = target.split("@", 1)[-1]  # never the password
    tag = hashlib.sha256(where.encode("utf-8")).hexdigest()[:12]
    return Path(platformdirs.user_config_dir("drp-tui", appauthor=False)) / f"audit-{tag}.key"


def head_path_for(key_path: Path) -> Path:
    return key_path.with_suffix(".head") if key_path.suffix == ".key" else Path(f"{key_path}.head")


def configure(target: str, key_path: str | Path | None = None, shared_group: str | None = None) -> None:
    """Say where the key and head files of the database ``target`` are (called on open)."""
    global _files
    kp = Path(key_path).expanduser() if key_path else default_key_path(target)
    with _files_lock:
        _files = _Files(kp, head_path_for(kp), shared_group)
    m.take_writes()  # rows noted against another database mean nothing here
    _txn.state = None


def files() -> tuple[Path, Path] | None:
    return (_files.key_path, _files.head_path) if _files else None


def load_files() -> _Files | None:
    """The configured key and head files, the key file read once (None before ``configure``)."""
    with _files_lock:
        f = _files
        if f is None or f.loaded:
            return f
        f.loaded = True
        try:
            text = f.key_path.read_text(encoding="ascii")
        except FileNotFoundError:
            f.error = f"{f.key_path} not found"
            return f
        except (OSError, UnicodeDecodeError) as exc:
            f.error = f"{f.key_path} cannot be read ({type(exc).__name__})"
            return f
        lines = dict(line.split(" ", 1) for line in text.splitlines()[1:] if " " in line)
        try:
            if not text.startswith(KEY_MAGIC):
                raise ValueError
            f.key = bytes.fromhex(lines["key"].strip())
            f.keyed_from = int(lines["from"].strip())
            if len(f.key) < 32 or f.keyed_from < 1:
                raise ValueError
        except (KeyError, ValueError):
            f.key, f.keyed_from = None, None
            f.error = f"{f.key_path} is not a drp audit key file"
        return f


def key_state() -> tuple[bool, str]:
    """(key usable, what to say) for ``drp check``."""
    f = load_files()
    if f is None:
        return False, "no key file configured"
    if f.key is None:
        return False, f.error
    return True, f"{f.key_path} (chain keyed from event {f.keyed_from})"


def _private_mode(shared_group: str | None, *, group_writes: bool) -> int:
    if not shared_group:
        return 0o600
    return 0o660 if group_writes else 0o640


def _chgrp(fd: int, shared_group: str | None) -> None:
    if shared_group:
        import grp

        os.fchown(fd, -1, grp.getgrnam(shared_group).gr_gid)


def create_key(*, shared_group: str | None = None, now: datetime | None = None) -> tuple[Path, bool]:
    """Create the key file if there is none. Returns (path, created).

    On a database that already has events, the key covers the events from the next
    one on: an ``audit_key_created`` event is appended at once, keyed, and chains
    onto (so anchors) the events before it.
    """
    f = _files
    if f is None:
        raise RuntimeError("audit.configure() was not called")
    group = shared_group if shared_group is not None else f.shared_group
    if f.key_path.exists():
        return f.key_path, False
    last = m.Event.select(m.Event.id).order_by(m.Event.id.desc()).first()
    keyed_from = (last.id if last else 0) + 1
    f.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o770 if group else 0o700)
    mode = _private_mode(group, group_writes=False)
    text = f"{KEY_MAGIC}\nkey {os.urandom(32).hex()}\nfrom {keyed_from}\n"
    fd = os.open(f.key_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    try:
        os.fchmod(fd, mode)
        _chgrp(fd, group)
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    with _files_lock:
        f.loaded = False
    if last is not None:
        from drp_tui.store.db import write_txn

        with write_txn():
            append(now or datetime.now(timezone.utc), None, "audit_key_created",
                   f"Audit key created: events from {keyed_from} on are keyed")
    else:
        write_head(force=True)
    return f.key_path, True


@dataclass(frozen=True)
class Head:
    event_id: int
    hash: str
    valid: bool  # its MAC matches the key


def _head_mac(key: bytes, event_id: int, h: str) -> str:
    return hmac.new(key, f"head\n{event_id}\n{h}".encode("ascii"), hashlib.sha256).hexdigest()


def read_head() -> Head | None:
    f = load_files()
    if f is None:
        return None
    try:
        data = json.loads(f.head_path.read_text(encoding="ascii"))
        event_id, h, mac = int(data["event"]), str(data["hash"]), str(data["mac"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return Head(0, "", False)
    ok = f.key is not None and hmac.compare_digest(mac, _head_mac(f.key, event_id, h))
    return Head(event_id, h, ok)


@contextmanager
def _head_locked(f: _Files) -> Iterator[None]:
    """Writers of the head file take turns on a lock of the key file (never replaced)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - POSIX only
        yield
        return
    try:
        fd = os.open(f.key_path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def write_head(*, force: bool = False, event_id: int | None = None, h: str | None = None) -> bool:
    """Record the chain's head (the last event, or the one given) in the head file.

    The head only moves forward (two sessions committing one after the other may
    finish in either order) unless ``force`` (a restore). Never raises: a head file
    that cannot be written shows up in ``drp check``, never as a failed action.
    """
    f = load_files()
    if f is None or f.key is None:
        return False
    if event_id is None or h is None:
        last = m.Event.select(m.Event.id, m.Event.hash).order_by(m.Event.id.desc()).first()
        if last is None:
            event_id, h = 0, ""
        else:
            event_id, h = last.id, last.hash
    try:
        with _head_locked(f):
            if not force:
                cur = read_head()
                if cur is not None and cur.valid and cur.event_id >= event_id:
                    return False
            data = json.dumps({"event": event_id, "hash": h, "mac": _head_mac(f.key, event_id, h)})
            tmp = f.head_path.with_name(f".{f.head_path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
            mode = _private_mode(f.shared_group, group_writes=True)
            fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, mode)
            try:
                os.fchmod(fd, mode)
                if f.shared_group:
                    _chgrp(fd, f.shared_group)
                os.write(fd, data.encode("ascii"))
            finally:
                os.close(fd)
            os.replace(tmp, f.head_path)
        return True
    except (OSError, KeyError):
        return False


# ---------------------------------------------------------------- writing events


_txn = threading.local()  # per thread: the events of the open transaction, not yet inserted


def _state() -> dict[str, Any]:
    st: dict[str, Any] | None = getattr(_txn, "state", None)
    if st is None:
        st = _txn.state = {"events": [], "head": None}
    return st


DIGEST_BATCH = 500  # rows read per query when digesting what a transaction wrote


def _written_digests() -> dict[tuple[str, int], str]:
    """Digests of the covered rows written (through the models) since last asked
    (read back in batches: an import writes tens of thousands of rows in one transaction)."""
    out: dict[tuple[str, int], str] = {}
    by_model: dict[type[m.BaseModel], dict[int, bool]] = {}
    for (model, row_id), deleted in m.take_writes().items():
        if model not in COVERED or not isinstance(row_id, int):
            continue
        by_model.setdefault(model, {})[row_id] = deleted
    for model, rows in by_model.items():
        fields = _covered_fields(model)
        pk = model._meta.primary_key
        ids = list(rows)
        found: dict[int, str] = {}
        for i in range(0, len(ids), DIGEST_BATCH):
            batch: Any = model.select(pk, *fields).where(pk.in_(ids[i:i + DIGEST_BATCH])).tuples()
            for values in batch:
                found[int(values[0])] = _row_digest(model, tuple(values[1:]))
        for row_id in ids:
            d = found.get(row_id)
            if d is None and not rows[row_id]:
                continue  # rolled back meanwhile
            out[(model._meta.table_name, row_id)] = d or DELETED_ROW
    return out


def append(at: datetime, actor_id: int | None, kind: str, summary: str, *,
           dispute_id: int | None = None, child_id: int | None = None,
           before: Any = None, after: Any = None) -> m.Event:
    """Append one event. Call inside the write transaction of the change it records.

    Inside a transaction the event is inserted just before the commit (``flush``), so
    that the last event of the transaction can carry the digests of every row the
    transaction left, whatever order a service saves rows and records its event in;
    the returned event then has no id yet. Outside one it is inserted (and committed) at once.
    """
    for name, value in (("actor", actor_id), ("dispute", dispute_id), ("child", child_id)):
        # The hash covers these exactly as given; the row stores them as integers. Anything
        # else (True, "1", 1.0) would be stored as 1 and never verify again.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"audit.append: {name} id must be an int, not {type(value).__name__}")
    at = at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
    args = {"at": at, "actor_id": actor_id, "kind": kind, "summary": summary, "dispute_id": dispute_id,
            "child_id": child_id, "before": to_json(before), "after": to_json(after)}
    _state()["events"].append(args)
    if not m.database.obj.in_transaction():  # autocommit: write it now
        ev = flush()[-1]
        after_commit()
        return ev
    return m.Event(at=at, actor=actor_id, kind=kind, dispute=dispute_id, child=child_id, summary=summary,
                   before=args["before"], after=args["after"])


def flush() -> list[m.Event]:
    """Insert the events appended so far in this transaction; the last one gets the row digests."""
    st = _state()
    pending: list[dict[str, Any]] = st["events"]
    if not pending:
        return []
    db = m.database.obj
    if isinstance(db, PostgresqlDatabase):  # SQLite is serialised by BEGIN IMMEDIATE already
        db.execute_sql('LOCK TABLE "event" IN SHARE ROW EXCLUSIVE MODE')
    digests = _written_digests()
    if len(pending) == 1:
        out = [_insert(**pending[0], digests=digests)]
    else:
        out = _insert_many(pending, digests)
    st["events"] = []
    st["head"] = (out[-1].id, out[-1].hash)
    return out


def mark() -> int:
    """How many events this transaction has appended (a savepoint's starting point)."""
    return len(_state()["events"])


def rollback_to(n: int) -> None:
    """A savepoint rolled back: forget the events appended inside it."""
    del _state()["events"][n:]


def _insert(at: datetime, actor_id: int | None, kind: str, summary: str, *, dispute_id: int | None,
            child_id: int | None, before: str, after: str, digests: dict[tuple[str, int], str]) -> m.Event:
    last = m.Event.select(m.Event.id, m.Event.hash).order_by(m.Event.id.desc()).first()
    prev = last.hash if last else ""
    new_id = (last.id if last else 0) + 1
    rows = json.dumps(sorted([t, i, d] for (t, i), d in digests.items()), separators=(",", ":")) if digests else ""
    fields = event_fields(id=new_id, at=at.replace(tzinfo=None), actor=actor_id, kind=kind, dispute=dispute_id,
                     child=child_id, summary=summary, before=before, after=after, rows=rows)
    f = load_files()
    keyed = f is not None and f.key is not None and f.keyed_from is not None and new_id >= f.keyed_from
    digest = keyed_link(f.key, prev, fields) if keyed else unkeyed_link(prev, fields)  # type: ignore[arg-type]
    # One INSERT, never an UPDATE: the id is fixed inside the (serialised) write transaction.
    return m.Event.create(id=new_id, at=at, actor=actor_id, kind=kind, dispute=dispute_id,
                          child=child_id, summary=summary, before=before, after=after,
                          prev_hash=prev, hash=digest, row_digests=rows)


def _insert_many(pending: list[dict[str, Any]], digests: dict[tuple[str, int], str]) -> list[m.Event]:
    """The events of one transaction, chained in order exactly as ``_insert`` would one by one
    (the last carries the row digests), written with a few multi-row INSERTs."""
    last = m.Event.select(m.Event.id, m.Event.hash).order_by(m.Event.id.desc()).first()
    prev = last.hash if last else ""
    next_id = (last.id if last else 0) + 1
    f = load_files()
    out: list[m.Event] = []
    for k, args in enumerate(pending):
        mine = digests if k == len(pending) - 1 else {}
        rows = json.dumps(sorted([t, i, d] for (t, i), d in mine.items()), separators=(",", ":")) if mine else ""
        at = args["at"]
        fields = event_fields(id=next_id, at=at.replace(tzinfo=None), actor=args["actor_id"], kind=args["kind"],
                         dispute=args["dispute_id"], child=args["child_id"], summary=args["summary"],
                         before=args["before"], after=args["after"], rows=rows)
        keyed = f is not None and f.key is not None and f.keyed_from is not None and next_id >= f.keyed_from
        digest = keyed_link(f.key, prev, fields) if keyed else unkeyed_link(prev, fields)  # type: ignore[arg-type]
        out.append(m.Event(id=next_id, at=at, actor=args["actor_id"], kind=args["kind"],
                           dispute=args["dispute_id"], child=args["child_id"], summary=args["summary"],
                           before=args["before"], after=args["after"], prev_hash=prev, hash=digest,
                           row_digests=rows))
        prev, next_id = digest, next_id + 1
    columns = [m.Event.id, m.Event.at, m.Event.actor, m.Event.kind, m.Event.dispute, m.Event.child,
               m.Event.summary, m.Event.before, m.Event.after, m.Event.prev_hash, m.Event.hash, m.Event.row_digests]
    # INSERTs only, never an UPDATE: the ids are fixed inside the (serialised) write transaction.
    m.bulk_insert(m.Event, columns, [tuple(e.__data__.get(c.name) for c in columns) for e in out])
    return out


def before_commit() -> None:
    """Insert the transaction's events (rows written without any event stay uncovered)."""
    flush()
    m.take_writes()


def after_commit() -> None:
    st = _state()
    head = st["head"]
    _txn.state = None
    if head is not None:
        write_head(event_id=head[0], h=head[1])


def after_rollback() -> None:
    m.take_writes()
    _txn.state = None


# ---------------------------------------------------------------- reads


def record_read(at: datetime, actor_id: int | None, view: str, *, dispute_id: int | None = None,
                reference: str = "", child_id: int | None = None, what: str = "") -> m.Event:
    """One ``read`` event: who opened which view of what (ids and references only)."""
    target = (f"dispute {reference or dispute_id}" if dispute_id is not None
              else f"child {child_id}" if child_id is not None else what)
    summary = f"Opened {view}" + (f": {target}" if target else "")
    ev = append(at, actor_id, READ_KIND, summary, dispute_id=dispute_id, child_id=child_id, after={"view": view})
    return flush()[-1] if ev.id is None else ev


def digests(event_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each event's (previous digest, digest) in the chain, by id (for an evidence bundle)."""
    out: dict[int, tuple[str, str]] = {}
    ids = sorted(set(event_ids))
    for i in range(0, len(ids), DIGEST_BATCH):
        for e in m.Event.select(m.Event.id, m.Event.prev_hash, m.Event.hash).where(
                m.Event.id.in_(ids[i:i + DIGEST_BATCH])):
            out[e.id] = (e.prev_hash, e.hash)
    return out


def summary() -> tuple[int, tuple[int, str] | None]:
    """(number of events, (last id, last hash) or None)."""
    n = m.Event.select().count()
    last = m.Event.select(m.Event.id, m.Event.hash).order_by(m.Event.id.desc()).first()
    return n, ((last.id, last.hash) if last else None)
