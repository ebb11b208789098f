"""The report pack written out: CSV (stdlib), XLSX (openpyxl), PDF with bar charts (fpdf2, Pillow).

``export_pack`` is the one way a pack leaves the database: the read rule of every report
(oversight or an administrator, ``reports.report_reader``; a refusal is audited by
``common.service``), then the file's bytes, then one ``export`` event naming the period, the
format and how many disputes it counts (no names). The caller writes the bytes.

Spreadsheet cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are
text a spreadsheet would run as a formula: they are written with a leading ``'``
(``spreadsheet_safe``), in the CSV and in the XLSX alike. The PDF is written in the core
Helvetica font: a character outside Latin-1 is shown as ``?``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from drp_tui.domain.timeutil import format_london
from drp_tui.services import audit
from drp_tui.services.common import service
from drp_tui.services.context import Ctx
from drp_tui.services.errors import ValidationError
from drp_tui.services.report_pack import Cell, Chart, Pack, Section, build_pack, check_period, period_text, sections
from drp_tui.services.reports import report_reader

FORMATS = ("csv", "xlsx", "pdf")
TITLE = "Dispute Resolution Process: report pack"
COHORT = "Disputes raised in the period that you may see; figures as at the time generated."

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def spreadsheet_safe(value: Cell) -> Cell:
    """A cell a spreadsheet shows as written: text that would start a formula gets a leading ``'``;
    numbers are left as numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = _CONTROL.sub("?", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def _preamble(p: Pack) -> list[tuple[str, str]]:
    return [(TITLE, ""), ("Period", period_text(p.date_from, p.date_to)),
            ("Generated", format_london(p.generated_at)), ("Which disputes", COHORT)]


# --- CSV -------------------------------------------------------------------------------------------

def to_csv(p: Pack) -> bytes:
    """One file: the preamble, then each section (its title, header row, rows), a blank row between."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for k, v in _preamble(p):
        w.writerow([spreadsheet_safe(k), spreadsheet_safe(v)])
    for s in sections(p):
        w.writerow([])
        w.writerow([spreadsheet_safe(s.title)])
        w.writerow([spreadsheet_safe(h) for h in s.headers])
        for row in s.rows:
            w.writerow([spreadsheet_safe(c) for c in row])
        if s.note:
            w.writerow([spreadsheet_safe(s.note)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel reads it as UTF-8


# --- XLSX ------------------------------------------------------------------------------------------

def to_xlsx(p: Pack) -> bytes:
    """A workbook: an About sheet, then one sheet per section. Every text cell is a string cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    about = wb.active
    about.title = "About"
    for k, v in _preamble(p):
        _row(about, [k, v])
    about.cell(row=1, column=1).font = Font(bold=True)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 60
    for s in sections(p):
        ws = wb.create_sheet(_sheet_title(s.title))
        _row(ws, [s.title])
        ws.cell(row=1, column=1).font = Font(bold=True)
        _row(ws, list(s.headers))
        for col in range(1, len(s.headers) + 1):
            ws.cell(row=2, column=col).font = Font(bold=True)
        for row in s.rows:
            _row(ws, list(row))
        if s.note:
            _row(ws, [s.note])
        ws.column_dimensions["A"].width = 44
        for letter in "BCDE"[: max(0, len(s.headers) - 1)]:
            ws.column_dimensions[letter].width = 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row(ws: object, values: Sequence[Cell]) -> None:
    """Append one row: every value made ``spreadsheet_safe``, every text cell a string cell."""
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(ws, Worksheet)
    safe = [spreadsheet_safe(v) for v in values]
    ws.append(safe)
    for cell, value in zip(ws[ws.max_row], safe, strict=False):
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text


def _sheet_title(title: str) -> str:
    return re.sub(r"[\\/?*\[\]:]", " ", title)[:31]


# --- charts (PNG, for the PDF) -------------------------------------------------------------------------

_FILLS = ((40, 70, 120), (160, 175, 200))  # this period; a year earlier (or the second series)


def chart_png(chart: Chart, title: str = "") -> bytes:
    """A horizontal bar chart: each label's bars (one per series), the value at the end of each bar;
    ``title`` above it (the PDF's heading is its title: none there)."""
    from PIL import Image, ImageDraw, ImageFont

    width, label_w, gap, bar_h = 1000, 360, 10, 22
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=18)
        bold: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=22)
    except (OSError, ValueError, TypeError):  # a Pillow without FreeType: its bitmap font
        font = bold = ImageFont.load_default()
    n_series = len(chart.series)
    top = (40 if title else 8) + (28 if n_series > 1 else 0)
    group_h = n_series * bar_h + gap
    height = top + max(1, len(chart.labels)) * group_h + 10
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((10, 8), _png_text(title, 70), fill="black", font=bold)
    if n_series > 1:
        x, ly = label_w, top - 24
        for i, (name, _values) in enumerate(chart.series):
            draw.rectangle((x, ly, x + 18, ly + 18), fill=_FILLS[i % len(_FILLS)])
            draw.text((x + 26, ly - 2), _png_text(name, 30), fill="black", font=font)
            x += 260
    biggest = max((v for _n, values in chart.series for v in values), default=0.0) or 1.0
    span = width - label_w - 90
    for i, label in enumerate(chart.labels):
        y = top + i * group_h
        draw.text((10, y + 2), _png_text(label, 34), fill="black", font=font)
        for j, (_name, values) in enumerate(chart.series):
            v = values[i] if i < len(values) else 0.0
            y0 = y + j * bar_h
            length = round(span * v / biggest)
            if length:
                draw.rectangle((label_w, y0 + 2, label_w + length, y0 + bar_h - 2), fill=_FILLS[j % len(_FILLS)])
            draw.text((label_w + length + 8, y0 + 1), f"{v:g}", fill="black", font=font)
    draw.line((label_w, top - 4, label_w, height - 8), fill=(90, 90, 90), width=2)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _png_text(text: str, limit: int) -> str:
    text = _CONTROL.sub("?", text).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "..."


# --- PDF -------------------------------------------------------------------------------------------

def _pdf_text(value: Cell) -> str:
    text = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    text = _CONTROL.sub("?", text).replace("\r", " ").replace("\n", " ")
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(p: Pack) -> bytes:
    """A4: the title and period, then each section: its heading, its chart (an image), its table."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_title(TITLE)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _pdf_text(TITLE), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    for k, v in _preamble(p)[1:]:
        pdf.multi_cell(0, 6, _pdf_text(f"{k}: {v}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for s in sections(p):
        _pdf_section(pdf, s)
    return bytes(pdf.output())


def _pdf_section(pdf: object, s: Section) -> None:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    assert isinstance(pdf, FPDF)
    chart = s.chart if s.chart is not None and s.chart.labels else None
    width = pdf.w - pdf.l_margin - pdf.r_margin
    png = chart_png(chart) if chart is not None else b""
    chart_h, chart_w = 0.0, width
    if png:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            chart_h = width * im.height / im.width
        tallest = pdf.h - pdf.t_margin - pdf.b_margin - 12  # a long chart (36 months, many teams) fits a page
        if chart_h > tallest:
            chart_w, chart_h = width * tallest / chart_h, tallest
    if pdf.get_y() + 12 + max(chart_h, 20) > pdf.h - pdf.b_margin:  # a heading stays with its chart
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, _pdf_text(s.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if png:
        pdf.image(io.BytesIO(png), w=chart_w, h=chart_h, alt_text=f"Bar chart: {_pdf_text(s.title)}")
        pdf.ln(2)
    pdf.set_font("Helvetica", "", 9)
    first = 0.5 if len(s.headers) <= 3 else 0.36
    rest = (1 - first) / max(1, len(s.headers) - 1)
    with pdf.table(col_widths=tuple([first] + [rest] * (len(s.headers) - 1)), text_align="LEFT",
                   line_height=5.5, first_row_as_headings=True) as table:
        head = table.row()
        for h in s.headers:
            head.cell(_pdf_text(h))
        for row in s.rows:
            r = table.row()
            for c in row:
                r.cell(_pdf_text(c) or "-")
    if s.note:
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 5, _pdf_text(s.note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


# --- the audited way out ---------------------------------------------------------------------------

RENDER = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def render(p: Pack, fmt: str) -> bytes:
    if fmt not in RENDER:
        raise ValidationError(f"format: must be one of {', '.join(FORMATS)}", field="format")
    return RENDER[fmt](p)


@dataclass(frozen=True)
class PackFile:
    data: bytes
    fmt: str
    date_from: date
    date_to: date
    disputes: int  # how many disputes the pack counts


@service
def export_pack(ctx: Ctx, date_from: date, date_to: date, fmt: str) -> PackFile:
    """The report pack for the disputes raised from ``date_from`` to ``date_to`` as a file's bytes
    (``fmt``: csv, xlsx or pdf), for oversight or an administrator; one ``export`` event."""
    who, admin = report_reader(ctx)
    start, end = check_period(ctx, date_from, date_to)
    if fmt not in RENDER:
        raise ValidationError(f"format: must be one of {', '.join(FORMATS)}", field="format")
    p = build_pack(ctx.policy, ctx.calendar, ctx.now(), start, end, policy_of=ctx.policy_of,
                   viewer_id=None if admin else who.id)
    data = render(p, fmt)
    audit.append(ctx.now(), who.id, "export",
                 f"Wrote the report pack ({fmt}) for {start.isoformat()} to {end.isoformat()}: {p.total} disputes",
                 after={"what": "report pack", "format": fmt, "from": start.isoformat(), "to": end.isoformat(),
                        "disputes": p.total})
    return PackFile(data, fmt, start, end, p.total)
