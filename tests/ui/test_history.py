"""History: timeline (who, when, what), stages (due vs actual, days taken), clocks, explanations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from drp_tui.domain.timeutil import LONDON, FrozenClock, format_london, london_date
from drp_tui.services import disputes as ds
from drp_tui.services.context import Ctx
from drp_tui.store import models as m
from drp_tui.ui.screens.history import HistoryScreen
from drp_tui.ui.screens.history_widgets import ExplainDialog
from tests.ui.screens_helpers import pilot_test, push, rendered, settle, table_cells


def climbed() -> m.Dispute:
    """The demo dispute that went furthest up the ladder."""
    return max(m.Dispute.select(), key=lambda d: (d.stage_records.count(), -d.id))


def christmas_dispute(app: Any) -> int:
    """A dispute raised on 23 Dec 2026 and sent on Thursday 24 Dec 2026 at 10:00 London."""
    chair = m.Staff.get(m.Staff.username == "cpatel")
    child = (m.Child.select().where((m.Child.chair == chair.id) & m.Child.sibling_group.is_null())
             .order_by(m.Child.id).first())
    clock = FrozenClock(datetime(2026, 12, 24, 10, 0, tzinfo=LONDON))
    ctx = Ctx(chair.id, app.desk.policy, app.desk.calendar, clock)
    (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[child.id], category="care_plan", start_stage="informal", issue_arose=date(2026, 12, 23),
        concern="The placement plan has not been reviewed."))
    ds.send(ctx, did)
    return int(did)


@pilot_test
async def test_timeline_in_order_with_who_and_when(make_app: Any) -> None:
    app = make_app("cpatel")
    d = climbed()
    events = list(m.Event.select().where(m.Event.dispute == d.id).order_by(m.Event.id))
    assert len(events) > 5
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=d.id))
        assert d.reference in rendered(screen, "#history-title")
        rows = table_cells(screen, "#events-table")
        assert len(rows) == len(events)
        for e, row in zip(events, rows, strict=True):
            assert row[0] == format_london(e.at)
            assert row[1] == (e.actor.name if e.actor_id else "system")
        assert [e.at for e in events] == sorted(e.at for e in events)
        # the highlighted event in full below the list
        detail = rendered(screen, "#history-detail")
        assert events[0].summary in detail.replace("\n", " ")


@pilot_test
async def test_stages_due_vs_actual_and_days_taken(make_app: Any) -> None:
    app = make_app("cpatel")
    d = climbed()
    records = list(m.StageRecord.select().where(m.StageRecord.dispute == d.id).order_by(m.StageRecord.seq))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=d.id))
        await pilot.press("s")
        await settle(pilot)
        assert screen.active_tab == "stages"
        rows = table_cells(screen, "#stages-table")
        assert len(rows) == len(records) > 1
        cal = app.desk.calendar
        for r, row in zip(records, rows, strict=True):
            if r.response_at is not None:
                taken = cal.working_days_between(london_date(r.sent_at), london_date(r.response_at))
                assert row[4] == str(taken)
                assert row[5] == ("on time" if r.response_at < r.due_at else "late")
        assert screen.data is not None
        labels = [s.label for s in screen.data.stages]
        assert labels[0] == app.desk.policy.stage(records[0].stage_key).label


@pilot_test
async def test_explain_a_stage_sent_before_christmas(make_app: Any) -> None:
    app = make_app("cpatel")
    did = christmas_dispute(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=did))
        await pilot.press("s")
        await settle(pilot)
        row = table_cells(screen, "#stages-table")[0]
        assert row[1:3] == ["24 Dec 26", "05 Jan 27"]
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExplainDialog)
        ex = app.screen.explanation
        assert "due by the end of Tue 5 Jan 2027" in ex.title
        text = rendered(app.screen, "#explain-lines")
        expected = [
            ("Thu 24 Dec 2026", "sent (never counted)"),
            ("Fri 25 Dec 2026", "skipped: Christmas Day"),
            ("Sat 26 Dec 2026", "skipped: Saturday"),
            ("Sun 27 Dec 2026", "skipped: Sunday"),
            ("Mon 28 Dec 2026", "skipped: Boxing Day (observed)"),
            ("Tue 29 Dec 2026", "working day 1"),
            ("Fri 1 Jan 2027", "skipped: New Year's Day"),
            ("Tue 5 Jan 2027", "working day 5"),
        ]
        lines = text.splitlines()
        at = [next(i for i, line in enumerate(lines) if line.startswith(day) and line.endswith(what))
              for day, what in expected]
        assert at == sorted(at)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


@pilot_test
async def test_clocks_with_state_words_and_explain(make_app: Any) -> None:
    app = make_app("cpatel")
    did = christmas_dispute(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=did))
        await pilot.press("c")
        await settle(pilot)
        rows = table_cells(screen, "#clocks-table")
        labels = [r[1] for r in rows]
        assert any(label.startswith("Response to Informal DRP") for label in labels)
        states = {r[0].strip() for r in rows}
        assert states <= {"!! OVERDUE", "!  due today", ">  due soon", "on track", "|| paused", "ok done", "-"}
        assert "ok done" in states and "on track" in states  # raise window met; response running
        raise_row = next(i for i, label in enumerate(labels) if label.startswith("DRP raised within"))
        screen.query_one("#clocks-table").move_cursor(row=raise_row)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExplainDialog)
        text = rendered(app.screen, "#explain-lines")
        assert "Wed 23 Dec 2026  issue arose (never counted)" in text
        assert "Christmas Day" in text and "Boxing Day (observed)" in text
        assert text.splitlines()[-1] == "Tue 29 Dec 2026  working day 2"


@pilot_test
async def test_explain_on_the_timeline_points_to_stages(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=climbed().id))
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen  # nothing to explain on the timeline: a hint instead


@pilot_test
async def test_a_childs_history_covers_all_their_disputes(make_app: Any) -> None:
    app = make_app("cpatel")
    did = christmas_dispute(app)
    child_id = m.Dispute.get_by_id(did).child_id
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(child_id=child_id))
        ids = [d.id for d in m.Dispute.select().where(m.Dispute.child == child_id)]
        assert screen.data is not None and [v.id for v in screen.data.disputes] == ids
        events = list(m.Event.select().where((m.Event.child == child_id) & (m.Event.kind != "read")).order_by(m.Event.id))
        rows = table_cells(screen, "#events-table")
        assert len(rows) == len(events)
        refs = {m.Dispute.get_by_id(i).reference for i in ids}
        assert {r[2] for r in rows if r[2]} <= refs  # a Ref column for a child's several disputes
        assert f"{len(ids)} dispute" in rendered(screen, "#history-title")


@pilot_test
async def test_open_from_history(make_app: Any, monkeypatch: Any) -> None:
    app = make_app("cpatel")
    d = climbed()
    async with app.run_test(size=(80, 24)) as pilot:
        await push(app, pilot, HistoryScreen(dispute_id=d.id))
        opened: list[int] = []
        monkeypatch.setattr(app, "open_dispute", opened.append)
        await pilot.press("o")
        assert opened == [d.id]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HistoryScreen)


@pilot_test
async def test_states_follow_the_clock(make_app: Any) -> None:
    app = make_app("cpatel")
    did = christmas_dispute(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=did))
        await pilot.press("s")
        assert table_cells(screen, "#stages-table")[0][5] == "awaiting"
        app.last_input = app.desk.clock.set(datetime(2027, 1, 5, 9, 0, tzinfo=LONDON))  # no idle lock
        screen.clock_tick()
        await settle(pilot)
        assert table_cells(screen, "#stages-table")[0][5] == "due today"
        app.last_input = app.desk.clock.set(datetime(2027, 1, 6, 0, 0, tzinfo=LONDON))  # end of Tue 5 Jan
        screen.clock_tick()
        await settle(pilot)
        assert table_cells(screen, "#stages-table")[0][5] == "OVERDUE"
        await pilot.press("c")
        assert table_cells(screen, "#clocks-table")[0][0] == "!! OVERDUE"


@pilot_test
async def test_explain_an_hours_clock(make_app: Any) -> None:
    app = make_app("cpatel")
    d = m.Dispute.get(m.Dispute.status == "negotiating")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=d.id))
        await pilot.press("c")
        labels = [r[1] for r in table_cells(screen, "#clocks-table")]
        row = next(i for i, label in enumerate(labels) if label.startswith("Further negotiation"))
        screen.query_one("#clocks-table").move_cursor(row=row)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ExplainDialog)
        ex = app.screen.explanation
        assert "24 hours of further negotiation" in " ".join(ex.intro) and ex.lines == ()
        assert "no days are skipped" in " ".join(ex.intro)
        assert "No days to count." in rendered(app.screen, "#explain-lines")


@pilot_test
async def test_a_child_without_disputes(make_app: Any) -> None:
    app = make_app("cpatel")
    chair = m.Staff.get(m.Staff.username == "cpatel")
    child = next(c for c in m.Child.select().where(m.Child.chair == chair.id) if not c.disputes.count())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(child_id=child.id))
        assert "0 disputes" in rendered(screen, "#history-title")
        await pilot.press("s", "e")
        await settle(pilot)
        assert app.screen is screen
        assert "Nothing to show." in rendered(screen, "#history-detail")


@pilot_test
async def test_state_colours_follow_the_theme(make_app: Any) -> None:
    app = make_app("cpatel")
    did = christmas_dispute(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=did))
        await pilot.press("c")
        table = screen.query_one("#clocks-table")
        done_row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]).endswith("done"))
        before = table.get_row_at(done_row)[0].style
        await pilot.press("ctrl+t")  # the 16-colour theme
        await settle(pilot)
        after = screen.query_one("#clocks-table").get_row_at(done_row)[0].style
        assert str(after) != str(before)
        assert str(screen.query_one("#clocks-table").get_row_at(done_row)[0]) == "ok done"
