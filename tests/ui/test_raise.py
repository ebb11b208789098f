"""Raising a dispute from a child: fields, siblings, hints, bad input, Escape, plain text."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Select

from drp_tui.store import models as m
from drp_tui.ui.screens.dialogs import ConfirmDialog
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.raise_form import RaiseScreen
from drp_tui.ui.widgets.form_fields import Tick
from tests.ui.test_dispute_form import INJECTION, SHOWN, fields, keys, run, settle, staff


async def open_raise(pilot: Pilot[Any], child_id: int) -> RaiseScreen:
    pilot.app.push_screen(RaiseScreen(child_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RaiseScreen)
    return screen


def options(screen: Any, key: str) -> list[Any]:
    select = fields(screen)[key].editor
    assert isinstance(select, Select)
    return [v for _, v in select._options if v is not Select.NULL]  # type: ignore[attr-defined]


def message(screen: RaiseScreen) -> str:
    return str(screen.query_one("#raise-message").render())


def a_child(linked: bool = False) -> m.Child:
    q = m.Child.select().where(m.Child.chair == staff("cpatel").id)
    q = q.where(m.Child.sibling_group.is_null(False) if linked else m.Child.sibling_group.is_null())
    child = q.order_by(m.Child.id).first()
    assert child is not None
    return child


def disputes_of(child_id: int) -> int:
    return m.Dispute.select().where(m.Dispute.child == child_id).count()


def test_raise_for_a_child_and_two_siblings_then_send_them_together(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        child = a_child(linked=True)
        sibs = list(m.Child.select().where((m.Child.sibling_group == child.sibling_group_id)
                                           & (m.Child.id != child.id)))
        form = await open_raise(pilot, child.id)
        assert "records one linked dispute per sibling" in str(form.query_one("#raise-children").query(
            "Static").first().render())
        assert options(form, "category")[:2] == ["unassessed_risk", "lack_of_preparation"]
        assert fields(form)["raised_on"].raw == "23/11/2026"  # today, from the desk clock, day first
        for tick in form.query(Tick):
            tick.value = True
        boxes = fields(form)
        boxes["category"].set_raw("care_plan")
        boxes["issue_arose"].set_raw("2026-11-20")
        boxes["concern"].set_raw("Sibling contact has stopped.")
        boxes["child_wishes"].set_raw("They want to see each other weekly.")
        boxes["against_wishes"].set_raw(False)
        await keys(pilot, "ctrl+s")
        opened = pilot.app.screen
        assert isinstance(opened, DisputeScreen)
        first = m.Dispute.get_by_id(opened.dispute_id)
        group = list(m.Dispute.select().where(m.Dispute.link_group == first.link_group).order_by(m.Dispute.id))
        assert first.child_id == child.id and first.link_group
        assert sorted(d.child_id for d in group) == sorted([child.id, *(s.id for s in sibs)])
        assert {(d.status, d.category, d.child_wishes) for d in group} == {
            ("draft", "care_plan", "They want to see each other weekly.")}
        await keys(pilot, "s", "y")  # send ... and the question about the siblings
        question = pilot.app.screen
        assert isinstance(question, ConfirmDialog)
        asked = str(question.query_one("#question").render())
        assert f"Also send for the {len(sibs)} linked sibling disputes?" in asked
        await keys(pilot, "y")
        assert {m.Dispute.get_by_id(d.id).status for d in group} == {"sent"}

    run(app, body)


def test_a_bad_date_names_the_field_and_raises_nothing(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        child = a_child()
        before = disputes_of(child.id)
        form = await open_raise(pilot, child.id)
        boxes = fields(form)
        boxes["category"].set_raw("care_plan")
        boxes["concern"].set_raw("Care plan out of date.")
        boxes["issue_arose"].set_raw("31/02/2026")
        await keys(pilot, "ctrl+s")
        assert "Date the issue arose: '31/02/2026' is not a day of the calendar (DD/MM/YYYY)" in message(form)
        assert app.focused is boxes["issue_arose"].editor and pilot.app.screen is form
        boxes["issue_arose"].set_raw("30/11/2026")  # in the future: the service names the field
        await keys(pilot, "ctrl+s")
        assert "Date the issue arose: cannot be in the future" in message(form)
        assert app.focused is boxes["issue_arose"].editor
        boxes["issue_arose"].set_raw("2026-11-20")
        boxes["concern"].set_raw("   ")
        await keys(pilot, "ctrl+s")
        assert "Issues of concern: is required" in message(form)
        assert app.focused is boxes["concern"].editor
        assert disputes_of(child.id) == before

    run(app, body)


def test_durham_says_what_the_process_is_not_for(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_raise(pilot, a_child().id)
        hint = str(form.query_one("#raise-hint").render())
        assert hint.startswith("Not for complaints or grievances about a member of staff")
        assert "Immediate concern" in {f.spec.label.split(" (")[0] for f in fields(form).values()}
        assert len(options(form, "start_stage")) == 7  # Durham: the chair picks the level

    run(app, body)


def test_durham_asks_whether_the_child_is_in_proceedings_and_keeps_the_answer(make_app: Any) -> None:
    """The raise form asks the profile's facts (001:147 copies the Legal Advisor only in PLO or care proceedings)."""
    app = make_app("cpatel", policy_key="durham-rp")

    async def body(pilot: Pilot[Any]) -> None:
        child = a_child()
        form = await open_raise(pilot, child.id)
        boxes = fields(form)
        assert boxes["fact_proceedings"].spec.label == "In PLO or care proceedings"
        boxes["category"].set_raw(options(form, "category")[0])
        boxes["issue_arose"].set_raw("2026-11-20")
        boxes["concern"].set_raw("The care plan has drifted.")
        boxes["fact_proceedings"].set_raw(True)
        await keys(pilot, "ctrl+s")
        opened = pilot.app.screen
        assert isinstance(opened, DisputeScreen)
        assert m.Dispute.get_by_id(opened.dispute_id).facts == "proceedings"

    run(app, body)


def test_only_stages_that_may_start_are_offered(make_app: Any) -> None:
    app = make_app("cpatel", policy_key="tower-hamlets-alerts")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_raise(pilot, a_child().id)
        assert options(form, "start_stage") == ["informal", "alert_3"]
        assert "immediate" not in fields(form)

    run(app, body)


def test_escape_with_typed_text_asks_first(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        child = a_child()
        before = disputes_of(child.id)
        form = await open_raise(pilot, child.id)
        fields(form)["concern"].editor.focus()
        await keys(pilot, "a", "b", "escape", "escape")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await keys(pilot, "n")
        assert pilot.app.screen is form and fields(form)["concern"].raw == "ab"
        await keys(pilot, "escape", "y")
        assert not isinstance(pilot.app.screen, RaiseScreen)
        assert disputes_of(child.id) == before  # closing raised nothing

    run(app, body)


def test_markup_typed_in_the_raise_form_is_kept_as_text(make_app: Any) -> None:
    app = make_app("cpatel")

    async def body(pilot: Pilot[Any]) -> None:
        form = await open_raise(pilot, a_child().id)
        boxes = fields(form)
        boxes["category"].set_raw("care_plan")
        boxes["issue_arose"].set_raw("2026-11-20")
        boxes["concern"].set_raw(INJECTION)
        await keys(pilot, "ctrl+s")
        opened = pilot.app.screen
        assert isinstance(opened, DisputeScreen)
        assert m.Dispute.get_by_id(opened.dispute_id).concern == SHOWN
        assert fields(opened)["concern"].raw == SHOWN

    run(app, body)
