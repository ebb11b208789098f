"""Do failing sign-ins slow down other people's saves? Save latency idle vs under sign-in load.

    python scripts/bench_signin_contention.py [--saves 200] [--attackers 4] [--with-old]

Builds a temporary database (demo data, invented people), then runs one saver
process that edits a dispute's text through the services (``update_draft``) in a
loop, first with the machine idle and then while ``--attackers`` processes do
failing sign-ins as fast as they can (a new unknown user name each time, so the
progressive delay never spares them the scrypt check). Prints p50/p95 save
latency idle vs loaded and their ratio. Target: p95 loaded within 1.5x idle.

``--with-control`` adds a phase in which the same processes only run scrypt (no
database at all): the CPU floor no sign-in design can beat on this machine.
``--with-old`` adds a phase in which the attackers check the password the
way sign-in did before (scrypt inside the write transaction, holding the
writers' lock), for comparison.

Every loop is bounded (``--saves`` saves, at most ``--phase-seconds`` per phase;
attackers stop when told or after ``--max-attempts``), so the whole run takes
well under two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POLICY = "mosaic-iro"
GENUINE_PASSWORD = "an-invented-pass-4417"
GENUINE_SIGN_INS = 3


def build(path: Path) -> dict[str, int]:
    """A fresh demo database; returns the chair and one of their draft disputes to edit."""
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services.demo import build_demo
    from drp_tui.services.passwords import hash_password
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database

    open_database(str(path))
    build_demo(load_builtin(POLICY), WorkingCalendar("ENG"), SystemClock().now())
    d = m.Dispute.select().where(m.Dispute.status == "draft").order_by(m.Dispute.id).first()
    world = {"chair": int(d.raised_by_id), "dispute": int(d.id)}
    # One account with a full-strength hash, for timing a genuine sign-in under load.
    m.Staff.update(password_hash=hash_password(GENUINE_PASSWORD)).where(m.Staff.id == d.raised_by_id).execute()
    world["username"] = m.Staff.get_by_id(d.raised_by_id).username
    close_database()
    return world


# --- the processes ------------------------------------------------------------------------------

def saver_main(args: argparse.Namespace) -> int:
    from drp_tui.domain.calendar import WorkingCalendar
    from drp_tui.domain.policy_loader import load_builtin
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import auth
    from drp_tui.services import disputes as ds
    from drp_tui.services.context import Ctx
    from drp_tui.store.db import close_database, open_database

    world = json.loads(args.world)
    ctx = Ctx(world["chair"], load_builtin(POLICY), WorkingCalendar("ENG"), SystemClock())
    open_database(args.db)
    for i in range(5):  # warm up: imports, holidays, page cache
        ds.update_draft(ctx, world["dispute"], None, {"concern": f"warm-up {i}"})
    print("ready", flush=True)
    sys.stdin.readline()
    times: list[float] = []
    deadline = time.monotonic() + args.phase_seconds
    for i in range(args.saves):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        ds.update_draft(ctx, world["dispute"], None, {"concern": f"Concern text, edit {i}"})
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.005)  # a person between saves
    sign_ins: list[float] = []
    for _ in range(GENUINE_SIGN_INS):  # someone signing in meanwhile, with the right password
        t0 = time.perf_counter()
        auth.sign_in(world["username"], GENUINE_PASSWORD, ctx.now(), auth.Throttle())
        sign_ins.append((time.perf_counter() - t0) * 1000)
    close_database()
    print(json.dumps({"saves": times, "sign_ins": sign_ins}), flush=True)
    return 0


def attacker_main(args: argparse.Namespace) -> int:
    from drp_tui.domain.timeutil import SystemClock
    from drp_tui.services import audit, auth
    from drp_tui.services.passwords import verify_password
    from drp_tui.store import models as m
    from drp_tui.store.db import close_database, open_database, write_txn

    open_database(args.db)
    clock = SystemClock()
    stop = Path(args.stop)

    def old_style(name: str) -> None:
        """Sign-in as it was: the scrypt check inside the write transaction (writers' lock held)."""
        with write_txn():
            s = m.Staff.get_or_none(m.Staff.username == name)
            verify_password("wrong password", s.password_hash if s is not None and s.password_hash
                            else auth.dummy_hash())
            audit.append(clock.now(), None, "login_failed", "Sign-in failed: unknown user name")

    auth.dummy_hash()
    attempts = 0
    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds
    for i in range(args.max_attempts):
        name = f"guess-{os.getpid()}-{i}"
        if args.hash_only:
            verify_password("wrong password", auth.dummy_hash())
        elif args.old:
            old_style(name)
        else:
            try:
                auth.sign_in(name, "wrong password", clock.now(), None)
            except auth.AuthError:
                pass
        attempts += 1
        if i == 0:
            print("ready", flush=True)
        if stop.exists() or os.getppid() != parent or time.monotonic() > deadline:
            break  # told to stop, or the parent is gone, or the time is up
    close_database()
    print(json.dumps({"attempts": attempts}), flush=True)
    return 0


# --- the parent ----------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))] if s else 0.0


def spawn(role: str, args: argparse.Namespace, db: Path, extra: list[str]) -> subprocess.Popen[str]:
    cmd = [sys.executable, __file__, "--role", role, "--db", str(db), *extra]
    if args.check_nice is not None:
        cmd += ["--check-nice", str(args.check_nice)]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))


def phase(args: argparse.Namespace, db: Path, world: dict[str, int], attackers: int, how: str,
          tmp: Path) -> tuple[dict[str, list[float]], int]:
    stop = tmp / f"stop-{attackers}-{how}"
    stop.unlink(missing_ok=True)
    flag = {"new": [], "old": ["--old"], "hash": ["--hash-only"]}[how]
    crowd = [spawn("attacker", args, db, ["--stop", str(stop), "--max-attempts", str(args.max_attempts),
                                          "--max-seconds", str(args.max_seconds)] + flag)
             for _ in range(attackers)]
    for p in crowd:
        assert p.stdout is not None
        p.stdout.readline()  # each has made its first attempt: the load is on
    saver = spawn("saver", args, db, ["--world", json.dumps(world), "--saves", str(args.saves),
                                      "--phase-seconds", str(args.phase_seconds)])
    assert saver.stdin is not None and saver.stdout is not None
    saver.stdout.readline()
    saver.stdin.write("go\n")
    saver.stdin.flush()
    out, _ = saver.communicate(timeout=args.phase_seconds + 60)
    stop.touch()
    attempts = 0
    for p in crowd:
        got, _ = p.communicate(timeout=60)
        attempts += json.loads(got.strip().splitlines()[-1])["attempts"]
    return json.loads(out.strip().splitlines()[-1]), attempts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--role", choices=("parent", "saver", "attacker"), default="parent", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--world", help=argparse.SUPPRESS)
    ap.add_argument("--stop", help=argparse.SUPPRESS)
    ap.add_argument("--old", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--hash-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--saves", type=int, default=200, help="saves per phase (default 200)")
    ap.add_argument("--attackers", type=int, default=4, help="processes doing failing sign-ins (default 4)")
    ap.add_argument("--phase-seconds", type=float, default=30.0, help="at most this long saving per phase")
    ap.add_argument("--max-attempts", type=int, default=5000, help="sign-in attempts per attacker at most")
    ap.add_argument("--max-seconds", type=float, default=90.0, help="seconds per attacker process at most")
    ap.add_argument("--with-old", action="store_true",
                    help="also measure the old way (scrypt inside the write lock), for comparison")
    ap.add_argument("--check-nice", type=int, help="CPU priority of password checks (default: the program's)")
    ap.add_argument("--with-control", action="store_true",
                    help="also measure saves while the same processes only hash (CPU load, no database): "
                         "the floor any sign-in design can reach on this machine")
    args = ap.parse_args()
    if args.check_nice is not None:
        from drp_tui.services import auth

        auth.CHECK_NICE = args.check_nice
    if args.role == "saver":
        return saver_main(args)
    if args.role == "attacker":
        return attacker_main(args)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="drp-bench-signin-") as d:
        tmp = Path(d)
        db = tmp / "bench.db"
        world = build(db)
        idle, _ = phase(args, db, world, 0, "new", tmp)
        loaded, attempts = phase(args, db, world, args.attackers, "new", tmp)
        rows = [("idle", idle, 0), (f"{args.attackers} failing sign-ins", loaded, attempts)]
        if args.with_control:
            control, hashes = phase(args, db, world, args.attackers, "hash", tmp)
            rows.append((f"{args.attackers} hashing, no database", control, hashes))
        if args.with_old:
            old, old_attempts = phase(args, db, world, args.attackers, "old", tmp)
            rows.append((f"{args.attackers} failing, old way", old, old_attempts))
    base95 = pct(idle["saves"], 95)
    print(f"save latency (update_draft), {args.saves} saves per phase, cpu count {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "")
    print(f"{'phase':<28}{'saves':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'p95 ratio':>11}"
          f"{'failed':>8}{'genuine ms':>12}")
    for label, got, tries in rows:
        times = got["saves"]
        ratio = pct(times, 95) / base95 if base95 else float("nan")
        print(f"{label:<28}{len(times):>6}{statistics.median(times):>9.1f}{pct(times, 95):>9.1f}"
              f"{max(times):>9.1f}{ratio:>10.2f}x{tries:>8}{statistics.median(got['sign_ins']):>12.0f}")
    print("(failed = failing sign-ins the attackers completed; genuine ms = median of "
          f"{GENUINE_SIGN_INS} correct sign-ins timed at the end of the phase)")
    ratio = pct(loaded["saves"], 95) / base95 if base95 else float("inf")
    verdict = "OK" if ratio <= 1.5 else "over target"
    print(f"p95 loaded / idle = {ratio:.2f}x (target <= 1.5x): {verdict}; took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
