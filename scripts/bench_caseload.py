"""Caseload at scale: build N disputes with bulk inserts, time count + first page.

    python scripts/bench_caseload.py [--n 100000] [--db PATH [--reuse]] [--no-desk] [--reps N]
                                     [--pg URL]

Prints the time to count and to fetch the first page of each caseload view, the
way the desk does it when it opens, then opens the desk itself (headless, signed
in as a chair with ~4,000 disputes) and times each view key until its page is on
screen; then ``--reps`` rounds of every kind of caseload key (view, sort, a filter
keystroke, page down, End) with their p50/p95 against the 50 ms target, and the time
of a clock tick (recolour, no query) and of a live refresh (another session's commit:
the page read again) with the chair's thousands of open disputes in the views.
Not a timed test: figures for a person. The first desk figures include the
reminders service filling that chair's inbox for the first time.

``--pg URL``: the same, on PostgreSQL: the SQLite database built (or reused) is copied into
the database at URL (its schema made by the real migrations; every row there first removed),
and every figure is taken there (the desk as ``drp --db URL`` opens it). Needs psycopg2.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from drp_tui.domain.policy_loader import load_builtin
from drp_tui.store.db import close_database, open_database
from drp_tui.store.queries import CaseloadQuery, caseload_count, caseload_page

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PAGE = 19  # the rows an 80x24 terminal shows


def insert(con: sqlite3.Connection, table: str, rows: list[dict[str, object]]) -> None:
    """Insert ``rows``, giving every other NOT NULL column without a default an empty value
    (so the builder keeps working when a migration adds such a column)."""
    info = con.execute(f"PRAGMA table_info({table})").fetchall()  # cid, name, type, notnull, default, pk
    empty = {name: (0 if any(t in kind.upper() for t in ("INT", "REAL", "BOOL")) else "")
             for _, name, kind, notnull, default, pk in info if notnull and default is None and not pk}
    for row in rows:
        values = {**empty, **row}
        cols = ", ".join(values)
        con.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(values))})", list(values.values()))


def build(path: Path, n: int, seed: int = 1) -> None:
    open_database(str(path))  # schema through the real migrations
    close_database()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=off")
    ts = NOW.replace(tzinfo=None).isoformat(sep=" ")
    with con:
        con.execute("INSERT INTO team (id, name, kind) VALUES (1, 'Social care', 'social_care'),"
                    " (2, 'IRO service', 'iro_service')")
        staff = [{"id": i, "username": f"user{i}", "name": f"Staff {i}", "role": "chair" if i <= 20 else "responder",
                  "team_id": 2 if i <= 20 else 1, "active": 1, "created_at": ts} for i in range(1, 61)]
        insert(con, "staff", staff)
        policy = load_builtin("mosaic-iro")  # the disputes are pinned to it, as raising them would
        insert(con, "policy_snapshot", [{"digest": policy.digest, "key": policy.key, "version": policy.version,
                                         "content": policy.text, "first_seen_at": ts}])
        n_children = max(1, n // 2)
        con.executemany(
            "INSERT INTO child (id, case_number, name, legal_status, team_id, chair_id) VALUES (?, ?, ?, 'CLA', 1, ?)",
            ((i, f"C{i:07d}", f"Child {i}", 1 + i % 20) for i in range(1, n_children + 1)))
        statuses = ["sent"] * 6 + ["responded", "draft", "resolved", "withdrawn"]
        rows = []
        stages = []
        for i in range(1, n + 1):
            status = rng.choice(statuses)
            sent = NOW - timedelta(days=rng.randint(0, 60))
            due = None if status in ("resolved", "withdrawn") else sent + timedelta(days=rng.randint(1, 20))
            rows.append((i, f"DRP-2026-{i:06d}", 1 + i % n_children, 1 + i % 20, date(2026, 9, 1).isoformat(),
                         date(2026, 9, 2).isoformat(), "care_plan", "mosaic-iro", 1, "stage_1", "stage_1",
                         status, 21 + i % 40 if status == "sent" else None,
                         due.replace(tzinfo=None).isoformat(sep=" ") if due else None, "response", ts, ts))
            # the stage as its status says: a draft is not sent; a sent one runs its response clock with
            # its manager; a responded one has its response (so "my work" has real rows to judge)
            responder = 21 + i % 40
            at = sent.replace(tzinfo=None).isoformat(sep=" ")
            answered = (sent + timedelta(days=3)).replace(tzinfo=None).isoformat(sep=" ")
            stages.append((i, i, "stage_1", 1, None if status == "draft" else at,
                           None if status == "draft" else responder,
                           due.replace(tzinfo=None).isoformat(sep=" ") if due and status == "sent" else None,
                           "" if status in ("draft", "sent") else "The plan will be reviewed.",
                           None if status in ("draft", "sent") else answered,
                           None if status in ("draft", "sent") else responder,
                           "resolved" if status == "resolved" else None))
        con.executemany(
            "INSERT INTO dispute (policy_digest, id, reference, child_id, raised_by_id, issue_arose, raised_on, category,"
            " policy_key, policy_version, start_stage, current_stage, status, responder_id, next_due_at,"
            " next_due_kind, created_at, updated_at, immediate, against_wishes, paused, version, concern, impact,"
            " wanted, timescales, child_wishes, child_informed_how, outcome, facts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 1, '', '', '', '', '', '', '', '')",
            [(policy.digest, *r) for r in rows])
        con.executemany(
            "INSERT INTO stage_record (id, dispute_id, stage_key, seq, sent_at, responder_id, due_at, response,"
            " response_at, response_by_id, decision, inform, chair_concern, chair_impact,"
            " chair_wanted, chair_timescales, response_on_behalf, decision_comment, extension_reason,"
            " negotiation_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', '', 0, '', '', '')", stages)
    con.close()


def copy_to_postgres(path: Path, url: str) -> None:
    """Copy the SQLite database at ``path`` into the PostgreSQL database at ``url``: the schema by
    the real migrations, then every table's rows (foreign keys not checked while copying: the rows
    are a consistent database already), each table's id sequence moved past its rows, then VACUUM
    and ANALYZE (the planner's figures and the visibility map, as a database in use has them)."""
    from psycopg2.extras import execute_values

    from drp_tui.store.models import ALL_MODELS, database

    open_database(url, create=True)
    try:
        src = sqlite3.connect(path)
        conn = database.obj.connection()
        tables = [model._meta.table_name for model in ALL_MODELS]
        with conn.cursor() as cur:
            cur.execute("TRUNCATE " + ", ".join(tables) + " CASCADE")
            cur.execute("SET session_replication_role = replica")
            for table in tables:
                cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
                            (table,))
                kinds = dict(cur.fetchall())
                cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})") if r[1] in kinds]
                flags = {i for i, c in enumerate(cols) if kinds[c] == "boolean"}  # (SQLite keeps 0 and 1)
                rows = [tuple(bool(v) if i in flags and v is not None else v for i, v in enumerate(r))
                        for r in src.execute(f"SELECT {', '.join(cols)} FROM {table}")]
                if rows:
                    execute_values(cur, f"INSERT INTO {table} ({', '.join(cols)}) VALUES %s", rows, page_size=5000)
                if "id" in cols and rows:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.execute("SET session_replication_role = origin")
            cur.execute("UPDATE drp_change SET n = n + 1")  # (written with the triggers off: desks read afresh)
        conn.commit()
        was, conn.autocommit = conn.autocommit, True  # (VACUUM runs outside a transaction)
        with conn.cursor() as cur:
            # the planner's figures, and the visibility map an index-only read needs: as autovacuum
            # keeps a database in use (else it starts on the new rows while the figures are taken)
            cur.execute("VACUUM (ANALYZE)")
        conn.autocommit = was
        src.close()
    finally:
        close_database()


def timed(label: str, q: CaseloadQuery) -> None:
    t0 = time.perf_counter()
    total = caseload_count(q)
    t1 = time.perf_counter()
    rows = caseload_page(q, 0, PAGE)
    t2 = time.perf_counter()
    print(f"  {label:<24} count {total:>8,}  {1000 * (t1 - t0):7.1f} ms   first page ({len(rows)} rows)"
          f" {1000 * (t2 - t1):7.1f} ms   total {1000 * (t2 - t0):7.1f} ms")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else 0.0


async def desk_timings(path: Path | str, size: tuple[int, int] = (80, 24), reps: int = 10) -> None:
    """The same, through the desk: sign in, then each view key, until its first page is on screen."""
    from textual.worker import WorkerCancelled

    from drp_tui.bootstrap import Setup
    from drp_tui.config import Config
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import FrozenClock
    from drp_tui.ui.app import DrpApp

    policy = load_builtin("mosaic-iro")
    setup = Setup(Config(db=str(path), idle_lock_minutes=0, home="caseload"), str(path), policy, WorkingCalendar("ENG"))
    app = DrpApp(setup, policy=policy, sign_in_as="user1", clock=FrozenClock(NOW),
                 settle_heap=True)  # (as `drp` makes it: cli/run.py)

    async def shown(pilot) -> str:  # type: ignore[no-untyped-def]
        """Wait (without sleeping) until the caseload's latest load is on screen."""
        while True:
            await pilot.pause()
            screen = app.screen
            if getattr(screen, "shown_generation", -2) == getattr(screen, "_generation", -1):
                return str(screen.query_one("#status").render()).strip()

    t0 = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        status = await shown(pilot)
        print(f"  desk: sign-in to first page of 'mine'      {1000 * (time.perf_counter() - t0):7.1f} ms   ({status})")
        for key, view in (("6", "all"), ("4", "overdue"), ("3", "team"), ("1", "mine"), ("end", "last page")):
            t1 = time.perf_counter()
            await pilot.press(key)
            status = await shown(pilot)
            print(f"  desk: key {key:<3} -> {view:<9} page on screen {1000 * (time.perf_counter() - t1):7.1f} ms"
                  f"   ({status})")
        await key_rounds(app, pilot, shown, reps)
        await direct_rounds(app, pilot, shown, reps)
        await live_timings(app, pilot, shown, reps)
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass


async def key_rounds(app, pilot, shown, reps: int) -> None:  # type: ignore[no-untyped-def]
    """Every kind of caseload key, ``reps`` times each: key -> page on screen (ms)."""
    from drp_tui.ui.screens.caseload import FilterInput
    from drp_tui.ui.widgets.caseload_table import CaseloadTable

    times: dict[str, list[float]] = {k: [] for k in ("view", "sort", "filter keystroke", "page down", "End")}

    async def timed(kind: str, *keys: str) -> None:
        t0 = time.perf_counter()
        for key in keys:
            await pilot.press(key)
        await shown(pilot)
        times[kind].append(1000 * (time.perf_counter() - t0))

    views = ["6", "3", "4", "1", "5", "2"]
    for i in range(reps):
        await timed("view", views[i % len(views)])
        await timed("sort", "o")
        await timed("page down", "pagedown")
        await timed("End", "end")
        await pilot.press("home")
        await shown(pilot)
    await pilot.press("6")
    await shown(pilot)
    screen = app.screen
    for i in range(reps):  # a keystroke in the filter, then the filter runs (its quiet-time timer skipped)
        screen.query_one(FilterInput).focus()
        t0 = time.perf_counter()
        await pilot.press(str(i % 10))
        screen.flush_filter()
        await shown(pilot)
        times["filter keystroke"].append(1000 * (time.perf_counter() - t0))
        screen.query_one(FilterInput).value = ""  # (set, not typed: the next round starts from no filter)
        screen.flush_filter()
        await shown(pilot)
    screen.query_one(CaseloadTable).focus()  # keys go to the table again
    print(f"  keys at this size, {reps} of each, key -> page on screen (target p95 <= 50 ms):")
    for kind, ms in times.items():
        print(f"    {kind:<17} p50 {statistics.median(ms):6.1f} ms   p95 {pct(ms, 95):6.1f} ms   max {max(ms):6.1f} ms")


async def direct_rounds(app, pilot, shown, reps: int) -> None:  # type: ignore[no-untyped-def]
    """The same keys timed inside the app, without the test pilot: ``pilot.press`` and
    ``pilot.pause`` wait for the whole process (threads included) to be idle in steps of
    20 ms (``textual._wait``), so each key above costs at least ~60 ms and more while the
    background count runs. Here each key is posted to the app as the terminal driver posts
    it, and the clock stops when the caseload has applied the page and the screen has drawn it."""
    import asyncio

    from textual import events

    from drp_tui.ui.screens.caseload import FilterInput
    from drp_tui.ui.widgets.caseload_table import CaseloadTable

    screen = app.screen
    times: dict[str, list[float]] = {k: [] for k in ("view", "sort", "filter keystroke", "page down", "End")}

    async def page_drawn(before: int, t0: float) -> float:
        while not (screen._generation > before and screen.shown_generation == screen._generation):
            if time.perf_counter() - t0 > 5:  # (no page was read: a key that did nothing)
                break
            await asyncio.sleep(0.0005)
        # the page is in the table: drawn now, as the screen's update timer would draw it (the table
        # marked for drawing, then every widget that waits for it drawn); the page's drawing is timed
        screen._dirty_widgets.add(screen.query_one(CaseloadTable))
        screen._on_timer_update()
        return 1000 * (time.perf_counter() - t0)

    async def timed(kind: str, key: str, character: str | None = None) -> None:
        await shown(pilot)
        before, t0 = screen._generation, time.perf_counter()
        app.post_message(events.Key(key, character))
        times[kind].append(await page_drawn(before, t0))

    views = ["6", "3", "4", "1", "5", "2"]
    await pilot.press("2")  # (not the first view below)
    for i in range(reps):
        await timed("view", views[i % len(views)], views[i % len(views)])
        await timed("sort", "o", "o")
        await timed("page down", "pagedown")
        await timed("End", "end")
        await pilot.press("home")
    await pilot.press("6")
    await shown(pilot)
    box = screen.query_one(FilterInput)
    for i in range(reps):
        box.focus()
        await shown(pilot)
        before, t0 = screen._generation, time.perf_counter()
        app.post_message(events.Key(str(i % 10), str(i % 10)))
        while box.value != str(i % 10) and time.perf_counter() - t0 < 5:
            await asyncio.sleep(0.0005)
        screen.flush_filter()  # (its quiet-time timer skipped)
        times["filter keystroke"].append(await page_drawn(before, t0))
        box.value = ""
        screen.flush_filter()
        await shown(pilot)
    screen.query_one(CaseloadTable).focus()
    await shown(pilot)
    print(f"  the same keys timed in the app (no pilot idle steps), {reps} of each (target p95 <= 50 ms):")
    for kind, ms in times.items():
        print(f"    {kind:<17} p50 {statistics.median(ms):6.1f} ms   p95 {pct(ms, 95):6.1f} ms   max {max(ms):6.1f} ms")


async def live_timings(app, pilot, shown, reps: int) -> None:  # type: ignore[no-untyped-def]
    """A clock tick (every screen recoloured from the clock) and a live refresh (the page read again)."""
    screen = app.screen
    await pilot.press("1")  # the chair's own open disputes
    status = await shown(pilot)
    ticks, refreshes = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        app.tick()
        await pilot.pause()
        ticks.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        app.data_changed()
        await shown(pilot)
        refreshes.append(1000 * (time.perf_counter() - t0))
    print(f"  clock tick (recolour, no query), {status.split(' · ')[0]} in 'mine':"
          f" p50 {statistics.median(ticks):6.1f} ms   max {max(ticks):6.1f} ms")
    print(f"  live refresh (another session committed: page read again):"
          f"        p50 {statistics.median(refreshes):6.1f} ms   max {max(refreshes):6.1f} ms")
    assert screen is app.screen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="disputes to build (default 100000)")
    ap.add_argument("--db", help="database file to build (default: a temporary file)")
    ap.add_argument("--reuse", action="store_true",
                    help="use the database at --db as it is when it exists (not built again)")
    ap.add_argument("--no-desk", action="store_true", help="skip opening the desk (headless) on the data")
    ap.add_argument("--reps", type=int, default=10, help="rounds of each kind of key in the desk (default 10)")
    ap.add_argument("--pg", metavar="URL", help="take the figures on PostgreSQL: the database is copied there first")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.db"
        if args.reuse and args.db and path.exists():
            print(f"reusing {path}")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            t0 = time.perf_counter()
            build(path, args.n)
            print(f"built {args.n:,} disputes in {time.perf_counter() - t0:.1f} s ({path})")
        target = str(path)
        if args.pg:
            t0 = time.perf_counter()
            copy_to_postgres(path, args.pg)
            target = args.pg
            print(f"copied into PostgreSQL in {time.perf_counter() - t0:.1f} s")
        open_database(target)
        try:
            for n_label, q in [
                ("all, by due", CaseloadQuery(view="all")),
                ("all, by reference", CaseloadQuery(view="all", sort="reference")),
                ("all, filter 'Child 77'", CaseloadQuery(view="all", text="Child 77")),
                ("mine (one chair)", CaseloadQuery(view="mine", staff_id=1)),
                ("awaiting (a responder)", CaseloadQuery(view="awaiting", staff_id=21)),
                ("team", CaseloadQuery(view="team", team_ids=(1,))),
                ("overdue (one chair)", CaseloadQuery(view="overdue", staff_id=1, now=NOW)),
            ]:
                timed(n_label, q)
            if not args.no_desk:
                import asyncio

                asyncio.run(desk_timings(target, reps=args.reps))
        finally:
            close_database()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
