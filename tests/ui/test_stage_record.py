"""Each stage keeps its record on the form: the chair's decision and every comment on it stay in
that stage's section after further negotiation and after escalating (the issue: the first "not
resolved" comment disappeared from the form after escalating)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.services import outcomes
from drp_tui.services.context import Ctx
from drp_tui.ui.screens.dispute import DisputeScreen
from tests.conftest import FROZEN_NOW
from tests.ui.desk_helpers import desk_test, raw, settle


def chair_ctx() -> Ctx:
    from drp_tui.store import models as m

    chair = m.Staff.get(m.Staff.username == "cpatel")
    return Ctx(chair.id, load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(FROZEN_NOW))


def section_text(screen: DisputeScreen, section: int) -> str:
    return "\n".join(str(w.content) for w in screen.query_one(f"#sec-{section}").query(Static))


@desk_test
async def test_not_resolved_then_negotiation_then_escalation_keeps_both_comments(make_app: Any) -> None:
    app = make_app("cpatel")
    from drp_tui.store import models as m

    d = m.Dispute.get(m.Dispute.reference == "DRP-2026-0009")  # informal: response received
    ctx = chair_ctx()
    outcomes.decide(ctx, d.id, False, "The plan still has no date for the family time review.")
    outcomes.agree_negotiation(ctx, d.id, "Manager to set the review date by tomorrow.")
    outcomes.escalate(ctx, d.id, "stage_1", "No date was set within the negotiation window.")
    informal = load_builtin("mosaic-iro").stage("informal").section
    with raw(app) as con:
        (stored,) = con.execute("SELECT decision_comment FROM stage_record WHERE dispute_id = ? AND stage_key = "
                                "'informal'", (d.id,)).fetchone()
    assert stored.startswith("The plan still has no date for the family time review.\n\n")
    assert stored.endswith(": No date was set within the negotiation window.")
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        form = DisputeScreen(d.id)
        await app.push_screen(form)
        await settle(pilot)
        text = section_text(form, informal)
        assert "Decision: Not resolved" in text
        assert "The plan still has no date for the family time review." in text  # the first comment stays
        assert "Further comment: " in text and "No date was set within the negotiation window." in text


@desk_test
async def test_decided_then_escalated_with_a_comment_keeps_both(make_app: Any) -> None:
    app = make_app("cpatel")
    from drp_tui.store import models as m

    d = m.Dispute.get(m.Dispute.reference == "DRP-2026-0010")  # informal: response received
    ctx = chair_ctx()
    outcomes.decide(ctx, d.id, False, "Contact arrangements are still not in the plan.")
    outcomes.escalate(ctx, d.id, "stage_1", "Going to the service manager.")
    informal = load_builtin("mosaic-iro").stage("informal").section
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        form = DisputeScreen(d.id)
        await app.push_screen(form)
        await settle(pilot)
        text = section_text(form, informal)
        assert "Decision: Not resolved" in text and "Contact arrangements are still not in the plan." in text
        assert "Going to the service manager." in text
