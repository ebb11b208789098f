"""The desk's tables: a DataTable that also moves with ``j``/``k`` (down/up), as terminal people expect.

The keys are the table's own, so they reach it only while it has focus: a text field
beside it keeps typing the letters, and a screen's own ``k`` elsewhere is never shadowed.
"""

from __future__ import annotations

from rich.text import Text, TextType
from textual.widgets import DataTable
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
