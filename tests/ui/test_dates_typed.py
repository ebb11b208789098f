"""Dates as people type them (issue 11, item 6): ``today``/``tomorrow`` from the desk's clock
(frozen at Mon 23 Nov 2026), and every parsed date shown back in words beside its field."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from tests.ui.test_dispute_form import fields, keys, open_form, pick, run, settle


def words(box: Any) -> str:
    return str(box.query_one(".ef-words", Static).render())


def test_today_and_tomorrow_are_read_from_the_desk_clock_and_shown_in_words(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.DRAFT, stage="informal")
        before = m.Dispute.get_by_id(did)
        form = await open_form(pilot, did)
        box = fields(form)["issue_arose"]
        shown = before.issue_arose
        assert words(box).startswith("= ") and str(shown.year) in words(box)  # the saved day, in words
        box.set_raw("tomorrow")
        await settle(pilot)
        assert words(box) == "= Tue 24 Nov 2026"
        box.set_raw("4/12/2026")
        await settle(pilot)
        assert words(box) == "= Fri 4 Dec 2026"
        box.set_raw("31/02/2026")
        await settle(pilot)
        assert words(box) == ""  # not a day: nothing shown back (the error says why on save)
        box.set_raw("today")
        await settle(pilot)
        assert words(box) == "= Mon 23 Nov 2026"
        await keys(pilot, "ctrl+s")
        after = m.Dispute.get_by_id(did)
        assert after.issue_arose == date(2026, 11, 23) and after.version == before.version + 1

    run(app, body)
