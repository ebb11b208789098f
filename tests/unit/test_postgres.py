"""The same engine on PostgreSQL (by URL). Runs when DRP_TEST_PG_URL names an empty
database (``.ci/run`` starts a throwaway server when PostgreSQL is installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.services import audit
from drp_tui.services.demo import build_demo
from drp_tui.store import models as m
from drp_tui.store.db import close_database, open_database, schema_status
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page, get_dispute
from tests.conftest import FROZEN_NOW
from tests.pg import scratch_database


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
    assert audit.verify() == []
    assert caseload_count(CaseloadQuery(view="all")) == 25
    page = caseload_page(CaseloadQuery(view="all"), 0, 10)
    assert len(page) == 10
    assert page[0].next_due_at is not None and page[0].next_due_at.tzinfo is not None
    view = get_dispute(page[0].id)
    assert view.stages and view.stages[0].sent_at is not None


def test_tampering_is_detected_on_postgresql(pg: object) -> None:
    build_demo(load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FROZEN_NOW)
    target = m.Event.select().order_by(m.Event.id).offset(5).first()
    m.database.obj.execute_sql("UPDATE event SET summary = 'edited' WHERE id = %s", (target.id,))
    problems = audit.verify()
    assert [p.event_id for p in problems] == [target.id]
