"""Reading CSV files as councils' systems and Excel write them (no database here).

- UTF-8 with or without a byte-order mark, else Windows-1252 (what Excel saves as "CSV");
- a header row; headers matched whatever their case, spacing, '-' or '_'
  ("Case Number" = "case_number"); columns not asked for are ignored;
- a *column map* (TOML, see ``load_map``) names a system's own headers and status words;
- blank lines and rows with every cell empty are skipped; cells are stripped and runs
  of spaces inside them become one space;
- dates as DD/MM/YYYY (also with '-' or '.') or YYYY-MM-DD (ISO), never month first.

Every problem names the line of the file (as a text editor counts it), the column
(by the header the file uses) and what is wrong.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from drp_tui.services.errors import ValidationError

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_CELL = 200


class FileProblem(ValidationError):
    """The file as a whole cannot be read (encoding, header): nothing was read from it."""

    title = "Cannot read the file"


@dataclass(frozen=True)
class Problem:
    """One bad cell or row: ``line`` of the file, ``column`` as the file names it."""

    line: int
    column: str
    problem: str

    def text(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class ColumnMap:
    """How one system's export names things: our field -> its header; our field -> {its word: ours}."""

    name: str = ""
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # several: joined with a space
    words: dict[str, dict[str, str]] = field(default_factory=dict)


class Row(NamedTuple):
    """(A NamedTuple, not a dataclass: a service's argument check need not walk 50,000 of them.)"""

    line: int
    values: dict[str, str]  # our field -> the cell, cleaned ("" when the column is absent)


@dataclass(frozen=True)
class CsvFile:
    """The rows of a file, and the header the file uses for each of our fields (for messages)."""

    rows: tuple[Row, ...]
    headers: dict[str, str]
    encoding: str
    problems: tuple[Problem, ...] = ()  # rows that could not be read at all (too many cells)

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def norm_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold()).strip("_")


def clean_cell(text: str) -> str:
    return " ".join(text.split())


def load_map(path: str | Path, fields: Sequence[str]) -> ColumnMap:
    """A column map file::

        name = "Case system export"
        [columns]               # our field = "the export's header"
        case_number = "Person ID"
        name = ["Forename", "Surname"]   # several columns: joined with a space
        [words.legal_status]    # the export's word = ours
        "Looked After" = "CLA"
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise FileProblem(f"--map: cannot read {p}: {exc.strerror or exc}", field="map") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileProblem(f"--map: {p} is not a TOML file: {exc}", field="map") from None
    columns = data.get("columns", {})
    words = data.get("words", {})
    if not isinstance(columns, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
            for v in columns.values()):
        raise FileProblem("--map: [columns] must map a field to a header, e.g. case_number = \"Person ID\", "
                          "or to several, e.g. name = [\"Forename\", \"Surname\"]", field="map")
    unknown = sorted(set(columns) - set(fields))
    if unknown:
        raise FileProblem(f"--map: [columns] names {', '.join(unknown)}, not a field of this file "
                          f"(fields: {', '.join(fields)})", field="map")
    if not isinstance(words, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in words.values()):
        raise FileProblem("--map: [words.FIELD] must map the export's word to ours, e.g. \"Looked After\" = \"CLA\"",
                          field="map")
    bad = sorted(set(words) - set(fields))
    if bad:
        raise FileProblem(f"--map: [words.{bad[0]}] is not a field of this file", field="map")
    return ColumnMap(str(data.get("name", p.stem)),
                     {k: (v,) if isinstance(v, str) else tuple(v) for k, v in columns.items()},
                     {k: {clean_cell(w).casefold(): v.strip() for w, v in d.items()} for k, d in words.items()})


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was read as: UTF-8 (BOM or not), else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise FileProblem(f"the file is neither UTF-8 nor Windows-1252 (byte {exc.start + 1}); "
                          "save it from the spreadsheet as 'CSV UTF-8'", field="file") from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, fields: Sequence[str], required: Sequence[str], column_map: ColumnMap | None = None,
             aliases: dict[str, str] | None = None) -> CsvFile:
    """Read ``data`` into rows of ``fields``. Raises ``FileProblem`` when the file as a whole is wrong
    (encoding, no header, a required column missing, a column twice)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", field="file")
    text, encoding = decode(data)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=_delimiter(text.split("\n", 1)[0]))
    header: list[str] | None = None
    header_line = 0
    prev = 0
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            if any(c.strip() for c in cells):
                header, header_line = cells, start
                break
    except csv.Error as exc:
        raise FileProblem(f"line {prev + 1}: {exc}", field="file") from None
    if header is None:
        raise FileProblem("the file is empty (no header row)", field="file")
    wanted = {norm_header(f): f for f in fields}
    for alias, f in (aliases or {}).items():
        wanted.setdefault(norm_header(alias), f)
    joined: set[str] = set()  # fields the map builds from several columns
    if column_map is not None:
        for f, hs in column_map.columns.items():
            for h in hs:
                wanted[norm_header(h)] = f
            if len(hs) > 1:
                joined.add(f)
    index: dict[str, list[int]] = {}
    headers: dict[str, str] = {}
    seen_headers: dict[str, int] = {}
    for i, h in enumerate(header):
        got = wanted.get(norm_header(h))
        if got is None:
            continue
        f = got
        if f in index and (f not in joined or norm_header(h) in seen_headers):
            first = seen_headers.get(norm_header(h), index[f][0])
            raise FileProblem(f"line {header_line}: column '{clean_cell(h)}' is there twice "
                              f"(also column {first + 1})", field="file")
        seen_headers[norm_header(h)] = i
        index.setdefault(f, []).append(i)
        headers[f] = (headers[f] + " + " if f in headers else "") + clean_cell(h)
    missing = [f for f in required if f not in index]
    if missing:
        named = [(" + ".join(column_map.columns.get(f, (f,))) if column_map else f) for f in missing]
        raise FileProblem(f"line {header_line}: no column {', '.join(repr(n) for n in named)} in the header "
                          f"(found: {', '.join(clean_cell(h) for h in header) or 'nothing'})", field="file")
    words = column_map.words if column_map else {}
    rows: list[Row] = []
    problems: list[Problem] = []
    width = len(header)
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                problems.append(Problem(start, "", f"{len(cells)} cells but {width} headers "
                                        "(a comma inside a cell needs the cell in double quotes)"))
                continue
            values: dict[str, str] = {}
            for f in fields:
                v = " ".join(c for c in (clean_cell(cells[at]) for at in index.get(f, ()) if at < len(cells)) if c)
                if v and f in words:
                    v = words[f].get(v.casefold(), v)
                values[f] = v
            rows.append(Row(start, values))
    except csv.Error as exc:
        raise FileProblem(f"line {prev + 1}: {exc}", field="file") from None
    return CsvFile(tuple(rows), headers, encoding, tuple(problems))


DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T]0?0:00(?::00)?)?$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]0?0:00(?::00)?)?$")


def parse_date(text: str) -> date:
    """DD/MM/YYYY (or with '-' or '.'), or YYYY-MM-DD; a midnight time after it is allowed.
    Raises ValueError with the reason."""
    m = ISO.match(text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = DMY.match(text)
        if not m:
            raise ValueError(f"'{text}' is not a date (DD/MM/YYYY or YYYY-MM-DD)")
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) != 4:
            raise ValueError(f"'{text}': give the year in full (DD/MM/YYYY)")
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"'{text}' is not a day of the calendar (DD/MM/YYYY or YYYY-MM-DD)") from None


__all__ = ["ColumnMap", "CsvFile", "FileProblem", "Problem", "Row", "clean_cell", "decode", "load_map",
           "norm_header", "parse_date", "read_csv"]
