"""The desk under a procedure that leaves a stage's length to the chair (Knowsley, 004:37):
sending asks for the day agreed, and an extension needs no reason where the profile says so."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.pilot import Pilot

from drp_tui.domain.model import Status
from drp_tui.domain.timeutil import end_of_london_day_utc, utc
from drp_tui.ui.screens.dialogs import FormDialog
from tests.ui.test_dispute_form import keys, message, open_form, pick, run
from tests.ui.test_workflows import fill_dialog, record


def test_sending_the_informal_stage_asks_the_chair_for_the_day_agreed_004_37(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="knowsley-dr")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="stage_1")
        form = await open_form(pilot, did)
        await keys(pilot, "s")
        assert isinstance(pilot.app.screen, FormDialog)  # not a yes/no: the day agreed is asked
        await fill_dialog(pilot, due_on="24/11/2026")  # "by tomorrow" (today is Mon 23 Nov 2026)
        rec = record(did)
        assert rec.sent_at is not None and utc(rec.due_at) == end_of_london_day_utc(date(2026, 11, 24))
        assert "sent to the" in message(form)

    run(app, body)
