"""The desk's tables: a DataTable that also moves with ``j``/``k`` (down/up), as terminal people expect.

The keys are the table's own, so they reach it only while it has focus: a text field
beside it keeps typing the letters, and a screen's own ``k`` elsewhere is never shadowed.
"""

from __future__ import annotations

from itertools import islice

from rich.segment import Segment
from rich.style import Style
from rich.text import Text, TextType
from textual._types import SegmentLines
from textual.widgets import DataTable
from textual.widgets._data_table import CellCacheKey
from textual.widgets.data_table import CellType, ColumnKey

from drp_tui.ui.keys import LIST_BINDINGS


class DeskTable(DataTable[CellType]):
    """A DataTable with ``j``/``k`` (see ``keys.LIST_BINDINGS``) on top of DataTable's keys."""

    BINDINGS = LIST_BINDINGS

    def add_column(self, label: TextType, *, width: int | None = None, key: str | None = None,
                   default: CellType | None = None) -> ColumnKey:
        """A column headed by ``label`` as written. DataTable reads a plain string as Rich markup,
        which loads Rich's emoji table (about half a megabyte held for the whole session) for
        headings that are never markup."""
        return super().add_column(Text(label) if isinstance(label, str) else label,
                                  width=width, key=key, default=default)

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> SegmentLines:
        """DataTable's, with a shorter way for a one-line text cell (every caseload cell): the same
        segments (tests/ui/test_table_cells.py compares them with DataTable's own), without
        rendering the cell three times over through a padding and a style layer (a page of
        19 rows took about 30 ms to draw that way)."""
        if row_index >= 0 and column_index >= 0 and not self.fixed_rows and not self.fixed_columns:
            row_key = self._row_locations.get_key(row_index)
            row = self.rows.get(row_key) if row_key is not None else None
            if row is not None and row.height == 1 and not row.auto_height:
                key: CellCacheKey = (row_key, self._column_locations.get_key(column_index), base_style, cursor,
                                     hover, self._show_hover_cursor, self._update_count, self._pseudo_class_state)
                lines = self._cell_render_cache.get(key)
                if lines is not None:
                    return lines
                cell = self._get_row_renderables(row_index)[1][column_index]
                if isinstance(cell, Text):
                    lines = self._one_line(cell, row_index, column_index, base_style, width, cursor, hover)
                    self._cell_render_cache[key] = lines
                    return lines
        return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    def _one_line(self, cell: Text, row_index: int, column_index: int, base_style: Style, width: int,
                  cursor: bool, hover: bool) -> SegmentLines:
        """What ``console.render_lines(Styled(Padding(cell, (0, p)), pre, post))`` gives at height 1:
        the cell rendered once at the inner width, padded, then the styles laid over it."""
        base_style += Style.from_meta({"row": row_index, "column": column_index})
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        console = self.app.console
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        null = Style()
        if "\n" in cell.plain or "\t" in cell.plain or cell.justify not in (None, "default"):
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            options = options.update_width(inner).update_height(1)
            rendered = console.render(cell, options)
        else:  # what Text's own rendering does with one line, no wrapping, at the inner width
            cut = cell.copy()
            cut.rstrip_end(inner)
            cut.truncate(inner, overflow=cell.overflow or "fold")
            rendered = Text("\n").join([cut]).render(console, end=cell.end)  # (joined, as Text renders its lines)
        text_lines = list(islice(Segment.split_and_crop_lines(rendered, inner, include_new_lines=False, pad=True,
                                                               style=null), 1))
        line = text_lines[0] if text_lines else [Segment(" " * inner, null)]
        padded = [Segment(" " * pad, null), *line, Segment(" " * pad, null)] if pad else list(line)
        pre = console.get_style(base_style + component_style)
        post = console.get_style(post_style)
        styled = list(Segment.apply_style(padded, style=pre, post_style=post))
        return [list(Segment.adjust_line_length(styled, width, pad=True))]
