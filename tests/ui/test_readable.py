"""Readable everywhere (issue 11, items 4 and 11): focus seen without colour, NO_COLOR's urgent
rows the most prominent, and plain mode (``--plain`` / ``plain = true``) for screen readers.

"Without colour": the screen is read cell by cell with every colour taken out (what a NO_COLOR
terminal shows); a focused field must still look different from the same field without focus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea

from drp_tui.config import ConfigError, load_config
from drp_tui.store import models as m
from drp_tui.ui.plain import is_decorative, plain_text
from drp_tui.ui.screens.dispute import DisputeScreen
from drp_tui.ui.screens.raise_form import RaiseScreen
from drp_tui.ui.screens.work import WorkTable
from drp_tui.ui.widgets.caseload_table import CaseloadTable
from drp_tui.ui.widgets.form_fields import EditField
from tests.ui.desk_helpers import desk_test, screen_text, settle

SMALL = (80, 24)
Cells = list[tuple[str, Style]]


def colourless(app: Any, region: Region) -> Cells:
    """The cells of ``region`` as drawn now, each character with its style minus every colour."""
    lines = app.screen._compositor.render_strips()
    out: Cells = []
    for y in range(region.y, region.bottom):
        row: Cells = []
        for segment in lines[y]:
            style = (segment.style or Style()).without_color
            row += [(ch, style) for ch in segment.text]
        out += row[region.x:region.right]
    return out


def marked(cells: Cells) -> bool:
    """Something on screen that is not a colour: reverse, underline, bold, or a heavy border."""
    return any(s.reverse or s.underline or s.bold or ch in "┏┓┗┛━┃" for ch, s in cells)


def box(widget: Widget) -> Region:
    """The widget's region, with its form label when it is a form field's editor."""
    parent = widget.parent
    return parent.region if isinstance(parent, EditField) else widget.region


async def focus_and_look(pilot: Pilot[Any], widget: Widget, other: Widget) -> tuple[Cells, Cells]:
    """``widget`` drawn without focus (``other`` has it), then with focus; without colour."""
    other.focus()
    await pilot.pause()
    await pilot.pause()
    without = colourless(pilot.app, box(widget))
    widget.focus()
    await pilot.pause()
    await pilot.pause()
    return without, colourless(pilot.app, box(widget))


def editor(form: Any, kind: type[Widget]) -> Widget:
    return next(f.editor for f in form.query(EditField) if isinstance(f.editor, kind))


@pytest.mark.parametrize(("theme", "no_color"), [("textual-dark", False), ("drp-16", False), ("drp-16", True)])
@desk_test
async def test_focus_is_seen_without_colour_on_every_kind_of_field(make_app: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   theme: str, no_color: bool) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("cpatel")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.theme = theme
        assert app.no_color is no_color
        table = app.screen.query_one(CaseloadTable)
        filter_input = app.screen.query_one("#filter", Input)
        for widget, other in ((table, filter_input), (filter_input, table)):
            without, with_focus = await focus_and_look(pilot, widget, other)
            assert with_focus != without, f"{type(widget).__name__}: focus only by colour in {theme}"
            assert marked(with_focus)

        child = m.Child.select().where(m.Child.chair.is_null(False)).order_by(m.Child.id).first()
        before = m.Dispute.select().where(m.Dispute.child == child.id).count()
        app.push_screen(RaiseScreen(child.id))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RaiseScreen)
        drop_down, text_area, one_line = editor(form, Select), editor(form, TextArea), editor(form, Input)
        for widget, other in ((drop_down, text_area), (text_area, one_line), (one_line, drop_down)):
            widget.scroll_visible(animate=False)
            await pilot.pause()
            without, with_focus = await focus_and_look(pilot, widget, other)
            assert with_focus != without, f"{type(widget).__name__}: focus only by colour in {theme}"
            assert marked(with_focus)
        # moving the focus wrote nothing: the child has the disputes it had
        assert m.Dispute.select().where(m.Dispute.child == child.id).count() == before


@desk_test
async def test_no_color_overdue_rows_are_the_most_prominent(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("cpatel")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("6")  # all disputes: every state on screen
        await settle(pilot)
        table = app.screen.query_one(CaseloadTable)
        style = {name: table.get_component_rich_style(f"caseload--{name}")
                 for name in ("overdue", "due-today", "due-soon", "paused", "done")}
        assert style["overdue"].bold and style["overdue"].underline
        assert style["due-today"].bold and not style["due-today"].underline
        assert not any(style[n].bold for n in ("due-soon", "paused", "done"))
        assert not any(style[n].dim for n in style)
        foreground = table.get_component_rich_style("caseload--overdue").color
        assert all(s.color == foreground for s in style.values())  # all as bright as any text
        # on screen: the overdue rows (the word is in the row) are drawn bold and underlined
        lines = app.screen._compositor.render_strips()
        overdue = [strip for strip in lines if "OVERDUE" in "".join(s.text for s in strip)]
        assert overdue
        for strip in overdue:
            word = next(s for s in strip if "OVERDUE" in s.text or "!!" in s.text)
            assert word.style is not None and word.style.bold and word.style.underline
        # one such row for each overdue dispute on the page, each a dispute the database has
        shown = [row for row, state in zip(table.rows_shown, table.states, strict=True) if state.value == "overdue"]
        assert len(overdue) == len(shown)
        assert m.Dispute.select().where(m.Dispute.reference.in_([r.reference for r in shown])).count() == len(shown)


def decorative(text: str) -> list[str]:
    return sorted({c for c in text if is_decorative(c)})


@desk_test
async def test_plain_mode_home_caseload_and_dispute_have_no_box_drawing_or_glyphs(make_app: Any) -> None:
    app = make_app("cpatel", home="work", plain=True)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert app.plain and app.has_class("-plain")
        home = screen_text(app)
        assert "My work" in home and decorative(home) == []
        assert " | " in home  # the header's pieces, without a box-drawing bar
        assert "Enter" in home  # the footer's key in words, not a glyph
        # one item per line: each row of my work is one line; the highlighted one in full below the list
        table = app.screen.query_one(WorkTable)
        assert table.row_count == len(table.items) and all(row.height == 1 for row in table.ordered_rows)
        first = table.items[0]
        detail = str(app.screen.query_one("#work-detail").render())
        assert f"{first.verb}: " in detail and first.reference in detail and first.child_name in detail
        assert first.child_name in screen_text(app)  # shown, below the list
        assert m.Dispute.get(m.Dispute.reference == first.reference).child.name == first.child_name

        await pilot.press("f2")
        await settle(pilot)
        caseload = screen_text(app)
        assert "OVERDUE" in caseload and decorative(caseload) == []

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        form = screen_text(app)
        assert decorative(form) == [], form
        reference = m.Dispute.get_by_id(app.screen.dispute_id).reference
        assert reference in form  # the dispute the database has, in words
        # the same keys: escape back to the list
        await pilot.press("escape")
        await settle(pilot)
        assert decorative(screen_text(app)) == []

        # a text box with no label of its own (the compliment's): an ASCII bar marks it while focused
        child = m.Child.get_by_id(m.Dispute.get(m.Dispute.reference == reference).child_id)
        app.open_compliment(child.id)
        await settle(pilot)
        box_area = app.screen.query_one(TextArea)
        assert app.focused is box_area
        region = box_area.region
        lines = screen_text(app).splitlines()
        assert all(lines[y][region.x] == "|" for y in range(region.y, region.bottom))
        assert decorative(screen_text(app)) == []


def test_plain_text_says_keys_in_words_and_drops_the_rest() -> None:
    assert plain_text("⏎ open") == "Enter open"
    assert plain_text("a │ b") == "a | b"
    assert plain_text("▶ Section ●") == " Section "
    assert plain_text("Fri 4 Dec · 10:00 …") == "Fri 4 Dec · 10:00 …"  # punctuation stays


def test_config_plain_true_and_a_bad_value_named(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("plain = true\n", encoding="utf-8")
    assert load_config(str(good)).plain is True
    assert load_config(None).plain is False
    bad = tmp_path / "bad.toml"
    bad.write_text('plain = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'plain' must be true or false"):
        load_config(str(bad))


def test_drp_plain_opens_the_desk_in_plain_mode(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from drp_tui import cli
    from drp_tui.ui.app import DrpApp

    seen: list[bool] = []
    monkeypatch.setattr(DrpApp, "run", lambda self, *a, **k: seen.append(self.plain))
    assert cli.main(["--db", str(db_path), "--plain"]) == 0
    assert cli.main(["--db", str(db_path)]) == 0
    assert seen == [True, False]
