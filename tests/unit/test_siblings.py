"""Siblings (000:83, 002:77): one linked dispute per sibling the concern relates to.

Raised together, each child keeps its own reference, record and history; the chair
can send, decide or escalate the linked group in one action, and a manager can record one
response for the group. The dispute acted on must succeed (else nothing changes); the
siblings then go one by one: a sibling refused is left as it was and named with the
reason (``Done.refused``), the others proceed (issue 11, item 7).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from drp_tui.domain.model import Decision, Status
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.errors import ConflictError, DomainError, PermissionDenied
from drp_tui.store import models as m
from drp_tui.store.queries_dispute import events_for, get_dispute, notifications_for
from tests.factories import World


def snapshot_db() -> dict[str, list[tuple[Any, ...]]]:
    db = m.database.obj
    return {t: db.execute_sql(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in sorted(db.get_tables())}


def unchanged_after(call: Callable[[], object], error: type[DomainError], *words: str) -> DomainError:
    before = snapshot_db()
    with pytest.raises(error) as info:
        call()
    after = snapshot_db()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value.message}"
    if isinstance(info.value, PermissionDenied):  # its one trace: a 'refused' audit event
        added = after["event"][len(before["event"]):]
        assert len(added) == 1 and m.Event.get_by_id(added[0][0]).kind == "refused"
        after["event"] = after["event"][: len(before["event"])]
    assert after == before
    for w in words:
        assert w in info.value.message, info.value.message
    return info.value


def raise_group(w: World, stage: str = "informal") -> list[int]:
    return ds.raise_dispute(w.ctx(), ds.RaiseInput(
        child_ids=[c.id for c in w.siblings], category="care_plan", start_stage=stage,
        issue_arose=date(2026, 11, 20), concern="Sibling contact has not happened for eight weeks.",
        impact="The children ask about each other at every visit.", wanted="Contact dates agreed."))


def test_raise_for_three_siblings_gives_three_linked_disputes(world: World) -> None:
    ids = raise_group(world)
    assert len(ids) == 3
    views = [get_dispute(i) for i in ids]
    assert [v.reference for v in views] == ["DRP-2026-0001", "DRP-2026-0002", "DRP-2026-0003"]
    assert [v.child.id for v in views] == [c.id for c in world.siblings]
    groups = {v.link_group for v in views}
    assert len(groups) == 1 and None not in groups
    for v in views:
        assert set(v.sibling_ids) == set(ids) - {v.id}
        assert v.status is Status.DRAFT and len(v.stages) == 1 and v.stages[0].stage_key == "informal"
        (ev,) = events_for(dispute_id=v.id)
        assert ev.kind == "raised" and v.reference in ev.summary and v.child.case_number in ev.summary
        assert (ev.actor_name, ev.dispute_id, ev.reference) == ("Casey Chair", v.id, v.reference)
        assert json.loads(ev.after)["siblings"] == 2
    # each child's own history holds only its own dispute
    for c, v in zip(world.siblings, views, strict=True):
        assert [e.dispute_id for e in events_for(child_id=c.id)] == [v.id]


def test_a_single_child_dispute_is_not_linked(world: World) -> None:
    (did,) = ds.raise_dispute(world.ctx(), ds.RaiseInput(
        child_ids=[world.siblings[1].id], category="care_plan", start_stage="stage_1",
        issue_arose=date(2026, 11, 20), concern="Only this child."))
    v = get_dispute(did)
    assert v.link_group is None and v.sibling_ids == ()


def test_send_decide_escalate_the_group_in_one_action(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    tm = w.responder("stage_1")
    assert ds.send(w.ctx(), ids[1], include_siblings=True) == ids  # from any sibling: the whole group
    for i in ids:
        v = get_dispute(i)
        assert v.status is Status.SENT and v.current.due_date == date(2026, 11, 30)  # type: ignore[union-attr]
        assert [e.kind for e in events_for(dispute_id=i)] == ["raised", "sent"]
    requests = [n for n in notifications_for(tm.id) if n.kind == "request"]
    assert sorted((n.dispute_id, n.reference) for n in requests) == [  # one inbox item per child
        (i, get_dispute(i).reference) for i in ids]
    for i in ids:  # the manager answers each child's dispute
        ds.record_response(w.ctx(tm), i, "Contact booked for all three.", [])
    assert outcomes.decide(w.ctx(), ids[0], False, "No dates given.", include_siblings=True) == ids
    assert all(get_dispute(i).current.decision is Decision.NOT_RESOLVED for i in ids)  # type: ignore[union-attr]
    assert outcomes.escalate(w.ctx(), ids[2], include_siblings=True) == ids
    for i in ids:
        v = get_dispute(i)
        assert v.current_stage == "stage_2" and v.status is Status.DRAFT
        assert [e.kind for e in events_for(dispute_id=i)] == ["raised", "sent", "responded", "decided", "escalated"]
    # Stage 2 needs the service manager's agreement for each child before the group goes
    approver = w.levels[w.policy.rules.approval_level]
    assert len([n for n in notifications_for(approver.id) if n.kind == "approval"]) == 3
    outcomes.approve_stage(w.ctx(approver), ids[0], "Agreed.")
    done = ds.send(w.ctx(), ids[0], include_siblings=True)  # only the first is agreed: it goes alone
    assert done == ids[:1]
    assert [(r.dispute_id, r.reference) for r in done.refused] == [
        (ids[1], "DRP-2026-0002"), (ids[2], "DRP-2026-0003")]
    assert all("agreement" in r.reason for r in done.refused)
    assert [get_dispute(i).status for i in ids] == [Status.SENT, Status.DRAFT, Status.DRAFT]
    for i in ids[1:]:
        outcomes.approve_stage(w.ctx(approver), i, "Agreed.")
    done = ds.send(w.ctx(), ids[1], include_siblings=True)
    assert done == ids[1:] and [r.reference for r in done.refused] == ["DRP-2026-0001"]  # already sent
    assert {get_dispute(i).status for i in ids} == {Status.SENT}


def test_send_group_one_already_sent_the_others_go_and_it_is_named(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    ds.send(w.ctx(), ids[2])  # the third was already sent on its own
    done = ds.send(w.ctx(), ids[0], include_siblings=True)
    assert done == ids[:2]
    (refused,) = done.refused
    assert (refused.dispute_id, refused.reference) == (ids[2], "DRP-2026-0003") and "already sent" in refused.reason
    assert [get_dispute(i).status for i in ids] == [Status.SENT] * 3
    assert [e.kind for e in events_for(dispute_id=ids[2])] == ["raised", "sent"]  # sent once, not twice


def test_the_dispute_acted_on_refused_nothing_changes(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    ds.send(w.ctx(), ids[2])
    unchanged_after(lambda: ds.send(w.ctx(), ids[2], include_siblings=True), DomainError,
                    "DRP-2026-0003", "already sent")
    assert [get_dispute(i).status for i in ids] == [Status.DRAFT, Status.DRAFT, Status.SENT]


def test_send_group_with_a_withdrawn_sibling_the_others_go(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    outcomes.withdraw(w.ctx(), ids[1], "Raised in error for this child.")
    done = ds.send(w.ctx(), ids[0], include_siblings=True)
    assert done == [ids[0], ids[2]]
    assert [(r.reference, "withdrawn" in r.reason) for r in done.refused] == [("DRP-2026-0002", True)]
    assert [get_dispute(i).status for i in ids] == [Status.SENT, Status.WITHDRAWN, Status.SENT]


def test_decide_group_one_without_a_response_is_named_the_others_decided(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    ds.send(w.ctx(), ids[0], include_siblings=True)
    tm = w.responder("stage_1")
    for i in ids[:2]:
        ds.record_response(w.ctx(tm), i, "Done.", [])
    done = outcomes.decide(w.ctx(), ids[0], True, "Resolved.", include_siblings=True)
    assert done == ids[:2]
    (refused,) = done.refused
    assert refused.reference == "DRP-2026-0003" and "no response" in refused.reason
    assert "record it on the manager's behalf" in refused.reason
    assert [get_dispute(i).status for i in ids] == [Status.RESOLVED, Status.RESOLVED, Status.SENT]
    assert m.MonitoringMeeting.select().where(m.MonitoringMeeting.dispute == ids[2]).count() == 0


def test_escalate_group_one_resolved_is_named_the_others_escalate(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    ds.send(w.ctx(), ids[0], include_siblings=True)
    tm = w.responder("stage_1")
    for i in ids:
        ds.record_response(w.ctx(tm), i, "Done.", [])
    outcomes.decide(w.ctx(), ids[1], True, "Resolved for this child.")
    done = outcomes.escalate(w.ctx(), ids[0], comment="No dates.", include_siblings=True)
    assert done == [ids[0], ids[2]]
    assert [(r.reference, "resolved" in r.reason) for r in done.refused] == [("DRP-2026-0002", True)]
    assert [get_dispute(i).current_stage for i in ids] == ["stage_2", "stage_1", "stage_2"]


def test_a_manager_records_one_response_for_the_siblings_each_keeps_its_own(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    ds.send(w.ctx(), ids[0], include_siblings=True)
    outcomes.withdraw(w.ctx(), ids[2], "Raised in error for this child.")
    tm = w.responder("stage_1")
    done = ds.record_response(w.ctx(tm), ids[1], "Contact booked for all three.",
                              [ds.ActionInput("Book contact", "Team manager", date(2026, 12, 4))],
                              include_siblings=True)
    assert done == ids[:2]
    assert [(r.reference, "withdrawn" in r.reason) for r in done.refused] == [("DRP-2026-0003", True)]
    records = [get_dispute(i).current for i in ids]
    for rec in records[:2]:  # each child's own record: its own response and its own copy of the actions
        assert rec is not None and rec.response == "Contact booked for all three." and rec.response_by_id == tm.id
        assert [(a.description, a.due) for a in rec.actions] == [("Book contact", date(2026, 12, 4))]
    assert records[0].actions[0].id != records[1].actions[0].id  # type: ignore[union-attr]
    assert records[2] is not None and records[2].response_at is None
    assert [get_dispute(i).status for i in ids] == [Status.RESPONDED, Status.RESPONDED, Status.WITHDRAWN]
    chair_notes = [n.dispute_id for n in notifications_for(w.chair.id) if n.kind == "response"]
    assert sorted(chair_notes) == ids[:2]  # the chair is told about each child's response


def test_group_action_with_a_stale_version_none_changed(world: World) -> None:
    w = world
    ids = raise_group(w, "stage_1")
    stale = get_dispute(ids[0]).version
    ds.update_draft(w.ctx(), ids[0], stale, {"wanted": "Contact within two weeks."})
    unchanged_after(lambda: ds.send(w.ctx(), ids[0], version=stale, include_siblings=True), ConflictError,
                    "DRP-2026-0001 was changed by Casey Chair")
