"""Rewrite the key table of docs/KEYS.md from the desk's own bindings (every id, its default keys, what it does).

    python scripts/keys_doc.py          # rewrite the table in place
    python scripts/keys_doc.py --check  # exit 1 if the table is not what the bindings say

The text above the table is kept as written; the table (from its header row to the end of the
file) is made from ``drp_tui.ui.keys.desk_bindings()``: one row per id, sorted by id.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "KEYS.md"
HEADER = "| id | default keys | what |\n|---|---|---|\n"


def table() -> str:
    sys.path.insert(0, str(ROOT))
    from drp_tui.ui.keys import desk_bindings

    rows: dict[str, str] = {}
    for _owner, b in desk_bindings():
        if not b.id or b.id in rows:
            continue
        what = (b.tooltip or b.description or "").replace("|", "/")
        rows[b.id] = f"| `{b.id}` | `{b.key}` | {what} |"
    return HEADER + "\n".join(rows[k] for k in sorted(rows)) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    head = text.split(HEADER, 1)[0]
    new = head + table()
    if args.check:
        return 0 if new == text else 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
