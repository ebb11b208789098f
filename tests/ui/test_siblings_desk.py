"""Siblings in one go at the desk (issue 11 item 7): a manager types one response for the linked
siblings (each child keeps its own record); an "all siblings" action goes sibling by sibling:
one refused is named with the reason on the form's message line, the others proceed."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from drp_tui.domain.model import Status
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.store import models as m
from drp_tui.ui.screens.dialogs import ConfirmDialog
from tests.ui.test_dispute_form import ctx_as, keys, message, open_form, pick, run
from tests.ui.test_workflows import fill_dialog, record, respond_in_form


def group_of(did: int) -> list[int]:
    link = m.Dispute.get_by_id(did).link_group
    return [d.id for d in m.Dispute.select().where(m.Dispute.link_group == link).order_by(m.Dispute.id)]


def test_decide_all_siblings_one_refused_the_others_decided(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        group = group_of(pick(Status.SENT, linked=True))
        assert len(group) == 3
        for x in group[:2]:  # the third's manager has not answered yet
            ds.record_response(ctx_as(app, record(x).responder.username), x, "Contact booked.")
        await open_form(pilot, group[0])
        await keys(pilot, "d")
        await fill_dialog(pilot, resolved=False, comments="Dates not shared with the children.")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await keys(pilot, "y")
        assert [record(x).decision for x in group] == ["not_resolved", "not_resolved", None]
        third = m.Dispute.get_by_id(group[2])
        said = message(pilot.app.screen)
        assert "Not done for 1 linked sibling" in said and third.reference in said and "no response" in said
        assert third.status == "sent"

    run(app, body)


def test_a_manager_types_one_response_for_the_siblings(make_app: Any) -> None:
    make_app("cpatel")  # opens the demo database: find the group and its manager
    did = group_of(pick(Status.SENT, linked=True))[0]
    manager = record(did).responder.username
    app = make_app(manager)

    async def body(pilot: Pilot[Any]) -> None:
        group = group_of(did)
        outcomes.withdraw(ctx_as(app, "cpatel"), group[2], "Raised in error for this child.")
        form = await open_form(pilot, group[0])
        await respond_in_form(pilot, form, "Contact booked for all three.",
                              [("Book contact", "Team manager", "04/12/2026")])
        question = pilot.app.screen
        assert isinstance(question, ConfirmDialog)
        assert "Also record this same response for the 1 linked sibling dispute?" in str(
            question.query_one("#question").render())
        await keys(pilot, "y")
        recs = [record(x) for x in group]
        assert [r.response for r in recs] == ["Contact booked for all three."] * 2 + [""]
        for r in recs[:2]:  # each child's own record, its own copy of the action
            assert [(a.description, a.owner) for a in m.Action.select().where(m.Action.stage_record == r.id)] == [
                ("Book contact", "Team manager")]
        assert [m.Dispute.get_by_id(x).status for x in group] == ["responded", "responded", "withdrawn"]

    run(app, body)
