"""The dispute form offers exactly the moves ``domain.moves`` allows (footer, palette and
help follow ``check_action``); a key of a refused move says why; "due soon" is one rule.

Pilot tests on the demo data (frozen clock: Mon 23 Nov 2026 10:00 London).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.pilot import Pilot

from drp_tui.domain.model import DisputeRow, DueState, Role, Status
from drp_tui.domain.moves import Move
from drp_tui.domain.timeutil import end_of_london_day_utc
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import get_dispute
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.dispute_sections import FLOW_MOVES
from tests.ui.test_dispute_form import ctx_as, open_form, pick, run, settle, staff


def offered_flows(form: DisputeScreen) -> set[str]:
    return {name for name in [*FLOW_MOVES, "respond"] if form.check_action("flow", (name,)) is True
            or form.check_action(name, ()) is True}


def allowed_flows(form: DisputeScreen) -> set[str]:
    verdicts = form.drp.desk.moves(get_dispute(form.dispute_id))
    names = {name for name, mvs in FLOW_MOVES.items() if any(verdicts[mv].allowed for mv in mvs)}
    if verdicts[Move.RESPOND].allowed:
        names.add("respond")
    return names


def raise_for(app: Any, chair: str, stage: str) -> int:
    child = m.Child.select().where(m.Child.chair == staff(chair).id).order_by(m.Child.id).first()
    (did,) = ds.raise_dispute(ctx_as(app, chair), ds.RaiseInput(
        child_ids=[child.id], category=app.desk.policy.categories[0].key, start_stage=stage,
        issue_arose=date(2026, 11, 20), concern="Family time has not happened for eight weeks."))
    return did


def holder_of(did: int, level: str, team_of: str = "child") -> m.Staff:
    d = m.Dispute.get_by_id(did)
    team = d.child.team_id if team_of == "child" else d.raised_by.team_id
    return m.TeamRole.get((m.TeamRole.team == team) & (m.TeamRole.level == level)).staff


def test_the_form_offers_exactly_the_allowed_moves(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        now = app.desk.clock.now()
        for did, expect in (
            (pick(Status.DRAFT, stage="informal"), {"send", "cafcass", "withdraw", "conversation"}),
            (pick(Status.SENT, stage="informal", overdue=True, now=now),
             {"on_behalf", "escalate", "cafcass", "withdraw", "conversation"}),
        ):
            form = await open_form(pilot, did)
            assert offered_flows(form) == allowed_flows(form) == expect
            # the palette lists the same (it asks check_action); the footer shows only these keys
            shown = {b.binding.action for b in form.active_bindings.values()}
            assert ("flow('send')" in shown) == ("send" in expect)
            assert "flow('extension')" not in shown and "flow('approve')" not in shown
            form.dismiss()
            await settle(pilot)

    run(app, body)


def test_the_responder_is_offered_the_response_and_nothing_of_the_chairs(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        responder = m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(
            m.StageRecord.seq.desc()).first().responder
        app.desk.sign_in_demo(responder.username)
        form = await open_form(pilot, did)
        assert offered_flows(form) == allowed_flows(form) == {"respond"}
        assert form.check_action("save_draft", ()) is True and form.check_action("save", ()) is False

    run(app, body)


def test_a_holder_of_the_approval_level_is_offered_approve(make_app: Any) -> None:
    """Issue 8: approve was hidden from a holder of the approval level who is not oversight,
    though the service accepts their approval."""
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = raise_for(app, "cpatel", "stage_2")  # needs the IRO service manager's agreement
        level = app.desk.policy.rules.approval_level
        deputy = m.Staff.create(username="deputy", name="Dee Deputy", role=Role.RESPONDER.value,
                                team=staff("cpatel").team, created_at=app.desk.clock.now())
        m.TeamRole.update(staff=deputy).where((m.TeamRole.team == deputy.team_id)
                                              & (m.TeamRole.level == level)).execute()
        app.desk.sign_in_demo("deputy")
        form = await open_form(pilot, did)
        assert form.check_action("flow", ("approve",)) is True
        assert offered_flows(form) == {"approve"}
        outcomes.approve_stage(ctx_as(app, "deputy"), did, "Agreed.")  # and the service agrees

    run(app, body)


def test_action_done_is_not_offered_to_an_earlier_stages_manager(make_app: Any) -> None:
    """Issue 8: "action done" was offered to a stage-1 manager (the open action being stage 2's),
    then refused with a 'refused' event in the audit trail."""
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        chair = ctx_as(app, "cpatel")
        did = raise_for(app, "cpatel", "stage_1")
        ds.send(chair, did)
        first = get_dispute(did).current
        assert first is not None and first.responder_id is not None
        manager1 = m.Staff.get_by_id(first.responder_id)
        ds.record_response(ctx_as(app, manager1.username), did, "Review.",
                           [ds.ActionInput("Review", "TM", date(2026, 12, 4))])
        outcomes.escalate(chair, did, comment="No dates.")
        outcomes.approve_stage(ctx_as(app, holder_of(did, app.desk.policy.rules.approval_level, "chair").username),
                               did)
        ds.send(chair, did)
        second = get_dispute(did).current
        assert second is not None and second.responder_id not in (None, manager1.id)
        ds.record_response(ctx_as(app, m.Staff.get_by_id(second.responder_id).username), did, "Fund it.",
                           [ds.ActionInput("Fund it", "SM", date(2026, 12, 4))])
        outcomes.complete_action(chair, get_dispute(did).stages[0].actions[0].id)
        refused_before = m.Event.select().where(m.Event.kind == "refused").count()
        app.desk.sign_in_demo(manager1.username)
        form = await open_form(pilot, did)
        assert form.check_action("flow", ("action_done",)) is False
        await pilot.press("f")
        await settle(pilot)
        assert any("Only the chair or the manager who responded" in str(n.message) for n in app._notifications)
        assert not [s for s in app.screen_stack if s is not form and s.is_modal]  # no dialog opened
        assert m.Event.select().where(m.Event.kind == "refused").count() == refused_before

    run(app, body)


def test_x_under_a_profile_without_extensions_says_why(make_app: Any) -> None:
    """Issue 8: `x` Extension under a profile without extensions did nothing, silently."""
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        assert form.check_action("flow", ("extension",)) is False  # not in the footer or the palette
        form.query_one("#dispute-body").focus()
        await pilot.press("x")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert any(s.startswith("This procedure does not provide for extensions") for s in said), said
        assert app.screen is form
        # help lists what the form offers, not the hidden move
        from drp_tui.ui.screens.help import key_rows

        listed = {what.split(" — ")[0] for _k, what, _w in key_rows(app, form)}
        assert "Escalate" in listed and "Response on behalf" in listed
        assert "Extension" not in listed and "Approve stage" not in listed and "Reopen" not in listed

    run(app, body)


def reminders(did: int) -> list[str]:
    return [n.text for n in m.Notification.select().where((m.Notification.dispute == did)
                                                          & (m.Notification.kind == "reminder"))]


def test_due_soon_zero_is_never_due_soon_in_caseload_form_and_reminders(make_app: Any) -> None:
    """Issue 8: with due_soon_working_days = 0 the caseload said "due soon", the form "on track",
    and a reminder was still sent."""
    from drp_tui.services import inbox

    app = make_app("cpatel", due_soon_working_days=0)

    async def body(pilot: Pilot[Any]) -> None:
        desk = app.desk
        did = raise_for(app, "cpatel", "stage_1")
        ds.send(ctx_as(app, "cpatel"), did)
        tomorrow = end_of_london_day_utc(date(2026, 11, 24))  # due the next working day (Tue 24 Nov)
        m.StageRecord.update(due_at=tomorrow, due_date=date(2026, 11, 24)).where(m.StageRecord.dispute == did).execute()
        m.Dispute.update(next_due_at=tomorrow).where(m.Dispute.id == did).execute()
        form = await open_form(pilot, did)
        d = m.Dispute.get_by_id(did)
        row = DisputeRow(d.id, d.reference, "", "", d.category, d.current_stage, "", Status.SENT, "", None,
                         d.next_due_at, d.next_due_kind, False, d.raised_by_id, d.responder_id, d.policy_key)
        assert desk.row_state(row) is DueState.ON_TRACK  # the caseload
        assert form._soon() == 0
        states = form._stage_states()
        assert states["stage_1"][1] is DueState.ON_TRACK  # the form
        inbox.remind(desk.ctx())
        assert reminders(did) == []  # no "due soon" reminder
        # the same day with the procedure's own window (1 working day): due soon everywhere
        desk.due_soon_days = None
        assert desk.row_state(row) is DueState.DUE_SOON
        inbox.remind(desk.ctx())
        assert reminders(did) == [f"{d.reference}: response due soon (due end of Tue 24 Nov 2026)"]
        assert form._soon() == 1 and form._stage_states()["stage_1"][1] is DueState.DUE_SOON

    run(app, body)
