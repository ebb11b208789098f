"""The desk's tables draw the short way (DeskTable): a one-line text cell rendered once
(``_one_line``), and whole lines with the styles a drawing shares read once. The output must be
exactly DataTable's own: cell by cell for every kind of cell a caseload page has, under the cursor
and not, cut to the column or shorter than it, in both themes; and line by line against a plain
DataTable beside it, in every state the desk draws a table in, and where the short way cannot draw
a line (fixed rows or columns, row labels, taller rows) DataTable's own way is taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable, Input
from textual.coordinate import Coordinate

from drp_tui.ui.theme import ansi_theme
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
    Text("a link", style=Style(link="https://example.org/a")),  # (links and meta: styles laid in DataTable's order)
    Text("with meta", style=Style.from_meta({"@click": "app.bell"})),
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


# --- whole lines: a DeskTable's drawing against a plain DataTable's, side by side -----------------

LINE_CSS = """
DataTable { width: 40; height: 7; }
"""


class SideBySide(App[None]):
    """A DeskTable and a plain DataTable with the same rows, and a field to take the focus."""

    CSS = LINE_CSS

    def __init__(self, widths: tuple[int, ...] = (14, 20, 9, 1, 12)) -> None:
        super().__init__()
        self.widths = widths  # (together wider than the tables: they scroll sideways)

    def compose(self) -> ComposeResult:
        yield DeskTable(id="desk", cursor_type="row", cell_padding=1)
        yield DataTable(id="plain", cursor_type="row", cell_padding=1)
        yield Input(id="elsewhere")

    def on_mount(self) -> None:
        for table in self.tables():
            for i, width in enumerate(self.widths):
                table.add_column(Text(f"col {i}"), width=width, key=str(i))
            for r in range(12):
                table.add_row(*(CELLS[(r + c) % len(CELLS)] for c in range(5)), key=str(r), height=1)

    def tables(self) -> tuple[DeskTable[Any], DataTable[Any]]:
        return self.query_one("#desk", DeskTable), self.query_one("#plain", DataTable)


def drawn(table: DataTable[Any]) -> list[Strip]:
    """The table's lines as the screen draws them (the widget's line cache cleared first)."""
    table._styles_cache.clear()
    return table.render_lines(Region(0, 0, table.size.width, table.size.height))


async def same_lines(app: SideBySide, pilot: Any, focused: bool, state: str) -> int:
    """Each table's lines, drawn with the focus on it (``focused``) or elsewhere, are the same."""
    desk, plain = app.tables()
    lines = []
    for table in (desk, plain):
        (table if focused else app.query_one(Input)).focus()
        await pilot.pause()
        lines.append(drawn(table))
    assert desk.virtual_size == plain.virtual_size
    assert [c.content_width for c in desk.ordered_columns] == [c.content_width for c in plain.ordered_columns]
    return compare(lines[0], lines[1], (state, focused))


def compare(short: list[Strip], textual: list[Strip], state: object) -> int:
    """The same lines: the same segments, each with the same text and style (the row and column
    the mouse reads from it included)."""
    assert len(short) == len(textual) > 0
    for y, (a, b) in enumerate(zip(short, textual, strict=True)):
        assert list(a) == list(b), (state, y, a.text, b.text)
    return len(short)


def both_tables(app: SideBySide, change: Callable[[DataTable[Any]], object]) -> None:
    for table in app.tables():
        change(table)


PLACES = (((0, 0), None, (0, 0)), ((3, 2), (5, 1), (0, 0)), ((9, 4), (9, 4), (7, 4)), ((11, 1), (2, 3), (13, 0)))
# every kind of cursor, striped or not, each in the four places; with each, the header shown or not
# and the cursor shown or not (the four pairs taken in turn over the four places)
STATES = [(cursor_type, zebra, i % 2 == 0, i // 2 == 0, *place)
          for cursor_type in ("row", "cell", "column", "none") for zebra in (False, True)
          for i, place in enumerate(PLACES)]


def put(table: DataTable[Any], state: tuple[Any, ...]) -> None:
    cursor_type, zebra, header, show_cursor, cursor, hover, scroll = state
    table.cursor_type = cursor_type
    table.zebra_stripes = zebra
    table.show_header = header
    table.show_cursor = show_cursor
    table.cursor_coordinate = Coordinate(*cursor)
    table._set_hover_cursor(hover is not None)
    table.hover_coordinate = Coordinate(*(hover or (0, 0)))
    table.scroll_to(*scroll, animate=False, immediate=True)
    assert table.scroll_y == scroll[1] and table.scroll_x == min(scroll[0], table.max_scroll_x)


@desk_test
async def test_whole_lines_are_drawn_as_datatable_draws_them() -> None:
    """Every line of a drawing, in every state the desk's tables are drawn in: both themes and the
    16-colour one, the focus on the table or elsewhere, row/cell/column/no cursor and the cursor
    hidden, zebra stripes or not, the header shown or not, the cursor and the mouse's hover on a
    row, scrolled down and sideways, columns that cut their text."""
    compared = 0
    for app, states in ((SideBySide(), STATES), (SideBySide(NARROW), NARROW_STATES)):
        compared += await compared_in_themes(app, states)
    assert compared == 3 * 2 * (len(STATES) + len(NARROW_STATES)) * 7


NARROW = (3, 6, 2, 1, 4)  # narrower together than the tables: each line is carried on to the edge
NARROW_STATES = [state for state in STATES if state[0] in ("row", "cell") and state[4] in ((0, 0), (9, 4))]


async def compared_in_themes(app: SideBySide, states: list[tuple[Any, ...]]) -> int:
    compared = 0
    async with app.run_test(size=(60, 30)) as pilot:
        app.register_theme(ansi_theme())
        await settle(pilot)
        desk, plain = app.tables()
        for theme in ("textual-dark", "textual-light", ansi_theme().name):
            app.theme = theme
            drawings: dict[str, list[list[Strip]]] = {}
            for focus in ("desk", "plain", "elsewhere"):
                app.query_one(f"#{focus}").focus()
                await settle(pilot)
                for table in (desk, plain):
                    if focus in ("elsewhere", table.id):
                        drawings.setdefault(f"{table.id} {focus == 'elsewhere'}", [])
                        for state in states:
                            put(table, state)
                            drawings[f"{table.id} {focus == 'elsewhere'}"].append(drawn(table))
            for blurred in (False, True):
                for state, short, textual in zip(states, drawings[f"desk {blurred}"], drawings[f"plain {blurred}"],
                                                 strict=True):
                    compared += compare(short, textual, (theme, blurred, state))
    return compared


@desk_test
async def test_lines_after_rows_change_are_datatable_s() -> None:
    """After a cell is updated, rows are added and removed, and the table is cleared and filled
    again (a caseload page), the lines are still DataTable's, focused or not."""
    app = SideBySide()
    async with app.run_test(size=(60, 30)) as pilot:
        await settle(pilot)
        await both_ways(app, pilot, "first")
        both_tables(app, lambda t: t.update_cell("2", "1", Text("updated, and longer than its column")))
        both_tables(app, lambda t: t.add_row(*(Text(f"new {c}") for c in range(5)), key="new"))
        both_tables(app, lambda t: t.remove_row("0"))
        await settle(pilot)
        await both_ways(app, pilot, "updated")

        def page(table: DataTable[Any]) -> None:
            table.clear()
            for r in range(10):
                table.add_row(*(CELLS[(3 * r + c) % len(CELLS)] for c in range(5)), key=f"p{r}")
            table.move_cursor(row=4, animate=False)
        both_tables(app, page)
        await settle(pilot)
        await both_ways(app, pilot, "another page")
        both_tables(app, lambda t: t.clear(columns=True))
        both_tables(app, lambda t: t.add_column(Text("only one, auto width")))
        both_tables(app, lambda t: t.add_row(Text("a cell wider than the heading, in a column that fits it")))
        await settle(pilot)
        await both_ways(app, pilot, "new columns")


async def both_ways(app: SideBySide, pilot: Any, state: str) -> None:
    for focused in (True, False):
        await same_lines(app, pilot, focused, state)


@desk_test
async def test_lines_the_short_way_cannot_draw_are_datatable_s_own() -> None:
    """Fixed rows or columns, row labels, a cell cursor over zebra stripes, a taller row: DataTable
    draws those lines itself (counted), and they are the same; a plain table never does."""
    calls: list[int] = []
    textual_line = DataTable._render_line_in_row

    def counted(self: DataTable[Any], *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, DeskTable):
            calls.append(1)
        return textual_line(self, *args, **kwargs)

    DataTable._render_line_in_row = counted  # type: ignore[method-assign]
    try:
        app = SideBySide()
        async with app.run_test(size=(60, 30)) as pilot:
            await settle(pilot)
            await same_lines(app, pilot, True, "plain")
            assert not calls  # the short way
            for name, change in (
                ("fixed rows", lambda t: setattr(t, "fixed_rows", 2)),
                ("fixed columns", lambda t: (setattr(t, "fixed_rows", 0), setattr(t, "fixed_columns", 1))),
                ("row labels", lambda t: (setattr(t, "fixed_columns", 0),
                                          t.add_row(*(Text("x") for _ in range(5)), key="labelled", label="L"))),
                ("cell cursor over stripes", lambda t: (t.remove_row("labelled"), setattr(t, "zebra_stripes", True),
                                                        setattr(t, "cursor_type", "cell"))),
            ):
                both_tables(app, change)
                await settle(pilot)
                calls.clear()
                await same_lines(app, pilot, True, name)
                assert calls, name
            both_tables(app, lambda t: (setattr(t, "zebra_stripes", False),
                                        t.add_row(*(Text(f"two\nlines {c}") for c in range(5)), key="tall", height=2)))
            await settle(pilot)
            await same_lines(app, pilot, True, "a taller row")
    finally:
        DataTable._render_line_in_row = textual_line  # type: ignore[method-assign]
