"""Start-up and memory, side by side: the desk against a bare Textual app.

    python scripts/bench_start.py [--runs 7] [--n 100000] [--small 100]

Builds two databases (``--n`` and ``--small`` disputes, with scripts/bench_caseload.py's
bulk builder), then runs, interleaved, each of these as a whole new process, headless
at 80x24, ``--runs`` times:

- bare:   a Textual app with a header, a 100-row DataTable and a footer, exiting at its
          first frame (what any Textual program costs);
- home N: the desk as ``drp --config FILE`` opens it (``drp_tui.cli.main``: the options, the
          setup from the config file, the desk), signed in as a chair, exiting once the first
          screen a signed-in person sees (home, "my work") has its list on screen, on the big
          database;
- desk N: the same with ``home = "caseload"``, exiting once the first caseload page is on
          screen (start to an interactive caseload, the target);
- all N / all small: the caseload, then key ``6`` (the "all" view) until its page is on
          screen, on the big and on the small database.

Prints, for each, the median (min–max) time from the process's start until what it waits
for is on screen (the child says when, with the wall clock, after the refresh that draws it:
the bare app after its first, the desk after the one following the list's arrival, which the
desk itself tells: nothing polls), the whole process's time and its peak resident memory
(getrusage of the child), then the ratios the targets are set on, from the on-screen times:
desk/bare start (home and caseload), desk/bare memory, all N / all small. The desk does not
exit at once when its list is on screen: it first lets the start's own work finish (the
sign-in's reminders, the view's background count), so its whole-process time and peak memory
are those of a desk that has started, not of one cut short by quitting.

The desk runs through ``drp``'s own ``main``, so what ``drp`` imports and does before the desk
(its options, ``load_setup``: the config file, the profile, the bank holidays and closure
days, pinning old disputes) is in the figure. Only the sign-in (as a named chair, not at the
log-in screen), the frozen clock and the headless 80x24 screen differ from a person's ``drp``.

The desk's modules are byte-compiled first (``compileall``, into their ``__pycache__``), as
``pip install`` does when the desk is installed and as Textual's own are in the virtual
environment: without it a process with ``PYTHONDONTWRITEBYTECODE`` set (or a read-only tree)
compiles every module of the desk again at each start, and the ratio measures the compiler.
``--from-source`` skips that. Bank holidays are kept between starts in the user cache folder,
as ``load_setup`` keeps them. The runs use a cache folder of their
own (``XDG_CACHE_HOME`` in the temporary folder), written by one untimed start before the
timed ones: the kept holidays name the installed ``holidays`` package, so another install
sharing the person's folder rewrote it, and the next run loaded the whole package again
(its peak memory some 8 MB higher, one run in a few).

The desk runs as ``pip install .`` installs it for SQLite, without PostgreSQL's driver:
peewee imports ``psycopg2`` at its own import wherever it is installed (76 ms and 6.4 MB
here), so in a virtual environment that has it (the tests' own, ``.[test]``) each desk run
first hides it. Three more runs of the first page with the driver loaded are then printed
beside the others, for an install with ``.[postgres]``.

Then, in this process (``--no-live`` skips it), the live path with a chair holding 5,000
open disputes among the N: the desk opened at home with the caseload ("mine", 5,000 rows)
open in its own mode, then ``--ticks`` clock ticks (every screen recoloured; home reads its
list again) and live refreshes (another session's commit: every screen reloads), each timed
on the UI thread (what blocks keys) and until every screen shows the result.
Figures for a person, not a test.
"""

from __future__ import annotations

import argparse
import os
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
        self.call_after_refresh(self.shown)

    def shown(self):
        import sys, time
        print("ON_SCREEN", time.time(), file=sys.stderr)
        self.exit()

Bare().run(headless=True, size=(80, 24))
"""

DESK = r"""
import os, sys
if not os.environ.get("BENCH_PG_DRIVER"):  # the desk as `pip install .` installs it (SQLite): no PostgreSQL
    sys.modules["psycopg2"] = None  # driver, which peewee imports at its own import wherever one is installed
from drp_tui.cli import main, pause_collector
pause_collector()  # (as drp's main does for the desk, before it imports it: here the desk is imported to time it)
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
import drp_tui.ui.app
from drp_tui.domain.timeutil import FrozenClock
from drp_tui.ui.app import DrpApp

config, keys = sys.argv[1], sys.argv[2:]


class Timed(DrpApp):
    CSS_PATH = str(Path(drp_tui.ui.app.__file__).parent / DrpApp.CSS_PATH)  # relative to this -c script otherwise

    # Nothing polls: the desk tells when its first list is on screen (first_page_shown, called
    # after the refresh that draws it, as the bare app's figure is taken after its first refresh),
    # and a key's page is seen where the caseload puts it in its table. So the desk does no work
    # for the bench that the bare app does not do.
    def on_mount(self):  # (Textual calls DrpApp.on_mount itself: every class's handler in the MRO)
        self._keys = list(keys)
        self._on_screen = False
        self._reminders_done = False

    def first_page_shown(self):
        if self._keys:
            from drp_tui.ui.widgets.caseload_table import CaseloadTable  # (imported by now: it is on screen)

            original = CaseloadTable.show_page

            def told(table, *args, **kwargs):
                original(table, *args, **kwargs)
                self._page_in()
            CaseloadTable.show_page = told
            self.call_later(self.simulate_key, self._keys.pop(0))
        else:
            self._shown()
        super().first_page_shown()

    def _page_in(self):  # a key's page is in the table
        if self._keys:
            self.call_later(self.simulate_key, self._keys.pop(0))
        elif not self._on_screen:
            self.call_after_refresh(self._shown)

    def _reminded(self, *args):
        super()._reminded(*args)
        self._reminders_done = True
        if self._on_screen:
            self._shown()

    def _shown(self):
        # on screen: the figure is taken now; then the start's own work (the sign-in's reminders,
        # the view's count) runs to its end before the desk exits, so the peak memory is a started
        # desk's, not one cut short by quitting
        if not self._on_screen:
            self._on_screen = True
            print("ON_SCREEN", time.time(), file=sys.stderr)
        if not self._reminders_done or any(w.is_running for w in self.workers):
            self.set_timer(0.01, self._shown)  # (the start's work is still running: look again)
        else:
            self.exit()


    def __init__(self, setup, **kwargs):  # as drp makes it (cli/run.py), signed in, on a frozen clock
        super().__init__(setup, **kwargs | {"sign_in_as": "user1",
                                            "clock": FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc))})


    def run(self, **kwargs):  # headless at 80x24
        return super().run(**kwargs | {"headless": True, "size": (80, 24)})


drp_tui.ui.app.DrpApp = Timed  # (the class drp's open_desk makes: it imports it when it opens the desk)
sys.exit(main(["--config", config]))  # drp --config FILE: the options, the setup, the desk, as drp does
"""


def measured(code: str, *args: str) -> tuple[float, float, float]:
    """Run ``code`` from a fresh middle process so that RUSAGE_CHILDREN holds only this run.

    Returns (seconds from start until the child's screen is shown, seconds of the whole process,
    peak MB). The child prints ``ON_SCREEN <time.time()>`` when what it waits for is on screen
    (its first frame for the bare app; the list for the desk), so the first figure leaves out
    the exit (the bare app has nothing to finish; the desk waits for its background count)."""
    probe = ("import resource, subprocess, sys, time; s=time.time(); t=time.perf_counter(); "
             "p=subprocess.run([sys.executable, '-c', sys.argv[1], *sys.argv[2:]], capture_output=True, text=True, timeout=100); "
             "w=time.perf_counter()-t; "
             "shown=[float(l.split()[1]) - s for l in p.stderr.splitlines() if l.startswith('ON_SCREEN ')]; "
             "print(p.returncode, shown[0] if shown else -1, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.stderr.write(p.stderr[-2000:])")
    out = subprocess.run([sys.executable, "-c", probe, code, *args], capture_output=True, text=True, timeout=120)
    rc, shown, wall, rss = out.stdout.split()
    if rc != "0" or float(shown) < 0:
        raise SystemExit(f"a run failed ({rc}):\n{out.stderr}")
    return float(shown), float(wall), int(rss) / 1024


def summary(label: str, values: list[tuple[float, float, float]]) -> tuple[float, float]:
    shown = [s for s, _, _ in values]
    walls = [w for _, w, _ in values]
    mems = [m for _, _, m in values]
    s, w, mm = statistics.median(shown), statistics.median(walls), statistics.median(mems)
    print(f"  {label:<28} on screen {s * 1000:5.0f} ms ({min(shown) * 1000:.0f}–{max(shown) * 1000:.0f})"
          f"   whole process {w * 1000:5.0f} ms   peak {mm:5.1f} MB")
    return s, mm


def main() -> int:
    from bench_caseload import build

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--ticks", type=int, default=10, help="clock ticks and live refreshes to time (default 10)")
    ap.add_argument("--no-live", action="store_true", help="skip the tick and live refresh timings")
    ap.add_argument("--from-source", action="store_true",
                    help="do not byte-compile the desk first (as a tree nobody installed)")
    args = ap.parse_args()
    if not args.from_source:
        import compileall

        compileall.compile_dir(str(ROOT / "drp_tui"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        build(big, args.n)
        build(small, args.small)
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # (for the runs: see the module text)
        for name in ("DRP_DB", "DRP_CONFIG"):  # (the runs' config file names their database)
            os.environ.pop(name, None)
        big_home, big_desk, small_desk = (desk_config(Path(tmp), db, home) for db, home in (
            (big, "work"), (big, "caseload"), (small, "caseload")))
        measured(DESK, big_desk)  # untimed: writes the kept bank holidays
        runs: dict[str, list[tuple[float, float, float]]] = {
            k: [] for k in ("bare", "home", "desk", "all_big", "all_small")}
        for _ in range(args.runs):  # interleaved, so drift in the machine's load hits every side alike
            runs["bare"].append(measured(BARE))
            runs["home"].append(measured(DESK, big_home))
            runs["desk"].append(measured(DESK, big_desk))
            runs["all_big"].append(measured(DESK, big_desk, "6"))
            runs["all_small"].append(measured(DESK, small_desk, "6"))
        print(f"medians of {args.runs} runs, each a new process, headless 80x24 (from start until on screen;"
              " the whole process, exit included; peak resident memory):")
        bare = summary("bare Textual app", runs["bare"])
        home = summary(f"desk, home list ({args.n:,})", runs["home"])
        desk = summary(f"desk, first page ({args.n:,})", runs["desk"])
        allb = summary(f"desk + '6' all ({args.n:,})", runs["all_big"])
        alls = summary(f"desk + '6' all ({args.small:,})", runs["all_small"])
        print("ratios:")
        print(f"  start to home list, desk / bare    {home[0] / bare[0]:.2f}x")
        print(f"  start to first page, desk / bare   {desk[0] / bare[0]:.2f}x   (target <= 1.3x)")
        print(f"  peak memory, desk / bare           {max(home[1], desk[1]) / bare[1]:.2f}x   (target <= 1.3x)")
        print(f"  'all' at {args.n:,} / at {args.small:,}      {allb[0] / alls[0]:.2f}x   (target <= 1.2x)")
        if driver_installed():
            os.environ["BENCH_PG_DRIVER"] = "1"
            with_driver = [measured(DESK, big_desk) for _ in range(3)]
            del os.environ["BENCH_PG_DRIVER"]
            drv = summary("  with the PostgreSQL driver", with_driver)
            print(f"  (an install with the driver, '.[postgres]' or '.[test]': peewee loads it, on SQLite too;"
                  f" 3 runs: {drv[0] / bare[0]:.2f}x start, {drv[1] / bare[1]:.2f}x memory)")
        if not args.no_live:
            import asyncio

            live = Path(tmp) / "live.db"
            five_thousand_open(big, live)
            asyncio.run(live_timings(live, args.ticks))
    return 0


def driver_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("psycopg2") is not None


def desk_config(folder: Path, db: Path, home: str) -> str:
    """A config file for ``drp --config FILE``: the database, the first screen, no idle lock."""
    path = folder / f"{db.stem}-{home}.toml"
    path.write_text(f'db = "{db}"\nhome = "{home}"\nidle_lock_minutes = 0\n', encoding="utf-8")
    return str(path)


def five_thousand_open(source: Path, target: Path, chair: int = 1, n: int = 5000) -> None:
    """A copy of ``source`` in which ``chair`` has raised ``n`` disputes, all open (sent, due)."""
    import sqlite3

    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    with dst:
        ids = [i for (i,) in dst.execute("SELECT id FROM dispute ORDER BY (raised_by_id = ?) DESC, id LIMIT ?",
                                          (chair, n))]
        dst.executemany("UPDATE dispute SET raised_by_id = ?, status = 'sent', responder_id = 21 + id % 40,"
                        " next_due_at = datetime('2026-11-10 10:00:00', '+' || (id % 40) || ' days'),"
                        " next_due_kind = 'response' WHERE id = ?", [(chair, i) for i in ids])
    dst.close()


async def live_timings(path: Path, ticks: int) -> None:
    """The clock tick and a live refresh with a chair's 5,000 open disputes on screen and in the views."""
    import time
    from datetime import datetime, timezone

    from bench_caseload import pct

    from drp_tui.bootstrap import Setup
    from drp_tui.config import Config
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import FrozenClock
    from drp_tui.store.db import close_database, open_database
    from drp_tui.ui.app import DrpApp
    from drp_tui.ui.screens.work import WorkScreen

    shows = {"work": 0}
    original = WorkScreen._show

    def counted(self, *args):  # type: ignore[no-untyped-def]
        shows["work"] += 1
        original(self, *args)

    WorkScreen._show = counted  # type: ignore[method-assign]
    open_database(str(path))
    policy = load_builtin("mosaic-iro")
    setup = Setup(Config(db=str(path), idle_lock_minutes=0), str(path), policy, WorkingCalendar("ENG"))
    app = DrpApp(setup, policy=policy, sign_in_as="user1", settle_heap=True,  # (as `drp` makes it)
                 clock=FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)))

    def caseload():  # type: ignore[no-untyped-def]
        return app._screen_stacks["caseload"][0]

    async def settled(pilot, work_shows: int) -> None:  # type: ignore[no-untyped-def]
        while True:
            await pilot.pause()
            screen = caseload()
            if shows["work"] >= work_shows and screen.shown_generation == screen._generation:
                return

    try:
        async with app.run_test(size=(80, 24)) as pilot:
            while shows["work"] < 1:
                await pilot.pause()
            await pilot.press("L")  # the caseload, in its own mode: the chair's open disputes ("mine")
            await settled(pilot, 1)
            status = str(caseload().query_one("#status").render()).strip()
            await pilot.press("H")  # home again: the caseload stays in its mode and is refreshed too
            await pilot.pause()
            rows = {"tick": ([], []), "refresh": ([], [])}
            for _ in range(ticks):
                for kind, call in (("tick", app.tick), ("refresh", app.data_changed)):
                    before = shows["work"]
                    t0 = time.perf_counter()
                    call()
                    t1 = time.perf_counter()
                    await settled(pilot, before + 1)  # (both make home read its list again)
                    rows[kind][0].append(1000 * (t1 - t0))
                    rows[kind][1].append(1000 * (time.perf_counter() - t0))
            print(f"live, a chair with 5,000 open disputes (caseload 'mine': {status}), {ticks} of each:")
            for kind, label in (("tick", "clock tick (recolour; home re-read)"),
                                ("refresh", "live refresh (every screen reloads)")):
                ui, done = rows[kind]
                print(f"  {label:<38} UI thread p50 {statistics.median(ui):6.1f} ms  max {max(ui):6.1f} ms"
                      f"   until shown p50 {statistics.median(done):6.1f} ms  p95 {pct(done, 95):6.1f} ms")
    finally:
        close_database()


if __name__ == "__main__":
    raise SystemExit(main())
