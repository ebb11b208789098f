"""The desk's tables: a DataTable that also moves with ``j``/``k`` (down/up), as terminal people expect.

The keys are the table's own, so they reach it only while it has focus: a text field
beside it keeps typing the letters, and a screen's own ``k`` elsewhere is never shadowed.

It also draws faster than DataTable, with exactly DataTable's output (tests/ui/test_table_cells.py
compares cells and whole lines with a plain DataTable's): a one-line text cell is rendered once,
not three times over through a padding and a style layer; what every line of one drawing shares
(the widget's size, scroll and style, the header's and zebra rows' styles, the columns' widths,
the cursor) is read once a drawing, not for every line or cell; and each line is drawn in one
pass. Whatever the short way does not draw (fixed rows or columns, row labels, taller rows,
cells that are not text) is DataTable's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import chain, islice
from typing import Any, TypeGuard

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text, TextType
from textual._segment_tools import line_crop
from textual._types import SegmentLines
from textual.geometry import Region
from textual.render import measure
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import CellCacheKey, Coordinate, RowKey
from textual.widgets.data_table import CellType, ColumnKey

from drp_tui.ui.keys import LIST_BINDINGS

_NULL = Style.null()


class _Lines:
    """What the lines of one drawing of a table share, read once: the widget's size, scroll and
    style, the columns' widths, the cursor and the mouse's hover."""

    def __init__(self, table: DeskTable[Any], base: Style | None = None) -> None:
        self.drawing = base is None  # (else one line drawn outside a drawing)
        self.base = table.rich_style if base is None else base
        self.width = table.size.width
        self.scroll_x, self.scroll_y = table.scroll_offset
        self.header_rows = table.header_height if table.show_header else 0
        self.widths = [column.get_render_width(table) for column in table.ordered_columns]
        self.table_width = sum(self.widths) + table._row_label_column_width
        self.cursor_type = table.cursor_type
        self.show_cursor = table.show_cursor
        self.show_hover_cursor = table._show_hover_cursor
        self.cursor = table.cursor_coordinate
        self.hover = table.hover_coordinate


@lru_cache(maxsize=1024)
def _out_of_bounds(row_index: int) -> Style:
    """What DataTable lays over the space after a row's last column, for the mouse."""
    return Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})


@lru_cache(maxsize=4096)
def _cell_meta(row_index: int, column_index: int) -> Style:
    """What DataTable lays over a cell for the mouse: its row and column."""
    return Style.from_meta({"row": row_index, "column": column_index})


class DeskTable(DataTable[CellType]):
    """A DataTable with ``j``/``k`` (see ``keys.LIST_BINDINGS``) on top of DataTable's keys."""

    BINDINGS = LIST_BINDINGS

    # what one drawing (render_lines) reads once: its _Lines, each kind of row's style, the cells' styles
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

    # --- one drawing: what its lines share, read once ---------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawing = {}
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None

    def _quick_lines(self) -> bool:
        """Whether a line can be drawn the short way: no fixed rows or columns, no row labels."""
        return not (self.fixed_rows or self.fixed_columns or (self._labelled_row_exists and self.show_row_labels))

    def _lines(self) -> _Lines | None:
        """What every line of this drawing shares (None: not in a drawing, or not drawn the short way)."""
        drawing = self._drawing
        if drawing is None:
            return None
        if "lines" not in drawing:
            drawing["lines"] = _Lines(self) if self._quick_lines() else None
        lines: _Lines | None = drawing["lines"]
        return lines

    def render_line(self, y: int) -> Strip:
        """DataTable's ``render_line`` and ``_render_line`` (no fixed rows here), with what the
        lines share read once per drawing."""
        lines = self._lines()
        if lines is None:
            return super().render_line(y)
        if y >= lines.header_rows:
            y += lines.scroll_y
        width, base, x1 = lines.width, lines.base, lines.scroll_x
        try:
            row_key, y_offset_in_row = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, base)
        cache_key = (y, x1, x1 + width, width, lines.cursor, lines.hover, base, lines.cursor_type,
                     lines.show_hover_cursor, self._update_count, self._pseudo_class_state)
        strip = self._line_cache.get(cache_key)
        if strip is None:
            _, scrollable = self._render_line_in_row(row_key, y_offset_in_row, base, lines.cursor, lines.hover)
            segments = line_crop(list(chain.from_iterable(scrollable)), x1, x1 + width, width)
            strip = self._line_cache[cache_key] = Strip(segments).adjust_cell_length(width, base).simplify()
        return strip

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
        for every line; in a drawing, nothing is kept (each line is drawn once a drawing, and kept
        whole in DataTable's line cache)."""
        lines = self._lines()
        if lines is None:
            if not self._quick_lines():
                return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
            lines = _Lines(self, base_style)
        cursor_type = lines.cursor_type
        if lines.drawing:
            cache_key = None
        else:
            cache_key = (row_key, line_no, base_style, cursor_location, hover_location, cursor_type,
                         lines.show_cursor, lines.show_hover_cursor, self._update_count, self._pseudo_class_state)
            cached = self._row_render_cache.get(cache_key)
            if cached is not None:
                return cached
        should_highlight = self._should_highlight
        row_index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        assert row_index is not None
        row_style = self._get_row_style(row_index, base_style)
        scrollable_row: list[list[Segment]] = []
        texts = self._one_line_texts(row_key, row_index)
        for column_index, width in enumerate(lines.widths):
            cell_location = Coordinate(row_index, column_index)
            cursor = should_highlight(cursor_location, cell_location, cursor_type)
            hover = should_highlight(hover_location, cell_location, cursor_type)
            if texts is not None:  # (drawn straight away: a cell is drawn once a drawing, no use keeping it)
                scrollable_row.append(self._one_line(texts[column_index], row_index, column_index, row_style,
                                                     width, cursor, hover)[0])
            else:
                scrollable_row.append(self._render_cell(row_index, column_index, row_style, width, cursor=cursor,
                                                        hover=hover)[line_no])
        remaining_space = max(0, lines.width - lines.table_width)
        if cursor_type == "row":
            extend_style, _ = self._get_styles_to_render_cell(
                row_index == -1, False, False,
                should_highlight(hover_location, Coordinate(row_index or 0, 0), cursor_type),
                row_index == cursor_location.row, lines.show_cursor, lines.show_hover_cursor, False, False)
            extend_style = row_style + extend_style
        elif row_style.bgcolor is not None:
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        else:
            extend_style = Style.from_color(row_style.color, row_style.bgcolor)
        extend_style += _out_of_bounds(row_index)
        scrollable_row.append([Segment(" " * remaining_space, extend_style)])
        row_pair: tuple[SegmentLines, SegmentLines] = ([], scrollable_row)
        if cache_key is not None:
            self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _one_line_row(self, row_key: RowKey | None, row_index: int) -> bool:
        """Is the row (-1: the header) one line high, as ``_one_line`` draws?"""
        if row_index == -1:
            return self.header_height == 1
        row = self.rows.get(row_key) if row_key is not None else None
        return row is not None and row.height == 1 and not row.auto_height

    @staticmethod
    def _one_line_text(cell: object) -> TypeGuard[Text]:
        """Is the cell a text ``_one_line`` draws (it ends the line, or nothing)?"""
        return isinstance(cell, Text) and cell.end in ("", "\n")

    def _one_line_texts(self, row_key: RowKey, row_index: int) -> list[Text] | None:
        """The row's cells, if it is one line high and each is a text ``_one_line`` draws."""
        if self.fixed_rows or not self._one_line_row(row_key, row_index):
            return None
        cells = self._get_row_renderables(row_index)[1]
        if len(cells) != len(self.columns) or not all(self._one_line_text(c) for c in cells):
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
            row_key = self._header_row_key if row_index == -1 else self._row_locations.get_key(row_index)
            if self._one_line_row(row_key, row_index):
                key: CellCacheKey = (row_key, self._column_locations.get_key(column_index), base_style, cursor,
                                     hover, self._show_hover_cursor, self._update_count, self._pseudo_class_state)
                lines = self._cell_render_cache.get(key)
                if lines is not None:
                    return lines
                cell = self._get_row_renderables(row_index)[1][column_index]
                if self._one_line_text(cell):
                    lines = self._one_line(cell, row_index, column_index, base_style, width, cursor, hover)
                    self._cell_render_cache[key] = lines
                    return lines
        return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    def _one_line(self, cell: Text, row_index: int, column_index: int, base_style: Style, width: int,
                  cursor: bool, hover: bool) -> SegmentLines:
        """What ``console.render_lines(Styled(Padding(cell, (0, p)), pre, post))`` gives at height 1:
        the cell rendered once at the inner width, padded, then the styles laid over it."""
        meta = _cell_meta(row_index, column_index)
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
            cells = cell_len(plain)
            if len(plain) <= inner and cells <= inner:
                cut = cell  # (nothing to strip or cut)
            else:
                cut = cell.copy()
                cut.rstrip_end(inner)
                cut.truncate(inner, overflow=cell.overflow or "fold")
            if cut._spans:
                # (joined, as Text renders its lines)
                line = self._first_line(Text("\n").join([cut]).render(console, end=cell.end), inner)
            else:  # Text("\n").join([cut]) renders as one segment (in the cut's style if it has one)
                if cut is not cell:
                    plain = cut.plain
                    cells = cell_len(plain)
                if not cut.style:
                    segments = [Segment(plain)]
                elif plain:
                    segments = [Segment(plain, console.get_style(cut.style, default=null))]
                else:
                    segments = []
                if segments and cells <= inner:  # (what Segment.adjust_line_length gives, padded to the width)
                    line = segments if cells == inner else [*segments, Segment(" " * (inner - cells), null)]
                elif segments or cell.end:  # (else no line at all: a blank one)
                    line = Segment.adjust_line_length(segments, inner, style=null, pad=True)
                else:
                    line = [Segment(" " * inner, null)]
        padded = [Segment(" " * pad, null), *line, Segment(" " * pad, null)] if pad else line
        post = console.get_style(post_style)
        marked = self._marked(padded, base_style, component_style, post, meta)
        if marked is None:  # DataTable's order: the row and column first, then the styles over them
            pre = console.get_style(base_style + meta + component_style)
            marked = list(Segment.apply_style(padded, style=pre, post_style=post))
        elif width >= 2 * pad and sum(segment.cell_length for segment in line) == inner:
            return [marked]  # (as wide as the column already)
        return [list(Segment.adjust_line_length(marked, width, pad=True))]

    def _marked(self, segments: list[Segment], base_style: Style, component_style: Style, post: Style,
                meta: Style) -> list[Segment] | None:
        """``segments`` styled as DataTable styles them (``base_style``, the cell's row and column
        ``meta``, ``component_style``, the segment's own, then ``post``), with the cell's row and
        column laid on last: the rest is then the same for many cells of a drawing and is kept for
        it. The order makes no difference when no style but ``meta`` carries any meta or a link
        (else None: DataTable's order)."""
        drawing = self._drawing
        every: dict[tuple[Style, Style, Style], dict[Style | None, Style | None]] = (
            drawing.setdefault("styled", {}) if drawing is not None else {})
        cell_styles = (base_style, component_style, post)
        kept = every.get(cell_styles)
        if kept is None:
            kept = every[cell_styles] = {}
        marked = []
        for text, style, control in segments:
            if style in kept:
                unmarked = kept[style]
            else:
                plain = all(part is None or not (part._meta or part._link) for part in (*cell_styles, style))
                unmarked = kept[style] = (base_style + component_style + style) + post if plain else None
            if unmarked is None or control:
                return None
            marked.append(Segment(text, unmarked + meta))
        return marked

    @staticmethod
    def _first_line(rendered: Any, inner: int) -> list[Segment]:
        lines = list(islice(Segment.split_and_crop_lines(rendered, inner, include_new_lines=False, pad=True,
                                                         style=_NULL), 1))
        return lines[0] if lines else [Segment(" " * inner, _NULL)]
