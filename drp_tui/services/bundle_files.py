"""An evidence bundle (``services.export.Bundle``) written as HTML and as PDF. No database here.

User text is never markup: HTML escapes every piece of text (stdlib ``html``) and the page
allows no script; control and invisible format characters (an escape sequence, a right-to-left
override) are shown as markers, never obeyed. The PDF uses the core Helvetica and Courier fonts
(``fpdf2``), which hold Latin-1 only: other characters are normalised (accents kept where
Latin-1 has them, typographic quotes and dashes made plain) or shown as ``<U+XXXX>``.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from pathlib import Path

from drp_tui.services.export import Block, Bundle, Section, Table

__all__ = ["to_html", "to_pdf", "write_bundle", "shown", "latin1", "file_stem"]

_PLAIN = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"',
          "\u201e": '"', "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2026": "...",
          "\u2022": "*", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2212": "-", "\u20ac": "EUR",
          "\u2192": "->", "\u2190": "<-"}


def shown(text: str, *, keep_lines: bool = True) -> str:
    """``text`` with every control and invisible format character made visible as ``<U+XXXX>``
    (newlines and tabs kept with ``keep_lines``)."""
    out = []
    for ch in str(text or ""):
        if keep_lines and ch in "\n\t":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    return "".join(out)


def latin1(text: str) -> str:
    """``text`` in the characters the PDF's core fonts have (Latin-1), never failing."""
    out = []
    for ch in shown(text):
        if ord(ch) < 256:
            out.append(ch)
            continue
        if ch in _PLAIN:
            out.append(_PLAIN[ch])
            continue
        composed = unicodedata.normalize("NFC", ch)
        if len(composed) == 1 and ord(composed) < 256:
            out.append(composed)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and all(ord(c) < 256 for c in base):
            out.append(base)
        else:
            out.append(f"<U+{ord(ch):04X}>")
    return "".join(out)


def file_stem(bundle: Bundle) -> str:
    """A file name for the bundle: its reference and its export event, nothing else."""
    ref = re.sub(r"[^A-Za-z0-9_-]+", "-", bundle.reference).strip("-") or "record"
    return f"{ref}-bundle-{bundle.event_id}"


# --- HTML ------------------------------------------------------------------------------------

_CSS = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4;color:#111}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:2em}h3{font-size:1.05em}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #bbb;padding:.2em .4em;
vertical-align:top;text-align:left}td.mono{font-family:monospace;font-size:.85em;word-break:break-all}
dt{font-weight:bold}dd{margin:0 0 .5em 1.5em;white-space:pre-wrap}p.note{white-space:pre-wrap}"""


def _e(text: str) -> str:
    return html.escape(shown(text), quote=True)


def _html_section(s: Section) -> list[str]:
    tag = "h2" if s.level == 1 else "h3"
    out = [f"<section><{tag}>{_e(s.title)}</{tag}>"]
    blocks: list[str] = []

    def flush() -> None:
        if blocks:
            out.append("<dl>" + "".join(blocks) + "</dl>")
            blocks.clear()

    for it in s.items:
        if isinstance(it, Block):
            if it.label:
                blocks.append(f"<dt>{_e(it.label)}</dt><dd>{_e(it.text)}</dd>")
            else:
                flush()
                out.append(f'<p class="note">{_e(it.text)}</p>')
        else:
            flush()
            out.append(_html_table(it))
    flush()
    out.append("</section>")
    return out


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in t.headers)
    rows = []
    for row in t.rows:
        cells = "".join(f'<td class="mono">{_e(c)}</td>' if i in t.mono else f"<td>{_e(c)}</td>"
                        for i, c in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def to_html(bundle: Bundle) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
             f"<title>{_e(bundle.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(bundle.title)}</h1>"]
    if bundle.redacted:
        parts.append('<p class="note">Staff names are replaced by their role or level.</p>')
    for s in bundle.sections:
        parts += _html_section(s)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --- PDF -----------------------------------------------------------------------------------------

def to_pdf(bundle: Bundle) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos

    class _Pages(FPDF):
        def footer(self) -> None:  # every page names the record and where it stands in the whole
            self.set_y(-12)
            self.set_font("Helvetica", size=7.5)
            self.cell(0, 5, latin1(f"{bundle.reference} - export event {bundle.event_id} - page {self.page_no()} "
                                   "of {nb}"), align="C")

    pdf = _Pages(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(bundle.title))
    pdf.set_creator("drp-tui")
    pdf.add_page()
    width = pdf.epw

    def write(text: str, *, size: float = 9.5, style: str = "", font: str = "Helvetica", gap: float = 0.5) -> None:
        pdf.set_font(font, style=style, size=size)
        text = latin1(text)
        if "\n" not in text and pdf.get_string_width(text) < width - 2 * pdf.c_margin:  # one line: no breaking
            pdf.cell(width, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.multi_cell(width, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                           wrapmode=WrapMode.CHAR if font == "Courier" else WrapMode.WORD, align="L")
        if gap:
            pdf.ln(gap)

    write(bundle.title, size=15, style="B", gap=2)
    if bundle.redacted:
        write("Staff names are replaced by their role or level.", style="I", gap=2)
    for s in bundle.sections:
        pdf.ln(2)
        write(s.title, size=13 if s.level == 1 else 11, style="B", gap=1.5)
        for it in s.items:
            if isinstance(it, Block):
                if it.label:
                    write(it.label, style="B", gap=0)
                write(it.text, gap=1.5)
                continue
            write("  |  ".join(it.headers[i] for i in range(len(it.headers)) if i not in it.mono),
                  size=8.5, style="B", gap=0.5)
            for row in it.rows:
                write("  |  ".join(c for i, c in enumerate(row) if i not in it.mono), size=8.5, gap=0.3)
                for i in it.mono:
                    if i < len(row) and row[i]:
                        write(f"{it.headers[i]}: {row[i]}", size=7.5, font="Courier", gap=0.3)
                pdf.ln(0.8)
    return bytes(pdf.output())


# --- files -----------------------------------------------------------------------------------------

def write_bundle(bundle: Bundle, out: Path) -> tuple[Path, Path]:
    """Write ``bundle`` as PDF and HTML: into the folder ``out`` (named by its reference and export
    event), or as ``out`` with ``.pdf`` and ``.html`` when ``out`` names a file. Owner-only files
    (they hold a child's record). Returns (pdf, html)."""
    if out.is_dir() or str(out).endswith(os.sep) or not out.suffix:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        base = out / file_stem(bundle)
    else:
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        base = out.with_suffix("")
    pdf_path, html_path = base.with_suffix(".pdf"), base.with_suffix(".html")
    _private_write(pdf_path, to_pdf(bundle))
    _private_write(html_path, to_html(bundle).encode("utf-8"))
    return pdf_path, html_path


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
