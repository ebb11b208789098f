"""The desk's tables draw a one-line text cell the short way (DeskTable._one_line): the segments
must be exactly DataTable's own, for every kind of cell a caseload page has, under the cursor and
not, cut to the column or shorter than it, in both themes."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from drp_tui.ui.widgets.tables import DeskTable
from tests.ui.desk_helpers import desk_test, settle

CELLS = [
    Text("DRP-2026-0004"),
    Text("Child with a name far too long for its column, cut at the edge"),
    Text.assemble(("● ", "bold red"), ("overdue", "italic"), " 3 days"),
    Text("due today", style=Style(color="yellow", bold=True)),
    Text(""),
    Text("émigré · naïve · 日本語"),
    Text("ends with spaces   "),
    Text("an ellipsis where it is cut", overflow="ellipsis"),
    Text("right", justify="right"),
    Text.assemble("plain then ", ("a styled tail past the edge of the column", "underline blue")),
]


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield DeskTable(id="desk", cursor_type="row", cell_padding=1)

    def on_mount(self) -> None:
        table = self.query_one(DeskTable)
        for i, width in enumerate((14, 20, 9, 1, 12)):
            table.add_column(f"col {i}", width=width, key=str(i))
        for r in range(len(CELLS)):
            table.add_row(*(CELLS[(r + c) % len(CELLS)] for c in range(5)), key=str(r), height=1)


def both(table: DeskTable[Any], row: int, column: int, base: Style, width: int, cursor: bool, hover: bool) -> tuple[Any, Any]:
    table._cell_render_cache.clear()
    short = table._render_cell(row, column, base, width, cursor=cursor, hover=hover)
    table._cell_render_cache.clear()
    textual = DataTable._render_cell(table, row, column, base, width, cursor=cursor, hover=hover)
    table._cell_render_cache.clear()
    return short, textual


@desk_test
async def test_one_line_cells_are_drawn_as_datatable_draws_them() -> None:
    app = Tables()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(DeskTable)
        compared = 0
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await settle(pilot)
            for row in range(len(CELLS)):
                for column in range(5):
                    width = table.ordered_columns[column].get_render_width(table)
                    for base in (Style(), Style(bgcolor="blue"), Style(color="red", dim=True)):
                        for cursor, hover in ((False, False), (True, False), (False, True), (True, True)):
                            short, textual = both(table, row, column, base, width, cursor, hover)
                            assert short == textual, (row, column, base, cursor, hover)
                            compared += 1
        assert compared == 2 * len(CELLS) * 5 * 3 * 4


@desk_test
async def test_other_cells_are_datatable_s_own() -> None:
    """Not a one-line text cell (a header, a taller row): DataTable draws it."""
    app = Tables()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(DeskTable)
        table.add_row(*(Text(f"two\nlines {c}") for c in range(5)), key="tall", height=2)
        await settle(pilot)
        tall = table.get_row_index("tall")
        width = table.ordered_columns[0].get_render_width(table)
        short, textual = both(table, tall, 0, Style(), width, False, False)
        assert short == textual and len(short) == 2
        short, textual = both(table, -1, 0, Style(), width, False, False)  # the header row
        assert short == textual
