"""Figures for a person: service speed, audit verify, backup and check at size.

    python scripts/bench.py [--ops 100] [--disputes 100000] [--events 20000]

1. Each service, one process, one SQLite file: operations per second and p50/p99.
2. Opening a database that needs no migration.
3. A big file: ``--disputes`` disputes (bulk-built by scripts/bench_caseload.py's
   builder) and ``--events`` chained audit events (appended through
   ``audit.append``): then ``drp audit verify``, ``drp backup`` (SQLite's online
   backup) and ``drp check`` (integrity + foreign keys + audit + migrations) on it.

The caseload's first page at 100 and 100,000 disputes is measured by
scripts/bench_caseload.py (not repeated here). Many processes at once:
scripts/load_test.py. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "scripts")):
    if p not in sys.path:
        sys.path.insert(0, p)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))] if s else 0.0


def line(label: str, ms: list[float]) -> None:
    total = sum(ms) / 1000
    print(f"  {label:<34} {len(ms):5} ops  {len(ms) / total if total else 0:7.1f} ops/s  "
          f"p50 {pct(ms, 50):6.1f} ms  p99 {pct(ms, 99):6.1f} ms")


def services(folder: Path, n: int) -> None:
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import disputes as ds
    from drp_tui.services import outcomes
    from drp_tui.services.context import Ctx
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database
    from load_test import POLICY, START_STAGE, setup_world

    path = folder / "services.db"
    world = setup_world(path, 1, children_per_chair=20)
    chair = world["chairs"][0]
    kids = world["children"][str(chair)]
    open_database(str(path))
    ctx = Ctx(chair, load_builtin(POLICY), WorkingCalendar("ENG"), SystemClock())
    ctx.calendar.add_working_days(ctx.today(), 5)  # holiday tables once, outside the timings
    yesterday = ctx.today() - timedelta(days=1)

    def timed(fn: Callable[[int], Any]) -> list[float]:
        out = []
        for i in range(n):
            t0 = time.perf_counter()
            fn(i)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    print(f"services, one process ({n} of each, {path.name}):")
    ids: list[int] = []
    line("raise_dispute", timed(lambda i: ids.extend(ds.raise_dispute(ctx, ds.RaiseInput(
        child_ids=[kids[i % len(kids)]], category="care_plan", start_stage=START_STAGE, issue_arose=yesterday,
        concern=f"Concern {i}")))))
    line("update_draft (with version)", timed(lambda i: ds.update_draft(
        ctx, ids[i], m.Dispute.get_by_id(ids[i]).version, {"concern": f"Edited {i}", "impact": "Impact"})))
    line("send", timed(lambda i: ds.send(ctx, ids[i], version=m.Dispute.get_by_id(ids[i]).version)))
    responder = (m.StageRecord.select(m.StageRecord.responder).where(m.StageRecord.dispute == ids[0]).scalar())
    rctx = ctx.as_actor(responder)
    line("record_response (1 action)", timed(lambda i: ds.record_response(
        rctx, ids[i], f"Response {i}", actions=[ds.ActionInput("Do it", "Team manager", ctx.today() + timedelta(days=10))])))
    line("decide (resolved)", timed(lambda i: outcomes.decide(ctx, ids[i], resolved=True, comment="Fine")))
    refused: list[float] = []
    for i in range(n):
        t0 = time.perf_counter()
        try:
            ds.update_draft(ctx, ids[i], 1, {"concern": "stale"})
        except Exception:  # noqa: BLE001 - ConflictError expected
            pass
        refused.append((time.perf_counter() - t0) * 1000)
    line("update_draft refused (stale version)", refused)
    close_database()
    t0 = time.perf_counter()
    open_database(str(path))
    print(f"  open_database (nothing to migrate)     {1000 * (time.perf_counter() - t0):6.1f} ms")
    close_database()


def big_file(folder: Path, disputes: int, events: int) -> None:
    from bench_caseload import build

    from drp_tui.services import audit
    from drp_tui.store import audit_check
    from drp_tui.store import backup as bk
    from drp_tui.store.db import close_database, open_database, write_txn

    path = folder / "big.db"
    t0 = time.perf_counter()
    build(path, disputes)
    print(f"a big file: {disputes:,} disputes built in {time.perf_counter() - t0:.1f} s")
    open_database(str(path))
    t0 = time.perf_counter()
    at = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
    batch = 5000
    for start in range(0, events, batch):
        with write_txn():
            for i in range(start, min(events, start + batch)):
                audit.append(at, 1 + i % 20, "edited", f"DRP-2026-{1 + i % disputes:06d}: concern edited",
                             dispute_id=1 + i % disputes, before={"concern": "old"}, after={"concern": f"new {i}"})
    spent = time.perf_counter() - t0
    print(f"  {events:,} events appended (chained) in {spent:.1f} s ({events / spent:,.0f} events/s)")
    t0 = time.perf_counter()
    problems = audit_check.verify()
    spent = time.perf_counter() - t0
    print(f"  audit verify: {'intact' if not problems else f'{len(problems)} problems'} in {spent:.1f} s "
          f"({events / spent:,.0f} events/s)")
    close_database()
    size = path.stat().st_size + (Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0)
    result = bk.backup_database(path, folder / "big-backup.db")
    print(f"  backup (online API, then integrity check of the copy): {result.size / 1e6:,.1f} MB in "
          f"{result.seconds:.2f} s (source {size / 1e6:,.1f} MB with WAL)")
    t0 = time.perf_counter()
    lines = bk.check_file(path)
    print(f"  check (integrity, foreign keys, migrations, audit): {'ok' if bk.ok(lines) else 'PROBLEMS'} in "
          f"{time.perf_counter() - t0:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ops", type=int, default=100, help="operations per service (default 100)")
    ap.add_argument("--disputes", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="drp-bench-") as tmp:
        folder = Path(tmp)
        services(folder, args.ops)
        if not args.skip_big:
            big_file(folder, args.disputes, args.events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
