"""Start-up and memory, side by side: the desk against a bare Textual app.

    python scripts/bench_start.py [--runs 7] [--n 100000] [--small 100]

Builds two databases (``--n`` and ``--small`` disputes, with scripts/bench_caseload.py's
bulk builder), then runs, interleaved, each of these as a whole new process, headless
at 80x24, ``--runs`` times:

- bare:   a Textual app with a header, a 100-row DataTable and a footer, exiting at its
          first frame (what any Textual program costs);
- desk N: the desk signed in as a chair, exiting once the first caseload page is on
          screen, on the big database;
- all N / all small: the same, then key ``6`` (the "all" view) until its page is on
          screen, on the big and on the small database.

Prints, for each, the median (min–max) wall time of the whole process and its peak
resident memory (getrusage of the child), then the ratios the targets are set on:
desk/bare start, desk/bare memory, all N / all small. Figures for a person, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

BARE = r"""
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("Reference", "Child", "Stage", "Due", "With")
        t.add_rows([(f"DRP-2026-{i:04d}", f"Child {i}", "Stage 1", "Mon 30 Nov", "Staff") for i in range(100)])
        self.call_after_refresh(self.exit)

Bare().run(headless=True, size=(80, 24))
"""

DESK = r"""
import sys
from datetime import datetime, timezone
from pathlib import Path
import drp_tui.ui.app
from drp_tui.bootstrap import Setup
from drp_tui.config import Config
from drp_tui.domain.calendar import WorkingCalendar
from drp_tui.domain.policy_loader import load_builtin
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.store.db import open_database
from drp_tui.ui.app import DrpApp

path, keys = sys.argv[1], sys.argv[2:]
open_database(path)
policy = load_builtin("mosaic-iro")
setup = Setup(Config(db=path, idle_lock_minutes=0), path, policy, WorkingCalendar("ENG"))


class Timed(DrpApp):
    CSS_PATH = str(Path(drp_tui.ui.app.__file__).parent / DrpApp.CSS_PATH)  # relative to this -c script otherwise

    def on_mount(self):
        super().on_mount()
        self._keys = list(keys)
        self._seen = None
        self.set_interval(0.002, self._watch)

    def _watch(self):
        screen = self.screen
        shown = getattr(screen, "shown_generation", -2)
        if shown != getattr(screen, "_generation", -1) or shown == self._seen:
            return
        self._seen = shown
        if not self._keys:
            self.exit()
            return
        key = self._keys.pop(0)
        self.simulate_key(key)


Timed(setup, policy=policy, sign_in_as="user1",
      clock=FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc))).run(headless=True, size=(80, 24))
"""


def measured(code: str, *args: str) -> tuple[float, float]:
    """Run ``code`` from a fresh middle process so that RUSAGE_CHILDREN holds only this run."""
    probe = ("import resource, subprocess, sys, time; t=time.perf_counter(); "
             "p=subprocess.run([sys.executable, '-c', sys.argv[1], *sys.argv[2:]], capture_output=True, text=True, timeout=100); "
             "w=time.perf_counter()-t; "
             "print(p.returncode, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.stderr.write(p.stderr[-2000:])")
    out = subprocess.run([sys.executable, "-c", probe, code, *args], capture_output=True, text=True, timeout=120)
    rc, wall, rss = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"a run failed ({rc}):\n{out.stderr}")
    return float(wall), int(rss) / 1024


def summary(label: str, values: list[tuple[float, float]]) -> tuple[float, float]:
    walls = [w for w, _ in values]
    mems = [m for _, m in values]
    w, mm = statistics.median(walls), statistics.median(mems)
    print(f"  {label:<28} {w * 1000:7.0f} ms ({min(walls) * 1000:.0f}–{max(walls) * 1000:.0f})"
          f"   peak {mm:6.1f} MB")
    return w, mm


def main() -> int:
    from bench_caseload import build

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        build(big, args.n)
        build(small, args.small)
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("bare", "desk", "all_big", "all_small")}
        for _ in range(args.runs):  # interleaved, so drift in the machine's load hits every side alike
            runs["bare"].append(measured(BARE))
            runs["desk"].append(measured(DESK, str(big)))
            runs["all_big"].append(measured(DESK, str(big), "6"))
            runs["all_small"].append(measured(DESK, str(small), "6"))
        print(f"medians of {args.runs} runs, whole process, headless 80x24:")
        bare = summary("bare Textual app", runs["bare"])
        desk = summary(f"desk, first page ({args.n:,})", runs["desk"])
        allb = summary(f"desk + '6' all ({args.n:,})", runs["all_big"])
        alls = summary(f"desk + '6' all ({args.small:,})", runs["all_small"])
        print("ratios:")
        print(f"  start to first page, desk / bare   {desk[0] / bare[0]:.2f}x   (target <= 1.3x)")
        print(f"  peak memory, desk / bare           {desk[1] / bare[1]:.2f}x   (target <= 1.3x)")
        print(f"  'all' at {args.n:,} / at {args.small:,}      {allb[0] / alls[0]:.2f}x   (target <= 1.2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
