"""The report pack: figures equal hand-computed ones; CSV/XLSX read back (formulas neutralised);
the PDF holds every section and its charts; only oversight or an administrator may write one,
and every one written (or refused) is in the audit trail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.model import Status
from drp_tui.domain.policy import Policy
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.services import report_files as rf
from drp_tui.services import report_pack as rp
from drp_tui.services.errors import PermissionDenied, ValidationError
from drp_tui.store import audit_check
from drp_tui.store import models as m
from drp_tui.store.queries_screens import DisputeFacts, StageFacts
from tests.factories import World
from tests.unit.test_reports import built  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Mon 23 Nov 2026, 10:00 London (GMT)
FROM, TO = date(2026, 4, 1), date(2027, 3, 31)


def _at(y: int, mo: int, d: int, h: int = 10) -> datetime:
    return datetime(y, mo, d, h, 0, tzinfo=UTC)


def _fact(i: int, raised: date, team: str, category: str, status: Status, stage: str,
          closed: datetime | None = None, next_due: datetime | None = None) -> DisputeFacts:
    return DisputeFacts(id=i, reference=f"DRP-{i}", child_name=f"Child {i}", team_id=1, team_name=team,
                        raised_by_id=1, raised_by_name="A Chair", raised_by_team_id=2, category=category,
                        policy_key="mosaic-iro", current_stage=stage, status=status, raised_on=raised,
                        next_due_at=next_due, next_due_kind="response" if next_due else "", paused=False,
                        responder_name="", closed_at=closed)


def _stage(did: int, key: str, seq: int, sent: datetime | None, due: datetime | None,
           response: datetime | None) -> StageFacts:
    return StageFacts(did, key, seq, sent, due, None, response)


def fixture_periods() -> tuple[rp.Period, rp.Period]:
    """Five disputes raised in Apr 2026 - Mar 2027, three in the year before (dates in 2026 are BST
    until 25 Oct: the end of a London day is 23:00 UTC).

    A  Wed 15 Apr 2026, North, care plan: resolved at informal Wed 22 Apr (5 working days).
       informal sent 15 Apr, due end of 22 Apr, answered 17 Apr: on time, 2 working days.
    B  Mon 4 May 2026 (a bank holiday), South, drift and delay: resolved at stage 1 Fri 29 May
       (18 working days: 25 May is a bank holiday). informal sent 4 May, due end of 12 May,
       answered 14 May: late, 8 working days; stage 1 sent 15 May, due end of 29 May, answered
       27 May: on time, 7 working days.
    C  Mon 2 Nov 2026, North, care plan: closed by a Cafcass referral at stage 4, never answered.
    D  Tue 10 Nov 2026, team "=1+1", management decision: stage 1 sent, due end of Thu 19 Nov,
       no answer (overdue); a Cafcass referral recorded that left it open.
    E  Mon 16 Nov 2026, South, category "@SUM(A1)" (not the profile's): withdrawn, never sent.
    A year earlier: P1 Mon 7 Apr 2025 resolved Mon 14 Apr (5 working days; its one answer late),
    P2 Mon 10 Nov 2025 open, P3 Wed 12 Nov 2025 referred to Cafcass (status only).
    """
    this = (
        _fact(1, date(2026, 4, 15), "North", "care_plan", Status.RESOLVED, "informal", closed=_at(2026, 4, 22, 12)),
        _fact(2, date(2026, 5, 4), "South", "drift_and_delay", Status.RESOLVED, "stage_1", closed=_at(2026, 5, 29, 9)),
        _fact(3, date(2026, 11, 2), "North", "care_plan", Status.CAFCASS, "stage_4", closed=_at(2026, 11, 20)),
        _fact(4, date(2026, 11, 10), "=1+1", "management_decision", Status.SENT, "stage_1",
              next_due=_at(2026, 11, 20, 0)),
        _fact(5, date(2026, 11, 16), "South", "@SUM(A1)", Status.WITHDRAWN, "informal", closed=_at(2026, 11, 18)),
    )
    stages = (
        _stage(1, "informal", 1, _at(2026, 4, 15), _at(2026, 4, 22, 23), _at(2026, 4, 17, 14)),
        _stage(2, "informal", 1, _at(2026, 5, 4), _at(2026, 5, 12, 23), _at(2026, 5, 14, 14)),
        _stage(2, "stage_1", 2, _at(2026, 5, 15), _at(2026, 5, 29, 23), _at(2026, 5, 27, 14)),
        _stage(3, "stage_4", 1, _at(2026, 11, 2), _at(2026, 11, 10, 0), None),
        _stage(4, "stage_1", 1, _at(2026, 11, 10), _at(2026, 11, 20, 0), None),
        _stage(5, "informal", 1, None, None, None),
    )
    last = (
        _fact(11, date(2025, 4, 7), "North", "care_plan", Status.RESOLVED, "informal", closed=_at(2025, 4, 14, 15)),
        _fact(12, date(2025, 11, 10), "North", "care_plan", Status.SENT, "informal"),
        _fact(13, date(2025, 11, 12), "South", "care_plan", Status.CAFCASS, "stage_4", closed=_at(2025, 12, 1)),
    )
    last_stages = (_stage(11, "informal", 1, _at(2025, 4, 7), _at(2025, 4, 14, 23), _at(2025, 4, 15, 9)),)
    return (rp.Period(FROM, TO, this, stages, frozenset({4})),
            rp.Period(date(2025, 4, 1), date(2026, 3, 31), last, last_stages, frozenset()))


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_builtin("mosaic-iro")


@pytest.fixture(scope="module")
def hand(policy: Policy) -> rp.Pack:
    this, last = fixture_periods()
    return rp.pack(this, last, policy, WorkingCalendar("ENG"), NOW)


def _counts(items: tuple[object, ...]) -> list[tuple[str, int]]:
    return [(c.key, c.count) for c in items]  # type: ignore[attr-defined]


def test_figures_equal_the_hand_computed_ones(hand: rp.Pack) -> None:
    p = hand
    assert p.total == 5
    assert [(mc.label, mc.count, mc.previous) for mc in p.by_month] == [
        ("Apr 2026", 1, 1), ("May 2026", 1, 0), ("Jun 2026", 0, 0), ("Jul 2026", 0, 0), ("Aug 2026", 0, 0),
        ("Sep 2026", 0, 0), ("Oct 2026", 0, 0), ("Nov 2026", 3, 2), ("Dec 2026", 0, 0), ("Jan 2027", 0, 0),
        ("Feb 2027", 0, 0), ("Mar 2027", 0, 0)]
    assert _counts(p.by_stage) == [("informal", 2), ("stage_1", 2), ("stage_2", 0), ("stage_3", 0), ("stage_4", 1)]
    assert _counts(p.resolved_at) == [("informal", 1), ("stage_1", 1), ("stage_2", 0), ("stage_3", 0), ("stage_4", 0)]
    assert p.days_to_resolution == (5, 18)
    t = p.timeliness
    assert (t.answered, t.on_time, t.late, t.awaiting, t.awaiting_overdue, t.unanswered) == (3, 2, 1, 1, 1, 1)
    assert t.on_time_percent == 67 and t.median_working_days == 7.0  # of 2, 8, 7
    assert _counts(p.by_category) == [("care_plan", 2), ("@SUM(A1)", 1), ("drift_and_delay", 1),
                                      ("management_decision", 1)]
    assert [(tc.team, tc.total, tc.open, tc.overdue, tc.closed) for tc in p.by_team] == [
        ("North", 2, 0, 0, 2), ("South", 2, 0, 0, 2), ("=1+1", 1, 1, 1, 0)]
    assert _counts(p.cafcass_by_stage) == [("stage_1", 1), ("stage_4", 1)]
    y = p.this_year
    assert (y.raised, y.open, y.resolved, y.cafcass, y.withdrawn) == (5, 1, 2, 2, 1)
    assert (y.on_time_percent, y.median_days_to_resolution) == (67, 11.5)
    last = p.last_year
    assert (last.date_from, last.date_to) == (date(2025, 4, 1), date(2026, 3, 31))
    assert (last.raised, last.open, last.resolved, last.cafcass, last.withdrawn) == (3, 1, 1, 1, 0)
    assert (last.on_time_percent, last.median_days_to_resolution) == (0, 5.0)


def test_sections_lay_out_every_figure(hand: rp.Pack) -> None:
    s = {x.key: x for x in rp.sections(hand)}
    assert list(s) == ["month", "stage", "resolved", "timeliness", "resolution", "themes", "teams", "cafcass", "year"]
    assert s["stage"].rows[0] == ("Informal DRP", 2, 40)
    assert s["resolved"].rows[:2] == (("Informal DRP", 1, 50), ("Stage 1 DRP", 1, 50))
    assert ("On time %", 67) in s["timeliness"].rows
    assert s["resolution"].rows[1] == ("Median working days from raised to resolved", 11.5)
    assert s["cafcass"].rows[-1] == ("All referrals", 2)
    assert s["year"].rows[0] == ("Disputes raised", 5, 3)
    assert ("Median working days to resolution", 11.5, 5.0) in s["year"].rows
    assert s["month"].chart is not None and len(s["month"].chart.series) == 2


def test_small_rules() -> None:
    assert rp.a_year_earlier(date(2028, 2, 29)) == date(2027, 2, 28)
    assert rp.months(date(2026, 11, 30), date(2027, 2, 1)) == (
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1))
    assert rp.financial_year(date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert rp.financial_year(date(2026, 4, 1)) == (date(2026, 4, 1), date(2027, 3, 31))
    for bad in ("=1+1", "+1", "-2", "@A1", "\tx", "\rx"):
        assert rf.spreadsheet_safe(bad) == "'" + bad
    assert rf.spreadsheet_safe("Care plan") == "Care plan" and rf.spreadsheet_safe(3) == 3
    assert rf.spreadsheet_safe(None) == ""


def test_xlsx_read_back_text_is_text_and_figures_are_numbers(hand: rp.Pack) -> None:
    wb = load_workbook(io.BytesIO(rf.to_xlsx(hand)))
    assert wb.sheetnames[0] == "About" and len(wb.sheetnames) == 1 + len(rp.sections(hand))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    teams = wb["By team (the child's team)"]
    rows = [[c.value for c in row] for row in teams.iter_rows()]
    assert rows[1] == ["Team", "All", "Open", "Overdue", "Closed"]
    assert rows[4] == ["'=1+1", 1, 1, 1, 0]
    assert teams.cell(row=5, column=1).data_type == "s"
    themes = [[c.value for c in row] for row in wb["Themes (categories of concern)"].iter_rows()]
    assert ["'@SUM(A1)", 1, 20] in themes
    year = [[c.value for c in row] for row in wb["Year on year"].iter_rows()]
    assert ["Disputes raised", 5, 3] in year and ["Responses on time %", 67, 0] in year


def test_csv_read_back(hand: rp.Pack) -> None:
    data = rf.to_csv(hand)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert ["'=1+1", "1", "1", "1", "0"] in rows and ["'@SUM(A1)", "1", "20"] in rows
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert ["Disputes raised by month"] in rows and ["Nov 2026", "3", "2"] in rows


def test_pdf_has_every_section_and_its_charts(hand: rp.Pack) -> None:
    reader = PdfReader(io.BytesIO(rf.to_pdf(hand)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for s in rp.sections(hand):
        assert s.title in text, s.title
    assert "Wed 1 Apr 2026 to Wed 31 Mar 2027" in text and "=1+1" in text
    charts = sum(len(page.images) for page in reader.pages)
    assert charts == sum(1 for s in rp.sections(hand) if s.chart is not None and s.chart.labels)


# --- through the database: the read rule and the audit trail -------------------------------------------

def _events(kind: str) -> list[m.Event]:
    return list(m.Event.select().where(m.Event.kind == kind).order_by(m.Event.id))


def test_export_for_oversight_is_audited_without_names(world: World, built: dict[str, int]) -> None:
    m.Team.update(name="=1+1").where(m.Team.name == "Test Social Care").execute()
    made = rf.export_pack(world.ctx(world.oversight), date(2026, 11, 1), date(2026, 11, 30), "xlsx")
    assert made.disputes == 5 and made.fmt == "xlsx"
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(made.data))["By team (the child's team)"]
            .iter_rows()]
    assert rows[2] == ["'=1+1", 5, 4, 1, 1]
    (ev,) = _events("export")
    assert ev.actor_id == world.oversight.id and "2026-11-01 to 2026-11-30" in ev.summary
    for name in ("Sibling", "Other Child", "Casey", "Drew", "=1+1"):
        assert name not in ev.summary and name not in (ev.after or "")
    # the pack's figures are the database's: d1 raised Mon 16 Nov, resolved Thu 19 Nov
    p = rp.pack_for(world.ctx(world.oversight), date(2026, 11, 1), date(2026, 11, 30))
    assert p.days_to_resolution == (3,) and p.total == 5
    assert rp.pack_for(world.ctx(world.admin), date(2026, 11, 1), date(2026, 11, 30)).total == 5


def test_export_is_refused_for_a_chair_and_the_refusal_audited(world: World, built: dict[str, int]) -> None:
    with pytest.raises(PermissionDenied, match="oversight"):
        rf.export_pack(world.ctx(world.chair), date(2026, 11, 1), date(2026, 11, 30), "csv")
    assert _events("export") == []
    (refused,) = _events("refused")
    assert refused.actor_id == world.chair.id and "export pack refused" in refused.summary
    with pytest.raises(PermissionDenied):
        rp.pack_for(world.ctx(world.worker), date(2026, 11, 1), date(2026, 11, 30))
    rf.export_pack(world.ctx(world.admin), date(2026, 11, 1), date(2026, 11, 30), "csv")
    assert [e.actor_id for e in _events("export")] == [world.admin.id]
    assert audit_check.verify() == []  # the export and the refusal are links of the chain like any event


@pytest.mark.parametrize(("start", "end", "fmt", "field"), [
    (date(2026, 11, 30), date(2026, 11, 1), "csv", "date_to"),
    (date(2020, 1, 1), date(2026, 11, 1), "csv", "date_to"),
    (date(1999, 1, 1), date(2000, 1, 1), "csv", "date_from"),
    (date(2026, 11, 1), date(2026, 11, 30), "docx", "format"),
])
def test_bad_input_names_the_field_and_writes_nothing(world: World, start: date, end: date, fmt: str,
                                                      field: str) -> None:
    with pytest.raises(ValidationError) as err:
        rf.export_pack(world.ctx(world.oversight), start, end, fmt)
    assert err.value.field == field
    assert _events("export") == []


def test_pdf_text_outside_latin1_is_shown_not_fatal(hand: rp.Pack, tmp_path: Path) -> None:
    this, last = fixture_periods()
    odd = rp.Period(this.date_from, this.date_to,
                    (_fact(1, date(2026, 4, 15), "Équipe \u202e 北 \x07", "care_plan", Status.SENT, "informal"),),
                    (), frozenset())
    p = rp.pack(odd, last, load_builtin("mosaic-iro"), WorkingCalendar("ENG"), NOW)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(rf.to_pdf(p))).pages)
    assert "Équipe ? ? ?" in text


def test_a_long_period_fits_its_chart_on_a_page(policy: Policy) -> None:
    start, end = date(2024, 1, 1), date(2026, 12, 31)  # 36 months
    this = rp.Period(start, end, tuple(_fact(i, date(2024 + i % 3, 1 + i % 12, 5), f"Team {i}", "care_plan",
                                             Status.SENT, "informal") for i in range(1, 41)), (), frozenset())
    last = rp.Period(rp.a_year_earlier(start), rp.a_year_earlier(end), (), (), frozenset())
    p = rp.pack(this, last, policy, WorkingCalendar("ENG"), NOW)
    assert len(p.by_month) == 36 and len(p.by_team) == 40
    reader = PdfReader(io.BytesIO(rf.to_pdf(p)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Disputes raised by month" in text and "Team 40" in text
