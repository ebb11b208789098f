"""Bar charts drawn with Unicode block characters, as a Rich ``Text`` (no colour needed).

One line per label and series: the label (user text, shown through ``visible``), the bar,
the value. The first series is drawn in solid blocks with eighth-block ends; the second
in shaded blocks, so the two read apart in 16 colours and with ``NO_COLOR``.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from drp_tui.services.report_pack import Chart
from drp_tui.ui.widgets.text import visible

_EIGHTHS = " ▏▎▍▌▋▊▉"
_GLYPHS = ("█", "░")
LABEL_MAX = 22


def _bar(value: float, biggest: float, width: int, series: int) -> str:
    if biggest <= 0 or value <= 0 or width <= 0:
        return ""
    cells = value / biggest * width
    if series % len(_GLYPHS) == 0:
        whole = int(cells)
        part = _EIGHTHS[int((cells - whole) * 8)] if whole < width else ""
        return (_GLYPHS[0] * whole + part.strip()) or "▏"
    return _GLYPHS[1] * max(1, round(cells))


def fit(label: str, width: int) -> str:
    """User text shown safely in exactly ``width`` terminal cells (cut with an ellipsis, or padded)."""
    text = visible(label)
    return set_cell_size(text, width) if cell_len(text) <= width else set_cell_size(text, width - 1) + "…"


def _num(v: float) -> str:
    return f"{v:g}"


def bar_chart(chart: Chart, width: int, *, plain: bool = False) -> Text:
    """``chart`` in ``width`` cells; a legend line first when it has more than one series.
    ``plain`` (plain mode, for screen readers): no bars, one "label: series value" line each."""
    out = Text(end="")
    if not chart.labels:
        out.append("none")
        return out
    if plain:
        rows = []
        for i, label in enumerate(chart.labels):
            figures = ", ".join(f"{visible(name)} {_num(vals[i] if i < len(vals) else 0.0)}" if len(chart.series) > 1
                                else _num(vals[i] if i < len(vals) else 0.0) for name, vals in chart.series)
            rows.append(f"{visible(label)}: {figures}")
        out.append("\n".join(rows))
        return out
    label_w = min(LABEL_MAX, max(cell_len(visible(label)) for label in chart.labels))
    values = [v for _name, vals in chart.series for v in vals]
    value_w = max(len(_num(v)) for v in values) if values else 1
    span = max(4, width - label_w - value_w - 3)
    biggest = max(values, default=0.0)
    if len(chart.series) > 1:
        out.append(" " * (label_w + 1))
        for i, (name, _vals) in enumerate(chart.series):
            out.append(f"{_GLYPHS[i % len(_GLYPHS)]} {visible(name)}   ")
        out.append("\n")
    lines = []
    for i, label in enumerate(chart.labels):
        for j, (_name, vals) in enumerate(chart.series):
            v = vals[i] if i < len(vals) else 0.0
            head = fit(label, label_w) if j == 0 else " " * label_w
            bar = _bar(v, biggest, span, j)
            line = Text(f"{head} ", end="")
            line.append(bar, style="bold" if j == 0 else "dim")
            line.append(f" {_num(v)}")
            lines.append(line)
    out.append(Text("\n", end="").join(lines))
    return out
