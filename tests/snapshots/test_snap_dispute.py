"""Snapshots of the dispute form, the raise form and a dialog (frozen clock, demo data).

Accept changes deliberately: look at the SVGs first, then ``--snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from drp_tui.domain.model import Status
from drp_tui.store import models as m
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.raise_form import RaiseScreen
from tests.conftest import FROZEN_NOW
from tests.ui.conftest import demo_template, make_app  # noqa: F401 - the UI fixtures, shared
from tests.ui.test_dispute_form import keys, pick, settle, staff

SnapCompare = Callable[..., bool]


def opened(did: Callable[[], int], then: Callable[[Pilot[Any]], Awaitable[None]] | None = None
           ) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.push_screen(DisputeScreen(did()))
        await settle(pilot)
        if then is not None:
            await then(pilot)

    return run_before


def test_overdue_dispute(snap_compare: SnapCompare, make_app: Any) -> None:  # noqa: F811
    app = make_app("cpatel")
    assert snap_compare(app, run_before=opened(lambda: pick(Status.SENT, stage="informal", overdue=True,
                                                            now=FROZEN_NOW)))


def test_responded_dispute_with_smart_actions(snap_compare: SnapCompare, make_app: Any) -> None:  # noqa: F811
    app = make_app("cpatel")

    async def to_the_response(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        label = next(s for s in form.query(Static) if str(s.render()).startswith("Response ("))
        form.query_one("#dispute-body").scroll_to_widget(label, top=True, animate=False)
        await settle(pilot)

    assert snap_compare(app, run_before=opened(lambda: pick(Status.RESPONDED), to_the_response))


def test_decision_dialog(snap_compare: SnapCompare, make_app: Any) -> None:  # noqa: F811
    app = make_app("cpatel")

    async def decide(pilot: Pilot[Any]) -> None:
        await keys(pilot, "d")

    assert snap_compare(app, run_before=opened(lambda: pick(Status.RESPONDED), decide))


def test_raise_form(snap_compare: SnapCompare, make_app: Any) -> None:  # noqa: F811
    app = make_app("cpatel")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        child = m.Child.select().where((m.Child.chair == staff("cpatel").id)
                                       & m.Child.sibling_group.is_null(False)).order_by(m.Child.id).first()
        pilot.app.push_screen(RaiseScreen(child.id))
        await settle(pilot)

    assert snap_compare(app, run_before=run_before)


def test_responder_form_120x40(snap_compare: SnapCompare, make_app: Any) -> None:  # noqa: F811
    app = make_app("dwhitlow")

    async def to_the_response(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        form.query_one("#f-response").focus()
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=opened(
        lambda: pick(Status.SENT, stage="informal", overdue=True, now=FROZEN_NOW), to_the_response))
