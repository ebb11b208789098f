"""The report pack on the reports screen (p): the year's figures as the database has them, drawn as
bars at 80x24, keyboard only; , and . move a year; a chair gets nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from peewee import fn

from drp_tui.store import models as m
from drp_tui.ui.screens.reports import ReportsScreen
from tests.ui.screens_helpers import pilot_test, push, rendered, screen_text, settle


@pilot_test
async def test_the_pack_shows_the_years_figures_as_bars(make_app: Any) -> None:
    app = make_app("osman")  # oversight; the frozen clock says Mon 23 Nov 2026
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ReportsScreen())
        assert screen.pack is None  # read only when first shown
        await pilot.press("p")
        await settle(pilot)
        p = screen.pack
        assert p is not None and (p.date_from, p.date_to) == (date(2026, 4, 1), date(2027, 3, 31))
        assert screen.focused is screen.query_one("#report-pack")
        # the figures are the database's: every demo dispute the oversight manager may see
        raised = (m.Dispute.select().where(m.Dispute.raised_on.between(date(2026, 4, 1), date(2027, 3, 31)))
                  .count())
        assert p.total == raised > 0
        by_month = dict(m.Dispute.select(fn.strftime("%m", m.Dispute.raised_on), fn.COUNT(m.Dispute.id))
                        .group_by(fn.strftime("%m", m.Dispute.raised_on)).tuples())
        assert {mc.month.strftime("%m"): mc.count for mc in p.by_month if mc.count} == by_month
        resolved = m.Dispute.select().where(m.Dispute.status == "resolved").count()
        assert sum(c.count for c in p.resolved_at) == resolved == len(p.days_to_resolution)
        assert "Wed 1 Apr 2026 to Wed 31 Mar 2027" in rendered(screen, "#pack-period")
        month = rendered(screen, "#pack-month")
        assert "Disputes raised by month" in month and "█" in month and "Nov 2026" in month
        nov = next(line for line in month.splitlines() if line.startswith("Nov 2026"))
        assert nov.rstrip().endswith(f" {next(mc.count for mc in p.by_month if mc.label == 'Nov 2026')}")
        assert max(len(line) for line in month.splitlines()) <= 78  # fits 80 columns
        for key in ("stage", "resolved", "timeliness", "resolution", "themes", "teams", "cafcass", "year"):
            assert rendered(screen, f"#pack-{key}").strip(), key
        assert "Year on year" in rendered(screen, "#pack-year")
        assert "year before" in screen_text(app).splitlines()[-1].lower()  # the footer offers , and .
        # the year before: nothing raised then in the demo
        await pilot.press("comma")
        await settle(pilot)
        assert screen.pack is not None and screen.pack.date_from == date(2025, 4, 1) and screen.pack.total == 0
        assert screen.pack.last_year.raised == 0 and screen.pack.by_month[7].previous == 0
        await pilot.press("full_stop", "full_stop")
        await settle(pilot)
        assert screen.pack is not None and screen.pack.date_from == date(2027, 4, 1)
        assert screen.pack.by_month[7].previous == p.by_month[7].count  # Nov 2026, a year earlier
        # , and . mean nothing on the other tabs
        await pilot.press("n", "comma")
        await settle(pilot)
        assert screen.pack.date_from == date(2027, 4, 1)


@pilot_test
async def test_the_pack_is_not_for_a_chair(make_app: Any) -> None:
    app = make_app("cpatel")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await push(app, pilot, ReportsScreen())
        await pilot.press("p")
        await settle(pilot)
        assert screen.pack is None
        assert "Reports are for the IRO service manager" in rendered(screen, "#pack-period")


def test_bars_fit_their_width_and_show_user_text_as_typed() -> None:
    from rich.cells import cell_len

    from drp_tui.services.report_pack import Chart, Section
    from drp_tui.ui.screens.reports import section_text
    from drp_tui.ui.widgets.bars import bar_chart

    chart = Chart(("[b]Team[/b] \u202eA", "北部チーム北部チーム北部チーム", "Zero"),
                  (("This period", (8.0, 2.5, 0.0)), ("A year earlier", (4.0, 0.0, 0.0))))
    text = bar_chart(chart, 60)
    lines = text.plain.splitlines()
    assert lines[0].strip() == "█ This period   ░ A year earlier"
    assert len(lines) == 1 + 3 * 2 and all(cell_len(line) <= 60 for line in lines)
    assert lines[1].startswith("[b]Team[/b] ") and "\u202e" not in text.plain  # shown, never obeyed
    assert lines[1].rstrip().endswith(" 8") and "█" * 10 in lines[1]
    assert lines[2].rstrip().endswith(" 4") and "░" in lines[2]
    assert "…" in lines[3] and lines[5].split() == ["Zero", "0"] and lines[6].split() == ["0"]
    assert not text.spans or all(s.style in ("bold", "dim") for s in text.spans)
    plain = bar_chart(chart, 60, plain=True).plain.splitlines()  # plain mode: figures in words, no bars
    assert plain[0].startswith("[b]Team[/b]") and plain[0].endswith(": This period 8, A year earlier 4")
    assert len(plain) == 3 and plain[2].endswith(": This period 0, A year earlier 0")
    assert not any(0x2580 <= ord(ch) <= 0x259F for line in plain for ch in line)
    section = Section("teams", "By team", ("Team", "All", "Open"), (("=1+1", 3, 1), ("North", 1, None)),
                      Chart(("=1+1", "North"), (("All", (3.0, 1.0)),)), note="A note.")
    shown = section_text(section, 60).plain
    assert shown.splitlines()[0] == "By team" and "=1+1" in shown and "A note." in shown
    assert "\nNorth     1     -\n" in shown  # the table as well: the chart leaves the open counts out
