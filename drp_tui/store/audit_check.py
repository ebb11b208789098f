"""Checking the audit trail (``drp audit verify``, ``drp check``): loaded when asked for.

``verify`` walks the chain (each event's keyed MAC, the links, the ids and, with
``use_head``, the head file) and names each problem by its kind (``KINDS``);
``content_problems`` recomputes each covered row and compares it with the digest of the
latest event that wrote it; ``check`` does both in one pass over the events. The chain
itself, its key and head files are ``audit``'s.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from drp_tui.store import models as m
from drp_tui.store.audit import (
    COVERED, DELETED_ROW, all_row_digests, event_fields, keyed_link, load_files, read_head, unkeyed_link,
)

# ---------------------------------------------------------------- kinds of problem

EDITED = "edited"
INSERTED = "inserted"
DELETED = "deleted"
REORDERED = "reordered"
TRUNCATED = "truncated"
CONTENT_CHANGED = "content changed"
KEY_MISSING = "key missing"
HEAD_MISSING = "head missing"
KINDS = (EDITED, INSERTED, DELETED, REORDERED, TRUNCATED, CONTENT_CHANGED, KEY_MISSING, HEAD_MISSING)


@dataclass(frozen=True)
class AuditProblem:
    event_id: int  # 0 when the problem is not about one event (key or head file)
    problem: str
    kind: str = EDITED

    def line(self) -> str:
        text = f"{self.kind}: {self.problem}"
        return f"event {self.event_id}: {text}" if self.event_id else text


_BY_TABLE = {model._meta.table_name: model for model in COVERED}


# ---------------------------------------------------------------- checking


def _row_fields(e: m.Event, as_id: int | None = None) -> dict[str, Any]:
    return event_fields(id=e.id if as_id is None else as_id, at=e.at.replace(tzinfo=None), actor=e.actor_id,
                   kind=e.kind, dispute=e.dispute_id, child=e.child_id, summary=e.summary,
                   before=e.before, after=e.after, rows=e.row_digests or "")


@dataclass
class _Walk:
    problems: list[AuditProblem]
    latest: dict[tuple[str, int], tuple[str, int]]  # (table, id) -> (digest, event id)
    count: int
    last: tuple[int, str] | None


def _walk(use_head: bool) -> _Walk:
    f = load_files()
    key = f.key if f else None
    keyed_from = f.keyed_from if f and f.keyed_from is not None else None
    events = list(m.Event.select().order_by(m.Event.id))
    problems: list[AuditProblem] = []
    latest: dict[tuple[str, int], tuple[str, int]] = {}
    if events and key is None:
        where = f.error if f else "no key file configured"
        problems.append(AuditProblem(0, f"{where}: keyed events cannot be checked and the chain can be "
                                        "rewritten; restore the key file from its backup, or create one "
                                        "with: drp audit rekey", KEY_MISSING))

    def authentic(e: m.Event, as_id: int | None = None) -> bool | None:
        eid = e.id if as_id is None else as_id
        fields = _row_fields(e, as_id)
        if keyed_from is not None and eid >= keyed_from:
            return hmac.compare_digest(keyed_link(key, e.prev_hash, fields), e.hash)  # type: ignore[arg-type]
        if key is None and unkeyed_link(e.prev_hash, fields) != e.hash:
            return None  # cannot tell without the key
        return unkeyed_link(e.prev_hash, fields) == e.hash

    by_hash = {e.hash: i for i, e in enumerate(events)}
    by_prev = {e.prev_hash: i for i, e in enumerate(events)}
    head = read_head() if use_head else None
    ok = [authentic(e) for e in events]
    reported: set[int] = set()
    unchecked = 0
    shift_run: int | None = None
    for i, e in enumerate(events):
        prev_e = events[i - 1] if i else None
        expected_prev = prev_e.hash if prev_e else ""
        expected_id = prev_e.id + 1 if prev_e else 1
        if ok[i] is None:
            unchecked += 1
        elif not ok[i]:
            # Was it written under another id (moved)?
            cands = [e.id + s for s in (1, -1, 2, -2, 3, -3)]
            if e.hash in by_prev:
                cands.insert(0, events[by_prev[e.hash]].id - 1)
            if e.prev_hash in by_hash:
                cands.insert(0, events[by_hash[e.prev_hash]].id + 1)
            orig = next((c for c in cands if c != e.id and c > 0 and authentic(e, c)), None)
            if orig is not None:
                other = next((j for j, x in enumerate(events) if x.id == orig), None)
                if other is not None and authentic(events[other], e.id):
                    problems.append(AuditProblem(e.id, f"was written as event {orig} (events {min(orig, e.id)} "
                                                       f"and {max(orig, e.id)} swapped)", REORDERED))
                elif orig - e.id != shift_run:
                    kind = DELETED if orig > e.id else INSERTED
                    what = "an earlier event was deleted" if kind == DELETED else "an event was inserted before it"
                    problems.append(AuditProblem(e.id, f"was written as event {orig}: {what} and the later "
                                                       "events renumbered", kind))
                shift_run = orig - e.id
                reported.add(i)
                continue
            shift_run = None
            if e.hash in by_prev or (head is not None and head.valid and head.event_id == e.id
                                     and head.hash == e.hash):
                problems.append(AuditProblem(e.id, "its content was changed after it was written", EDITED))
            elif i + 1 < len(events) and events[i + 1].prev_hash == e.prev_hash and ok[i + 1]:
                problems.append(AuditProblem(e.id, "it was added without the key: the next event follows "
                                                   "the one before it", INSERTED))
            elif i + 1 == len(events) and (head is None or not head.valid or head.event_id < e.id):
                problems.append(AuditProblem(e.id, "it was added at the end without the key "
                                                   "(it does not carry the key's MAC)", INSERTED))
            else:
                problems.append(AuditProblem(e.id, "its content and hash were changed after it was written "
                                                   "(rewritten without the key)", EDITED))
            reported.add(i)
            continue
        shift_run = None
        if e.prev_hash == expected_prev and e.id == expected_id:
            continue
        if e.id != expected_id:
            problems.append(AuditProblem(e.id, f"events {expected_id}..{e.id - 1} are missing", DELETED))
        elif (i - 1) in reported:
            continue  # the event before it is named already
        elif e.prev_hash in by_hash:
            problems.append(AuditProblem(e.id, f"was written after event {events[by_hash[e.prev_hash]].id}, "
                                               f"now follows event {prev_e.id if prev_e else 0}", REORDERED))
        elif keyed_from is not None and e.id == keyed_from:
            problems.append(AuditProblem(e.id, "the events before the key was created were rewritten "
                                               "(this keyed event no longer follows them)", EDITED))
        else:
            problems.append(AuditProblem(e.id, "does not follow the event before it "
                                               "(an event between them was removed or altered)", DELETED))
        reported.add(i)
    keyed = [i for i, e in enumerate(events) if keyed_from is not None and e.id >= keyed_from]
    if key is not None and len(keyed) > 3 and all(ok[i] is False for i in keyed):
        problems.append(AuditProblem(0, "no event matches the key: the chain was rewritten without it "
                                        "(or the key file belongs to another database)", EDITED))
    if unchecked and key is None:
        problems.append(AuditProblem(0, f"{unchecked} keyed event(s) not checked", KEY_MISSING))
    last = (events[-1].id, events[-1].hash) if events else None
    if use_head and key is not None and keyed:
        if head is None:
            problems.append(AuditProblem(0, f"{f.head_path if f else 'head file'} not found: events cut off "  # noqa: E501
                                            "the end cannot be seen (restore it from its backup)", HEAD_MISSING))
        elif not head.valid:
            problems.append(AuditProblem(0, f"{f.head_path if f else 'head file'} was altered "
                                            "(its MAC does not match the key)", HEAD_MISSING))
        elif last is None or last[0] < head.event_id:
            upto = last[0] if last else 0
            problems.append(AuditProblem(head.event_id, f"events {upto + 1}..{head.event_id} were removed from "
                                                        f"the end (the head file records event {head.event_id})",
                                         TRUNCATED))
    # Digests: the latest event (by id) that wrote each row; only from events that check out.
    for i, e in enumerate(events):
        if e.row_digests and ok[i] is not False:
            try:
                for table, row_id, d in json.loads(e.row_digests):
                    latest[(str(table), int(row_id))] = (str(d), e.id)
            except (ValueError, TypeError):
                continue
    return _Walk(problems, latest, len(events), last)


def check(*, use_head: bool = True) -> tuple[list[AuditProblem], ContentReport]:
    """``verify`` and ``content_problems`` in one pass over the events."""
    walk = _walk(use_head)
    return walk.problems, content_problems(walk.latest)


def verify(*, use_head: bool = True) -> list[AuditProblem]:
    """Check the whole chain (and, with ``use_head``, that its end is where the head file says).
    Empty list = intact."""
    return _walk(use_head).problems


@dataclass(frozen=True)
class ContentReport:
    problems: list[AuditProblem]
    covered: int
    not_covered: int


def content_problems(latest: dict[tuple[str, int], tuple[str, int]] | None = None) -> ContentReport:
    """Each covered row against the digest in the latest event that wrote it."""
    if latest is None:
        latest = _walk(False).latest
    problems: list[AuditProblem] = []
    covered = not_covered = 0
    seen: set[tuple[str, int]] = set()
    for model in COVERED:
        table = model._meta.table_name
        for row_id, digest in all_row_digests(model):
            seen.add((table, row_id))
            rec = latest.get((table, row_id))
            if rec is None:
                not_covered += 1
            elif rec[0] != digest:
                problems.append(AuditProblem(0, f"{table} id {row_id} (after event {rec[1]})", CONTENT_CHANGED))
            else:
                covered += 1
    for (table, row_id), (digest, ev) in sorted(latest.items()):
        if (table, row_id) not in seen and digest != DELETED_ROW and table in _BY_TABLE:
            problems.append(AuditProblem(0, f"{table} id {row_id} deleted (after event {ev})", CONTENT_CHANGED))
    return ContentReport(problems, covered, not_covered)
