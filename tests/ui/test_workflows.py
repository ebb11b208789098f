"""Whole workflows on the dispute form, each person in their own session on one database.

Raise → send → respond with SMART actions → not resolved → escalate → approve → send →
respond → resolved; bypass where the profile allows it and refusal where it does not;
extension, Cafcass, withdraw/reopen, negotiation window, linked siblings, on-behalf
responses, conversations, actions done and monitoring meetings.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from drp_tui.domain.model import Status
from drp_tui.domain.moves import Move
from drp_tui.domain.timeutil import end_of_london_day_utc, utc
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes as oc
from drp_tui.services.errors import DomainError
from drp_tui.store import models as m
from drp_tui.ui.screens.dialogs import ConfirmDialog, FormDialog
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.raise_form import RaiseScreen
from drp_tui.ui.widgets.form_fields import ActionsEditor
from tests.ui.test_dispute_form import (
    ctx_as,
    fields,
    keys,
    message,
    open_form,
    pick,
    run,
    settle,
    staff,
)

TODAY = date(2026, 11, 23)


async def fill_dialog(pilot: Pilot[Any], **values: Any) -> FormDialog:
    dialog = pilot.app.screen
    assert isinstance(dialog, FormDialog), dialog
    boxes = fields(dialog)
    for key, value in values.items():
        boxes[key].set_raw(value)
    await keys(pilot, "ctrl+s")
    return dialog


async def respond_in_form(pilot: Pilot[Any], form: DisputeScreen, text: str,
                          rows: list[tuple[str, str, str]]) -> None:
    fields(form)["response"].set_raw(text)
    editor = form.query_one(ActionsEditor)
    editor.query("Input").first().focus()
    for _ in rows[1:]:
        await keys(pilot, "ctrl+n")  # add a row from the keyboard
    for row, values in zip(editor.row_widgets(), rows, strict=True):
        for widget, value in zip(row.query("Input"), values, strict=True):
            widget.value = value  # type: ignore[attr-defined]
    await keys(pilot, "ctrl+s")  # a draft only: nothing is sent
    assert "Draft saved — not sent" in message(form)
    assert m.Dispute.get_by_id(form.dispute_id).status in ("sent", "negotiating")
    await keys(pilot, "escape", "r")  # leave the field; r records and sends
    assert isinstance(pilot.app.screen, ConfirmDialog)
    assert "cannot be changed afterwards" in str(pilot.app.screen.query_one("#question").render())
    await keys(pilot, "y")


def section_text(form: DisputeScreen, n: int) -> str:
    return "\n".join(str(s.render()) for s in form.query(f"#sec-{n} Static"))


def record(did: int) -> m.StageRecord:
    return m.StageRecord.select().where(m.StageRecord.dispute == did).order_by(m.StageRecord.seq.desc()).first()


def test_full_workflow_raise_to_resolved_across_sessions(make_app: Any) -> None:
    child = m.Child  # resolved below, once the database is open
    state: dict[str, int] = {}

    async def raise_and_send(pilot: Pilot[Any]) -> None:
        kid = child.get((child.chair == staff("cpatel").id) & child.sibling_group.is_null())
        pilot.app.push_screen(RaiseScreen(kid.id))
        await settle(pilot)
        raise_form = pilot.app.screen
        boxes = fields(raise_form)
        boxes["category"].set_raw("drift_and_delay")
        boxes["start_stage"].set_raw("stage_1")
        boxes["issue_arose"].set_raw("2026-11-20")
        boxes["concern"].set_raw("Permanence planning has drifted for four months.")
        boxes["wanted"].set_raw("A permanence plan agreed at the next review.")
        await keys(pilot, "ctrl+s")
        form = pilot.app.screen
        assert isinstance(form, DisputeScreen)
        d = m.Dispute.get_by_id(form.dispute_id)
        assert (d.status, d.current_stage, d.category, d.child_id) == ("draft", "stage_1", "drift_and_delay", kid.id)
        state["did"] = d.id
        await keys(pilot, "s")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await keys(pilot, "y")
        rec = record(d.id)
        assert m.Dispute.get_by_id(d.id).status == "sent" and rec.responder.username == "dwhitlow"
        assert "Stage 1 DRP sent to the Team Manager." in message(form)
        assert "3. Stage 1 DRP: sent to Dana Whitlow" in str(form.query_one("#sec-3").title)

    async def respond(pilot: Pilot[Any], rows: list[tuple[str, str, str]]) -> None:
        form = await open_form(pilot, state["did"])
        await respond_in_form(pilot, form, "Agreed: the plan goes to panel.", rows)
        assert m.Dispute.get_by_id(state["did"]).status == "responded"
        assert [a.description for a in m.Action.select().where(m.Action.stage_record == record(state["did"]))] \
            == [r[0] for r in rows]
        assert "response" not in fields(form)  # recorded: no longer editable

    async def not_resolved_then_escalate(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, state["did"])
        await keys(pilot, "d")
        await fill_dialog(pilot, resolved=False, comments="No date for the panel.")
        assert record(state["did"]).decision == "not_resolved"
        await keys(pilot, "e")
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        options = [str(o[0]) for o in fields(dialog)["target"].editor._options if o[1] is not Select.NULL]  # type: ignore[attr-defined]
        assert options == ["Section 4: Stage 2 DRP (Service Manager)"]  # mosaic-iro: next stage only
        await fill_dialog(pilot)
        d = m.Dispute.get_by_id(state["did"])
        assert (d.current_stage, d.status) == ("stage_2", "draft")
        assert "Approval: awaiting Service Manager (IRO service)'s agreement" in section_text(form, 4)
        await keys(pilot, "s", "y")  # refused until the service manager agrees
        assert "needs Service Manager (IRO service)'s agreement" in message(form)
        assert record(state["did"]).sent_at is None

    async def approve(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, state["did"])
        assert form.check_action("approve", ()) is True and form.check_action("send", ()) is False
        await keys(pilot, "a")
        await fill_dialog(pilot, note="Agreed in supervision.")
        assert record(state["did"]).approval_by.username == "osman"

    async def send_again(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, state["did"])
        await keys(pilot, "s", "y")
        rec = record(state["did"])
        assert rec.responder.username == "gashby" and rec.sent_at is not None
        assert "Stage 2 DRP sent" in message(form)

    async def resolve(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, state["did"])
        await keys(pilot, "d")
        await fill_dialog(pilot, resolved=True, comments="Panel date set; plan agreed.")
        d = m.Dispute.get_by_id(state["did"])
        assert (d.status, d.outcome) == ("resolved", "Panel date set; plan agreed.")
        assert not fields(form) and form.check_action("reopen", ()) is True
        assert form.check_action("escalate", ()) is False

    run(make_app("cpatel"), raise_and_send)
    run(make_app("dwhitlow"), lambda p: respond(p, [("Book the panel date", "Team Manager", "2026-11-27")]))
    run(make_app("cpatel"), not_resolved_then_escalate)
    run(make_app("osman"), approve)
    run(make_app("cpatel"), send_again)
    run(make_app("gashby"), lambda p: respond(p, [("Panel", "Service Manager", "2026-11-30"),
                                                  ("Tell the child", "Social Worker", "2026-12-01")]))
    run(make_app("cpatel"), resolve)


@pytest.mark.parametrize(("policy_key", "expected", "target"), [
    ("knowsley-dr", ["stage_2", "stage_3", "stage_4"], "stage_4"),  # 004: may bypass any stage
    ("tower-hamlets-alerts", ["alert_1", "alert_3"], "alert_3"),  # 003: straight to Head of Service
])
def test_bypass_where_the_procedure_allows_it(make_app: Any, policy_key: str, expected: list[str],
                                             target: str) -> None:
    app = make_app("cpatel", policy_key=policy_key)

    async def body(pilot: Pilot[Any]) -> None:
        start = app.desk.policy.stages[0].key
        kid = m.Child.get((m.Child.chair == staff("cpatel").id) & m.Child.sibling_group.is_null())
        (did,) = ds.raise_dispute(ctx_as(app, "cpatel"), ds.RaiseInput([kid.id], app.desk.policy.categories[0].key,
                                                                      start, TODAY, "Drift in the plan."))
        ds.send(ctx_as(app, "cpatel"), did)
        ds.record_response(ctx_as(app, record(did).responder.username), did, "We will look at it.")
        await open_form(pilot, did)
        await keys(pilot, "e")
        select = fields(pilot.app.screen)["target"].editor
        assert [v for _, v in select._options if v is not Select.NULL] == expected  # type: ignore[attr-defined]
        await fill_dialog(pilot, target=target, comment="Needs a decision at a higher level.")
        d = m.Dispute.get_by_id(did)
        assert (d.current_stage, d.status) == (target, "draft")
        assert record(did).seq == 2 and m.StageRecord.get(m.StageRecord.dispute == did, m.StageRecord.seq == 1) \
            .decision == "not_resolved"

    run(app, body)


def test_mosaic_offers_only_the_next_stage_and_refuses_a_bypass(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        await keys(pilot, "e")
        dialog = pilot.app.screen
        assert "next stage only" in "\n".join(str(s.render()) for s in dialog.query(".dialog-intro"))
        select = fields(dialog)["target"].editor
        assert [v for _, v in select._options if v is not Select.NULL] == ["stage_1"]  # type: ignore[attr-defined]
        await keys(pilot, "escape")
        assert pilot.app.screen is form
        with pytest.raises(DomainError, match="does not let you go from Informal DRP to Stage 3 DRP"):
            oc.escalate(ctx_as(app, "cpatel"), did, "stage_3")
        assert m.Dispute.get_by_id(did).current_stage == "informal"

    run(app, body)


def test_extension_with_the_benefit_to_the_child(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, overdue=False, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        assert form.check_action("extension", ()) is True
        await keys(pilot, "x")
        dialog = await fill_dialog(pilot, until="2026-02-30", benefit_to_the_child="Specialist assessment due.")
        assert pilot.app.screen is dialog  # the bad date is named in the dialog, which stays open
        assert "Extend the response to: '2026-02-30' is not a day of the calendar" in str(
            fields(dialog)["until"].query_one(".ef-error").render())
        await fill_dialog(pilot, until="2026-12-04")
        rec = record(did)
        assert utc(rec.extension_until) == end_of_london_day_utc(date(2026, 12, 4))
        assert rec.extension_reason == "Specialist assessment due."
        assert "paused" in str(form.query_one(f"#sec-{app.desk.policy.stage(rec.stage_key).section}").title)
        assert "Extension agreed to Fri 4 Dec 2026." in message(form)

    run(app, body)


def test_no_extension_where_the_procedure_has_none(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_form(pilot, pick(Status.SENT, overdue=False, now=app.desk.clock.now()))
        assert form.check_action("extension", ()) is False

    run(app, body)


def test_cafcass_referral_at_any_time_in_knowsley(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="knowsley-dr")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="stage_1")
        form = await open_form(pilot, did)
        await keys(pilot, "c")
        await fill_dialog(pilot, kind="cafcass_referral", note="Unreasonable failure to implement contact.")
        d = m.Dispute.get_by_id(did)
        assert d.status == "sent" and d.outcome == ""  # 004:28 the referral runs alongside: still open
        assert m.CafcassStep.get(m.CafcassStep.dispute == did).kind == "cafcass_referral"
        assert "Referred to Cafcass" in message(form)

    run(app, body)


def test_cafcass_referral_refused_before_the_last_stage_in_mosaic(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal")
        form = await open_form(pilot, did)
        await keys(pilot, "c")
        # the referral is not offered before the last stage (legal advice and a discussion are)
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        kinds = {value for _label, value in fields(dialog)["kind"].spec.options}
        assert kinds == {"legal_advice", "cafcass_discussion", "discussion"}
        await keys(pilot, "escape")
        assert pilot.app.screen is form
        assert form.ld is not None
        why = form.ld.moves[Move.CAFCASS_REFERRAL].reason
        assert "use every stage first" in why and "not used (sent)" in why and "Stage 1 DRP, Stage 2 DRP" in why
        assert m.Dispute.get_by_id(did).status == "sent"
        assert not m.CafcassStep.select().where(m.CafcassStep.dispute == did).exists()

    run(app, body)


def test_withdraw_then_reopen(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal")
        form = await open_form(pilot, did)
        await keys(pilot, "w")
        dialog = await fill_dialog(pilot, reason="")
        assert pilot.app.screen is dialog and "Reason: is required" in str(
            fields(dialog)["reason"].query_one(".ef-error").render())
        await fill_dialog(pilot, reason="The child has moved to another authority.")
        d = m.Dispute.get_by_id(did)
        assert (d.status, d.outcome) == ("withdrawn", "Withdrawn: The child has moved to another authority.")
        assert not fields(form) and form.check_action("withdraw", ()) is False
        await keys(pilot, "o")
        await fill_dialog(pilot, reason="The move fell through.")
        assert m.Dispute.get_by_id(did).status == "sent"

    run(app, body)


def test_further_negotiation_window(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.RESPONDED)
        form = await open_form(pilot, did)
        await keys(pilot, "n")
        await fill_dialog(pilot, what_was_agreed="Manager confirms the funding by phone tomorrow.")
        rec = record(did)
        assert utc(rec.negotiation_until) == app.desk.clock.now() + timedelta(hours=24)
        assert m.Dispute.get_by_id(did).status == "negotiating"
        assert form.check_action("negotiate", ()) is False  # the procedure allows one window
        assert form.check_action("decide", ()) is True

    run(app, body)


def test_linked_siblings_decided_together(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, linked=True)
        group = [d.id for d in m.Dispute.select().where(m.Dispute.link_group == m.Dispute.get_by_id(did).link_group)]
        assert len(group) == 3
        for x in group:
            ds.record_response(ctx_as(app, record(x).responder.username), x, "Contact booked.")
        await open_form(pilot, group[0])
        await keys(pilot, "d")
        await fill_dialog(pilot, resolved=False, comments="Dates not shared with the children.")
        question = pilot.app.screen
        assert isinstance(question, ConfirmDialog)
        assert "Also record this decision for the 2 linked sibling disputes?" in str(
            question.query_one("#question").render())
        await keys(pilot, "y")
        assert [record(x).decision for x in group] == ["not_resolved"] * 3

    run(app, body)


def test_chair_records_a_response_on_behalf(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal", overdue=True, now=app.desk.clock.now())
        form = await open_form(pilot, did)
        assert "response" not in fields(form)
        await keys(pilot, "b")
        assert app.focused is fields(form)["response"].editor
        await respond_in_form(pilot, form, "Phoned: the visit is booked for Wednesday.",
                              [("Visit the child", "Social Worker", "25/11/2026")])  # typed day first
        rec = record(did)
        assert [a.due for a in m.Action.select().where(m.Action.stage_record == rec)] == [date(2026, 11, 25)]
        assert rec.response_on_behalf and rec.response_by.username == "cpatel"
        assert m.Dispute.get_by_id(did).status == "responded"
        assert "Response (Chloe Patel on behalf of Dana Whitlow" in section_text(form, 2)

    run(app, body)


def test_conversation_action_done_and_monitoring(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.RESPONDED)
        form = await open_form(pilot, did)
        await keys(pilot, "t")
        await fill_dialog(pilot, with_whom="Dana Whitlow", held_time="25:99", how="phone",
                          what_was_agreed="Assessment booked.")
        again = pilot.app.screen  # shown again with what was typed, the problem at its field
        assert isinstance(again, FormDialog) and fields(again)["with_whom"].raw == "Dana Whitlow"
        assert "time: '25:99' is not a time" in str(fields(again)["held_time"].query_one(".ef-error").render())
        await fill_dialog(pilot, held_time="09:30")
        talk = m.Conversation.get(m.Conversation.dispute == did)
        assert (talk.with_whom, talk.how, talk.agreed) == ("Dana Whitlow", "phone", "Assessment booked.")
        first = m.Action.select().where(m.Action.stage_record == record(did)).order_by(m.Action.due).first()
        await keys(pilot, "f")
        await fill_dialog(pilot, action=first.id)
        assert m.Action.get_by_id(first.id).done_on == TODAY
        await keys(pilot, "d")
        await fill_dialog(pilot, resolved=True, comments="Agreed plan.")
        meeting = m.MonitoringMeeting.get(m.MonitoringMeeting.dispute == did)
        assert meeting.held_on is None and form.check_action("monitoring", ()) is True
        await keys(pilot, "m")
        await fill_dialog(pilot, outcome="Assessment done; plan on track.", attendees="IRO, TM")
        meeting = m.MonitoringMeeting.get_by_id(meeting.id)
        assert (meeting.held_on, meeting.outcome) == (TODAY, "Assessment done; plan on track.")
        assert "held Mon 23 Nov 2026: Assessment done" in section_text(form, 1)

    run(app, body)


def test_the_stage_meeting_is_recorded_from_the_form(make_app: Any) -> None:
    """Durham stage 3: the IRO arranges a meeting within 5 working days (001:113); g records it."""
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        ctx = ctx_as(app, "cpatel")
        child = m.Child.select().where((m.Child.chair == staff("cpatel").id)
                                       & m.Child.legal_status.in_(["CLA", "CP"])).order_by(m.Child.id).first()
        (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
            child_ids=[child.id], category=app.desk.policy.categories[0].key, start_stage="stage_3",
            issue_arose=TODAY, concern="The plan has drifted."))
        ds.send(ctx, did)
        form = await open_form(pilot, did)
        assert form.check_action("meeting", ()) is True
        await keys(pilot, "v")
        await fill_dialog(pilot, attendees="IRO, TM, Operations Manager", outcome="Tasks and dates agreed.")
        held = m.Meeting.get(m.Meeting.dispute == did)
        assert (held.stage_key, held.held_on, held.attendees) == ("stage_3", TODAY, "IRO, TM, Operations Manager")
        assert "Tasks and dates agreed." in section_text(form, 1)
        # its agreed outcome sets the stage's monitoring meeting, 10 working days on (001:144)
        assert m.MonitoringMeeting.get(m.MonitoringMeeting.dispute == did).due_on == date(2026, 12, 7)

    run(app, body)


def test_conflict_in_a_dialog_keeps_the_comment_and_names_who(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.RESPONDED)
        form = await open_form(pilot, did)
        await keys(pilot, "d")
        # Meanwhile the same chair, in another session, records a conversation on this dispute.
        oc.record_conversation(ctx_as(app, "cpatel"), did, "Dana Whitlow", app.desk.clock.now(), "phone",
                               "Will call back.")
        await fill_dialog(pilot, resolved=False, comments="The plan has no dates.")
        again = pilot.app.screen
        assert isinstance(again, FormDialog)
        assert "was changed by Chloe Patel" in str(again.query_one("#dialog-error").render())
        assert fields(again)["comments"].raw == "The plan has no dates." and fields(again)["resolved"].raw is False
        assert record(did).decision is None
        await keys(pilot, "ctrl+s")  # apply again, knowingly
        assert record(did).decision == "not_resolved" and pilot.app.screen is form

    run(app, body)


def test_discussion_before_a_referral_recorded_from_the_form(make_app: Any) -> None:
    """000:92: the discussion with the IRO Service Manager / Head of Service is a recorded step."""
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        did = pick(Status.SENT, stage="informal")
        await open_form(pilot, did)
        await keys(pilot, "c")
        await fill_dialog(pilot, kind="discussion", note="Agreed a referral may be needed.")
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        options = fields(dialog)["with"].spec.options
        assert options and all("before a Cafcass referral" in label for label, _v in options)
        await fill_dialog(pilot)  # the first person offered, now, with what was said carried over
        step = m.CafcassStep.get((m.CafcassStep.dispute == did) & (m.CafcassStep.kind == "discussion"))
        assert step.before_step == "cafcass_referral" and step.note == "Agreed a referral may be needed."
        assert step.level in ("iro_service_manager", "iro_head_of_service") and step.with_staff_id is not None

    run(app, body)
