"""The read side: a caseload view and an opened dispute show only what the person may see."""

from __future__ import annotations

from datetime import date

from drp_tui.services import disputes as ds
from drp_tui.store import visibility
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page
from tests.factories import World


def _raise(w: World, chair, child) -> int:  # type: ignore[no-untyped-def]
    (did,) = ds.raise_dispute(w.ctx(chair), ds.RaiseInput(
        child_ids=[child.id], category=w.policy.categories[0].key, start_stage=w.policy.stages[0].key,
        issue_arose=date(2026, 11, 20), concern="Plan has drifted."))
    return did


def test_all_view_shows_only_disputes_the_viewer_may_see(world: World) -> None:
    w = world
    mine = _raise(w, w.chair, w.child)
    theirs = _raise(w, w.other_chair, w.other_child)
    everything = CaseloadQuery(view="all")
    assert caseload_count(everything) == 2  # no viewer: the whole table (CLI, reports)
    as_chair = CaseloadQuery(view="all", viewer_id=w.chair.id)
    assert [r.id for r in caseload_page(as_chair, 0, 10)] == [mine]
    as_admin = CaseloadQuery(view="all", viewer_id=w.admin.id)
    assert caseload_count(as_admin) == 0  # administrators see no dispute content
    assert visibility.can_see(w.chair.id, mine) and not visibility.can_see(w.chair.id, theirs)
    assert visibility.can_see(w.other_chair.id, theirs)
    assert visibility.can_see(w.oversight.id, theirs)  # the IRO service manager of their team


def test_a_manager_sees_a_dispute_once_it_is_sent_to_them(world: World) -> None:
    w = world
    did = _raise(w, w.chair, w.child)
    manager = w.responder(w.policy.stages[0].key)
    assert manager.id != w.worker.id and not visibility.can_see(manager.id, did)
    ds.send(w.ctx(), did)
    assert visibility.can_see(manager.id, did)
