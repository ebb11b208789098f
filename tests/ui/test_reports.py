"""Reports screen: the numbers match the database; the supervision list opens disputes."""

from __future__ import annotations

from typing import Any

from peewee import fn

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.ui.screens.reports import ReportsScreen
from tests.ui.screens_helpers import pilot_test, push, rendered, settle, table_cells


@pilot_test
async def test_numbers_match_the_database(make_app: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ReportsScreen())
        r = screen.report
        assert r is not None
        total = m.Dispute.select().count()
        assert r.total == total
        by_status = dict(m.Dispute.select(m.Dispute.status, fn.COUNT(m.Dispute.id)).group_by(m.Dispute.status).tuples())
        assert {c.key: c.count for c in r.by_status if c.count} == by_status
        by_cat = dict(m.Dispute.select(m.Dispute.category, fn.COUNT(m.Dispute.id)).group_by(m.Dispute.category).tuples())
        assert {c.key: c.count for c in r.by_category} == by_cat
        by_stage = dict(m.Dispute.select(m.Dispute.current_stage, fn.COUNT(m.Dispute.id))
                        .group_by(m.Dispute.current_stage).tuples())
        assert {c.key: c.count for c in r.by_stage if c.count} == by_stage
        answered = m.StageRecord.select().where(m.StageRecord.response_at.is_null(False)).count()
        assert r.timeliness.answered == answered
        assert f"{total} disputes" in rendered(screen, "#reports-title")
        status_text = rendered(screen, "#report-status")
        assert "By status" in status_text and "awaiting response" in status_text
        assert "Median time to respond" in rendered(screen, "#report-timeliness")
        assert "Riverside" in rendered(screen, "#report-team")
        top = r.by_category[0]
        assert top.label in rendered(screen, "#report-category")


@pilot_test
async def test_outstanding_list_worst_first_and_opens(make_app: Any, monkeypatch: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ReportsScreen())
        await pilot.press("o")
        await settle(pilot)
        assert screen.active_tab == "outstanding"
        r = screen.report
        assert r is not None
        open_ = [s.value for s in Status if s.is_open]
        assert len(r.outstanding) == m.Dispute.select().where(m.Dispute.status.in_(open_)).count()
        rows = table_cells(screen, "#outstanding-table")
        assert [row[1] for row in rows] == [o.reference for o in r.outstanding]
        assert rows[0][0] == "OVERDUE"
        ranks = [o.state.rank for o in r.outstanding]
        assert ranks == sorted(ranks)
        assert r.outstanding[0].reference in rendered(screen, "#reports-detail")
        opened: list[int] = []
        histories: list[int | None] = []
        monkeypatch.setattr(app, "open_dispute", opened.append)
        monkeypatch.setattr(app, "open_history", lambda dispute_id=None, child_id=None: histories.append(dispute_id))
        await pilot.press("down", "enter", "h")
        assert opened == [r.outstanding[1].dispute_id] and histories == [r.outstanding[1].dispute_id]


@pilot_test
async def test_reports_are_for_oversight(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ReportsScreen())
        assert screen.report is None
        assert "Reports are for the IRO service manager" in rendered(screen, "#reports-title")


@pilot_test
async def test_reload_after_a_change(make_app: Any) -> None:
    app = make_app("osman")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ReportsScreen())
        assert screen.report is not None
        drafts = next(c.count for c in screen.report.by_status if c.key == "draft")
        m.Dispute.update(status=Status.WITHDRAWN.value).where(m.Dispute.status == Status.DRAFT.value).execute()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert next(c.count for c in screen.report.by_status if c.key == "draft") == 0
        assert next(c.count for c in screen.report.by_status if c.key == "withdrawn") >= drafts
