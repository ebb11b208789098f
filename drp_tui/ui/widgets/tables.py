"""The desk's tables: a DataTable that also moves with ``j``/``k`` (down/up), as terminal people expect.

The keys are the table's own, so they reach it only while it has focus: a text field
beside it keeps typing the letters, and a screen's own ``k`` elsewhere is never shadowed.
"""

from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets.data_table import CellType

from drp_tui.ui.keys import LIST_BINDINGS


class DeskTable(DataTable[CellType]):
    """A DataTable with ``j``/``k`` (see ``keys.LIST_BINDINGS``) on top of DataTable's keys."""

    BINDINGS = LIST_BINDINGS
