"""The same engine on PostgreSQL (by URL). Runs when DRP_TEST_PG_URL names an empty
database (``.ci/run`` starts a throwaway server when PostgreSQL is installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import work
from drp_tui.services.demo import build_demo
from drp_tui.store import audit_check
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database, schema_status
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page
from drp_tui.store.queries_dispute import get_dispute
from tests.conftest import FROZEN_NOW
from tests.pg import scratch_database
from tests.unit.test_work import ctx_for, everything, key


@pytest.fixture
def pg() -> Iterator[object]:
    """A new database of its own on the test server (skipped without one; a failure in CI)."""
    from drp_tui.store import audit as store_audit

    with scratch_database() as url:
        db = open_database(url)
        store_audit.create_key()  # in the test's own user config folder (HOME is a temporary folder)
        try:
            yield db
        finally:
            close_database()


@pytest.mark.parametrize("policy_key", ["mosaic-iro", "durham-rp"])
def test_demo_workflows_run_on_postgresql(pg: object, policy_key: str) -> None:
    assert all(applied for _, applied in schema_status(m.database.obj))
    summary = build_demo(load_builtin(policy_key), WorkingCalendar("ENG"), FROZEN_NOW)
    assert summary.disputes == 25
    assert {"sent", "resolved", "withdrawn", "draft"} <= set(summary.by_status)
    assert audit_check.verify() == []
    assert caseload_count(CaseloadQuery(view="all")) == 25
    page = caseload_page(CaseloadQuery(view="all"), 0, 10)
    assert len(page) == 10
    assert page[0].next_due_at is not None and page[0].next_due_at.tzinfo is not None
    view = get_dispute(page[0].id)
    assert view.stages and view.stages[0].sent_at is not None
    # My work's candidates (a union of look-ups, each with its deadline) only narrow here too
    work_rows = 0
    for username in [s.username for s in m.Staff.select().where(m.Staff.role != "admin")]:
        ctx = ctx_for(username, WorkingCalendar("ENG"), 6)
        fast = work.my_work(ctx)
        assert key(fast) == key(everything(ctx)), username
        work_rows += len(fast)
    assert work_rows > 5


def test_tampering_is_detected_on_postgresql(pg: object) -> None:
    build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FROZEN_NOW)
    target = m.Event.select().order_by(m.Event.id).offset(5).first()
    m.database.obj.execute_sql("UPDATE event SET summary = 'edited' WHERE id = %s", (target.id,))
    problems = audit_check.verify()
    assert [p.event_id for p in problems] == [target.id]


@pytest.mark.parametrize("sort", ["due", "reference", "child", "stage"])
def test_keyset_pages_equal_offset_pages_on_postgresql(pg: object, sort: str) -> None:
    """The caseload's row-value seeks (booleans, timestamps, text) order as PostgreSQL sorts."""
    from dataclasses import replace

    build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FROZEN_NOW)
    chair = m.Staff.select().where(m.Staff.role == "chair").order_by(m.Staff.id).first()
    for view in ("all", "mine", "team", "resolved"):
        q = CaseloadQuery(view=view, staff_id=chair.id, team_ids=tuple(t.id for t in m.Team.select()),
                          viewer_id=None if view == "all" else chair.id, sort=sort)
        forward = [r.id for r in caseload_page(q, 0, 100)]
        pages = [forward[i:i + 4] for i in range(0, len(forward), 4)]
        for before, after in zip(pages, pages[1:], strict=False):
            assert [r.id for r in caseload_page(replace(q, seek="after", seek_id=before[-1]), 0, 4)] == after
            assert [r.id for r in caseload_page(replace(q, seek="before", seek_id=after[0]), 0, 4)] == before
        assert [r.id for r in caseload_page(replace(q, seek="last"), 0, 4)] == forward[-4:]


def test_every_view_reads_as_judged_on_postgresql(pg: object) -> None:
    """Every view, sort and kind of page (the partial indexes' literal status terms, the one-side
    "overdue", the children walked "by child") reads the rows judged one by one on PostgreSQL."""
    from tests.factories import make_world
    from tests.unit.test_caseload_pages import every_view_reads_as_judged, varied_caseload

    w = make_world(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
    assert every_view_reads_as_judged(w, varied_caseload(w)) > 50


@pytest.mark.parametrize("few", [0, 2000])
def test_a_filter_reads_the_same_rows_looked_up_by_trigram_or_walked_on_postgresql(
        pg: object, few: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text of three characters or more that few children and disputes match is looked up by the
    trigram indexes (migration 0024); one that many match (here: ``FEW`` 0) walks the view's order,
    as a shorter one does: the same rows, counted alike, in every view and sort."""
    from drp_tui.store import queries
    from tests.factories import make_world
    from tests.unit.test_caseload_pages import _raise, filters_read_as_judged

    monkeypatch.setattr(queries, "FEW", few)
    assert m.database.obj.execute_sql(
        "SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%%_trgm'").fetchone()[0] == 4
    w = make_world(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
    ids = _raise(w, 11)
    ref = m.Dispute.get_by_id(ids[3]).reference
    q = CaseloadQuery(view="all", viewer_id=w.chair.id, text=ref)
    looked_up = "= ANY(ARRAY" in queries._caseload_select(q).sql()[0]
    assert looked_up == (few > 0)
    assert queries._few_match(ref[-2:]) is False  # (two characters: never looked up)
    for sort in ("due", "reference", "child", "stage"):
        assert filters_read_as_judged(w, sort, ids) == 8


def test_a_filter_without_the_trigram_indexes_reads_the_same_rows_on_postgresql(pg: object) -> None:
    from drp_tui.store import queries
    from tests.factories import make_world
    from tests.unit.test_caseload_pages import _raise, filters_read_as_judged

    for name in queries.TRIGRAM_INDEXES:  # (as where the extension may not be added)
        m.database.obj.execute_sql(f'DROP INDEX "{name}"')
    queries._trigrams.clear()
    w = make_world(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))
    ids = _raise(w, 11)
    ref = m.Dispute.get_by_id(ids[3]).reference
    assert queries._few_match(ref) is False
    assert filters_read_as_judged(w, "due", ids) == 8
    queries._trigrams.clear()


def test_the_status_term_has_its_own_statistics_on_postgresql(pg: object) -> None:
    """Migration 0024: PostgreSQL knows how many disputes ``(status || '') IN (open ones)`` keeps (most),
    not its guess of 0.5 %: the team view then walks its children in name order and stops after a page."""
    from drp_tui.store.queries import OPEN_STATUSES, _status_among

    db = m.database.obj
    assert db.execute_sql("SELECT count(*) FROM pg_statistic_ext WHERE stxname = 'dispute_status_term'").fetchone()[0] == 1
    build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FROZEN_NOW)
    db.execute_sql('ANALYZE "dispute"')
    sql, params = m.Dispute.select(m.Dispute.id).where(_status_among(OPEN_STATUSES)).sql()
    plan = db.execute_sql("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
    estimated = plan[0]["Plan"]["Plan Rows"]
    actual = m.Dispute.select().where(m.Dispute.status.in_(list(OPEN_STATUSES))).count()
    assert actual > 5 and abs(estimated - actual) <= 1  # (without the statistics: 1 of 25)
