"""The desk's door into the read side: the services the screens reach through ``Desk``
instead of importing the store (the caseload's team view, a dispute's staff names, a
compliment's recipients, "may I see it?", the data watch, storage faults)."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from drp_tui.domain.model import Role
from drp_tui.services import connection, reads
from drp_tui.services import disputes as ds
from drp_tui.services.errors import PermissionDenied, StorageError
from drp_tui.store import models as m
from drp_tui.store.db import StorageFault
from tests.factories import World


def _raise(w: World, chair: m.Staff, child: m.Child) -> int:
    (did,) = ds.raise_dispute(w.ctx(chair), ds.RaiseInput(
        child_ids=[child.id], category=w.policy.categories[0].key, start_stage=w.policy.stages[0].key,
        issue_arose=date(2026, 11, 20), concern="Plan has drifted."))
    return did


def _disabled(w: World) -> m.Staff:
    return m.Staff.create(username="gone", name="Dana Gone", role=Role.CHAIR.value, team=w.chair.team_id,
                          created_at=w.clock.now(), active=False)


def test_team_view_ids_by_role(world: World) -> None:
    w = world
    assert w.child is not None
    social_care = w.child.team_id
    # a team with staff but no children, and one with neither: only staffed teams count
    quiet = m.Team.create(name="Quiet Team", kind="social_care")
    m.Staff.create(username="q1", name="Quinn Quiet", role=Role.RESPONDER.value, team=quiet,
                   created_at=w.clock.now())
    m.Team.create(name="Empty Team", kind="social_care")
    staffed = tuple(sorted({s.team_id for s in m.Staff.select() if s.team_id is not None}))
    assert len(staffed) == 3

    assert reads.team_view_ids(w.ctx(w.worker)) == (w.worker.team_id,)
    assert reads.team_view_ids(w.ctx(w.chair)) == (social_care,)  # the teams of their children
    assert reads.team_view_ids(w.ctx(w.oversight)) == staffed
    assert reads.team_view_ids(w.ctx(w.admin)) == staffed
    with pytest.raises(PermissionDenied):
        reads.team_view_ids(w.ctx(_disabled(w)))


def test_staff_names(world: World) -> None:
    w = world
    ids = [w.chair.id, w.worker.id, 999_999]
    assert reads.staff_names(w.ctx(), ids) == {w.chair.id: "Casey Chair", w.worker.id: "Sol Worker"}
    assert reads.staff_names(w.ctx(), []) == {}
    with pytest.raises(PermissionDenied):
        reads.staff_names(w.ctx(_disabled(w)), ids)


def test_compliment_target(world: World) -> None:
    w = world
    assert w.child is not None
    target = reads.compliment_target(w.ctx(w.chair), w.child.id)
    assert target.child.id == w.child.id
    level = w.policy.stages[0].responder_level
    role = m.TeamRole.get_or_none((m.TeamRole.team == w.child.team_id) & (m.TeamRole.level == level))
    assert role is not None  # the test world has a holder of the first level in the child's team
    expected = [(w.worker.id, "Sol Worker")]
    if role.staff_id != w.worker.id:
        expected.append((role.staff_id, role.staff.name))
    assert [(r.staff_id, r.name) for r in target.recipients] == expected
    assert target.recipients[0].title == "Social Worker"
    with pytest.raises(PermissionDenied):  # another chair's child
        reads.compliment_target(w.ctx(w.other_chair), w.child.id)


def test_may_see(world: World) -> None:
    w = world
    assert w.child is not None
    did = _raise(w, w.chair, w.child)
    assert reads.may_see(w.ctx(w.chair), did)
    assert not reads.may_see(w.ctx(w.other_chair), did)
    assert not reads.may_see(w.ctx(w.admin), did)


def test_storage_errors_turns_a_fault_into_storage_error() -> None:
    assert connection.storage_errors(lambda a, *, b: a + b, 2, b=3) == 5

    def full() -> None:
        raise StorageFault("The database is full")

    with pytest.raises(StorageError, match="The database is full") as caught:
        connection.storage_errors(full)
    assert isinstance(caught.value.__cause__, StorageFault)


def test_data_version_moves_when_another_connection_commits(world: World) -> None:
    first = connection.data_version()
    assert connection.data_version() == first  # nothing committed elsewhere

    def elsewhere() -> None:  # peewee keeps one connection per thread
        try:
            m.Team.create(name="Committed Elsewhere", kind="social_care")
        finally:
            connection.close_this_thread()

    other = threading.Thread(target=elsewhere)
    other.start()
    other.join()
    assert connection.data_version() != first
    assert m.Team.get_or_none(m.Team.name == "Committed Elsewhere") is not None
