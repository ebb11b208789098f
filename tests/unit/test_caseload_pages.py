"""The caseload's page reads at scale: pages read backwards from the end equal pages read forwards,
in every order, and the copied-for-information rule still shows a dispute (its partial index)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from drp_tui.services import disputes as ds
from drp_tui.store import models as m
from drp_tui.store import visibility
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page
from tests.factories import World


def _raise(w: World, n: int) -> list[int]:
    ids = []
    for i in range(n):
        (did,) = ds.raise_dispute(w.ctx(w.chair), ds.RaiseInput(
            child_ids=[w.child.id], category=w.policy.categories[0].key, start_stage=w.policy.stages[0].key,
            issue_arose=date(2026, 11, 20), concern=f"Concern {i}"))
        ids.append(did)
    for i, did in enumerate(ids):  # due dates in no particular order, some none (they sort last)
        due = None if i % 4 == 0 else w.clock.now() + timedelta(days=(i * 7) % 11)
        m.Dispute.update(next_due_at=due).where(m.Dispute.id == did).execute()
    return ids


@pytest.mark.parametrize("sort", ["due", "reference", "child", "stage"])
def test_a_page_read_from_the_end_is_the_page_read_from_the_start(world: World, sort: str) -> None:
    _raise(world, 11)
    q = CaseloadQuery(view="all", viewer_id=world.chair.id, sort=sort)
    total = caseload_count(q)
    assert total == 11
    forward = [r.id for r in caseload_page(q, 0, total)]
    assert len(set(forward)) == total
    for size in (3, 4):
        for offset in range(0, total, size):
            want = forward[offset:offset + size]
            assert [r.id for r in caseload_page(q, offset, size)] == want
            assert [r.id for r in caseload_page(q, offset, size, total=total)] == want  # backwards past half


def test_a_manager_copied_for_information_sees_the_dispute(world: World) -> None:
    w = world
    (did,) = _raise(w, 1)
    outsider = w.other_chair
    assert not visibility.can_see(outsider.id, did)
    m.StageRecord.update(inform=f"{outsider.id + 1000},{outsider.id}").where(m.StageRecord.dispute == did).execute()
    assert visibility.can_see(outsider.id, did)
    assert [r.id for r in caseload_page(CaseloadQuery(view="all", viewer_id=outsider.id), 0, 10)] == [did]
    m.StageRecord.update(inform=f"{outsider.id}0").where(m.StageRecord.dispute == did).execute()
    assert not visibility.can_see(outsider.id, did)  # another person whose id starts with theirs


@pytest.mark.parametrize("sort", ["due", "reference", "child", "stage"])
def test_pages_found_from_a_row_on_show_are_the_pages_read_by_offset(world: World, sort: str) -> None:
    """Keyset paging: the page after a page's last row, before its first row, from its first row,
    and the last rows read backwards, are the pages read by offset (across the rows with no deadline)."""
    _raise(world, 11)
    q = CaseloadQuery(view="all", viewer_id=world.chair.id, sort=sort)
    forward = [r.id for r in caseload_page(q, 0, 11)]
    size = 3
    pages = [forward[i:i + size] for i in range(0, 11, size)]
    for before, after in zip(pages, pages[1:], strict=False):
        assert [r.id for r in caseload_page(replace(q, seek="after", seek_id=before[-1]), 0, size)] == after
        assert [r.id for r in caseload_page(replace(q, seek="before", seek_id=after[0]), 0, size)] == before
        assert [r.id for r in caseload_page(replace(q, seek="from", seek_id=after[0]), 0, size)] == after
    assert [r.id for r in caseload_page(replace(q, seek="last"), 0, size)] == forward[-size:]
    assert caseload_page(replace(q, seek="after", seek_id=forward[-1]), 0, size) == []
    m.Dispute.update(next_due_at=None).where(m.Dispute.id == forward[0]).execute()  # (keyed by its row now)
    gone = 10**6  # a dispute that is not there: read by offset
    assert [r.id for r in caseload_page(replace(q, seek="after", seek_id=gone), 3, size)] == \
        [r.id for r in caseload_page(q, 3, size)]


@pytest.mark.parametrize("sort", ["due", "reference", "child"])
def test_a_filter_finds_the_same_rows_whichever_way_the_query_is_led(world: World, sort: str) -> None:
    """A short text walks the order; a longer one reads the person's disputes first: the same rows."""
    ids = _raise(world, 11)
    q = CaseloadQuery(view="all", viewer_id=world.chair.id, sort=sort)
    every = caseload_page(q, 0, 50)
    ref = every[3].reference
    for text in (ref[-1], ref[-3:], ref, ref.lower()):
        want = [r.id for r in every if text.lower() in (r.reference + r.child_name + r.case_number + r.category).lower()]
        assert [r.id for r in caseload_page(replace(q, text=text), 0, 50)] == want
        assert caseload_count(replace(q, text=text)) == len(want)
    assert set(ids) == {r.id for r in every}
