"""The audit trail: tampering with the file is named by ``audit_check.verify``; no code path edits events."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.store import audit, audit_check
from drp_tui.services import disputes as ds
from drp_tui.services.context import Ctx
from drp_tui.services.errors import PermissionDenied
from drp_tui.store import backup as bk
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from drp_tui.store.models import database
from tests.conftest import FROZEN_NOW
from tests.factories import make_world

PACKAGE = Path(__file__).resolve().parents[2] / "drp_tui"


@dataclass(frozen=True)
class Trail:
    path: Path
    ids: list[int]  # event ids, in order
    dispute_id: int
    other_chair_id: int
    ctx: Ctx


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, int]]:
    """Built once: a world, and a dispute raised, edited three times and sent."""
    path = tmp_path_factory.mktemp("audit") / "template.db"
    open_database(str(path))
    audit.create_key()
    world = make_world(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
    ctx = world.ctx()
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
        concern="The care plan is out of date."))
    version = m.Dispute.get_by_id(did).version
    for i in range(3):
        version = ds.update_draft(ctx, did, version, {"concern": f"Edit number {i}", "impact": f"Impact {i}"})
    ds.send(ctx, did, version=version)
    close_database()
    yield path, did, world.other_chair.id


@pytest.fixture
def trail(template: tuple[Path, int, int], tmp_path: Path) -> Iterator[Trail]:
    """A private copy of the template, opened."""
    src, did, other = template
    path = tmp_path / "drp.db"
    shutil.copyfile(src, path)
    os.chmod(path, 0o600)
    for suffix in (".key", ".head"):  # the template's audit key and head file go with it
        shutil.copyfile(f"{src}{suffix}", f"{path}{suffix}")
    open_database(str(path))
    ids = [e.id for e in m.Event.select(m.Event.id).order_by(m.Event.id)]
    assert len(ids) >= 5
    policy = load_builtin("mosaic-iro")
    yield Trail(path, ids, did, other, Ctx(other, policy, WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW)))
    close_database()


def tamper(db_path: Path, sql: str, *params: object) -> None:
    """Change the file behind the application's back, as someone with sqlite3 would."""
    con = sqlite3.connect(db_path)
    with con:
        con.execute(sql, params)
    con.close()


def named(problems: list[audit_check.AuditProblem]) -> set[int]:
    return {p.event_id for p in problems}


def test_an_untouched_trail_verifies(trail: Trail) -> None:
    assert audit_check.verify() == []
    rows = list(m.Event.select().order_by(m.Event.id))
    assert all(len(e.hash) == 64 for e in rows)
    assert rows[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))


@pytest.mark.parametrize(("column", "value"), [
    ("summary", "Nothing to see here"),
    ("before", '{"concern": "forged"}'),
    ("after", '{"concern": "forged"}'),
    ("kind", "viewed"),
    ("at", "2020-01-01 09:00:00"),
    ("actor_id", None),
    ("dispute_id", None),
    ("child_id", None),
])
def test_editing_any_field_of_an_event_names_that_event(trail: Trail,
                                                        column: str, value: object) -> None:
    target = trail.ids[2]
    tamper(trail.path, f'UPDATE event SET "{column}" = ? WHERE id = ?', value, target)
    problems = audit_check.verify()
    assert named(problems) == {target}
    assert "changed" in problems[0].problem


def test_editing_the_summary_is_named_by_drp_audit_verify_lines(trail: Trail) -> None:
    tamper(trail.path, "UPDATE event SET summary = summary || ' (amended)' WHERE id = ?", trail.ids[1])
    lines = [line for line in bk.audit_lines(database.obj) if not line.ok]
    assert lines
    assert [line.detail.split(":")[0] for line in lines] == [f"event {trail.ids[1]}"]
    assert lines[0].detail.startswith(f"event {trail.ids[1]}: edited: ")


def test_deleting_a_middle_event_is_named(trail: Trail) -> None:
    gone = trail.ids[2]
    tamper(trail.path, "DELETE FROM event WHERE id = ?", gone)
    problems = audit_check.verify()
    assert named(problems) == {gone + 1}
    text = " ".join(p.problem for p in problems)
    assert f"{gone}..{gone}" in text and "missing" in text


def test_deleting_and_renumbering_is_still_named(trail: Trail) -> None:
    gone = trail.ids[1]
    tamper(trail.path, "DELETE FROM event WHERE id = ?", gone)
    tamper(trail.path, "UPDATE event SET id = id - 1 WHERE id > ?", gone)
    assert gone in named(audit_check.verify())


def test_rehashing_the_edited_row_without_the_key_is_named(trail: Trail) -> None:
    """A forger who recomputes the edited row's own hash (no key: plain SHA-256) is caught by the MAC."""
    target = trail.ids[2]
    tamper(trail.path, "UPDATE event SET summary = 'forged' WHERE id = ?", target)
    e = m.Event.get_by_id(target)
    forged = audit.unkeyed_link(e.prev_hash, audit_check._row_fields(e))
    tamper(trail.path, "UPDATE event SET hash = ? WHERE id = ?", forged, target)
    problems = audit_check.verify()
    assert named(problems) == {target}
    assert problems[0].kind == audit_check.EDITED and "rewritten without the key" in problems[0].problem


def test_swapping_two_events_is_named(trail: Trail) -> None:
    a, b = trail.ids[0], trail.ids[-1]  # "raised" and "sent": different content
    con = sqlite3.connect(trail.path)
    with con:
        ra = con.execute("SELECT summary, kind FROM event WHERE id = ?", (a,)).fetchone()
        rb = con.execute("SELECT summary, kind FROM event WHERE id = ?", (b,)).fetchone()
        con.execute("UPDATE event SET summary = ?, kind = ? WHERE id = ?", (*rb, a))
        con.execute("UPDATE event SET summary = ?, kind = ? WHERE id = ?", (*ra, b))
    con.close()
    assert {a, b} <= named(audit_check.verify())


def test_a_forged_event_appended_by_hand_is_named(trail: Trail) -> None:
    last = m.Event.get_by_id(trail.ids[-1])
    tamper(trail.path, "INSERT INTO event (id, at, actor_id, kind, summary, before, after, prev_hash, hash,"
                    " row_digests) VALUES (?, '2026-11-23 10:00:00', NULL, 'note', 'forged', '', '', ?, 'x', '')",
           last.id + 1, last.hash)
    assert named(audit_check.verify()) == {last.id + 1}


def test_a_cut_off_tail_is_named_from_the_head_file(trail: Trail) -> None:
    """Removing events from the end leaves a valid chain, but not the head file's last event."""
    before = bk.audit_lines(database.obj)[0]
    assert before.ok and f"last: event {trail.ids[-1]}" in before.detail
    tamper(trail.path, "DELETE FROM event WHERE id = ?", trail.ids[-1])
    problems = audit_check.verify()
    assert [(p.event_id, p.kind) for p in problems] == [(trail.ids[-1], audit_check.TRUNCATED)]
    assert audit_check.verify(use_head=False) == []  # the chain alone cannot tell


def test_a_refused_action_is_chained_too(trail: Trail) -> None:
    with pytest.raises(PermissionDenied):
        ds.update_draft(trail.ctx, trail.dispute_id, None, {"concern": "not mine"})
    assert m.Event.select().order_by(m.Event.id.desc()).first().kind == "refused"
    assert audit_check.verify() == []


# ---------------------------------------------------------------- append-only: no code path edits events

Q = r"(?:\\?[\"'`])?"  # an optional quote (maybe escaped) around a table name
FORBIDDEN = [
    (re.compile(r"\bEvent\s*\.\s*(update|delete|delete_by_id|set_by_id|replace|replace_many|bulk_update"
                r"|truncate_table|drop_table)\s*\("), "a peewee update/delete of Event"),
    (re.compile(r"\b\w*(event|evt|ev)\w*\s*\.\s*(delete_instance|save)\s*\(", re.I), "delete_instance/save on an event"),
    (re.compile(rf"\bUPDATE\s+(OR\s+\w+\s+)?{Q}event{Q}\s", re.I), "raw UPDATE event"),
    (re.compile(rf"\bDELETE\s+FROM\s+{Q}event\b", re.I), "raw DELETE FROM event"),
    (re.compile(rf"\b(REPLACE|INSERT\s+OR\s+REPLACE)\s+INTO\s+{Q}event\b", re.I), "raw REPLACE INTO event"),
    (re.compile(rf"\bDROP\s+TABLE\s+(IF\s+EXISTS\s+)?{Q}event\b", re.I), "raw DROP TABLE event"),
]


def offences(text: str) -> list[str]:
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        for pattern, what in FORBIDDEN:
            if pattern.search(code):
                found.append(f"{lineno}: {what}: {line.strip()}")
    return found


@pytest.mark.parametrize("snippet", [
    "m.Event.update(summary='x').where(m.Event.id == 3).execute()",
    "Event.delete().where(Event.id == 1).execute()",
    "ev.delete_instance()",
    "event.save()",
    "db.execute_sql('UPDATE event SET summary = ? WHERE id = ?', (s, i))",
    'cur.execute("update \\"event\\" set hash = 1")',
    "db.execute_sql('DELETE FROM event WHERE id = 4')",
    "db.execute_sql('INSERT OR REPLACE INTO event VALUES (1)')",
    "m.Event.replace(id=1, summary='x').execute()",
])
def test_the_scan_recognises_an_edit_path(snippet: str) -> None:
    assert offences(snippet), snippet


@pytest.mark.parametrize("snippet", [
    "m.Event.create(id=new_id, summary=summary)",
    "m.Event.select().where(m.Event.dispute == d.id)",
    "m.Dispute.update(next_due_at=None).where(m.Dispute.id == d.id).execute()",
    "migrator.add_column('event', 'hash', CharField(default=''))",
    "d.save()",
])
def test_the_scan_lets_ordinary_code_through(snippet: str) -> None:
    assert not offences(snippet), snippet


def test_no_code_path_updates_or_deletes_events() -> None:
    found = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        for hit in offences(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{hit}")
    assert not found, "events are append-only; these lines change or remove them:\n" + "\n".join(found)
