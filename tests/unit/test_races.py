"""No update is lost: two processes saving the same dispute at the same moment, on SQLite
and on PostgreSQL. A round starts when the parent hands both workers their command
(each is blocked reading stdin); no sleeps."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.common import touch
from drp_tui.services.errors import ConflictError
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from tests.conftest import FROZEN_NOW
from tests.factories import World, make_world
from tests.pg import scratch_database

ROOT = Path(__file__).resolve().parents[2]
POLICY = "mosaic-iro"
ROUNDS = 40


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "race.db")
        return
    with scratch_database() as url:
        yield url


@pytest.fixture
def race_world(target: str) -> Iterator[World]:
    open_database(target)
    try:
        yield make_world(load_builtin(POLICY), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
    finally:
        close_database()


class Worker:
    def __init__(self, target: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.race_worker", target, POLICY],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
        assert self.read() == "ready"

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        try:
            self.send("quit")
            self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def _raise(world: World) -> int:
    (did,) = ds.raise_dispute(world.ctx(), ds.RaiseInput(
        child_ids=[world.child.id], category=world.policy.categories[0].key,
        start_stage=world.policy.starting_stages()[0].key,
        issue_arose=world.ctx().today() - timedelta(days=3), concern="First words."))
    return did


def _round(workers: list[Worker], lines: list[str], r: int) -> list[str]:
    order = [0, 1] if r % 2 == 0 else [1, 0]  # neither always goes first
    for i in order:
        workers[i].send(lines[i])
    return [w.read() for w in workers]


def test_two_processes_saving_the_same_version_exactly_one_wins(race_world: World, target: str) -> None:
    did = _raise(race_world)
    chair = race_world.chair.id
    workers = [Worker(target), Worker(target)]
    wins = [0, 0]
    try:
        for r in range(ROUNDS):
            v = m.Dispute.get_by_id(did).version
            texts = [f"round {r} by session {i}" for i in (0, 1)]
            answers = _round(workers, [f"save {chair} {did} {v} {t}" for t in texts], r)
            ok = [a.startswith("ok") for a in answers]
            assert sum(ok) == 1, (r, answers)  # exactly one accepted
            loser = answers[ok.index(False)]
            assert loser.startswith("conflict") and "Casey Chair" in loser, (r, answers)
            winner = ok.index(True)
            wins[winner] += 1
            d = m.Dispute.get_by_id(did)
            assert (d.concern, d.version) == (texts[winner], v + 1), r  # the accepted text is the one stored
            assert answers[winner] == f"ok {v + 1}"
    finally:
        for w in workers:
            w.close()
    assert sum(wins) == ROUNDS
    # every accepted save left its audit event; the refused ones left none
    assert m.Event.select().where((m.Event.dispute == did) & (m.Event.kind == "edited")).count() == ROUNDS


def test_a_withdrawal_is_never_undone_by_a_response_saved_at_the_same_moment(race_world: World,
                                                                              target: str) -> None:
    responder = race_world.responder(race_world.policy.starting_stages()[0].key).id
    workers = [Worker(target), Worker(target)]
    seen: set[tuple[str, str]] = set()
    try:
        for r in range(8):
            did = _raise(race_world)
            ds.send(race_world.ctx(), did)
            answers = _round(workers, [f"withdraw {race_world.chair.id} {did}", f"respond {responder} {did}"], r)
            d = m.Dispute.get_by_id(did)
            rec = m.StageRecord.get(m.StageRecord.dispute == did)
            assert answers[0] == "ok withdrawn", answers  # the chair may always withdraw an open dispute
            assert d.status == "withdrawn", (r, answers, d.status)  # ... and it is never undone
            if answers[1] == "ok responded":
                # the response came first and was kept (then the withdrawal): nothing lost
                assert rec.response == f"Response from {responder}."
                kinds = [e.kind for e in m.Event.select().where(m.Event.dispute == did).order_by(m.Event.id)]
                assert kinds.index("responded") < kinds.index("withdrawn")
            else:
                # the withdrawal came first: the response is refused, saying why, and not stored
                assert "withdrawn" in answers[1].lower() or answers[1].startswith("conflict"), answers
                assert rec.response == "" and rec.response_at is None
            seen.add((answers[0][:2], answers[1].split(" ")[0]))
    finally:
        for w in workers:
            w.close()
    assert seen  # (which orders happened is up to the scheduler)


def test_a_stale_copy_cannot_overwrite_a_newer_save(race_world: World) -> None:
    """The UPDATE itself is guarded by the version read, even when the caller gave no
    expected version (a quick action): a stale copy raises ConflictError, changes nothing."""
    did = _raise(race_world)
    ctx = race_world.ctx()
    stale = m.Dispute.get_by_id(did)
    outcomes.withdraw(ctx, did, "Sorted informally.")
    with pytest.raises(ConflictError, match="changed by Casey Chair"):
        touch(ctx, stale, status="sent")
    d = m.Dispute.get_by_id(did)
    assert (d.status, d.version) == ("withdrawn", stale.version + 1)


def test_a_save_writes_only_the_columns_it_changed(race_world: World) -> None:
    """Two sessions' copies: one changes the concern, the other the child's wishes at
    once -- each UPDATE names only its own column (no stale copy of the rest)."""
    did = _raise(race_world)
    ctx = race_world.ctx()
    d = m.Dispute.get_by_id(did)
    captured: list[str] = []
    db = m.database.obj
    real = db.execute_sql

    def spy(sql: str, params: object = None, *a: object, **k: object) -> object:
        if sql.lstrip().upper().startswith("UPDATE") and '"dispute"' in sql and "version" in sql:
            captured.append(sql)
        return real(sql, params, *a, **k)

    db.execute_sql = spy  # type: ignore[method-assign]
    try:
        touch(ctx, d, child_wishes="Wants to stay at school.")
    finally:
        del db.execute_sql
    assert len(captured) == 1
    sql = captured[0]
    assert '"child_wishes"' in sql and '"concern"' not in sql and '"status"' not in sql
    assert '"version" = ("dispute"."version" + ' in sql and '("dispute"."version" = ' in sql.split("WHERE")[1]


def test_postgresql_a_row_lock_held_too_long_says_so(race_world: World, target: str) -> None:
    """Another session holds the dispute's row (SELECT ... FOR UPDATE, never committing):
    the save waits lock_timeout, then says the database is busy; nothing saved."""
    if not target.startswith("postgresql"):
        pytest.skip("SQLite's busy timeout: tests/unit/test_storage.py::test_a_lock_held_too_long_says_so")
    import psycopg2

    from drp_tui.services.errors import StorageError

    did = _raise(race_world)
    v = m.Dispute.get_by_id(did).version
    other = psycopg2.connect(target)
    try:
        other.cursor().execute("SELECT id FROM dispute WHERE id = %s FOR UPDATE", (did,))
        m.database.obj.execute_sql("SET lock_timeout = 300")
        with pytest.raises(StorageError) as caught:
            ds.update_draft(race_world.ctx(), did, v, {"concern": "Waited too long"})
    finally:
        other.rollback()
        other.close()
    assert "is busy: another session held it" in caught.value.message
    assert "your text is kept" in caught.value.message
    assert "drp:***@" in caught.value.message or "@" not in caught.value.message  # never a password
    d = m.Dispute.get_by_id(did)
    assert (d.concern, d.version) == ("First words.", v)
    assert ds.update_draft(race_world.ctx(), did, v, {"concern": "Now saved"}) == v + 1


def test_postgresql_an_empty_server_database_is_not_adopted(target: str) -> None:
    """Without 'drp init' an empty server database is refused (as a missing file is)."""
    from drp_tui.store.db import StoreError

    if not target.startswith("postgresql"):
        pytest.skip("covered for files in tests/unit/test_storage.py")
    with pytest.raises(StoreError, match="No database at postgresql://.*Create one with: drp init"):
        open_database(target, create=False)
    close_database()
    assert m.database.obj.table_exists("schema_migration") is False
