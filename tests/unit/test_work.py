"""My work: the store's candidates never leave out a dispute that needs the person.

``services.work.my_work`` judges only the disputes ``store.queries_work.candidates`` selects
in SQL (fast at 100,000 disputes). The judging is the move function and the deadline rule;
these tests judge EVERY dispute the person may see the same way and compare: the SQL is a
pure narrowing, for every demo account, at several moments as the clocks run out.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.deadlines import deadlines
from drp_tui.domain.model import DueState
from drp_tui.domain.moves import Move, moves
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import outcomes, work
from drp_tui.services.common import actor_of
from drp_tui.services.context import Ctx
from drp_tui.store import queries_dispute, queries_work
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database
from drp_tui.store.visibility import viewer, visible_to
from tests.conftest import FROZEN_NOW
from tests.ui.conftest import demo_template  # noqa: F401  (the fixture: the demo database built once)


@pytest.fixture
def demo(tmp_path: Path, demo_template: Callable[[str], Path]) -> Iterator[WorkingCalendar]:
    """A fresh copy of the demo database (built once per run: tests/ui/conftest.py)."""
    template, db = demo_template("mosaic-iro"), tmp_path / "demo.db"
    for suffix in ("", ".key", ".head"):
        shutil.copy(f"{template}{suffix}", f"{db}{suffix}")
    open_database(str(db))
    yield WorkingCalendar("ENG")
    close_database()


def ctx_for(username: str, calendar: WorkingCalendar, days: int = 0) -> Ctx:
    who = m.Staff.get(m.Staff.username == username)
    return Ctx(who.id, load_builtin("mosaic-iro"), calendar, FrozenClock(FROZEN_NOW + timedelta(days=days)))


def everything(ctx: Ctx) -> list[work.WorkItem]:
    """The slow way: judge every dispute the person may see."""
    who = actor_of(ctx)
    ids = [d.id for d in m.Dispute.select(m.Dispute.id).where(visible_to(viewer(who.id)))]
    out: list[work.WorkItem] = []
    for view in (queries_dispute.get_dispute(i) for i in ids):
        policy = ctx.policy_of(view)
        out += work.judge(view, policy, who, moves(view, policy, who, ctx.now(), ctx.calendar),
                          deadlines(view, policy, ctx.calendar, ctx.now(), ctx.due_soon_days))
    return sorted(out, key=lambda i: i.rank)


def key(items: list[work.WorkItem]) -> list[tuple[int, Move, str]]:
    return [(i.dispute_id, i.move, i.due_kind) for i in items]


@pytest.mark.parametrize("days", [0, 6, 30])
def test_the_sql_only_narrows(demo: WorkingCalendar, days: int) -> None:
    users = [s.username for s in m.Staff.select().where(m.Staff.role != "admin")]
    seen_any = 0
    for username in users:
        ctx = ctx_for(username, demo, days)
        fast = work.my_work(ctx)
        assert key(fast) == key(everything(ctx)), username
        seen_any += len(fast)
    assert seen_any > 5  # the demo gives people work to do


def test_chair_sees_decide_chase_and_drafts_worst_first(demo: WorkingCalendar) -> None:
    ctx = ctx_for("cpatel", demo)
    items = work.my_work(ctx)
    by = {(i.reference, i.move): i for i in items}
    # DRP-2026-0006: sent, its response was due on Fri 13 Nov (before Mon 23 Nov): chase or escalate
    chase = by[("DRP-2026-0006", Move.ESCALATE)]
    assert (chase.verb, chase.due_word, chase.state) == ("Chase or escalate", "response due", DueState.OVERDUE)
    assert chase.with_whom == "Dana Whitlow"
    # DRP-2026-0009: a response received, no clock of its own: it waits on the chair's decision
    decide = by[("DRP-2026-0009", Move.DECIDE)]
    assert (decide.due_word, decide.due_at, decide.state) == ("your decision", None, DueState.NONE)
    assert ("DRP-2026-0007", Move.SEND) in by  # a draft to finish and send
    order = [work._ORDER[i.state] for i in items]
    assert order == sorted(order)  # worst first
    assert not any(i.reference == "DRP-2026-0022" for i in items)  # another chair's dispute


def test_manager_sees_what_awaits_their_response(demo: WorkingCalendar) -> None:
    ctx = ctx_for("dwhitlow", demo)
    items = [i for i in work.my_work(ctx) if i.move is Move.RESPOND]
    waiting = {d.reference for d in m.Dispute.select().where(
        (m.Dispute.responder == ctx.actor_id) & (m.Dispute.status == "sent"))}
    assert waiting and {i.reference for i in items} >= waiting
    assert all(i.with_whom for i in items) and all(i.due_word in ("response due", "negotiation ends") for i in items)


def test_oversight_sees_a_request_for_agreement_until_it_is_agreed(demo: WorkingCalendar) -> None:
    chair = ctx_for("cpatel", demo)
    osman = ctx_for("osman", demo)
    assert not [i for i in work.my_work(osman) if i.move is Move.APPROVE]
    d = m.Dispute.get(m.Dispute.reference == "DRP-2026-0014")  # stage 1 sent, its response overdue
    outcomes.escalate(chair, d.id, "stage_2")
    asks = [i for i in work.my_work(osman) if i.move is Move.APPROVE]
    assert [(i.reference, i.verb, i.due_word, i.with_whom) for i in asks] == [
        ("DRP-2026-0014", "Agree: Stage 2 DRP", "agreement", "Chloe Patel")]
    # the chair meanwhile has a draft that cannot be sent until it is agreed
    mine = {(i.reference, i.move) for i in work.my_work(chair)}
    assert ("DRP-2026-0014", Move.EDIT) in mine and ("DRP-2026-0014", Move.SEND) not in mine
    outcomes.approve_stage(osman, d.id)
    assert not [i for i in work.my_work(osman) if i.move is Move.APPROVE]
    assert ("DRP-2026-0014", Move.SEND) in {(i.reference, i.move) for i in work.my_work(chair)}


def test_admin_has_no_dispute_work(demo: WorkingCalendar) -> None:
    assert work.my_work(ctx_for("admin", demo)) == []


def test_views_load_in_a_fixed_number_of_queries(demo: WorkingCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [d.id for d in m.Dispute.select(m.Dispute.id)]
    db = m.database.obj
    sent: list[str] = []
    original = db.execute_sql

    def counting(sql: str, *args: object, **kwargs: object) -> object:
        sent.append(sql)
        return original(sql, *args, **kwargs)

    counts = []
    for some in (ids[:3], ids):
        monkeypatch.setattr(db, "execute_sql", counting)
        sent.clear()
        views = list(queries_work.each_view(some))
        counts.append(len(sent))
        monkeypatch.undo()
        assert [v.id for v in views] == some
        for v in views:  # the same as the one-at-a-time read
            assert v == queries_dispute.get_dispute(v.id)
    assert any(v.sibling_ids for v in views)  # (linked siblings among them)
    assert counts[0] == counts[1] and len(ids) > 20


def statements_sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Each statement sent to the database from now on, with its number of parameters (until
    ``monkeypatch.undo()``)."""
    db = m.database.obj
    original = db.execute_sql
    sent: list[tuple[str, int]] = []

    def keeping(sql: str, params: object = None, *args: object, **kwargs: object) -> object:
        sent.append((sql, len(params or ())))  # type: ignore[arg-type]
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", keeping)
    return sent


def test_views_send_the_same_statements_for_any_number_of_disputes(demo: WorkingCalendar,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite a list of ids is one parameter: 3 disputes and all of them send the same statements
    (the connection keeps one prepared statement each, not one more for each count of ids)."""
    ids = [d.id for d in m.Dispute.select(m.Dispute.id)]
    linked = [d.id for d in m.Dispute.select(m.Dispute.id).where(m.Dispute.link_group.is_null(False))]
    statements = []
    for some in (linked[:3], ids):  # (each with linked siblings among them)
        sent = statements_sent(monkeypatch)
        views = list(queries_work.each_view(some))  # (as My work reads them: one at a time)
        monkeypatch.undo()
        assert [v.id for v in views] == some
        assert all(n <= 3 for _, n in sent)  # (the ids as one parameter)
        statements.append([sql for sql, _ in sent])
    assert statements[0] == statements[1] and len(ids) > 20


def test_a_minutes_reminders_are_made_in_the_disputes_order(demo: WorkingCalendar) -> None:
    """The inbox lists reminders made in one minute by the order they were made: by dispute,
    whichever index the database walks to find them (a new index once changed that order)."""
    from drp_tui.services import inbox

    ctx = ctx_for("dwhitlow", demo)  # a team manager: disputes awaiting them, others raised by chairs
    assert inbox.remind(ctx) >= 3
    made = [n.dispute_id for n in m.Notification.select().where(
        (m.Notification.recipient == ctx.actor_id) & (m.Notification.kind == "reminder")).order_by(m.Notification.id)]
    assert made == sorted(made)


def test_sent_reminder_keys_are_looked_up_with_one_statement_whatever_their_number(
        demo: WorkingCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite the keys are one parameter: 3 keys, a full chunk and a shorter last chunk send the
    same statement (the connection keeps one prepared statement, not one per count of keys)."""
    from drp_tui.services import inbox
    from drp_tui.store import queries

    ctx = ctx_for("dwhitlow", demo)
    assert inbox.remind(ctx) >= 3
    sent_keys = [n.dedupe for n in m.Notification.select().where(m.Notification.dedupe.is_null(False))]
    sent = statements_sent(monkeypatch)
    keys = sent_keys[:2] + [f"none:{i}" for i in range(250)]
    assert queries.sent_dedupes(keys[:3], chunk=100) == set(sent_keys[:2])
    assert queries.sent_dedupes(keys, chunk=100) == set(sent_keys[:2])  # 100, 100, then 52
    monkeypatch.undo()
    assert len(sent) == 4 and len({sql for sql, _ in sent}) == 1 and all(n == 1 for _, n in sent)


def test_reminders_are_checked_a_chunk_at_a_time(demo: WorkingCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person's due disputes are checked against the reminders sent REMIND_CHUNK at a time, so a
    chair with thousands of them never holds more than a chunk; what is made is the same."""
    from drp_tui.services import inbox

    ctx = ctx_for("dwhitlow", demo)
    asked: list[int] = []
    original = inbox._not_sent

    def counting(keys: list[str]) -> set[str]:
        asked.append(len(keys))
        return original(keys)

    monkeypatch.setattr(inbox, "_not_sent", counting)
    monkeypatch.setattr(inbox, "REMIND_CHUNK", 2)
    made = inbox.remind(ctx)
    assert made >= 3 and max(asked[:-1]) == 2 and len(asked) >= 3  # (the last: again inside the write)
