"""Every move the procedure does not allow: refused with a clear message, database unchanged.

``snapshot_db()`` reads every row of every table (nothing excluded) before and after
the refused call; the two must be identical. The one documented exception: a
``PermissionDenied`` leaves exactly one ``refused`` event in the audit trail
(ARCHITECTURE.md), and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from drp_tui.domain.model import Status
from drp_tui.domain.timeutil import LONDON
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.errors import DomainError, PermissionDenied, ValidationError
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import get_dispute
from tests.factories import World

Rows = dict[str, list[tuple[Any, ...]]]


def snapshot_db() -> Rows:
    """Every row of every table in the database, in rowid order."""
    db = m.database.obj
    return {t: db.execute_sql(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in sorted(db.get_tables())}


def refused(call: Callable[[], object], error: type[DomainError], *words: str,
            field: str | None = None) -> DomainError:
    """Run ``call``; it must raise ``error`` whose message has every one of ``words``,
    and leave the database as it was."""
    before = snapshot_db()
    with pytest.raises(error) as info:
        call()
    after = snapshot_db()
    exc = info.value
    assert type(exc) is error, f"{type(exc).__name__}: {exc.message}"
    if isinstance(exc, PermissionDenied):
        added = after["event"][len(before["event"]):]
        assert len(added) == 1
        trace = m.Event.get_by_id(added[0][0])
        assert trace.kind == "refused" and exc.message in trace.summary
        after["event"] = after["event"][: len(before["event"])]
    assert after == before, "a refused move changed the database"
    for word in words:
        assert word.lower() in exc.message.lower(), f"{word!r} not in {exc.message!r}"
    if field is not None:
        assert exc.field == field, (exc.field, exc.message)
    assert exc.message[0].isupper() or exc.message.split(":")[0].islower()  # a sentence or "field: ..."
    return exc


def at(w: World, y: int, mo: int, d: int, h: int = 10) -> None:
    w.clock.set(datetime(y, mo, d, h, tzinfo=LONDON))


def raise_input(w: World, **kw: Any) -> ds.RaiseInput:
    values: dict[str, Any] = dict(child_ids=[w.child.id], category=w.policy.categories[0].key,  # type: ignore[union-attr]
                                  start_stage=w.policy.starting_stages()[0].key, issue_arose=date(2026, 11, 20),
                                  concern="The care plan has drifted: no permanence decision for six months.")
    values.update(kw)
    return ds.RaiseInput(**values)


def new(w: World, stage: str | None = None, **kw: Any) -> int:
    return ds.raise_dispute(w.ctx(), raise_input(w, start_stage=stage or w.policy.starting_stages()[0].key, **kw))[0]


def approve_if_needed(w: World, did: int) -> None:
    view = get_dispute(did)
    prev = view.stages[-2].stage_key if len(view.stages) > 1 else None
    for g in w.policy.entry_gates(prev, view.current_stage):  # the profile's gates on entering the stage
        outcomes.approve_stage(w.ctx(w.levels[g.level]), did, "Agreed.")


def sent(w: World, stage: str | None = None) -> int:
    did = new(w, stage)
    approve_if_needed(w, did)
    ds.send(w.ctx(), did)
    return did


def responded(w: World, stage: str | None = None) -> int:
    did = sent(w, stage)
    key = get_dispute(did).current_stage
    ds.record_response(w.ctx(w.responder(key)), did, "We will review the plan.", [])
    return did


def not_resolved(w: World, stage: str | None = None) -> int:
    did = responded(w, stage)
    outcomes.decide(w.ctx(), did, False, "No dates in the plan.")
    return did


def child_like(w: World, **kw: Any) -> m.Child:
    values: dict[str, Any] = dict(case_number=f"X{m.Child.select().count() + 1}", name="Robin Extra",
                                  legal_status=w.child.legal_status, team=w.child.team,  # type: ignore[union-attr]
                                  chair=w.chair, social_worker=w.worker)
    values.update(kw)
    return m.Child.create(**values)


# --- responding --------------------------------------------------------------------------------

def test_respond_to_a_stage_not_sent_to_you(world: World) -> None:
    did = sent(world, "informal")  # to the team manager, the social worker copied in (000:48)
    refused(lambda: ds.record_response(world.ctx(world.worker), did, "Here is my plan.", []), PermissionDenied,
            "Informal DRP of DRP-2026-0001 was sent to Manager Team Manager, not to you")
    # a manager the dispute was never sent to cannot act on it at all
    refused(lambda: ds.record_response(world.ctx(world.levels["service_manager"]), did, "Plan.", []),
            PermissionDenied, "DRP-2026-0001")


def test_respond_before_sent(world: World) -> None:
    did = new(world, "stage_1")
    refused(lambda: ds.record_response(world.ctx(), did, "Plan.", [], on_behalf=True), DomainError,
            "Stage 1 DRP has not been sent yet", "nothing to respond to")


def test_respond_twice(world: World) -> None:
    did = responded(world, "stage_1")
    refused(lambda: ds.record_response(world.ctx(world.responder("stage_1")), did, "Another.", []), DomainError,
            "a response to Stage 1 DRP was already recorded on Mon 23 Nov 2026", "the IRO decides next")


def test_respond_with_an_empty_response_or_past_action(world: World) -> None:
    did = sent(world, "stage_1")
    tm = world.ctx(world.responder("stage_1"))
    refused(lambda: ds.record_response(tm, did, "   ", []), ValidationError, "response", "required", field="response")
    past = ds.ActionInput("Book the assessment", "Social Worker", date(2026, 11, 20))
    refused(lambda: ds.record_response(tm, did, "Plan.", [past]), ValidationError, "already past", field="actions")


def test_on_behalf_only_by_the_chair_who_raised_it(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: ds.record_response(world.ctx(world.other_chair), did, "Plan.", [], on_behalf=True),
            PermissionDenied, "DRP-2026-0001")


# --- escalating and bypassing --------------------------------------------------------------------

def test_escalate_past_the_last_stage(world: World) -> None:
    did = not_resolved(world, "stage_4")
    refused(lambda: outcomes.escalate(world.ctx(), did), DomainError,
            "Stage 4 DRP is the last stage", "consider a Cafcass referral")


def test_escalate_before_the_response_is_due(world: World) -> None:
    did = sent(world, "stage_1")
    exc = refused(lambda: outcomes.escalate(world.ctx(), did), DomainError,
                  "response to Stage 1 DRP is not due until end of Mon 30 Nov 2026", "Escalate once it is overdue")
    assert "record the response" in exc.message
    # once it is overdue the same move is allowed
    at(world, 2026, 12, 1, 0)
    outcomes.escalate(world.ctx(), did)
    assert get_dispute(did).current_stage == "stage_2"


def test_escalate_a_draft(world: World) -> None:
    did = new(world, "stage_1")
    refused(lambda: outcomes.escalate(world.ctx(), did), DomainError, "has not been sent yet", "send it before")


def test_escalate_after_a_response_needs_a_reason(world: World) -> None:
    did = responded(world, "stage_1")
    refused(lambda: outcomes.escalate(world.ctx(), did), ValidationError,
            "say why the response does not resolve it", field="comment")


def test_bypass_not_allowed_mosaic_stage_1_to_stage_3(world: World) -> None:
    did = not_resolved(world, "stage_1")
    refused(lambda: outcomes.escalate(world.ctx(), did, "stage_3"), DomainError,
            "does not let you go from Stage 1 DRP to Stage 3 DRP", "you can escalate to: Stage 2 DRP")
    refused(lambda: outcomes.escalate(world.ctx(), did, "no_such_stage"), DomainError, "you can escalate to")


@pytest.mark.parametrize("policy_key", ["knowsley-dr"], indirect=True)
def test_bypass_allowed_knowsley_any_stage(world: World) -> None:
    did = not_resolved(world, "stage_1")
    outcomes.escalate(world.ctx(), did, "stage_4")  # 004:7 "may bypass any stage"
    d = get_dispute(did)
    assert d.current_stage == "stage_4" and [s.stage_key for s in d.stages] == ["stage_1", "stage_4"]
    ds.send(world.ctx(), did)
    assert get_dispute(did).current.responder_id == world.levels["director"].id  # type: ignore[union-attr]


@pytest.mark.parametrize("policy_key", ["tower-hamlets-alerts"], indirect=True)
def test_bypass_allowed_tower_hamlets_only_to_head_of_service(world: World) -> None:
    did = not_resolved(world, "informal")
    refused(lambda: outcomes.escalate(world.ctx(), did, "alert_2"), DomainError,
            "does not let you go from Informal escalation to 2nd Alert - Service Manager",
            "1st Alert - Team Manager, 3rd Alert - Head of Service")
    refused(lambda: outcomes.escalate(world.ctx(), did, "alert_4"), DomainError, "3rd Alert - Head of Service")
    outcomes.escalate(world.ctx(), did, "alert_3")  # 003:57 straight to the Head of Service
    # 003:24: starting the RP this way too needs the Group Manager's agreement first
    refused(lambda: ds.send(world.ctx(), did), DomainError, "needs Group Manager (IRO service)'s approval")
    outcomes.approve_stage(world.ctx(world.levels["iro_group_manager"]), did, "Discussed; agreed.")
    ds.send(world.ctx(), did)
    cur = get_dispute(did).current
    assert cur is not None and cur.stage_key == "alert_3" and cur.responder_id == world.levels["head_of_service"].id
    # and a case may start there (may_start), but not at the 2nd Alert
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, start_stage="alert_2")), ValidationError,
            "2nd Alert - Service Manager cannot be a starting level", "Informal escalation",
            field="start_stage")
    (d2,) = ds.raise_dispute(world.ctx(), raise_input(world, start_stage="alert_3"))
    assert get_dispute(d2).current_stage == "alert_3"


# --- approval --------------------------------------------------------------------------------

def test_send_stage_2_without_approval(world: World) -> None:
    did = not_resolved(world, "stage_1")
    outcomes.escalate(world.ctx(), did)
    refused(lambda: ds.send(world.ctx(), did), DomainError,
            "Stage 2 DRP needs Service Manager (IRO service)'s agreement", "Ask them to record approval")
    refused(lambda: outcomes.approve_stage(world.ctx(world.chair), did), PermissionDenied,
            "Only the chairs' service manager")
    approve_if_needed(world, did)
    refused(lambda: outcomes.approve_stage(world.ctx(world.oversight), did), DomainError, "already approved")
    ds.send(world.ctx(), did)
    assert get_dispute(did).status is Status.SENT


def test_approve_a_stage_that_does_not_need_it(world: World) -> None:
    did = new(world, "stage_1")
    refused(lambda: outcomes.approve_stage(world.ctx(world.oversight), did), DomainError,
            "Stage 1 DRP does not await approval")


def test_send_twice(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: ds.send(world.ctx(), did), DomainError, "Stage 1 DRP was already sent on Mon 23 Nov 2026")


# --- deciding ----------------------------------------------------------------------------------

def test_resolve_without_a_response(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: outcomes.decide(world.ctx(), did, True, "Fine."), DomainError,
            "no response to Stage 1 DRP yet", "record it on the manager's behalf")


def test_not_resolved_needs_comments(world: World) -> None:
    did = responded(world, "stage_1")
    refused(lambda: outcomes.decide(world.ctx(), did, False, ""), ValidationError, "comments", "required",
            field="comments")


def test_decide_someone_elses_dispute(world: World) -> None:
    did = responded(world, "stage_1")
    refused(lambda: outcomes.decide(world.ctx(world.other_chair), did, True, "ok"), PermissionDenied,
            "DRP-2026-0001")


# --- editing -----------------------------------------------------------------------------------

def test_edit_a_sent_section(world: World) -> None:
    did = sent(world, "stage_1")
    v = get_dispute(did).version
    refused(lambda: ds.update_draft(world.ctx(), did, v, {"chair_concern": "Changed my mind."}), PermissionDenied,
            "Stage 1 DRP has been sent", "cannot be edited")
    refused(lambda: ds.update_draft(world.ctx(), did, v, {"concern": "Changed."}), PermissionDenied,
            "Section 1 has been sent")
    # the child's voice may still be recorded after sending
    ds.update_draft(world.ctx(), did, v, {"child_wishes": "Wants to see her brother."})


def test_edit_an_unknown_field_or_a_stale_version(world: World) -> None:
    did = new(world, "stage_1")
    v = get_dispute(did).version
    refused(lambda: ds.update_draft(world.ctx(), did, v, {"status": "resolved"}), ValidationError,
            "not a field of the form", field="status")
    ds.update_draft(world.ctx(), did, v, {"wanted": "A permanence decision within 4 weeks."})
    from drp_tui.services.errors import ConflictError
    refused(lambda: ds.update_draft(world.ctx(), did, v, {"wanted": "Mine."}), ConflictError,
            "was changed by Casey Chair", "Your text is kept")


def test_edit_a_resolved_dispute(world: World) -> None:
    did = responded(world, "stage_1")
    outcomes.decide(world.ctx(), did, True, "Agreed actions address it.")
    v = get_dispute(did).version
    refused(lambda: ds.update_draft(world.ctx(), did, v, {"child_wishes": "x"}), DomainError,
            "is resolved and read-only", "reopen it (with a reason)")
    refused(lambda: outcomes.decide(world.ctx(), did, False, "Changed my mind"), DomainError, "read-only")
    refused(lambda: outcomes.escalate(world.ctx(), did), DomainError, "read-only")


# --- extensions and negotiation ----------------------------------------------------------------

def test_extension_where_the_profile_has_none(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: outcomes.agree_extension(world.ctx(), did, date(2026, 12, 4), "More time helps."),
            DomainError, "does not provide for extensions", "escalate if the response is late")


@pytest.mark.parametrize("policy_key", ["durham-rp"], indirect=True)
def test_extension_needs_a_reason_a_later_working_day_and_an_awaited_response(world: World) -> None:
    did = sent(world, "stage_2")  # due Fri 27 Nov
    refused(lambda: outcomes.agree_extension(world.ctx(), did, date(2026, 12, 4), " "), ValidationError,
            "benefit to the child", "required")
    refused(lambda: outcomes.agree_extension(world.ctx(), did, date(2026, 11, 26), "Helps the child."),
            ValidationError, "must be after the current due date", field="until")
    refused(lambda: outcomes.agree_extension(world.ctx(), did, date(2026, 12, 5), "Helps the child."),
            ValidationError, "Sat 5 Dec 2026 is not a working day (Saturday)", field="until")
    outcomes.agree_extension(world.ctx(), did, date(2026, 12, 4), "The specialist assessment is due 3 Dec.")
    ds.record_response(world.ctx(world.responder("stage_2")), did, "Done.", [])
    refused(lambda: outcomes.agree_extension(world.ctx(), did, date(2026, 12, 11), "More."), DomainError,
            "still awaited")


def test_negotiation_twice(world: World) -> None:
    did = responded(world, "stage_1")
    outcomes.agree_negotiation(world.ctx(), did, "Manager to confirm funding by phone.")
    refused(lambda: outcomes.agree_negotiation(world.ctx(), did, "And again."), DomainError,
            "already agreed", "allows one", "Resolve or escalate")


def test_negotiation_without_a_response(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: outcomes.agree_negotiation(world.ctx(), did, "Talk."), DomainError,
            "follows a response")


@pytest.mark.parametrize("policy_key", ["knowsley-dr"], indirect=True)
def test_negotiation_where_the_profile_has_no_window(world: World) -> None:
    did = responded(world, "stage_2")
    refused(lambda: outcomes.agree_negotiation(world.ctx(), did, "Talk."), DomainError,
            "no further-negotiation window", "resolve the dispute or escalate it")


# --- Cafcass -----------------------------------------------------------------------------------

def test_cafcass_before_the_last_stage(world: World) -> None:
    did = not_resolved(world, "stage_2")
    refused(lambda: outcomes.cafcass_step(world.ctx(), did, "cafcass_referral", "Refer.", told="SM and HoS"),
            DomainError, "use every stage first", "not used (sent)", "Stage 1 DRP, Stage 3 DRP, Stage 4 DRP")
    # the chair may still seek legal advice or talk to Cafcass without referring
    outcomes.cafcass_step(world.ctx(), did, "cafcass_discussion", "Discussed with Cafcass", told="SM and HoS")
    assert get_dispute(did).status is Status.RESPONDED


def test_cafcass_needs_the_managers_told_first(world: World) -> None:
    # started at stage 4: stages 1-3 never used (000:90), so no referral, whatever text says who was told
    # (the recorded discussions of 000:92 are walked in tests/unit/test_cli_steps.py)
    did = not_resolved(world, "stage_4")
    refused(lambda: outcomes.cafcass_step(world.ctx(), did, "cafcass_referral", "Refer.", told="x"), DomainError,
            "use every stage first", "Stage 1 DRP, Stage 2 DRP, Stage 3 DRP")
    refused(lambda: outcomes.cafcass_step(world.ctx(), did, "subpoena", "x"), ValidationError, "step", field="kind")


@pytest.mark.parametrize("policy_key", ["mosaic-cpc"], indirect=True)
def test_cafcass_not_applicable_for_cp_chairs(world: World) -> None:
    did = not_resolved(world, "stage_4")
    refused(lambda: outcomes.cafcass_step(world.ctx(), did, "cafcass_referral", "Refer."), DomainError,
            "Cafcass referral does not apply under this procedure")
    refused(lambda: outcomes.cafcass_step(world.ctx(), did, "cafcass_discussion", "Talk."), DomainError,
            "does not apply")


# --- withdrawing and reopening ------------------------------------------------------------------

def test_withdraw_twice(world: World) -> None:
    did = sent(world, "stage_1")
    outcomes.withdraw(world.ctx(), did, "Child moved out of the area.")
    refused(lambda: outcomes.withdraw(world.ctx(), did, "Again."), DomainError,
            "is withdrawn and read-only")


def test_withdraw_needs_a_reason(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: outcomes.withdraw(world.ctx(), did, ""), ValidationError, "reason", "required", field="reason")


def test_reopen_an_open_dispute(world: World) -> None:
    did = sent(world, "stage_1")
    refused(lambda: outcomes.reopen(world.ctx(), did, "Why not."), DomainError,
            "is awaiting response", "only resolved or withdrawn disputes can be reopened")


def test_reopen_needs_a_reason_and_is_an_event(world: World) -> None:
    did = responded(world, "stage_1")
    outcomes.decide(world.ctx(), did, True, "ok")
    refused(lambda: outcomes.reopen(world.ctx(), did, "  "), ValidationError, "reason", field="reason")
    refused(lambda: outcomes.reopen(world.ctx(world.other_chair), did, "x"), PermissionDenied)
    outcomes.reopen(world.ctx(), did, "Actions were not carried out.")
    d = get_dispute(did)
    assert d.status is Status.RESPONDED and d.closed_at is None and d.current.decision is None  # type: ignore[union-attr]
    assert m.Event.select().where((m.Event.dispute == did) & (m.Event.kind == "reopened")).count() == 1


# --- raising -----------------------------------------------------------------------------------

def test_raise_for_a_child_of_another_legal_status(world: World) -> None:
    cp = child_like(world, legal_status="CP")
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, child_ids=[cp.id])), ValidationError,
            "Robin Extra is CP", "this procedure is for CLA only", field="children")


def test_raise_with_a_sibling_not_in_the_group(world: World) -> None:
    stranger = child_like(world)
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, child_ids=[world.child.id, stranger.id])),  # type: ignore[union-attr]
            ValidationError, "Robin Extra is not a sibling of Sibling 0", field="children")
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, child_ids=[stranger.id, world.child.id])),  # type: ignore[union-attr]
            ValidationError, "not a sibling of Robin Extra", field="children")


def test_raise_for_someone_elses_child(world: World) -> None:
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, child_ids=[world.other_child.id])),  # type: ignore[union-attr]
            PermissionDenied, "Other Child is not one of your children")


def test_raise_by_a_responder(world: World) -> None:
    refused(lambda: ds.raise_dispute(world.ctx(world.worker), raise_input(world)), PermissionDenied,
            "Only a chair can raise a dispute")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"category": "weather"}, "category", ("'weather' is not a category of this procedure",)),
        ({"start_stage": "stage_9"}, "start_stage", ("'stage_9' is not a stage of this procedure",)),
        ({"issue_arose": date(2026, 11, 24)}, "issue_arose", ("Date the issue arose", "cannot be in the future")),
        ({"issue_arose": "2026-11-20"}, "issue_arose", ("arose",)),  # a string, not a date
        ({"raised_on": date(2026, 11, 19)}, "raised_on", ("cannot be before the date the issue arose",)),
        ({"raised_on": date(2026, 11, 24)}, "raised_on", ("Date raised", "cannot be in the future")),
        ({"raised_on": datetime(2026, 11, 23, 9)}, "raised_on", ("raised",)),  # which London day?
        ({"concern": ""}, "concern", ("Issues of concern: is required",)),
        ({"concern": " \n\t "}, "concern", ("Issues of concern: is required",)),
        ({"concern": "x" * 20_001}, "concern", ("too long",)),
        ({"child_ids": []}, "children", ("choose at least one child",)),
        ({"child_ids": [1, 1]}, "children", ("listed twice",)),
        ({"child_ids": [9999]}, "children", ("child 9999 does not exist",)),
    ],
)
def test_raise_with_bad_input(world: World, changes: dict[str, Any], field: str, words: tuple[str, ...]) -> None:
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, **changes)), ValidationError, *words,
            field=field)


def test_nothing_was_raised_by_the_refusals_above(world: World) -> None:
    """A sanity check of the helper: a good raise after refused ones gets reference 0001."""
    refused(lambda: ds.raise_dispute(world.ctx(), raise_input(world, concern="")), ValidationError)
    did = new(world)
    assert get_dispute(did).reference == "DRP-2026-0001"
