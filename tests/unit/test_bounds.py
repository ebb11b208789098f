"""Bounds on what a person can type: implausible dates, too many SMART actions, a 40 MB
response. Each is refused with a message naming the field, and nothing is saved."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest

from drp_tui.domain.timeutil import LONDON
from drp_tui.services import disputes as ds
from drp_tui.services import outcomes
from drp_tui.services.common import MAX_ACTIONS, clean_date
from drp_tui.services.errors import ValidationError
from drp_tui.store import models as m
from tests.factories import World


def snapshot() -> tuple[int, int, int, int]:
    return (m.Dispute.select().count(), m.Event.select().count(), m.Action.select().count(),
            sum(d.version for d in m.Dispute.select()))


def _raise_input(world: World, **kw: object) -> ds.RaiseInput:
    base: dict[str, object] = dict(child_ids=[world.child.id], category=world.policy.categories[0].key,
                                   start_stage=world.policy.starting_stages()[0].key,
                                   issue_arose=date(2026, 11, 20), concern="Words.")
    base.update(kw)
    return ds.RaiseInput(**base)  # type: ignore[arg-type]


def _sent(world: World) -> int:
    (did,) = ds.raise_dispute(world.ctx(), _raise_input(world))
    ds.send(world.ctx(), did)
    return did


def refused(field: str, words: str, call: object) -> ValidationError:
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field, caught.value.message
    assert words in caught.value.message, caught.value.message
    assert snapshot() == before  # nothing half-saved
    return caught.value


@pytest.mark.parametrize(("kw", "field", "words"), [
    ({"issue_arose": date(1, 1, 1)}, "issue_arose", "issue arose"),
    ({"issue_arose": date(1999, 12, 31)}, "issue_arose", "Date the issue arose: 1999-12-31 is before 2000"),
    ({"issue_arose": date(2026, 11, 24)}, "issue_arose", "Date the issue arose: cannot be in the future"),
    ({"issue_arose": date(2026, 11, 20), "raised_on": date(2026, 11, 19)}, "raised_on",
     "Date raised: cannot be before the date the issue arose"),
    ({"raised_on": date(2027, 1, 4)}, "raised_on", "Date raised: cannot be in the future"),
])
def test_raising_refuses_implausible_dates(world: World, kw: dict[str, object], field: str, words: str) -> None:
    refused(field, words, lambda: ds.raise_dispute(world.ctx(), _raise_input(world, **kw)))


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"child_informed_on": date(2026, 11, 30)}, "child_informed_on", "Date the child was told: cannot be in the future"),
    ({"child_informed_on": date(1990, 5, 1)}, "child_informed_on", "Date the child was told: 1990-05-01 is before 2000"),
    ({"issue_arose": date(1950, 1, 1)}, "issue_arose", "issue arose: 1950-01-01 is before 2000"),
    ({"raised_on": date(2026, 11, 1), "issue_arose": date(2026, 11, 2)}, "raised_on", "Date raised: cannot be before"),
])
def test_editing_refuses_implausible_dates(world: World, changes: dict[str, object], field: str, words: str) -> None:
    (did,) = ds.raise_dispute(world.ctx(), _raise_input(world))
    v = m.Dispute.get_by_id(did).version
    refused(field, words, lambda: ds.update_draft(world.ctx(), did, v, changes))


def test_the_child_informed_date_may_be_today_or_cleared(world: World) -> None:
    (did,) = ds.raise_dispute(world.ctx(), _raise_input(world))
    v = ds.update_draft(world.ctx(), did, m.Dispute.get_by_id(did).version, {"child_informed_on": date(2026, 11, 23)})
    assert m.Dispute.get_by_id(did).child_informed_on == date(2026, 11, 23)
    ds.update_draft(world.ctx(), did, v, {"child_informed_on": ""})
    assert m.Dispute.get_by_id(did).child_informed_on is None


def test_an_action_due_years_ahead_is_refused(world: World) -> None:
    did = _sent(world)
    responder = world.responder(world.policy.starting_stages()[0].key)
    far = [ds.ActionInput("Review the plan", "Social Worker", date(2099, 1, 1))]
    refused("actions", "action 1 by when: 2099-01-01 is more than 5 years ahead",
            lambda: ds.record_response(world.ctx(responder), did, "We will.", far))


def test_more_than_fifty_actions_are_refused(world: World) -> None:
    did = _sent(world)
    responder = world.responder(world.policy.starting_stages()[0].key)
    many = [ds.ActionInput(f"Step {i}", "Social Worker", date(2026, 12, 18)) for i in range(MAX_ACTIONS + 1)]
    refused("actions", f"actions: {MAX_ACTIONS + 1} actions in one response; at most {MAX_ACTIONS}",
            lambda: ds.record_response(world.ctx(responder), did, "We will.", many))
    ds.record_response(world.ctx(responder), did, "We will.", many[:MAX_ACTIONS])  # fifty is fine
    assert m.Action.select().count() == MAX_ACTIONS


def test_a_40_mb_response_is_refused_quickly(world: World) -> None:
    did = _sent(world)
    responder = world.responder(world.policy.starting_stages()[0].key)
    huge = "x" * (40 * 1024 * 1024)
    t0 = time.perf_counter()
    refused("response", "Response: too long (41943040 characters; at most 20000)",
            lambda: ds.record_response(world.ctx(responder), did, huge))
    assert time.perf_counter() - t0 < 5
    assert m.Event.select().where(m.Event.after.contains("xxxxxxxxxx")).count() == 0


@pytest.mark.parametrize("policy_key", ["durham-rp"], indirect=True)  # a procedure with extensions
def test_an_extension_decades_ahead_is_refused(world: World) -> None:
    did = _sent(world)
    refused("until", "extended to: 2060-01-05 is more than 5 years ahead",
            lambda: outcomes.agree_extension(world.ctx(), did, date(2060, 1, 5), "More time"))


def test_a_conversation_in_the_future_or_long_ago_is_refused(world: World) -> None:
    (did,) = ds.raise_dispute(world.ctx(), _raise_input(world))
    refused("held_at", "when: cannot be in the future", lambda: outcomes.record_conversation(
        world.ctx(), did, "Team manager", datetime(2026, 11, 24, 9, 0, tzinfo=LONDON), "phone", "Agreed."))
    refused("held_at", "when: 1999-06-01 is before 2000", lambda: outcomes.record_conversation(
        world.ctx(), did, "Team manager", datetime(1999, 6, 1, 9, 0, tzinfo=LONDON), "phone", "Agreed."))


def test_clean_date_bounds(world: World) -> None:
    ctx = world.ctx()
    today = ctx.today()
    assert clean_date(ctx, today, "d") == today
    assert clean_date(ctx, today.replace(year=today.year + 5) - timedelta(days=1), "d") is not None
    with pytest.raises(ValidationError, match="more than 5 years ahead"):
        clean_date(ctx, today.replace(year=today.year + 5) + timedelta(days=1), "d")
    with pytest.raises(ValidationError, match="must be a date"):
        clean_date(ctx, datetime(2026, 11, 23, 10, 0), "d")
    with pytest.raises(ValidationError, match="must be a date"):
        clean_date(ctx, "2026-11-23", "d")
    assert clean_date(ctx, None, "d", optional=True) is None
