"""The history screen writes the record out: ``p`` copies a stage's case-note text (and shows it),
``x`` writes the evidence bundle into the exports folder; each is an audit event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drp_tui.config import user_data_dir
from drp_tui.store import models as m
from drp_tui.ui.screens.history import HistoryScreen
from drp_tui.ui.screens.history_widgets import ExplainDialog
from tests.ui.screens_helpers import pilot_test, push, screen_text, settle
from tests.ui.test_history import climbed


def last_event() -> m.Event:
    return m.Event.select().order_by(m.Event.id.desc()).first()


@pilot_test
async def test_P_copies_the_highlighted_stages_case_note_and_shows_it(make_app: Any) -> None:
    app = make_app("cpatel")
    d = climbed()
    records = list(m.StageRecord.select().where(m.StageRecord.dispute == d.id).order_by(m.StageRecord.seq))
    second = app.desk.policy.stage(records[1].stage_key).label
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=d.id))
        await pilot.press("s", "j", "P")  # the second stage
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExplainDialog)
        copied = app.clipboard
        assert copied.startswith(f"{app.desk.policy.vocabulary.process} {d.reference}: {second} sent")
        assert records[1].response.split()[0] in copied
        assert records[0].stage_key not in copied and f": {app.desk.policy.stage(records[0].stage_key).label} " not in copied
        shown = screen_text(app)
        assert f"Case note · {d.reference}" in shown and "Copied to the clipboard" in shown
        ev = last_event()
        assert (ev.kind, ev.dispute_id, ev.actor.username) == ("export", d.id, "cpatel")
        assert ev.summary == f"Exported case-note text: {d.reference}"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("t", "P")  # on the timeline: every step of the dispute, oldest first
        await settle(pilot)
        assert isinstance(app.screen, ExplainDialog)
        whole = app.clipboard
        assert whole.startswith(f"{app.desk.policy.vocabulary.process} {d.reference}: raised") and copied in whole
        assert m.Event.select().where((m.Event.kind == "export") & (m.Event.dispute == d.id)).count() == 2


@pilot_test
async def test_x_writes_the_evidence_bundle_and_says_where(make_app: Any) -> None:
    app = make_app("cpatel")
    d = climbed()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await push(app, pilot, HistoryScreen(dispute_id=d.id))
        await pilot.press("x")
        await settle(pilot)
        assert screen.exported is not None
        pdf, html = (Path(p) for p in screen.exported)
        assert pdf.parent == user_data_dir() / "exports" and pdf.read_bytes().startswith(b"%PDF")
        assert d.reference in html.read_text(encoding="utf-8")
        assert any(str(pdf) in str(n.message) for n in app._notifications)
        ev = last_event()
        assert (ev.kind, ev.dispute_id, ev.actor.username) == ("export", d.id, "cpatel")
        assert ev.summary == f"Exported evidence bundle: {d.reference}"
        assert pdf.name == f"{d.reference}-bundle-{ev.id}.pdf"
