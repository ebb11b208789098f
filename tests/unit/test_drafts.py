"""Drafts: one per owner per form, bounded like the services' fields, private, removed with an audit event."""

from __future__ import annotations

from datetime import date

import pytest

from drp_tui.services import drafts
from drp_tui.domain.forms import MAX_SHORT, MAX_TEXT
from drp_tui.services.errors import NotFound, PermissionDenied, ValidationError
from drp_tui.store import models as m
from tests.factories import World
from tests.unit.test_walks import raise_one


def _did(world: World) -> int:
    return raise_one(world, world.policy.starting_stages()[0].key, date(2026, 11, 20))


def test_one_draft_per_owner_per_dispute_the_newer_replaces_the_older(world: World) -> None:
    did = _did(world)
    ctx = world.ctx()
    first = drafts.save_draft(ctx, did, {"chair_concern": "first words"}, "signed out")
    world.clock.advance(minutes=5)
    second = drafts.save_draft(ctx, did, {"chair_concern": "second words", "actions": [["Call", "SW", "2026-12-01"]]},
                               "signed out")
    assert first and second  # (SQLite may reuse the id of the row it replaced)
    mine = drafts.my_drafts(ctx)
    assert [d.id for d in mine] == [second]
    assert mine[0].payload == {"chair_concern": "second words", "actions": [["Call", "SW", "2026-12-01"]]}
    assert mine[0].dispute_id == did and mine[0].child_id is None and mine[0].form == "dispute"
    assert drafts.draft_count(ctx) == 1
    assert drafts.draft_for(ctx, dispute_id=did) == mine[0]
    kinds = [e.kind for e in m.Event.select().order_by(m.Event.id)]
    assert kinds.count("draft_saved") == 2


def test_a_raise_form_draft_is_kept_per_child(world: World) -> None:
    assert world.child is not None and world.other_child is not None
    ctx = world.ctx()
    drafts.save_draft(ctx, None, {"concern": "for the first child"}, "signed out", child_id=world.child.id)
    drafts.save_draft(ctx, None, {"concern": "for the first child, again"}, "signed out", child_id=world.child.id)
    b = drafts.save_draft(ctx, None, {"concern": "another child"}, "signed out", child_id=world.other_child.id)
    assert drafts.draft_count(ctx) == 2
    got = drafts.draft_for(ctx, child_id=world.child.id)
    assert got is not None and got.payload == {"concern": "for the first child, again"}
    assert got.form == "raise" and world.child.name in got.title
    other = drafts.draft_for(ctx, child_id=world.other_child.id)
    assert other is not None and other.id == b
    with pytest.raises(NotFound):
        drafts.save_draft(ctx, None, {"concern": "x"}, "signed out", child_id=999_999)


def test_drafts_are_private_and_removal_is_the_owners_with_an_audit_event(world: World) -> None:
    did = _did(world)
    mine, theirs = world.ctx(), world.ctx(world.other_chair)
    kept = drafts.save_draft(mine, did, {"chair_concern": "mine"}, "signed out")
    assert drafts.my_drafts(theirs) == [] and drafts.draft_for(theirs, dispute_id=did) is None
    with pytest.raises(PermissionDenied):
        drafts.remove_draft(theirs, kept)
    assert drafts.draft_count(mine) == 1
    drafts.remove_draft(mine, kept, "discarded")
    assert drafts.my_drafts(mine) == []
    last = m.Event.select().order_by(m.Event.id.desc()).first()
    assert last.kind == "draft_removed" and last.actor_id == world.chair.id and "mine" not in last.summary
    with pytest.raises(NotFound):
        drafts.remove_draft(mine, kept)


def test_text_beyond_the_field_limits_is_refused_naming_the_field_and_nothing_is_saved(world: World) -> None:
    did = _did(world)
    ctx = world.ctx()
    long = "x" * MAX_TEXT
    # Five fields at their limit: far over the old 200,000-character cut-off once escaped, and kept whole.
    full = {k: long.replace("x", "\n") for k in ("concern", "impact", "wanted", "timescales", "child_wishes")}
    drafts.save_draft(ctx, None, full, "signed out", child_id=world.child.id)  # type: ignore[union-attr]
    assert drafts.draft_for(ctx, child_id=world.child.id).payload == full  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as err:
        drafts.save_draft(ctx, did, {"chair_concern": long + "x"}, "signed out")
    assert err.value.field == "chair_concern" and "20,000" in err.value.message
    with pytest.raises(ValidationError) as err:
        drafts.save_draft(ctx, did, {"actions": [["ok", "w" * (MAX_SHORT + 1), "2026-12-01"]]}, "signed out")
    assert err.value.field == "actions" and "action 1 who" in err.value.message
    with pytest.raises(ValidationError):
        drafts.save_draft(ctx, did, {}, "signed out")
    assert drafts.draft_for(ctx, dispute_id=did) is None


def test_recording_the_response_removes_the_responders_draft_of_it_and_no_one_elses(world: World) -> None:
    from drp_tui.services import disputes as ds

    did = _did(world)
    ds.send(world.ctx(), did, version=m.Dispute.get_by_id(did).version)
    responder = world.responder(world.policy.starting_stages()[0].key)
    drafts.save_draft(world.ctx(responder), did, {"response": "half a response"}, "saved by you")
    drafts.save_draft(world.ctx(), did, {"chair_concern": "the chair's own note"}, "signed out")
    ds.record_response(world.ctx(responder), did, "The whole response.")
    assert drafts.my_drafts(world.ctx(responder)) == []  # never offered back once recorded
    assert [d.payload for d in drafts.my_drafts(world.ctx())] == [{"chair_concern": "the chair's own note"}]
