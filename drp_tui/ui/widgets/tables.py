"""The desk's tables: a DataTable that also moves with ``j``/``k`` (down/up), as terminal people expect.

The keys are the table's own, so they reach it only while it has focus: a text field
beside it keeps typing the letters, and a screen's own ``k`` elsewhere is never shadowed.

It also draws faster than DataTable, with exactly DataTable's output (tests/ui/test_table_cells.py
compares cells and whole lines with DataTable's own): a one-line text cell is rendered once, not
three times over; and the styles that every line of one drawing shares (the widget's style, the
header's and zebra rows' styles) are read once per drawing, not once per line, each read walking
the widget's ancestors.
"""

from __future__ import annotations

from functools import lru_cache
from collections.abc import Iterable
from itertools import islice
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text, TextType
from textual._types import SegmentLines
from textual.geometry import Region
from textual.render import measure
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import CellCacheKey, Coordinate, RowKey
from textual.widgets.data_table import CellType, ColumnKey

from drp_tui.ui.keys import LIST_BINDINGS

_NULL = Style.null()


@lru_cache(maxsize=4096)
def _cell_meta(row_index: int, column_index: int) -> Style:
    """What DataTable lays over a cell for the mouse: its row and column."""
    return Style.from_meta({"row": row_index, "column": column_index})


class DeskTable(DataTable[CellType]):
    """A DataTable with ``j``/``k`` (see ``keys.LIST_BINDINGS``) on top of DataTable's keys."""

    BINDINGS = LIST_BINDINGS

    # the styles of one drawing (render_lines), read once: "base" (the widget's), and each row kind's
    _drawing: dict[str, Any] | None = None

    def add_column(self, label: TextType, *, width: int | None = None, key: str | None = None,
                   default: CellType | None = None) -> ColumnKey:
        """A column headed by ``label`` as written. DataTable reads a plain string as Rich markup,
        which loads Rich's emoji table (about half a megabyte held for the whole session) for
        headings that are never markup."""
        return super().add_column(Text(label) if isinstance(label, str) else label,
                                  width=width, key=key, default=default)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """DataTable's, with a text cell measured as Rich measures Text (its widest line) without
        building the console's options for every cell (each asks the terminal for its size).
        Rows with labels or an automatic height are DataTable's own."""
        rows = [(key, self._row_locations.get(key)) for key in new_rows]
        rows = [(key, index) for key, index in rows if index is not None]
        if any(self.rows[key].label is not None or self.rows[key].auto_height for key, _ in rows):
            super()._update_dimensions([key for key, _ in rows])
            return
        console = self.app.console
        columns = self.ordered_columns
        for _, index in rows:
            for column, renderable in zip(columns, self._get_row_renderables(index)[1], strict=False):
                if type(renderable) is Text:
                    lines = renderable.plain.splitlines()
                    width = max(cell_len(line) for line in lines) if lines else 0
                else:
                    width = measure(console, renderable, 1)
                column.content_width = max(column.content_width, width)
        super()._update_dimensions(())  # (the table's size)

    # --- one drawing: the shared styles read once ----------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawing = {}
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None

    def _quick_lines(self) -> bool:
        """Whether a line can be drawn the short way: no fixed rows or columns, no row labels."""
        return not (self.fixed_rows or self.fixed_columns or (self._labelled_row_exists and self.show_row_labels))

    def render_line(self, y: int) -> Strip:
        """DataTable's, with the widget's style read once per drawing (no fixed rows here)."""
        drawing = self._drawing
        if drawing is None or not self._quick_lines():
            return super().render_line(y)
        base = drawing.get("base")
        if base is None:
            base = drawing["base"] = self.rich_style
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        fixed_rows_height = self.get_row_height(self._header_row_key) if self.show_header else 0
        if y >= fixed_rows_height:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + width, base)

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """DataTable's, each kind of row's component style read once per drawing."""
        drawing = self._drawing
        if drawing is None:
            return super()._get_row_style(row_index, base_style)
        if row_index == -1:
            kind = "header"
        elif row_index < self.fixed_rows:
            kind = "fixed"
        elif self.zebra_stripes:
            kind = "odd" if row_index % 2 else "even"
        else:
            return base_style
        style = drawing.get(kind)
        if style is None:
            style = drawing[kind] = super()._get_row_style(row_index, base_style)
        return style

    def _render_line_in_row(self, row_key: RowKey, line_no: int, base_style: Style, cursor_location: Coordinate,
                            hover_location: Coordinate) -> tuple[SegmentLines, SegmentLines]:
        """DataTable's for a table without fixed columns or row labels, without reading the header's
        style (only those use it) or the widget's background colours (only a cell cursor uses them)
        for every line."""
        if not self._quick_lines():
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        cursor_type = self.cursor_type
        show_cursor = self.show_cursor
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location, cursor_type, show_cursor,
                     self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        should_highlight = self._should_highlight
        render_cell = self._render_cell
        row_index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        assert row_index is not None
        row_style = self._get_row_style(row_index, base_style)
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        scrollable_row: list[list[Segment]] = []
        texts = self._one_line_texts(row_key, row_index)
        for column_index, width in enumerate(widths):
            cell_location = Coordinate(row_index, column_index)
            cursor = should_highlight(cursor_location, cell_location, cursor_type)
            hover = should_highlight(hover_location, cell_location, cursor_type)
            if texts is not None:  # (drawn straight away: a cell is drawn once a drawing, no use keeping it)
                scrollable_row.append(self._one_line(texts[column_index], row_index, column_index, row_style,
                                                     width, cursor, hover)[0])
            else:
                scrollable_row.append(render_cell(row_index, column_index, row_style, width, cursor=cursor,
                                                  hover=hover)[line_no])
        remaining_space = max(0, self.size.width - (sum(widths) + self._row_label_column_width))
        if cursor_type == "row":
            extend_style, _ = self._get_styles_to_render_cell(
                row_index == -1, False, False,
                should_highlight(hover_location, Coordinate(row_index or 0, 0), cursor_type),
                row_index == cursor_location.row, self.show_cursor, self._show_hover_cursor, False, False)
            extend_style = row_style + extend_style
        elif row_style.bgcolor is not None:
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        else:
            extend_style = Style.from_color(row_style.color, row_style.bgcolor)
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable_row.append([Segment(" " * remaining_space, extend_style)])
        row_pair: tuple[SegmentLines, SegmentLines] = ([], scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _one_line_texts(self, row_key: RowKey, row_index: int) -> list[Text] | None:
        """The row's cells, if it is one line high and each is a text ``_one_line`` draws."""
        if row_index == -1:
            one_line = self.header_height == 1
        else:
            row = self.rows.get(row_key)
            one_line = row is not None and row.height == 1 and not row.auto_height
        if not one_line or self.fixed_rows:
            return None
        cells = self._get_row_renderables(row_index)[1]
        if len(cells) != len(self.columns) or not all(isinstance(c, Text) and c.end in ("", "\n") for c in cells):
            return None
        return cells  # type: ignore[return-value]

    # --- one cell ----------------------------------------------------------------------------
    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> SegmentLines:
        """DataTable's, with a shorter way for a one-line text cell (every caseload cell, and the
        headings): the same segments (tests/ui/test_table_cells.py compares them with DataTable's
        own), without rendering the cell three times over through a padding and a style layer
        (a page of 19 rows took about 30 ms to draw that way)."""
        if column_index >= 0 and not self.fixed_rows and not self.fixed_columns:
            row_key: RowKey | None
            if row_index == -1:
                row_key = self._header_row_key
                one_line = self.header_height == 1
            else:
                row_key = self._row_locations.get_key(row_index)
                row = self.rows.get(row_key) if row_key is not None else None
                one_line = row is not None and row.height == 1 and not row.auto_height
            if one_line:
                key: CellCacheKey = (row_key, self._column_locations.get_key(column_index), base_style, cursor,
                                     hover, self._show_hover_cursor, self._update_count, self._pseudo_class_state)
                lines = self._cell_render_cache.get(key)
                if lines is not None:
                    return lines
                cell = self._get_row_renderables(row_index)[1][column_index]
                if isinstance(cell, Text) and cell.end in ("", "\n"):
                    lines = self._one_line(cell, row_index, column_index, base_style, width, cursor, hover)
                    self._cell_render_cache[key] = lines
                    return lines
        return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    def _one_line(self, cell: Text, row_index: int, column_index: int, base_style: Style, width: int,
                  cursor: bool, hover: bool) -> SegmentLines:
        """What ``console.render_lines(Styled(Padding(cell, (0, p)), pre, post))`` gives at height 1:
        the cell rendered once at the inner width, padded, then the styles laid over it."""
        base_style += _cell_meta(row_index, column_index)
        drawing = self._drawing
        settings = drawing.get("settings") if drawing is not None else None
        if settings is None:
            settings = (self.show_cursor, self._show_hover_cursor, self.cursor_foreground_priority == "css",
                        self.cursor_background_priority == "css", self.cell_padding, self.app.console)
            if drawing is not None:
                drawing["settings"] = settings
        show_cursor, show_hover_cursor, css_foreground, css_background, pad, console = settings
        component_style, post_style = self._get_styles_to_render_cell(
            row_index == -1, False, False, hover, cursor, show_cursor, show_hover_cursor, css_foreground,
            css_background)
        inner = max(0, width - 2 * pad)
        null = _NULL
        plain = cell.plain
        line: list[Segment]
        if "\n" in plain or "\t" in plain or cell.justify not in (None, "default"):
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            options = options.update_width(inner).update_height(1)
            line = self._first_line(console.render(cell, options), inner)
        else:  # what Text's own rendering does with one line, no wrapping, at the inner width
            if len(plain) <= inner and cell_len(plain) <= inner:
                cut = cell  # (nothing to strip or cut)
            else:
                cut = cell.copy()
                cut.rstrip_end(inner)
                cut.truncate(inner, overflow=cell.overflow or "fold")
            if cut._spans:
                # (joined, as Text renders its lines)
                line = self._first_line(Text("\n").join([cut]).render(console, end=cell.end), inner)
            else:  # Text("\n").join([cut]) renders as one segment (in the cut's style if it has one)
                plain = cut.plain
                if not cut.style:
                    segments = [Segment(plain)]
                elif plain:
                    segments = [Segment(plain, console.get_style(cut.style, default=null))]
                else:
                    segments = []
                if segments or cell.end:  # (else no line at all: a blank one)
                    line = Segment.adjust_line_length(segments, inner, style=null, pad=True)
                else:
                    line = [Segment(" " * inner, null)]
        padded = [Segment(" " * pad, null), *line, Segment(" " * pad, null)] if pad else line
        pre = console.get_style(base_style + component_style)
        post = console.get_style(post_style)
        styled = list(Segment.apply_style(padded, style=pre, post_style=post))
        return [list(Segment.adjust_line_length(styled, width, pad=True))]

    @staticmethod
    def _first_line(rendered: Any, inner: int) -> list[Segment]:
        lines = list(islice(Segment.split_and_crop_lines(rendered, inner, include_new_lines=False, pad=True,
                                                         style=_NULL), 1))
        return lines[0] if lines else [Segment(" " * inner, _NULL)]
