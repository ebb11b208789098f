"""Kill -9 a writer at random moments, many times: the database must survive every time.

    python scripts/crash_test.py [--kills 50] [--writers 2] [--max-ms 400] [--db PATH] [--seed 1]

Each round starts ``--writers`` writer processes on one SQLite file. A writer
raises disputes, edits and sends them (with optimistic versions) and, once a
service call has returned (= committed), prints a line naming what it committed,
flushing at once. After a random delay every writer is killed with SIGKILL: in a
transaction, in a commit, in a checkpoint, or between operations. Then:
integrity_check, foreign_key_check, audit verify and migrations (``drp check``)
must pass, and every operation a writer printed as committed must be in the
database. At the end the real ``drp check`` command is run on the file too.
Exit status 0 only if every round passed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from load_test import POLICY, START_STAGE, setup_world  # noqa: E402


# ---------------------------------------------------------------- the writer (its own process)


def writer_main(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import disputes as ds
    from drp_tui.services.context import Ctx
    from drp_tui.services.errors import DomainError
    from drp_tui.store import models as m
    from drp_tui.store.db import open_database

    world = json.loads(args.world)
    rng = random.Random(args.seed)
    chair_id = world["chairs"][rng.randrange(len(world["chairs"]))]
    kids = world["children"][str(chair_id)]
    ctx = Ctx(chair_id, load_builtin(POLICY), WorkingCalendar("ENG"), SystemClock())
    db = open_database(args.db)
    ctx.calendar.add_working_days(ctx.today(), 5)  # warm the holiday tables outside any transaction
    yesterday = ctx.today() - timedelta(days=1)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    k = 0
    while True:
        k += 1
        token = f"s{args.seed}-{k}"
        r = rng.random()
        mine = list(m.Dispute.select(m.Dispute.id, m.Dispute.version)
                    .where((m.Dispute.raised_by == chair_id) & (m.Dispute.status == "draft"))
                    .order_by(m.Dispute.id.desc()).limit(5).tuples())
        try:
            if r < 0.35 or not mine:
                (did,) = ds.raise_dispute(ctx, ds.RaiseInput(
                    child_ids=[rng.choice(kids)], category="care_plan", start_stage=START_STAGE,
                    issue_arose=yesterday, concern=token))
                line = f"raise {did} 2 {token}"
            elif r < 0.85:
                did, ver = rng.choice(mine)
                new = ds.update_draft(ctx, did, ver, {"concern": token, "impact": "x" * rng.randrange(0, 3000)})
                line = f"edit {did} {new} {token}"
            elif r < 0.97:
                did, ver = rng.choice(mine)
                ds.send(ctx, did, version=ver)
                line = f"send {did} {ver + 1} -"
            else:
                db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
                continue
        except DomainError:
            continue  # another writer changed it first: refused, nothing written
        out.write(line + "\n")
        out.flush()


# ---------------------------------------------------------------- the parent


def _reader(proc: subprocess.Popen[str], lines: list[str], ready: threading.Event) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.strip()
        if line == "ready":
            ready.set()
        elif line:
            lines.append(line)


def check_round(db: Path, committed: list[str]) -> list[str]:
    """drp check's checks, and every committed line present."""
    from drp_tui.store import backup as bk
    from drp_tui.store import models as m

    problems = [f"{line.name}: {line.detail}" for line in bk.check_file(db) if not line.ok]
    with bk.bound_to(db):
        versions = dict(m.Dispute.select(m.Dispute.id, m.Dispute.version).tuples())
        for line in committed:
            op, did_s, ver_s, token = line.split(" ", 3)
            did, ver = int(did_s), int(ver_s)
            if did not in versions:
                problems.append(f"committed {op} of dispute {did} is missing")
                continue
            if versions[did] < ver:
                problems.append(f"dispute {did} is at version {versions[did]}; a committed {op} made {ver}")
            if op == "edit" and not m.Event.select().where(
                    (m.Event.dispute == did) & (m.Event.kind == "edited") & m.Event.after.contains(token)).exists():
                problems.append(f"the committed edit {token} of dispute {did} has no event")
            if op == "raise" and not m.Event.select().where(
                    (m.Event.dispute == did) & (m.Event.kind == "raised")).exists():
                problems.append(f"the committed raise of dispute {did} has no event")
    return problems


def run(db: Path, kills: int, writers: int, max_ms: int, seed: int) -> int:
    world = setup_world(db, max(2, writers))
    rng = random.Random(seed)
    started = time.perf_counter()
    passes = 0
    all_committed: list[str] = []
    backups: list[float] = []
    failures: list[str] = []
    for rnd in range(kills):
        procs, outputs, readies, threads = [], [], [], []
        for w in range(writers):
            cmd = [sys.executable, str(Path(__file__).resolve()), "--writer", "--db", str(db),
                   "--seed", str(seed * 100_000 + rnd * 100 + w), "--world", json.dumps(world)]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=str(ROOT))
            lines: list[str] = []
            ready = threading.Event()
            t = threading.Thread(target=_reader, args=(p, lines, ready), daemon=True)
            t.start()
            procs.append(p)
            outputs.append(lines)
            readies.append(ready)
            threads.append(t)
        for ready, p in zip(readies, procs, strict=True):
            if not ready.wait(30):
                failures.append(f"round {rnd + 1}: a writer did not start (exit {p.poll()})")
        delay = rng.uniform(0, max_ms) / 1000
        if rnd % 5 == 4:  # an online backup while the writers write, then checked on its own
            from drp_tui.store import backup as bk

            time.sleep(delay / 2)
            copy = db.with_name(f"online-backup-{rnd + 1}.db")
            result = bk.backup_database(db, copy)
            backups.append(result.seconds)
            bad = [f"{x.name}: {x.detail}" for x in bk.check_file(copy) if not x.ok]
            if bad:
                failures.append(f"round {rnd + 1}: the online backup failed its checks: {bad[:3]}")
            copy.unlink()
            delay /= 2
        time.sleep(delay)
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
        for p, t in zip(procs, threads, strict=True):
            p.wait()
            t.join(10)
            if p.returncode != -signal.SIGKILL:
                failures.append(f"round {rnd + 1}: a writer ended by itself (exit {p.returncode}) before the kill")
        all_committed.extend(line for lines in outputs for line in lines)
        problems = check_round(db, all_committed)  # this round's commits and every earlier one
        if problems:
            failures.extend(f"round {rnd + 1}: {p}" for p in problems[:10])
        else:
            passes += 1
    # The real command, once, on the file every round wrote to.
    cli = subprocess.run([sys.executable, "-m", "drp_tui", "--db", str(db), "check"], capture_output=True,
                         text=True, cwd=str(ROOT))
    if cli.returncode != 0:
        failures.append("drp check: " + (cli.stdout + cli.stderr).strip().replace("\n", " | "))
    elapsed = time.perf_counter() - started
    print(f"crash test: {kills} rounds x {writers} writer(s) killed with SIGKILL after 0-{max_ms} ms ({db})")
    print(f"  {passes}/{kills} rounds passed drp check's checks with every committed operation present "
          f"({len(all_committed)} committed operations, all re-checked every round; {elapsed:.1f} s)")
    if backups:
        print(f"  {len(backups)} online backups taken mid-write passed their checks "
              f"(each {min(backups):.3f}-{max(backups):.3f} s)")
    print(f"  drp check at the end: exit {cli.returncode}")
    for f in failures[:30]:
        print(f"  FAILED {f}")
    return 0 if not failures and passes == kills else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--max-ms", type=int, default=400, help="kill after a random 0..MAX ms of writing")
    ap.add_argument("--db", help="database file to create (default: a temporary folder)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--world", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.writer:
        return writer_main(args)
    if args.db:
        db = Path(args.db)
        if db.exists():
            print(f"{db} exists; the crash test needs a fresh file", file=sys.stderr)
            return 2
        return run(db, args.kills, args.writers, args.max_ms, args.seed)
    with tempfile.TemporaryDirectory(prefix="drp-crash-") as tmp:
        os.chmod(tmp, 0o700)
        return run(Path(tmp) / "crash.db", args.kills, args.writers, args.max_ms, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
