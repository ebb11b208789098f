"""Every caseload page read, in every view and sort, at N disputes against a small database.

    python scripts/bench_views.py [--n 100000] [--small 100] [--dir PATH [--reuse]] [--reps 5]

Builds two databases (``--n`` and ``--small`` disputes, with scripts/bench_caseload.py's bulk
builder, plus one oversight person: the IRO service's manager), or with ``--reuse`` uses those
already in ``--dir``. Then, for a chair (``user1``), a responder (``user21``) and oversight
(``user61``), reads each view (mine, awaiting, team, overdue, resolved, all) in each sort (due,
reference, child, stage) as the caseload does, inside one read snapshot: its first page, the
page after it (keyset "after"), the last page ("last") and the page before that ("before").
Each figure is the best of ``--reps`` reads of one page (its ids, then its rows' columns:
``store.queries.caseload_page``), in milliseconds, on the big database, then on the small one,
then their ratio, side by side. The oversight person reads "overdue" and "resolved" for the
whole service (no person), as the desk asks for them. A cell over ``--target`` ms on the big
database is marked ``*``. Figures for a person, not a test.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_caseload import NOW, PAGE, build, insert  # noqa: E402

from drp_tui.domain.calendar import WorkingCalendar  # noqa: E402
from drp_tui.domain.model import Role  # noqa: E402
from drp_tui.domain.policy_loader import load_builtin  # noqa: E402
from drp_tui.domain.reading import CaseloadQuery  # noqa: E402
from drp_tui.domain.timeutil import FrozenClock  # noqa: E402
from drp_tui.services import reads  # noqa: E402
from drp_tui.services.context import Ctx  # noqa: E402
from drp_tui.store import models as m  # noqa: E402
from drp_tui.store import queries, visibility  # noqa: E402
from drp_tui.store.db import close_database, open_database  # noqa: E402

VIEWS = ("mine", "awaiting", "team", "overdue", "resolved", "all")
SORTS = ("due", "reference", "child", "stage")
KINDS = ("first", "after", "last", "before")
PEOPLE = ("user1", "user21", "user61")  # a chair, a responder, oversight
OVERSIGHT_ID = 61


def with_oversight(path: Path) -> None:
    """The IRO service's manager (oversight of the chairs' team), added to a built database."""
    con = sqlite3.connect(path)
    with con:
        if con.execute("SELECT 1 FROM staff WHERE id = ?", (OVERSIGHT_ID,)).fetchone() is None:
            insert(con, "staff", [{"id": OVERSIGHT_ID, "username": f"user{OVERSIGHT_ID}", "name": f"Staff {OVERSIGHT_ID}",
                                   "role": "oversight", "team_id": 2, "active": 1,
                                   "created_at": NOW.replace(tzinfo=None).isoformat(sep=" ")}])
    con.close()


def best(read, reps: int) -> tuple[float, list]:  # type: ignore[no-untyped-def,type-arg]
    times, rows = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        rows = read()
        times.append(1000 * (time.perf_counter() - t0))
    return min(times), rows


def matrix(path: Path, username: str, reps: int) -> dict[tuple[str, str, str], float | None]:
    """Each (view, sort, kind): the best page read in ms (None: the view is empty for them)."""
    open_database(str(path))
    try:
        who = m.Staff.get(m.Staff.username == username)
        ctx = Ctx(who.id, load_builtin("mosaic-iro"), WorkingCalendar("ENG"), FrozenClock(NOW))
        teams = reads.team_view_ids(ctx)
        whole_service = Role(who.role) in (Role.OVERSIGHT, Role.ADMIN)  # (as the caseload screen asks)
        out: dict[tuple[str, str, str], float | None] = {}
        for view in VIEWS:
            for sort in SORTS:
                staff = None if whole_service and view in ("overdue", "resolved") else who.id
                q = CaseloadQuery(view=view, team_ids=teams, staff_id=staff, viewer_id=who.id, now=NOW, sort=sort)
                with visibility.one_snapshot():
                    queries.caseload_page(q, 0, PAGE)  # (fills the person's kept ids, as the desk's first read)
                    first_t, first = best(lambda q=q: queries.caseload_page(q, 0, PAGE), reps)
                    if not first:
                        out.update({(view, sort, k): None for k in KINDS})
                        continue
                    after = replace(q, seek="after", seek_id=first[-1].id)
                    after_t, _ = best(lambda a=after: queries.caseload_page(a, PAGE, PAGE), reps)
                    last_t, last = best(lambda q=q: queries.caseload_page(replace(q, seek="last"), 0, PAGE), reps)
                    before = replace(q, seek="before", seek_id=last[0].id)
                    before_t, _ = best(lambda b=before: queries.caseload_page(b, 0, PAGE), reps)
                out.update({(view, sort, "first"): first_t, (view, sort, "after"): after_t,
                            (view, sort, "last"): last_t, (view, sort, "before"): before_t})
        return out
    finally:
        close_database()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="disputes in the big database (default 100000)")
    ap.add_argument("--small", type=int, default=100, help="disputes in the small database (default 100)")
    ap.add_argument("--dir", help="folder for the two databases (default: a temporary folder)")
    ap.add_argument("--reuse", action="store_true", help="use the databases in --dir when they exist")
    ap.add_argument("--reps", type=int, default=5, help="reads of each page; the best is shown (default 5)")
    ap.add_argument("--target", type=float, default=8.0, help="mark big-database cells over this, ms (default 8)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {args.n: folder / f"views-{args.n}.db", args.small: folder / f"views-{args.small}.db"}
        for n, path in paths.items():
            if args.reuse and path.exists():
                print(f"reusing {path}")
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                t0 = time.perf_counter()
                build(path, n)
                print(f"built {n:,} disputes in {time.perf_counter() - t0:.1f} s ({path})")
            with_oversight(path)
        over: list[float] = []
        for username in PEOPLE:
            big = matrix(paths[args.n], username, args.reps)
            small = matrix(paths[args.small], username, args.reps)
            open_database(str(paths[args.n]))
            role = m.Staff.get(m.Staff.username == username).role
            close_database()
            print(f"\n{username} ({role}): page read, best of {args.reps}, ms: {args.n:,} / {args.small:,} = ratio")
            print(f"{'view':9} {'sort':9} " + " ".join(f"{k:>20}" for k in KINDS))
            for view in VIEWS:
                for sort in SORTS:
                    cells = []
                    for kind in KINDS:
                        b, s = big[(view, sort, kind)], small[(view, sort, kind)]
                        if b is None:
                            cells.append(f"{'(empty)':>20}")
                            continue
                        over.append(b)
                        mark = "*" if b > args.target else " "
                        ratio = f"{b / s:5.1f}x" if s else "    - "
                        tiny = f"{s:5.1f}" if s is not None else "    -"
                        cells.append(f"{b:6.1f}{mark}/{tiny} {ratio}")
                    print(f"{view:9} {sort:9} " + " ".join(f"{c:>20}" for c in cells))
        if over:
            print(f"\n{len(over)} page reads at {args.n:,}: median {statistics.median(over):.1f} ms, worst {max(over):.1f} ms,"
                  f" {sum(1 for t in over if t > args.target)} over {args.target:g} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
