"""The caseload's page reads at scale: pages read backwards from the end equal pages read forwards,
in every order; every view, sort and kind of page reads the rows judged one by one, along the
index made for it; and the copied-for-information rule still shows a dispute (its partial index)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from datetime import UTC, date, datetime, timedelta

import pytest

from drp_tui.services import disputes as ds
from drp_tui.store import models as m
from drp_tui.store import queries, visibility
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page
from tests.factories import World


def _raise(w: World, n: int) -> list[int]:
    ids = []
    for i in range(n):
        (did,) = ds.raise_dispute(w.ctx(w.chair), ds.RaiseInput(
            child_ids=[w.child.id], category=w.policy.categories[0].key, start_stage=w.policy.stages[0].key,
            issue_arose=date(2026, 11, 20), concern=f"Concern {i}"))
        ids.append(did)
    for i, did in enumerate(ids):  # due dates in no particular order, some none (they sort last)
        due = None if i % 4 == 0 else w.clock.now() + timedelta(days=(i * 7) % 11)
        m.Dispute.update(next_due_at=due).where(m.Dispute.id == did).execute()
    return ids


@pytest.mark.parametrize("sort", ["due", "reference", "child", "stage"])
def test_a_page_read_from_the_end_is_the_page_read_from_the_start(world: World, sort: str) -> None:
    _raise(world, 11)
    q = CaseloadQuery(view="all", viewer_id=world.chair.id, sort=sort)
    total = caseload_count(q)
    assert total == 11
    forward = [r.id for r in caseload_page(q, 0, total)]
    assert len(set(forward)) == total
    for size in (3, 4):
        for offset in range(0, total, size):
            want = forward[offset:offset + size]
            assert [r.id for r in caseload_page(q, offset, size)] == want
            assert [r.id for r in caseload_page(q, offset, size, total=total)] == want  # backwards past half


def test_a_pages_columns_are_written_once_for_each_number_of_rows(world: World) -> None:
    """The columns query's text is kept by the number of ids (not written for every page), and
    each page still reads its own rows, converted as peewee converts them."""
    ids = _raise(world, 6)
    q = CaseloadQuery(view="all", viewer_id=world.chair.id, sort="reference")
    first = caseload_page(q, 0, 3)
    written = queries._columns_sql.cache_info().misses
    second = caseload_page(q, 3, 3)
    assert queries._columns_sql.cache_info().misses == written  # (three ids again: the same text)
    assert {r.id for r in first} | {r.id for r in second} == set(ids)
    assert not {r.id for r in first} & {r.id for r in second}
    row = m.Dispute.get_by_id(second[0].id)
    assert (second[0].reference, second[0].next_due_at, second[0].paused) == (row.reference, row.next_due_at, row.paused)


def test_a_manager_copied_for_information_sees_the_dispute(world: World) -> None:
    w = world
    (did,) = _raise(w, 1)
    outsider = w.other_chair
    assert not visibility.can_see(outsider.id, did)
    m.StageRecord.update(inform=f"{outsider.id + 1000},{outsider.id}").where(m.StageRecord.dispute == did).execute()
    assert visibility.can_see(outsider.id, did)
    assert [r.id for r in caseload_page(CaseloadQuery(view="all", viewer_id=outsider.id), 0, 10)] == [did]
    m.StageRecord.update(inform=f"{outsider.id}0").where(m.StageRecord.dispute == did).execute()
    assert not visibility.can_see(outsider.id, did)  # another person whose id starts with theirs


@pytest.mark.parametrize("sort", ["due", "reference", "child", "stage"])
def test_pages_found_from_a_row_on_show_are_the_pages_read_by_offset(world: World, sort: str) -> None:
    """Keyset paging: the page after a page's last row, before its first row, from its first row,
    and the last rows read backwards, are the pages read by offset (across the rows with no deadline)."""
    _raise(world, 11)
    q = CaseloadQuery(view="all", viewer_id=world.chair.id, sort=sort)
    forward = [r.id for r in caseload_page(q, 0, 11)]
    size = 3
    pages = [forward[i:i + size] for i in range(0, 11, size)]
    for before, after in zip(pages, pages[1:], strict=False):
        assert [r.id for r in caseload_page(replace(q, seek="after", seek_id=before[-1]), 0, size)] == after
        assert [r.id for r in caseload_page(replace(q, seek="before", seek_id=after[0]), 0, size)] == before
        assert [r.id for r in caseload_page(replace(q, seek="from", seek_id=after[0]), 0, size)] == after
    assert [r.id for r in caseload_page(replace(q, seek="last"), 0, size)] == forward[-size:]
    assert caseload_page(replace(q, seek="after", seek_id=forward[-1]), 0, size) == []
    m.Dispute.update(next_due_at=None).where(m.Dispute.id == forward[0]).execute()  # (keyed by its row now)
    gone = 10**6  # a dispute that is not there: read by offset
    assert [r.id for r in caseload_page(replace(q, seek="after", seek_id=gone), 3, size)] == \
        [r.id for r in caseload_page(q, 3, size)]


@pytest.mark.parametrize("sort", ["due", "reference", "child"])
def test_a_filter_finds_the_same_rows_whichever_way_the_query_is_led(world: World, sort: str) -> None:
    """A short text walks the order; a longer one reads the person's disputes first: the same rows."""
    ids = _raise(world, 11)
    assert filters_read_as_judged(world, sort, ids) == 8


def filters_read_as_judged(w: World, sort: str, ids: list[int]) -> int:
    """Every view filtered by a text of the reference, the child's name or case number, short and long,
    reads the rows judged one by one (and counts them); how many (view, text) pairs were read."""
    read = 0
    for view in ("all", "mine", "team"):
        q = CaseloadQuery(view=view, viewer_id=w.chair.id, sort=sort, staff_id=w.chair.id,
                          team_ids=(w.child.team_id,))
        every = caseload_page(q, 0, 50)
        if view == "all":
            assert set(ids) == {r.id for r in every}
        ref = every[3].reference
        texts = (ref[-1], ref[-3:], ref, ref.lower()) if view == "all" else (
            every[0].child_name[-4:].upper(), every[0].case_number[-3:])
        for text in texts:
            want = [r.id for r in every if text.lower() in (r.reference + r.child_name + r.case_number + r.category).lower()]
            assert want, text
            assert [r.id for r in caseload_page(replace(q, text=text), 0, 50)] == want, (view, text)
            assert caseload_count(replace(q, text=text)) == len(want), (view, text)
            read += 1
    return read


# --- every view, every sort, every kind of page ---------------------------------------------

STATUSES = ("draft", "sent", "responded", "negotiating", "resolved", "cafcass", "withdrawn")


def varied_caseload(w: World) -> list[int]:
    """Disputes of both chairs in every status, with deadlines past, to come and none, at several
    stages, some awaiting the social worker and one awaiting the chair (so the chair's "overdue"
    is an OR of both sides, the other chair's and the worker's one side alone)."""
    stages = [s.key for s in w.policy.stages]
    ids = []
    for i in range(15):
        raiser, child = (w.other_chair, w.other_child) if i % 4 == 3 else (w.chair, w.siblings[i % 3])
        (did,) = ds.raise_dispute(w.ctx(raiser), ds.RaiseInput(
            child_ids=[child.id], category=w.policy.categories[0].key, start_stage=stages[0],
            issue_arose=date(2026, 11, 20), concern=f"Concern {i}"))
        due = None if i % 5 == 0 else w.clock.now() + timedelta(days=(i * 7) % 11 - 5)
        responder = w.chair.id if i == 11 else (w.worker.id if i % 3 else None)
        m.Dispute.update(status=STATUSES[i % 7], next_due_at=due, responder=responder,
                         current_stage=stages[i % len(stages)]).where(m.Dispute.id == did).execute()
        ids.append(did)
    return ids


def _expected(q: CaseloadQuery, rows: list[Any], seen: set[int]) -> list[int]:
    """The view's rows in its order, judged here row by row (not by the query's own shape);
    ``rows``: every dispute with its child, ``seen``: the ids the viewer may see."""
    from drp_tui.store.queries import CLOSED_STATUSES, OPEN_STATUSES, _caseload_select

    awaiting = {i for (i,) in _caseload_select(q, count=True).tuples()} if q.view == "awaiting" else set()
    assert q.now is not None

    def holds(d: Any) -> bool:
        mine = q.staff_id is None or d.raised_by_id == q.staff_id
        return d.id in seen and {
            "mine": d.raised_by_id == q.staff_id and d.status in OPEN_STATUSES,
            "awaiting": d.id in awaiting,
            "team": d.child.team_id in q.team_ids and d.status in OPEN_STATUSES,
            "overdue": d.next_due_at is not None and d.next_due_at < q.now
            and (mine or d.responder_id == q.staff_id),
            "resolved": d.status in CLOSED_STATUSES and mine,
            "all": True,
        }[q.view]

    far = datetime.max.replace(tzinfo=UTC)
    order = {"due": lambda d: (d.next_due_at is None, d.next_due_at or far, d.id),
             "reference": lambda d: (d.reference,), "child": lambda d: (d.child.name, d.id),
             "stage": lambda d: (d.current_stage, d.id)}[q.sort]
    return [d.id for d in sorted((d for d in rows if holds(d)), key=order)]


def every_view_reads_as_judged(w: World, ids: list[int]) -> int:
    """For a chair, the other chair, a responder and oversight: every view in every sort, by
    offset, and its pages after, before and from a row, and its last page, are the rows judged
    one by one (oversight reads "overdue" and "resolved" for the whole service, as the desk asks)."""
    teams = tuple(t.id for t in m.Team.select())
    rows = list(m.Dispute.select(m.Dispute, m.Child).join(m.Child).where(m.Dispute.id.in_(ids)))
    views_read = 0
    for who in (w.chair, w.other_chair, w.worker, w.oversight):
        seen = {i for i in ids if visibility.can_see(who.id, i)}
        for view in ("mine", "awaiting", "team", "overdue", "resolved", "all"):
            staff = None if who is w.oversight and view in ("overdue", "resolved") else who.id
            for sort in ("due", "reference", "child", "stage"):
                q = CaseloadQuery(view=view, staff_id=staff, team_ids=teams, viewer_id=who.id,
                                  now=w.clock.now(), sort=sort)
                want = _expected(q, rows, seen)
                assert [r.id for r in caseload_page(q, 0, 50)] == want, (who.username, view, sort)
                assert caseload_count(q) == len(want)
                views_read += bool(want)
                size = 3
                pages = [want[i:i + size] for i in range(0, len(want), size)]
                for before, after in zip(pages, pages[1:], strict=False):
                    assert [r.id for r in caseload_page(replace(q, seek="after", seek_id=before[-1]), 0, size)] == after
                    assert [r.id for r in caseload_page(replace(q, seek="before", seek_id=after[0]), 0, size)] == before
                    assert [r.id for r in caseload_page(replace(q, seek="from", seek_id=after[0]), 0, size)] == after
                assert [r.id for r in caseload_page(replace(q, seek="last"), 0, size)] == want[-size:]
    return views_read


def test_every_view_in_every_sort_and_page_reads_the_rows_judged_one_by_one(world: World) -> None:
    ids = varied_caseload(world)
    with visibility.one_snapshot():  # (as the desk reads: the person's visible ids kept)
        assert every_view_reads_as_judged(world, ids) > 50


def _plan(q: CaseloadQuery) -> list[str]:
    """The steps SQLite plans for the page's ids (the query with the view's order)."""
    db = m.database.obj
    original = db.execute_sql
    sent: list[tuple[str, Any]] = []

    def keeping(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        sent.append((sql, params))
        return original(sql, params, *args, **kwargs)

    db.execute_sql = keeping  # type: ignore[method-assign]
    try:
        caseload_page(q, 0, 5)
    finally:
        db.execute_sql = original  # type: ignore[method-assign]
    sql, params = next((s, p) for s, p in sent if "ORDER BY" in s)
    return [str(row[3]) for row in original("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


WALKS = [  # who, view, sort, seek, the index its plan reads
    ("oversight", "resolved", "due", "", "dispute_closed_due"),  # not every open dispute first
    ("oversight", "resolved", "reference", "", "dispute_closed_reference"),
    ("oversight", "resolved", "stage", "last", "dispute_closed_stage"),
    ("chair", "resolved", "due", "", "dispute_closed_raised_due"),
    ("chair", "team", "due", "last", "dispute_open_due"),  # from the end: not every closed one first
    ("chair", "mine", "child", "", "COVERING INDEX dispute_raised_status_child"),
    ("worker", "overdue", "reference", "", "COVERING INDEX dispute_responder_cover"),
]


def test_each_view_walks_its_own_index(world: World) -> None:
    """Each page is read along the index made for its view (migration 0022), in order where the
    order is the index's (no sort of every row), whatever the database's size: SQLite plans
    without statistics, so these are the plans at 100,000 disputes too."""
    varied_caseload(world)
    teams = tuple(t.id for t in m.Team.select())
    for who, view, sort, seek, index in WALKS:
        person = getattr(world, who)
        q = CaseloadQuery(view=view, staff_id=None if who == "oversight" else person.id, team_ids=teams,
                          viewer_id=person.id, now=world.clock.now(), sort=sort, seek=seek)
        with visibility.one_snapshot():
            plan = _plan(q)
        assert any(index in step for step in plan), (who, view, sort, plan)
        if sort != "child" and who != "worker":
            assert not any("TEMP B-TREE" in step for step in plan), (who, view, sort, plan)
