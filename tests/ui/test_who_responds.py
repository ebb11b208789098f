"""The desk's send dialog where a stage may be answered by any one of several (Durham stage 1,
001:142 "Social Worker or Team Manager"): it lists who may answer, and sends to the one chosen."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.pilot import Pilot

from drp_tui.services import disputes as ds
from drp_tui.store import models as m
from tests.ui.test_dispute_form import ctx_as, fields, keys, message, open_form, run, staff
from tests.ui.test_workflows import fill_dialog, record


def test_send_lets_the_chair_pick_the_social_worker_or_the_team_manager(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")
    child = m.Child
    kid = child.get((child.chair == staff("cpatel").id) & child.sibling_group.is_null())
    policy = app.desk.policy
    [did] = ds.raise_dispute(ctx_as(app, "cpatel"), ds.RaiseInput(
        child_ids=[kid.id], category=policy.categories[0].key, start_stage="stage_1",
        issue_arose=date(2026, 11, 20), concern="No visits for six weeks."))
    tm = m.TeamRole.get((m.TeamRole.level == "team_manager") & (m.TeamRole.team == kid.team_id)).staff
    sw = kid.social_worker

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, did)
        await keys(pilot, "s")
        dialog = pilot.app.screen
        choice = fields(dialog)["to"]
        assert [v for _label, v in choice.spec.options] == [sw.id, tm.id]  # who may answer, SW first
        await fill_dialog(pilot, to=tm.id)
        rec = record(did)
        assert m.Dispute.get_by_id(did).status == "sent" and rec.responder_id == tm.id
        assert f"sent to {tm.name}" in message(form)

    run(app, body)
